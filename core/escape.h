/*
 * escape.h - untrusted text (file names, values echoed in messages) made safe to write as
 * part of one line of a log, a report or a terminal: it can neither end the line nor carry
 * a terminal control sequence, and what is written is valid UTF-8.
 */
#ifndef CP_ESCAPE_H
#define CP_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/* The length (1-4) of the valid UTF-8 sequence at s, its code point in *cp; 0 if s does not
 * start one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short). */
size_t esc_utf8_seq(const char *s, uint32_t *cp);
/* 1 for a code point no log line, report or file name may carry as is: C0 controls, DEL,
 * C1 controls, the line and paragraph separators, the bidirectional controls (U+061C,
 * U+200E/200F, U+202A-202E, U+2066-2069). The one list every escaper uses. */
int esc_unsafe_cp(uint32_t c);

/*
 * Copy s into out (outsz bytes, always NUL-terminated when outsz > 0), escaped: newline,
 * carriage return and tab as \n \r \t; other control characters (C0, DEL, C1) and every byte
 * that is not part of valid UTF-8 as \xNN; the Unicode line and paragraph separators and the
 * bidirectional controls as \uNNNN. Everything else, Chinese included, is kept. Returns the
 * length the whole result needs (as snprintf does). A backslash is doubled (\\), so the
 * characters \n of a name never read as an escaped newline.
 */
size_t esc_line(char *out, size_t outsz, const char *s);
/* The same, into new memory (xmalloc). */
char *esc_line_dup(const char *s);

#endif
