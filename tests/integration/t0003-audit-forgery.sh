#!/bin/bash
# t0003: forging the audit chain with the registry file alone is detected (docs/audit.md):
#  (a) a row appended with a correctly computed plain SHA-256 hash (and the head moved);
#  (b) the append-only trigger dropped, row 500 edited, the chain and the head recomputed;
#  (c) applications and cards changed through the sqlite3 CLI, which lacks cardpipe's SQL
#      functions: no audit row, so db check must name the changed rows by their seals;
#  (d) and cardpipe never reseals over such a row when it next changes it.
# Also: the audit key is sealed into the key store by the first command after the
# ceremony, and nothing else trips db check.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v python3 >/dev/null || skip "python3 not installed"
cardpipe sample --help >/dev/null 2>&1 || skip "cardpipe sample not available"

export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
[ -f "$CARDPIPE_HOME/keys/audit.key" ] || fail "init made no audit key file"
assert_eq "$(stat -c %a "$CARDPIPE_HOME/keys/audit.key")" 600 "audit key file mode"
keyhex=$(grep -v '^#' "$CARDPIPE_HOME/keys/audit.key" | tr -d ' \n')
[ ${#keyhex} -eq 64 ] || fail "audit key file holds no 64-digit key"
cardpipe keys ceremony --test >/dev/null
sample_night 300 3
[ ! -e "$CARDPIPE_HOME/keys/audit.key" ] || fail "the audit key file outlived the key store"
cardpipe keys list >keys.out
assert_contains keys.out "audit.chain"
cardpipe db check >check.out || { cat check.out; fail "db check fails on an honest registry"; }
assert_contains check.out "every row of the sealed tables carries its seal"
rows=$(sqlite3 "$DB" "SELECT count(*) FROM audit_log")
[ "$rows" -gt 520 ] || fail "only $rows audit rows; the test needs more than 500"
# once sealed, the audit key is in no file of the home in the clear
if grep -rqi "$keyhex" "$CARDPIPE_HOME"; then
	fail "the audit key is still readable in $(grep -rli "$keyhex" "$CARDPIPE_HOME" | head -1)"
fi
cp "$DB" pristine.db

# forge.py MODE: rewrite the audit log with plain SHA-256 hashes, as an attacker with the
# file (and no key) can; moves the recorded head to the new last row.
cat >forge.py <<'EOF'
import hashlib, sqlite3, sys
mode, db = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
def plain(fields):
    h = hashlib.sha256()
    for f in fields:
        h.update(b"" if f is None else str(f).encode())
        h.update(b"\x1f")
    return h.hexdigest()
def head():
    i, h = c.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    c.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", ("%d:%s" % (i, h),))
if mode.startswith("append"):
    prev = c.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    f = [prev, "2026-11-26T12:00:00Z", "prepare", "card", 1, "rendered->dispatched", ""]
    kid = None
    if mode == "append-keyid":
        kid = c.execute("SELECT key_id FROM audit_log WHERE key_id IS NOT NULL LIMIT 1").fetchone()[0]
    c.execute("INSERT INTO audit_log(at, actor, entity, entity_id, event, detail, prev_hash, "
              "hash, key_id) VALUES(?,?,?,?,?,?,?,?,?)", f[1:] + [prev, plain(f), kid])
else:  # rewrite-keep-keyid | rewrite-drop-keyid | rewrite-all
    c.executescript("DROP TRIGGER audit_no_update;")
    start = 1 if mode == "rewrite-all" else 500
    c.execute("UPDATE audit_log SET detail = 'forged' WHERE id = 500")
    prev = c.execute("SELECT coalesce((SELECT hash FROM audit_log WHERE id < ? ORDER BY id "
                     "DESC LIMIT 1), ?)", (start, "0" * 64)).fetchone()[0]
    for r in c.execute("SELECT id, at, actor, entity, entity_id, event, detail, key_id "
                       "FROM audit_log WHERE id >= ? ORDER BY id", (start,)).fetchall():
        h = plain([prev] + list(r[1:7]))
        kid = r[7] if mode == "rewrite-keep-keyid" else None
        c.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, key_id = ? WHERE id = ?",
                  (prev, h, kid, r[0]))
        prev = h
head()
c.commit()
EOF

for mode in append append-keyid rewrite-keep-keyid rewrite-drop-keyid rewrite-all; do
	cp pristine.db "$DB"
	rm -f "$DB-wal" "$DB-shm"
	python3 forge.py "$mode" "$DB"
	expect_exit 3 cardpipe db verify-audit 2>err.out
	case $mode in
	append) assert_contains err.out "audit row $((rows + 1)) was not written by cardpipe" ;;
	append-keyid) assert_contains err.out "audit row $((rows + 1)) was edited" ;;
	rewrite-keep-keyid) assert_contains err.out "audit row 500 was edited" ;;
	rewrite-drop-keyid) assert_contains err.out "audit row 500 was not written by cardpipe" ;;
	rewrite-all) assert_contains err.out "no row keyed with the audit key" ;;
	esac
	expect_exit 3 cardpipe db check >check.out 2>&1
	assert_contains check.out "FAIL  audit chain"
