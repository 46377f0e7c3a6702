/*
 * normalize.c — the normalisers identity resolution needs before two records can be said to
 * share an identifier: e-mail addresses (trim, lower-case, the documented rules of a few large
 * mailbox providers), telephone numbers (E.164 from the usual national and international
 * writings of a documented set of regions) and the Jaro-Winkler similarity for fuzzy name
 * rules.
 *
 * Every function here is a pure function of its arguments (IMMUTABLE): the provider and
 * region tables are compiled in, and case folding is ASCII only, so no locale or collation
 * can change an answer.  docs/identity.md lists what is covered and, as importantly, what
 * is not (this is not libphonenumber: lengths and leading digits are checked per region,
 * number ranges are not).
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(normalize_email);
PG_FUNCTION_INFO_V1(is_valid_email);
PG_FUNCTION_INFO_V1(normalize_phone);
PG_FUNCTION_INFO_V1(jaro_winkler);

/* ---------- e-mail ---------- */

/* RFC 5321 limits: local part 64 octets, domain 255 (253 written), path 254 */
#define EMAIL_MAX_LOCAL		64
#define EMAIL_MAX_DOMAIN	253
#define EMAIL_MAX_LABEL		63
#define EMAIL_MAX_ADDRESS	254

/* What a provider's mailboxes ignore in the local part. */
typedef struct EmailProvider
{
	const char *domain;			/* lowercase */
	const char *canonical;		/* the domain written out (NULL: unchanged) */
	bool		ignores_dots;	/* "j.doe" and "jdoe" are one mailbox */
	bool		plus_tags;		/* "jdoe+news" delivers to "jdoe" */
} EmailProvider;

/*
 * Only rules the providers document for their consumer mailboxes.  Workspace (custom
 * domain) mailboxes hosted by the same providers cannot be recognised from the address and
 * are left as written.
 */
static const EmailProvider email_providers[] = {
	/* Gmail: dots are ignored and +tags delivered to the base address; googlemail.com is Gmail */
	{"gmail.com", NULL, true, true},
	{"googlemail.com", "gmail.com", true, true},
	/* Microsoft Outlook.com (and its older domains): plus addressing */
	{"outlook.com", NULL, false, true},
	{"hotmail.com", NULL, false, true},
	{"live.com", NULL, false, true},
	{"msn.com", NULL, false, true},
	/* Fastmail: plus addressing */
	{"fastmail.com", NULL, false, true},
	{"fastmail.fm", NULL, false, true},
	/* Proton Mail: +aliases on every Proton domain */
	{"proton.me", NULL, false, true},
	{"protonmail.com", NULL, false, true},
	{"pm.me", NULL, false, true},
	{"protonmail.ch", NULL, false, true},
};

static bool
is_trim_space(const char *p, const char *end, int *width)
{
	unsigned char c = (unsigned char) *p;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
	{
		*width = 1;
		return true;
	}
	/* U+00A0 NO-BREAK SPACE, common in addresses pasted from documents */
	if (c == 0xC2 && p + 1 < end && (unsigned char) p[1] == 0xA0)
	{
		*width = 2;
		return true;
	}
	return false;
}

/* trim spaces (and no-break spaces) from both ends of [*start, *end) */
static void
trim_spaces(const char **start, const char **end)
{
	int			w;

	while (*start < *end && is_trim_space(*start, *end, &w))
		*start += w;
	while (*end > *start)
	{
		if ((unsigned char) (*end)[-1] <= ' ' && is_trim_space(*end - 1, *end, &w))
			(*end)--;
		else if (*end - *start >= 2 && (unsigned char) (*end)[-2] == 0xC2 &&
				 (unsigned char) (*end)[-1] == 0xA0)
			*end -= 2;
		else
			break;
	}
}

static bool
local_char_ok(unsigned char c)
{
	/* RFC 5322 atext, '.', and UTF-8 bytes (RFC 6531) */
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return strchr("!#$%&'*+/=?^_`{|}~-.", c) != NULL && c != '\0';
}

