/*
 * golden.c — the golden profile: survivorship aggregates that merge the records of one person
 * (one unified_id of omni.resolve_identities) into a single profile.
 *
 * omni.merge_profiles(attrs, updated_at [, priority [, rules]]) keeps, for every leaf of the
 * records' jsonb objects (nested objects are merged key by key, so a leaf is a path of keys),
 * the value that survives its rule: by default the non-null value from the highest-priority
 * source, then the most recent; per top-level key a rules object can ask for latest, earliest,
 * max, min, union (arrays of tags), any or all (booleans).  omni.merge_profiles_lineage keeps
 * each surviving value's source, priority and timestamp as well.
 *
 * Speed: the state is an expanded object (utils/expandeddatum.h) of the concrete type
 * omni.profile_state.  nodeAgg keeps a read-write expanded state owned by the aggregate
 * context between rows without flattening it, so each row costs one walk over its jsonb
 * (JEntries read in place, no iterator, no parse), one hash probe per leaf (simplehash keyed
 * by the path bytes) and a copy only of the values that win.  The state is flattened only
 * when PostgreSQL needs its bytes: a parallel worker's partial state, a stored value, the text
 * and binary forms.  Flat form = binary form: version byte, flags, rules, then entries sorted
 * by path so equal states have equal bytes; numbers in numeric's binary form and arrays in
 * jsonb text so that receiving a value re-validates every byte through PostgreSQL's own input.
 *
 * omni.latest(value, at) and omni.by_priority(value, priority, at) do the same for one typed
 * column (omni.pick_state: the winner's rank and its value in the type's binary form).
 *
 * Order never changes an answer: candidates are totally ordered (rule, then the documented
 * tie-breaks, then the value's bytes, then the source), so any order of rows and any plan give
 * the same result.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "common/hexform.h"

PG_FUNCTION_INFO_V1(profile_state_in);
PG_FUNCTION_INFO_V1(profile_state_out);
PG_FUNCTION_INFO_V1(profile_state_recv);
PG_FUNCTION_INFO_V1(profile_state_send);
PG_FUNCTION_INFO_V1(profile_merge_trans);
PG_FUNCTION_INFO_V1(profile_lineage_trans);
PG_FUNCTION_INFO_V1(profile_state_combine);
PG_FUNCTION_INFO_V1(golden_profile);
PG_FUNCTION_INFO_V1(profile_lineage);
PG_FUNCTION_INFO_V1(pick_state_in);
PG_FUNCTION_INFO_V1(pick_state_out);
PG_FUNCTION_INFO_V1(pick_state_recv);
PG_FUNCTION_INFO_V1(pick_state_send);
PG_FUNCTION_INFO_V1(pick_latest_trans);
PG_FUNCTION_INFO_V1(pick_priority_trans);
PG_FUNCTION_INFO_V1(pick_state_combine);
PG_FUNCTION_INFO_V1(pick_final);

#define PROFILE_STATE_VERSION 1
#define PF_LINEAGE	0x01			/* sources kept (merge_profiles_lineage) */
#define PF_ALL_FLAGS 0x01

#define MAX_DEPTH 64				/* nesting levels of objects merged key by key */

/* survivorship rules, in the wire format's numbering */
typedef enum GoldenRule
{
	RULE_PRIORITY = 0,
	RULE_LATEST,
	RULE_EARLIEST,
	RULE_MAX,
	RULE_MIN,
	RULE_UNION,
	RULE_ANY,
	RULE_ALL,
	RULE_COUNT
} GoldenRule;

static const char *const rule_names[RULE_COUNT] = {
	"priority", "latest", "earliest", "max", "min", "union", "any", "all"
};

/* value kinds, in the order max and min rank values of different JSON types */
#define VK_STRING	1
#define VK_NUMBER	2
#define VK_FALSE	3
#define VK_TRUE		4
#define VK_ARRAY	5				/* a jsonb array container (objects are merged, never values) */

/* a value with its rank: what a record offers for one path, and what survives */
typedef struct Cand
{
	const char *data;			/* string bytes, a Numeric, a JsonbContainer; NULL for booleans */
	int32		len;
	uint8		kind;			/* VK_* */
	int32		priority;
	TimestampTz at;
	const char *source;			/* NULL: none (merge_profiles, or a NULL source) */
	int32		source_len;
} Cand;

typedef struct PathKey
{
	const char *p;				/* segments, each a big-endian int32 length and the key's bytes */
	int32		len;
	uint32		hash;
} PathKey;

typedef struct GEntry
{
	PathKey		key;
	char		status;
	uint8		rule;
	int32		nelems;			/* 1, or a union's distinct elements */
	int32		maxelems;
	Cand		best;			/* not a union */
	Cand	   *elems;			/* a union: sorted by value */
} GEntry;

#define SH_PREFIX gtab
#define SH_ELEMENT_TYPE GEntry
#define SH_KEY_TYPE PathKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) ((k).hash)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).p, (b).p, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->key.hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct GRule
{
	char	   *key;
	int32		len;
	uint8		rule;
} GRule;

#define GOLDEN_MAGIC 0x60D1E401

typedef struct GoldenState
{
	ExpandedObjectHeader hdr;
	int32		magic;
	uint8		flags;			/* PF_* */
	bool		has_rules;		/* a rules argument was given (perhaps an empty object) */
	int32		nrules;
	GRule	   *rules;			/* sorted by key bytes */
	gtab_hash  *tab;
	StringInfo	flat;			/* cached binary form; NULL after a change */
} GoldenState;

static Size golden_get_flat_size(ExpandedObjectHeader *eohptr);
static void golden_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods golden_methods = {
	golden_get_flat_size,
	golden_flatten_into
};

/* ---------- comparisons: the total order of candidates ---------- */

static int
bytes_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* values: strings < numbers < false < true < arrays; within a kind by value, then bytes */
static int
value_cmp(const Cand *a, const Cand *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == VK_NUMBER)
	{
		int			c = DatumGetInt32(DirectFunctionCall2(numeric_cmp, PointerGetDatum(a->data),
														  PointerGetDatum(b->data)));

		if (c != 0)
			return c;
	}
	else if (a->kind == VK_FALSE || a->kind == VK_TRUE)
		return 0;
	/* strings in byte order (C collation); 1.0 against 1.00, and arrays, by their bytes */
	return bytes_cmp(a->data, a->len, b->data, b->len);
}

static int
source_cmp(const Cand *a, const Cand *b)
{
	if (a->source == NULL || b->source == NULL)
		return (a->source != NULL) - (b->source != NULL);
	return bytes_cmp(a->source, a->source_len, b->source, b->source_len);
}

#define CMP3(x, y) ((x) > (y) ? 1 : ((x) < (y) ? -1 : 0))

/* > 0 when a survives b under rule: the rule's order, then the documented tie-breaks */
static int
cand_cmp(const Cand *a, const Cand *b, uint8 rule)
{
	int			c;

	switch (rule)
	{
		case RULE_LATEST:
			if ((c = CMP3(a->at, b->at)) != 0 || (c = CMP3(a->priority, b->priority)) != 0)
				return c;
			break;
		case RULE_MAX:
		case RULE_ANY:
			if ((c = value_cmp(a, b)) != 0 || (c = CMP3(a->priority, b->priority)) != 0 ||
				(c = CMP3(a->at, b->at)) != 0)
				return c;
			break;
		case RULE_MIN:
		case RULE_EARLIEST:		/* the earliest date: ISO 8601 strings sort in time order */
		case RULE_ALL:
			if ((c = value_cmp(b, a)) != 0 || (c = CMP3(a->priority, b->priority)) != 0 ||
				(c = CMP3(a->at, b->at)) != 0)
				return c;
			break;
		default:				/* priority, and the lineage of each element of a union */
			if ((c = CMP3(a->priority, b->priority)) != 0 || (c = CMP3(a->at, b->at)) != 0)
				return c;
			break;
	}
	if ((c = value_cmp(a, b)) != 0)
		return c;
	return source_cmp(a, b);
}

