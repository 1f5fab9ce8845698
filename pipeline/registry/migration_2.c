/*
 * migration_2.c - schema changes owned by ingest:
 *   application.outlet   the service point or bank branch of a counter CSV record
 *   application.reason_detail   where and why ingest rejected a record ("line 7: ...")
 *   input_file.report    the quarantine report's text, to rewrite it after a crash
 */
#include "pipeline/registry/schema.h"

const char migration_2_sql[] = "ALTER TABLE application ADD COLUMN outlet TEXT;\n"
			       "ALTER TABLE application ADD COLUMN reason_detail TEXT;\n"
			       "ALTER TABLE input_file ADD COLUMN report TEXT;\n";
