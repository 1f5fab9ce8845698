/*
 * pg_schema.h - the registry's schema in PostgreSQL's dialect (pg_schema.c), at the version
 * of the SQLite migrations it matches.
 */
#ifndef CP_PG_SCHEMA_H
#define CP_PG_SCHEMA_H

#define PG_SCHEMA_VERSION 15

extern const char pg_schema_15_sql[];

#endif
