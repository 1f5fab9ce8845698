#!/bin/bash
# t1100: prepare's business rules, one record per rule, each rejected (or held) with the
# exact reason code; the good records accepted with a card; every record of the file ends
# in exactly one state; the rejects file lists the rejected records; a rerun changes
# nothing. Records are seeded straight into the registry as ingest leaves them
# ('received'), so the test does not depend on the input formats.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
command -v cjpeg >/dev/null || skip "cjpeg (libjpeg-turbo-progs) not installed"
command -v python3 >/dev/null || skip "python3 not installed"

export CARDPIPE_NOW=2026-11-26T10:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
PHOTOS=$CARDPIPE_HOME/spool/photos
mkdir -p "$PHOTOS"

# A synthetic 24-bit photo: white (or BG) background with noise, a darker head and shoulders.
mkphoto() { # W H BG SEED [cjpeg options]
	local w=$1 h=$2 bg=$3 seed=$4
	shift 4
	python3 - "$w" "$h" "$bg" "$seed" <<'EOF' | cjpeg -quality 70 "$@"
import random, sys
w, h, bg, seed = (int(a) for a in sys.argv[1:5])
random.seed(seed)
out = bytearray(b"P6\n%d %d\n255\n" % (w, h))
cx, cy, rx, ry = w / 2, h * 0.55, w * 0.28, h * 0.32
for y in range(h):
    for x in range(w):
        if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1 or y > h * 0.85:
            v = random.randint(60, 200); out += bytes((v, max(0, v - 30), max(0, v - 50)))
        else:
            v = min(255, bg + random.randint(-4, 4)); out += bytes((v, v, v))
sys.stdout.buffer.write(out)
EOF
}
store() { # FILE -> prints its sha256, stored under spool/photos
	local s
	s=$(sha256sum "$1" | cut -c1-64)
	cp "$1" "$PHOTOS/$s.jpg"
	echo "$s"
}
mkphoto 358 441 250 1 >good.jpg
mkphoto 358 441 110 2 >grey.jpg
mkphoto 300 400 250 3 >small.jpg
mkphoto 358 441 250 4 -grayscale >gray.jpg
head -c 20000 good.jpg >trunc.jpg
printf 'not a jpeg at all, just text padding padding padding' >text.jpg
GOOD=$(store good.jpg) GREY=$(store grey.jpg) SMALL=$(store small.jpg) GRAY=$(store gray.jpg)
TRUNC=$(store trunc.jpg) TEXT=$(store text.jpg)