static inline int32
get_be32(const char *p)
{
	uint32		n;

	memcpy(&n, p, 4);
	return (int32) pg_ntoh32(n);
}

static inline void
put_be32(char *p, int32 v)
{
	uint32		n = pg_hton32((uint32) v);

	memcpy(p, &n, 4);
}

/* ---------- state creation ---------- */

static GoldenState *
golden_new(MemoryContext parent, uint8 flags)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "omni profile_state", ALLOCSET_SMALL_SIZES);
	GoldenState *st = MemoryContextAllocZero(cxt, sizeof(GoldenState));

	EOH_init_header(&st->hdr, &golden_methods, cxt);
	st->magic = GOLDEN_MAGIC;
	st->flags = flags;
	st->tab = gtab_create(cxt, 32, NULL);
	return st;
}

static inline void
golden_changed(GoldenState *st)
{
	if (unlikely(st->flat != NULL))
	{
		pfree(st->flat->data);
		pfree(st->flat);
		st->flat = NULL;
	}
}

static void
state_error(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.profile_state: %s", detail),
			 errhint("Values of omni.profile_state come from its aggregates or from its own text or "
					 "binary output; they cannot be edited.")));
}

/* ---------- rules ---------- */

static int
rule_code(const char *name, int len, const char *key, int keylen)
{
	for (int r = 0; r < RULE_COUNT; r++)
		if ((int) strlen(rule_names[r]) == len && memcmp(rule_names[r], name, len) == 0)
			return r;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown survivorship rule \"%.*s\" for key \"%.*s\"", len, name, keylen, key),
			 errhint("Rules are priority, latest, earliest, max, min, union, any and all.")));
	return -1;
}

static int
grule_cmp(const void *a, const void *b)
{
	const GRule *x = a;
	const GRule *y = b;

	return bytes_cmp(x->key, x->len, y->key, y->len);
}

/* per-call cache (fn_extra): the last rules value parsed, and a path buffer */
typedef struct TransCache
{
	Jsonb	   *raw;			/* NULL until rules are seen */
	int32		nrules;
	GRule	   *rules;
	StringInfoData path;
} TransCache;

static TransCache *
trans_cache(FunctionCallInfo fcinfo)
{
	TransCache *tc = fcinfo->flinfo->fn_extra;

	if (tc == NULL)
	{
		tc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TransCache));
		tc->path.data = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, 256);
		tc->path.maxlen = 256;
		fcinfo->flinfo->fn_extra = tc;
	}
	return tc;
}

static void
parse_rules(FunctionCallInfo fcinfo, TransCache *tc, Jsonb *rules)
{
	MemoryContext old;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (tc->raw && VARSIZE(tc->raw) == VARSIZE(rules) && memcmp(tc->raw, rules, VARSIZE(rules)) == 0)
		return;
	if (!JB_ROOT_IS_OBJECT(rules) || JB_ROOT_IS_SCALAR(rules))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survivorship rules must be a jsonb object, not %s",
						JsonbToCString(NULL, &rules->root, VARSIZE(rules))),
				 errhint("Map top-level keys to rules, e.g. '{\"email_opt_out\": \"any\", \"tags\": \"union\"}'.")));
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (tc->raw)
	{
		for (int i = 0; i < tc->nrules; i++)
			pfree(tc->rules[i].key);
		pfree(tc->raw);
		pfree(tc->rules);
		tc->raw = NULL;
	}
	tc->rules = palloc(sizeof(GRule) * Max(JB_ROOT_COUNT(rules), 1));
	it = JsonbIteratorInit(&rules->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			tc->rules[n].key = palloc(Max(v.val.string.len, 1));
			memcpy(tc->rules[n].key, v.val.string.val, v.val.string.len);
			tc->rules[n].len = v.val.string.len;
		}
		else if (tok == WJB_VALUE)
		{
			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the survivorship rule for key \"%.*s\" must be a string",
								tc->rules[n].len, tc->rules[n].key),
						 errhint("Rules are priority, latest, earliest, max, min, union, any and all.")));
			tc->rules[n].rule = rule_code(v.val.string.val, v.val.string.len,
										  tc->rules[n].key, tc->rules[n].len);
			n++;
		}
	}
	tc->nrules = n;
	/* jsonb orders keys by length first; ours is byte order */
	qsort(tc->rules, n, sizeof(GRule), grule_cmp);
	tc->raw = palloc(VARSIZE(rules));
	memcpy(tc->raw, rules, VARSIZE(rules));
	MemoryContextSwitchTo(old);
}

static uint8
rule_for(const GoldenState *st, const char *key, int len)
{
	int			lo = 0,
				hi = st->nrules - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = bytes_cmp(st->rules[mid].key, st->rules[mid].len, key, len);

		if (c == 0)
			return st->rules[mid].rule;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return RULE_PRIORITY;
}

static bool
same_rules(const GoldenState *st, bool has_rules, int n, const GRule *rules)
{
	if (st->has_rules != has_rules || st->nrules != n)
		return false;
	for (int i = 0; i < n; i++)
		if (st->rules[i].rule != rules[i].rule ||
			bytes_cmp(st->rules[i].key, st->rules[i].len, rules[i].key, rules[i].len) != 0)
			return false;
	return true;
}

/* a fresh state takes the rules; a state that has seen rows must have the same */
static void
set_rules(GoldenState *st, bool *rules_set, bool has_rules, int n, const GRule *rules)
{
	if (*rules_set)
	{
		if (!same_rules(st, has_rules, n, rules))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("survivorship rules differ between the rows or partial states of one profile"),
					 errhint("Pass the same rules object for every row of a group.")));
		return;
	}
	st->has_rules = has_rules;
	st->nrules = n;
	st->rules = MemoryContextAlloc(st->hdr.eoh_context, sizeof(GRule) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		st->rules[i].key = MemoryContextAlloc(st->hdr.eoh_context, Max(rules[i].len, 1));
		memcpy(st->rules[i].key, rules[i].key, rules[i].len);
		st->rules[i].len = rules[i].len;
		st->rules[i].rule = rules[i].rule;
	}
	*rules_set = true;
}

/* ---------- adding candidates ---------- */

/* c's value and source copied into the state's context over dst (whose memory is freed) */
static void
store_cand(GoldenState *st, Cand *dst, const Cand *c)
{
	MemoryContext cxt = st->hdr.eoh_context;

	if (dst->data != NULL)
		pfree((void *) dst->data);
	if (dst->source != NULL)
		pfree((void *) dst->source);
	*dst = *c;
	dst->data = NULL;
	dst->source = NULL;
	if (c->len > 0)
	{
		char	   *d = MemoryContextAlloc(cxt, c->len);

		memcpy(d, c->data, c->len);
		dst->data = d;
	}
	if (c->source != NULL)
	{
		char	   *s = MemoryContextAlloc(cxt, Max(c->source_len, 1));

		memcpy(s, c->source, c->source_len);
		dst->source = s;
	}
	golden_changed(st);
}

