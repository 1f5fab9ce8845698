/*
 * reg_migrate.h - `cardpipe db migrate --to URL`: a SQLite registry copied into a new,
 * empty PostgreSQL registry with its whole history: every row with its id and values (so
 * that the row seals hold), the whole audit chain, then one audit row on the target saying
 * so, chained onto it.
 */
#ifndef CP_REG_MIGRATE_H
#define CP_REG_MIGRATE_H

#include <stdio.h>

struct progress;
struct registry;

/* The tables copied, in the order they are copied (every table after those it refers to). */
#define REG_MIGRATE_TABLES 18

struct reg_migrate_report {
	struct {
		const char *name;
		long long rows; /* copied, and counted the same on both sides */
	} table[REG_MIGRATE_TABLES];
	int ntables;
	int committed;	      /* the copy was committed (the checks after it may still fail) */
	long long audit_rows; /* the target's chain, verified: the source's rows + 1 */
	int problems;	      /* the target's failed checks (registry_check(); 0 when all hold) */
};

/* Copy the SQLite registry src (read in one snapshot) into dst, a PostgreSQL registry just
 * opened on an empty database, in one transaction of dst: refused (CP_ERR_EXISTS) when dst
 * holds anything but its own schema and first audit row, or when src's audit chain does not
 * verify. Before the commit every table's rows are counted on both sides; after it, dst's
 * audit chain is verified (the source's rows and the migration's own) and every check of
 * `db check` runs on dst, its lines written to out (NULL: not written). CP_ERR_INTEGRITY when
 * a check fails after the commit (rep->problems says how many; the rows stay copied).
 * prog (NULL: none) counts the rows copied against the source's total (core/progress.h). */
int registry_migrate(struct registry *src, struct registry *dst, FILE *out,
		     struct reg_migrate_report *rep, struct progress *prog);

#endif
