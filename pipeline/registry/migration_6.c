/* migration_6.c - schema changes owned by produce (production line). Empty until that work needs one. */
#include "registry/schema.h"

const char migration_6_sql[] = "";