static void
union_add(GoldenState *st, GEntry *e, const Cand *c)
{
	int			lo = 0,
				hi = e->nelems - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = value_cmp(&e->elems[mid], c);

		if (cmp == 0)
		{
			/* the element is there: keep the lineage of its highest-ranked record */
			if (cand_cmp(c, &e->elems[mid], RULE_PRIORITY) > 0)
				store_cand(st, &e->elems[mid], c);
			return;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	if (e->nelems == e->maxelems)
	{
		int			newmax = e->maxelems == 0 ? 4 : e->maxelems * 2;

		if (newmax > (int) (MaxAllocSize / sizeof(Cand)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct union elements in one profile")));
		if (e->elems == NULL)
			e->elems = MemoryContextAlloc(st->hdr.eoh_context, sizeof(Cand) * newmax);
		else
			e->elems = repalloc(e->elems, sizeof(Cand) * newmax);
		e->maxelems = newmax;
	}
	memmove(&e->elems[lo + 1], &e->elems[lo], sizeof(Cand) * (e->nelems - lo));
	memset(&e->elems[lo], 0, sizeof(Cand));
	store_cand(st, &e->elems[lo], c);
	e->nelems++;
}

static const char *const kind_names[] = {"", "a string", "a number", "false", "true", "an array"};

static void
check_boolean(const GEntry *e, const Cand *c)
{
	if (c->kind != VK_TRUE && c->kind != VK_FALSE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule \"%s\" for key \"%.*s\" needs boolean values, not %s",
						rule_names[e->rule], get_be32(e->key.p), e->key.p + 4, kind_names[c->kind]),
				 errhint("Store true or false (e.g. (opted_out = 'Y')) or choose another rule.")));
}

/* the value part of c from one JEntry of a container whose data starts at base */
static inline void
cand_from_jentry(Cand *c, JEntry je, const char *base, uint32 off, uint32 end)
{
	if (JBE_ISSTRING(je))
	{
		c->kind = VK_STRING;
		c->data = base + off;
		c->len = end - off;
	}
	else if (JBE_ISNUMERIC(je))
	{
		c->kind = VK_NUMBER;
		c->data = base + INTALIGN(off);
		c->len = VARSIZE(c->data);
	}
	else if (JBE_ISBOOL_TRUE(je))
	{
		c->kind = VK_TRUE;
		c->data = NULL;
		c->len = 0;
	}
	else if (JBE_ISBOOL_FALSE(je))
	{
		c->kind = VK_FALSE;
		c->data = NULL;
		c->len = 0;
	}
	else
	{
		/* a container that is not an object: an array (objects are walked key by key) */
		c->kind = VK_ARRAY;
		c->data = base + INTALIGN(off);
		c->len = end - INTALIGN(off);
	}
}

static GEntry *
entry_for(GoldenState *st, const char *path, int pathlen, uint8 rule, bool *found)
{
	PathKey		k;
	GEntry	   *e;

	k.p = path;
	k.len = pathlen;
	k.hash = hash_bytes((const unsigned char *) path, pathlen);
	e = gtab_insert_hash(st->tab, k, k.hash, found);
	if (!*found)
	{
		char	   *copy = MemoryContextAlloc(st->hdr.eoh_context, Max(pathlen, 1));

		memcpy(copy, path, pathlen);
		e->key.p = copy;
		e->rule = rule;
		e->nelems = rule == RULE_UNION ? 0 : 1;
		e->maxelems = 0;
		e->elems = NULL;
		memset(&e->best, 0, sizeof(Cand));
		golden_changed(st);
	}
	return e;
}

static void
add_leaf(GoldenState *st, const char *path, int pathlen, uint8 rule, const Cand *c)
{
	bool		found;
	GEntry	   *e = entry_for(st, path, pathlen, rule, &found);

	if (rule == RULE_UNION)
	{
		/* an array adds its non-null elements; any other value is one element */
		if (c->kind == VK_ARRAY)
		{
			const JsonbContainer *jc = (const JsonbContainer *) c->data;
			int			n = jc->header & JB_CMASK;
			const char *base = (const char *) &jc->children[n];
			uint32		off = 0;

			for (int i = 0; i < n; i++)
			{
				JEntry		je = jc->children[i];
				uint32		end = off;

				JBE_ADVANCE_OFFSET(end, je);
				if (!JBE_ISNULL(je))
				{
					Cand		el = *c;

					cand_from_jentry(&el, je, base, off, end);
					union_add(st, e, &el);
				}
				off = end;
			}
		}
		else
			union_add(st, e, c);
		return;
	}
	if (rule == RULE_ANY || rule == RULE_ALL)
		check_boolean(e, c);
	if (!found || cand_cmp(c, &e->best, rule) > 0)
		store_cand(st, &e->best, c);
}

/*
 * Walk one object's pairs in place: keys are children[0..n-1], values children[n..2n-1], and
 * each JEntry holds its length or (every JB_OFFSET_STRIDE'th) its end offset, so offsets
 * accumulate over the keys first.  path holds the keys above this object.
 */
static void
add_object(GoldenState *st, const JsonbContainer *jc, StringInfo path, int depth, uint8 rule,
		   const Cand *meta)
{
	int			n = jc->header & JB_CMASK;
	const char *base = (const char *) &jc->children[2 * n];
	uint32		koff_local[65];
	uint32	   *koff = n <= 64 ? koff_local : palloc(sizeof(uint32) * (n + 1));
	uint32		off = 0;
	int			pathstart = path->len;

	if (depth > MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("profile objects nest deeper than %d levels", MAX_DEPTH),
				 errhint("Flatten the deepest objects, or store them as arrays.")));
	check_stack_depth();
	koff[0] = 0;
	for (int i = 0; i < n; i++)
	{
		JBE_ADVANCE_OFFSET(off, jc->children[i]);
		koff[i + 1] = off;
	}
	for (int i = 0; i < n; i++)
	{
		JEntry		je = jc->children[n + i];
		uint32		voff = off;
		uint32		klen = koff[i + 1] - koff[i];
		const char *key = base + koff[i];
		uint8		r = rule;

		JBE_ADVANCE_OFFSET(off, je);
		if (JBE_ISNULL(je))
			continue;
		path->len = pathstart;
		enlargeStringInfo(path, 4 + klen);
		put_be32(path->data + path->len, klen);
		memcpy(path->data + path->len + 4, key, klen);
		path->len += 4 + klen;
		if (depth == 0 && st->nrules > 0)
			r = rule_for(st, key, klen);
		if (JBE_ISCONTAINER(je) &&
			JsonContainerIsObject((const JsonbContainer *) (base + INTALIGN(voff))))
			add_object(st, (const JsonbContainer *) (base + INTALIGN(voff)), path, depth + 1, r, meta);
		else
		{
			Cand		c = *meta;

			cand_from_jentry(&c, je, base, voff, off);
			add_leaf(st, path->data, path->len, r, &c);
		}
	}
	path->len = pathstart;
	if (koff != koff_local)
		pfree(koff);
}

/* ---------- the binary form ---------- */

static int
entry_ptr_cmp(const void *a, const void *b)
{
	const GEntry *x = *(GEntry *const *) a;
	const GEntry *y = *(GEntry *const *) b;

	return bytes_cmp(x->key.p, x->key.len, y->key.p, y->key.len);
}

/* the entries in path order (palloc'd) */
static GEntry **
sorted_entries(GoldenState *st, int *n)
{
	GEntry	  **arr = palloc(sizeof(GEntry *) * Max(st->tab->members, 1));
	gtab_iterator it;
	GEntry	   *e;
	int			k = 0;

	gtab_start_iterate(st->tab, &it);
	while ((e = gtab_iterate(st->tab, &it)) != NULL)
		arr[k++] = e;
	qsort(arr, k, sizeof(GEntry *), entry_ptr_cmp);
	*n = k;
	return arr;
}

