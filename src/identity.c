/*
 * identity.c — identity resolution: which records are one person.  The caller's query yields
 * (record_id, identifier_type, identifier_value) rows; records sharing a (type, value) are
 * the same person, and the answer is the connected components of that graph, with guardrails
 * against junk identifiers, unified IDs that stay stable from run to run, the spanning forest
 * of links that explains each cluster, and a report of what the guardrails removed.
 *
 * How: the query is executed once through SPI into a DestReceiver, so its rows stream (and
 * the query may use a parallel plan); every record id and every (type, value) is interned in
 * a simplehash table whose keys live in one byte arena, and each row becomes a pair of 32-bit
 * indexes (the tables sized from the planner's row estimate, the rows interned in small
 * batches with their memory prefetched, on huge pages where the kernel gives them).  After the scan the pairs are bucketed by identifier (a counting sort), each
 * identifier's records are de-duplicated, the guardrails decide which identifiers may link,
 * and a union-find (union by size, path halving) joins their records.  Memory is counted as it
 * grows and is bounded by omni.identity_memory_limit: past it the call fails with a clear
 * error instead of exhausting the machine.
 *
 * Determinism: the answer never depends on the order of the query's rows.  Without caps, the
 * partition does not depend on the order of unions; when per-type caps are set (or links are
 * asked for), identifiers are applied strongest first (fewest records, then type, then value,
 * in byte order) and each identifier's records in record_id byte order.  A cluster's ID
 * without `previous` is its smallest record_id (byte order, as COLLATE "C" sorts); with
 * `previous`, old IDs are handed to new clusters by overlap (docs/identity.md, "Stable IDs").
 */
#include "postgres.h"

#include <limits.h>
#ifndef WIN32
#include <sys/mman.h>
#endif

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "identity.h"

PG_FUNCTION_INFO_V1(resolve_identities);
PG_FUNCTION_INFO_V1(identity_links);
PG_FUNCTION_INFO_V1(identity_guardrail_report);

/* omni.identity_memory_limit, in kB */
static int	identity_memory_limit_kb = 2 * 1024 * 1024;

void
omni_identity_init(void)
{
	DefineCustomIntVariable("omni.identity_memory_limit",
							"The most memory omni.resolve_identities and its companions may use.",
							"Past it they stop with an error; about 100 bytes per identifier row are needed.",
							&identity_memory_limit_kb,
							2 * 1024 * 1024, 1024, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("omni");
#else
	EmitWarningsOnPlaceholders("omni");
#endif
}

/* ---------- interned strings ---------- */

#define NO_INDEX		PG_UINT32_MAX
#define PROBE_OFFSET	PG_UINT32_MAX

/* a string in the arena (or, with off == PROBE_OFFSET, the one being looked up) */
typedef struct StrKey
{
	uint32		off;
	uint32		len;
	uint32		type;			/* identifiers only: the type's index */
} StrKey;

typedef struct StrEntry
{
	StrKey		key;
	uint32		hash;
	uint32		idx;
	char		status;
} StrEntry;

typedef struct Arena
{
	char	   *bytes;
	Size		used;
	Size		size;
	const char *probe;			/* the key being looked up, not yet in the arena */
} Arena;

static inline const char *
key_bytes(const Arena *arena, StrKey k)
{
	return k.off == PROBE_OFFSET ? arena->probe : arena->bytes + k.off;
}

static inline bool
key_equal(const Arena *arena, StrKey a, StrKey b)
{
	return a.len == b.len && a.type == b.type &&
		memcmp(key_bytes(arena, a), key_bytes(arena, b), a.len) == 0;
}

/* every look-up passes its hash (strtab_insert_hash, strtab_lookup_hash) */
static uint32
strkey_unhashed(void)
{
	elog(ERROR, "omni: identity key looked up without its hash");
	return 0;
}

#define SH_PREFIX strtab
#define SH_ELEMENT_TYPE StrEntry
#define SH_KEY_TYPE StrKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) strkey_unhashed()
#define SH_EQUAL(tb, a, b) key_equal((const Arena *) (tb)->private_data, a, b)
#define SH_STORE_HASH
/* shorter probe runs: the tables are read once per row and every probe is a cache miss */
#define SH_FILLFACTOR_USED (0.75)
#define SH_FILLFACTOR SH_FILLFACTOR_USED
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#define SH_USE_NONDEFAULT_ALLOCATOR
#include "lib/simplehash.h"

/*
 * The tables and the arena are hundreds of megabytes read at random, one row at a time: with
 * 4 kB pages nearly every look-up also misses the TLB, and on a virtual machine a page walk
 * costs as much as the memory miss itself.  Where the kernel offers transparent huge pages
 * on request (Linux's "madvise" mode, the default of several distributions), ask for them on
 * every large buffer; elsewhere this does nothing.
 */
#define HUGE_PAGE_SIZE		((uintptr_t) 2 * 1024 * 1024)

static void
hint_huge_pages(void *p, Size size)
{
#ifdef MADV_HUGEPAGE
	uintptr_t	start = TYPEALIGN(HUGE_PAGE_SIZE, (uintptr_t) p);
	uintptr_t	end = TYPEALIGN_DOWN(HUGE_PAGE_SIZE, (uintptr_t) p + size);

	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);	/* only a hint */
#endif
}

/* simplehash's allocator: zeroed, as its own is, after the huge-page hint */
static inline void *
strtab_allocate(strtab_hash *tb, Size size)
{
	void	   *p = MemoryContextAllocExtended(tb->ctx, size, MCXT_ALLOC_HUGE);

	hint_huge_pages(p, size);
	memset(p, 0, size);
	return p;
}

static inline void
strtab_free(strtab_hash *tb, void *pointer)
{
	pfree(pointer);
}

/* ---------- the work of one call ---------- */

/* the options every function takes */
typedef struct IdentityOptions
{
	char	   *query;
	int64		max_shared;		/* 0: no limit */
	ArrayType  *blocklist;		/* NULL: none */
	Jsonb	   *max_per_type;	/* NULL: no caps */
	char	   *previous;		/* NULL: none */
	const char *fname;			/* for messages */
} IdentityOptions;

/* why an identifier does not link */
#define IDENT_BLOCKED	0x01
#define IDENT_SHARED	0x02
#define IDENT_REFUSED	0x04	/* at least one of its links broke a per-type cap */

/*
 * Batched interning.  Each identifier row costs two look-ups in tables far larger than the
 * CPU's caches (records and identifiers), and each look-up up to two memory misses: the
 * bucket, then the key's bytes in the arena.  So rows are taken in batches: their keys are
 * copied aside and hashed and every bucket is prefetched, then the arena bytes of every key
 * found in those buckets with the same hash, and only then are the rows interned, in their
 * order — each record and identifier gets the index that one row at a time would give it.
 */
#define BATCH_ROWS		32
#define BATCH_BYTES		(64 * 1024)		/* flush early when the keys are long */
#define BATCH_KEEP		(1024 * 1024)	/* a buffer grown past this by one huge key is freed */
#define PEEK_SLOTS		2				/* bucket slots whose keys are prefetched */