static bool
domain_ok(const char *d, int len)
{
	int			label_start = 0;
	int			labels = 0;
	bool		tld_has_letter = false;
	int			i;

	if (len < 1 || len > EMAIL_MAX_DOMAIN)
		return false;
	for (i = 0; i <= len; i++)
	{
		if (i == len || d[i] == '.')
		{
			int			label_len = i - label_start;

			if (label_len < 1 || label_len > EMAIL_MAX_LABEL)
				return false;
			if (d[label_start] == '-' || d[i - 1] == '-')
				return false;
			labels++;
			tld_has_letter = false;
			for (int k = label_start; k < i; k++)
				if (!(d[k] >= '0' && d[k] <= '9') && d[k] != '-')
					tld_has_letter = true;
			label_start = i + 1;
		}
		else
		{
			unsigned char c = (unsigned char) d[i];

			if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return false;
		}
	}
	/* a host name, not a bare word or an IP address (the last label is tld_has_letter's) */
	return labels >= 2 && tld_has_letter;
}

/*
 * The normalised address, palloc'd, or NULL when the text is not an address this function
 * accepts (see docs/identity.md for the exact grammar).
 */
static char *
email_normalize(const char *raw, int rawlen)
{
	const char *start = raw;
	const char *end = raw + rawlen;
	char	   *buf;
	char	   *at;
	char	   *local;
	char	   *domain;
	int			len;
	int			local_len;
	int			domain_len;
	int			i;
	const EmailProvider *provider = NULL;
	StringInfoData out;

	trim_spaces(&start, &end);
	/* "mailto:" links */
	if (end - start >= 7 && pg_strncasecmp(start, "mailto:", 7) == 0)
		start += 7;
	/* "Jane Doe <jane@example.com>" and "<jane@example.com>": the address in the brackets */
	if (end > start && end[-1] == '>')
	{
		const char *lt = NULL;

		for (const char *p = start; p < end - 1; p++)
			if (*p == '<')
				lt = p;
		if (lt == NULL)
			return NULL;
		start = lt + 1;
		end--;
		trim_spaces(&start, &end);
	}
	len = end - start;
	if (len < 3 || len > EMAIL_MAX_ADDRESS + 1)
		return NULL;

	buf = palloc(len + 1);
	for (i = 0; i < len; i++)
		buf[i] = pg_ascii_tolower((unsigned char) start[i]);
	buf[len] = '\0';
	/* a fully qualified domain's trailing dot */
	if (buf[len - 1] == '.')
		buf[--len] = '\0';

	at = strchr(buf, '@');
	if (at == NULL || strchr(at + 1, '@') != NULL)
		return NULL;
	*at = '\0';
	local = buf;
	domain = at + 1;
	local_len = at - buf;
	domain_len = len - local_len - 1;
	if (local_len < 1 || local_len > EMAIL_MAX_LOCAL || len > EMAIL_MAX_ADDRESS)
		return NULL;
	for (i = 0; i < local_len; i++)
		if (!local_char_ok((unsigned char) local[i]))
			return NULL;
	if (local[0] == '.' || local[local_len - 1] == '.' || strstr(local, "..") != NULL)
		return NULL;
	if (!domain_ok(domain, domain_len))
		return NULL;

	for (i = 0; i < (int) lengthof(email_providers); i++)
		if (strcmp(domain, email_providers[i].domain) == 0)
		{
			provider = &email_providers[i];
			break;
		}

	initStringInfo(&out);
	for (i = 0; i < local_len; i++)
	{
		if (provider != NULL && provider->plus_tags && local[i] == '+')
			break;
		if (provider != NULL && provider->ignores_dots && local[i] == '.')
			continue;
		appendStringInfoChar(&out, local[i]);
	}
	/* "+news@gmail.com" and ".@gmail.com" have no mailbox left */
	if (out.len == 0)
		return NULL;
	appendStringInfoChar(&out, '@');
	appendStringInfoString(&out, provider != NULL && provider->canonical != NULL ?
						   provider->canonical : domain);
	pfree(buf);
	return out.data;
}

Datum
normalize_email(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);
	char	   *result = email_normalize(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));

	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

Datum
is_valid_email(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(email_normalize(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw)) != NULL);
}

/* ---------- telephone numbers ---------- */

/* E.164: at most 15 digits after the +; longer input is not a number */
#define PHONE_MAX_DIGITS 15
#define PHONE_SCAN_DIGITS 24

typedef enum PhonePlan
{
	PLAN_NANP,
	PLAN_GB,
	PLAN_DE,
	PLAN_FR,
	PLAN_IT,
	PLAN_ES,
	PLAN_NL,
	PLAN_JP,
	PLAN_AU,
	PLAN_IN,
	PLAN_BR
} PhonePlan;

