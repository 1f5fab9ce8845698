/*
 * migration_3.c - schema changes owned by prepare (rules, dedup, allocation):
 *   bank_history   every bank a person has had, with the date it was chosen and the bank
 *                  before it: the 6-month limit on changing bank (manual item 27) is
 *                  counted from the last row with a previous_bank
 *   application_received_person   the received applications in person order, so prepare
 *                  reads them a chunk at a time with each person's records together (the
 *                  index holds only received rows, so it stays small)
 *   card_person    a person's cards (old card of a replacement, superseding)
 *   a card's state cannot leave 'superseded' (item 22: a replaced card is never unblocked)
 */
#include "pipeline/registry/schema.h"

const char migration_3_sql[] =
	"CREATE TABLE bank_history(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  person_id INTEGER NOT NULL REFERENCES person(id),\n"
	"  bank TEXT NOT NULL,\n"
	"  previous_bank TEXT,\n"
	"  since TEXT NOT NULL,\n"
	"  application_id INTEGER NOT NULL REFERENCES application(id)\n"
	");\n"
	"CREATE INDEX bank_history_person ON bank_history(person_id, since);\n"
	"CREATE INDEX application_received_person\n"
	"  ON application(coalesce(id_type, ''), coalesce(id_number, ''), id)\n"
	"  WHERE state = 'received';\n"
	"CREATE INDEX card_person ON card(person_id);\n"
	"CREATE TRIGGER card_superseded_final BEFORE UPDATE OF state ON card\n"
	"  WHEN OLD.state = 'superseded' AND NEW.state IS NOT 'superseded' BEGIN\n"
	"  SELECT RAISE(ABORT, 'a superseded card stays superseded (manual item 22)');\n"
	"END;\n";
