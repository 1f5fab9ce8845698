/* migration_5.c - schema changes owned by render (card faces). Empty until that work needs one. */
#include "pipeline/registry/schema.h"

const char migration_5_sql[] = "";
