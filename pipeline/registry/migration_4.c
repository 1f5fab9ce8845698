/*
 * migration_4.c - schema changes owned by perso: the sealed batches it writes and which
 * batch holds each card's perso script (docs/perso-script-format.md).
 */
#include "pipeline/registry/schema.h"

const char migration_4_sql[] = "CREATE TABLE perso_batch(\n"
			       "  id INTEGER PRIMARY KEY,\n"
			       "  name TEXT NOT NULL UNIQUE,\n"
			       "  line INTEGER NOT NULL,\n"
			       "  path TEXT NOT NULL,\n"
			       "  cards INTEGER NOT NULL CHECK(cards > 0),\n"
			       "  sha256 TEXT NOT NULL,\n"
			       "  transport_key TEXT NOT NULL,\n"
			       "  transport_kcv TEXT NOT NULL,\n"
			       "  created_at TEXT NOT NULL\n"
			       ");\n"
			       "CREATE TABLE card_perso(\n"
			       "  card_id INTEGER PRIMARY KEY REFERENCES card(id),\n"
			       "  batch_id INTEGER NOT NULL REFERENCES perso_batch(id),\n"
			       "  script_sha256 TEXT NOT NULL\n"
			       ");\n"
			       "CREATE INDEX card_perso_batch ON card_perso(batch_id);\n";
