# Instant issuance at a branch while the nightly run produces on the bureau's line: the
# instant card is made on the branch's own line without waiting for the night, nothing is
# allocated twice, and a second nightly started meanwhile exits at once naming the first.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
command -v pcscd >/dev/null || skip "pcscd not installed"

base=$(free_ports 8) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 4))
export CARDPIPE_PRODUCE_LINES=1 CARDPIPE_PRODUCE_BRANCH_LINES=2
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
cardpipe sample --count 30 --seed 11 --bad-share 0 --out samples >/dev/null 2>&1
rm samples/expected.tsv
cp -r samples/. "$CARDPIPE_HOME/inbox/"

# one counter application for the branch, its photo beside it
mkdir -p counter/photos
photo=$(ls samples/photos/ | head -1)
cp "samples/photos/$photo" counter/photos/p1.jpg
id17=11010519880506123
check=$(python3 -c '
import sys
w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
s=sum(int(c)*k for c,k in zip(sys.argv[1],w))
print("10X98765432"[s%11])' $id17)
cat >counter/branch-0001.csv <<CSV
ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,guardian_id_number,guardian_proof
BR-1,bank,ICBC-110105-007,2026-11-26T10:05:00+08:00,new,柜台即时,citizen,$id17$check,1,01,1988-05-06,CHN,13912345678,insured,pickup,,,110105,ICBC-110105-007,ICBC,photos/p1.jpg,,,,,,
CSV

trap 'cardpipe line stop --line 1 >/dev/null 2>&1 || true; cardpipe line stop --line 2 >/dev/null 2>&1 || true' EXIT
cardpipe --quiet line start --line 1 --fast
cardpipe --quiet line start --line 2 --fast

cardpipe nightly --line 1 >nightly.out 2>&1 &
nightly=$!
# wait until the nightly run is producing on line 1
for _ in $(seq 1 600); do
	grep -q "produce line 1 \.\.\." nightly.out && break
	kill -0 $nightly 2>/dev/null || { cat nightly.out; fail "nightly ended before production"; }
	sleep 0.1
done
grep -q "produce line 1 \.\.\." nightly.out || fail "nightly never reached production"

# the lock: a second nightly exits at once, naming the first
start=$(date +%s)
expect_exit 3 cardpipe nightly --line 1 2>second.err
[ $(($(date +%s) - start)) -le 5 ] || fail "the second nightly waited instead of exiting"
assert_contains second.err "another nightly run is running (pid $nightly"

# instant issuance meanwhile, on the branch's line 2
cardpipe instant counter/branch-0001.csv --line 2 >instant.out 2>instant.err ||
	{ cat instant.out instant.err; fail "instant issuance failed"; }
cat instant.out
grep -q "^card B[0-9A-Z]*: produced$" instant.out || fail "the instant card was not produced"
card=$(sed -n 's/^card \(B[0-9A-Z]*\): produced$/\1/p' instant.out)
kill -0 $nightly 2>/dev/null || echo "note: the nightly run had already finished"

wait $nightly || [ $? -le 1 ] || { cat nightly.out; fail "nightly failed"; }
cardpipe --quiet db check >check.out || { cat check.out; fail "db check"; }

reg="$CARDPIPE_HOME/registry.db"
# the instant card: made once, on line 2, due the same day, and not on the nightly's line
# (the nightly's dispatch then records it handed over at the counter)
assert_eq "$(sqlite3 "$reg" "SELECT instant || ' ' || (state IN ('produced', 'delivered'))
	FROM card WHERE card_no = '$card'")" "1 1" "instant card state"
assert_eq "$(sqlite3 "$reg" "SELECT count(*) FROM production_attempt p JOIN card c ON c.id = p.card_id
	WHERE c.card_no = '$card' AND p.state = 'produced' AND p.line = 2")" 1 "produced once on line 2"
assert_eq "$(sqlite3 "$reg" "SELECT count(*) FROM production_attempt p JOIN card c ON c.id = p.card_id
	WHERE c.card_no = '$card' AND p.line <> 2")" 0 "no attempt on another line"
assert_eq "$(sqlite3 "$reg" "SELECT a.due_date = substr(a.submitted_at, 1, 10) FROM application a
	JOIN card c ON c.application_id = a.id WHERE c.card_no = '$card'")" 1 "due the same day"
# nothing doubled: every card number and PAN once, every nightly card produced once on line 1
assert_eq "$(sqlite3 "$reg" "SELECT count(*) - count(DISTINCT card_no) + count(*) - count(DISTINCT pan) FROM card")" 0 "unique numbers"
assert_eq "$(sqlite3 "$reg" "SELECT count(*) FROM card WHERE instant = 0 AND state IN ('produced', 'dispatched', 'delivered')")" \
	"$(sqlite3 "$reg" "SELECT count(*) FROM production_attempt p JOIN card c ON c.id = p.card_id
	WHERE c.instant = 0 AND p.state = 'produced' AND p.line = 1")" "nightly cards produced once on line 1"
ls "$CARDPIPE_HOME/run/line2/printed/" | grep -q png || fail "nothing printed on line 2"

# every audit row names the run and the stage that wrote it: the nightly's stages their
# own ("nightly:prepare", not the stage that ran before them), instant issuance "instant"
actors=" $(sqlite3 "$reg" "SELECT DISTINCT actor FROM audit_log ORDER BY 1" | tr '\n' ' ')"
for a in nightly:ingest nightly:prepare nightly:perso nightly:render nightly:produce:line1 \
	nightly:dispatch instant; do
	case "$actors" in *" $a "*) ;; *) fail "no audit row names $a; the actors: $actors" ;; esac
done
case "$actors" in *" ingest "* | *" produce:line"*) fail "a nightly or instant row names a bare stage: $actors" ;; esac
assert_eq "$(sqlite3 "$reg" "SELECT group_concat(DISTINCT a.actor) FROM audit_log a JOIN card c
	ON a.entity = 'card' AND a.entity_id = c.id WHERE c.card_no = '$card' AND a.event = 'allocated'")" \
	instant "the instant card's number allocated by instant"
assert_eq "$(sqlite3 "$reg" "SELECT count(*) FROM audit_log a JOIN card c ON a.entity = 'card'
	AND a.entity_id = c.id WHERE c.instant = 0 AND a.event = 'allocated' AND a.actor <> 'nightly:prepare'")" \
	0 "the nightly's card numbers allocated by nightly:prepare"
grep "cardpipe processing" instant.out
echo "t6010 ok"
