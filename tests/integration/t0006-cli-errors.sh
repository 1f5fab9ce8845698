# The command line's errors: an unknown option or command is named on one line with a
# "did you mean", `cardpipe help STAGE` is `cardpipe STAGE --help`, and the same condition
# exits with the same code in every command (a missing key store is 2: a configuration
# error, like a missing registry).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
# the calendar's own early warning (it runs out at the end of the shipped year) is not
# what the one-line checks below are about
export CARDPIPE_CALENDAR_WARN_DAYS=0

# an unknown long option: one line naming it and the closest option
expect_exit 2 cardpipe perso --lien 3 2>err.out
assert_eq "$(wc -l <err.out)" 1 "perso --lien: one line"
assert_contains err.out "unknown option '--lien'; did you mean '--line'?"
expect_exit 2 cardpipe reconcile --daet=2026-01-01 2>err.out
assert_eq "$(wc -l <err.out)" 1 "reconcile --daet: one line"
assert_contains err.out "unknown option '--daet'; did you mean '--date'?"
expect_exit 2 cardpipe nightly --no-prodcue 2>err.out
assert_contains err.out "did you mean '--no-produce'?"
# nothing close: named, no guess
expect_exit 2 cardpipe prepare --frobnicate 2>err.out
assert_eq "$(wc -l <err.out)" 1 "prepare --frobnicate: one line"
assert_contains err.out "unknown option '--frobnicate'"
assert_not_contains err.out "did you mean"
# a missing value and an ambiguous abbreviation are said as such
expect_exit 2 cardpipe perso --line 2>err.out
assert_contains err.out "option '--line' needs a value"
expect_exit 2 cardpipe sample --b 2>err.out
assert_contains err.out "is ambiguous"
# global options and commands
expect_exit 2 cardpipe --hmoe /tmp init 2>err.out
assert_contains err.out "did you mean '--home'?"
expect_exit 2 cardpipe perzo 2>err.out
assert_contains err.out "'perzo' is not a cardpipe command; did you mean 'perso'?"
expect_exit 2 cardpipe reconcil 2>err.out
assert_contains err.out "did you mean 'reconcile'?"
expect_exit 2 cardpipe db chek 2>err.out
assert_contains err.out "unknown subcommand 'chek'; did you mean 'check'?"
expect_exit 2 cardpipe reconcile verfy x 2>err.out
assert_contains err.out "did you mean 'verify'?"

# help STAGE is STAGE --help, for every command
cardpipe help >help.out
assert_contains help.out "^usage: cardpipe"
cmds=$(cardpipe --commands)
[ "$(echo "$cmds" | wc -l)" -ge 17 ] || fail "--commands lists $(echo "$cmds" | wc -l) commands"
for c in $cmds; do
	cardpipe help $c >a.out || fail "help $c exits $?"
	cardpipe $c --help >b.out || fail "$c --help exits $?"
	[ -s a.out ] || fail "help $c printed nothing"
	cmp -s a.out b.out || fail "help $c differs from $c --help"
done
expect_exit 2 cardpipe help perzo 2>err.out
assert_contains err.out "did you mean 'perso'?"

# a missing key store: exit 2 in every command that needs it, with the way out
cardpipe --quiet init
for cmd in "perso" "reconcile" "keys list" "keys public report.sign"; do
	expect_exit 2 cardpipe $cmd 2>err.out
	assert_contains err.out "no key store at"
	assert_contains err.out "keys ceremony"
done
# instant reaches perso without one: the same
mkdir -p counter/photos
cardpipe sample --count 1 --seed 5 --bad-share 0 --out samples >/dev/null 2>&1
cp "samples/photos/$(ls samples/photos | head -1)" counter/photos/p1.jpg
cat >counter/one.csv <<CSV
ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,guardian_id_number,guardian_proof
BR-1,bank,ICBC-110105-007,2026-11-26T10:05:00+08:00,new,柜台即时,citizen,110105198805061230,1,01,1988-05-06,CHN,13912345678,insured,pickup,,,110105,ICBC-110105-007,ICBC,photos/p1.jpg,,,,,,
CSV
expect_exit 2 cardpipe instant counter/one.csv --line 2 --no-produce >/dev/null 2>err.out
assert_contains err.out "no key store at"
# and nightly, whose perso stage meets it, exits as perso alone does
expect_exit 2 cardpipe nightly --no-produce >/dev/null 2>err.out
assert_contains err.out "no key store at"

# status: a number whose check character is wrong is said to be wrong, masked, with the
# right check character; a good number with no application is "no application" (3)
expect_exit 2 cardpipe status 11010519880506123X 2>err.out
assert_contains err.out "ID number 110105\*\*\*\*\*\*\*\*123X has a wrong check character (expected 0)"
assert_not_contains err.out "19880506"
assert_not_contains err.out "no application"
expect_exit 2 cardpipe status 1101051988050612 2>err.out
assert_contains err.out "has 16 characters"
expect_exit 3 cardpipe status 110105199001011232 2>err.out
assert_contains err.out "no application for ID number"
# a number with an application is found
cardpipe --quiet status 110105198805061230 >/dev/null || fail "status of the instant application"

# instant on a branch line that is not running says how to start it
base=$(free_ports 8) || skip "no free loopback ports"
export CARDPIPE_PRINTER_PORT=$base CARDPIPE_PRINTER_VPCD_PORT=$((base + 4))
export CARDPIPE_PRODUCE_LINES=1 CARDPIPE_PRODUCE_BRANCH_LINES=2
cardpipe --quiet keys ceremony --test >/dev/null
sed 's/^BR-1,/BR-2,/; s/110105198805061230/110105199001011232/; s/,1988-05-06,/,1990-01-01,/' counter/one.csv >counter/two.csv
expect_exit 3 cardpipe instant counter/two.csv --line 2 >/dev/null 2>err.out
assert_contains err.out "line 2 is not running: start it with 'cardpipe line start --line 2'"

# and a missing registry is 2 as well
rm "$CARDPIPE_HOME/registry.db"
expect_exit 2 cardpipe prepare 2>err.out
assert_contains err.out "cardpipe init"
echo "t0006 ok"
