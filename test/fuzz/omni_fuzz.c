/*
 * omni_fuzz.c — feeds every omni base type random and mutated values through its text input
 * and its binary receive function, and every value the server accepts through every function
 * and aggregate that reads the type.
 *
 * A client, not part of the extension: it speaks to a running server through libpq, so a
 * crash shows up as a lost connection and is reported with the input that caused it.  Run by
 * `make fuzz` (a million cases a type) and, briefly, by `make test` (scripts/fuzz.sh).
 *
 * What counts as a failure (exit status 1, each one printed with the input to reproduce it):
 *  - the backend dies (lost connection), or an input hangs past the statement timeout;
 *  - an input is rejected with an error outside class 22 (data exception) or 54 (program
 *    limit exceeded): an internal error such as "invalid memory alloc request size" (XX000)
 *    means a corrupt length reached palloc instead of being caught by validation;
 *  - an accepted value whose text form does not read back to the same text form;
 *  - an accepted value on which a reading function ends with anything but a result, a
 *    data-exception error or a documented refusal (class 54, e.g. Fisher's exact test past
 *    its counts), or with 22P02 / 22P03 (the value was accepted, so a later "invalid
 *    representation" means validation missed something).
 * Those data exceptions and refusals (a model fit refusing degenerate data, an out-of-range
 * result) are counted and listed in the summary, not failures.
 *
 * Types and reading functions are discovered from the catalog, and every omni base type must
 * have seeds (test/fuzz/seeds.sql), so a new type or accessor is fuzzed without editing this
 * file.  Mutations (1 to 3 stacked on a seed's binary form): bit flips, interesting bytes,
 * truncation, extension, 16/32/64-bit fields overwritten with boundary values (big-endian, as
 * the send functions write them, and little-endian), the version byte changed, chunks
 * duplicated or removed, splices of two seeds, and wholly random bytes.  In text mode the
 * mutated bytes are sent as the \x hex form, or the seed's own text is mutated character by
 * character.  Everything follows from --seed: a run is reproducible.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_FAILURES 20
#define MAX_BYTES (1 << 20)

typedef struct
{
	unsigned char *bytes;
	int			len;
	char	   *text;
} Seed;

typedef struct
{
	char	   *name;			/* regtype text, e.g. omni.rate */
	unsigned int oid;
	Seed	   *seeds;
	int			nseeds;
	char	  **readers;		/* one SELECT each, $1 the value */
	char	  **reader_names;
	int			nreaders;
	/* tallies */
	long		cases,
				accepted,
				rejected,
				reader_errors;
} FuzzType;

static PGconn *conn;
static const char *conninfo = "";
static uint64_t rng;
static int	failures;
static long statement_timeout_ms = 20000;

static void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	fputs("omni_fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char	   *p = xmalloc(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

/* xorshift64*: small, fast, and the same sequence on every platform */
static uint64_t
next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static int
below(int n)
{
	return n <= 0 ? 0 : (int) (next_random() % (uint64_t) n);
}

static void
connect_db(void)
{
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		die("cannot connect: %s", PQerrorMessage(conn));
}

static PGresult *
run(const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		die("%.200s...\nfailed: %s", sql, PQerrorMessage(conn));
	return res;
}

static void
setup_session(void)
{
	char		sql[200];

	snprintf(sql, sizeof(sql),
			 "SET statement_timeout = %ld; SET client_min_messages = warning; SET search_path = pg_catalog",
			 statement_timeout_ms);
	PQclear(run(sql));
}

static char *
read_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		die("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		die("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
print_input(FILE *out, const unsigned char *bytes, int len, bool binary)
{
	if (binary)
	{
		fputs("binary \\x", out);
		for (int i = 0; i < len; i++)
			fprintf(out, "%02x", bytes[i]);
	}
	else
	{
		fputs("text '", out);
		for (int i = 0; i < len; i++)
		{
			if (bytes[i] == '\'')
				fputs("''", out);
			else
				fputc(bytes[i], out);
		}
		fputc('\'', out);
	}
	fputc('\n', out);
}

static void
report(const FuzzType *t, const unsigned char *bytes, int len, bool binary, const char *what,
	   const PGresult *res)
{
	failures++;
	fprintf(stderr, "FAILURE %d, %s: %s", failures, t->name, what);
	if (res != NULL)
		fprintf(stderr, ": %s %s", PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
				PQresultErrorField(res, PG_DIAG_SQLSTATE) : "(no SQLSTATE)",
				PQresultErrorMessage(res));
	fputc('\n', stderr);
	fputs("  input: ", stderr);
	print_input(stderr, bytes, len, binary);
	if (failures >= MAX_FAILURES)
		die("stopping after %d failures", failures);
}

/*
 * A lost connection is the finding (the backend crashed): report it, wait for the server
 * to come back from its crash recovery, and stop.
 */
static void
check_connection(const FuzzType *t, const unsigned char *bytes, int len, bool binary)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return;
	report(t, bytes, len, binary, "the connection was lost (the backend crashed)", NULL);
	die("stopping: a crash is the end of a run");
}

static bool
sqlstate_class(const PGresult *res, const char *cls)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && strncmp(state, cls, strlen(cls)) == 0;
}

