#!/bin/bash
# Several hosts on one PostgreSQL registry, over TCP on 127.0.0.1 with a password file:
# the bureau's central host runs the nightly, two line hosts produce on lines 1 and 2, a
# branch issues a card at its counter on line 3, all at the same time, each host with its
# own CARDPIPE_HOME (the line hosts read the central host's spool, as they would a shared
# folder). Afterwards every card was produced exactly once, on the line its batch is for,
# the counts of the hosts add up, and db check and verify-audit pass.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v pcscd >/dev/null || skip "pcscd not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd not installed"
command -v psql >/dev/null || skip "psql not installed"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || skip "PostgreSQL server not installed"

ports=$(free_ports 12) || skip "no free loopback ports"
pgport=$ports
export CARDPIPE_PRINTER_PORT=$((ports + 2)) CARDPIPE_PRINTER_VPCD_PORT=$((ports + 7))
pgdir=$(mktemp -d /tmp/cardpipe-t7000.XXXXXX)
lines_started=()
cleanup() {
	for h in "${lines_started[@]}"; do
		CARDPIPE_HOME="$PWD/${h%:*}" cardpipe line stop --line "${h#*:}" >/dev/null 2>&1 || true
	done
	"$CARDPIPE_SRC/tests/pg-server.sh" stop "$pgdir"
}
trap cleanup EXIT
"$CARDPIPE_SRC/tests/pg-server.sh" start "$pgdir" "$pgport" >/dev/null || fail "PostgreSQL did not start"

# the registry every host shares: over TCP, the password in a file of the host's
printf '127.0.0.1:%s:cardpipe:cardpipe:%s\n' "$pgport" "$(cat "$pgdir/password")" >pgpass
chmod 600 pgpass
export CARDPIPE_REGISTRY_URL="postgresql://cardpipe@127.0.0.1:$pgport/cardpipe"
export CARDPIPE_REGISTRY_PASSWORD_FILE="$PWD/pgpass"
sq() { psql "host=127.0.0.1 port=$pgport user=cardpipe dbname=cardpipe passfile=$PWD/pgpass" \
	-XqtA -v ON_ERROR_STOP=1 -c "$1"; }
on() { # on HOST cardpipe-arguments...: run cardpipe as host HOST
	local h=$1
	shift
	CARDPIPE_HOME="$PWD/$h" cardpipe "$@"
}

# the central host: the keys, the applications, perso for lines 1 and 2
export CARDPIPE_PRODUCE_LINES=1,2 CARDPIPE_PRODUCE_BRANCH_LINES=3
on central init >/dev/null 2>&1 || fail "init central"
on central keys ceremony --test >/dev/null 2>&1 || fail "keys ceremony"
# the other hosts: the same keys (the audit key keys one chain), the central spool
for h in line1 line2 branch; do
	mkdir -p "$h"
	cp -a central/keys "$h/keys"
	on "$h" init >/dev/null 2>&1 || fail "init $h"
done
for h in line1 line2; do
	printf '\n[paths]\nspool = %s\n' "$PWD/central/spool" >>"$h/cardpipe.conf"
done

cardpipe sample --count 16 --seed 21 --bad-share 0 --out first >/dev/null 2>&1
rm first/expected.tsv
cp -r first/. central/inbox/
on central nightly --no-produce >n1.out 2>&1 || { cat n1.out; fail "first nightly"; }
first=$(sq "SELECT count(*) FROM card WHERE state = 'rendered'")
[ "$first" -ge 12 ] || fail "only $first cards rendered by the first nightly"

