/*
 * pg_schema.h - the registry's schema in PostgreSQL's dialect (pg_schema.c), at the version
 * of the SQLite migrations it matches.
 */
#ifndef CP_PG_SCHEMA_H
#define CP_PG_SCHEMA_H

#define PG_SCHEMA_VERSION 17

/* The whole schema at PG_SCHEMA_VERSION, for an empty database. */
extern const char pg_schema_17_sql[];

/* The steps from each earlier version a PostgreSQL registry was made at, in order: step i
 * brings version pg_migrations[i].from to from + 1, as the SQLite migration of that number
 * does (migrate_schema() in registry_pg.c takes them in one pass). */
struct pg_migration {
	int from;
	const char *sql;
};
extern const struct pg_migration pg_migrations[];
extern const unsigned pg_nmigrations;

#endif
