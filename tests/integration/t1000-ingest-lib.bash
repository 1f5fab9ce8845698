# t1000-ingest-lib.bash - helpers for the ingest tests (t1001...t1049), sourced after lib.sh.
# Not a test itself (run-tests.sh runs only t*.sh).

reg() { q "$@"; }
inbox() { echo "$CARDPIPE_HOME/inbox"; }

# ingest_setup [work]: the tools the ingest tests need and a new home; with "work", also I
# (the inbox) and W (a work folder, made) for the files a test writes before it drops them.
ingest_setup() {
	command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
	command -v python3 >/dev/null || skip "python3 not installed"
	cardpipe init >/dev/null 2>&1 || fail "cardpipe init"
	if [ "${1:-}" = work ]; then
		I=$(inbox)
		W=$PWD/work
		mkdir -p "$W"
	fi
}

# mkjpg PATH [SEED]: a small, valid baseline JPEG (distinct bytes per seed).
mkjpg() {
	python3 - "$1" "${2:-0}" <<'PY'
import sys, struct
seed = int(sys.argv[2])
# a minimal JFIF with a comment carrying the seed, so photos differ by content
com = b"cardpipe test photo %d" % seed
data = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
data += b"\xff\xfe" + struct.pack(">H", len(com) + 2) + com
data += bytes.fromhex("ffdb004300") + bytes(range(1, 65))
data += bytes.fromhex("ffc0000b080001000101011100")
data += bytes.fromhex("ffc4001f0000010501010101010100000000000000000102030405060708090a0b")
data += bytes.fromhex("ffda0008010100003f00d2cf20ffd9")
open(sys.argv[1], "wb").write(data)
PY
}

# employee_xml K PHOTO_XML: one <Employee> element (K gives ref and a distinct ID).
employee_xml() {
	local k=$1 photo=$2
	printf '    <Employee ref="E%04d">\n' "$k"
	printf '      <ApplicationType>new</ApplicationType>\n'
	printf '      <Name dd="AAC003">张三%d</Name><IdType>citizen</IdType><IdNumber>1101011990030%05d</IdNumber>\n' "$k" "$k"
	printf '      <Sex>1</Sex><Ethnicity>01</Ethnicity><BirthDate>1990-03-07</BirthDate>\n'
	printf '      <Nationality>CHN</Nationality><Mobile>13812345678</Mobile><Category>insured</Category>\n'
	printf '      <Delivery method="mail-person"><Address>北京市东城区东四大街%d号</Address><PostalCode>100010</PostalCode><District>110101</District></Delivery>\n' "$k"
	printf '      <Bank>ICBC</Bank>\n'
	printf '      %s\n' "$photo"
	printf '      <Confirmation at="2026-11-20T10:00:00+08:00" channel="sms"/>\n'
	printf '    </Employee>\n'
}

# employer_xml OUT N [ENCODING]: a valid employer batch of N employees with inline photos.
employer_xml() {
	local out=$1 n=$2 enc=${3:-UTF-8} b64
	mkjpg "$out.jpg.tmp" 1
	b64=$(base64 -w0 "$out.jpg.tmp")
	rm -f "$out.jpg.tmp"
	{
		printf '<?xml version="1.0" encoding="%s"?>\n' "$enc"
		printf '<EmployerBatch xmlns="urn:cardpipe:employer-batch:1" version="1">\n'
		printf '  <Employer><Name>北京测试科技有限公司</Name><USCC>91110108MA01ABCD1X</USCC></Employer>\n'
		printf '  <BatchId>EMP-20261126-0001</BatchId>\n'
		printf '  <SubmittedAt>2026-11-26T09:30:00+08:00</SubmittedAt>\n'
		printf '  <Employees>\n'
		for k in $(seq 1 "$n"); do
			employee_xml "$k" "<Photo encoding=\"base64\">$b64</Photo>"
		done
		printf '  </Employees>\n</EmployerBatch>\n'
	} >"$out"
}

CSV_HEADER='ref,channel,outlet,submitted_at,app_type,name,id_type,id_number,sex,ethnicity,birth_date,nationality,mobile,category,delivery,address,postal_code,district,branch,bank,photo,old_card_no,transport_balance,guardian_name,guardian_id_type,guardian_id_number,guardian_proof'
# csv_row K PHOTO: one counter CSV row.
csv_row() {
	printf 'C%04d,outlet,110101-001,2026-11-26T10:00:00+08:00,new,李四%d,citizen,1101011985060%05d,2,01,1985-06-01,CHN,13900001111,insured,mail-person,"北京市西城区, 金融街%d号",100032,110102,,BOC,%s,,,,,,\n' "$1" "$1" "$1" "$1" "$2"
}

