#!/bin/bash
# t0004-install: `make install DESTDIR=... PREFIX=/usr`, then the installed program on a fresh
# home from another folder, without the source tree: init, the calendar, sample data through
# ingest and prepare; the configuration file customises nothing; general.timezone puts the
# run report's times in Beijing time on a UTC machine; every installed manual page renders
# without a warning; bash completion completes commands, verbs, options and keys; the
# logrotate file rotates the log.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
for tool in help2man pandoc man groff logrotate; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done
[ -r /usr/share/bash-completion/bash_completion ] || skip "bash-completion is not installed"
W=$PWD
export MANPAGER=cat

# ---- make install into a staging root, from a copy of the build tree ----
# (a copy: PREFIX=/usr recompiles the data folder into fsutil.o; the tree the other tests
# run from stays as it is)
build=$(dirname "$CARDPIPE_BIN")
mkdir -p "$W/build"
cp -a "$build/obj" "$build/bin" "$build/libcardpipe.a" "$W/build/"
san=()
case $(basename "$build") in
build-asan) san=("SANITIZE=address,undefined") ;;
build-cov) san=(COVERAGE=1) ;;
esac
make -s -C "$CARDPIPE_SRC" "${san[@]}" BUILD="$W/build" PREFIX=/usr DESTDIR="$W/root" install \
	>make.out 2>&1 || {
	cat make.out
	fail "make install"
}
R=$W/root
for f in usr/bin/cardpipe usr/lib/cardpipe/evolis-emu usr/lib/cardpipe/vcard \
	usr/share/cardpipe/calendar.txt usr/share/cardpipe/layout/default.layout \
	usr/share/man/man1/cardpipe.1 usr/share/man/man1/cardpipe-nightly.1 \
	usr/share/man/man5/cardpipe.conf.5 usr/lib/systemd/system/cardpipe-nightly.service \
	usr/lib/systemd/system/cardpipe-nightly.timer usr/lib/systemd/system/cardpipe-line@.service \
	usr/lib/systemd/system/cardpipe-line@.timer etc/logrotate.d/cardpipe \
	usr/share/bash-completion/completions/cardpipe usr/share/doc/cardpipe/README.md \
	usr/share/doc/cardpipe/examples/cardpipe.cron usr/share/doc/cardpipe/formats/README.md \
	usr/share/doc/cardpipe/formats/mail-manifest.xsd \
	usr/share/doc/cardpipe/formats/bank-reconciliation.xsd \
	usr/share/doc/cardpipe/formats/employer-batch.xsd; do
	[ -f "$R/$f" ] || fail "make install did not install /$f"
done
assert_eq "$(stat -c %a "$R/usr/bin/cardpipe")" 755 "installed program mode"
assert_eq "$(stat -c %a "$R/usr/share/cardpipe/calendar.txt")" 644 "installed data mode"
grep -q '^ExecStart=/usr/bin/cardpipe ' "$R/usr/lib/systemd/system/cardpipe-nightly.service" ||
	fail "the unit does not run /usr/bin/cardpipe"
! grep -rl '@[A-Z]*DIR@' "$R" || fail "a placeholder is left in an installed file"
[ ! -e "$R/usr/bin/vcard" ] || fail "the emulated line's programs belong in /usr/lib/cardpipe"

# the units as systemd reads them (ExecStart pointed at the staged program, the staged pages)
if command -v systemd-analyze >/dev/null; then
	mkdir units
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" \
		"$R/usr/lib/systemd/system/cardpipe-nightly.service" >units/cardpipe-nightly.service
	cp "$R/usr/lib/systemd/system/cardpipe-nightly.timer" units/
	# a line host's units, as the instance for line 2
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" \
		"$R/usr/lib/systemd/system/cardpipe-line@.service" >units/cardpipe-line@2.service
	cp "$R/usr/lib/systemd/system/cardpipe-line@.timer" units/cardpipe-line@2.timer
	(cd units && MANPATH="$R/usr/share/man" systemd-analyze verify ./cardpipe-nightly.timer \
		./cardpipe-nightly.service ./cardpipe-line@2.timer ./cardpipe-line@2.service) \
		>units.out 2>&1 || fail "systemd-analyze verify: $(cat units.out)"
fi

