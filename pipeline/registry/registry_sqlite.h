/*
 * registry_sqlite.h - private to the SQLite backend: <sqlite3.h> over registry_conn.h's
 * struct registry. Only registry_sqlite.c and reg_seal.c's SQLite parts include it (and unit
 * tests that reach the connection); every other registry file runs its SQL through the
 * statement layer, reg_stmt.h.
 */
#ifndef CP_REGISTRY_SQLITE_H
#define CP_REGISTRY_SQLITE_H

#include "pipeline/registry/registry_conn.h"

/* sqlite3_preupdate_hook(): Debian's libsqlite3 is built with it; the header declares it only
 * when asked */
#ifndef SQLITE_ENABLE_PREUPDATE_HOOK
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#endif
#include <sqlite3.h>
#include <time.h>

#endif