static void
load_types(FuzzType **types_out, int *ntypes_out)
{
	PGresult   *res = run("SELECT t.oid::regtype::text, t.oid FROM pg_type t "
						  "WHERE t.typnamespace = 'omni'::regnamespace AND t.typtype = 'b' "
						  "AND t.typcategory <> 'A' ORDER BY 1");
	int			n = PQntuples(res);
	FuzzType   *types = xmalloc(sizeof(FuzzType) * n);

	for (int i = 0; i < n; i++)
	{
		FuzzType   *t = &types[i];
		PGresult   *seeds;
		PGresult   *readers;
		const char *params[1];
		char		oid[16];

		memset(t, 0, sizeof(*t));
		t->name = xstrdup(PQgetvalue(res, i, 0));
		t->oid = (unsigned int) strtoul(PQgetvalue(res, i, 1), NULL, 10);
		snprintf(oid, sizeof(oid), "%u", t->oid);
		params[0] = oid;

		/* each seed's binary form comes from the server's own send function */
		seeds = PQexecParams(conn, "SELECT val FROM fuzz_seeds WHERE typ::regtype::oid = $1::oid ORDER BY val",
							 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(seeds) != PGRES_TUPLES_OK)
			die("reading seeds: %s", PQerrorMessage(conn));
		t->nseeds = PQntuples(seeds);
		if (t->nseeds == 0)
			die("type %s has no seed in test/fuzz/seeds.sql: add valid values of it there", t->name);
		t->seeds = xmalloc(sizeof(Seed) * t->nseeds);
		for (int s = 0; s < t->nseeds; s++)
		{
			char		sql[300];
			const char *p[1];
			PGresult   *bin;

			t->seeds[s].text = xstrdup(PQgetvalue(seeds, s, 0));
			snprintf(sql, sizeof(sql), "SELECT $1::text::%s", t->name);
			p[0] = t->seeds[s].text;
			bin = PQexecParams(conn, sql, 1, NULL, p, NULL, NULL, 1);
			if (PQresultStatus(bin) != PGRES_TUPLES_OK)
				die("seed %s of %s does not read: %s", t->seeds[s].text, t->name, PQerrorMessage(conn));
			t->seeds[s].len = PQgetlength(bin, 0, 0);
			t->seeds[s].bytes = xmalloc(t->seeds[s].len);
			memcpy(t->seeds[s].bytes, PQgetvalue(bin, 0, 0), t->seeds[s].len);
			PQclear(bin);
		}
		PQclear(seeds);

		/*
		 * The reading functions: omni functions and aggregates whose first argument is the
		 * type and whose other arguments have defaults or are the type too (combine
		 * functions, two-state tests), returning anything but internal or cstring.
		 */
		readers = PQexecParams(conn,
							   "SELECT p.prokind, p.proname, p.pronargs - p.pronargdefaults, p.oid::regprocedure::text "
							   "FROM pg_proc p "
							   "WHERE p.pronamespace = 'omni'::regnamespace AND p.pronargs >= 1 "
							   "AND p.proargtypes[0] = $1::oid "
							   "AND p.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype) "
							   "AND (p.pronargs - p.pronargdefaults = 1 OR NOT EXISTS "
							   "     (SELECT 1 FROM unnest(p.proargtypes::oid[]) a WHERE a <> $1::oid)) "
							   "ORDER BY 4",
							   1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(readers) != PGRES_TUPLES_OK)
			die("reading functions: %s", PQerrorMessage(conn));
		t->nreaders = PQntuples(readers);
		t->readers = xmalloc(sizeof(char *) * (t->nreaders + 1));
		t->reader_names = xmalloc(sizeof(char *) * (t->nreaders + 1));
		for (int r = 0; r < t->nreaders; r++)
		{
			const char *kind = PQgetvalue(readers, r, 0);
			const char *name = PQgetvalue(readers, r, 1);
			int			nargs = atoi(PQgetvalue(readers, r, 2));	/* without the defaulted */
			char		args[200] = "v";
			char		sql[600];

			/* all arguments the type, or only the first given (the rest defaulted) */
			for (int a = 1; a < nargs; a++)
				strcat(args, ", v");
			if (kind[0] == 'a')
				snprintf(sql, sizeof(sql),
						 "SELECT omni.%s(%s)::text FROM (VALUES ($1::%s), ($1::%s)) s(v)",
						 name, args, t->name, t->name);
			else
				snprintf(sql, sizeof(sql),
						 "SELECT count(*), max(r::text) FROM (SELECT omni.%s(%s) AS r FROM (SELECT $1::%s AS v) s) q",
						 name, args, t->name);
			t->readers[r] = xstrdup(sql);
			t->reader_names[r] = xstrdup(PQgetvalue(readers, r, 3));
		}
		PQclear(readers);
	}
	PQclear(res);
	*types_out = types;
	*ntypes_out = n;
}