# assert_quarantined NAME CODE: the file is in quarantine/ with its report and the registry
# records it quarantined with that reason and no application rows.
assert_quarantined() {
	local name=$1 code=$2 q="$CARDPIPE_HOME/quarantine"
	[ -f "$q/$name" ] || fail "$name not in quarantine/ ($(ls "$q"))"
	[ -f "$q/$name.report.txt" ] || fail "no report for $name"
	assert_contains "$q/$name.report.txt" "^reason:   $code\$"
	assert_contains "$q/$name.report.txt" "^file:     $name\$"
	[ ! -e "$(inbox)/$name" ] || fail "$name still in the inbox"
	assert_eq "$(reg "select status || ' ' || reason from input_file where name = '$name'")" \
		"quarantined $code" "registry status of $name"
	assert_eq "$(reg "select count(*) from application a join input_file f on f.id = a.file_id where f.name = '$name'")" \
		0 "application rows of quarantined $name"
}

# assert_ingested NAME RECORDS: archived under its SHA-256 with all its records.
assert_ingested() {
	local name=$1 n=$2 sha
	sha=$(reg "select sha256 from input_file where name = '$name'")
	[ -n "$sha" ] || fail "$name not in the registry"
	[ -f "$CARDPIPE_HOME/archive/$sha" ] || fail "$name not archived as archive/$sha"
	assert_eq "$(reg "select status || ' ' || records from input_file where name = '$name'")" \
		"ingested $n" "registry status of $name"
	assert_eq "$(reg "select count(*) from application a join input_file f on f.id = a.file_id where f.name = '$name'")" \
		"$n" "application rows of $name"
}

# registry_dump: every row of the registry (sqlite3's .dump, or pg_dump's data on
# PostgreSQL), to compare two moments.
registry_dump() {
	if [ -n "${CARDPIPE_REGISTRY_URL:-}" ]; then
		pg_dump --data-only --inserts --no-owner -d "$CARDPIPE_REGISTRY_URL" | grep -v '^--\|^SET \|^SELECT pg_catalog\|^\\\(un\)\?restrict '
	else
		reg .dump
	fi
}

# rerun_changes_nothing: a second ingest over the same inbox leaves the registry identical.
# pack_photo LOC: the bytes of the photo stored at LOC ("PACK:OFFSET", application.photo_loc)
# in the home's photo packs (docs/photo-pack.md: a 40-byte head, its length at byte 4,
# little-endian), on stdout
pack_photo() {
	local pack=$CARDPIPE_HOME/spool/photos/packs/${1%:*} off=${1##*:} len
	len=$(od -An -tu4 -j $((off + 4)) -N4 --endian=little "$pack" | tr -d ' ')
	tail -c +$((off + 41)) "$pack" | head -c "$len"
}

# photos_read_back: every place a record names holds the bytes of that record's photo hash
# (and no two records name one place for different photos). Prints the count of places.
photos_read_back() {
	local loc sha n=0
	assert_eq "$(reg "select count(*) from application where photo_sha256 is not null and photo_loc is null")" 0 \
		"every stored photo has its place"
	for loc in $(reg "select distinct photo_loc from application where photo_loc is not null"); do
		sha=$(reg "select distinct photo_sha256 from application where photo_loc = '$loc'")
		assert_eq "$(pack_photo "$loc" | sha256sum | cut -d' ' -f1)" "$sha" "the photo at $loc"
		n=$((n + 1))
	done
	echo "$n"
}

# photos_stored_once: every distinct photo of the registry at one place, which holds the
# bytes its hash names; the packs private; no file per photo. Prints the count.
photos_stored_once() {
	local n
	n=$(photos_read_back) || exit 1
	assert_eq "$(reg "select count(distinct photo_sha256) from application where photo_loc is not null")" "$n" \
		"one place per photo"
	for p in "$CARDPIPE_HOME"/spool/photos/packs/*.pack; do
		[ -e "$p" ] || continue
		assert_eq "$(stat -c %a "$p")" 600 "pack mode"
	done
	assert_eq "$(find "$CARDPIPE_HOME/spool/photos" -type f ! -path '*/packs/*.pack' | wc -l)" 0 \
		"nothing but packs under spool/photos"
	echo "$n"
}

rerun_changes_nothing() {
	local a b
	a=$(mktemp) b=$(mktemp)
	registry_dump >"$a"
	cardpipe ingest >/dev/null 2>&1 || true
	registry_dump >"$b"
	cmp -s "$a" "$b" || { diff "$a" "$b" | head -20; fail "a rerun changed the registry"; }
	rm -f "$a" "$b"
	cardpipe db check >/dev/null || { cardpipe db check; fail "db check"; }
}

# big_counter_csv PATH N: a counter CSV of N good rows (all with photo p.jpg), for the tests
# that need a file long enough to be caught mid-read.
big_counter_csv() {
	python3 - "$1" "$CSV_HEADER" "$2" <<'PY'
import sys
path, header, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    f.write(header + "\n")
    for k in range(1, n + 1):
        f.write("C%06d,outlet,110101-001,2026-11-26T10:00:00+08:00,new,李四%d,citizen,"
                "1101011985%08d,2,01,1985-06-01,CHN,13900001111,insured,mail-person,"
                "\"北京市西城区, 金融街%d号\",100032,110102,,BOC,p.jpg,,,,,,\n" % (k, k, k, k))
PY
}
