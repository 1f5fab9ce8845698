/*
 * migration_12.c - schema changes owned by ingest's arrival checks:
 *   application_duplicate_of, bank_history_application   indexes on the columns that refer
 *                  to application(id). Deleting a file's rows (a file abandoned because it
 *                  changed while read, quarantined, or redone after a crash) makes SQLite
 *                  check each deleted row against every such column: without an index, one
 *                  scan of the table per row, minutes for a file of 60,000 records
 */
#include "pipeline/registry/schema.h"

const char migration_12_sql[] =
	"CREATE INDEX application_duplicate_of ON application(duplicate_of)\n"
	"  WHERE duplicate_of IS NOT NULL;\n"
	"CREATE INDEX bank_history_application ON bank_history(application_id);\n";