typedef struct PendingRow
{
	uint32		rec_off;		/* in batch_bytes */
	uint32		rec_len;
	uint32		rec_hash;
	uint32		val_off;
	uint32		val_len;
	uint32		val_hash;
	uint32		type;			/* NO_INDEX: the record only, without an identifier */
} PendingRow;

typedef struct RecPair
{
	uint32		rec;
	uint32		ident;
} RecPair;

typedef struct Work
{
	MemoryContext cxt;
	const IdentityOptions *opt;
	Size		limit;

	Arena		arena;
	strtab_hash *records;
	strtab_hash *types;
	strtab_hash *idents;

	/* index -> key, per table */
	StrKey	   *rec_key;
	uint32		rec_cap;
	uint32		nrec;
	uint32		ncurrent;		/* records of the query (the rest only in previous) */
	StrKey	   *type_key;
	uint32		type_cap;
	uint32		ntype;
	StrKey	   *ident_key;
	uint32		ident_cap;
	uint32		nident;

	RecPair    *pairs;
	Size		pair_cap;
	Size		npairs;

	uint64		rows;
	uint64		null_ids;
	uint32		last_type;		/* the previous row's type, usually the next row's too */

	/* identifier rows read but not yet interned (see "batched interning") */
	PendingRow	batch[BATCH_ROWS];
	int			nbatch;
	char	   *batch_bytes;	/* their record ids and values */
	Size		batch_used;
	Size		batch_size;

	/* after the scan: each identifier's distinct records, and its flags */
	uint32	   *group_start;	/* nident + 1 */
	uint32	   *group_len;
	uint32	   *members;
	uint8	   *ident_flags;

	/* the union-find */
	uint32	   *parent;
	uint32	   *size;

	/* spanning forest edges, when asked for */
	bool		want_links;
	uint32	   *link_a;
	uint32	   *link_b;
	uint32	   *link_ident;
	Size		nlinks;
	Size		links_cap;

	/* per-type caps: cap per type (0 = none) and each root's capped identifiers */
	uint32	   *type_cap_of;
	int			ncapped;
	uint32	  **cap_set;
	uint32	   *cap_set_len;
	uint64		refused_links;

	Size		extra;			/* what the steps after the scan allocated */
} Work;

static Size
work_memory(const Work *w)
{
	Size		total = w->arena.size;

	total += (Size) w->records->size * sizeof(StrEntry);
	total += (Size) w->idents->size * sizeof(StrEntry);
	total += (Size) w->types->size * sizeof(StrEntry);
	total += w->pair_cap * sizeof(RecPair);
	total += w->batch_size;
	return total + w->extra;
}

/* Error out before growing past omni.identity_memory_limit by `more` bytes. */
static void
CheckMemory(const Work *w, Size more)
{
	Size		total = work_memory(w) + more;

	if (total > w->limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs more than omni.identity_memory_limit (%zu kB) for this input",
						w->opt->fname, w->limit / 1024),
				 errdetail("After " UINT64_FORMAT " rows: %u records, %u distinct identifiers, %zu kB in use.",
						   w->rows, w->nrec, w->nident, work_memory(w) / 1024),
				 errhint("Raise the limit (SET omni.identity_memory_limit = '8GB') if the server has the memory, or resolve the input in parts (docs/identity.md, \"Limits\").")));
}

/* memory for a step after the scan, counted against the limit */
static void *
work_alloc(Work *w, Size bytes, bool zero)
{
	void	   *p;

	bytes = Max(bytes, 1);
	CheckMemory(w, bytes);
	p = MemoryContextAllocHuge(w->cxt, bytes);
	if (zero)
		memset(p, 0, bytes);
	w->extra += bytes;
	return p;
}

static void *
grow_array(Work *w, void *array, uint32 *cap, Size elsize)
{
	uint64		newcap = *cap == 0 ? 1024 : (uint64) *cap * 2;

	if (newcap > PG_UINT32_MAX - 1)
		newcap = PG_UINT32_MAX - 1;
	if (newcap <= *cap)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s handles at most %u records and %u distinct identifiers",
						w->opt->fname, PG_UINT32_MAX - 2, PG_UINT32_MAX - 2),
				 errhint("Resolve the input in parts (docs/identity.md, \"Limits\").")));
	CheckMemory(w, (newcap - *cap) * elsize);
	w->extra += (newcap - *cap) * elsize;
	array = array == NULL ? MemoryContextAllocHuge(w->cxt, newcap * elsize) :
		repalloc_huge(array, newcap * elsize);
	*cap = (uint32) newcap;
	return array;
}

static uint32
arena_add(Work *w, const char *s, uint32 len)
{
	Arena	   *a = &w->arena;
	uint32		off;

	if (a->used + len > a->size)
	{
		Size		newsize = Max(a->size * 2, a->used + len + 64 * 1024);

		/*
		 * s may lie in the arena itself (assign_ids interns a cluster's smallest record id as
		 * its new ID): growing frees the old bytes, so keep s's offset, not s.
		 */
		bool		inside = a->bytes != NULL && (uintptr_t) s >= (uintptr_t) a->bytes &&
			(uintptr_t) s < (uintptr_t) (a->bytes + a->used);
		Size		s_off = inside ? (Size) (s - a->bytes) : 0;

		if (newsize > (Size) PG_UINT32_MAX - 1)
			newsize = (Size) PG_UINT32_MAX - 1;
		if (a->used + len > newsize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s keeps at most 4 GB of record ids and identifier values", w->opt->fname),
					 errhint("Resolve the input in parts (docs/identity.md, \"Limits\").")));
		CheckMemory(w, newsize - a->size);
		a->bytes = a->bytes == NULL ? MemoryContextAllocHuge(w->cxt, newsize) :
			repalloc_huge(a->bytes, newsize);
		a->size = newsize;
		hint_huge_pages(a->bytes, a->size);
		if (inside)
			s = a->bytes + s_off;
	}
	off = (uint32) a->used;
	memcpy(a->bytes + off, s, len);
	a->used += len;
	return off;
}

/* a key's hash: its bytes, combined with its type (identifiers) unless type is 0 */
static inline uint32
key_hash(const char *s, uint32 len, uint32 type)
{
	uint32		hash = hash_bytes((const unsigned char *) s, len);

	if (type != 0)
		hash = hash_combine(hash, murmurhash32(type));
	return hash;
}

/* the index of the string s (whose key_hash is hash) in tab, interned when new */
static uint32
intern_hashed(Work *w, strtab_hash *tab, StrKey **keys, uint32 *cap, uint32 *count,
			  const char *s, uint32 len, uint32 type, uint32 hash)
{
	StrKey		probe = {PROBE_OFFSET, len, type};
	StrEntry   *e;
	bool		found;
	uint64		size_before = tab->size;

	w->arena.probe = s;
	/* a table about to double must fit in the limit first */
	if (tab->members >= tab->grow_threshold)
		CheckMemory(w, (Size) tab->size * sizeof(StrEntry));
	e = strtab_insert_hash(tab, probe, hash, &found);
	/* simplehash also grows early when probe runs get long: count that at once */
	if (tab->size != size_before)
		CheckMemory(w, 0);
	if (!found)
	{
		if (*count >= *cap)
			*keys = grow_array(w, *keys, cap, sizeof(StrKey));
		e->key.off = arena_add(w, s, len);
		e->idx = (*count)++;
		(*keys)[e->idx] = e->key;
	}
	return e->idx;
}

