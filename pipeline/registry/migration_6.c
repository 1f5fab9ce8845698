/*
 * migration_6.c - schema changes owned by produce (production line):
 *   production_attempt.step  how far the physical card got (started, fed, contact, encoded,
 *                            printed, ejected), committed before the next irreversible step,
 *                            so that a restarted line knows what its in-flight card went
 *                            through (docs/production-line.md "Crash recovery");
 *   production_attempt.fed   1 once the printer took a card from the feeder for it: the
 *                            shift counts "fed = produced + spoiled after feeding";
 *   production_pause         every pause of a line for a printer fault, for the shift report.
 */
#include "pipeline/registry/schema.h"

const char migration_6_sql[] =
	"ALTER TABLE production_attempt ADD COLUMN step TEXT NOT NULL DEFAULT 'started'\n"
	"  CHECK(step IN ('started','fed','contact','encoded','printed','ejected'));\n"
	"ALTER TABLE production_attempt ADD COLUMN fed INTEGER NOT NULL DEFAULT 0\n"
	"  CHECK(fed IN (0, 1));\n"
	"CREATE INDEX production_attempt_line ON production_attempt(line, shift, state);\n"
	"CREATE TABLE production_pause(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  line INTEGER NOT NULL,\n"
	"  shift TEXT NOT NULL,\n"
	"  cause TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL,\n"
	"  ended_at TEXT,\n"
	"  outcome TEXT CHECK(outcome IS NULL OR outcome IN ('cleared','stopped','timeout'))\n"
	");\n"
	"CREATE TRIGGER production_pause_audit AFTER INSERT ON production_pause BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('line', NEW.line, 'paused', NEW.cause);\n"
	"END;\n"
	"CREATE TRIGGER production_pause_end_audit AFTER UPDATE OF outcome ON production_pause\n"
	"  WHEN OLD.outcome IS NULL AND NEW.outcome IS NOT NULL BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('line', NEW.line, 'resumed', NEW.outcome);\n"
	"END;\n"
	"CREATE TRIGGER attempt_insert_audit AFTER INSERT ON production_attempt BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('attempt', NEW.id, 'in_flight', 'card ' || NEW.card_id || ' attempt ' ||\n"
	"         NEW.attempt_no || ' line ' || NEW.line);\n"
	"END;\n";
