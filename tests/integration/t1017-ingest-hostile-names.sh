#!/bin/bash
# File names are data: a bad file with a 250-byte name, a valid file with a 255-byte name,
# names with a newline, a leading '-' and non-UTF-8 bytes. Each is ingested or quarantined on
# its own (reports under names that fit, the original name escaped inside), prepare writes a
# rejects file for each, and no name stops the files after it.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup work
Q=$CARDPIPE_HOME/quarantine
mkjpg $I/p.jpg 2
long250=$(printf 'b%.0s' $(seq 1 246)).xml
long255=$(printf 'a%.0s' $(seq 1 251)).csv
nl=$'evil\nreason:   forged.xml'
dash='-rf.csv'
bad=$'caf\xe9-\xff.csv'
printf '<?xml version="1.0"?>\n<EmployerBatch' >"$I/$long250"
printf '<?xml version="1.0"?>\n<Employer' >"$I/$nl"
{ echo "$CSV_HEADER"; csv_row 1 p.jpg; csv_row 2 p.jpg | sed 's/1101011985060/X101011985060/'; } >"$I/$long255"
{ echo "$CSV_HEADER"; csv_row 3 p.jpg; } >"$I/$dash"
{ echo "$CSV_HEADER"; csv_row 4 p.jpg; } >"$I/$bad"
{ echo "$CSV_HEADER"; csv_row 5 p.jpg; } >"$I/zz-last.csv"
rc=0; cardpipe ingest 2>$W/err || rc=$?
cat -v $W/err
assert_eq $rc 1 "ingest exit status"
assert_ingested zz-last.csv 1
assert_ingested "$long255" 2
assert_ingested "$dash" 1
assert_eq "$(reg "select count(*) from input_file where status = 'ingested'")" 4 "ingested files"
assert_eq "$(reg "select count(*) from input_file where status = 'quarantined'")" 2 "quarantined files"
for n in "$long250" "$nl"; do
	[ ! -e "$I/$n" ] || fail "quarantined file left in the inbox"
done
# every name in quarantine/ fits, has no control byte and no leading '-'
for f in "$Q"/*; do
	b=$(basename "$f")
	[ ${#b} -le 255 ] || fail "quarantine name too long"
	case "$b" in -*) fail "quarantine name with a leading '-': $b" ;; esac
	! printf '%s' "$b" | LC_ALL=C grep -q '[[:cntrl:]]' || fail "control byte in quarantine name '$b'"
done
assert_eq "$(ls "$Q" | grep -c 'report.txt$')" 2 "two reports"
# the original names are inside the reports, escaped: one 'reason:' line each
grep -l "^file:     $long250\$" "$Q"/*.report.txt >/dev/null || fail "long name not in its report"
grep -l '^file:     evil\\nreason:   forged.xml$' "$Q"/*.report.txt >/dev/null ||
	{ cat "$Q"/*.report.txt; fail "newline name not escaped in its report"; }
for r in "$Q"/*.report.txt; do
	assert_eq "$(grep -c '^reason:' "$r")" 1 "reason lines in $r"
	assert_eq "$(grep -c '^file:' "$r")" 1 "file lines in $r"
done
# stderr: every line is one of cardpipe's, none forged
while IFS= read -r line; do
	case "$line" in "cardpipe "*) ;; *) fail "forged stderr line: '$line'" ;; esac
done <$W/err
! grep -q '^reason:' $W/err || fail "forged reason line on stderr"

# prepare: one rejects file per ingested file, under a name that fits
cardpipe prepare >/dev/null 2>$W/perr || [ $? -eq 1 ] || { cat $W/perr; fail "prepare failed"; }
assert_eq "$(ls "$CARDPIPE_HOME/out/rejects/outlet" | wc -l)" 4 "rejects files"
for f in "$CARDPIPE_HOME/out/rejects/outlet"/*; do
	b=$(basename "$f")
	[ ${#b} -le 255 ] || fail "rejects name too long"
	case "$b" in -*) fail "rejects name with a leading '-': $b" ;; esac
done
ls "$CARDPIPE_HOME/out/rejects/outlet" | grep -q '^aaaaaaaa.*rejects.csv$' || fail "no rejects file for the 255-byte name"
[ "$(cat "$CARDPIPE_HOME/out/rejects/outlet"/aaaaaaaa* | wc -l)" -ge 2 ] || fail "the 255-byte file's rejected row is not in its rejects file"
# its rows name the file as it was received, whole, though the rejects file's own name is cut
grep -q ",$long255\$" "$CARDPIPE_HOME/out/rejects/outlet"/aaaaaaaa* ||
	fail "the rejects file does not keep the 255-byte original name"
cardpipe db check >/dev/null