/* ----------------------------------------------------------------------------------------
 * Mutations
 * ---------------------------------------------------------------------------------------- */

static const int64_t boundaries[] = {
	0, 1, 2, -1, -2, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000,
	INT32_MAX, (int64_t) INT32_MAX + 1, INT32_MIN, UINT32_MAX, INT64_MAX, INT64_MIN,
	168, 169, 1 << 20, 1 << 30
};
static const uint64_t float_patterns[] = {
	UINT64_C(0x7ff8000000000000),	/* NaN */
	UINT64_C(0x7ff0000000000000),	/* +Inf */
	UINT64_C(0xfff0000000000000),	/* -Inf */
	UINT64_C(0x8000000000000000),	/* -0 */
	UINT64_C(0x7fefffffffffffff),	/* DBL_MAX */
	UINT64_C(0x0000000000000001),	/* smallest subnormal */
	UINT64_C(0xbff0000000000000),	/* -1 */
	UINT64_C(0x3ff0000000000000)	/* 1 */
};

static void
put_be(unsigned char *p, int width, uint64_t v)
{
	for (int i = width - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
}

static void
put_le(unsigned char *p, int width, uint64_t v)
{
	for (int i = 0; i < width; i++, v >>= 8)
		p[i] = (unsigned char) v;
}

/* one mutation of buf[0..*len) in place; buf has room for MAX_BYTES */
static void
mutate_once(unsigned char *buf, int *len, const FuzzType *t)
{
	int			n = *len;

	switch (below(11))
	{
		case 0:					/* bit flips */
			if (n > 0)
				for (int k = 1 + below(4); k > 0; k--)
					buf[below(n)] ^= (unsigned char) (1u << below(8));
			break;
		case 1:					/* an interesting byte */
			if (n > 0)
			{
				static const unsigned char interesting[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x20, 0x40};

				buf[below(n)] = interesting[below(sizeof(interesting))];
			}
			break;
		case 2:					/* truncate */
			*len = below(n + 1);
			break;
		case 3:					/* extend with random bytes */
			{
				int			extra = 1 + below(32);

				if (n + extra < MAX_BYTES)
				{
					for (int i = 0; i < extra; i++)
						buf[n + i] = (unsigned char) next_random();
					*len = n + extra;
				}
			}
			break;
		case 4:					/* a 16-, 32- or 64-bit field set to a boundary value */
		case 5:
			{
				int			width = (int[]) {2, 4, 4, 8}[below(4)];

				if (n >= width)
				{
					int			at = below(n - width + 1);
					uint64_t	v = (uint64_t) boundaries[below(sizeof(boundaries) / sizeof(boundaries[0]))];

					if (below(4) == 0)
						v += (uint64_t) (below(5) - 2);
					if (below(3) == 0)
						put_le(buf + at, width, v);
					else
						put_be(buf + at, width, v);
				}
			}
			break;
		case 6:					/* a double set to a special value */
			if (n >= 8)
			{
				int			at = below(n - 7);

				put_be(buf + at, 8, float_patterns[below(sizeof(float_patterns) / sizeof(float_patterns[0]))]);
			}
			break;
		case 7:					/* the version byte */
			if (n > 0)
				buf[0] = (unsigned char) below(6);
			break;
		case 8:					/* duplicate or remove a chunk */
			if (n > 1)
			{
				int			at = below(n);
				int			size = 1 + below((n - at < 64 ? n - at : 64));

				if (below(2) == 0 && n + size < MAX_BYTES)
				{
					memmove(buf + at + size, buf + at, n - at);
					*len = n + size;
				}
				else
				{
					memmove(buf + at, buf + at + size, n - at - size);
					*len = n - size;
				}
			}
			break;
		case 9:					/* splice with another seed of the type */
			{
				const Seed *other = &t->seeds[below(t->nseeds)];
				int			cut = below(n + 1);
				int			from = below(other->len + 1);
				int			tail = other->len - from;

				if (cut + tail < MAX_BYTES)
				{
					memcpy(buf + cut, other->bytes + from, tail);
					*len = cut + tail;
				}
			}
			break;
		default:				/* random bytes */
			{
				int			size = below(65);

				for (int i = 0; i < size; i++)
					buf[i] = (unsigned char) next_random();
				*len = size;
			}
			break;
	}
}

static const char text_alphabet[] = "0123456789abcdefABCDEFxX\\/-+ .eE_gz\t\n";

static void
mutate_text(unsigned char *buf, int *len)
{
	int			n = *len;

	switch (below(5))
	{
		case 0:
			if (n > 0)
				buf[below(n)] = (unsigned char) text_alphabet[below(sizeof(text_alphabet) - 1)];
			break;
		case 1:
			*len = below(n + 1);
			break;
		case 2:
			if (n + 1 < MAX_BYTES)
			{
				int			at = below(n + 1);

				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = (unsigned char) text_alphabet[below(sizeof(text_alphabet) - 1)];
				*len = n + 1;
			}
			break;
		case 3:					/* a long run of digits: overflow */
			{
				int			size = 1 + below(40);

				if (n + size < MAX_BYTES)
				{
					int			at = below(n + 1);

					memmove(buf + at + size, buf + at, n - at);
					for (int i = 0; i < size; i++)
						buf[at + i] = (unsigned char) ('0' + below(10));
					*len = n + size;
				}
			}
			break;
		default:
			if (n > 0)
			{
				int			at = below(n);

				memmove(buf + at, buf + at + 1, n - at - 1);
				*len = n - 1;
			}
			break;
	}
}

/* ----------------------------------------------------------------------------------------
 * One case
 * ---------------------------------------------------------------------------------------- */

static void
check_readers(FuzzType *t, const unsigned char *bytes, int len, bool binary, const char *value_text)
{
	for (int r = 0; r < t->nreaders; r++)
	{
		const char *p[1] = {value_text};
		PGresult   *res = PQexecParams(conn, t->readers[r], 1, NULL, p, NULL, NULL, 0);

		check_connection(t, bytes, len, binary);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			char		what[400];

			snprintf(what, sizeof(what), "%s on an accepted value", t->reader_names[r]);
			/* a data exception about the arguments, or a documented refusal (class 54) */
			if ((!sqlstate_class(res, "22") && !sqlstate_class(res, "54")) ||
				sqlstate_class(res, "22P02") || sqlstate_class(res, "22P03"))
				report(t, bytes, len, binary, what, res);
			else
				t->reader_errors++;
		}
		PQclear(res);
	}
}

