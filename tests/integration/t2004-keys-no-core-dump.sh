# t2004: every command that opens the key store runs without core dumps. A probe preloaded
# into `cardpipe reconcile` and `cardpipe perso verify` reads, as the process ends, whether
# it may still dump core (PR_GET_DUMPABLE, RLIMIT_CORE) and then crashes it with SIGSEGV:
# no core file may appear, while the same crash of a command that holds no key does write
# one (so the check can see a core at all).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v cc >/dev/null || skip "no C compiler for the probe"
command -v sqlite3 >/dev/null || skip "sqlite3 command-line tool not installed"
ldd "$CARDPIPE_BIN/cardpipe" | grep -q libasan && skip "a preloaded probe and ASan do not mix"
fixture_tool="$CARDPIPE_BIN/../tests/test_dispatch"
[ -x "$fixture_tool" ] || skip "fixture tool not built"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00

cat >probe.c <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

__attribute__((destructor)) static void
probe(void)
{
	const char *out = getenv("PROBE_OUT");
	struct rlimit rl = {0, 0};
	FILE *f;

	if (!out)
		return;
	getrlimit(RLIMIT_CORE, &rl);
	if ((f = fopen(out, "w")) != NULL) {
		fprintf(f, "dumpable=%d core=%llu\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
			(unsigned long long)rl.rlim_cur);
		fclose(f);
	}
	if (getenv("PROBE_SEGV"))
		raise(SIGSEGV);
}
C
cc -shared -fPIC -o probe.so probe.c || skip "cannot build the probe"

# one home with produced cards to reconcile, one with a perso batch to verify
home=$CARDPIPE_HOME
export CARDPIPE_HOME=$home-reconcile
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
"$fixture_tool" --fixture "$CARDPIPE_HOME/registry.db" 6 2026-11-26 0 ICBC,CCB >/dev/null
cardpipe --quiet dispatch >/dev/null
export CARDPIPE_HOME=$home
cardpipe --quiet init
cardpipe --quiet keys ceremony --test >/dev/null
db="$CARDPIPE_HOME/registry.db"
cardpipe sample --count 4 --seed 3 --bad-share 0 --out gen >/dev/null 2>&1
rm gen/expected.tsv
cp -r gen/. "$CARDPIPE_HOME/inbox/"
cardpipe --quiet ingest
cardpipe --quiet prepare >/dev/null
cardpipe --quiet perso
batch=$(sqlite3 "$db" "SELECT path FROM perso_batch ORDER BY id LIMIT 1")
[ -n "$batch" ] || fail "perso wrote no batch"

# probed NAME CMD...: run cmd with the probe, in a folder of its own, core dumps allowed
probed() {
	local name=$1
	shift
	mkdir -p "cores/$name"
	(
		cd "cores/$name"
		ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -Hc)"
		PROBE_OUT=$PWD/probe.txt PROBE_SEGV=${SEGV:-} LD_PRELOAD=$OLDPWD/probe.so "$@" \
			>out.txt 2>err.txt
	) || true
}
# run NAME ARGS...: cardpipe in the home that has what the command needs
run() {
	local name=$1
	shift
	if [ "$1" = reconcile ]; then
		CARDPIPE_HOME=$home-reconcile probed "$name" cardpipe "$@"
	else
		probed "$name" cardpipe "$@"
	fi
}
for cmd in "reconcile --date 2026-11-26" "perso verify $batch"; do
	name=${cmd%% *}
	# shellcheck disable=SC2086
	run "$name" $cmd
	[ -f "cores/$name/probe.txt" ] || fail "$name: the probe did not run"
	assert_eq "$(cat "cores/$name/probe.txt")" "dumpable=0 core=0" "$name: core dumps off"
done

# the crash itself: a command without keys dumps core (else this system writes none here)
SEGV=1 probed control cardpipe calendar is-working-day 2026-11-26
if ls cores/control | grep -q '^core'; then
	for cmd in "reconcile --date 2026-11-26" "perso verify $batch"; do
		name=${cmd%% *}-segv
		# shellcheck disable=SC2086
		SEGV=1 run "$name" $cmd
		[ -f "cores/$name/probe.txt" ] || fail "$name: the probe did not run"
		! ls "cores/$name" | grep -q '^core' || fail "$name: a core file was written"
	done
	echo "t2004 ok: no core from reconcile or perso verify under SIGSEGV"
else
	echo "t2004 ok: core dumps off (this system writes no core files to check the crash)"
fi
