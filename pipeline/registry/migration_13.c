/*
 * migration_13.c - schema changes owned by the lock and crash-rerun discipline:
 *   proof_owed  a card that a render run with proof sheets recorded as rendered, until a
 *               proof page showing it is written. A run killed between recording its cards
 *               and writing their pages leaves the rows behind, and the next render run
 *               draws those pages first: what a run owes comes from here, not from the
 *               cards that run happened to draw.
 */
#include "pipeline/registry/schema.h"

const char migration_13_sql[] = "CREATE TABLE proof_owed(\n"
				"  card_id INTEGER PRIMARY KEY REFERENCES card(id),\n"
				"  since TEXT NOT NULL\n"
				");\n";