/* the index of the string s in tab, interned when new (keys and count are the table's) */
static inline uint32
intern(Work *w, strtab_hash *tab, StrKey **keys, uint32 *cap, uint32 *count,
	   const char *s, uint32 len, uint32 type)
{
	return intern_hashed(w, tab, keys, cap, count, s, len, type, key_hash(s, len, type));
}

/* lookup only: NO_INDEX when absent */
static uint32
lookup(Work *w, strtab_hash *tab, const char *s, uint32 len, uint32 type)
{
	StrKey		probe = {PROBE_OFFSET, len, type};
	StrEntry   *e;

	w->arena.probe = s;
	e = strtab_lookup_hash(tab, probe, key_hash(s, len, type));
	return e == NULL ? NO_INDEX : e->idx;
}

static inline const char *
str_of(const Work *w, StrKey k)
{
	return w->arena.bytes + k.off;
}

/* byte order, as COLLATE "C" sorts text */
static inline int
key_cmp(const Work *w, StrKey a, StrKey b)
{
	int			c = memcmp(str_of(w, a), str_of(w, b), Min(a.len, b.len));

	if (c != 0)
		return c;
	return a.len < b.len ? -1 : (a.len > b.len ? 1 : 0);
}

static text *
key_text(const Work *w, StrKey k)
{
	return cstring_to_text_with_len(str_of(w, k), k.len);
}

static Work *
work_create(const IdentityOptions *opt)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "omni identity resolution",
											  ALLOCSET_DEFAULT_SIZES);
	Work	   *w = MemoryContextAllocZero(cxt, sizeof(Work));

	w->cxt = cxt;
	w->opt = opt;
	w->limit = (Size) identity_memory_limit_kb * 1024;
	w->records = strtab_create(cxt, 1024, &w->arena);
	w->types = strtab_create(cxt, 16, &w->arena);
	w->idents = strtab_create(cxt, 1024, &w->arena);
	w->last_type = NO_INDEX;
	return w;
}

/* ---------- reading the queries ---------- */

typedef struct IdentityReceiver
{
	DestReceiver pub;
	Work	   *w;
	bool		previous;		/* reading `previous` rather than the query */
	int			statements;
	MemoryContext row_cxt;
} IdentityReceiver;

static void
CheckQueryColumns(const Work *w, bool previous, TupleDesc desc)
{
	static const char *const query_columns[] = {"record_id", "identifier_type", "identifier_value"};
	static const char *const previous_columns[] = {"record_id", "unified_id"};
	const char *const *names = previous ? previous_columns : query_columns;
	int			want = previous ? 2 : 3;
	const char *what = previous ? "previous" : "query";
	int			i;

	if (desc->natts != want)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg_plural("%s: %s returns %d column, not %d", "%s: %s returns %d columns, not %d", desc->natts, w->opt->fname, what, desc->natts, want),
				 errhint(previous ? "previous must return (record_id text, unified_id text), e.g. the last run's result."
						 : "query must return (record_id text, identifier_type text, identifier_value text): one row per identifier.")));
	for (i = 0; i < want; i++)
	{
		Oid			type = TupleDescAttr(desc, i)->atttypid;

		if (type != TEXTOID && type != VARCHAROID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: column %d (%s) of %s is %s, not text",
							w->opt->fname, i + 1, names[i], what, format_type_be(type)),
					 errhint("Cast it to text in the query, e.g. SELECT id::text AS %s.", names[i])));
	}
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	IdentityReceiver *r = (IdentityReceiver *) self;

	if (++r->statements > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be one statement", r->w->opt->fname, r->previous ? "previous" : "query"),
				 errhint("Combine identifier kinds with UNION ALL in one SELECT.")));
	CheckQueryColumns(r->w, r->previous, desc);
}

/* a text datum's bytes, detoasted into the row context when compressed or out of line */
static inline const char *
datum_bytes(IdentityReceiver *r, Datum d, uint32 *len, bool *detoasted)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	/*
	 * An out-of-line TOAST pointer also has a one-byte header (VARATT_IS_SHORT
	 * is true of it), so test for external and compressed values themselves.
	 */
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
	{
		MemoryContext old = MemoryContextSwitchTo(r->row_cxt);

		v = pg_detoast_datum_packed(v);
		MemoryContextSwitchTo(old);
		*detoasted = true;
	}
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

#if defined(__GNUC__) || defined(__clang__)
#define prefetch_read(p)	__builtin_prefetch((p), 0, 3)
#else
#define prefetch_read(p)	((void) 0)
#endif

/* a copy of a key in the batch buffer: its offset there */
static uint32
batch_add(Work *w, const char *s, uint32 len)
{
	uint32		off;

	if (w->batch_used + len > w->batch_size)
	{
		Size		newsize = Max(w->batch_size * 2, Max(w->batch_used + len, BATCH_BYTES + 8192));

		CheckMemory(w, newsize - w->batch_size);
		w->batch_bytes = w->batch_bytes == NULL ? MemoryContextAllocHuge(w->cxt, newsize) :
			repalloc_huge(w->batch_bytes, newsize);
		w->batch_size = newsize;
	}
	off = (uint32) w->batch_used;
	memcpy(w->batch_bytes + off, s, len);
	w->batch_used += len;
	return off;
}

/* the bucket of hash in tab, and the arena bytes of the keys there with the same hash */
static inline void
prefetch_bucket(const strtab_hash *tab, uint32 hash)
{
	prefetch_read(&tab->data[hash & tab->sizemask]);
}

static inline void
prefetch_keys(const Work *w, const strtab_hash *tab, uint32 hash)
{
	uint32		b = hash & tab->sizemask;

	for (int i = 0; i < PEEK_SLOTS; i++)
	{
		const StrEntry *e = &tab->data[(b + i) & tab->sizemask];

		if (e->status != strtab_SH_IN_USE)
			break;
		if (e->hash == hash)
			prefetch_read(w->arena.bytes + e->key.off);
	}
}

