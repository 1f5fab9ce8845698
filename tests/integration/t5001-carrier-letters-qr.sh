#!/bin/bash
# t5001: the carrier letters: one A4 page per card in the batch, the 96066 hotline on every
# letter, activation instructions on mailed and employer letters, and a QR code that a
# reader (zbarimg) decodes to exactly that card's activation reference, which is no
# personal data. Text laid out by Pango: addresses whole (never broken inside a number),
# banks and districts by their Chinese names, no internal data-element codes.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v zbarimg >/dev/null || skip "zbarimg not installed"
command -v pdftoppm >/dev/null || skip "pdftoppm not installed"
dispatch_fixture_home 12
# a name with a character of CJK extension B that only the chain's second font has (U+20001)
sqlite3 "$db" "UPDATE application SET name = '张𠀁' WHERE id = 1"
# addresses whose numbers per-character wrapping split at the 85 mm line ("六单元1" / "104室")
addr2='北京市朝阳区望京街道花家地南街八号院六单元1104室'
addr5='北京市海淀区中关村南大街甲12号院1104号楼2单元110室'
sqlite3 "$db" "UPDATE application SET address = '$addr2' WHERE id = 2;
	UPDATE application SET address = '$addr5' WHERE id = 5;
	UPDATE application SET branch = 'BOC-110105-003', bank = 'BOC' WHERE delivery = 'pickup'"
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
# what pdftotext reads from the rendered letters
pdftotext "$pdf" all.txt
grep -q '^北京市朝阳区望京街道花家地南街八号院六单元$' all.txt && grep -q '^1104室$' all.txt \
	|| { grep -A1 花家地 all.txt; fail "address 2 broken inside a number"; }
grep -q '甲12号院1104号楼2单元110室' all.txt || { grep -A1 中关村 all.txt; fail "address 5 broken inside its numbers"; }
assert_eq "$(tr -d '\n' <all.txt | grep -c "$addr2")" 1 "address 2 whole"
assert_eq "$(tr -d '\n' <all.txt | grep -o "$addr5" | wc -l)" 1 "address 5 whole"
# banks by their Chinese names, one letter per card of the bank
for b in ICBC:中国工商银行 CCB:中国建设银行 BOC:中国银行; do
	assert_eq "$(grep -o "发卡银行 ${b#*:}。" all.txt | wc -l)" \
		"$(sqlite3 "$db" "SELECT count(*) FROM card WHERE bank = '${b%%:*}'")" "letters of ${b%%:*}"
done
assert_not_contains all.txt '发卡银行 [A-Z]'
# pickup letters name the branch's bank and district; financial activation at the bank
assert_eq "$(grep -c '领卡网点：中国银行 朝阳区 网点编号' all.txt)" 3 "pickup branch by name"
grep -q '到中国工商银行网点柜面办理激活' all.txt || fail "activation at the bank by name"
# internal data-element codes are not shown to citizens
assert_not_contains all.txt 'AAZ'
assert_not_contains all.txt 'AAB'
pdffonts "$pdf" | grep -q HanaMinB || fail "the extension-B character was not drawn from HanaMinB"
pdftotext "$pdf" - | grep -q '张𠀁' || fail "the extension-B name is not in the letter"
echo ok
