/* migration_4.c - schema changes owned by perso (keys, chip data). Empty until that work needs one. */
#include "registry/schema.h"

const char migration_4_sql[] = "";