/* intern the batch's rows, in order (see "batched interning") */
static void
flush_batch(Work *w)
{
	PendingRow *b = w->batch;
	int			n = w->nbatch;
	const char *bytes = w->batch_bytes;

	for (int i = 0; i < n; i++)
	{
		b[i].rec_hash = key_hash(bytes + b[i].rec_off, b[i].rec_len, 0);
		prefetch_bucket(w->records, b[i].rec_hash);
		if (b[i].type != NO_INDEX)
		{
			/* type + 1: 0 means "no type" to the hash */
			b[i].val_hash = key_hash(bytes + b[i].val_off, b[i].val_len, b[i].type + 1);
			prefetch_bucket(w->idents, b[i].val_hash);
		}
	}
	for (int i = 0; i < n; i++)
	{
		prefetch_keys(w, w->records, b[i].rec_hash);
		if (b[i].type != NO_INDEX)
			prefetch_keys(w, w->idents, b[i].val_hash);
	}
	for (int i = 0; i < n; i++)
	{
		uint32		rec;
		uint32		ident;

		rec = intern_hashed(w, w->records, &w->rec_key, &w->rec_cap, &w->nrec,
							bytes + b[i].rec_off, b[i].rec_len, 0, b[i].rec_hash);
		if (b[i].type == NO_INDEX)
			continue;			/* the record exists, without this identifier */
		ident = intern_hashed(w, w->idents, &w->ident_key, &w->ident_cap, &w->nident,
							  bytes + b[i].val_off, b[i].val_len, b[i].type + 1, b[i].val_hash);

		if (w->npairs >= w->pair_cap)
		{
			Size		newcap = w->pair_cap == 0 ? 4096 : w->pair_cap * 2;

			if (newcap > MaxAllocHugeSize / sizeof(RecPair))
				newcap = MaxAllocHugeSize / sizeof(RecPair);
			if (newcap <= w->pair_cap)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("%s: too many identifier rows", w->opt->fname),
						 errhint("Resolve the input in parts (docs/identity.md, \"Limits\").")));
			CheckMemory(w, (newcap - w->pair_cap) * sizeof(RecPair));
			w->pairs = w->pairs == NULL ? MemoryContextAllocHuge(w->cxt, newcap * sizeof(RecPair)) :
				repalloc_huge(w->pairs, newcap * sizeof(RecPair));
			w->pair_cap = newcap;
		}
		w->pairs[w->npairs].rec = rec;
		w->pairs[w->npairs].ident = ident;
		w->npairs++;
	}
	w->nbatch = 0;
	w->batch_used = 0;
	if (w->batch_size > BATCH_KEEP)
	{
		pfree(w->batch_bytes);
		w->batch_bytes = NULL;
		w->batch_size = 0;
	}
}

static void
receive_identifier_row(IdentityReceiver *r, Work *w, TupleTableSlot *slot, bool *detoasted)
{
	PendingRow *row;
	const char *s;
	uint32		len;

	if (slot->tts_isnull[0])
	{
		w->null_ids++;
		return;
	}
	row = &w->batch[w->nbatch];
	s = datum_bytes(r, slot->tts_values[0], &len, detoasted);
	row->rec_off = batch_add(w, s, len);
	row->rec_len = len;
	row->type = NO_INDEX;
	if (!slot->tts_isnull[1] && !slot->tts_isnull[2])
	{
		uint32		type;

		s = datum_bytes(r, slot->tts_values[1], &len, detoasted);
		if (w->last_type != NO_INDEX && w->type_key[w->last_type].len == len &&
			memcmp(str_of(w, w->type_key[w->last_type]), s, len) == 0)
			type = w->last_type;
		else
		{
			type = intern(w, w->types, &w->type_key, &w->type_cap, &w->ntype, s, len, 0);
			w->last_type = type;
		}
		s = datum_bytes(r, slot->tts_values[2], &len, detoasted);
		row->val_off = batch_add(w, s, len);
		row->val_len = len;
		row->type = type;
	}
	if (++w->nbatch == BATCH_ROWS || w->batch_used >= BATCH_BYTES)
		flush_batch(w);
}

/* previous: record -> its old unified ID (an index into prev_ids) */
typedef struct PrevState
{
	strtab_hash *ids;
	StrKey	   *id_key;
	uint32		id_cap;
	uint32		nid;
	uint32	   *rec_prev;		/* per record (grown with the records), NO_INDEX if none */
	uint32		rec_prev_cap;
	uint32	   *id_size;		/* records carrying the ID in previous */
	uint32		id_size_cap;
} PrevState;

static PrevState *current_prev;

static void
receive_previous_row(IdentityReceiver *r, Work *w, TupleTableSlot *slot, bool *detoasted)
{
	PrevState  *p = current_prev;
	const char *s;
	uint32		len;
	uint32		rec;
	uint32		id;
	uint32		before = p->nid;

	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;
	s = datum_bytes(r, slot->tts_values[0], &len, detoasted);
	rec = intern(w, w->records, &w->rec_key, &w->rec_cap, &w->nrec, s, len, 0);
	s = datum_bytes(r, slot->tts_values[1], &len, detoasted);
	id = intern(w, p->ids, &p->id_key, &p->id_cap, &p->nid, s, len, 0);
	if (p->nid > before)
	{
		while (p->id_size_cap < p->nid)
			p->id_size = grow_array(w, p->id_size, &p->id_size_cap, sizeof(uint32));
		p->id_size[id] = 0;
	}
	while (p->rec_prev_cap < w->nrec)
	{
		uint32		old = p->rec_prev_cap;

		p->rec_prev = grow_array(w, p->rec_prev, &p->rec_prev_cap, sizeof(uint32));
		memset(p->rec_prev + old, 0xFF, (p->rec_prev_cap - old) * sizeof(uint32));
	}
	if (p->rec_prev[rec] == NO_INDEX)
	{
		p->rec_prev[rec] = id;
		p->id_size[id]++;
	}
	else if (p->rec_prev[rec] != id)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("%s: record_id \"%s\" has two unified_ids in previous, \"%s\" and \"%s\"",
						w->opt->fname, text_to_cstring(key_text(w, w->rec_key[rec])),
						text_to_cstring(key_text(w, p->id_key[p->rec_prev[rec]])),
						text_to_cstring(key_text(w, p->id_key[id]))),
				 errhint("previous must give one unified_id per record, as the last run's result does.")));
}

