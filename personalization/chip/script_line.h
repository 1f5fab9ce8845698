/*
 * script_line.h - one command line of an APDU script: the line grammar that perso scripts
 * (script.h) and the encoder's plain APDU scripts (printer/encoder/apdu_script.h) share.
 *
 *   80 E2 80 00 13 8000 10 00112233445566778899AABBCCDDEEFF  sw=9000,6A88 sens=3:16 label=X
 *
 * Hex digits (spaces and tabs between them allowed) make one short command APDU of 4 to 261
 * bytes whose Lc matches its length (Lc 00, an extended APDU, is refused); then only
 * key=value words: sw= up to 4 acceptable status words of 4 hex digits; sens=OFF:LEN the
 * data-field bytes under the line transport key (whole 16-byte blocks inside the data);
 * label= a name for messages. Every error names "name:line:" and is CP_ERR_FORMAT, but an
 * APDU over 261 bytes, which is CP_ERR_LIMIT.
 */
#ifndef CP_SCRIPT_LINE_H
#define CP_SCRIPT_LINE_H

#include <stddef.h>
#include <stdint.h>

#define PERSO_LINE_APDU_MAX 261

struct perso_line {
	unsigned char apdu[PERSO_LINE_APDU_MAX];
	size_t len;
	uint16_t sw[4]; /* n_sw 0: 9000 only */
	size_t n_sw;
	size_t sens_off, sens_len; /* sens_len 0: none */
	char label[64];		   /* "" when none */
};

/* Parse the command line [p, end) (no newline, comments already removed) into out. */
int perso_line_parse(const char *p, const char *end, const char *name, int line,
		     struct perso_line *out);

#endif