typedef struct PhoneCountry
{
	PhonePlan	plan;
	const char *country_code;	/* ITU-T E.164 country calling code */
	const char *intl_prefix;	/* dialled before a country code from this region */
	bool		trunk_zero;		/* national writings start with a trunk prefix 0 */
} PhoneCountry;

static const PhoneCountry phone_countries[] = {
	{PLAN_NANP, "1", "011", false},
	{PLAN_GB, "44", "00", true},
	{PLAN_DE, "49", "00", true},
	{PLAN_FR, "33", "00", true},
	{PLAN_IT, "39", "00", false},	/* the leading 0 of a landline is part of the number */
	{PLAN_ES, "34", "00", false},
	{PLAN_NL, "31", "00", true},
	{PLAN_JP, "81", "010", true},
	{PLAN_AU, "61", "0011", true},
	{PLAN_IN, "91", "00", true},
	{PLAN_BR, "55", NULL, true},	/* 00 + a carrier code: not read, see docs */
};

typedef struct PhoneRegion
{
	const char *code;			/* ISO 3166-1 alpha-2 (and aliases) */
	PhonePlan	plan;
} PhoneRegion;

static const PhoneRegion phone_regions[] = {
	{"US", PLAN_NANP}, {"CA", PLAN_NANP}, {"PR", PLAN_NANP},
	{"GB", PLAN_GB}, {"UK", PLAN_GB},
	{"DE", PLAN_DE}, {"FR", PLAN_FR}, {"IT", PLAN_IT}, {"ES", PLAN_ES}, {"NL", PLAN_NL},
	{"JP", PLAN_JP}, {"AU", PLAN_AU}, {"IN", PLAN_IN}, {"BR", PLAN_BR},
};

static const PhoneCountry *
country_of_plan(PhonePlan plan)
{
	for (int i = 0; i < (int) lengthof(phone_countries); i++)
		if (phone_countries[i].plan == plan)
			return &phone_countries[i];
	elog(ERROR, "omni: no numbering plan %d", (int) plan);
	return NULL;
}

static const PhoneCountry *
CheckPhoneRegion(const text *region)
{
	const char *s = VARDATA_ANY(region);
	int			len = VARSIZE_ANY_EXHDR(region);
	const char *start = s;
	const char *end = s + len;

	trim_spaces(&start, &end);
	if (end - start == 2)
		for (int i = 0; i < (int) lengthof(phone_regions); i++)
			if (pg_ascii_toupper((unsigned char) start[0]) == phone_regions[i].code[0] &&
				pg_ascii_toupper((unsigned char) start[1]) == phone_regions[i].code[1])
				return country_of_plan(phone_regions[i].plan);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("omni.normalize_phone does not know the region \"%s\"", text_to_cstring(region)),
			 errhint("default_region is an ISO 3166-1 country code among US, CA, PR, GB (or UK), DE, FR, IT, ES, NL, JP, AU, IN and BR.")));
	return NULL;
}

static bool
all_digits_in(const char *d, int len, char lo, char hi)
{
	for (int i = 0; i < len; i++)
		if (d[i] < lo || d[i] > hi)
			return false;
	return true;
}

/*
 * British geographic numbers of 9 digits: the five-digit area codes whose local numbers have
 * four digits (every other geographic number has 10).  From libphonenumber 8.12.57's metadata
 * (test/fixtures/make_phone_fixtures.py checks against it).
 */
static const char *const gb_short_areas[] = {
	"12046", "12087", "12545", "12762", "12763", "12766", "12972", "12973", "12982", "12987",
	"12988", "13638", "13647", "13847", "13864", "14044", "14202", "14208", "14603", "14605",
	"14606", "14607", "14614", "14805", "14887", "15243", "15246", "15276", "15626", "15668",
	"16064", "16067", "16295", "16353", "16354", "16472", "16476", "16595", "16596", "16597",
	"16955", "16977", "17266", "17267", "17442", "17502", "17503", "17504", "17505", "17506",
	"17507", "17508", "17688", "18275", "18276", "18375", "18378", "18843", "19006", "19008",
	"19052", "19358", "19466", "19492", "19498", "19632", "19633", "19956",
};

