/*
 * fields.h - the bounds and character sets of an application's free-text and code fields
 * (formats/counter-csv.md "Field bounds"), and Beijing's district codes (GB/T 2260).
 * Prepare judges every record with them, whatever channel it came from; the fuzz target
 * fuzz_fields.c runs them on arbitrary bytes. Pure functions.
 */
#ifndef CP_FIELDS_H
#define CP_FIELDS_H

#include <stddef.h>

enum text_class {
	/* a person's name: CJK ideographs (all extensions, compatibility, U+3007), private-use
	 * code points (rare characters, held later when no font draws them), Latin letters
	 * (ASCII, Latin-1, Latin Extended-A), and between letters a space, '·' (U+00B7), '-',
	 * '\'', '.' or ','. No digits, symbols, emoji, controls. */
	TEXT_NAME,
	/* one line of text (address, proof of guardianship, employer name, reference):
	 * printable ASCII but '<' and '>', Latin-1 and Latin Extended-A letters, '·', general punctuation
	 * U+2010-U+2027, CJK punctuation U+3000-U+303F, fullwidth forms U+FF01-U+FF5E, CJK
	 * ideographs. No controls, line or paragraph separators, bidirectional or zero-width
	 * formatting, private use, emoji or other symbols. */
	TEXT_LINE,
	/* a code: ASCII letters, digits, '-' and '_' */
	TEXT_CODE,
};

struct text_problem {
	const char *why; /* static English: "is longer than 100 characters", ... */
	int too_long;	 /* 1: the bound, 0: a character (or bad UTF-8) */
	int bad_utf8;	 /* 1: not valid UTF-8 */
	unsigned cp;	 /* the character refused */
	size_t at;	 /* its 1-based position in characters */
	size_t nchars;	 /* characters counted (up to the first problem) */
};

/* 0 when s (NUL-terminated UTF-8) has 1..max_chars characters, all of cls; otherwise -1
 * with *p saying why. An empty string is a problem ("is empty"). */
int text_check(const char *s, enum text_class cls, size_t max_chars, struct text_problem *p);

/* The district (区) name of a GB/T 2260 code of one of Beijing's 16 districts
 * ("110101" -> "东城区"), or NULL. */
const char *beijing_district(const char *code);

/* A bounded, printable rendering of a value for a message: at most 40 bytes of it, control
 * bytes as \xNN, "..." when cut (never inside a UTF-8 sequence). */
void text_shown(const char *s, char *out, size_t outsz);

#endif
