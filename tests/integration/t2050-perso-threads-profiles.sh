#!/bin/bash
# t2050: perso on a pool of worker threads (ICC keys per card) gives the same batches as on
# one thread: the same names, each holding the same cards, in card order; a bad bank
# profile stops perso before any card with an error naming the file, line, key and reason;
# a profile for a bank that does not cooperate, an ICC key longer than the issuer key, or an
# issuer certificate whose identifier does not begin the bank's BIN is refused; a missing
# IMK stops perso before any card; a card expiring after its bank's issuer certificate is
# held; an SDA bank's cards carry no ICC key, a DDA bank's do (issue #13).
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"
export CARDPIPE_NOW=2026-11-26T20:00:00+08:00
cardpipe init >/dev/null
DB=$CARDPIPE_HOME/registry.db
reg() { sqlite3 "$DB" "$1"; }
cardpipe keys ceremony --test >/dev/null 2>&1
sample_night 40 5 --bad-share 0
n=$(reg "select count(*) from card where state='allocated'")
[ "$n" -gt 15 ] || fail "only $n allocated cards"

# bad profiles: exit 2, the file, line, key and reason, nothing committed
mkdir bad
printf '[application]\nlabel = PBOC\n\n[risk]\ncvm = offline-pin, retina\n' >bad/default.ini
expect_exit 2 cardpipe --set perso.bank_profiles="$PWD/bad" perso 2>err.txt
assert_contains err.txt "default.ini:5: .risk. cvm: 'retina' is not"
rm bad/default.ini
printf '[oda]\nmethod = dda\n' >bad/XYZ.ini
expect_exit 2 cardpipe --set perso.bank_profiles="$PWD/bad" perso 2>err.txt
assert_contains err.txt "bank 'XYZ' is not in banks.cooperating"
rm bad/XYZ.ini
# an ICC key longer than the TEST ONLY issuer keys (1152 bits) cannot be certified by them
printf '[oda]\nicc_key_bits = 1984\n' >bad/default.ini
expect_exit 2 cardpipe --set perso.bank_profiles="$PWD/bad" perso 2>err.txt
assert_contains err.txt "profile: "
assert_contains err.txt "icc_key_bits: the certified key (1984 bits)"
assert_eq "$(reg "select count(*) from card where state='allocated'")" "$n" "nothing committed"
rm bad/default.ini
# banks.bins changed after the issuer certificate was made: its identifier no longer begins
# the bank's PANs, so perso refuses naming the bank, the identifier and the BIN
bank=$(reg "select bank from card where state='allocated' order by id limit 1")
bins=$(cardpipe config --show | sed -n 's/^bins = //p')
old_bin=$(tr ',' '\n' <<<"$bins" | sed -n "s/^$bank://p")
[ -n "$old_bin" ] || fail "no BIN for $bank in '$bins'"
expect_exit 2 cardpipe --set banks.bins="${bins/$bank:$old_bin/$bank:99990000}" perso 2>err.txt
assert_contains err.txt "bank $bank's issuer certificate does not match its BIN 99990000"
assert_contains err.txt "issuer identifier $old_bin is not a prefix of 99990000"
assert_eq "$(reg "select count(*) from card where state='allocated'")" "$n" "nothing committed"
# the PBOC session key derivation is 3DES only: refused for a bank with SM4 IMKs
for k in ac smi smc; do cardpipe keys import "sm4.$k" --alg SM4 --generate >/dev/null 2>&1; done
printf '[keys]\nimk_ac = sm4.ac\nimk_smi = sm4.smi\nimk_smc = sm4.smc\nsession_key = pboc\n' >"bad/$bank.ini"
expect_exit 2 cardpipe --set perso.bank_profiles="$PWD/bad" perso 2>err.txt
assert_contains err.txt "bank $bank's profile: .keys. session_key = pboc needs 3DES issuer master keys; 'sm4.ac' is SM4"
rm "bad/$bank.ini"

# a missing IMK of the bank of the last card stops perso before the first card (exit 2)
lastbank=$(reg "select bank from card where state='allocated' order by id desc limit 1")
printf '[keys]\nimk_smc = bank.%s.no-such-key\n' "$lastbank" >"bad/$lastbank.ini"
expect_exit 2 cardpipe --set perso.bank_profiles="$PWD/bad" --set perso.batch_cards=1 perso 2>err.txt
assert_contains err.txt "bank $lastbank's issuer master key 'bank.$lastbank.no-such-key'"
assert_eq "$(reg "select count(*) from card where state='allocated'")" "$n" "no card made before the key check"
rm "bad/$lastbank.ini"

