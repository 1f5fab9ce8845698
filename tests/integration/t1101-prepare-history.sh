#!/bin/bash
# t1101: prepare across runs: dedup of one person across files and channels (the rule
# written down), a person with a card in production, a replacement superseding the old
# card (which then stays superseded, item 22), the old card a replacement must name, the
# 6-month limit on changing bank (item 27), working-day due dates and a year the calendar
# lacks (held), instant issuance of one application.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v cjpeg >/dev/null || skip "cjpeg (libjpeg-turbo-progs) not installed"
command -v python3 >/dev/null || skip "python3 not installed"

cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
mkdir -p "$CARDPIPE_HOME/spool/photos"
python3 - <<'EOF' | cjpeg -quality 70 >photo.jpg
import random
random.seed(7); w, h = 358, 441
out = bytearray(b"P6\n%d %d\n255\n" % (w, h))
for y in range(h):
    for x in range(w):
        if ((x - w / 2) / 100) ** 2 + ((y - 240) / 140) ** 2 < 1 or y > 375:
            v = random.randint(60, 200); out += bytes((v, v - 30 if v > 30 else 0, v - 50 if v > 50 else 0))
        else:
            v = 250 + random.randint(-4, 4); out += bytes((min(v, 255),) * 3)
import sys; sys.stdout.buffer.write(out)
EOF
PHOTO=$(sha256sum photo.jpg | cut -c1-64)
cp photo.jpg "$CARDPIPE_HOME/spool/photos/$PHOTO.jpg"
cid() { python3 -c '
import sys
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
s=sys.argv[1]; print(s + "10X98765432"[sum(int(c)*w for c,w in zip(s,W))%11])' "$1"; }
P1=$(cid 11010519850612001) P2=$(cid 11010519850612011) P3=$(cid 11010519850612021) P4=$(cid 11010519850612031)

FILE=0
newfile() { # NAME CHANNEL
	FILE=$((FILE + 1))
	sqlite3 "$DB" "INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, records)
	  VALUES($FILE, 'sha$FILE', '$1', '$2', 'x', '2026-01-01T00:00:00Z', 'ingested', 0);"
	cardpipe db reseal >/dev/null # rows seeded by hand get cardpipe's seals (docs/audit.md)
}
app() { # ID_NUMBER APP_TYPE SUBMITTED BANK [OLD_CARD] -> prints the application id
	sqlite3 "$DB" "INSERT INTO application(file_id, record_no, location, channel, app_type, submitted_at,
	  name, id_type, id_number, sex, birth_date, mobile, delivery, branch, bank, photo_sha256,
	  category, old_card_no, confirmed_at, created_at, updated_at)
	  SELECT $FILE, records + 1, 'line ' || (records + 2), channel, '$2', '$3', '张三', 'citizen', '$1', '1',
	  '1985-06-12', '13912345678', 'pickup', '$4-110101-001', '$4', '$PHOTO', 'insured', nullif('${5:-}', ''), '2026-01-01T00:00:00Z', 'x', 'x'
	  FROM input_file WHERE id = $FILE;
	  UPDATE input_file SET records = records + 1 WHERE id = $FILE;
	  SELECT max(id) FROM application;"
	cardpipe db reseal >/dev/null
}
q() { sqlite3 "$DB" "$1"; }
state() { q "SELECT state || coalesce(':' || reason_code, '') FROM application WHERE id = $1"; }
# Card transitions belong to produce and dispatch; the test stands in for them. The sqlite3
# CLI lacks cardpipe's cp_now(), so the audit trigger is set aside around the change.
card_set() { # WHERE-CLAUSE STATE
	local names="'card_state_audit','attempt_insert_audit'" drop restore
	drop=$(q "SELECT group_concat('DROP TRIGGER ' || name, '; ') FROM sqlite_master WHERE type = 'trigger' AND name IN ($names)")
	restore=$(q "SELECT group_concat(sql, '; ') FROM sqlite_master WHERE type = 'trigger' AND name IN ($names)")
	sqlite3 "$DB" "BEGIN; $drop;
	  INSERT INTO production_attempt(card_id, attempt_no, line, shift, started_at, ended_at, state)
	    SELECT id, 1, 1, 'A', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'produced'
	    FROM card WHERE ($1) AND state = 'allocated';
	  UPDATE card SET state = '$2' WHERE $1; $restore; COMMIT;" || return 1
	cardpipe db reseal >/dev/null
}