static bool
receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	IdentityReceiver *r = (IdentityReceiver *) self;
	Work	   *w = r->w;
	bool		detoasted = false;

	slot_getallattrs(slot);
	w->rows++;
	if (r->previous)
		receive_previous_row(r, w, slot, &detoasted);
	else
		receive_identifier_row(r, w, slot, &detoasted);
	if (detoasted)
		MemoryContextReset(r->row_cxt);
	if ((w->rows & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	return true;
}

static void
receiver_shutdown(DestReceiver *self)
{
}

static void
receiver_destroy(DestReceiver *self)
{
}

#if PG_VERSION_NUM >= 140000
/* the planner's estimate of the rows a prepared query returns (0 when it has none) */
static double
estimated_rows(SPIPlanPtr plan)
{
	CachedPlan *cplan = SPI_plan_get_cached_plan(plan);
	double		rows = 0;
	ListCell   *lc;

	if (cplan == NULL)
		return 0;
	foreach(lc, cplan->stmt_list)
	{
		PlannedStmt *stmt = lfirst_node(PlannedStmt, lc);

		if (stmt->commandType == CMD_SELECT && stmt->planTree != NULL)
			rows = Max(rows, stmt->planTree->plan_rows);
	}
	ReleaseCachedPlan(cplan, NULL);		/* an unsaved plan: no resource owner */
	return rows;
}

/*
 * Size the record and identifier tables for the rows the planner expects before reading
 * them, instead of doubling them from 1,024 entries: every doubling zeroes a new table and
 * re-inserts every key at a random place in it, which cost about a tenth of the run on 6
 * million rows.  Typical inputs carry two or three identifiers a record, so the records'
 * table is sized for half the rows, the identifiers' for all of them.  At most a quarter of
 * omni.identity_memory_limit goes to this (a wrong estimate only costs growth later).
 */
static void
presize_tables(Work *w, double rows)
{
	double		most = (double) w->limit / 4 / 2 / sizeof(StrEntry) * SH_FILLFACTOR_USED;

	rows = Min(rows, most);
	if (rows <= 2048 || w->nrec > 0 || w->nident > 0)
		return;
	strtab_destroy(w->records);
	w->records = strtab_create(w->cxt, (uint32) (rows / 2), &w->arena);
	strtab_destroy(w->idents);
	w->idents = strtab_create(w->cxt, (uint32) rows, &w->arena);
}
#endif

static void
run_query(Work *w, const char *sql, bool previous)
{
	IdentityReceiver r;
#if PG_VERSION_NUM >= 140000
	SPIExecuteOptions options;
#endif
	int			rc;

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = receiver_receive;
	r.pub.rStartup = receiver_startup;
	r.pub.rShutdown = receiver_shutdown;
	r.pub.rDestroy = receiver_destroy;
	r.pub.mydest = DestNone;
	r.w = w;
	r.previous = previous;
	r.row_cxt = AllocSetContextCreate(w->cxt, "omni identity row", ALLOCSET_SMALL_SIZES);

	w->rows = 0;
#if PG_VERSION_NUM >= 140000
	{
		/* straight into the receiver: streamed, and the plan may be parallel */
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, 0, NULL, CURSOR_OPT_PARALLEL_OK);

		rc = plan == NULL ? SPI_result : 0;
		if (plan != NULL)
		{
			if (!previous)
				presize_tables(w, estimated_rows(plan));
			memset(&options, 0, sizeof(options));
			options.read_only = false;
			options.dest = (DestReceiver *) &r;
			rc = SPI_execute_plan_extended(plan, &options);
			SPI_freeplan(plan);
		}
	}
#else
	{
		/* PostgreSQL 13: a cursor, fetched in batches */
		Portal		portal;
		SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

		rc = plan == NULL ? SPI_result : 0;
		if (plan != NULL)
		{
			TupleTableSlot *slot = NULL;

			portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
			for (;;)
			{
				SPI_cursor_fetch(portal, true, 10000);
				if (slot == NULL)
				{
					receiver_startup((DestReceiver *) &r, CMD_SELECT, SPI_tuptable->tupdesc);
					slot = MakeSingleTupleTableSlot(SPI_tuptable->tupdesc, &TTSOpsHeapTuple);
				}
				if (SPI_processed == 0)
					break;
				for (uint64 t = 0; t < SPI_processed; t++)
				{
					ExecStoreHeapTuple(SPI_tuptable->vals[t], slot, false);
					receiver_receive(slot, (DestReceiver *) &r);
				}
				SPI_freetuptable(SPI_tuptable);
			}
			ExecDropSingleTupleTableSlot(slot);
			SPI_cursor_close(portal);
		}
	}
#endif
	if (!previous)
		flush_batch(w);			/* the last rows */
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s could not be run: %s", w->opt->fname,
						previous ? "previous" : "query", SPI_result_code_string(rc))));
	if (r.statements == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s returns no rows", w->opt->fname, previous ? "previous" : "query"),
				 errhint("It must be a SELECT (or another statement returning rows).")));
	MemoryContextDelete(r.row_cxt);
}

/* ---------- options ---------- */

static void
read_options(FunctionCallInfo fcinfo, IdentityOptions *opt, const char *fname, bool with_previous)
{
	memset(opt, 0, sizeof(*opt));
	opt->fname = fname;
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: query must not be NULL", fname),
				 errhint("Pass the text of a SELECT returning (record_id, identifier_type, identifier_value).")));
	opt->query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
	{
		int32		n = PG_GETARG_INT32(1);

		if (n < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: max_shared must be at least 1, not %d", fname, n),
					 errhint("max_shared is the most records one identifier value may link; NULL means no limit.")));
		opt->max_shared = n;
	}
	if (!PG_ARGISNULL(2))
		opt->blocklist = PG_GETARG_ARRAYTYPE_P(2);
	if (!PG_ARGISNULL(3))
		opt->max_per_type = PG_GETARG_JSONB_P(3);
	if (with_previous && !PG_ARGISNULL(4))
		opt->previous = text_to_cstring(PG_GETARG_TEXT_PP(4));
}

/* max_per_type: {"email": 3, ...} -> cap per known type */
static void
read_caps(Work *w)
{
	Jsonb	   *j = w->opt->max_per_type;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;
	int			keylen = 0;

	w->type_cap_of = MemoryContextAllocZero(w->cxt, Max(w->ntype, 1) * sizeof(uint32));
	if (j == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: max_per_type must be a jsonb object, not %s", w->opt->fname,
						JsonbToCString(NULL, &j->root, VARSIZE(j))),
				 errhint("Map identifier types to the most distinct values of that type one cluster may hold, e.g. '{\"email\": 3}'.")));
	it = JsonbIteratorInit(&j->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = v.val.string.val;
			keylen = v.val.string.len;
		}
		else if (tok == WJB_VALUE)
		{
			int32		cap = 0;
			uint32		type;
			bool		ok = v.type == jbvNumeric;

			if (ok)
			{
				Numeric		n = v.val.numeric;

				ok = !numeric_is_nan(n) &&
					DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
													 DirectFunctionCall1(numeric_floor, NumericGetDatum(n))));
				if (ok)
				{
					bool		err = false;

					cap = numeric_int4_opt_error(n, &err);
					ok = !err && cap >= 1;
				}
			}
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: max_per_type of \"%.*s\" must be a positive integer", w->opt->fname, keylen, key),
						 errhint("Map identifier types to the most distinct values of that type one cluster may hold, e.g. '{\"email\": 3}'.")));
			type = lookup(w, w->types, key, keylen, 0);
			if (type != NO_INDEX)
			{
				if (w->type_cap_of[type] == 0)
					w->ncapped++;
				w->type_cap_of[type] = cap;
			}
		}
	}
}

/* ---------- grouping and guardrails ---------- */

static int
cmp_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* sort a small run of record indexes (most identifiers hold one to three) */
static void
sort_small(uint32 *m, uint32 n)
{
	if (n > 16)
	{
		qsort(m, n, sizeof(uint32), cmp_uint32);
		return;
	}
	for (uint32 i = 1; i < n; i++)
	{
		uint32		x = m[i];
		uint32		j = i;

		while (j > 0 && m[j - 1] > x)
		{
			m[j] = m[j - 1];
			j--;
		}
		m[j] = x;
	}
}


/*
 * Bucket the pairs by identifier, de-duplicate each identifier's records and flag the
 * identifiers the guardrails ignore.  The pair array is freed.
 */