static void
send_cand(StringInfo buf, const Cand *c)
{
	pq_sendbyte(buf, c->kind);
	if (c->kind == VK_STRING)
	{
		pq_sendint32(buf, c->len);
		pq_sendbytes(buf, c->data, c->len);
	}
	else if (c->kind == VK_NUMBER)
	{
		bytea	   *b = DatumGetByteaPP(DirectFunctionCall1(numeric_send, PointerGetDatum(c->data)));

		pq_sendint32(buf, VARSIZE_ANY_EXHDR(b));
		pq_sendbytes(buf, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
	}
	else if (c->kind == VK_ARRAY)
	{
		char	   *t = JsonbToCString(NULL, (JsonbContainer *) c->data, c->len);
		int			tl = strlen(t);

		pq_sendint32(buf, tl);
		pq_sendbytes(buf, t, tl);
	}
	else
		pq_sendint32(buf, 0);
	pq_sendint32(buf, c->priority);
	pq_sendint64(buf, c->at);
	if (c->source == NULL)
		pq_sendint32(buf, -1);
	else
	{
		pq_sendint32(buf, c->source_len);
		pq_sendbytes(buf, c->source, c->source_len);
	}
}

/*
 * version, flags, has_rules; rules (count, then key length, key, rule); entries in path order
 * (count, then path length, path, rule, candidate count, candidates).  A candidate: kind,
 * value length and bytes (strings as they are, numbers in numeric's binary form, arrays in
 * jsonb text), priority, timestamp, source length (-1: none) and bytes.
 */
static StringInfo
golden_encode(GoldenState *st)
{
	StringInfo	buf = makeStringInfo();
	GEntry	  **arr;
	int			n;

	pq_sendbyte(buf, PROFILE_STATE_VERSION);
	pq_sendbyte(buf, st->flags);
	pq_sendbyte(buf, st->has_rules ? 1 : 0);
	pq_sendint32(buf, st->nrules);
	for (int i = 0; i < st->nrules; i++)
	{
		pq_sendint32(buf, st->rules[i].len);
		pq_sendbytes(buf, st->rules[i].key, st->rules[i].len);
		pq_sendbyte(buf, st->rules[i].rule);
	}
	arr = sorted_entries(st, &n);
	pq_sendint32(buf, n);
	for (int i = 0; i < n; i++)
	{
		GEntry	   *e = arr[i];

		CHECK_FOR_INTERRUPTS();
		pq_sendint32(buf, e->key.len);
		pq_sendbytes(buf, e->key.p, e->key.len);
		pq_sendbyte(buf, e->rule);
		pq_sendint32(buf, e->nelems);
		if (e->rule == RULE_UNION)
			for (int k = 0; k < e->nelems; k++)
				send_cand(buf, &e->elems[k]);
		else
			send_cand(buf, &e->best);
	}
	pfree(arr);
	return buf;
}

static Size
golden_get_flat_size(ExpandedObjectHeader *eohptr)
{
	GoldenState *st = (GoldenState *) eohptr;

	if (st->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

		st->flat = golden_encode(st);
		MemoryContextSwitchTo(old);
	}
	if ((Size) st->flat->len + VARHDRSZ > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("omni.profile_state of %d bytes is too large", st->flat->len)));
	return st->flat->len + VARHDRSZ;
}

static void
golden_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	GoldenState *st = (GoldenState *) eohptr;

	golden_get_flat_size(eohptr);
	Assert(allocated_size == (Size) st->flat->len + VARHDRSZ);
	memcpy(VARDATA(result), st->flat->data, st->flat->len);
	SET_VARSIZE(result, allocated_size);
}

/* reads one candidate of the binary form, every field checked; values palloc'd (aligned) */
static void
recv_cand(StringInfo buf, Cand *c, bool lineage, int errcode_value)
{
	int32		len;

	memset(c, 0, sizeof(Cand));
	if (buf->len - buf->cursor < 5)
		state_error(errcode_value, "truncated value");
	c->kind = pq_getmsgbyte(buf);
	len = pq_getmsgint(buf, 4);
	if (c->kind < VK_STRING || c->kind > VK_ARRAY || len < 0 || len > buf->len - buf->cursor)
		state_error(errcode_value, "bad value header");
	if (c->kind == VK_STRING)
	{
		char	   *d = palloc(Max(len, 1));

		pq_copymsgbytes(buf, d, len);
		if (!pg_verifymbstr(d, len, true) || memchr(d, '\0', len) != NULL)
			state_error(errcode_value, "a string is not valid text");
		c->data = d;
		c->len = len;
	}
	else if (c->kind == VK_NUMBER)
	{
		StringInfoData nb;
		Numeric		num;

		nb.data = (char *) pq_getmsgbytes(buf, len);
		/* numeric's binary form: ndigits, weight, sign, dscale, then ndigits digits */
		if (len < 8 || len != 8 + 2 * (int) pg_ntoh16(*(const uint16 *) nb.data))
			state_error(errcode_value, "a number's length does not match its digits");
		nb.len = len;
		nb.maxlen = len;
		nb.cursor = 0;
		num = DatumGetNumeric(DirectFunctionCall3(numeric_recv, PointerGetDatum(&nb),
												  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		if (numeric_is_nan(num) || numeric_is_inf(num))
			state_error(errcode_value, "a JSON number cannot be NaN or infinite");
		c->data = (char *) num;
		c->len = VARSIZE(num);
	}
	else if (c->kind == VK_ARRAY)
	{
		char	   *t = palloc(len + 1);
		Jsonb	   *jb;

		pq_copymsgbytes(buf, t, len);
		t[len] = '\0';
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(t)));
		if (JB_ROOT_IS_SCALAR(jb) || !JB_ROOT_IS_ARRAY(jb))
			state_error(errcode_value, "a container value is not an array");
		c->data = (char *) &jb->root;
		c->len = VARSIZE(jb) - VARHDRSZ;
	}
	else if (len != 0)
		state_error(errcode_value, "a boolean has a length");
	if (buf->len - buf->cursor < 16)
		state_error(errcode_value, "truncated value");
	c->priority = pq_getmsgint(buf, 4);
	c->at = pq_getmsgint64(buf);
	if (!IS_VALID_TIMESTAMP(c->at) && !TIMESTAMP_NOT_FINITE(c->at))
		state_error(errcode_value, "bad timestamp");
	len = pq_getmsgint(buf, 4);
	if (len == -1)
		return;
	if (!lineage || len < 0 || len > buf->len - buf->cursor)
		state_error(errcode_value, "bad source");
	{
		char	   *s = palloc(Max(len, 1));

		pq_copymsgbytes(buf, s, len);
		if (!pg_verifymbstr(s, len, true) || memchr(s, '\0', len) != NULL)
			state_error(errcode_value, "a source is not valid text");
		c->source = s;
		c->source_len = len;
	}
}

/* a path: one or more segments, each a length and that many bytes, valid text */
static bool
valid_path(const char *p, int len)
{
	int			pos = 0;
	int			segs = 0;

	while (pos < len)
	{
		int32		sl;

		if (len - pos < 4)
			return false;
		sl = get_be32(p + pos);
		if (sl < 0 || sl > len - pos - 4 || !pg_verifymbstr(p + pos + 4, sl, true) ||
			memchr(p + pos + 4, '\0', sl) != NULL)
			return false;
		pos += 4 + sl;
		segs++;
	}
	return segs > 0 && segs <= MAX_DEPTH + 1;
}

