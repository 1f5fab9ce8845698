/* migration_8.c - schema changes owned by nightly and instant runs. Empty until that work needs one. */
#include "pipeline/registry/schema.h"

const char migration_8_sql[] = "";
