# t6021: after a kill, the rerun of a stage removes the partial NAME.tmp.PID files its killed
# writer left in the stage's folders (out/reconcile, out/dispatch, spool/perso,
# spool/faces, out/proof, quarantine, archive), whether the rerun is `nightly` or the stage
# command alone, and leaves a live writer's file alone. The leftovers are those a SIGKILL
# leaves: a writer's temporary file next to where it renames it, named with its dead pid.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
fixture_tool="$CARDPIPE_BIN/../tests/test_dispatch"
[ -x "$fixture_tool" ] || skip "fixture tool not built"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
H=$CARDPIPE_HOME
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
"$fixture_tool" --fixture "$H/registry.db" 8 2026-11-26 0 ICBC,CCB >/dev/null
cardpipe --quiet dispatch >/dev/null
cardpipe --quiet reconcile --date 2026-11-26 >/dev/null

sh -c 'exit 0' &
dead=$!
wait $dead
sleep 60 &
live=$!
trap 'kill $live 2>/dev/null || true' EXIT

# plant STAGE-FOLDER...: a dead writer's and a live writer's partial file in each folder
plant() {
	for d in "$@"; do
		mkdir -p "$d"
		echo partial >"$d/part.xml.tmp.$dead"
		echo writing >"$d/busy.xml.tmp.$live"
	done
}
# check STAGE FOLDER...: after the stage ran, the dead writer's files are gone
check() {
	local stage=$1
	shift
	for d in "$@"; do
		[ ! -e "$d/part.xml.tmp.$dead" ] || fail "$stage left '$d/part.xml.tmp.$dead'"
		[ -e "$d/busy.xml.tmp.$live" ] || fail "$stage removed a live writer's file in '$d'"
		rm "$d/busy.xml.tmp.$live"
	done
}
day=$(ls "$H/out/dispatch" | head -1)
[ -n "$day" ] || fail "dispatch wrote nothing"

plant "$H/out/reconcile/2026-11-26"
cardpipe --quiet reconcile --date 2026-11-26 >/dev/null
check reconcile "$H/out/reconcile/2026-11-26"

plant "$H/out/dispatch/$day"
cardpipe --quiet dispatch >/dev/null
check dispatch "$H/out/dispatch/$day"

plant "$H/spool/perso/line-1"
cardpipe --quiet perso
check perso "$H/spool/perso/line-1"

plant "$H/spool/faces/B00000000X" "$H/out/proof"
cardpipe --quiet render
check render "$H/spool/faces/B00000000X" "$H/out/proof"

plant "$H/quarantine" "$H/archive"
cardpipe --quiet ingest
check ingest "$H/quarantine" "$H/archive"

# and the nightly run, over every stage's folders at once
plant "$H/out/reconcile/2026-11-26" "$H/out/dispatch/$day" "$H/spool/perso/line-1" "$H/out/proof"
cardpipe --quiet nightly --no-produce || [ $? -le 1 ] || fail "nightly failed"
check nightly "$H/out/reconcile/2026-11-26" "$H/out/dispatch/$day" "$H/spool/perso/line-1" "$H/out/proof"
echo "t6021 ok"
