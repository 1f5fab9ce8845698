/*
 * migration_17.c - the same audit chain and the same rule, written so that SQLite no longer
 * builds a temporary b-tree for them at every row (8.6 % of prepare's instructions):
 *   audit_append           the audit view's trigger takes the previous row's hash from
 *                          cp_audit_prev() (registry_sqlite.c) instead of a subquery on
 *                          audit_log: an INSERT INTO audit_log ... SELECT that reads
 *                          audit_log is first run into a temporary table. Same columns,
 *                          same MAC, same head as migration_15.c's.
 *   card_one_in_production one card of a person in production, its predicate as equalities:
 *                          an IN list of more than two values is a temporary index built
 *                          at each insert or state change of a card.
 * PostgreSQL has neither cost (pg_schema.c): its step to 17 only comments the index.
 */
#include "pipeline/registry/schema.h"

const char migration_17_sql[] =
	"DROP TRIGGER audit_append;\n"
	"CREATE TRIGGER audit_append INSTEAD OF INSERT ON audit BEGIN\n"
	"  INSERT INTO audit_log(at, actor, entity, entity_id, event, detail, prev_hash, hash,\n"
	"                        key_id)\n"
	"  SELECT t.at, t.actor, NEW.entity, NEW.entity_id, NEW.event, coalesce(NEW.detail, ''),\n"
	"         t.prev, cp_audit_mac(t.prev, t.at, t.actor, NEW.entity, NEW.entity_id,\n"
	"                              NEW.event, coalesce(NEW.detail, '')), cp_audit_key_id()\n"
	"  FROM (SELECT cp_now() AS at, coalesce(NEW.actor, cp_actor()) AS actor,\n"
	"        cp_audit_prev() AS prev) AS t;\n"
	"  INSERT INTO meta(key, value) SELECT 'audit_head', cp_audit_head(id, hash)\n"
	"    FROM audit_log\n"
	"    WHERE NOT cp_audit_head_deferred() AND id = (SELECT max(id) FROM audit_log)\n"
	"    ON CONFLICT(key) DO UPDATE SET value = excluded.value;\n"
	"END;\n"
	"DROP INDEX card_one_in_production;\n"
	"CREATE UNIQUE INDEX card_one_in_production ON card(person_id)\n"
	"  WHERE state = 'allocated' OR state = 'perso_ready' OR state = 'rendered'\n"
	"     OR state = 'held';\n";
