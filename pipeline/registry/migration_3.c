/* migration_3.c - schema changes owned by prepare (rules, dedup, allocation). Empty until that work needs one. */
#include "registry/schema.h"

const char migration_3_sql[] = "";
