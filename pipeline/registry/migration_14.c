/*
 * migration_14.c - schema changes owned by ingest's photo check:
 *   application.photo_check  the photo's check against the standard as ingest made it while
 *                            it held the bytes (photo_result_encode(): the check's version,
 *                            the limits and the result), so that prepare does not read and
 *                            decode the photo again. NULL for rows of earlier releases and
 *                            for records without a photo: prepare checks those itself. Part
 *                            of the row, so the row's seal covers it.
 */
#include "pipeline/registry/schema.h"

const char migration_14_sql[] = "ALTER TABLE application ADD COLUMN photo_check TEXT;\n";
