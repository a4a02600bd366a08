/* SPDX-License-Identifier: BSD-2-Clause */
/* escape.c - escaping for JSON strings and XML/HTML (escape.h). */
#include "mpana/escape.h"

const char *mp_escape_char(enum mp_esc_lang lang, unsigned char c, char buf[8])
{
	static const char hex[] = "0123456789abcdef";

	if (lang == MP_ESC_JSON) {
		if (c == '"')
			return "\\\"";
		if (c == '\\')
			return "\\\\";
		if (c < 0x20) {
			buf[0] = '\\';
			buf[1] = 'u';
			buf[2] = '0';
			buf[3] = '0';
			buf[4] = hex[c >> 4];
			buf[5] = hex[c & 0xf];
			buf[6] = '\0';
			return buf;
		}
		return NULL;
	}
	switch (c) {
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '&': return "&amp;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\t': case '\n': return NULL;
	default: return c < 0x20 ? "?" : NULL;
	}
}

void mp_escape_fputs(FILE *f, enum mp_esc_lang lang, const char *s)
{
	char buf[8];

	for (; s && *s; s++) {
		const char *r = mp_escape_char(lang, (unsigned char)*s, buf);
		if (r)
			fputs(r, f);
		else
			fputc(*s, f);
	}
}