# ---- the installed program, from another folder, without the source tree ----
mkdir elsewhere
run() { (cd "$W/elsewhere" && env -u CARDPIPE_SRC -u CARDPIPE_DATA -u CARDPIPE_BIN \
	PATH="$R/usr/bin:/usr/bin:/bin" CARDPIPE_HOME="$W/home" TZ=UTC "$@"); }
run cardpipe init 2>init.err || fail "installed init: $(cat init.err)"
run cardpipe config --show >show.out
assert_not_contains show.out "; from file" # (lib.sh sets some keys in the environment)
grep -q '^;timezone = Asia/Shanghai$' "$W/home/cardpipe.conf" || fail "init: timezone not commented out at its default"
sed -i 's/^;reject_threshold = 0.05$/reject_threshold = 0.5/' "$W/home/cardpipe.conf"
run cardpipe config --show >show.out
assert_eq "$(grep -c '; from file' show.out)" 1 "customised keys after uncommenting one"
grep -A1 '; from file' show.out | grep -q '^reject_threshold = 0.5$' || fail "the customised key is not marked"

run cardpipe chip profiles >chip.out 2>chip.err || fail "chip profiles: $(cat chip.err)"
assert_contains chip.out "cpvc-s03"
run cardpipe calendar is-working-day 2026-10-01 >cal.out 2>cal.err || fail "calendar: $(cat cal.err)"
assert_eq "$(cat cal.out)" "no (国庆节)" "installed calendar"
CARDPIPE_NOW=2026-11-26T10:00:00+08:00 run cardpipe sample --count 40 --seed 4 --out "$W/smp" \
	>/dev/null
