/* migration_7.c - schema changes owned by dispatch and reconcile. Empty until that work needs one. */
#include "registry/schema.h"

const char migration_7_sql[] = "";
