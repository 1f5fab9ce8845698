/*
 * reg_photo.h - where the registry says each application's photo is stored, for the
 * operators' photo commands (pipeline/stages/photo_spool.h): one application's, by its
 * number or its card's, and every one in turn.
 */
#ifndef CP_REG_PHOTO_H
#define CP_REG_PHOTO_H

#include <stddef.h>

struct registry;

struct photo_row {
	long long app_id;
	char *card_no; /* the card made for the application, NULL: none yet */
	char *sha256;  /* the photo's hash; NULL: the record has no stored photo */
	char *loc;     /* its place in a pack (photo_store.h); NULL: a file by its hash */
};

void photo_row_release(struct photo_row *row);
void photo_rows_free(struct photo_row *rows, size_t n);

/* The photo of application app_id (card_no NULL), or of the application card_no was made
 * for (app_id 0). CP_ERR_NOTFOUND when there is no such application or card. */
int reg_photo_find(struct registry *reg, long long app_id, const char *card_no,
		   struct photo_row *row);
/* Up to limit applications with a stored photo, by id, above after_id. */
int reg_photo_list(struct registry *reg, long long after_id, size_t limit, struct photo_row **rows,
		   size_t *n);
/* How many applications have a stored photo (for a progress display). */
int reg_photo_count(struct registry *reg, long long *n);

#endif
