#!/bin/bash
# t0100-sample: `cardpipe sample` writes every channel and format, deterministically, with
# photos to the standard and an expected.tsv that ingest + prepare then agree with record
# by record (every reject reason, every quarantined file, the duplicate count, conservation).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
export CARDPIPE_NOW=2026-11-26T10:00:00+08:00
cardpipe init

# ---- usage ----
expect_exit 0 cardpipe sample --help
cardpipe sample --help >help.txt
for opt in --out --count --seed --bad-share --bad-files --help; do assert_contains help.txt -- "$opt"; done
expect_exit 2 cardpipe sample --count 10
expect_exit 2 cardpipe sample --out x --count -1
expect_exit 2 cardpipe sample --out x --count ten
expect_exit 2 cardpipe sample --out x --seed abc
expect_exit 2 cardpipe sample --out x --bad-share 1.5
expect_exit 2 cardpipe sample --out x extra-argument
expect_exit 3 cardpipe sample --out /proc/no-such/dir --count 5

# ---- 1000 records, fast ----
start=$(date +%s%N)
cardpipe sample --count 1000 --seed 1 --out smp --bad-files
ms=$((($(date +%s%N) - start) / 1000000))
echo "sample --count 1000 --bad-files: ${ms} ms"
[ "$ms" -lt 15000 ] || fail "1000 records took ${ms} ms"

# every channel and format; some gzip; one GB18030 file
for ch in employer website rs-app jingtong minsheng outlet bank; do
	ls smp/"$ch"-s1-* >/dev/null 2>&1 || fail "no file for channel $ch"