done

# (c) the sqlite3 CLI has none of cardpipe's functions
cp pristine.db "$DB"
rm -f "$DB-wal" "$DB-shm"
app=$(sqlite3 "$DB" "SELECT id FROM application WHERE state = 'accepted' LIMIT 1")
card=$(sqlite3 "$DB" "SELECT id FROM card ORDER BY id LIMIT 1")
card2=$(sqlite3 "$DB" "SELECT id FROM card ORDER BY id LIMIT 1 OFFSET 1")
sqlite3 "$DB" "UPDATE application SET name = 'Forged Name', address = 'elsewhere' WHERE id = $app"
sqlite3 "$DB" "UPDATE card SET pan = '6200000000000000000' WHERE id = $card"
# a state change fires the audit trigger, which the CLI cannot run ...
if sqlite3 "$DB" "UPDATE card SET state = 'delivered' WHERE id = $card2" 2>cli.err; then
	fail "the CLI changed a card's state through the audit trigger"
fi
# ... so the attacker drops it first
sqlite3 "$DB" "DROP TRIGGER card_state_audit; UPDATE card SET state = 'delivered' WHERE id = $card2"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM audit_log")" "$rows" "audit rows after the CLI"
cardpipe db verify-audit >/dev/null # the chain itself was not touched
expect_exit 3 cardpipe db check >check.out 2>&1
assert_contains check.out "FAIL  application row $app was changed without cardpipe's audit key"
assert_contains check.out "FAIL  card row $card was changed without cardpipe's audit key"
assert_contains check.out "FAIL  card row $card2 was changed without cardpipe's audit key"
# a seal copied from another row does not fit
cp pristine.db "$DB"
rm -f "$DB-wal" "$DB-shm"
sqlite3 "$DB" "UPDATE application SET name = (SELECT name FROM application WHERE id = $app + 1),
  row_mac = (SELECT row_mac FROM application WHERE id = $app + 1) WHERE id = $app"
expect_exit 3 cardpipe db check >check.out 2>&1
assert_contains check.out "FAIL  application row $app was changed"

# (d) cardpipe does not reseal over a changed row: the next stage that would change the card
# refuses, and the broken seal stays for db check
cp pristine.db "$DB"
rm -f "$DB-wal" "$DB-shm"
sqlite3 "$DB" "UPDATE card SET pan = '6200000000000000000' WHERE id = $card"
if cardpipe perso >perso.out 2>&1; then
	cat perso.out
	fail "perso changed a card that was altered without the audit key"
fi
assert_contains perso.out "card row $card was changed without cardpipe's audit key"
expect_exit 3 cardpipe db check >check.out 2>&1
assert_contains check.out "FAIL  card row $card was changed without cardpipe's audit key"

# a wrong key cannot write: the audit key replaced in the store
cp pristine.db "$DB"
rm -f "$DB-wal" "$DB-shm"
cardpipe keys import audit.chain --alg AES --generate >/dev/null 2>&1
expect_exit 3 cardpipe db verify-audit 2>err.out
assert_contains err.out "is keyed with the audit key of check value"
echo "t0003 ok"
