/*
 * schema.h - the registry's numbered migrations (SQL text, SQLite dialect).
 * Migration N brings the schema from version N-1 to N; never edit one that has
 * shipped, add the next. registry_open() applies what is missing in one transaction.
 */
#ifndef CP_SCHEMA_H
#define CP_SCHEMA_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration registry_migrations[];
extern const size_t registry_nmigrations;

#endif