/* merge a binary form (all of it checked) into dst: the combine of two states */
static void
golden_merge_bytes(GoldenState *dst, const char *bytes, int len, bool *rules_set, int errcode_value)
{
	StringInfoData buf;
	int			version;
	uint8		flags;
	bool		has_rules;
	int			rules_byte;
	int32		nrules;
	int32		n;
	GRule	   *rules;
	const char *prevpath = NULL;
	int32		prevlen = 0;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "omni profile_state read",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tmp);

	buf.data = (char *) bytes;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 1)
		state_error(errcode_value, "empty value");
	version = pq_getmsgbyte(&buf);
	if (version != PROFILE_STATE_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.profile_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.",
						 PROFILE_STATE_VERSION)));
	if (len < 1 + 1 + 1 + 4)
		state_error(errcode_value, "too short");
	flags = pq_getmsgbyte(&buf);
	rules_byte = pq_getmsgbyte(&buf);
	has_rules = rules_byte == 1;
	nrules = pq_getmsgint(&buf, 4);
	if ((flags & ~PF_ALL_FLAGS) != 0 || rules_byte > 1 || nrules < 0 ||
		nrules > (buf.len - buf.cursor) / 5 || (!has_rules && nrules != 0))
		state_error(errcode_value, "bad header");
	rules = palloc(sizeof(GRule) * Max(nrules, 1));
	for (int i = 0; i < nrules; i++)
	{
		int32		kl;

		if (buf.len - buf.cursor < 5)
			state_error(errcode_value, "truncated rules");
		kl = pq_getmsgint(&buf, 4);
		if (kl < 0 || kl > buf.len - buf.cursor - 1)
			state_error(errcode_value, "bad rule key");
		rules[i].key = (char *) pq_getmsgbytes(&buf, kl);
		rules[i].len = kl;
		rules[i].rule = pq_getmsgbyte(&buf);
		if (rules[i].rule >= RULE_COUNT || !pg_verifymbstr(rules[i].key, kl, true) ||
			memchr(rules[i].key, '\0', kl) != NULL ||
			(i > 0 && grule_cmp(&rules[i - 1], &rules[i]) >= 0))
			state_error(errcode_value, "bad rules");
	}
	MemoryContextSwitchTo(old);
	if (!*rules_set)
		dst->flags = flags;
	else if (dst->flags != flags)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine states of omni.merge_profiles and omni.merge_profiles_lineage")));
	set_rules(dst, rules_set, has_rules, nrules, rules);
	MemoryContextSwitchTo(tmp);

	if (buf.len - buf.cursor < 4)
		state_error(errcode_value, "truncated");
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > (buf.len - buf.cursor) / 9)
		state_error(errcode_value, "bad entry count");
	for (int i = 0; i < n; i++)
	{
		int32		pl;
		const char *path;
		uint8		rule;
		int32		ncand;

		CHECK_FOR_INTERRUPTS();
		if (buf.len - buf.cursor < 4)
			state_error(errcode_value, "truncated entry");
		pl = pq_getmsgint(&buf, 4);
		if (pl < 4 || pl > buf.len - buf.cursor - 5)
			state_error(errcode_value, "bad path length");
		path = pq_getmsgbytes(&buf, pl);
		rule = pq_getmsgbyte(&buf);
		ncand = pq_getmsgint(&buf, 4);
		if (!valid_path(path, pl) ||
			(prevpath != NULL && bytes_cmp(prevpath, prevlen, path, pl) >= 0))
			state_error(errcode_value, "bad or unordered path");
		prevpath = path;
		prevlen = pl;
		if (rule != rule_for(dst, path + 4, get_be32(path)))
			state_error(errcode_value, "an entry's rule is not its key's rule");
		if (rule == RULE_UNION ? (ncand < 0 || ncand > (buf.len - buf.cursor) / 21) : ncand != 1)
			state_error(errcode_value, "bad value count");
		{
			Cand		prev;
			bool		found;

			/* a union of only empty arrays is an entry without elements */
			if (ncand == 0)
				(void) entry_for(dst, path, pl, rule, &found);

			memset(&prev, 0, sizeof(prev));
			for (int k = 0; k < ncand; k++)
			{
				Cand		c;

				recv_cand(&buf, &c, (flags & PF_LINEAGE) != 0, errcode_value);
				if ((rule == RULE_ANY || rule == RULE_ALL) && c.kind != VK_TRUE && c.kind != VK_FALSE)
					state_error(errcode_value, "a non-boolean under any or all");
				if (rule == RULE_UNION && k > 0 && value_cmp(&prev, &c) >= 0)
					state_error(errcode_value, "union elements out of order");
				prev = c;
				add_leaf(dst, path, pl, rule, &c);
			}
		}
	}
	if (buf.cursor != buf.len)
		state_error(errcode_value, "trailing bytes");
	MemoryContextSwitchTo(old);
	MemoryContextDelete(tmp);
}

static bool
is_golden_expanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		((GoldenState *) DatumGetEOHP(d))->magic == GOLDEN_MAGIC;
}

/* a state to read: expanded as it is, or a flat value expanded in the current context */
static GoldenState *
golden_read(Datum d)
{
	struct varlena *v;
	GoldenState *st;
	bool		rules_set = false;

	if (is_golden_expanded(d))
		return (GoldenState *) DatumGetEOHP(d);
	v = PG_DETOAST_DATUM(d);
	st = golden_new(CurrentMemoryContext, 0);
	golden_merge_bytes(st, VARDATA(v), VARSIZE(v) - VARHDRSZ, &rules_set, ERRCODE_DATA_CORRUPTED);
	return st;
}

/* merge src into dst (dst may be fresh) */
static void
golden_merge_state(GoldenState *dst, bool *rules_set, GoldenState *src)
{
	Size		sz = golden_get_flat_size(&src->hdr);

	golden_merge_bytes(dst, src->flat->data, sz - VARHDRSZ, rules_set, ERRCODE_DATA_CORRUPTED);
}

/* the aggregate context; outside an aggregate the current one (nothing is then changed in place) */
static MemoryContext
agg_context(FunctionCallInfo fcinfo, bool *in_agg)
{
	MemoryContext aggcxt;

	*in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	return *in_agg ? aggcxt : CurrentMemoryContext;
}

/* ours if the aggregate context owns it (change it in place), else NULL */
static GoldenState *
owned_state(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	Datum		d;

	if (PG_ARGISNULL(argno) || aggcxt == NULL)
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) && is_golden_expanded(d) &&
		MemoryContextGetParent(DatumGetEOHP(d)->eoh_context) == aggcxt)
		return (GoldenState *) DatumGetEOHP(d);
	return NULL;
}

/* ---------- the transition functions ---------- */

