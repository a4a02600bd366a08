/* SPDX-License-Identifier: BSD-2-Clause */
/* escape.h - the one escaper for text placed in JSON strings, XML (JUnit)
 * and HTML (the report) (src/base/escape.c).
 *
 * JSON (RFC 8259 §7): '"' and '\' escaped, control characters as \u00XX,
 * everything else (UTF-8 included) as is. XML/HTML (XML 1.0 §2.4, one rule
 * for both, valid in text and in quoted attributes): & < > " ' as entity
 * references; control characters other than tab and newline, which XML
 * 1.0 cannot carry at all, as '?'. */
#ifndef MPANA_ESCAPE_H
#define MPANA_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum mp_esc_lang {
	MP_ESC_JSON = 0, /* inside a JSON string literal */
	MP_ESC_XML = 1,  /* XML or HTML text and attribute values */
};

/* The replacement for byte c in `lang`, or NULL when c is written as is.
 * May return `buf` (at least 8 bytes), which it fills. */
const char *mp_escape_char(enum mp_esc_lang lang, unsigned char c, char buf[8]);

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4: no overlong
 * form, no surrogate, nothing beyond U+10FFFF) within its n >= 1 bytes; 0
 * when none starts there. */
size_t mp_utf8_len(const uint8_t *s, size_t n);

/* Writes the NUL-terminated `s` escaped for `lang` to f (NULL s: nothing). */
void mp_escape_fputs(FILE *f, enum mp_esc_lang lang, const char *s);

#endif /* MPANA_ESCAPE_H */
