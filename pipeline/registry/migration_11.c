/*
 * migration_11.c - schema changes owned by the chip life cycle (issued means locked):
 *   production_attempt.locked_at  when the encoder verified the card locked the GP way
 *                                 (the applications PERSONALIZED, the card SECURED; see
 *                                 docs/card-lifecycle.md); set once, audited. A produced
 *                                 attempt without it is a card that must not be shipped
 *                                 (`cardpipe db check`).
 */
#include "pipeline/registry/schema.h"

const char migration_11_sql[] =
	"ALTER TABLE production_attempt ADD COLUMN locked_at TEXT;\n"
	"CREATE TRIGGER attempt_locked_once BEFORE UPDATE OF locked_at ON production_attempt\n"
	"  WHEN OLD.locked_at IS NOT NULL AND NEW.locked_at IS NOT OLD.locked_at BEGIN\n"
	"  SELECT RAISE(ABORT, 'a lock time is never changed');\n"
	"END;\n"
	"CREATE TRIGGER attempt_locked_audit AFTER UPDATE OF locked_at ON production_attempt\n"
	"  WHEN OLD.locked_at IS NULL AND NEW.locked_at IS NOT NULL BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('attempt', NEW.id, 'locked', 'card ' || NEW.card_id || ' chip ' ||\n"
	"         coalesce(NEW.chip_id, '?') || ' SECURED at ' || NEW.locked_at);\n"
	"END;\n";
