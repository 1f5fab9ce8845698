/*
 * migration_7.c - schema changes owned by dispatch and reconcile:
 *   s10_counter      the UPU S10 serial counter per service indicator (each number once, ever)
 *   dispatch_item    + activation_ref (carrier QR code), dispatched_at, event_detail
 *                    (why a card came back, or the carrier's delivery note), handed_out_at
 *                    (an employer confirmed giving the card to the employee, item 14)
 *   an audit row when a dispatch item is created, so the status feed sees "manifested"
 */
#include "pipeline/registry/schema.h"

const char migration_7_sql[] =
	"CREATE TABLE s10_counter(prefix TEXT PRIMARY KEY, next_serial INTEGER NOT NULL\n"
	"  CHECK(next_serial BETWEEN 1 AND 100000000));\n"
	"ALTER TABLE dispatch_item ADD COLUMN activation_ref TEXT;\n"
	"ALTER TABLE dispatch_item ADD COLUMN dispatched_at TEXT;\n"
	"ALTER TABLE dispatch_item ADD COLUMN event_detail TEXT;\n"
	"ALTER TABLE dispatch_item ADD COLUMN handed_out_at TEXT;\n"
	"CREATE UNIQUE INDEX dispatch_item_activation ON dispatch_item(activation_ref)\n"
	"  WHERE activation_ref IS NOT NULL;\n"
	"CREATE INDEX dispatch_item_batch ON dispatch_item(batch, state);\n"
	"CREATE INDEX dispatch_item_state ON dispatch_item(state, method);\n"
	"CREATE TRIGGER dispatch_insert_audit AFTER INSERT ON dispatch_item BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('dispatch', NEW.id,\n"
	"    'manifested', NEW.method || ' ' || NEW.batch || coalesce(' ' || NEW.tracking_no, "
	"''));\n"
	"END;\n";
