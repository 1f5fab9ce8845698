#!/bin/bash
# The sample generator's files (every channel and format, its bad share and one bad file
# per kind) go through ingest with exactly the outcomes its expected.tsv names for ingest:
# each quarantine:<code> file quarantined with that code, each reject:<ingest code> record
# rejected with it, every other record received; conservation per file; rerun changes nothing.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
source "$CARDPIPE_SRC/tests/integration/t1000-ingest-lib.bash"
ingest_setup
cardpipe sample --help >/dev/null 2>&1 || skip "cardpipe sample not available in this build"
cardpipe sample --out "$PWD/sample" --count 400 --seed 7 --bad-files >/dev/null
mv sample/expected.tsv .
cp -r sample/. "$(inbox)/"
cardpipe ingest || true
python3 - "$CARDPIPE_HOME/registry.db" expected.tsv <<'PY'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ingest_codes = {"photo-ref-outside", "photo-ref-missing", "photo-base64-invalid",
                "record-too-large", "csv-field-count", "csv-bad-quoting", "field-invalid"}
files = {n: (s, r) for n, s, r in db.execute("select name, status, reason from input_file")}
bad = 0
rows = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
for e in rows:
    f, ref, want = e["file"], e["ref"], e["expected"]
    st = files.get(f)
    if want.startswith("quarantine:"):
        if st != ("quarantined", want.split(":", 1)[1]):
            print("file", f, "expected", want, "got", st); bad += 1
        continue
    if not st or st[0] != "ingested":
        print("file", f, "not ingested:", st); bad += 1; continue
    got = db.execute("select a.state, a.reason_code from application a join input_file i "
                     "on i.id = a.file_id where i.name = ? and a.channel_ref = ?", (f, ref)).fetchall()
    code = want.split(":", 1)[1] if want.startswith("reject:") else None
    exp = ("rejected", code) if code in ingest_codes else ("received", None)
    if got != [exp]:
        print(f, ref, "expected", exp, "got", got); bad += 1
print(len(rows), "expectations,", bad, "wrong")
sys.exit(1 if bad or len(rows) < 400 else 0)
PY
cardpipe db check >/dev/null
rerun_changes_nothing
