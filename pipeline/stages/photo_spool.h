/*
 * photo_spool.h - what operators do with the stored photos (docs/photo-pack.md): take one
 * out as the JPEG the channel sent, and check that every photo the registry names still
 * reads back whole. Both read through photo_store.h, so a photo comes out only when its
 * bytes match the hash its application recorded.
 */
#ifndef CP_STAGE_PHOTO_SPOOL_H
#define CP_STAGE_PHOTO_SPOOL_H

#include "pipeline/stages/stage.h"

#include <stddef.h>
#include <stdio.h>

struct photo_export {
	long long app_id;    /* in: the application, or 0 with card_no */
	const char *card_no; /* in: the card whose application's photo, or NULL */
	const char *out;     /* in: the file to write (0600); one that exists is refused */
	long long got_app;   /* out: the application whose photo it is */
	size_t len;	     /* out: its bytes */
	char sha256[65];     /* out: their SHA-256 */
};

/* Write the photo of one application to ex->out, with an audit row 'photo-exported' on the
 * application (where to, how many bytes, the hash): a photo is personal data, and who took
 * one out is on record. Nothing is written when the audit row cannot be, and the file is
 * removed when its row does not commit. CP_ERR_NOTFOUND: no such application or card, or
 * its photo is missing from the spool; CP_ERR_INTEGRITY: the stored bytes are damaged;
 * CP_ERR_INVALID: the application has no stored photo; CP_ERR_EXISTS: ex->out exists. */
int photo_export(const struct stage_ctx *sc, struct photo_export *ex);

struct photo_check_result {
	long long checked; /* applications with a stored photo */
	long long missing; /* the pack or file is gone */
	long long damaged; /* bytes that are not the photo's, cut short, unreadable */
};

/* Read every stored photo the registry names, in application order, against its hash; one
 * line to out per photo that does not read back (application, card, place, reason). Shows
 * a progress line on a terminal. 0 when it could run (res says what it found). */
int photo_check_all(const struct stage_ctx *sc, FILE *out, struct photo_check_result *res);

#endif