# Valid ID numbers: GB 11643 check character computed here.
cid() { python3 -c '
import sys
W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
s=sys.argv[1]; print(s + "10X98765432"[sum(int(c)*w for c,w in zip(s,W))%11])' "$1"; }

sqlite3 "$DB" "INSERT INTO input_file(id, sha256, name, channel, format, received_at, status, records)
  VALUES(1, 'f1', 'rules.xml', 'employer', 'employer-xml', '2026-11-26T01:00:00Z', 'ingested', 0);"
N=0
# app KEY=VALUE...: one received application with good defaults, overridden by the arguments
app() {
	N=$((N + 1))
	declare -A f=([app_type]=new [submitted_at]=2026-11-20T10:00:00+08:00 [name]=张三
		[id_type]=citizen [id_number]=$(cid 11010119900307$(printf %03d $N)) [sex]=
		[birth_date]=1990-03-07 [mobile]=13812345678 [delivery]=mail-person
		[address]=北京市东城区东四十条1号 [postal_code]=100010 [bank]=ICBC [photo_sha256]=$GOOD
		[confirmed_at]=2026-11-20T09:00:00+08:00 [category]=insured [channel]=employer
		[guardian_name]= [guardian_id_type]= [guardian_id_number]= [guardian_proof]=
		[old_card_no]= [branch]=)
	local kv
	for kv in "$@"; do f[${kv%%=*}]=${kv#*=}; done
	# the sex digit of the default number follows N: make the declared sex agree
	if [ -z "${f[sex]}" ]; then
		local d=${f[id_number]:16:1}
		if [[ $d =~ [0-9] ]] && [ $((d % 2)) -eq 1 ]; then f[sex]=1; else f[sex]=2; fi
	fi
	local cols="file_id, record_no, location, created_at, updated_at" vals="1, $N, 'Employee[$N]', 'x', 'x'" k v
	for k in "${!f[@]}"; do
		v=${f[$k]}
		cols+=", $k"
		if [ -z "$v" ]; then vals+=", NULL"; else vals+=", '${v//\'/\'\'}'"; fi
	done
	sqlite3 "$DB" "INSERT INTO application($cols) VALUES($vals);"
	EXPECT[$N]=$EXPECTING
}
declare -a EXPECT
A() { EXPECTING=$1; shift; app "$@"; }

# --- good records ----------------------------------------------------------------------
A accepted                                    # the defaults
A accepted id_number="$(cid 11010119500101001)" sex=1 birth_date=1950-01-01 category=elderly-civil
A accepted id_number="$(cid 11010119670520003)" sex=1 birth_date=1967-05-20 category=elderly-civil  # 59y6m on 2026-11-20
A accepted delivery=pickup branch=ICBC-110101-001 address= postal_code= mobile=
A accepted id_type=hk id_number="$(cid 81000019940823002)" sex=2 birth_date=1994-08-23
A accepted id_type=fpr-old id_number=USA110085010116 sex=1 birth_date=1985-01-01
A accepted id_number="$(cid 11010120150101012)" sex=2 birth_date=2015-01-01 guardian_name=张父 guardian_id_type=citizen guardian_id_number="$(cid 11010119800101001)" guardian_proof=出生医学证明
A accepted app_type=replace-lost id_number="$(cid 11010119900101033)" sex=1 birth_date=1990-01-01
# --- one rule each -----------------------------------------------------------------------
A rejected:field-missing name=
A rejected:app-type-unknown app_type=renew
A rejected:id-type-unknown id_type=passport
A rejected:id-format id_number=11010119900307
A rejected:id-check-digit id_number=110101199003070001 sex=1
A rejected:id-birth-date id_number="$(cid 11010119901332001)" sex=1
A rejected:id-region id_number="$(cid 99010119900307001)" sex=1
A rejected:id-sex-mismatch id_number="$(cid 11010119900307001)" sex=2
A rejected:birth-date-mismatch id_number="$(cid 11010119900307001)" sex=1 birth_date=1990-03-08
A rejected:not-eligible category=
A rejected:not-eligible category=tourist
A rejected:elderly-age id_number="$(cid 11010119670521001)" sex=1 birth_date=1967-05-21 category=elderly-civil  # one day short
A rejected:minor-no-guardian id_number="$(cid 11010120100101011)" sex=1 birth_date=2010-01-01
A rejected:guardian-id-invalid id_number="$(cid 11010120100101021)" sex=1 birth_date=2010-01-01 guardian_name=张父 guardian_id_type=citizen guardian_id_number=110101198001010011 guardian_proof=户口本
A rejected:employee-unconfirmed confirmed_at=
A rejected:bank-unknown bank=HSBC
A rejected:delivery-unknown delivery=drone
A rejected:mail-no-address address=
A rejected:postal-code-invalid postal_code=10001
A rejected:mobile-invalid mobile=12812345678
A rejected:mobile-invalid mobile=1381234567
A rejected:name-encoding name=$'\xff\xfe'
A rejected:photo-missing photo_sha256=
A rejected:photo-not-jpeg photo_sha256="$TEXT"
A rejected:photo-corrupt photo_sha256="$TRUNC"
A rejected:photo-dimensions photo_sha256="$SMALL"
A rejected:photo-not-rgb photo_sha256="$GRAY"
A rejected:photo-background photo_sha256="$GREY"
A accepted app_type=replace-lost id_number="$(cid 11010119900101043)" sex=1 birth_date=1990-01-01 old_card_no=B0000999X  # no card of theirs in the registry: an older-generation card, taken as stated
A rejected:field-invalid submitted_at=2026-13-01
# --- hostile fields (issue 15 section 4): bounds, character sets, tables, money -----------
A rejected:field-too-long address="$(printf '%010000d' 0 | tr 0 A)"
A rejected:district-unknown district=../../etc
A rejected:branch-unknown delivery=pickup branch='<b>ICBC</b>' address= postal_code= mobile=
A rejected:old-card-invalid app_type=replace-lost id_number="$(cid 11010119900101053)" sex=1 birth_date=1990-01-01 old_card_no==1+1
A rejected:name-charset name=王$'\xf0\x9f\x98\x80'   # U+1F600, which the CJK fonts do draw
A rejected:amount-too-large app_type=replace-damaged id_number="$(cid 11010119900101063)" sex=1 birth_date=1990-01-01 transport_balance=9223372036854775807
A rejected:amount-invalid app_type=replace-damaged id_number="$(cid 11010119900101073)" sex=1 birth_date=1990-01-01 transport_balance=abc
A rejected:amount-invalid app_type=replace-damaged id_number="$(cid 11010119900101083)" sex=1 birth_date=1990-01-01 transport_balance=0x10
A rejected:amount-invalid app_type=replace-damaged id_number="$(cid 11010119900101093)" sex=1 birth_date=1990-01-01 transport_balance=12.5
A rejected:name-charset name==1+1 channel_ref='=HYPERLINK("http://x","y")'
# --- held ----------------------------------------------------------------------------------
A held:name-font name=王$'\xee\x80\x80'   # U+E000, private use: no font draws it

TOTAL=$N
sqlite3 "$DB" "UPDATE input_file SET records = $TOTAL WHERE id = 1;"
cardpipe db reseal >/dev/null   # rows seeded by hand get cardpipe's seals (docs/audit.md)

expect_exit 1 cardpipe prepare >prepare.out   # far more than 5 % rejected: exit 1
cat prepare.out
assert_contains prepare.out "prepare: $TOTAL read"

# every record: its state and reason
for i in $(seq 1 "$TOTAL"); do
	want=${EXPECT[$i]}
	got=$(sqlite3 "$DB" "SELECT state || coalesce(':' || reason_code, '') FROM application WHERE record_no = $i")
	[ "$want" = accepted ] && [ "${got%%:*}" = accepted ] && continue
	assert_eq "$got" "$want" "record $i"
done

# conservation: every record in exactly one final state
n=$(sqlite3 "$DB" "SELECT count(*) FROM application WHERE state IN ('accepted','rejected','duplicate','held')")
assert_eq "$n" "$TOTAL" "records in a final state"
acc=$(grep -c '^accepted' <(printf '%s\n' "${EXPECT[@]}"))
assert_eq "$(sqlite3 "$DB" 'SELECT count(*) FROM card')" "$acc" "one card per accepted record"

# every accepted record has a card, a due date 30 calendar days (new) or 4 working days on
assert_eq "$(sqlite3 "$DB" "SELECT due_date FROM application WHERE record_no = 1")" 2026-12-20 "new: 30 days"
assert_eq "$(sqlite3 "$DB" "SELECT due_date FROM application WHERE record_no = 8")" 2026-11-26 "replacement: 4 working days"
sqlite3 "$DB" "SELECT card_no, pan, psn, issue_date, expiry_date FROM card" | while IFS='|' read -r no pan psn iss exp; do
	[[ $no =~ ^B[0-9]{7}[0-9A-Z]$ ]] || fail "card number '$no' malformed"
	[[ $pan =~ ^62122600[0-9]{11}$ ]] || fail "PAN '$pan' not from the ICBC BIN"
	python3 -c 'import sys; d=[int(c) for c in sys.argv[1]][::-1]; s=sum(d[0::2])+sum(sum(divmod(2*x,10)) for x in d[1::2]); sys.exit(s%10!=0)' "$pan" || fail "PAN $pan fails Luhn"
	assert_eq "$psn" 00 "PSN"
	assert_eq "$iss" 2026-11-26 "issue date"
	assert_eq "$exp" 2036-11-25 "expiry date"
done

# no full ID number in the log or the messages that reach it
! grep -q 110101199003 "$CARDPIPE_HOME/log/cardpipe.log" || fail "full ID number in the log"
assert_eq "$(sqlite3 "$DB" "SELECT count(*) FROM application WHERE reason_en LIKE '%' || id_number || '%' AND length(id_number) >= 15")" 0 "full ID number in a message"

# the rejects file: header and one row per rejected record, in record order
R=$CARDPIPE_HOME/out/rejects/employer/rules.xml.rejects.csv
[ -f "$R" ] || fail "no rejects file $R"
# a UTF-8 BOM first, like the dispatch CSVs, so that Excel opens it as UTF-8 (Chinese)
assert_eq "$(head -c 3 "$R" | od -An -tx1 | tr -d ' ')" efbbbf "rejects BOM"
head -1 "$R" | grep -q $'^\xEF\xBB\xBFrecord_no,channel_ref,location,reason_code,field,message_zh,message_en,input_file$' || fail "rejects header"
rej=$(grep -c '^rejected' <(printf '%s\n' "${EXPECT[@]}"))
assert_eq "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8-sig"))) - 1)' "$R")" "$rej" "rejects file rows"
assert_contains "$R" ',photo-background,photo,'
assert_contains "$R" 'Employee\[13\],id-check-digit,id_number,'
[ "$(stat -c %a "$R")" = 600 ] || fail "rejects file mode $(stat -c %a "$R")"
# formulas are neutralised (OWASP): a leading ' before = + - @ TAB CR, the cell still one field
assert_contains "$R" ",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","
! grep -q ',=' "$R" || fail "a rejects cell starts with '='"

# rerun: nothing changes, not even the rejects file
dump() { sqlite3 "$DB" .dump | grep -v "audit_head" >"$1"; }
dump before.sql
cp "$R" rejects.before
expect_exit 0 cardpipe prepare >rerun.out
assert_contains rerun.out "prepare: 0 read"
dump after.sql
cmp -s before.sql after.sql || { diff before.sql after.sql | head; fail "rerun changed the registry"; }
cmp -s "$R" rejects.before || fail "rerun changed the rejects file"
cardpipe db check >check.out || { cat check.out; fail "db check"; }
echo "t1100 ok: $TOTAL records"
