#!/bin/bash
# Log injection: names with a newline, a carriage return, an escape sequence and bytes that
# are not UTF-8 cannot forge a log line: text lines on stderr each start with "cardpipe ",
# every JSON line (stderr and log/cardpipe.log) is valid JSON and valid UTF-8, and the name
# can be read back from it.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
mkjpg $I/p.jpg 2
n1=$'a\ncardpipe ingest: error: forged.xml'
n2=$'b\r\x1b[2Jc.xml'
n3=$'\xff\xfe\xc3(-bad.csv'
for n in "$n1" "$n2"; do printf '<?xml version="1.0"?>\n<EmployerBatch' >"$I/$n"; done
{ echo "$CSV_HEADER"; csv_row 1 p.jpg; } >"$I/$n3"
rc=0; cardpipe ingest 2>$W/err || rc=$?
cat -v $W/err
assert_eq $rc 1 "ingest exit status"
while IFS= read -r line; do
	case "$line" in "cardpipe "*) ;; *) fail "forged stderr line: '$line'" ;; esac
done <$W/err
assert_eq "$(grep -c 'forged' $W/err)" 1 "lines naming the forged file"
! LC_ALL=C grep -q $'[\r\x1b]' $W/err || fail "raw control bytes on stderr"
grep -q 'a\\ncardpipe ingest: error: forged.xml' $W/err || fail "newline not shown escaped"
grep -q '\\xff\\xfe\\xc3(-bad.csv' $W/err || fail "non-UTF-8 bytes not shown as \\xNN"

# JSON lines: again with fresh files (same bytes would be 'seen before' only)
for n in "$n1" "$n2"; do printf '<?xml version="1.0"?>\n<OnlineApplications' >"$I/$n"; done
{ echo "$CSV_HEADER"; csv_row 2 p.jpg; } >"$I/$n3"
rc=0; cardpipe --log-format=json ingest 2>$W/json || rc=$?
cat -v $W/json
assert_eq $rc 1 "ingest exit status (json)"
python3 - $W/json "$CARDPIPE_HOME/log/cardpipe.log" <<'PY'
import json, sys
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    raw.decode("utf-8")  # every byte valid UTF-8
    msgs = [json.loads(l)["msg"] for l in raw.split(b"\n") if l]
    assert msgs, path
    assert any("a\ncardpipe ingest: error: forged.xml" in m for m in msgs), (path, msgs)
    assert any("\\xff\\xfe\\xc3(-bad.csv" in m for m in msgs), (path, msgs)
PY
cardpipe db check >/dev/null
