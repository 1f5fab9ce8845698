/*
 * schema.c - migration 1: the registry's tables, constraints and audit triggers.
 *
 * States (CHECK constraints name every one):
 *   input_file.status   ingesting -> ingested | quarantined
 *   application.state   received -> accepted | rejected | duplicate | held
 *   card.state          allocated -> perso_ready -> rendered -> produced -> dispatched
 *                       -> delivered | returned; any open state -> held | superseded | cancelled
 *   production_attempt  in_flight -> produced | spoiled
 * Every state change of an application or card appends an audit_log row (triggers), and
 * audit_log rows are hash-chained: hash = SHA-256 over the previous hash and the row's fields
 * (cp_audit_hash(), registered on every connection by registry_sqlite.c).
 */
#include "pipeline/registry/schema.h"

#include "core/mem.h"

static const char migration1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"

	"CREATE TABLE input_file(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  sha256 TEXT NOT NULL UNIQUE,\n"
	"  name TEXT NOT NULL,\n"
	"  channel TEXT NOT NULL,\n"
	"  format TEXT NOT NULL,\n"
	"  received_at TEXT NOT NULL,\n"
	"  status TEXT NOT NULL CHECK(status IN ('ingesting','ingested','quarantined')),\n"
	"  records INTEGER NOT NULL DEFAULT 0,\n"
	"  reason TEXT,\n"
	"  archived_as TEXT\n"
	");\n"

	"CREATE TABLE person(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  id_type TEXT NOT NULL,\n"
	"  id_number TEXT NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  bank TEXT,\n"
	"  bank_since TEXT,\n"
	"  created_at TEXT NOT NULL,\n"
	"  UNIQUE(id_type, id_number)\n"
	");\n"

	"CREATE TABLE application(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  file_id INTEGER NOT NULL REFERENCES input_file(id),\n"
	"  record_no INTEGER NOT NULL,\n"
	"  location TEXT NOT NULL,\n"
	"  channel TEXT NOT NULL,\n"
	"  channel_ref TEXT,\n"
	"  app_type TEXT,\n"
	"  submitted_at TEXT,\n"
	"  name TEXT, id_type TEXT, id_number TEXT, sex TEXT, ethnicity TEXT, birth_date TEXT,\n"
	"  nationality TEXT, mobile TEXT,\n"
	"  delivery TEXT, address TEXT, postal_code TEXT, district TEXT, branch TEXT,\n"
	"  bank TEXT,\n"
	"  photo_sha256 TEXT, photo_ref TEXT,\n"
	"  confirmed_at TEXT, confirm_channel TEXT,\n"
	"  category TEXT, insured INTEGER,\n"
	"  guardian_name TEXT, guardian_id_type TEXT, guardian_id_number TEXT, guardian_proof "
	"TEXT,\n"
	"  employer_name TEXT, employer_uscc TEXT, batch_id TEXT,\n"
	"  old_card_no TEXT, transport_balance INTEGER,\n"
	"  state TEXT NOT NULL DEFAULT 'received'\n"
	"    CHECK(state IN ('received','accepted','rejected','duplicate','held')),\n"
	"  reason_code TEXT, reason_zh TEXT, reason_en TEXT, reason_field TEXT,\n"
	"  duplicate_of INTEGER REFERENCES application(id),\n"
	"  dedup_rule TEXT,\n"
	"  person_id INTEGER REFERENCES person(id),\n"
	"  due_date TEXT,\n"
	"  created_at TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL,\n"
	"  UNIQUE(file_id, record_no),\n"
	"  CHECK(state <> 'duplicate' OR duplicate_of IS NOT NULL),\n"
	"  CHECK(state NOT IN ('rejected','held') OR reason_code IS NOT NULL)\n"
	");\n"
	"CREATE INDEX application_state ON application(state);\n"
	"CREATE INDEX application_person ON application(id_type, id_number);\n"

	"CREATE TABLE card_counter(prefix TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);\n"
	"CREATE TABLE pan_counter(bank TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);\n"

	"CREATE TABLE card(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  card_no TEXT NOT NULL UNIQUE,\n"
	"  application_id INTEGER NOT NULL UNIQUE REFERENCES application(id),\n"
	"  person_id INTEGER NOT NULL REFERENCES person(id),\n"
	"  bank TEXT NOT NULL,\n"
	"  pan TEXT NOT NULL UNIQUE,\n"
	"  psn TEXT NOT NULL DEFAULT '00',\n"
	"  issue_date TEXT, expiry_date TEXT,\n"
	"  instant INTEGER NOT NULL DEFAULT 0,\n"
	"  state TEXT NOT NULL DEFAULT 'allocated' CHECK(state IN ('allocated','perso_ready',\n"
	"    'rendered','produced','dispatched','delivered','returned','held','superseded',\n"
	"    'cancelled')),\n"
	"  held_reason TEXT,\n"
	"  line INTEGER,\n"
	"  claimed_by TEXT,\n"
	"  chip_id TEXT UNIQUE,\n"
	"  superseded_by INTEGER REFERENCES card(id),\n"
	"  created_at TEXT NOT NULL,\n"
	"  updated_at TEXT NOT NULL\n"
	");\n"
	/* invariant 2: a person has at most one card in production */
	"CREATE UNIQUE INDEX card_one_in_production ON card(person_id)\n"
	"  WHERE state IN ('allocated','perso_ready','rendered','held');\n"
	"CREATE INDEX card_state ON card(state);\n"

	"CREATE TABLE production_attempt(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  card_id INTEGER NOT NULL REFERENCES card(id),\n"
	"  attempt_no INTEGER NOT NULL,\n"
	"  line INTEGER NOT NULL,\n"
	"  shift TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL,\n"
	"  ended_at TEXT,\n"
	"  state TEXT NOT NULL CHECK(state IN ('in_flight','produced','spoiled')),\n"
	"  spoil_reason TEXT CHECK(spoil_reason IS NULL OR spoil_reason IN\n"
	"    ('chip','print','qc','jam','feeder','ribbon','cover','connection','interrupted')),\n"
	"  detail TEXT,\n"
	"  chip_id TEXT,\n"
	"  UNIQUE(card_id, attempt_no),\n"
	"  CHECK((state = 'spoiled') = (spoil_reason IS NOT NULL))\n"
	");\n"
	/* invariant 2: every attempt ends; at most one attempt of a card is in flight */
	"CREATE UNIQUE INDEX attempt_one_in_flight ON production_attempt(card_id)\n"
	"  WHERE state = 'in_flight';\n"
	"CREATE UNIQUE INDEX attempt_one_produced ON production_attempt(card_id)\n"
	"  WHERE state = 'produced';\n"

	"CREATE TABLE dispatch_item(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  card_id INTEGER NOT NULL UNIQUE REFERENCES card(id),\n"
	"  method TEXT NOT NULL CHECK(method IN ('mail','employer','pickup')),\n"
	"  tracking_no TEXT UNIQUE,\n"
	"  bag TEXT,\n"
	"  batch TEXT NOT NULL,\n"
	"  destination TEXT,\n"
	"  state TEXT NOT NULL CHECK(state IN "
	"('manifested','dispatched','delivered','returned')),\n"
	"  created_at TEXT NOT NULL,\n"
	"  delivered_at TEXT,\n"
	"  returned_at TEXT\n"
	");\n"

	"CREATE TABLE run(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  kind TEXT NOT NULL,\n"
	"  started_at TEXT NOT NULL,\n"
	"  ended_at TEXT,\n"
	"  status TEXT NOT NULL CHECK(status IN ('running','done','failed')),\n"
	"  summary TEXT\n"
	");\n"

	"CREATE TABLE audit_log(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  at TEXT NOT NULL,\n"
	"  actor TEXT NOT NULL,\n"
	"  entity TEXT NOT NULL,\n"
	"  entity_id INTEGER,\n"
	"  event TEXT NOT NULL,\n"
	"  detail TEXT NOT NULL DEFAULT '',\n"
	"  prev_hash TEXT NOT NULL,\n"
	"  hash TEXT NOT NULL\n"
	");\n"
	/* append-only: the chain shows edits made behind these triggers' back */
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log\n"
	"  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"

	/* The audit view appends a chained row; every INSERT INTO audit goes through it. */
	"CREATE VIEW audit(actor, entity, entity_id, event, detail) AS\n"
	"  SELECT actor, entity, entity_id, event, detail FROM audit_log;\n"
	"CREATE TRIGGER audit_append INSTEAD OF INSERT ON audit BEGIN\n"
	"  INSERT INTO audit_log(at, actor, entity, entity_id, event, detail, prev_hash, hash)\n"
	"  SELECT t.at, t.actor, NEW.entity, NEW.entity_id, NEW.event, coalesce(NEW.detail, ''),\n"
	"         t.prev, cp_audit_hash(t.prev, t.at, t.actor, NEW.entity, NEW.entity_id,\n"
	"                               NEW.event, coalesce(NEW.detail, ''))\n"
	"  FROM (SELECT cp_now() AS at, coalesce(NEW.actor, cp_actor()) AS actor,\n"
	"        coalesce((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1),\n"
	"                 '0000000000000000000000000000000000000000000000000000000000000000')\n"
	"        AS prev) AS t;\n"
	/* the head lets verify-audit notice rows cut from the end of the chain; inside
	 * registry_begin() ... registry_commit() it is written once, by the commit
	 * (cp_audit_head_deferred()), not for every row */
	"  INSERT INTO meta(key, value) SELECT 'audit_head', id || ':' || hash FROM audit_log\n"
	"    WHERE NOT cp_audit_head_deferred() AND id = (SELECT max(id) FROM audit_log)\n"
	"    ON CONFLICT(key) DO UPDATE SET value = excluded.value;\n"
	"END;\n"

	"CREATE TRIGGER application_state_audit AFTER UPDATE OF state ON application\n"
	"  WHEN OLD.state IS NOT NEW.state BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('application', NEW.id,\n"
	"    OLD.state || '->' || NEW.state, coalesce(NEW.reason_code, ''));\n"
	"END;\n"
	"CREATE TRIGGER card_insert_audit AFTER INSERT ON card BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail)\n"
	"  VALUES('card', NEW.id, 'allocated', NEW.card_no);\n"
	"END;\n"
	"CREATE TRIGGER card_state_audit AFTER UPDATE OF state ON card\n"
	"  WHEN OLD.state IS NOT NEW.state BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('card', NEW.id,\n"
	"    OLD.state || '->' || NEW.state, coalesce(NEW.held_reason, ''));\n"
	"END;\n"
	"CREATE TRIGGER attempt_audit AFTER UPDATE OF state ON production_attempt\n"
	"  WHEN OLD.state IS NOT NEW.state BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('attempt', NEW.id,\n"
	"    OLD.state || '->' || NEW.state, coalesce(NEW.spoil_reason, ''));\n"
	"END;\n"
	"CREATE TRIGGER dispatch_state_audit AFTER UPDATE OF state ON dispatch_item\n"
	"  WHEN OLD.state IS NOT NEW.state BEGIN\n"
	"  INSERT INTO audit(entity, entity_id, event, detail) VALUES('dispatch', NEW.id,\n"
	"    OLD.state || '->' || NEW.state, coalesce(NEW.tracking_no, ''));\n"
	"END;\n";

