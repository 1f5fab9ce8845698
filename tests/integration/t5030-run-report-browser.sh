#!/bin/bash
# t5030: the run report is one self-contained HTML page that headless Chromium renders from
# a file, without a server, without console errors or failed loads; a screenshot is taken.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || skip "chromium not installed"
dispatch_fixture_home 10
# a reject with a known reason, an application produced after its due date (red figures)
sqlite3 "$CARDPIPE_HOME/registry.db" "UPDATE application SET reason_code = 'id-check-digit' WHERE state = 'rejected';
	UPDATE application SET due_date = '2026-11-20' WHERE id = 2"
cardpipe dispatch >/dev/null
cardpipe reconcile report --date 2026-11-26 --id t5030 >r.txt
html="$CARDPIPE_HOME/out/reports/run-t5030.html"
[ -f "$html" ] || fail "no run report"
assert_eq "$(stat -c %a "$html")" 600 "report mode"
assert_not_contains "$html" "<script"
assert_not_contains "$html" "src="
assert_contains "$html" "Spoiled cards by reason"

opts=(--headless --no-sandbox --disable-gpu --disable-background-networking
	--disable-component-update --disable-sync --no-first-run
	--user-data-dir="$PWD/chrome-profile" --enable-logging=stderr --v=0)
timeout 120 "$chrome" "${opts[@]}" --window-size=1100,2000 --screenshot="$PWD/report.png" \
	"file://$html" >chrome.out 2>chrome.err || fail "chromium failed: $(tail -5 chrome.err)"
[ -s report.png ] || fail "no screenshot"
[ "$(stat -c %s report.png)" -gt 20000 ] || fail "screenshot too small to show the report"
if grep -E 'CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load|net::ERR' chrome.err; then
	fail "chromium reported errors rendering the report"
fi
# the DOM as Chromium built it holds the charts
timeout 120 "$chrome" "${opts[@]}" --dump-dom "file://$html" >dom.html 2>/dev/null || fail "dump-dom"
[ "$(grep -o '<svg' dom.html | wc -l)" -ge 6 ] || fail "charts missing from the DOM"
grep -q '北京市社会保障卡制卡中心' dom.html || fail "title text missing"
# reject reasons in Chinese with the code; every red figure explained, masked IDs only
grep -q '证件号码校验位错误（id-check-digit）' dom.html || fail "reject reason in Chinese with its code missing"
grep -q 'Red <b>breached</b>' dom.html || fail "breached not explained"
grep -q '<li>application 2, ' dom.html || fail "the breached application is not named"
if grep -qE '11010119900[0-9]{7}' dom.html; then fail "full ID number in the report"; fi
echo ok