static bool
starts_with(const char *n, int len, const char *prefix)
{
	int			plen = strlen(prefix);

	return len >= plen && strncmp(n, prefix, plen) == 0;
}

/*
 * Is nsn (the national significant number, digits only) a possible number of the plan?
 * Lengths by leading digits, per the plan's published structure; allocated ranges are not
 * checked (docs/identity.md, "Telephone numbers").
 */
static bool
nsn_valid(PhonePlan plan, const char *n, int len)
{
	if (len < 1 || n[0] < '0')
		return false;
	switch (plan)
	{
		case PLAN_NANP:
			/* NXX-NXX-XXXX; N11 area codes are service codes, not areas */
			return len == 10 && n[0] >= '2' && n[3] >= '2' && !(n[1] == '1' && n[2] == '1');
		case PLAN_GB:
			/* 10 digits; 9 in the areas above and for 0800 numbers; 0800 1111 has 7 */
			if (len == 10)
				return strchr("1235789", n[0]) != NULL;
			if (len == 9)
			{
				if (starts_with(n, len, "800"))
					return true;
				for (int i = 0; i < (int) lengthof(gb_short_areas); i++)
					if (strncmp(n, gb_short_areas[i], 5) == 0)
						return true;
				return false;
			}
			return len == 7 && strncmp(n, "8001111", 7) == 0;
		case PLAN_DE:
			/* 01x: mobiles (15x: 11 digits, 16x and 17x: 10 or 11), otherwise services */
			if (n[0] == '0')
				return false;
			if (n[0] == '1')
			{
				if (len >= 2 && n[1] == '5')
					return len == 11;
				if (len >= 2 && (n[1] == '6' || n[1] == '7'))
					return len == 10 || len == 11;
				/* 0180 shared-cost service numbers */
				return starts_with(n, len, "180") && len >= 8 && len <= 14;
			}
			/* 0800 freephone: 800 and 7 to 12 digits */
			if (starts_with(n, len, "800"))
				return len >= 10 && len <= 15;
			/* 0700 personal numbers: 11 digits */
			if (starts_with(n, len, "700"))
				return len == 11;
			/* geographic and the rest: area code and subscriber number, 5 to 13 digits */
			return len >= 5 && len <= 13;
		case PLAN_FR:
			return len == 9 && n[0] != '0';
		case PLAN_NL:
			/* 0800 and 090x: 7 to 10 digits; everything else 9 */
			if (starts_with(n, len, "800") || starts_with(n, len, "900") ||
				starts_with(n, len, "906") || starts_with(n, len, "909"))
				return len >= 7 && len <= 10;
			return len == 9 && n[0] != '0';
		case PLAN_IT:
			/* landlines keep their 0 (6-11 digits); mobiles 3: 10 digits, or 9 from 32-39 */
			if (n[0] == '0')
				return len >= 6 && len <= 11;
			if (n[0] == '3')
				return len == 10 || (len == 9 && n[1] >= '2');
			/* numero verde 800 / 803 */
			if (starts_with(n, len, "800"))
				return len == 9;
			if (starts_with(n, len, "803"))
				return len == 6;
			return false;
		case PLAN_ES:
			return len == 9 && strchr("6789", n[0]) != NULL;
		case PLAN_JP:
			/* 050/070/080/090 (IP, mobile) and 0800: 10 digits; the rest: 9 */
			if (n[0] == '0')
				return false;
			if (len >= 2 && n[1] == '0' && strchr("5789", n[0]) != NULL)
				return len == 10;
			return len == 9;
		case PLAN_AU:
			/* 9 digits from 2, 3, 4 (mobile), 7, 8; 1300 and 1800 numbers: 10 */
			if (len == 9)
				return strchr("23478", n[0]) != NULL;
			return len == 10 && (strncmp(n, "1300", 4) == 0 || strncmp(n, "1800", 4) == 0);
		case PLAN_IN:
			/* 1800 toll free: 8 to 13 digits; 1600/1860: 10 and 11 */
			if (starts_with(n, len, "1800"))
				return len >= 8 && len <= 13;
			if (starts_with(n, len, "1600"))
				return len == 10;
			if (starts_with(n, len, "1860"))
				return len == 11;
			return len == 10 && n[0] != '0';
		case PLAN_BR:
			/* 0800 toll free: 9 or 10 digits */
			if (starts_with(n, len, "800"))
				return len == 9 || len == 10;
			/* a two-digit area code without zeros, then 8 digits (2-5) or 9 (mobile, 9) */
			if (!all_digits_in(n, 2, '1', '9'))
				return false;
			if (len == 10)
				return n[2] >= '2' && n[2] <= '5';
			return len == 11 && n[2] == '9';
	}
	return false;
}

