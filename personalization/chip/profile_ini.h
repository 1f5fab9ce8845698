/*
 * profile_ini.h - the INI reading that the chip profiles (chip_profile.c) and the bank
 * profiles (bank_profile.c) share: inih over a text in memory, lines counted and refused
 * when inih would cut them, a table of [section] keys each allowed once, and the first
 * error of a file kept as "PATH:LINE: [section] key: reason".
 */
#ifndef CP_CHIP_PROFILE_INI_H
#define CP_CHIP_PROFILE_INI_H

#include <ini.h>
#include <stddef.h>

struct profile_ini {
	const char *path;
	const char *text; /* the rest of the text the reader gives inih */
	int line;	  /* the line inih is at (0: the file as a whole) */
	int err;	  /* the first error (CP_ERR_FORMAT), 0 while none */
	int err_line;	  /* and its line */
	char msg[400];
	unsigned seen; /* a bit per entry of the key table */
};

/* Keep the first error of the file, at ps->line; later ones are dropped. Returns 0. */
int profile_ini_error(struct profile_ini *pi, const char *section, const char *key, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

/*
 * Which entry of a key table is [section] name: table holds n entries stride bytes apart,
 * each starting with two strings, its section and its key (at most 32 entries). Returns the
 * index, or -1 after keeping the error: the key given twice, a key the section does not
 * have, a key before the first [section], a section the table does not have.
 */
int profile_ini_key(struct profile_ini *pi, const void *table, size_t n, size_t stride,
		    const char *section, const char *name);

/* Run inih over pi->text (pi->path names it in messages) with handler and user; a syntax
 * error inih finds before the first error of ours is the one kept. */
void profile_ini_run(struct profile_ini *pi, ini_handler handler, void *user);

#endif
