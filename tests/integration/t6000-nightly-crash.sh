# Crash anywhere, rerun converges (docs/system.md invariant 3): SIGKILL `cardpipe nightly` at
# random moments, at least 30 times over a run of a sample batch, rerunning it each time;
# then db check passes and the registry and the outputs equal an uninterrupted run's
# (timestamps masked; signatures, which are randomised, compared by verifying them).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
export CARDPIPE_NOW=2026-11-26T22:30:00+08:00
COUNT=${CRASH_COUNT:-40}
KILLS=${CRASH_KILLS:-30}

cardpipe sample --count "$COUNT" --seed 7 --bad-files --out samples >/dev/null 2>&1
rm samples/expected.tsv

setup_home() {
	export CARDPIPE_HOME=$1
	cardpipe --quiet init
	cardpipe --quiet keys ceremony --test >/dev/null
	cp -r samples/. "$CARDPIPE_HOME/inbox/"
}

# The registry as a business reads it: no ids, no timestamps, references by file and record.
dump() {
	sqlite3 "$1/registry.db" <<'SQL'
.mode list
SELECT 'file', name, status, records, coalesce(reason, '') FROM input_file ORDER BY name;
SELECT 'app', f.name, a.record_no, a.state, coalesce(a.reason_code, ''),
       coalesce((SELECT f2.name || ':' || d.record_no FROM application d
                 JOIN input_file f2 ON f2.id = d.file_id WHERE d.id = a.duplicate_of), ''),
       coalesce(a.dedup_rule, ''), coalesce(a.due_date, '')
  FROM application a JOIN input_file f ON f.id = a.file_id ORDER BY f.name, a.record_no;
SELECT 'card', c.card_no, c.pan, c.state, f.name, a.record_no, c.issue_date, c.expiry_date,
       coalesce(c.held_reason, '')
  FROM card c JOIN application a ON a.id = c.application_id
  JOIN input_file f ON f.id = a.file_id ORDER BY c.card_no;
SELECT 'counter', prefix, next_seq FROM card_counter ORDER BY prefix;
SELECT 'pan', bank, next_seq FROM pan_counter ORDER BY bank;
SQL
}

# Output files, with ISO timestamps masked; perso batches are sealed with random nonces and
# the signatures with a random key, so those are checked by verifying them instead.
outputs() {
	(cd "$1" && find out quarantine spool/faces -type f ! -name '*.sig' ! -name '*.pub.pem' \
		! -path 'out/reports/*' ! -name '*.batch' | LC_ALL=C sort | while read -r f; do
		case "$f" in
		*.png | *.pdf | *.jpg) echo "$f $(sha256sum <"$f" | cut -c1-16)" ;;
		*) echo "$f $(sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)/<ts>/g' "$f" |
			sha256sum | cut -c1-16)" ;;
		esac
	done)
}

# 1. the uninterrupted reference run
setup_home "$PWD/ref"
start=$(date +%s%N)
set +e
cardpipe --quiet nightly --no-produce
rc=$?
set -e
[ "$rc" -le 1 ] || fail "the reference run exited $rc"
took_ms=$((($(date +%s%N) - start) / 1000000))
cardpipe --quiet db check >/dev/null || fail "db check on the reference run"
echo "reference run: ${took_ms} ms"

# 2. the same inbox, killed $KILLS times at random moments
setup_home "$PWD/crash"
kills=0 finished=0
RANDOM=42
while [ "$kills" -lt "$KILLS" ]; do
	cardpipe --quiet nightly --no-produce >/dev/null 2>&1 &
	pid=$!
	# about a thirtieth of a run between kills, so that the kills spread over the whole run
	delay=$((20 + RANDOM % (2 * took_ms / KILLS + 1)))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		wait "$pid" 2>/dev/null || true
	else
		# it finished before its kill: then it must have finished well (0, or 1 for rejects)
		finished=$((finished + 1))
		set +e
		wait "$pid"
		rc=$?
		set -e
		[ "$rc" -le 1 ] || fail "a run that was not killed exited $rc"
	fi
	# each kill leaves a consistent registry
	cardpipe --quiet db check >check.out 2>&1 || { cat check.out; fail "db check after kill $kills"; }
done
echo "killed $kills times ($finished runs finished before their kill)"
set +e
cardpipe --quiet nightly --no-produce
rc=$?
set -e
[ "$rc" -le 1 ] || fail "the final rerun exited $rc"
cardpipe --quiet db check >/dev/null || fail "db check after the final rerun"
# and a run with nothing left to do does nothing, successfully
cardpipe --quiet nightly --no-produce || fail "a run with an empty inbox failed"
cardpipe --quiet db verify-audit >/dev/null || fail "audit chain after the crashes"

# 3. the same registry and the same outputs
dump ref >ref.dump
dump crash >crash.dump
diff ref.dump crash.dump >dump.diff || { head -40 dump.diff; fail "registry differs from the uninterrupted run"; }
outputs ref >ref.outputs
outputs crash >crash.outputs
diff ref.outputs crash.outputs >out.diff || { head -40 out.diff; fail "outputs differ from the uninterrupted run"; }
# sealed batches and signatures verify
for b in crash/spool/perso/*/*.batch; do
	[ -f "$b" ] || continue
	CARDPIPE_HOME=$PWD/crash cardpipe --quiet perso verify "$b" >/dev/null || fail "batch $b does not verify"
done
for x in crash/out/reconcile/*/*.xml; do
	[ -f "$x" ] || continue
	CARDPIPE_HOME=$PWD/crash cardpipe --quiet reconcile verify "$x" >/dev/null || fail "$x does not verify"
done
echo "t6000 ok: $(grep -c '^app' ref.dump) applications, $(grep -c '^card' ref.dump) cards, $(wc -l <ref.outputs) output files equal"