done
ls smp/*.gz >/dev/null || fail "no gzip file"
for f in smp/*.gz; do
	case $f in smp/bad-*) ;; *) gzip -t "$f" || fail "$f is not a good gzip file" ;; esac
done
head -c 60 smp/employer-s1-0001.xml | grep -q 'encoding="GB18030"' || fail "employer batch 1 is not GB18030"
iconv -f GB18030 -t UTF-8 smp/employer-s1-0001.xml >gb.txt || fail "GB18030 file does not convert"
head -c 3 smp/outlet-s1-0001.csv | od -An -tx1 | grep -q "ef bb bf" || fail "outlet CSV 1 has no BOM"

# all the regular files as UTF-8 text
alltext() {
	for f in smp/*-s1-*; do
		case $f in
		smp/bad-*) ;;
		*0001.xml) if head -c 60 "$f" | grep -q GB18030; then iconv -f GB18030 -t UTF-8 "$f"; else cat "$f"; fi ;;
		*.gz) zcat "$f" ;;
		*) cat "$f" ;;
		esac
	done
}
alltext >all.txt
for t in '<IdType>citizen</IdType>' '<IdType>hk</IdType>' '<IdType>mo</IdType>' '<IdType>tw</IdType>' \
	'<IdType>fpr</IdType>' '<IdType>fpr-old</IdType>' '<Guardian>' 'elderly-civil' \
	'<TransportBalance>' 'replace-lost' 'replace-damaged' 'change-bank' 'method="pickup"' \
	'method="mail-employer"' 'method="mail-person"' '<Photo encoding="base64">' '<Photo href="photos/' \
	'<Confirmation at=' 'base64:/9j/' ',photos/' '<Employer>' 'channel="jingtong"'; do
	grep -q -- "$t" all.txt || fail "no '$t' in the sample files"
done
grep -q '䶮\|𠇔' all.txt || fail "no rare-character name"
grep -q '^[A-Z][0-9]*,outlet,' all.txt || fail "no outlet CSV rows"
grep -q '^[A-Z][0-9]*,bank,' all.txt || fail "no bank CSV rows"

# photos: JPEG 358x441 RGB, 14-40 KB
n=0
for p in smp/photos/*.jpg; do
	n=$((n + 1))
	[ $n -gt 40 ] && break
	sz=$(stat -c %s "$p")
	[ "$sz" -ge 14000 ] && [ "$sz" -le 40000 ] || fail "$p is $sz bytes"
	if command -v djpeg >/dev/null; then
		assert_eq "$(djpeg -pnm "$p" | head -c 15 | tr '\n' ' ')" "P6 358 441 255 " "$p dimensions"
	fi
done
[ $n -gt 0 ] || fail "no photo files"

# expected.tsv: header, every record, the bad files
assert_eq "$(head -1 smp/expected.tsv)" "$(printf 'file\tref\texpected')" "expected.tsv header"
assert_eq "$(tail -n +2 smp/expected.tsv | grep -vc '^bad-')" 1000 "records listed"
assert_eq "$(tail -n +2 smp/expected.tsv | grep -v '^bad-' | grep -vc '	ok$')" 50 "bad records (5%)"
assert_eq "$(grep -c '	quarantine:' smp/expected.tsv)" 8 "quarantined bad files"
for code in id-check-digit id-birth-date id-sex-mismatch mail-no-address postal-code-invalid \
	mobile-invalid employee-unconfirmed minor-no-guardian bank-unknown elderly-age \
	photo-dimensions photo-corrupt photo-ref-outside csv-bad-quoting csv-field-count; do
	grep -q "	reject:$code\$" smp/expected.tsv || fail "no reject:$code in expected.tsv"
done
grep -q '	duplicate$' smp/expected.tsv || fail "no duplicate"
for code in not-well-formed schema-violation bad-encoding truncated-gzip gzip-bomb \
	entity-expansion external-entity csv-malformed; do
	grep -q "	quarantine:$code\$" smp/expected.tsv || fail "no quarantine:$code"
done

# ---- deterministic ----
cardpipe sample --count 1000 --seed 1 --out smp2 --bad-files
diff -r smp smp2 >/dev/null || fail "the same seed gave different files"
cardpipe sample --count 1000 --seed 2 --out smp3
cmp -s smp/expected.tsv smp3/expected.tsv && fail "seeds 1 and 2 gave the same expected.tsv"
ls smp3/employer-s2-0001.xml >/dev/null
rm -rf smp2 smp3

# ---- ingest and prepare agree with expected.tsv ----
cp -r smp/. "$CARDPIPE_HOME/inbox/"
rm "$CARDPIPE_HOME/inbox/expected.tsv"
cardpipe ingest >ingest.out 2>&1 || [ $? -eq 1 ] || { cat ingest.out; fail "ingest failed"; }
cardpipe prepare >prepare.out 2>&1 || [ $? -eq 1 ] || { cat prepare.out; fail "prepare failed"; }
cat prepare.out
ndup=$(grep -c '	duplicate$' smp/expected.tsv)
grep -Eq "duplicate +$ndup\$" prepare.out || fail "prepare's duplicate count is not $ndup"
nok=$(grep -c '	ok$' smp/expected.tsv)
grep -Eq "accepted +$nok\$" prepare.out || fail "prepare's accepted count is not $nok"
command -v python3 >/dev/null || skip "python3 needed to compare the rejects files"
python3 - "$CARDPIPE_HOME" smp/expected.tsv <<'EOF'
import csv, glob, os, sys
home, expfile = sys.argv[1], sys.argv[2]
exp = {}
for line in open(expfile, encoding="utf-8").read().splitlines()[1:]:
    f, r, o = line.split("\t")
    exp[(f, r)] = o
got = {}
for p in glob.glob(os.path.join(home, "out/rejects/*/*.rejects.csv")):
    f = os.path.basename(p)[: -len(".rejects.csv")]
    for row in csv.DictReader(open(p, encoding="utf-8-sig")):
        got[(f, row["channel_ref"])] = "reject:" + row["reason_code"]
for p in glob.glob(os.path.join(home, "quarantine/*.report.txt")):
    f = os.path.basename(p)[: -len(".report.txt")]
    for l in open(p, encoding="utf-8"):
        if l.startswith("reason:"):
            got[(f, "-")] = "quarantine:" + l.split()[1]
            break
bad = [(k, v, got.get(k)) for k, v in exp.items()
       if v.split(":")[0] in ("reject", "quarantine") and got.get(k) != v]
bad += [(k, exp.get(k), v) for k, v in got.items() if exp.get(k) != v]
for b in bad[:20]:
    print("mismatch", b)
n = sum(1 for v in exp.values() if v.split(":")[0] in ("reject", "quarantine"))
print("%d rejects and quarantines expected, %d mismatches" % (n, len(bad)))
sys.exit(1 if bad else 0)
EOF
cardpipe db check
echo "t0100 ok"
