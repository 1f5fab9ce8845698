/*
 * migration_10.c - schema changes owned by produce and prepare (issue 12, sections 3 and 4):
 *   production_attempt.fault  whose fault a spoiled attempt was: 'card' (chip, qc, print:
 *                  the card is remade and held after produce.max_attempts of them) or
 *                  'line' (the printer, the reader, the script, an interruption: never
 *                  charged to the card). Set from the reason by a trigger and checked
 *                  against it, so it cannot disagree with it (a stored column: row seals
 *                  cover every stored column). New line reasons: 'reader' (the encoder's
 *                  reader or pcscd failed), 'printer' (a printer error that is no print
 *                  defect and does not clear by itself), 'script' (the line's perso script
 *                  is bad). SQLite cannot change a CHECK, so the table is rebuilt with its
 *                  indexes and triggers; the rows keep their ids and their row seals
 *                  (row_mac, migration 9: resealed after the migration).
 *   card.transport_no  the transport (T-Union) application's card number, allocated once
 *                  ever from transport_counter (one row per city code), UNIQUE
 *                  (docs/card-number.md "Transport card number").
 */
#include "pipeline/registry/schema.h"

/* The fault class of a spoil reason r (NULL when there is none). */
#define FAULT_OF(r)                                                                                \
	"(CASE WHEN " r " IS NULL THEN NULL WHEN " r " IN ('chip','qc','print') THEN 'card' "      \
	"ELSE 'line' END)"
#define FAULT_OF_REASON FAULT_OF("spoil_reason")
#define FAULT_OF_NEW FAULT_OF("NEW.spoil_reason")

const char migration_10_sql[] =
	"CREATE TABLE production_attempt_v10(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  card_id INTEGER NOT NULL REFERENCES card(id),\n"
	"  attempt_no INTEGER NOT NULL,\n"
	"  line INTEGER NOT NULL,\n"
	"  shift TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL,\n"
	"  ended_at TEXT,\n"
	"  state TEXT NOT NULL CHECK(state IN ('in_flight','produced','spoiled')),\n"
	"  spoil_reason TEXT CHECK(spoil_reason IS NULL OR spoil_reason IN\n"
	"    ('chip','print','qc','jam','feeder','ribbon','cover','connection','interrupted',\n"
	"     'reader','printer','script')),\n"
	"  detail TEXT,\n"
	"  chip_id TEXT,\n"
	"  step TEXT NOT NULL DEFAULT 'started'\n"
	"    CHECK(step IN ('started','fed','contact','encoded','printed','ejected')),\n"
	"  fed INTEGER NOT NULL DEFAULT 0 CHECK(fed IN (0, 1)),\n"
	"  row_mac TEXT,\n"
	"  fault TEXT CHECK(fault IS NULL OR fault = " FAULT_OF_REASON "),\n"
	"  UNIQUE(card_id, attempt_no),\n"
	"  CHECK((state = 'spoiled') = (spoil_reason IS NOT NULL))\n"
	");\n"
	"INSERT INTO production_attempt_v10(id, card_id, attempt_no, line, shift, started_at,\n"
	"  ended_at, state, spoil_reason, detail, chip_id, step, fed, row_mac, fault)\n"
	"  SELECT id, card_id, attempt_no, line, shift, started_at, ended_at, state,\n"
	"    spoil_reason, detail, chip_id, step, fed, row_mac, " FAULT_OF_REASON "\n"
	"  FROM production_attempt;\n"
	"DROP TABLE production_attempt;\n"
	"ALTER TABLE production_attempt_v10 RENAME TO production_attempt;\n"
	"CREATE UNIQUE INDEX attempt_one_in_flight ON production_attempt(card_id)\n"
	"  WHERE state = 'in_flight';\n"
	"CREATE UNIQUE INDEX attempt_one_produced ON production_attempt(card_id)\n"
	"  WHERE state = 'produced';\n"
	"CREATE INDEX production_attempt_line ON production_attempt(line, shift, state);\n"
	"CREATE TRIGGER attempt_audit AFTER UPDATE OF state ON production_attempt\n"
	"  WHEN OLD.state IS NOT NEW.state BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('attempt', NEW.id,\n"
	"    OLD.state || '->' || NEW.state,\n"
	"    coalesce(" FAULT_OF_NEW " || ' fault: ' || NEW.spoil_reason, ''));\n"
	"END;\n"
	/* the fault follows the reason, however the row was written */
	"CREATE TRIGGER attempt_fault_insert AFTER INSERT ON production_attempt\n"
	"  WHEN NEW.spoil_reason IS NOT NULL AND NEW.fault IS NULL BEGIN\n"
	"  UPDATE production_attempt SET fault = " FAULT_OF_REASON " WHERE id = NEW.id;\n"
	"END;\n"
	"CREATE TRIGGER attempt_fault_update AFTER UPDATE OF spoil_reason ON production_attempt\n"
	"  WHEN NEW.fault IS NOT " FAULT_OF_NEW " BEGIN\n"
	"  UPDATE production_attempt SET fault = " FAULT_OF_REASON " WHERE id = NEW.id;\n"
	"END;\n"
	"CREATE TRIGGER attempt_insert_audit AFTER INSERT ON production_attempt BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('attempt', NEW.id, 'in_flight', 'card ' || NEW.card_id || ' attempt ' ||\n"
	"         NEW.attempt_no || ' line ' || NEW.line);\n"
	"END;\n"

	"CREATE TABLE transport_counter(city TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);\n"
	"ALTER TABLE card ADD COLUMN transport_no TEXT;\n"
	"CREATE UNIQUE INDEX card_transport_no ON card(transport_no)\n"
	"  WHERE transport_no IS NOT NULL;\n"
	/* allocated once ever: a card's transport number is never changed or taken back */
	"CREATE TRIGGER card_transport_no_final BEFORE UPDATE OF transport_no ON card\n"
	"  WHEN OLD.transport_no IS NOT NULL AND NEW.transport_no IS NOT OLD.transport_no BEGIN\n"
	"  SELECT RAISE(ABORT, 'a transport card number is allocated once and never changed');\n"
	"END;\n";
