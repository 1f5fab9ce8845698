/*
 * migration_15.c - the audit chain's recorded head is sealed (docs/audit.md):
 *   audit_append   the audit view's trigger, now recording meta.audit_head as
 *                  cp_audit_head(id, hash), "ID:HASH:MAC" under the audit key, so that
 *                  moving the head back over rows cut from the end needs the key. The
 *                  commit of this migration (which appends its own audit row) records the
 *                  first sealed head.
 */
#include "pipeline/registry/schema.h"

const char migration_15_sql[] =
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
	"  INSERT INTO meta(key, value) SELECT 'audit_head', cp_audit_head(id, hash)\n"
	"    FROM audit_log\n"
	"    WHERE NOT cp_audit_head_deferred() AND id = (SELECT max(id) FROM audit_log)\n"
	"    ON CONFLICT(key) DO UPDATE SET value = excluded.value;\n"
	"END;\n";