# --- run 1: one person twice across files and channels ----------------------------------
export CARDPIPE_NOW=2026-01-12T20:00:00+08:00
newfile employer-1.xml employer
a1=$(app "$P1" new 2026-01-10T09:00:00+08:00 ICBC)
a2=$(app "$P2" new 2026-01-10T08:00:00+08:00 ICBC)
a3=$(app "$P3" new 2026-01-10T10:00:00+08:00 ICBC)
a4=$(app "$P3" new 2026-01-10T10:00:00+08:00 ICBC)
newfile online-1.xml website
a5=$(app "$P2" replace-damaged 2026-01-11T08:00:00+08:00 ICBC)   # replacement beats new
a6=$(app "$P3" new 2026-01-10T09:59:59+08:00 ICBC)              # earliest submitted wins
cardpipe prepare >run1.out || fail "run 1"
assert_eq "$(state "$a1")" accepted "P1"
assert_eq "$(state "$a5")" accepted "P2 replacement"
assert_eq "$(state "$a2")" duplicate:duplicate-in-run "P2 new"
assert_eq "$(q "SELECT duplicate_of FROM application WHERE id = $a2")" "$a5" "P2 duplicate_of"
assert_contains <(q "SELECT dedup_rule FROM application WHERE id = $a2") "replacement or change beats new"
assert_eq "$(state "$a6")" accepted "P3 earliest"
assert_eq "$(state "$a3")" duplicate:duplicate-in-run "P3 later"
assert_eq "$(state "$a4")" duplicate:duplicate-in-run "P3 later, same time"
assert_eq "$(q "SELECT duplicate_of FROM application WHERE id = $a4")" "$a6" "P3 duplicate_of"
assert_eq "$(q "SELECT due_date FROM application WHERE id = $a1")" 2026-02-09 "new: 30 calendar days"
# replacement submitted Sunday 2026-01-11: working days Mon 12 .. Thu 15
assert_eq "$(q "SELECT due_date FROM application WHERE id = $a5")" 2026-01-15 "replacement: 4 working days"
C1=$(q "SELECT card_no FROM card WHERE application_id = $a1")
C2=$(q "SELECT card_no FROM card WHERE application_id = $a5")
# both files have a rejects file (header only: nothing rejected)
[ -f "$CARDPIPE_HOME/out/rejects/employer/employer-1.xml.rejects.csv" ] || fail "employer rejects file"
[ -f "$CARDPIPE_HOME/out/rejects/website/online-1.xml.rejects.csv" ] || fail "website rejects file"

# --- run 2: P1 again while their card is in production -----------------------------------
export CARDPIPE_NOW=2026-01-20T20:00:00+08:00
newfile counter-1.csv outlet
b1=$(app "$P1" new 2026-01-20T09:00:00+08:00 ICBC)
cardpipe prepare >run2.out || fail "run 2"
assert_eq "$(state "$b1")" duplicate:duplicate-in-production "P1 in production"
assert_eq "$(q "SELECT duplicate_of FROM application WHERE id = $b1")" "$a1" "duplicate of the card's application"

# later stages produce and deliver the cards (simulated)
card_set "1 = 1" delivered

# --- run 3: replacements and the old card -------------------------------------------------
export CARDPIPE_NOW=2026-02-01T20:00:00+08:00
newfile counter-2.csv bank
c1=$(app "$P1" replace-lost 2026-02-01T09:00:00+08:00 ICBC)           # no old_card_no
c2=$(app "$P2" replace-lost 2026-02-01T09:00:00+08:00 ICBC "$C1")     # someone else's card
c3=$(app "$P4" replace-lost 2026-02-01T09:00:00+08:00 ICBC B0000000Z) # no history: taken as stated
cardpipe prepare >run3.out || true
assert_eq "$(state "$c1")" rejected:old-card-unknown "replacement without old card"
assert_eq "$(state "$c2")" rejected:old-card-unknown "replacement naming another's card"
assert_eq "$(state "$c3")" accepted "replacement of an older-generation card"
newfile counter-3.csv bank
d1=$(app "$P1" replace-lost 2026-02-01T10:00:00+08:00 CCB "$C1")       # first change of bank: allowed
cardpipe prepare >run3b.out || fail "run 3b"
assert_eq "$(state "$d1")" accepted "replacement with the old card"
C1_ID=$(q "SELECT id FROM card WHERE card_no = '$C1'")
NEW_ID=$(q "SELECT id FROM card WHERE application_id = $d1")
assert_eq "$(q "SELECT state || ' ' || superseded_by FROM card WHERE id = $C1_ID")" "superseded $NEW_ID" "old card superseded"
# item 22: a superseded card can never be unblocked
! card_set "id = $C1_ID" delivered 2>unblock.err || fail "superseded card came back"
assert_contains unblock.err "superseded card stays superseded"
assert_eq "$(q "SELECT state FROM card WHERE id = $C1_ID")" superseded "still superseded"
card_set "id = $NEW_ID" delivered
NEW_NO=$(q "SELECT card_no FROM card WHERE id = $NEW_ID")
assert_eq "$(q "SELECT bank FROM person WHERE id_number = '$P1'")" CCB "person's bank"

