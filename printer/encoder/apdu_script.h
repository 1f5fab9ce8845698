/*
 * apdu_script.h - a plain APDU script as text, for the encoder's diagnostic tool and tests:
 * one command per line, scriptor style, with optional expectations:
 *
 *   # comment
 *   00A4040008A000000151000000            expect 9000 (the default)
 *   80E2800012 ... sw=9000,6A88 sens=3:16 label=DGI_8113
 *
 * Fields after the hex (which may contain spaces) are key=value words: sw= a comma list of
 * acceptable status words; sens=OFF:LEN the data bytes under the line transport key;
 * label= a name for messages. Each command line follows the grammar of perso scripts and is
 * checked by the same parser (personalization/chip/script_line.h); '#' starts a comment
 * anywhere on a line. It yields struct encoder_cmd through struct encoder_script.
 */
#ifndef CP_APDU_SCRIPT_H
#define CP_APDU_SCRIPT_H

#include "printer/encoder/encoder.h"

struct apdu_script;

/* Parse text (NUL-terminated); name is for messages ("file:line: ..."). */
int apdu_script_parse(const char *text, const char *name, struct apdu_script **out);
int apdu_script_load(const char *path, struct apdu_script **out);
void apdu_script_free(struct apdu_script *s);
/* An iterator over the commands, from the first (rewound by each call). */
struct encoder_script apdu_script_iter(struct apdu_script *s);

#endif