# a counter application at the branch
mkdir -p counter/photos
cp "first/photos/$(ls first/photos | head -1)" counter/photos/p1.jpg
cat >counter/branch-0001.csv <<CSV
ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,guardian_id_number,guardian_proof
BR-1,bank,ICBC-110105-007,2026-11-26T10:05:00+08:00,new,柜台即时,citizen,110105198805061234,1,01,1988-05-06,CHN,13912345678,insured,pickup,,,110105,ICBC-110105-007,ICBC,photos/p1.jpg,,,,,,
CSV
id18=$(python3 -c '
w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
b="11010519880506123"
print(b+"10X98765432"[sum(int(c)*k for c,k in zip(b,w))%11])')
sed -i "s/110105198805061234/$id18/" counter/branch-0001.csv

for hl in line1:1 line2:2 branch:3; do
	on "${hl%:*}" line start --line "${hl#*:}" --fast 2>"${hl%:*}-start.log" ||
		{ cat "${hl%:*}-start.log"; fail "line ${hl#*:} start"; }
	lines_started+=("$hl")
done

# all at once: a second batch through the nightly, both lines producing, the branch
cardpipe sample --count 12 --seed 22 --bad-share 0 --out second >/dev/null 2>&1
rm second/expected.tsv
cp -r second/. central/inbox/
on central nightly --no-produce >n2.out 2>&1 & nightly=$!
on line1 produce --line 1 >p1.out 2>p1.err & p1=$!
on line2 produce --line 2 >p2.out 2>p2.err & p2=$!
on branch instant counter/branch-0001.csv --line 3 >instant.out 2>instant.err ||
	{ cat instant.out instant.err; fail "instant issuance at the branch"; }
grep -q "^card B[0-9A-Z]*: produced$" instant.out || fail "the branch's card was not produced"
wait $p1 || { cat p1.err; fail "produce on line 1"; }
wait $p2 || { cat p2.err; fail "produce on line 2"; }
wait $nightly || [ $? -le 1 ] || { cat n2.out; fail "second nightly"; }

# what the second nightly rendered meanwhile, produced now
on line1 produce --line 1 >p1b.out 2>&1 || { cat p1b.out; fail "produce on line 1, again"; }
on line2 produce --line 2 >p2b.out 2>&1 || { cat p2b.out; fail "produce on line 2, again"; }
on central nightly --no-produce >n3.out 2>&1 || { cat n3.out; fail "third nightly (dispatch)"; }

cards=$(sq "SELECT count(*) FROM card")
echo "cards by state: $(sq "SELECT state || ' ' || count(*) FROM card GROUP BY state" | tr '\n' ' ')"
assert_eq "$(sq "SELECT count(*) FROM card WHERE state IN ('produced', 'dispatched', 'delivered')")" "$cards" \
	"every card produced"
assert_eq "$(sq "SELECT count(*) FROM production_attempt WHERE state = 'produced'")" "$cards" \
	"one produced attempt per card"
assert_eq "$(sq "SELECT count(*) FROM (SELECT card_id FROM production_attempt
	WHERE state = 'produced' GROUP BY card_id HAVING count(*) > 1) d")" 0 "no card produced twice"
# each line made the cards of its own batches, the branch its one card
for l in 1 2; do
	assert_eq "$(sq "SELECT count(*) FROM production_attempt a JOIN card_perso cp
		ON cp.card_id = a.card_id JOIN perso_batch b ON b.id = cp.batch_id
		WHERE a.state = 'produced' AND a.line = $l AND b.line <> $l")" 0 \
		"line $l produced only its batches' cards"
done
assert_eq "$(sq "SELECT count(*) FROM production_attempt WHERE state = 'produced' AND line = 3")" 1 \
	"the branch's line made one card"
# the hosts' own counts add up to the registry's
made=0
for f in p1.err p2.err p1b.out p2b.out; do
	n=$(sed -n 's/^cardpipe produce: line [0-9]*: \([0-9]*\) produced.*/\1/p' "$f" | tail -1)
	made=$((made + ${n:-0}))
done
assert_eq "$((made + 1))" "$cards" "the lines' and the branch's produced counts add up"
on central db check >check.txt || { cat check.txt; fail "db check"; }
on central db verify-audit >audit.txt || { cat audit.txt; fail "verify-audit"; }
# the hosts' actors in the chain
for a in nightly:ingest produce:line1 produce:line2 instant; do
	[ "$(sq "SELECT count(*) FROM audit_log WHERE actor = '$a'")" -gt 0 ] || fail "no audit row of $a"
done
echo "t7000 ok: $cards cards, $made by the line hosts, 1 at the branch"
