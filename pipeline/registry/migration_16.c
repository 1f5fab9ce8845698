/*
 * migration_16.c - schema changes owned by ingest's photo packs (docs/photo-pack.md):
 *   application.photo_loc  where ingest stored the record's photo: "PACK:OFFSET", the pack
 *                          file under spool/photos/packs/ and the byte offset of the photo's
 *                          entry in it. NULL for rows of earlier releases, whose photos are
 *                          files spool/photos/<ab>/<sha256>.jpg, and for records without a
 *                          photo. Part of the row, so the row's seal covers it.
 */
#include "pipeline/registry/schema.h"

const char migration_16_sql[] = "ALTER TABLE application ADD COLUMN photo_loc TEXT;\n";