static void
run_case(FuzzType *t, unsigned char *buf, int len, bool binary)
{
	const char *values[1];
	int			lengths[1];
	int			formats[1];
	Oid			types[1];
	PGresult   *res;

	types[0] = t->oid;
	values[0] = (const char *) buf;
	lengths[0] = len;
	formats[0] = binary ? 1 : 0;
	if (!binary)
	{
		for (int i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = '0';
		buf[len] = '\0';
	}
	t->cases++;
	res = PQexecParams(conn, "SELECT v::text FROM (SELECT $1 AS v) s",
					   1, types, values, lengths, formats, 0);
	check_connection(t, buf, len, binary);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		t->rejected++;
		if (!sqlstate_class(res, "22") && !sqlstate_class(res, "54"))
			report(t, buf, len, binary, "rejected with an error outside class 22 and 54", res);
		PQclear(res);
		return;
	}
	t->accepted++;
	{
		/* the text form reads back to itself */
		char	   *text = xstrdup(PQgetvalue(res, 0, 0));
		const char *p[1] = {text};
		char		sql[200];
		PGresult   *again;

		PQclear(res);
		snprintf(sql, sizeof(sql), "SELECT ($1::%s)::text", t->name);
		again = PQexecParams(conn, sql, 1, NULL, p, NULL, NULL, 0);
		check_connection(t, buf, len, binary);
		if (PQresultStatus(again) != PGRES_TUPLES_OK)
			report(t, buf, len, binary, "the text form of an accepted value does not read back", again);
		else if (strcmp(PQgetvalue(again, 0, 0), text) != 0)
			report(t, buf, len, binary, "the text form of an accepted value reads back to another value", NULL);
		else
			check_readers(t, buf, len, binary, text);
		PQclear(again);
		free(text);
	}
}