# --- run 4: a second change of bank within 6 months; the superseded card named ------------
export CARDPIPE_NOW=2026-07-31T20:00:00+08:00
newfile counter-4.csv bank
e1=$(app "$P1" change-bank 2026-07-31T09:00:00+08:00 BOC "$NEW_NO")
cardpipe prepare >run4.out || true
assert_eq "$(state "$e1")" rejected:bank-change-too-soon "bank change within 6 months"
assert_contains <(q "SELECT reason_en FROM application WHERE id = $e1") "2026-02-01"
newfile counter-5.csv bank
e2=$(app "$P1" replace-lost 2026-07-31T09:00:00+08:00 CCB "$C1")
cardpipe prepare >run4b.out || true
assert_eq "$(state "$e2")" rejected:old-card-superseded "the superseded card named again"

# --- run 5: six months on, the change is allowed -----------------------------------------
export CARDPIPE_NOW=2026-08-01T20:00:00+08:00
newfile counter-6.csv bank
f1=$(app "$P1" change-bank 2026-08-01T09:00:00+08:00 BOC "$NEW_NO")
cardpipe prepare >run5.out || fail "run 5"
assert_eq "$(state "$f1")" accepted "bank change after 6 months"
assert_eq "$(q "SELECT count(*) FROM bank_history WHERE person_id = (SELECT id FROM person WHERE id_number = '$P1')")" 3 "bank history rows"
card_set "application_id = $f1" delivered

# --- a due date in a year the calendar lacks: held, not guessed ---------------------------
export CARDPIPE_NOW=2026-12-30T20:00:00+08:00
newfile counter-7.csv bank
g1=$(app "$P1" replace-damaged 2026-12-30T09:00:00+08:00 BOC "$(q "SELECT card_no FROM card WHERE application_id = $f1")")
# a calendar of 2026 alone (paths.calendar), whatever years the shipped one gains later
sed -n '/^year 2026/,/^$/p' "$CARDPIPE_SRC/data/calendar.txt" >cal-2026.txt
CARDPIPE_PATHS_CALENDAR=$PWD/cal-2026.txt cardpipe prepare >run6.out || fail "run 6"
assert_eq "$(state "$g1")" held:calendar-missing "due date beyond the calendar"
assert_contains <(q "SELECT reason_en FROM application WHERE id = $g1") "4 working days"

# --- instant issuance of one application --------------------------------------------------
export CARDPIPE_NOW=2026-11-26T10:00:00+08:00
newfile branch-1.csv bank
h1=$(app "$P4" new 2026-11-26T09:00:00+08:00 ICBC)
h2=$(app "$(cid 11010519850612041)" new 2026-11-26T09:00:00+08:00 ICBC)
card_set "state = 'allocated'" delivered
cardpipe prepare --application "$h2" --instant >inst.out || fail "instant"
assert_eq "$(state "$h2")" accepted "instant application"
assert_eq "$(q "SELECT due_date FROM application WHERE id = $h2")" 2026-11-26 "instant: same day"
assert_eq "$(q "SELECT instant FROM card WHERE application_id = $h2")" 1 "card marked instant"
assert_eq "$(state "$h1")" received "other applications untouched"
cardpipe prepare >run7.out || fail "run 7"
assert_eq "$(state "$h1")" accepted "the rest in the next run"

# --- a change of ID number (item 24) names the card issued under the former number -------
P5=$(cid 11010519850612051)
card_set "state = 'allocated'" delivered
C4=$(q "SELECT card_no FROM card WHERE application_id = $h1")   # P4's current card
newfile branch-2.csv bank
k1=$(app "$P5" change-info 2026-11-26T09:30:00+08:00 ICBC "$C4")
cardpipe prepare >run8.out || fail "run 8"
assert_eq "$(state "$k1")" accepted "change of ID number"
K1_CARD=$(q "SELECT id FROM card WHERE application_id = $k1")
assert_eq "$(q "SELECT state || ' ' || superseded_by FROM card WHERE card_no = '$C4'")" "superseded $K1_CARD" "card of the former number superseded"

cardpipe db check >check.out || { cat check.out; fail "db check"; }
echo "t1101 ok"