rm "$W/smp/expected.tsv"
mv "$W"/smp/* "$W/home/inbox/"
CARDPIPE_NOW=2026-11-26T21:00:00+08:00 run cardpipe ingest 2>ingest.err || fail "ingest: $(cat ingest.err)"
CARDPIPE_NOW=2026-11-26T21:00:00+08:00 run cardpipe prepare 2>prepare.err ||
	[ $? -eq 1 ] || fail "prepare: $(cat prepare.err)"
run cardpipe db check >/dev/null 2>check.err || fail "db check: $(cat check.err)"

# a copy of the program alone has no data beside it: it names the compiled-in folder
mkdir -p lonely/bin
cp "$R/usr/bin/cardpipe" lonely/bin/
(cd elsewhere && env -u CARDPIPE_DATA CARDPIPE_HOME="$W/home" ../lonely/bin/cardpipe calendar \
	is-working-day 2026-10-01 >/dev/null 2>lonely.err) && fail "a lone copy found a calendar"
assert_contains elsewhere/lonely.err "'/usr/share/cardpipe/calendar.txt'"
# ... and CARDPIPE_DATA comes first
(cd elsewhere && CARDPIPE_DATA="$R/usr/share/cardpipe" CARDPIPE_HOME="$W/home" \
	../lonely/bin/cardpipe calendar is-working-day 2026-10-08) | grep -q '^yes' ||
	fail "CARDPIPE_DATA not used"

# ---- general.timezone: report times in Beijing time on a UTC machine; a bad zone ----
run cardpipe reconcile report --date 2026-11-26 >/dev/null 2>rep.err || fail "report: $(cat rep.err)"
rep="$W/home/out/reports/run-day-2026-11-26.html"
assert_contains "$rep" "<th>started</th><td>2026-11-26 00:00:00 +08:00</td>"
assert_contains "$rep" "<th>ended</th><td>2026-11-26 23:59:59 +08:00"
run cardpipe --set general.timezone=Europe/Berlin reconcile report --date 2026-07-01 --id berlin \
	>/dev/null
assert_contains "$W/home/out/reports/run-berlin.html" "<td>2026-07-01 00:00:00 +02:00</td>"
for bad in Mars/Olympus_Mons ../../etc/passwd zone.tab; do
	set +e
	run cardpipe --set "general.timezone=$bad" config --show >/dev/null 2>tz.err
	rc=$?
	set -e
	assert_eq "$rc" 2 "general.timezone=$bad"
	assert_contains tz.err "general.timezone"
done

# ---- manual pages: one per command, cardpipe(1), cardpipe.conf(5); no warning ----
n=0
for page in "$R"/usr/share/man/man1/*.1 "$R"/usr/share/man/man5/*.5; do
	MANWIDTH=80 man --warnings -l "$page" >page.txt 2>page.err
	[ ! -s page.err ] || fail "man -l $page: $(cat page.err)"
	groff -ww -z -k -man -Tutf8 "$page" 2>page.err
	[ ! -s page.err ] || fail "groff -ww $page: $(cat page.err)"
	grep -q '^NAME' page.txt || fail "$page has no NAME"
	n=$((n + 1))
done
assert_eq "$n" $(($(run cardpipe --commands | wc -l) + 2)) "manual pages installed"
# the pages say what --help says
man -l "$R/usr/share/man/man1/cardpipe-init.1" >init.txt
assert_contains init.txt "Safe to run again"
MANWIDTH=200 man -l "$R/usr/share/man/man5/cardpipe.conf.5" >conf.txt
assert_contains conf.txt "from the system time zone database"
assert_contains conf.txt "reject_threshold (number, default 0.05)"
MANPATH="$R/usr/share/man" man 5 cardpipe.conf | grep -q CARDPIPE.CONF ||
	fail "man 5 cardpipe.conf does not find the installed page"

# ---- bash completion, loaded the way bash-completion loads it (from XDG_DATA_DIRS) ----
cat >complete.bash <<EOF
source /usr/share/bash-completion/bash_completion
complete -p cardpipe >/dev/null 2>&1 && echo "loaded too early"
__load_completion cardpipe
complete -p cardpipe
c() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _cardpipe
	echo "\$*: \${COMPREPLY[*]}"; }
c cardpipe in
c cardpipe --quiet c
c cardpipe db ""
c cardpipe config --
c cardpipe --set general.ti
c cardpipe --log-format ""
EOF
(cd elsewhere && env -u CARDPIPE_SRC PATH="$R/usr/bin:/usr/bin:/bin" CARDPIPE_HOME="$W/home" \
	HOME="$W" XDG_DATA_DIRS="$R/usr/share:/usr/share" bash --norc -ic "source $W/complete.bash" >"$W/complete.out" 2>"$W/complete.err") ||
	fail "bash completion: $(cat complete.err)"
cat complete.out
assert_not_contains complete.out "loaded too early"
assert_contains complete.out "^complete .*-F _cardpipe cardpipe$"
assert_contains complete.out "^cardpipe in: init ingest instant$"
# every command that starts with c, and nothing else
assert_eq "$(sed -n 's/^cardpipe --quiet c: //p' complete.out | tr ' ' '\n' | sort | tr '\n' ' ')" \
	"$(run cardpipe --commands | grep '^c' | sort | tr '\n' ' ')" "cardpipe --quiet c<TAB>"
assert_contains complete.out "^cardpipe db : check migrate reseal verify-audit$"
grep '^cardpipe config --:' complete.out | grep -q -- "--show" || fail "config -- does not offer --show"
grep '^cardpipe config --:' complete.out | grep -q -- "--markdown" || fail "config -- does not offer --markdown"
[ "$(grep '^cardpipe config --:' complete.out | grep -o -- '--help' | wc -l)" = 1 ] || fail "--help offered twice"
assert_contains complete.out "^cardpipe --set general.ti: general.timezone=$"
assert_contains complete.out "^cardpipe --log-format : text json$"

# ---- logrotate: the installed file rotates the log; the next run starts a new one ----
[ -s "$W/home/log/cardpipe.log" ] || fail "no log written"
sed -e "s|/var/lib/cardpipe/log|$W/home/log|" -e "s/cardpipe cardpipe/$(id -un) $(id -gn)/" \
	"$R/etc/logrotate.d/cardpipe" >logrotate.conf
logrotate -f -s logrotate.state logrotate.conf 2>lr.err || fail "logrotate: $(cat lr.err)"
compgen -G "$W/home/log/cardpipe.log-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]" >/dev/null ||
	fail "the log was not rotated: $(ls "$W/home/log")"
run cardpipe ingest >/dev/null 2>&1
grep -q '"component":"ingest"' "$W/home/log/cardpipe.log" || fail "no new log after rotation"
echo "install: $n manual pages, completion and logrotate ok"
