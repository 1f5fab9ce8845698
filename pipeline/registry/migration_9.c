/*
 * migration_9.c - the audit needs a key (docs/audit.md):
 *   audit_log.key_id   the check value of the audit key whose HMAC-SHA-256 is the row's
 *                      hash (cp_audit_mac()); NULL for rows written before this migration,
 *                      hashed with plain SHA-256 and covered by the first keyed row after them
 *   audit_append       the audit view's trigger, now appending keyed rows
 *   row_mac            the seal of each row of the sealed tables (reg_seal.c), written by
 *                      cardpipe before every commit; registry_open() seals the existing rows
 *                      right after this migration
 */
#include "pipeline/registry/schema.h"

const char migration_9_sql[] =
	"ALTER TABLE audit_log ADD COLUMN key_id TEXT;\n"
	"DROP TRIGGER audit_append;\n"
	"CREATE TRIGGER audit_append INSTEAD OF INSERT ON audit BEGIN\n"
	"  INSERT INTO audit_log(at, actor, entity, entity_id, event, detail, prev_hash, hash,\n"
	"                        key_id)\n"
	"  SELECT t.at, t.actor, NEW.entity, NEW.entity_id, NEW.event, coalesce(NEW.detail, ''),\n"
	"         t.prev, cp_audit_mac(t.prev, t.at, t.actor, NEW.entity, NEW.entity_id,\n"
	"                              NEW.event, coalesce(NEW.detail, '')), cp_audit_key_id()\n"
	"  FROM (SELECT cp_now() AS at, coalesce(NEW.actor, cp_actor()) AS actor,\n"
	"        coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),\n"
	"                 '0000000000000000000000000000000000000000000000000000000000000000')\n"
	"        AS prev) AS t;\n"
	"  INSERT INTO meta(key, value) SELECT 'audit_head', id || ':' || hash FROM audit_log\n"
	"    WHERE NOT cp_audit_head_deferred() AND id = (SELECT max(id) FROM audit_log)\n"
	"    ON CONFLICT(key) DO UPDATE SET value = excluded.value;\n"
	"END;\n"
	"ALTER TABLE input_file ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE person ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE application ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE card ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE production_attempt ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE dispatch_item ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE perso_batch ADD COLUMN row_mac TEXT;\n"
	"ALTER TABLE card_perso ADD COLUMN row_mac TEXT;\n";
