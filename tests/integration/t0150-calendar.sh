#!/bin/bash
# t0150-calendar: `cardpipe calendar` against the shipped 2025/2026 calendar (the State Council notices):
# every 2026 holiday and make-up day, the issue-7 example, counts per year, unknown years,
# bad usage, and a calendar file given by --calendar and by paths.calendar.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
cardpipe init

iwd() { cardpipe calendar is-working-day "$1"; }

# every 2026 holiday day: "no (<name>)"
while read -r from to name; do
	d=$from
	while :; do
		assert_eq "$(iwd "$d")" "no ($name)" "is-working-day $d"
		[ "$d" = "$to" ] && break
		d=$(date -d "$d + 1 day" +%F)
	done
done <<'HOLIDAYS'
2026-01-01 2026-01-03 元旦
2026-02-15 2026-02-23 春节
2026-04-04 2026-04-06 清明节
2026-05-01 2026-05-05 劳动节
2026-06-19 2026-06-21 端午节
2026-09-25 2026-09-27 中秋节
2026-10-01 2026-10-07 国庆节
HOLIDAYS

# every 2026 make-up working day
for pair in 2026-01-04:元旦 2026-02-14:春节 2026-02-28:春节 2026-05-09:劳动节 \
	2026-09-20:国庆节 2026-10-10:国庆节; do
	assert_eq "$(iwd "${pair%%:*}")" "yes (make-up working day for ${pair#*:})" "make-up ${pair%%:*}"
done
assert_eq "$(iwd 2026-10-11)" "no (weekend)" "plain Sunday"
assert_eq "$(iwd 2026-10-12)" "yes" "plain Monday"

# issue 7: 4 working days from 2026-09-30 is 2026-10-12
assert_eq "$(cardpipe calendar add-working-days 2026-09-30 4)" "2026-10-12" "add 4"
assert_eq "$(cardpipe calendar add-working-days 2026-10-12 -4)" "2026-09-30" "add -4"
assert_eq "$(cardpipe calendar add-working-days 2026-02-12 3)" "2026-02-24" "over Spring Festival"

# 248 working days in 2025 and in 2026 (one whole year of add-working-days)
assert_eq "$(cardpipe calendar add-working-days 2024-12-31 248)" "2025-12-31" "2025 count"
assert_eq "$(cardpipe calendar add-working-days 2025-12-31 248)" "2026-12-31" "2026 count"

# a year the file does not cover: exit 3, never a guess
expect_exit 3 cardpipe calendar is-working-day 2027-01-04
expect_exit 3 cardpipe calendar is-working-day 2024-06-03
expect_exit 3 cardpipe calendar add-working-days 2026-12-30 3
cardpipe calendar is-working-day 2027-01-04 2>err.txt || true
assert_contains err.txt "2027"

# bad usage: exit 2
expect_exit 2 cardpipe calendar
expect_exit 2 cardpipe calendar is-working-day
expect_exit 2 cardpipe calendar is-working-day 2026-02-30
expect_exit 2 cardpipe calendar is-working-day 26-01-01
expect_exit 2 cardpipe calendar add-working-days 2026-01-05 four
expect_exit 2 cardpipe calendar add-working-days 2026-01-05
expect_exit 2 cardpipe calendar leap-year 2026-01-05
expect_exit 0 cardpipe calendar --help
cardpipe calendar --help >help.txt
assert_contains help.txt "add-working-days"
assert_contains help.txt "--calendar"

# another calendar: by option, and by paths.calendar
cat >cal.txt <<'CAL'
year 2030 test notice
holiday 2030-01-01 2030-01-01 元旦
workday 2030-01-05 元旦
CAL
assert_eq "$(cardpipe calendar --calendar cal.txt is-working-day 2030-01-01)" "no (元旦)" "--calendar"
assert_eq "$(cardpipe --set paths.calendar="$PWD/cal.txt" calendar is-working-day 2030-01-05)" \
	"yes (make-up working day for 元旦)" "paths.calendar"
expect_exit 3 cardpipe calendar --calendar cal.txt is-working-day 2026-01-05
printf 'year 2030 x\nworkday 2030-01-07 x\n' >bad.txt
expect_exit 3 cardpipe calendar --calendar bad.txt is-working-day 2030-01-07
expect_exit 3 cardpipe calendar --calendar missing.txt is-working-day 2030-01-07
echo "t0150 ok"
