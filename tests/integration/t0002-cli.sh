# The command line: help, version, unknown commands, configuration precedence, exit codes,
# JSON log lines.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

cardpipe --help >help.out
for c in init config db sample ingest prepare perso render produce dispatch reconcile status \
	nightly instant keys calendar line; do
	grep -q "^  $c " help.out || fail "--help does not list $c"
done
cardpipe --version | grep -q '^cardpipe [0-9]' || fail "--version"
expect_exit 2 cardpipe frobnicate 2>err.out
assert_contains err.out "not a cardpipe command"
expect_exit 2 cardpipe
expect_exit 2 cardpipe --bogus-option init
cardpipe init --help | grep -q "usage: cardpipe init" || fail "init --help"
cardpipe db --help | grep -q "verify-audit" || fail "db --help"
expect_exit 2 cardpipe db nonsense

cardpipe init
# init's file lists every key commented out at its default: nothing is customised yet
cardpipe config --show >show.out
assert_not_contains show.out "; from file"
grep -q '^;width = 358$' "$CARDPIPE_HOME/cardpipe.conf" || fail "photo.width not commented out at its default"
# default < file < environment < --set
cardpipe config --show | grep -q '^width = 358$' || fail "default photo.width"
sed -i 's/^;width = 358$/width = 400/' "$CARDPIPE_HOME/cardpipe.conf"
cardpipe config --show >show.out
grep -q '^width = 400$' show.out || fail "file value not used"
grep -B1 '^width = 400$' show.out | grep -q '; from file' || fail "file source not shown"
CARDPIPE_PHOTO_WIDTH=410 cardpipe config --show | grep -q '^width = 410$' || fail "env not used"
CARDPIPE_PHOTO_WIDTH=410 cardpipe --set photo.width=420 config --show | grep -q '^width = 420$' ||
	fail "--set not used"
CARDPIPE_PHOTO_WIDTH=410 cardpipe config --show --set photo.width=430 | grep -q '^width = 430$' ||
	fail "--set after the command not used"

# registry.url is shown unless it may hold a password: connecting refuses a password in
# it, and --show's output goes into tickets and logs
for url in 'postgresql://bob:pw-s3cret@db.example/cardpipe' 'host=db password=pw-s3cret' \
	'postgresql://bob@db/cp?password=pw-s3cret' "host=db password='pw-s3cret" 'mysql://u:pw-s3cret@h'; do
	CARDPIPE_REGISTRY_URL=$url cardpipe config --show >show.out
	assert_not_contains show.out "pw-s3cret"
	grep -q '^url = (withheld: it names a password, or is no form registry.url takes)$' show.out ||
		fail "registry.url '$url' not withheld"
done
for url in 'postgresql://bob@db.example/cardpipe' 'host=db dbname=cp' 'sqlite:reg.db'; do
	cardpipe --set registry.url="$url" config --show | grep -qxF "url = $url" || fail "registry.url '$url' not shown"
done

# configuration errors exit 2 with the reason
expect_exit 2 cardpipe --set photo.width=wide config --show 2>err.out
assert_contains err.out "not a whole number"
expect_exit 2 cardpipe --set no.such=1 config --show 2>err.out
assert_contains err.out "unknown configuration key 'no.such'"
echo "[nosuch]" >>"$CARDPIPE_HOME/cardpipe.conf"
echo "key = 1" >>"$CARDPIPE_HOME/cardpipe.conf"
expect_exit 2 cardpipe config --show 2>err.out
assert_contains err.out "cardpipe.conf:"
sed -i '/^\[nosuch\]$/,$d' "$CARDPIPE_HOME/cardpipe.conf"

# JSON log lines on stderr
cardpipe --log-format=json init 2>log.out
python3 -c 'import json,sys; [json.loads(l) for l in open("log.out")]' || fail "log is not JSON lines"
grep -q '"level":"info"' log.out || fail "no info line"
expect_exit 2 cardpipe --log-format=xml init
# --quiet silences info
cardpipe --quiet init 2>quiet.out
[ ! -s quiet.out ] || fail "--quiet printed: $(cat quiet.out)"
# the log file is JSON lines too, and private
[ -s "$CARDPIPE_HOME/log/cardpipe.log" ] || fail "no log file"
assert_eq "$(stat -c %a "$CARDPIPE_HOME/log/cardpipe.log")" 600 "log mode"
echo "t0002 ok"
