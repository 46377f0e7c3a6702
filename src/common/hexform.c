/*
 * hexform.c — the \x-hex text form of omni's state types (see hexform.h).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "common/hexform.h"

static const char hex_digits[] = "0123456789abcdef";

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
omni_hex_text(const char *bytes, int len)
{
	char	   *out = palloc(2 * (Size) len + 3);
	int			i;

	out[0] = '\\';
	out[1] = 'x';
	for (i = 0; i < len; i++)
	{
		out[2 + 2 * i] = hex_digits[(unsigned char) bytes[i] >> 4];
		out[3 + 2 * i] = hex_digits[(unsigned char) bytes[i] & 0x0F];
	}
	out[2 + 2 * len] = '\0';
	return out;
}

void
omni_hex_parse(const char *str, const char *type_name, StringInfo buf)
{
	size_t		len = strlen(str);
	size_t		i;

	if (len < 2 || str[0] != '\\' || str[1] != 'x' || (len - 2) % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%.*s%s\"", type_name,
						pg_mbcliplen(str, (int) len, 40), str, len > 40 ? "..." : ""),
				 errhint("The text form is \\x followed by an even number of hex digits, "
						 "as %s's output writes it.", type_name)));
	initStringInfo(buf);
	for (i = 2; i < len; i += 2)
	{
		int			hi = hex_value(str[i]);
		int			lo = hex_value(str[i + 1]);

		if (hi < 0 || lo < 0)
		{
			/* show the whole (possibly multibyte) character, as byteain does */
			const char *bad = hi < 0 ? &str[i] : &str[i + 1];

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid hexadecimal digit \"%.*s\" in %s at position %d",
							pg_mblen(bad), bad, type_name, (int) (bad - str) + 1),
					 errhint("The text form is \\x followed by an even number of hex digits.")));
		}
		appendStringInfoChar(buf, (char) (hi << 4 | lo));
	}
}