static void
fuzz_type(FuzzType *t, long cases, unsigned char *buf)
{
	for (long c = 0; c < cases; c++)
	{
		const Seed *seed = &t->seeds[below(t->nseeds)];
		bool		binary = below(2) == 0;
		int			len;

		if (!binary && below(3) == 0)
		{
			/* the seed's own text, mutated character by character */
			len = (int) strlen(seed->text);
			memcpy(buf, seed->text, len);
			for (int k = 1 + below(3); k > 0; k--)
				mutate_text(buf, &len);
		}
		else
		{
			len = seed->len;
			memcpy(buf, seed->bytes, len);
			for (int k = 1 + below(3); k > 0; k--)
				mutate_once(buf, &len, t);
			if (!binary)
			{
				/* as the \x hex form */
				static unsigned char hex[2 * MAX_BYTES + 4];
				static const char digits[] = "0123456789abcdef";
				int			h = 0;

				if (2 * len + 3 > (int) sizeof(hex))
					len = MAX_BYTES - 2;
				hex[h++] = '\\';
				hex[h++] = 'x';
				for (int i = 0; i < len; i++)
				{
					hex[h++] = (unsigned char) digits[buf[i] >> 4];
					hex[h++] = (unsigned char) digits[buf[i] & 15];
				}
				if (below(20) == 0 && h > 2)
					h--;		/* an odd number of digits */
				memcpy(buf, hex, h);
				len = h;
			}
		}
		run_case(t, buf, len, binary);
	}
}

int
main(int argc, char **argv)
{
	long		cases = 1000;
	uint64_t	seed = 1;
	const char *seeds_path = "test/fuzz/seeds.sql";
	const char *only = NULL;
	FuzzType   *types;
	int			ntypes;
	unsigned char *buf;
	int			opt;

	while ((opt = getopt(argc, argv, "n:s:f:d:t:T:")) != -1)
	{
		switch (opt)
		{
			case 'n':
				cases = strtol(optarg, NULL, 10);
				break;
			case 's':
				seed = strtoull(optarg, NULL, 10);
				break;
			case 'f':
				seeds_path = optarg;
				break;
			case 'd':
				conninfo = optarg;
				break;
			case 't':
				only = optarg;
				break;
			case 'T':
				statement_timeout_ms = strtol(optarg, NULL, 10);
				break;
			default:
				fprintf(stderr, "usage: omni_fuzz [-n cases per type] [-s seed] [-f seeds.sql] "
						"[-d conninfo] [-t type] [-T statement timeout ms]\n");
				return 2;
		}
	}
	rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	if (rng == 0)
		rng = 1;

	connect_db();
	setup_session();
	PQclear(run(read_file(seeds_path)));
	load_types(&types, &ntypes);
	buf = xmalloc(2 * MAX_BYTES + 8);

	for (int i = 0; i < ntypes; i++)
	{
		FuzzType   *t = &types[i];
		time_t		start = time(NULL);

		if (only != NULL && strcmp(only, t->name) != 0)
			continue;
		fuzz_type(t, cases, buf);
		printf("%-28s %9ld cases: %9ld accepted, %9ld rejected; %2d seeds, %2d reading functions "
			   "(%ld data-exception or refusal errors on accepted values); %lds\n",
			   t->name, t->cases, t->accepted, t->rejected, t->nseeds, t->nreaders,
			   t->reader_errors, (long) (time(NULL) - start));
		fflush(stdout);
	}
	PQfinish(conn);
	if (failures > 0)
	{
		fprintf(stderr, "omni_fuzz: %d failures (seed %llu)\n", failures, (unsigned long long) seed);
		return 1;
	}
	printf("omni_fuzz: no failures (seed %llu, %ld cases a type)\n", (unsigned long long) seed, cases);
	return 0;
}
