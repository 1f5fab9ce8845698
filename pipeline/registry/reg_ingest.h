/*
 * reg_ingest.h - the registry as ingest sees it: input files (by SHA-256 of their raw
 * bytes) and the application rows read from them.
 *
 * A file's life: reg_ingest_file_start() records it 'ingesting' (or, for a file a crash
 * left 'ingesting', deletes its rows so it is read again from scratch); records go in
 * through a writer in batches, each batch its own transaction; reg_ingest_file_done()
 * marks it 'ingested' with its record count, or reg_ingest_file_quarantine() deletes its
 * rows and marks it 'quarantined' - so `cardpipe db check` conservation holds after any
 * crash and rerun. The caller brackets each call with registry_begin()/registry_commit().
 */
#ifndef CP_REG_INGEST_H
#define CP_REG_INGEST_H

#include "formats/application.h"
#include "pipeline/registry/registry.h"

struct reg_input_file {
	long long id;
	char *status; /* ingesting, ingested, quarantined */
	char *name;   /* original name in the inbox */
	char *reason; /* quarantine reason code */
	char *report; /* quarantine report text */
	char *archived_as;
	long long records;
};
void reg_input_file_release(struct reg_input_file *f);

/* The file with this SHA-256: 0 and *out filled, or CP_ERR_NOTFOUND. */
int reg_ingest_find_file(struct registry *reg, const char *sha256, struct reg_input_file *out);
/* The quarantined file now lying at archived_as ("quarantine/<name>"): 0 and *out filled,
 * or CP_ERR_NOTFOUND. */
int reg_ingest_find_quarantined(struct registry *reg, const char *archived_as,
				struct reg_input_file *out);
/* Record a new file as 'ingesting' (*id set). */
int reg_ingest_file_start(struct registry *reg, const char *sha256, const char *name,
			  long long *id);
/* A file left 'ingesting' by a crash: delete its rows, take the new name. */
int reg_ingest_file_reset(struct registry *reg, long long id, const char *name);
/* Finish: 'ingested' with the count (must equal its rows), its format, channel, archive. */
int reg_ingest_file_done(struct registry *reg, long long id, const char *format,
			 const char *channel, long long records, const char *archived_as);
/* Refuse the file: its rows deleted, 'quarantined' with the reason and report. */
int reg_ingest_file_quarantine(struct registry *reg, long long id, const char *format,
			       const char *channel, const char *reason, const char *report,
			       const char *archived_as);
/* A file 'ingesting' that turned out to be changing while it was read: its rows and its
 * record go (the bytes hashed were no one version of the file); the audit keeps why. */
int reg_ingest_file_abandon(struct registry *reg, long long id, const char *why);
/* Where the file now lies (after a rerun moved it again). */
int reg_ingest_file_moved(struct registry *reg, long long id, const char *archived_as);

/* Inserting records: statements prepared once per file, reused for every record. */
struct reg_ingest_writer;
int reg_ingest_writer_open(struct registry *reg, long long file_id, struct reg_ingest_writer **out);
/* One record: state 'received', or 'rejected' (with its audit row) if rec->reject_code. */
int reg_ingest_add(struct reg_ingest_writer *w, const struct app_record *rec);
void reg_ingest_writer_free(struct reg_ingest_writer *w);

#endif
