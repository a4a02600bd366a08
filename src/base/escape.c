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

size_t mp_utf8_len(const uint8_t *s, size_t n)
{
	unsigned lo = 0x80, hi = 0xbf; /* the second byte's range */
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = s[0] == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80; /* overlong */
		hi = s[0] == 0xf4 ? 0x8f : 0xbf; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
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
