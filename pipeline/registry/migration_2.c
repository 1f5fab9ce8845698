/* migration_2.c - schema changes owned by ingest (formats and ingest). Empty until that work needs one. */
#include "registry/schema.h"

const char migration_2_sql[] = "";