static Datum
profile_trans_common(FunctionCallInfo fcinfo, bool lineage)
{
	/* arguments: state, attrs, updated_at, [source,] [priority, [rules]] */
	int			nargs = PG_NARGS();
	int			pri_arg = lineage ? 4 : 3;
	int			rules_arg = pri_arg + 1;
	uint8		flags = lineage ? PF_LINEAGE : 0;
	bool		in_agg;
	MemoryContext aggcxt = agg_context(fcinfo, &in_agg);
	TransCache *tc = trans_cache(fcinfo);
	GoldenState *st = owned_state(fcinfo, 0, in_agg ? aggcxt : NULL);
	bool		has_rules = nargs > rules_arg && !PG_ARGISNULL(rules_arg);
	Cand		meta;
	Jsonb	   *attrs;

	if (has_rules)
		parse_rules(fcinfo, tc, PG_GETARG_JSONB_P(rules_arg));
	if (st == NULL)
	{
		bool		rules_set = false;

		st = golden_new(aggcxt, flags);
		if (!PG_ARGISNULL(0))
			golden_merge_state(st, &rules_set, golden_read(PG_GETARG_DATUM(0)));
		if (rules_set && st->flags != flags)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot mix states of omni.merge_profiles and omni.merge_profiles_lineage")));
		set_rules(st, &rules_set, has_rules, has_rules ? tc->nrules : 0, has_rules ? tc->rules : NULL);
	}
	else if (has_rules ? !(st->has_rules && (st->rules == tc->rules || same_rules(st, true, tc->nrules, tc->rules))) :
			 st->has_rules)
	{
		bool		rules_set = true;

		set_rules(st, &rules_set, has_rules, has_rules ? tc->nrules : 0, has_rules ? tc->rules : NULL);
	}

	if (PG_ARGISNULL(1))
		return EOHPGetRWDatum(&st->hdr);
	attrs = PG_GETARG_JSONB_P(1);
	if (!JB_ROOT_IS_OBJECT(attrs) || JB_ROOT_IS_SCALAR(attrs))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a profile must be a jsonb object, not %s",
						JsonbToCString(NULL, &attrs->root, VARSIZE(attrs))),
				 errhint("Pass each record's attributes as one object, e.g. jsonb_build_object('email', email, 'city', city).")));

	memset(&meta, 0, sizeof(meta));
	meta.at = PG_ARGISNULL(2) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(2);
	meta.priority = (nargs > pri_arg && !PG_ARGISNULL(pri_arg)) ? PG_GETARG_INT32(pri_arg) : 0;
	if (lineage && !PG_ARGISNULL(3))
	{
		text	   *src = PG_GETARG_TEXT_PP(3);

		meta.source = VARDATA_ANY(src);
		meta.source_len = VARSIZE_ANY_EXHDR(src);
	}
	tc->path.len = 0;
	add_object(st, &attrs->root, &tc->path, 0, RULE_PRIORITY, &meta);
	return EOHPGetRWDatum(&st->hdr);
}

Datum
profile_merge_trans(PG_FUNCTION_ARGS)
{
	return profile_trans_common(fcinfo, false);
}

Datum
profile_lineage_trans(PG_FUNCTION_ARGS)
{
	return profile_trans_common(fcinfo, true);
}

Datum
profile_state_combine(PG_FUNCTION_ARGS)
{
	bool		in_agg;
	MemoryContext aggcxt = agg_context(fcinfo, &in_agg);
	GoldenState *st;
	bool		rules_set;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	st = owned_state(fcinfo, 0, in_agg ? aggcxt : NULL);
	if (st == NULL)
	{
		rules_set = false;
		st = golden_new(aggcxt, 0);
		if (!PG_ARGISNULL(0))
			golden_merge_state(st, &rules_set, golden_read(PG_GETARG_DATUM(0)));
	}
	else
		rules_set = true;
	if (is_golden_expanded(PG_GETARG_DATUM(1)))
		golden_merge_state(st, &rules_set, (GoldenState *) DatumGetEOHP(PG_GETARG_DATUM(1)));
	else
	{
		struct varlena *v = PG_DETOAST_DATUM(PG_GETARG_DATUM(1));

		golden_merge_bytes(st, VARDATA(v), VARSIZE(v) - VARHDRSZ, &rules_set, ERRCODE_DATA_CORRUPTED);
	}
	return EOHPGetRWDatum(&st->hdr);
}

/* ---------- reading a state: the golden profile and its lineage ---------- */

/* byte offset of segment depth in a path */
static int
seg_offset(const GEntry *e, int depth)
{
	int			pos = 0;

	for (int d = 0; d < depth; d++)
		pos += 4 + get_be32(e->key.p + pos);
	return pos;
}

static void
push_cand(JsonbParseState **ps, JsonbIteratorToken tok, const Cand *c)
{
	JsonbValue	v;

	switch (c->kind)
	{
		case VK_STRING:
			v.type = jbvString;
			v.val.string.val = (char *) c->data;
			v.val.string.len = c->len;
			break;
		case VK_NUMBER:
			v.type = jbvNumeric;
			v.val.numeric = (Numeric) c->data;
			break;
		case VK_FALSE:
		case VK_TRUE:
			v.type = jbvBool;
			v.val.boolean = c->kind == VK_TRUE;
			break;
		default:
			v.type = jbvBinary;
			v.val.binary.data = (JsonbContainer *) c->data;
			v.val.binary.len = c->len;
			break;
	}
	pushJsonbValue(ps, tok, &v);
}

static void
push_key(JsonbParseState **ps, const char *key, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = len;
	pushJsonbValue(ps, WJB_KEY, &v);
}

static void
push_leaf_value(JsonbParseState **ps, const GEntry *e)
{
	if (e->rule != RULE_UNION)
	{
		push_cand(ps, WJB_VALUE, &e->best);
		return;
	}
	pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
	for (int k = 0; k < e->nelems; k++)
		push_cand(ps, WJB_ELEM, &e->elems[k]);
	pushJsonbValue(ps, WJB_END_ARRAY, NULL);
}

/* the strongest (priority, then timestamp) record behind an entry, for object/value conflicts */
static void
entry_rank(const GEntry *e, int32 *priority, TimestampTz *at)
{
	const Cand *c = e->rule == RULE_UNION ? &e->elems[0] : &e->best;

	if (e->rule == RULE_UNION && e->nelems == 0)
	{
		*priority = PG_INT32_MIN;
		*at = DT_NOBEGIN;
		return;
	}
	*priority = c->priority;
	*at = c->at;
	for (int k = 1; e->rule == RULE_UNION && k < e->nelems; k++)
		if (e->elems[k].priority > *priority ||
			(e->elems[k].priority == *priority && e->elems[k].at > *at))
		{
			*priority = e->elems[k].priority;
			*at = e->elems[k].at;
		}
}

/*
 * The group of entries [i, *next) sharing segment depth with arr[i]; whether arr[i] is a value
 * at that very key (a leaf) that wins over the object below it (if any).  A key that is an
 * object in some records and a value in others keeps the side of the strongest record
 * (priority, then timestamp); the object wins a tie.
 */
static bool
take_group(GEntry **arr, int i, int hi, int depth, int *next, const char **key, int *keylen)
{
	int			off = seg_offset(arr[i], depth);
	int			sl = get_be32(arr[i]->key.p + off);
	int			end = off + 4 + sl;
	bool		leaf = arr[i]->key.len == end;
	int			j = i + 1;
	int32		lp = 0,
				dp = PG_INT32_MIN;
	TimestampTz lat = 0,
				dat = DT_NOBEGIN;

	while (j < hi && arr[j]->key.len > end && memcmp(arr[j]->key.p, arr[i]->key.p, end) == 0)
	{
		int32		p;
		TimestampTz at;

		entry_rank(arr[j], &p, &at);
		if (p > dp || (p == dp && at > dat))
		{
			dp = p;
			dat = at;
		}
		j++;
	}
	*next = j;
	*key = arr[i]->key.p + off + 4;
	*keylen = sl;
	if (!leaf || j == i + 1)
		return leaf;
	entry_rank(arr[i], &lp, &lat);
	return lp > dp || (lp == dp && lat > dat);
}

