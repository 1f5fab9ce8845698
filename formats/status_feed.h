/*
 * status_feed.h - the status feed's record (formats/status-feed.md): one JSON object per
 * line. The status stage (pipeline/stages/status.c) reads the changes from the registry,
 * keeps the watermark and writes the file; this writes the lines.
 */
#ifndef CP_FORMATS_STATUS_FEED_H
#define CP_FORMATS_STATUS_FEED_H

#include "core/buf.h"

/* One change, as the registry's audit log holds it. NULL strings are written as "". */
struct status_feed_record {
	long long seq;
	const char *at;
	long long app_id; /* 0: no application known (no application keys are written) */
	const char *channel, *channel_ref;
	const char *id_number;	    /* in full: the writer masks it */
	const char *entity, *event; /* event "old->new" or the creation event */
	const char *card_no, *tracking_no;
	const char *detail; /* reason code of an application event or of a card held */
};

/* Append rec as one line ("{...}\n") to b. */
int status_feed_line(struct buf *b, const struct status_feed_record *rec);

#endif
