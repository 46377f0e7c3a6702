/*
 * hexform.h — the text form every variable-length omni state shares: \x followed by its
 * binary (send/recv) form in hex, like bytea's hex output.  Exact in both directions, which
 * is what Citus needs when it ships partial states between nodes through text.
 */
#ifndef OMNI_HEXFORM_H
#define OMNI_HEXFORM_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* "\x" and the len bytes in lowercase hex, palloc'd */
extern char *omni_hex_text(const char *bytes, int len);

/*
 * The bytes of a text form, into buf (initialised here); errors (22P02) name type_name when
 * the text is not \x and an even number of hex digits.
 */
extern void omni_hex_parse(const char *str, const char *type_name, StringInfo buf);

#endif							/* OMNI_HEXFORM_H */
