#!/bin/bash
# A PostgreSQL registry at schema version 15 (before photo packs) is brought to the current
# version, 17, the next time cardpipe opens it, a step at a time: application.photo_loc added
# (16), the production index's comment (17), the version recorded, one audit row per step.
# Ingest then stores its photos in packs there, every record's place reads back as its
# photo, and db check and db verify-audit pass.
# backends: postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
[ -n "${CARDPIPE_REGISTRY_URL:-}" ] || skip "PostgreSQL only (run-tests.sh runs it there)"
command -v psql >/dev/null || skip "psql not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00

cardpipe init >/dev/null 2>&1
# the registry as version 15 made it: no photo_loc
q "ALTER TABLE application DROP COLUMN photo_loc; UPDATE meta SET value = '15' WHERE key = 'schema_version'"
assert_eq "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'application' AND column_name = 'photo_loc'")" 0 "at version 15"

cardpipe sample --out gen --count 30 --seed 3 --bad-share 0 >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
cardpipe ingest >ingest.out 2>&1 || { cat ingest.out; fail "ingest on the upgraded registry"; }
assert_eq "$(q "SELECT value FROM meta WHERE key = 'schema_version'")" 17 "schema version"
assert_eq "$(q "SELECT count(*) FROM audit_log WHERE event = 'migrated' AND entity_id = 16 AND detail = 'postgresql schema from 15'")" 1 "the first step's audit row"
assert_eq "$(q "SELECT count(*) FROM audit_log WHERE event = 'migrated' AND entity_id = 17 AND detail = 'postgresql schema from 16'")" 1 "the second step's audit row"
assert_eq "$(q "SELECT obj_description('card_one_in_production'::regclass)")" \
	"at most one card of a person in production" "the index's comment"
assert_eq "$(q "SELECT count(*) FROM application WHERE photo_sha256 IS NOT NULL AND photo_loc IS NULL")" 0 "every photo has its place"
[ "$(photos_stored_once)" -gt 0 ] || fail "no photo stored"
cardpipe db check >check.out || { cat check.out; fail "db check"; }
cardpipe db verify-audit >/dev/null || fail "db verify-audit"
# opened again: nothing more to do
cardpipe status >/dev/null 2>&1 || true
assert_eq "$(q "SELECT count(*) FROM audit_log WHERE event = 'migrated' AND detail LIKE 'postgresql schema from %'")" 2 "upgraded once"
echo "t7002 ok"