/* Each later migration lives in migration_N.c, owned by the stage that needs it. */
extern const char migration_2_sql[], migration_3_sql[], migration_4_sql[], migration_5_sql[],
	migration_6_sql[], migration_7_sql[], migration_8_sql[], migration_9_sql[];
extern const char migration_10_sql[], migration_11_sql[], migration_12_sql[], migration_13_sql[];
extern const char migration_14_sql[], migration_15_sql[], migration_16_sql[], migration_17_sql[];

const struct migration registry_migrations[] = {
	{1, "initial schema", migration1},
	{2, "ingest", migration_2_sql},
	{3, "prepare", migration_3_sql},
	{4, "perso", migration_4_sql},
	{5, "render", migration_5_sql},
	{6, "produce", migration_6_sql},
	{7, "dispatch and reconcile", migration_7_sql},
	{8, "nightly and instant", migration_8_sql},
	{9, "keyed audit chain and row seals", migration_9_sql},
	{10, "line faults and transport card numbers", migration_10_sql},
	{11, "chip life cycle: lock time", migration_11_sql},
	{12, "ingest arrival", migration_12_sql},
	{13, "locks and proof sheets owed", migration_13_sql},
	{14, "photo checks kept by ingest", migration_14_sql},
	{15, "sealed audit head", migration_15_sql},
	{16, "photo packs", migration_16_sql},
	{17, "audit trigger and card index without temporary b-trees", migration_17_sql},
};
const size_t registry_nmigrations = ARRAY_SIZE(registry_migrations);
