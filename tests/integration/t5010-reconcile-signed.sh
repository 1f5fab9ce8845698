#!/bin/bash
# t5010: bank reconciliation: reports valid against formats/bank-reconciliation.xsd, totals
# equal to the registry's, signatures that the openssl command line verifies (SM2/SM3,
# ECDSA P-256, RSA-PSS), a changed report failing both openssl and `cardpipe reconcile
# verify`, transport refunds due in 2 natural days (manual item 46). The SM2 key is the
# key store's report.sign; ECDSA and RSA-PSS keys are PEM files.
source "$CARDPIPE_SRC/tests/integration/lib.sh"
dispatch_fixture_home 15 2026-11-26 0 ICBC,CCB,BOB
cardpipe dispatch >/dev/null
q() { sqlite3 "$db" "$1"; }

expect_exit 2 cardpipe reconcile    # no key store yet: a configuration error
expect_exit 2 cardpipe reconcile keygen   # the key store makes its own keys
# the default signing key is the key store's SM2 key pair report.sign
cardpipe keys ceremony --test >/dev/null 2>&1
cardpipe reconcile --date 2026-11-26 >run.txt
dir="$CARDPIPE_HOME/out/reconcile/2026-11-26"
pub="$dir/signing-key.pub.pem"

prod=0 ord=0 spo=0 dis=0 pans=0
for x in "$dir"/*-2026-11-26.xml; do
	xmllint --noout --schema "$CARDPIPE_SRC/formats/bank-reconciliation.xsd" "$x" 2>/dev/null \
		|| fail "$x does not validate"
	# the GM/T 0009 default SM2 ID, as docs/dispatch.md tells a bank to verify
	openssl dgst -sm3 -verify "$pub" -sigopt distid:1234567812345678 -signature "$x.sig" "$x" \
		>/dev/null || fail "openssl: $x"
	c=${x%.xml}.csv
	openssl dgst -sm3 -verify "$pub" -sigopt distid:1234567812345678 -signature "$c.sig" "$c" \
		>/dev/null || fail "openssl: $c"
	ord=$((ord + $(xmllint --xpath 'string(//*[local-name()="Counts"]/@ordered)' "$x")))
	prod=$((prod + $(xmllint --xpath 'string(//*[local-name()="Counts"]/@produced)' "$x")))
	spo=$((spo + $(xmllint --xpath 'string(//*[local-name()="Counts"]/@spoiled)' "$x")))
	dis=$((dis + $(xmllint --xpath 'string(//*[local-name()="Counts"]/@dispatched)' "$x")))
	pans=$((pans + $(xmllint --xpath 'count(//*[local-name()="Card"])' "$x")))
done
assert_eq "$ord" "$(q "SELECT count(*) FROM card")" "ordered total"
assert_eq "$prod" "$(q "SELECT count(*) FROM production_attempt WHERE state = 'produced'")" "produced total"
assert_eq "$spo" "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" "spoiled total"
assert_eq "$dis" "$(q "SELECT count(*) FROM dispatch_item")" "dispatched total"
assert_eq "$pans" "$prod" "PAN list"
assert_eq "$(xmllint --xpath 'string(//*[local-name()="Counts"]/@produced)' "$dir/BOB-2026-11-26.xml")" \
	"$(q "SELECT count(*) FROM card WHERE bank = 'BOB'")" "BOB produced"
assert_eq "$(xmllint --xpath 'string(//*[local-name()="Counts"]/@produced)' "$dir/CMB-2026-11-26.xml")" 0 "a bank without cards gets an empty report"

# not signed with OpenSSL 3's empty default ID, which banks' SM2 tools reject
if openssl dgst -sm3 -verify "$pub" -signature "$dir/ICBC-2026-11-26.xml.sig" "$dir/ICBC-2026-11-26.xml" >/dev/null 2>&1; then
	fail "SM2 signature made with an empty ID"
fi
# the command in docs/dispatch.md is the one that works
grep -q -- "openssl dgst -sm3 -verify signing-key.pub.pem -sigopt distid:1234567812345678 -signature ICBC-2026-11-26.xml.sig ICBC-2026-11-26.xml" \
	"$CARDPIPE_SRC/docs/dispatch.md" || fail "docs/dispatch.md lacks the SM2 verify command"
(cd "$dir" && openssl dgst -sm3 -verify signing-key.pub.pem -sigopt distid:1234567812345678 -signature ICBC-2026-11-26.xml.sig ICBC-2026-11-26.xml >/dev/null) \
	|| fail "the documented command fails"
# a bank with its own SM2 ID (reconcile.sm2_id_banks)
cardpipe --set reconcile.sm2_id_banks=BOB:BOB0000000000001 reconcile --date 2026-11-26 >/dev/null
openssl dgst -sm3 -verify "$pub" -sigopt distid:BOB0000000000001 -signature "$dir/BOB-2026-11-26.csv.sig" "$dir/BOB-2026-11-26.csv" >/dev/null || fail "BOB's own ID"
cardpipe --set reconcile.sm2_id_banks=BOB:BOB0000000000001 reconcile verify "$dir/BOB-2026-11-26.csv" >vb.txt
assert_contains vb.txt "ok  signature (sm2, ID BOB0000000000001)"
expect_exit 3 cardpipe reconcile verify "$dir/BOB-2026-11-26.csv"   # verifier without BOB's ID
cardpipe reconcile --date 2026-11-26 >/dev/null

# cardpipe verify: signature and recount
cardpipe reconcile verify "$dir/ICBC-2026-11-26.xml" >v1.txt
assert_contains v1.txt "ok  counts reconcile"
cardpipe reconcile verify "$dir/CCB-2026-11-26.csv" --pubkey "$pub" >v2.txt
# a changed report fails both
cp "$dir/ICBC-2026-11-26.xml" changed.xml
cp "$dir/ICBC-2026-11-26.xml.sig" changed.xml.sig
sed -i 's/produced="\([0-9]*\)"/produced="9\1"/' changed.xml
if openssl dgst -sm3 -verify "$pub" -sigopt distid:1234567812345678 -signature changed.xml.sig changed.xml >/dev/null 2>&1; then
	fail "openssl verified a changed report"
fi
expect_exit 3 cardpipe reconcile verify changed.xml
# the registry moves on after the report (a card is returned today): the recount shows it
card=$(q "SELECT c.card_no FROM card c JOIN dispatch_item d ON d.card_id = c.id WHERE c.bank = 'ICBC' AND d.method = 'employer' LIMIT 1")
cardpipe dispatch return "$card" --reason test >/dev/null 2>&1
set +e; cardpipe reconcile verify "$dir/ICBC-2026-11-26.xml" >v3.txt 2>&1; rc=$?; set -e
assert_eq "$rc" 3 "stale report"
assert_contains v3.txt "MISMATCH returned: report says 0, registry has 1"

# refunds: damaged-card replacements (persons 4, 9, 14), due 2 natural days later
r="$dir/refunds-2026-11-26.csv"
assert_eq "$(tail -n +2 "$r" | wc -l)" 3 "refunds"
assert_eq "$(tail -n +2 "$r" | tr -d '\r' | awk -F, '$7 == 1234 && $9 == "2026-11-26" && $10 == "2026-11-28"' | wc -l)" 3 "refund amounts and due dates"
assert_contains "$dir/sla-2026-11-26.csv" "2026-11-26,new,"

# the other algorithms, as the openssl command line checks them
for alg in ecdsa-p256 rsa-pss; do
	key="$CARDPIPE_HOME/keys/$alg.pem"
	cardpipe --set reconcile.signature=$alg --set reconcile.signing_key="$key" reconcile keygen >/dev/null
	assert_eq "$(stat -c %a "$key")" 600 "key mode"
	expect_exit 3 cardpipe --set reconcile.signing_key="$key" reconcile keygen   # never overwrites
	cardpipe --set reconcile.signature=$alg --set reconcile.signing_key="$key" reconcile --date 2026-11-26 >/dev/null
	x="$dir/BOB-2026-11-26.xml"
	if [ $alg = rsa-pss ]; then
		openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
			-verify "$pub" -signature "$x.sig" "$x" >/dev/null || fail "openssl $alg"
	else
		openssl dgst -sha256 -verify "$pub" -signature "$x.sig" "$x" >/dev/null || fail "openssl $alg"
	fi
	cardpipe --set reconcile.signature=$alg --set reconcile.signing_key="$key" reconcile verify "$x" >/dev/null
	# the wrong algorithm for the key is a configuration error
	expect_exit 2 cardpipe --set reconcile.signature=sm2 --set reconcile.signing_key="$key" reconcile verify "$x"
done
echo ok
