#!/bin/bash
# t1104: hostile values through a counter CSV, ingest then prepare (issue 15 sections 4, 5):
# a 10,000-character address, district ../../etc, branch <b>ICBC</b>, old card number =1+1,
# an emoji name, transport balances 9223372036854775807 / abc / 0x10 / 12.5 are each
# rejected with their reason code while the good rows are accepted; the rejects file
# neutralises cells that would be spreadsheet formulas; a good balance is listed for refund.
# The same on PostgreSQL, whose integer column takes no balance that is not an integer: such
# a record is rejected by ingest, the rest of the file goes on.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
[ -n "${CARDPIPE_REGISTRY_URL:-}" ] || command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v python3 >/dev/null || skip "python3 not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null 2>&1 || fail "cardpipe init"
I=$CARDPIPE_HOME/inbox
cp "$CARDPIPE_SRC/tests/golden/photo-358x441.jpg" "$I/p.jpg"

# one row per attack over a good mailed record (python: ID check characters, CSV quoting)
python3 - "$I/hostile.csv" <<'PY'
import sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def cid(n):
    s = "11010119900307%03d" % n
    return s + "10X98765432"[sum(int(c) * w for c, w in zip(s, W)) % 11]
cols = ("ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,"
        "birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,"
        "bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,"
        "guardian_id_number,guardian_proof").split(",")
rows = [
    ("H01", {}),
    ("H02", {"address": "A" * 10000}),
    ("H03", {"district": "../../etc"}),
    ("H04", {"delivery": "pickup", "branch": "<b>ICBC</b>", "address": "", "postal_code": ""}),
    ("H05", {"app_type": "replace-lost", "old_card_no": "=1+1"}),
    ("H06", {"name": "王\U0001F600"}),
    ("H07", {"app_type": "replace-damaged", "transport_balance": "9223372036854775807"}),
    ("H08", {"app_type": "replace-damaged", "transport_balance": "abc"}),
    ("H09", {"app_type": "replace-damaged", "transport_balance": "0x10"}),
    ("H10", {"app_type": "replace-damaged", "transport_balance": "12.5"}),
    ('=HYPERLINK("http://x","y")', {"name": "-1+1"}),
    ("H12", {"app_type": "replace-damaged", "transport_balance": "1250", "old_card_no": "X00000019"}),
    ("H13", {"delivery": "pickup", "branch": "ICBC-110105-007", "address": "", "postal_code": ""}),
    ("H14", {"app_type": "replace-damaged", "transport_balance": "123456789012345678901234"}),
    ("H15", {"app_type": "replace-damaged", "transport_balance": "-12"}),
]
def q(v):
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(",".join(cols) + "\n")
    for k, (ref, over) in enumerate(rows, 1):
        d = dict(ref=ref, channel="outlet", outlet="SSP-110101-001",
                 submitted_at="2026-11-25T10:00:00+08:00", app_type="new", name="张三",
                 id_type="citizen", id_number=cid(k), sex="1" if int(cid(k)[16]) % 2 else "2",
                 ethnicity="01", birth_date="1990-03-07", nationality="CHN",
                 mobile="13812345678", category="insured", delivery="mail-person",
                 address="北京市东城区东四十条1号", postal_code="100010", district="110101",
                 branch="", bank="ICBC", photo="p.jpg", old_card_no="", transport_balance="",
                 guardian_name="", guardian_id_type="", guardian_id_number="", guardian_proof="")
        d.update(over)
        f.write(",".join(q(d[c]) for c in cols) + "\n")
PY
# six of the fifteen rejected by ingest: over general.reject_threshold, exit 1
expect_exit 1 cardpipe ingest >ingest.out 2>&1
expect_exit 1 cardpipe prepare >prepare.out
st() { q "SELECT state || coalesce(':' || reason_code, '') FROM application WHERE record_no = $1"; }
assert_eq "$(st 1)" accepted "good row"
assert_eq "$(st 2)" rejected:field-too-long "10,000-character address"
assert_eq "$(st 3)" rejected:district-unknown "district ../../etc"
assert_eq "$(st 4)" rejected:branch-unknown "branch <b>ICBC</b>"
assert_eq "$(st 5)" rejected:old-card-invalid "old card =1+1"
assert_eq "$(st 6)" rejected:name-charset "emoji name"
assert_eq "$(st 7)" rejected:amount-too-large "balance 9223372036854775807"
assert_eq "$(st 8)" rejected:amount-invalid "balance abc"
assert_eq "$(st 9)" rejected:amount-invalid "balance 0x10"
assert_eq "$(st 10)" rejected:amount-invalid "balance 12.5"
assert_eq "$(st 11)" rejected:name-charset "formula name"
assert_eq "$(st 12)" accepted "good balance"
assert_eq "$(st 13)" accepted "good branch"
assert_eq "$(st 14)" rejected:amount-too-large "balance of 24 digits"
assert_eq "$(st 15)" rejected:amount-invalid "balance -12"
assert_eq "$(q "SELECT count(*) FROM card")" 3 "cards only for the good rows"
assert_contains ingest.out "6 rejected by ingest"

R=$CARDPIPE_HOME/out/rejects/outlet/hostile.csv.rejects.csv
[ -f "$R" ] || fail "no rejects file"
assert_eq "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8"))) - 1)' "$R")" 12 "rejects rows"
assert_contains "$R" ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","
python3 - "$R" <<'PY' || fail "a rejects cell would be a formula"
import csv, sys
for row in csv.reader(open(sys.argv[1], encoding="utf-8")):
    for cell in row:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            sys.exit("formula cell: %r" % cell)
        if len(cell) > 600:
            sys.exit("a %d-byte cell" % len(cell))
PY
cardpipe db check >check.out || { cat check.out; fail "db check"; }
echo "t1104 ok"