/* "+" CC NSN if the national part is valid for that country, else NULL */
static char *
e164_of(const PhoneCountry *country, const char *nsn, int len)
{
	if (!nsn_valid(country->plan, nsn, len))
		return NULL;
	return psprintf("+%s%.*s", country->country_code, len, nsn);
}

/* digits after a country code: the country's rules, with a "(0)" trunk prefix dropped */
static char *
international(const char *d, int len)
{
	for (int i = 0; i < (int) lengthof(phone_countries); i++)
	{
		const PhoneCountry *c = &phone_countries[i];
		int			cclen = strlen(c->country_code);

		if (len > cclen && strncmp(d, c->country_code, cclen) == 0)
		{
			const char *nsn = d + cclen;
			int			nlen = len - cclen;

			/* "+44 (0)20 7946 0958" */
			if (c->trunk_zero && nsn[0] == '0')
			{
				nsn++;
				nlen--;
			}
			return e164_of(c, nsn, nlen);
		}
	}
	/* a country outside the covered set: only E.164's length and leading digit are checked */
	if (d[0] == '0' || len < 8 || len > PHONE_MAX_DIGITS)
		return NULL;
	return psprintf("+%.*s", len, d);
}

/* a national writing of the region */
static char *
national(const PhoneCountry *c, const char *d, int len)
{
	const char *nsn = d;
	int			nlen = len;
	char	   *result;

	if (c->plan == PLAN_NANP && len == 11 && d[0] == '1')
	{
		nsn++;
		nlen--;
	}
	else if (c->trunk_zero && len > 1 && d[0] == '0')
	{
		nsn++;
		nlen--;
		/* Brazil: 0 + a two-digit carrier selection code + area code + number */
		if (c->plan == PLAN_BR && (nlen == 12 || nlen == 13))
		{
			nsn += 2;
			nlen -= 2;
		}
	}
	result = e164_of(c, nsn, nlen);
	if (result == NULL)
	{
		/* the country code written without + or 00: "44 20 7946 0958", "91 98765 43210" */
		int			cclen = strlen(c->country_code);

		if (len > cclen && strncmp(d, c->country_code, cclen) == 0)
			result = e164_of(c, d + cclen, len - cclen);
	}
	return result;
}

/* Does an extension marker ("ext", "ext.", "extension", "x", "#", ";ext=") start at p? */
static int
extension_marker(const char *p, const char *end)
{
	static const char *const markers[] = {";ext=", "extension", "ext.", "ext", "x", "#"};

	for (int i = 0; i < (int) lengthof(markers); i++)
	{
		int			mlen = strlen(markers[i]);

		if (end - p >= mlen && pg_strncasecmp(p, markers[i], mlen) == 0)
			return mlen;
	}
	return 0;
}

static char *
phone_normalize(const char *raw, int rawlen, const PhoneCountry *region)
{
	const char *p = raw;
	const char *end = raw + rawlen;
	char		digits[PHONE_SCAN_DIGITS + 1];
	int			ndigits = 0;
	bool		plus = false;
	int			w;

	trim_spaces(&p, &end);
	if (end - p >= 4 && pg_strncasecmp(p, "tel:", 4) == 0)
		p += 4;
	for (; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= '0' && c <= '9')
		{
			if (ndigits == PHONE_SCAN_DIGITS)
				return NULL;
			digits[ndigits++] = c;
		}
		else if (c == '+' && ndigits == 0 && !plus)
			plus = true;
		else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t')
			continue;
		else if (is_trim_space(p, end, &w))
			p += w - 1;
		/* U+2010..U+2015: the hyphens and dashes word processors substitute */
		else if (c == 0xE2 && end - p >= 3 && (unsigned char) p[1] == 0x80 &&
				 (unsigned char) p[2] >= 0x90 && (unsigned char) p[2] <= 0x95)
			p += 2;
		else if (ndigits > 0 && extension_marker(p, end) > 0)
		{
			/* the extension: digits (and spaces) only, then it is dropped */
			const char *q = p + extension_marker(p, end);
			int			ext_digits = 0;

			for (; q < end; q++)
			{
				if (*q >= '0' && *q <= '9')
					ext_digits++;
				else if (*q != ' ' && *q != '.' && *q != ':')
					return NULL;
			}
			if (ext_digits == 0)
				return NULL;
			break;
		}
		else
			return NULL;		/* letters (vanity numbers), other symbols */
	}
	digits[ndigits] = '\0';
	if (ndigits == 0)
		return NULL;

	if (plus)
		return international(digits, ndigits);
	if (region->intl_prefix != NULL)
	{
		int			plen = strlen(region->intl_prefix);

		if (ndigits > plen && strncmp(digits, region->intl_prefix, plen) == 0)
			return international(digits + plen, ndigits - plen);
	}
	return national(region, digits, ndigits);
}