static void
build_plain(JsonbParseState **ps, GEntry **arr, int lo, int hi, int depth)
{
	int			i = lo;

	check_stack_depth();
	while (i < hi)
	{
		int			next;
		const char *key;
		int			keylen;
		bool		leaf = take_group(arr, i, hi, depth, &next, &key, &keylen);
		bool		has_leaf_entry = arr[i]->key.len == seg_offset(arr[i], depth) + 4 + keylen;

		push_key(ps, key, keylen);
		if (leaf)
			push_leaf_value(ps, arr[i]);
		else
		{
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			build_plain(ps, arr, has_leaf_entry ? i + 1 : i, next, depth + 1);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		i = next;
	}
}

static void
push_text(JsonbParseState **ps, JsonbIteratorToken tok, const char *s, int len)
{
	JsonbValue	v;

	if (s == NULL)
		v.type = jbvNull;
	else
	{
		v.type = jbvString;
		v.val.string.val = (char *) s;
		v.val.string.len = len;
	}
	pushJsonbValue(ps, tok, &v);
}

static void
push_lineage_fields(JsonbParseState **ps, const Cand *c)
{
	JsonbValue	v;
	int			utc = 0;
	char	   *ts = JsonEncodeDateTime(NULL, TimestampTzGetDatum(c->at), TIMESTAMPTZOID, &utc);

	push_key(ps, "source", 6);
	push_text(ps, WJB_VALUE, c->source, c->source_len);
	push_key(ps, "priority", 8);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(c->priority);
	pushJsonbValue(ps, WJB_VALUE, &v);
	push_key(ps, "at", 2);
	push_text(ps, WJB_VALUE, ts, strlen(ts));
}

/* each key: {"value": ..., "source", "priority", "at"}; a union lists its elements' lineage;
 * an object merged key by key: {"value": {...}, "keys": {each key's lineage}} */
static void
build_lineage(JsonbParseState **ps, GEntry **arr, int lo, int hi, int depth)
{
	int			i = lo;

	check_stack_depth();
	while (i < hi)
	{
		int			next;
		const char *key;
		int			keylen;
		bool		leaf = take_group(arr, i, hi, depth, &next, &key, &keylen);
		bool		has_leaf_entry = arr[i]->key.len == seg_offset(arr[i], depth) + 4 + keylen;
		GEntry	   *e = arr[i];

		push_key(ps, key, keylen);
		pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
		push_key(ps, "value", 5);
		if (leaf)
		{
			push_leaf_value(ps, e);
			if (e->rule == RULE_UNION)
			{
				push_key(ps, "elements", 8);
				pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
				for (int k = 0; k < e->nelems; k++)
				{
					pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
					push_key(ps, "value", 5);
					push_cand(ps, WJB_VALUE, &e->elems[k]);
					push_lineage_fields(ps, &e->elems[k]);
					pushJsonbValue(ps, WJB_END_OBJECT, NULL);
				}
				pushJsonbValue(ps, WJB_END_ARRAY, NULL);
			}
			else
				push_lineage_fields(ps, &e->best);
			push_key(ps, "rule", 4);
			push_text(ps, WJB_VALUE, rule_names[e->rule], strlen(rule_names[e->rule]));
		}
		else
		{
			int			from = has_leaf_entry ? i + 1 : i;

			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			build_plain(ps, arr, from, next, depth + 1);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			push_key(ps, "keys", 4);
			pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
			build_lineage(ps, arr, from, next, depth + 1);
			pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		}
		pushJsonbValue(ps, WJB_END_OBJECT, NULL);
		i = next;
	}
}

static Jsonb *
golden_output(GoldenState *st, bool lineage)
{
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	int			n;
	GEntry	  **arr = sorted_entries(st, &n);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	if (lineage)
		build_lineage(&ps, arr, 0, n, 0);
	else
		build_plain(&ps, arr, 0, n, 0);
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	pfree(arr);
	return JsonbValueToJsonb(res);
}

Datum
golden_profile(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(golden_output(golden_read(PG_GETARG_DATUM(0)), false));
}

Datum
profile_lineage(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(golden_output(golden_read(PG_GETARG_DATUM(0)), true));
}

/* ---------- text and binary forms ---------- */

/* a checked, canonical flat value from a binary form */
static Datum
profile_state_from_bytes(const char *bytes, int len, int errcode_value)
{
	GoldenState *st = golden_new(CurrentMemoryContext, 0);
	bool		rules_set = false;
	Size		sz;
	struct varlena *v;

	golden_merge_bytes(st, bytes, len, &rules_set, errcode_value);
	sz = golden_get_flat_size(&st->hdr);
	v = palloc(sz);
	golden_flatten_into(&st->hdr, v, sz);
	DeleteExpandedObject(EOHPGetRWDatum(&st->hdr));
	return PointerGetDatum(v);
}

Datum
profile_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.profile_state", &buf);
	return profile_state_from_bytes(buf.data, buf.len, ERRCODE_INVALID_TEXT_REPRESENTATION);
}

Datum
profile_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	PG_RETURN_CSTRING(omni_hex_text(VARDATA(v), VARSIZE(v) - VARHDRSZ));
}

Datum
profile_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Datum		d = profile_state_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
											 ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	return d;
}

Datum
profile_state_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	bytea	   *b = palloc(VARSIZE(v));

	memcpy(b, v, VARSIZE(v));
	PG_RETURN_BYTEA_P(b);
}

/* ---------- omni.latest and omni.by_priority: one typed column ---------- */

/*
 * omni.pick_state, flat (also its binary form): version, flags, the value's type, priority,
 * timestamp, the value's length and bytes in its type's binary (send) form.
 */
#define PICK_VERSION 1
#define PK_BY_PRIORITY 0x01
#define PICK_HEADER (1 + 1 + 4 + 4 + 8 + 4)

typedef struct PickCache
{
	Oid			typid;
	FmgrInfo	send;
	FmgrInfo	recv;
	Oid			ioparam;
} PickCache;

static PickCache *
pick_cache(FunctionCallInfo fcinfo, Oid typid)
{
	PickCache  *pc = fcinfo->flinfo->fn_extra;

	if (pc == NULL || pc->typid != typid)
	{
		Oid			sendfn,
					recvfn;
		bool		isvarlena;
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		Form_pg_type t;

		if (!HeapTupleIsValid(tup))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("type %u of an omni.pick_state does not exist", typid)));
		t = (Form_pg_type) GETSTRUCT(tup);
		if (!OidIsValid(t->typsend) || !OidIsValid(t->typreceive))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("type %s has no binary send and receive functions",
							format_type_be(typid)),
					 errhint("Cast the column to a type with a binary form (e.g. text).")));
		ReleaseSysCache(tup);
		if (pc == NULL)
			pc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PickCache));
		getTypeBinaryOutputInfo(typid, &sendfn, &isvarlena);
		getTypeBinaryInputInfo(typid, &recvfn, &pc->ioparam);
		fmgr_info_cxt(sendfn, &pc->send, fcinfo->flinfo->fn_mcxt);
		fmgr_info_cxt(recvfn, &pc->recv, fcinfo->flinfo->fn_mcxt);
		pc->typid = typid;
		fcinfo->flinfo->fn_extra = pc;
	}
	return pc;
}

typedef struct PickView
{
	uint8		flags;
	Oid			typid;
	int32		priority;
	TimestampTz at;
	int32		len;
	const char *value;
} PickView;

static void
pick_error(int errcode_value, const char *detail)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("invalid omni.pick_state: %s", detail),
			 errhint("Values of omni.pick_state come from omni.latest or omni.by_priority or from "
					 "its own text or binary output; they cannot be edited.")));
}