# a card expiring after its bank's issuer certificate (TEST ONLY: 12/2036) is held with a
# warning naming the bank and both dates; the other cards are made
# (a key store made in 2025: certificates to 12/2035; the cards, made in 2026, expire 2036)
(
	export CARDPIPE_HOME=$PWD/home2
	cardpipe init >/dev/null 2>&1
	CARDPIPE_NOW=2025-11-26T20:00:00+08:00 cardpipe keys ceremony --test >/dev/null 2>&1
	cardpipe sample --out gen2 --count 6 --seed 7 --bad-share 0 >/dev/null
	find gen2 -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
	cardpipe ingest >/dev/null 2>&1
	cardpipe prepare >/dev/null 2>&1 || true
	cardpipe perso 2>late.err
)
late=$(sqlite3 home2/registry.db "select card_no || '|' || bank || '|' || expiry_date from card where state='held' order by id limit 1")
IFS='|' read -r late_no late_bank late_exp <<<"$late"
[ -n "$late_no" ] || fail "no card held for its issuer certificate"
assert_contains late.err "card $late_no held: issuer-cert-expires: bank $late_bank's issuer certificate expires 12/2035, before the card (expiry $late_exp)"
assert_eq "$(sqlite3 home2/registry.db "select count(*) from card where state='perso_ready'")" "0" "no card made"
assert_eq "$(sqlite3 home2/registry.db "select count(*) from card where state='held' and held_reason like 'issuer-cert-expires: %'")" \
	"$(sqlite3 home2/registry.db "select count(*) from card where state='held'")" "held with the reason code"
rm -rf home2

# one bank SDA, the others DDA (the default)
mkdir prof
printf '[oda]\nmethod = sda\n' >"prof/$bank.ini"
cp -a "$CARDPIPE_HOME" home1
cardpipe --set perso.bank_profiles="$PWD/prof" --set perso.threads=3 \
	--set perso.batch_cards=7 perso 2>perso.err
assert_eq "$(reg "select count(*) from card where state='perso_ready'")" "$n" "all perso_ready"
CARDPIPE_HOME=$PWD/home1 cardpipe --set perso.bank_profiles="$PWD/prof" \
	--set perso.threads=1 --set perso.batch_cards=7 perso 2>perso1.err
q="select b.name || ':' || group_concat(c.card_id) from perso_batch b
   join (select * from card_perso order by card_id) c on c.batch_id = b.id group by b.id order by b.name"
assert_eq "$(reg "$q")" "$(sqlite3 home1/registry.db "$q")" "same batches on 3 threads and on 1"
# each batch holds a run of consecutive cards, named after its first and last
reg "select b.name, min(c.card_id), max(c.card_id), count(*), b.cards from perso_batch b
     join card_perso c on c.batch_id = b.id group by b.id" | while IFS='|' read -r name lo hi cnt cards; do
	assert_eq "$name" "$(printf 'L1-%09d-%09d' "$lo" "$hi")" "batch name"
	assert_eq "$cnt" "$cards" "batch count"
done
cardpipe db check >/dev/null
# the SDA bank's card has no ICC key DGIs, a DDA bank's has them
B=$(reg "select path from perso_batch order by id limit 1")
sda_card=$(reg "select card_no from card where bank='$bank' order by id limit 1")
dda_card=$(reg "select card_no from card where bank<>'$bank' order by id limit 1")
sda_b=$(reg "select b.path from card c join card_perso p on p.card_id=c.id join perso_batch b on b.id=p.batch_id where c.card_no='$sda_card'")
dda_b=$(reg "select b.path from card c join card_perso p on p.card_id=c.id join perso_batch b on b.id=p.batch_id where c.card_no='$dda_card'")
cardpipe perso show "$sda_b" "$sda_card" >sda.script
cardpipe perso show "$dda_b" "$dda_card" >dda.script
assert_contains sda.script "ODA sda"
! grep -q "label=PBOC_DGI_8201" sda.script || fail "an SDA card with an ICC key"
for d in 8201 8202 8203 8204 8205; do
	grep -q "sens=.* label=PBOC_DGI_$d" dda.script || fail "DDA card without secret DGI $d"
done
assert_contains dda.script "label=PSE_DGI_0101"
assert_contains dda.script "label=PBOC_DGI_9104"
# rerun: nothing new
cardpipe --set perso.bank_profiles="$PWD/prof" perso 2>/dev/null
assert_eq "$(reg "select sum(cards) from perso_batch")" "$n" "rerun adds nothing"
