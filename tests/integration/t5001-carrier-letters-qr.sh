#!/bin/bash
# t5001: the carrier letters: one A4 page per card in the batch, the 96066 hotline on every
# letter, activation instructions on mailed and employer letters, and a QR code that a
# reader (zbarimg) decodes to exactly that card's activation reference, which is no
# personal data.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
fixture_tool="$CARDPIPE_BIN/../tests/test_dispatch"
[ -x "$fixture_tool" ] || skip "fixture tool not built"
command -v zbarimg >/dev/null || skip "zbarimg not installed"
command -v pdftoppm >/dev/null || skip "pdftoppm not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null 2>&1
db="$CARDPIPE_HOME/registry.db"
"$fixture_tool" --fixture "$db" 12
# a name with a character of CJK extension B that only the chain's second font has (U+20001)
sqlite3 "$db" "UPDATE application SET name = '张𠀁' WHERE id = 1"
cardpipe dispatch >/dev/null
pdf="$CARDPIPE_HOME/out/dispatch/20261126-01/letters.pdf"
assert_eq "$(pdfinfo "$pdf" | awk '/^Pages:/ { print $2 }')" 12 "one page per card"
assert_eq "$(pdfinfo "$pdf" | awk '/^Page size:/ { print $3 "x" $5 }')" "595.276x841.89" "A4"

pdftoppm -r 150 -png "$pdf" page
# the registry's references in letter order (the batch's item order)
sqlite3 "$db" "SELECT coalesce(d.activation_ref, '-') FROM dispatch_item d JOIN card c ON c.id = d.card_id JOIN application a ON a.id = c.application_id ORDER BY d.tracking_no IS NULL, coalesce(a.postal_code, ''), coalesce(d.bag, ''), c.card_no" >want.txt
assert_eq "$(wc -l <want.txt)" 12 "items"
: >got.txt
for p in page-*.png; do
	ref=$(zbarimg -q --raw "$p" 2>/dev/null || true)
	echo "${ref:--}" >>got.txt
done
diff want.txt got.txt || fail "QR codes do not decode to the registry's activation references"
assert_eq "$(grep -vc -- '^-$' got.txt)" 9 "mail and employer letters carry a QR code (pickup ones do not)"
grep -v -- '^-$' got.txt | grep -vqE '^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$' && fail "reference format"

# text: the hotline everywhere, activation (manual item 15) where the card is mailed
for i in $(seq 1 12); do
	pdftotext -f "$i" -l "$i" "$pdf" p.txt
	grep -q 96066 p.txt || fail "page $i without the 96066 hotline"
	if [ "$(sed -n "${i}p" want.txt)" != "-" ]; then
		grep -q '启用社会保障功能' p.txt || fail "page $i without activation instructions"
	fi
	if grep -qE '11010119900[0-9]{7}' p.txt; then fail "page $i shows a full ID number"; fi
done
pdffonts "$pdf" | grep -q HanaMinB || fail "the extension-B character was not drawn from HanaMinB"
pdftotext "$pdf" - | grep -q '张𠀁' || fail "the extension-B name is not in the letter"
echo ok