static void
pick_parse(const char *b, int len, PickView *pv, int errcode_value)
{
	StringInfoData buf;
	int			version;

	buf.data = (char *) b;
	buf.len = len;
	buf.maxlen = len;
	buf.cursor = 0;
	if (len < 1)
		pick_error(errcode_value, "empty value");
	version = pq_getmsgbyte(&buf);
	if (version != PICK_VERSION)
		ereport(ERROR,
				(errcode(errcode_value),
				 errmsg("unsupported omni.pick_state format version %d", version),
				 errhint("This omni reads version %d; upgrade omni on the reading side.", PICK_VERSION)));
	if (len < PICK_HEADER)
		pick_error(errcode_value, "too short");
	pv->flags = pq_getmsgbyte(&buf);
	pv->typid = pq_getmsgint(&buf, 4);
	pv->priority = pq_getmsgint(&buf, 4);
	pv->at = pq_getmsgint64(&buf);
	pv->len = pq_getmsgint(&buf, 4);
	if ((pv->flags & ~PK_BY_PRIORITY) != 0 || !OidIsValid(pv->typid) ||
		(!(pv->flags & PK_BY_PRIORITY) && pv->priority != 0))
		pick_error(errcode_value, "bad header");
	if (!IS_VALID_TIMESTAMP(pv->at) && !TIMESTAMP_NOT_FINITE(pv->at))
		pick_error(errcode_value, "bad timestamp");
	if (pv->len < 0 || pv->len != len - PICK_HEADER)
		pick_error(errcode_value, "length does not match its value");
	pv->value = b + PICK_HEADER;
}

static bytea *
pick_make(const PickView *pv)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PICK_VERSION);
	pq_sendbyte(&buf, pv->flags);
	pq_sendint32(&buf, pv->typid);
	pq_sendint32(&buf, pv->priority);
	pq_sendint64(&buf, pv->at);
	pq_sendint32(&buf, pv->len);
	pq_sendbytes(&buf, pv->value, pv->len);
	return pq_endtypsend(&buf);
}

/* > 0 when a survives b: latest by timestamp then priority, by_priority the other way round,
 * then the larger binary form */
static int
pick_cmp(const PickView *a, const PickView *b)
{
	int			c;

	if (a->flags & PK_BY_PRIORITY)
	{
		if ((c = CMP3(a->priority, b->priority)) != 0 || (c = CMP3(a->at, b->at)) != 0)
			return c;
	}
	else if ((c = CMP3(a->at, b->at)) != 0)
		return c;
	return bytes_cmp(a->value, a->len, b->value, b->len);
}

static Datum
pick_trans_common(FunctionCallInfo fcinfo, bool by_priority)
{
	/* arguments: state, value, [priority,] at */
	int			at_arg = by_priority ? 3 : 2;
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);
	PickView	cand;
	PickView	cur;
	bytea	   *vb;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot determine the type of the value")));
	memset(&cand, 0, sizeof(cand));
	cand.flags = by_priority ? PK_BY_PRIORITY : 0;
	cand.typid = typid;
	cand.priority = by_priority && !PG_ARGISNULL(2) ? PG_GETARG_INT32(2) : 0;
	cand.at = PG_ARGISNULL(at_arg) ? DT_NOBEGIN : PG_GETARG_TIMESTAMPTZ(at_arg);
	if (!PG_ARGISNULL(0))
	{
		bytea	   *s = PG_GETARG_BYTEA_PP(0);

		pick_parse(VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s), &cur, ERRCODE_DATA_CORRUPTED);
		if (cur.flags != cand.flags || cur.typid != typid)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot merge an omni.pick_state of type %s with a value of type %s",
							format_type_be(cur.typid), format_type_be(typid))));
		/* rank first: the value's binary form is needed only to break a tie */
		if (by_priority ? (cand.priority < cur.priority ||
						   (cand.priority == cur.priority && cand.at < cur.at)) : cand.at < cur.at)
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	vb = SendFunctionCall(&pick_cache(fcinfo, typid)->send, PG_GETARG_DATUM(1));
	cand.value = VARDATA(vb);
	cand.len = VARSIZE(vb) - VARHDRSZ;
	if (!PG_ARGISNULL(0) && pick_cmp(&cand, &cur) <= 0)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	PG_RETURN_BYTEA_P(pick_make(&cand));
}

Datum
pick_latest_trans(PG_FUNCTION_ARGS)
{
	return pick_trans_common(fcinfo, false);
}

Datum
pick_priority_trans(PG_FUNCTION_ARGS)
{
	return pick_trans_common(fcinfo, true);
}

Datum
pick_state_combine(PG_FUNCTION_ARGS)
{
	bytea	   *a,
			   *b;
	PickView	pa,
				pb;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_ARGISNULL(0) ? PG_GETARG_DATUM(1) : PG_GETARG_DATUM(0));
	}
	a = PG_GETARG_BYTEA_PP(0);
	b = PG_GETARG_BYTEA_PP(1);
	pick_parse(VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a), &pa, ERRCODE_DATA_CORRUPTED);
	pick_parse(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &pb, ERRCODE_DATA_CORRUPTED);
	if (pa.flags != pb.flags || pa.typid != pb.typid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine omni.pick_state values of different kinds or types")));
	PG_RETURN_DATUM(pick_cmp(&pb, &pa) > 0 ? PG_GETARG_DATUM(1) : PG_GETARG_DATUM(0));
}

Datum
pick_final(PG_FUNCTION_ARGS)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, 1);
	bytea	   *s;
	PickView	pv;
	PickCache  *pc;
	StringInfoData buf;
	Datum		result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = PG_GETARG_BYTEA_PP(0);
	pick_parse(VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s), &pv, ERRCODE_DATA_CORRUPTED);
	if (pv.typid != typid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an omni.pick_state of type %s read as type %s",
						format_type_be(pv.typid), format_type_be(typid))));
	pc = pick_cache(fcinfo, typid);
	buf.data = palloc(pv.len + 1);
	memcpy(buf.data, pv.value, pv.len);
	buf.data[pv.len] = '\0';
	buf.len = pv.len;
	buf.maxlen = pv.len + 1;
	buf.cursor = 0;
	result = ReceiveFunctionCall(&pc->recv, &buf, pc->ioparam, -1);
	if (buf.cursor != buf.len)
		pick_error(ERRCODE_INVALID_BINARY_REPRESENTATION, "trailing bytes after the value");
	PG_RETURN_DATUM(result);
}

/* text form \x + binary form; the value's bytes are checked by its type when it is read */
static Datum
pick_from_bytes(const char *b, int len, int errcode_value)
{
	PickView	pv;

	pick_parse(b, len, &pv, errcode_value);
	if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(pv.typid)))
		pick_error(errcode_value, "unknown type");
	PG_RETURN_BYTEA_P(pick_make(&pv));
}

Datum
pick_state_in(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	omni_hex_parse(PG_GETARG_CSTRING(0), "omni.pick_state", &buf);
	return pick_from_bytes(buf.data, buf.len, ERRCODE_INVALID_TEXT_REPRESENTATION);
}

Datum
pick_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *s = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_CSTRING(omni_hex_text(VARDATA_ANY(s), VARSIZE_ANY_EXHDR(s)));
}

Datum
pick_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Datum		d = pick_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
									ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	return d;
}

Datum
pick_state_send(PG_FUNCTION_ARGS)
{
	bytea	   *s = PG_GETARG_BYTEA_P_COPY(0);

	PG_RETURN_BYTEA_P(s);
}