Datum
normalize_phone(PG_FUNCTION_ARGS)
{
	text	   *raw = PG_GETARG_TEXT_PP(0);
	const PhoneCountry *region = CheckPhoneRegion(PG_GETARG_TEXT_PP(1));
	char	   *result = phone_normalize(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), region);

	if (result == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(result));
}

/* ---------- Jaro-Winkler ---------- */

/* Winkler's prefix scale and the longest common prefix that earns the bonus */
#define JW_PREFIX_SCALE 0.1
#define JW_MAX_PREFIX 4

/*
 * Jaro similarity of a and b (characters, not bytes), then Winkler's bonus for a common
 * prefix: jw = j + l * 0.1 * (1 - j), l the common prefix length up to 4.  Two empty
 * strings are identical (1); an empty and a non-empty string share nothing (0).
 */
static double
jaro_winkler_chars(const pg_wchar *a, int alen, const pg_wchar *b, int blen)
{
	bool	   *amatch;
	bool	   *bmatch;
	int			window;
	int			matches = 0;
	int			half_transpositions = 0;
	int			prefix = 0;
	double		jaro;
	int			i,
				j,
				k;

	if (alen == 0 && blen == 0)
		return 1.0;
	if (alen == 0 || blen == 0)
		return 0.0;

	window = Max(alen, blen) / 2 - 1;
	if (window < 0)
		window = 0;
	amatch = palloc0(alen * sizeof(bool));
	bmatch = palloc0(blen * sizeof(bool));

	for (i = 0; i < alen; i++)
	{
		int			lo = Max(0, i - window);
		int			hi = Min(blen - 1, i + window);

		/* the window grows with the strings: long texts take long, so answer a cancel */
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
		for (j = lo; j <= hi; j++)
			if (!bmatch[j] && a[i] == b[j])
			{
				amatch[i] = bmatch[j] = true;
				matches++;
				break;
			}
	}
	if (matches == 0)
	{
		pfree(amatch);
		pfree(bmatch);
		return 0.0;
	}
	for (i = 0, k = 0; i < alen; i++)
	{
		if (!amatch[i])
			continue;
		while (!bmatch[k])
			k++;
		if (a[i] != b[k])
			half_transpositions++;
		k++;
	}
	pfree(amatch);
	pfree(bmatch);

	jaro = ((double) matches / alen + (double) matches / blen +
			(double) (matches - half_transpositions / 2) / matches) / 3.0;
	while (prefix < JW_MAX_PREFIX && prefix < alen && prefix < blen && a[prefix] == b[prefix])
		prefix++;
	return jaro + prefix * JW_PREFIX_SCALE * (1.0 - jaro);
}

static pg_wchar *
text_to_wchars(const text *t, int *len)
{
	int			bytes = VARSIZE_ANY_EXHDR(t);
	pg_wchar   *w = palloc((bytes + 1) * sizeof(pg_wchar));

	*len = pg_mb2wchar_with_len(VARDATA_ANY(t), w, bytes);
	return w;
}

Datum
jaro_winkler(PG_FUNCTION_ARGS)
{
	int			alen,
				blen;
	pg_wchar   *a = text_to_wchars(PG_GETARG_TEXT_PP(0), &alen);
	pg_wchar   *b = text_to_wchars(PG_GETARG_TEXT_PP(1), &blen);

	PG_RETURN_FLOAT8(jaro_winkler_chars(a, alen, b, blen));
}