static void
build_groups(Work *w)
{
	uint32		i;
	Size		p;
	uint32	   *fill;

	w->group_start = work_alloc(w, (Size) (w->nident + 1) * sizeof(uint32), true);
	w->group_len = work_alloc(w, (Size) w->nident * sizeof(uint32), true);
	w->ident_flags = work_alloc(w, w->nident, true);
	w->members = work_alloc(w, w->npairs * sizeof(uint32), false);

	for (p = 0; p < w->npairs; p++)
		w->group_start[w->pairs[p].ident + 1]++;
	for (i = 0; i < w->nident; i++)
		w->group_start[i + 1] += w->group_start[i];
	fill = w->group_len;		/* as the fill cursor, then as the lengths */
	for (p = 0; p < w->npairs; p++)
	{
		uint32		id = w->pairs[p].ident;

		w->members[w->group_start[id] + fill[id]++] = w->pairs[p].rec;
		if ((p & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (w->pairs != NULL)
		pfree(w->pairs);
	w->pairs = NULL;
	w->pair_cap = 0;

	for (i = 0; i < w->nident; i++)
	{
		uint32	   *m = w->members + w->group_start[i];
		uint32		n = w->group_len[i];
		uint32		k = 0;

		if (n > 1)
		{
			sort_small(m, n);
			for (uint32 j = 0; j < n; j++)
				if (j == 0 || m[j] != m[j - 1])
					m[k++] = m[j];
			w->group_len[i] = k;
		}
		if (w->opt->max_shared > 0 && w->group_len[i] > w->opt->max_shared)
			w->ident_flags[i] |= IDENT_SHARED;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	/* the blocklist: any type, exact value */
	if (w->opt->blocklist != NULL)
	{
		Datum	   *values;
		bool	   *nulls;
		int			n;
		strtab_hash *blocked;
		uint32		nblocked = 0;
		uint32		cap = 0;
		StrKey	   *keys = NULL;

		deconstruct_array(w->opt->blocklist, TEXTOID, -1, false, TYPALIGN_INT, &values, &nulls, &n);
		blocked = strtab_create(w->cxt, Max(n, 16), &w->arena);
		for (int b = 0; b < n; b++)
			if (!nulls[b])
			{
				text	   *t = DatumGetTextPP(values[b]);

				intern(w, blocked, &keys, &cap, &nblocked, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 0);
			}
		if (nblocked > 0)
			for (i = 0; i < w->nident; i++)
			{
				StrKey		k = w->ident_key[i];

				if (lookup(w, blocked, str_of(w, k), k.len, 0) != NO_INDEX)
					w->ident_flags[i] |= IDENT_BLOCKED;
			}
	}
}

/* ---------- union-find ---------- */

static inline uint32
uf_find(uint32 *parent, uint32 x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void
uf_create(Work *w)
{
	w->parent = work_alloc(w, (Size) w->nrec * sizeof(uint32), false);
	w->size = work_alloc(w, (Size) w->nrec * sizeof(uint32), false);
	for (uint32 r = 0; r < w->nrec; r++)
	{
		w->parent[r] = r;
		w->size[r] = 1;
	}
}

/* union of two roots: the larger becomes the root (ties: the smaller index) */
static inline uint32
uf_link(Work *w, uint32 ra, uint32 rb)
{
	if (w->size[ra] < w->size[rb] || (w->size[ra] == w->size[rb] && rb < ra))
	{
		uint32		t = ra;

		ra = rb;
		rb = t;
	}
	w->parent[rb] = ra;
	w->size[ra] += w->size[rb];
	return ra;
}

/* ---------- per-type caps ---------- */

/* each record's capped identifiers (sorted by index), as its root's starting set */
static void
build_cap_sets(Work *w)
{
	uint32	   *count;

	w->cap_set = work_alloc(w, (Size) w->nrec * sizeof(uint32 *), true);
	w->cap_set_len = work_alloc(w, (Size) w->nrec * sizeof(uint32), true);
	count = w->cap_set_len;
	for (uint32 i = 0; i < w->nident; i++)
	{
		if (w->type_cap_of[w->ident_key[i].type - 1] == 0 || (w->ident_flags[i] & (IDENT_BLOCKED | IDENT_SHARED)))
			continue;
		for (uint32 j = 0; j < w->group_len[i]; j++)
			count[w->members[w->group_start[i] + j]]++;
	}
	for (uint32 r = 0; r < w->nrec; r++)
		if (count[r] > 0)
		{
			w->cap_set[r] = work_alloc(w, count[r] * sizeof(uint32), false);
			count[r] = 0;
		}
	/* identifiers in index order, so each set comes out sorted */
	for (uint32 i = 0; i < w->nident; i++)
	{
		if (w->type_cap_of[w->ident_key[i].type - 1] == 0 || (w->ident_flags[i] & (IDENT_BLOCKED | IDENT_SHARED)))
			continue;
		for (uint32 j = 0; j < w->group_len[i]; j++)
		{
			uint32		r = w->members[w->group_start[i] + j];

			w->cap_set[r][count[r]++] = i;
		}
	}
}

/*
 * May roots ra and rb merge without a cluster holding more distinct values of a capped type
 * than its cap?  If so, the merged set is left in *merged (palloc'd) with its length.
 */
static bool
caps_allow(Work *w, uint32 ra, uint32 rb, uint32 **merged, uint32 *merged_len, uint32 *per_type)
{
	uint32	   *a = w->cap_set[ra];
	uint32	   *b = w->cap_set[rb];
	uint32		na = w->cap_set_len[ra];
	uint32		nb = w->cap_set_len[rb];
	uint32	   *out;
	uint32		n = 0,
				i = 0,
				j = 0;
	bool		ok = true;

	if (na == 0 || nb == 0)
	{
		*merged = na == 0 ? b : a;
		*merged_len = na + nb;
		return true;
	}
	CheckMemory(w, (na + nb) * sizeof(uint32));
	out = MemoryContextAlloc(w->cxt, (na + nb) * sizeof(uint32));
	w->extra += (na + nb) * sizeof(uint32);
	while (i < na || j < nb)
	{
		uint32		x;

		if (j >= nb || (i < na && a[i] < b[j]))
			x = a[i++];
		else if (i >= na || b[j] < a[i])
			x = b[j++];
		else
		{
			x = a[i++];
			j++;
		}
		out[n++] = x;
	}
	/* count per capped type */
	for (uint32 k = 0; k < n; k++)
		per_type[w->ident_key[out[k]].type - 1]++;
	for (uint32 k = 0; k < n; k++)
	{
		uint32		t = w->ident_key[out[k]].type - 1;

		if (per_type[t] > w->type_cap_of[t])
			ok = false;
		per_type[t] = 0;
	}
	if (!ok)
	{
		pfree(out);
		return false;
	}
	*merged = out;
	*merged_len = n;
	return true;
}

/* ---------- the resolution ---------- */

/* identifiers strongest first: fewest records, then type, then value (byte order) */
static int
cmp_ident_strength(const void *a, const void *b, void *arg)
{
	const Work *w = (const Work *) arg;
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;
	int			c;

	if (w->group_len[x] != w->group_len[y])
		return w->group_len[x] < w->group_len[y] ? -1 : 1;
	c = key_cmp(w, w->type_key[w->ident_key[x].type - 1], w->type_key[w->ident_key[y].type - 1]);
	if (c != 0)
		return c;
	return key_cmp(w, w->ident_key[x], w->ident_key[y]);
}

static int
cmp_record_id(const void *a, const void *b, void *arg)
{
	const Work *w = (const Work *) arg;

	return key_cmp(w, w->rec_key[*(const uint32 *) a], w->rec_key[*(const uint32 *) b]);
}

static void
add_link(Work *w, uint32 a, uint32 b, uint32 ident)
{
	if (w->nlinks >= w->links_cap)
	{
		uint32		cap = (uint32) w->links_cap;
		uint32		c2 = cap,
					c3 = cap;

		w->link_a = grow_array(w, w->link_a, &cap, sizeof(uint32));
		w->link_b = grow_array(w, w->link_b, &c2, sizeof(uint32));
		w->link_ident = grow_array(w, w->link_ident, &c3, sizeof(uint32));
		w->links_cap = cap;
	}
	w->link_a[w->nlinks] = a;
	w->link_b[w->nlinks] = b;
	w->link_ident[w->nlinks] = ident;
	w->nlinks++;
}

static void
resolve(Work *w)
{
	build_groups(w);
	read_caps(w);
	uf_create(w);

	if (w->ncapped == 0 && !w->want_links)
	{
		/* any order gives the same partition */
		for (uint32 i = 0; i < w->nident; i++)
		{
			const uint32 *m = w->members + w->group_start[i];
			uint32		n = w->group_len[i];

			if (n < 2 || w->ident_flags[i] != 0)
				continue;
			for (uint32 j = 1; j < n; j++)
			{
				uint32		ra = uf_find(w->parent, m[0]);
				uint32		rb = uf_find(w->parent, m[j]);

				if (ra != rb)
					uf_link(w, ra, rb);
			}
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		return;
	}
	else
	{
		uint32	   *order;
		uint32		norder = 0;
		uint32	   *per_type = NULL;

		order = work_alloc(w, (Size) w->nident * sizeof(uint32), false);
		for (uint32 i = 0; i < w->nident; i++)
			if (w->group_len[i] >= 2 && w->ident_flags[i] == 0)
				order[norder++] = i;
		qsort_arg(order, norder, sizeof(uint32), cmp_ident_strength, w);
		if (w->ncapped > 0)
		{
			build_cap_sets(w);
			per_type = MemoryContextAllocZero(w->cxt, Max(w->ntype, 1) * sizeof(uint32));
		}

		for (uint32 o = 0; o < norder; o++)
		{
			uint32		i = order[o];
			uint32	   *m = w->members + w->group_start[i];
			uint32		n = w->group_len[i];

			qsort_arg(m, n, sizeof(uint32), cmp_record_id, w);
			for (uint32 j = 1; j < n; j++)
			{
				uint32		ra = uf_find(w->parent, m[0]);
				uint32		rb = uf_find(w->parent, m[j]);
				uint32	   *merged = NULL;
				uint32		merged_len = 0;
				uint32		root;

				if (ra == rb)
					continue;
				if (w->ncapped > 0 && !caps_allow(w, ra, rb, &merged, &merged_len, per_type))
				{
					w->ident_flags[i] |= IDENT_REFUSED;
					w->refused_links++;
					continue;
				}
				root = uf_link(w, ra, rb);
				if (w->ncapped > 0)
				{
					w->cap_set[root] = merged;
					w->cap_set_len[root] = merged_len;
				}
				if (w->want_links)
					add_link(w, m[0], m[j], i);
			}
			if ((o & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
}

/* ---------- entry points ---------- */

static Tuplestorestate *
materialize(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "omni: return type must be a row type");
	*desc = CreateTupleDescCopy(*desc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return store;
}

/* stream the query (and previous), resolve; SPI is connected on return */
static Work *
run(const IdentityOptions *opt, bool want_links)
{
	Work	   *w = work_create(opt);

	w->want_links = want_links;
	SPI_connect();
	run_query(w, opt->query, false);
	w->ncurrent = w->nrec;
	resolve(w);
	return w;
}

static void
notice_guardrails(const Work *w)
{
	uint64		blocked = 0,
				shared = 0;

	for (uint32 i = 0; i < w->nident; i++)
	{
		if (w->ident_flags[i] & IDENT_BLOCKED)
			blocked++;
		else if (w->ident_flags[i] & IDENT_SHARED)
			shared++;
	}
	if (blocked > 0 || shared > 0 || w->refused_links > 0)
		ereport(NOTICE,
				(errmsg("%s: guardrails ignored " UINT64_FORMAT " identifier values (" UINT64_FORMAT " on the blocklist, " UINT64_FORMAT " shared by more than max_shared records) and refused " UINT64_FORMAT " links over max_per_type",
						w->opt->fname, blocked + shared, blocked, shared, w->refused_links),
				 errhint("omni.identity_guardrail_report(...) with the same arguments lists them.")));
	if (w->null_ids > 0)
		ereport(NOTICE,
				(errmsg("%s: skipped " UINT64_FORMAT " rows with a NULL record_id", w->opt->fname, w->null_ids)));
}

/*
 * The unified ID of each root, with previous: old IDs go to the new clusters that carry
 * most of their records (then the larger previous cluster, then the smaller ID); each
 * cluster takes at most one and each ID goes to at most one cluster.  The rest get their
 * smallest record_id, or, when that was an ID in previous (or is taken), the same with
 * "~2", "~3", ... appended.
 */
typedef struct Candidate
{
	uint32		root;
	uint32		id;
	uint32		overlap;
} Candidate;

typedef struct AssignCtx
{
	Work	   *w;
	PrevState  *p;
	uint32	   *minrec;
} AssignCtx;

static int
cmp_root_id(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id ? 1 : 0);
}

static int
cmp_candidate(const void *a, const void *b, void *arg)
{
	const AssignCtx *c = arg;
	const Candidate *x = a;
	const Candidate *y = b;
	int			k;

	if (x->overlap != y->overlap)
		return x->overlap > y->overlap ? -1 : 1;
	if (c->p->id_size[x->id] != c->p->id_size[y->id])
		return c->p->id_size[x->id] > c->p->id_size[y->id] ? -1 : 1;
	k = key_cmp(c->w, c->p->id_key[x->id], c->p->id_key[y->id]);
	if (k != 0)
		return k;
	return key_cmp(c->w, c->w->rec_key[c->minrec[x->root]], c->w->rec_key[c->minrec[y->root]]);
}

static int
cmp_root_by_minrec(const void *a, const void *b, void *arg)
{
	const AssignCtx *c = arg;

	return key_cmp(c->w, c->w->rec_key[c->minrec[*(const uint32 *) a]],
				   c->w->rec_key[c->minrec[*(const uint32 *) b]]);
}

/* per root: the unified ID as a key into the arena */
static StrKey *
assign_ids(Work *w, PrevState *p, uint32 *minrec)
{
	StrKey	   *uid;
	Candidate  *cand;
	Size		ncand = 0;
	Size		k;
	bool	   *id_used;
	uint32	   *pending;
	uint32		npending = 0;
	AssignCtx	ctx = {w, p, minrec};

	uid = work_alloc(w, (Size) w->ncurrent * sizeof(StrKey), false);
	for (uint32 r = 0; r < w->ncurrent; r++)
		uid[r].len = PG_UINT32_MAX;
	cand = work_alloc(w, (Size) w->ncurrent * sizeof(Candidate), false);
	for (uint32 r = 0; r < w->ncurrent; r++)
		if (r < p->rec_prev_cap && p->rec_prev[r] != NO_INDEX)
		{
			cand[ncand].root = uf_find(w->parent, r);
			cand[ncand].id = p->rec_prev[r];
			cand[ncand].overlap = 1;
			ncand++;
		}
	qsort(cand, ncand, sizeof(Candidate), cmp_root_id);
	/* runs of (root, id) -> one candidate with its overlap */
	{
		Size		out = 0;

		for (k = 0; k < ncand; k++)
		{
			if (out > 0 && cand[out - 1].root == cand[k].root && cand[out - 1].id == cand[k].id)
				cand[out - 1].overlap++;
			else
				cand[out++] = cand[k];
		}
		ncand = out;
	}
	qsort_arg(cand, ncand, sizeof(Candidate), cmp_candidate, &ctx);
	id_used = work_alloc(w, p->nid, true);
	for (k = 0; k < ncand; k++)
	{
		Candidate  *c = &cand[k];

		if (uid[c->root].len != PG_UINT32_MAX || id_used[c->id])
			continue;
		uid[c->root] = p->id_key[c->id];
		id_used[c->id] = true;
	}

	/* new clusters: the smallest record_id, unless it is (or was) someone's ID */
	pending = (uint32 *) cand;	/* reused: ncurrent entries fit */
	for (uint32 r = 0; r < w->ncurrent; r++)
	{
		StrKey		k2;

		if (w->parent[r] != r || uid[r].len != PG_UINT32_MAX)
			continue;
		k2 = w->rec_key[minrec[r]];
		if (lookup(w, p->ids, str_of(w, k2), k2.len, 0) == NO_INDEX)
		{
			uid[r] = k2;
			/* now taken: a suffixed ID below must not repeat it */
			intern(w, p->ids, &p->id_key, &p->id_cap, &p->nid, str_of(w, k2), k2.len, 0);
		}
		else
			pending[npending++] = r;
	}
	qsort_arg(pending, npending, sizeof(uint32), cmp_root_by_minrec, &ctx);
	for (uint32 q = 0; q < npending; q++)
	{
		uint32		r = pending[q];
		StrKey		base = w->rec_key[minrec[r]];

		for (uint32 n = 2;; n++)
		{
			char	   *s = psprintf("%.*s~%u", (int) base.len, str_of(w, base), n);
			uint32		len = strlen(s);
			uint32		before = p->nid;
			uint32		id = intern(w, p->ids, &p->id_key, &p->id_cap, &p->nid, s, len, 0);

			pfree(s);
			if (p->nid > before)
			{
				uid[r] = p->id_key[id];
				break;
			}
			CHECK_FOR_INTERRUPTS();
		}
	}
	return uid;
}

Datum
resolve_identities(PG_FUNCTION_ARGS)
{
	IdentityOptions opt;
	Work	   *w;
	TupleDesc	desc;
	Tuplestorestate *store;
	uint32	   *minrec;
	StrKey	   *uid = NULL;
	MemoryContext row_cxt;
	MemoryContext caller = CurrentMemoryContext;

	read_options(fcinfo, &opt, "omni.resolve_identities", true);
	store = materialize(fcinfo, &desc);
	w = run(&opt, false);
	MemoryContextSwitchTo(caller);

	/* each root's smallest record_id */
	minrec = work_alloc(w, (Size) w->nrec * sizeof(uint32), false);
	for (uint32 r = 0; r < w->nrec; r++)
		minrec[r] = NO_INDEX;
	for (uint32 r = 0; r < w->ncurrent; r++)
	{
		uint32		root = uf_find(w->parent, r);

		if (minrec[root] == NO_INDEX || key_cmp(w, w->rec_key[r], w->rec_key[minrec[root]]) < 0)
			minrec[root] = r;
	}

	if (opt.previous != NULL)
	{
		PrevState  *p = MemoryContextAllocZero(w->cxt, sizeof(PrevState));

		p->ids = strtab_create(w->cxt, 1024, &w->arena);
		current_prev = p;
		run_query(w, opt.previous, true);
		current_prev = NULL;
		uid = assign_ids(w, p, minrec);
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);

	row_cxt = AllocSetContextCreate(w->cxt, "omni identity output", ALLOCSET_DEFAULT_SIZES);
	for (uint32 r = 0; r < w->ncurrent; r++)
	{
		uint32		root = uf_find(w->parent, r);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		MemoryContext old = MemoryContextSwitchTo(row_cxt);

		values[0] = PointerGetDatum(key_text(w, w->rec_key[r]));
		values[1] = PointerGetDatum(key_text(w, uid != NULL ? uid[root] : w->rec_key[minrec[root]]));
		values[2] = Int32GetDatum((int32) Min(w->size[root], (uint32) PG_INT32_MAX));
		tuplestore_putvalues(store, desc, values, nulls);
		MemoryContextSwitchTo(old);
		if ((r & 0x3FF) == 0)
		{
			MemoryContextReset(row_cxt);
			CHECK_FOR_INTERRUPTS();
		}
	}
	notice_guardrails(w);
	MemoryContextDelete(w->cxt);
	return (Datum) 0;
}

Datum
identity_links(PG_FUNCTION_ARGS)
{
	IdentityOptions opt;
	Work	   *w;
	TupleDesc	desc;
	Tuplestorestate *store;
	MemoryContext caller = CurrentMemoryContext;

	read_options(fcinfo, &opt, "omni.identity_links", false);
	store = materialize(fcinfo, &desc);
	w = run(&opt, true);
	SPI_finish();
	MemoryContextSwitchTo(caller);

	for (Size k = 0; k < w->nlinks; k++)
	{
		StrKey		ident = w->ident_key[w->link_ident[k]];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = PointerGetDatum(key_text(w, w->rec_key[w->link_a[k]]));
		values[1] = PointerGetDatum(key_text(w, w->rec_key[w->link_b[k]]));
		values[2] = PointerGetDatum(key_text(w, w->type_key[ident.type - 1]));
		values[3] = PointerGetDatum(key_text(w, ident));
		tuplestore_putvalues(store, desc, values, nulls);
		for (int c = 0; c < 4; c++)
			pfree(DatumGetPointer(values[c]));
		if ((k & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(w->cxt);
	return (Datum) 0;
}

Datum
identity_guardrail_report(PG_FUNCTION_ARGS)
{
	IdentityOptions opt;
	Work	   *w;
	TupleDesc	desc;
	Tuplestorestate *store;
	MemoryContext caller = CurrentMemoryContext;

	read_options(fcinfo, &opt, "omni.identity_guardrail_report", false);
	store = materialize(fcinfo, &desc);
	w = run(&opt, false);
	SPI_finish();
	MemoryContextSwitchTo(caller);

	for (uint32 i = 0; i < w->nident; i++)
	{
		uint8		f = w->ident_flags[i];
		StrKey		ident = w->ident_key[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (f == 0)
			continue;
		values[0] = PointerGetDatum(key_text(w, w->type_key[ident.type - 1]));
		values[1] = PointerGetDatum(key_text(w, ident));
		values[2] = Int32GetDatum((int32) Min(w->group_len[i], (uint32) PG_INT32_MAX));
		values[3] = CStringGetTextDatum((f & IDENT_BLOCKED) ? "blocklist" :
										(f & IDENT_SHARED) ? "max_shared" : "max_per_type");
		tuplestore_putvalues(store, desc, values, nulls);
	}
	MemoryContextDelete(w->cxt);
	return (Datum) 0;
}
