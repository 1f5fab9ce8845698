/*
 * ingest_arrival.h - whether a file in the inbox has finished arriving (docs/ingest.md,
 * "Files still arriving").
 *
 * A channel may still be writing a file when ingest lists the inbox (an SFTP upload, an
 * rsync, a copy). Reading it then takes a prefix of it: records lost, or a complete file
 * quarantined as cut short. A file is taken only when no process has it open for writing
 * (a read lease, else a scan of /proc), it has not changed for ingest.settle_seconds, and
 * its done marker NAME.done is there when ingest.require_done_marker says the channels use
 * them. Temporary names of upload clients are never application files (ingest.c).
 */
#ifndef CP_STAGE_INGEST_ARRIVAL_H
#define CP_STAGE_INGEST_ARRIVAL_H

#include <sys/stat.h>

#include <stddef.h>

#define DONE_SUFFIX ".done" /* a channel's done marker: NAME.done once NAME is complete */

struct arrival;

/* Checks for the files of inbox (inbox_real: the same after realpath()). */
struct arrival *arrival_new(const char *inbox, const char *inbox_real, long long settle_seconds,
			    int require_done);
void arrival_free(struct arrival *a);

enum {
	ARRIVAL_NOT_YET = 0,  /* open for writing, no done marker, gone */
	ARRIVAL_READY = 1,    /* complete: may be read */
	ARRIVAL_SETTLING = 2, /* complete but for the settle time: arrival_wait_ms() more */
};
/* Whether name is complete; when it is not, *why says why (a phrase for the log, static or
 * in why_buf). */
int arrival_ready(struct arrival *a, const char *name, char *why_buf, size_t why_sz,
		  const char **why);
/* The longest any file arrival_ready() found settling still needs (ms). */
long long arrival_wait_ms(const struct arrival *a);
/* Forget what was seen (the /proc scan, the wait), to look at the inbox again. */
void arrival_again(struct arrival *a);

/* 1 if a process (this one included) has path open for writing, 0 if none, -1 if it cannot
 * be told (no lease for this file and /proc not readable). Exposed for the tests. */
int arrival_open_for_write(struct arrival *a, const char *path);

/* For a file a record refers to (a photo beside the application file), on any thread: 1 if
 * it looks complete (no writer, where a lease can tell; unchanged for settle_seconds), 0 if
 * it is still arriving. */
int arrival_settled(const char *path, long long settle_seconds);
/* The same for the file open as fd (read-only), whose fstat() is st. */
int arrival_settled_fd(int fd, const struct stat *st, long long settle_seconds);

/* The /proc scan alone (done once per arrival, then looked up): 1 some process has
 * inbox/name open for writing, 0 none seen, -1 /proc not readable. Exposed for the tests. */
int arrival_proc_writing(struct arrival *a, const char *name);

#endif
