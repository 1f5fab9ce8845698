#!/bin/bash
# Two card stocks on one line: the virtual card feeds chips of cpvc-s03 (SCP03, kdf3 keys,
# T=1 ATR) and cpvc-s02 (SCP02 i=15, EMV CPS keys, T=0 ATR, explicit STORE DATA encryption,
# continuous block numbers) in turn, and `produce` drives each one with the profile its
# ATR names. Every card is produced; then each is checked from outside by an independent
# GlobalPlatform host of its own SCP (gp_host.py for SCP03, gp_host02.py for SCP02, each
# first checked against the published vectors) and read back by a plain PC/SC client;
# `cardpipe chip identify` names each card's stock. A chip whose ATR matches no profile is
# refused before anything is sent to it.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

PY=/usr/bin/python3
emulated_line_env
$PY -c 'import smartcard' 2>/dev/null || skip "python3-pyscard not installed"
$PY -c 'import cryptography' 2>/dev/null || skip "python3-cryptography not installed"
GP03="$PY $CARDPIPE_SRC/tests/integration/gp_host.py"
GP02="$PY $CARDPIPE_SRC/tests/integration/gp_host02.py"
$GP03 selftest >selftest03.txt || { cat selftest03.txt; fail "gp_host.py SCP03 vectors"; }
$GP02 selftest >selftest02.txt || { cat selftest02.txt; fail "gp_host02.py SCP02 vector"; }
[ "$(grep -c '^ok ' selftest02.txt)" = 8 ] || fail "not every SCP02 check ran"

export CARDPIPE_ENCODER_CARD_STOCKS=cpvc-s03:cpvc-s02
run=$CARDPIPE_HOME/run/line1

cardpipe init >/dev/null 2>&1
cardpipe keys ceremony --test >/dev/null 2>&1 || skip "no test key store (keys ceremony --test)"
cardpipe chip profiles >profiles.txt || fail "chip profiles"
assert_contains profiles.txt "^cpvc-s02  *SCP02 i=15 sl=03 div=emv "
assert_contains profiles.txt "^cpvc-s03  *SCP03 i=70 sl=03 div=kdf3 "
sample_rendered 12 10
n=$(q "SELECT count(*) FROM card WHERE state = 'rendered'")

cardpipe line start --fast 2>start.log || { cat start.log; fail "line start"; }
assert_contains "$run/vcard.log" "stock cpvc-s02: SCP02, emv keys"
assert_contains "$run/vcard.log" "stock cpvc-s03: SCP03, kdf3 keys"
# phase 1: 8 cards, both stocks known to produce
cardpipe produce --line 1 --max-cards 8 >produce.txt 2>produce.err || { cat produce.err; fail "produce"; }
produced=$(q "SELECT count(*) FROM card WHERE state = 'produced'")
assert_eq "$produced" 8 "8 cards produced"
assert_eq "$(q "SELECT count(*) FROM production_attempt WHERE state = 'spoiled'")" 0 "no card spoiled"
cardpipe db check >check.txt || { cat check.txt; fail "db check"; }

# Which stock each card is: its chip's state file, and the encoder's own account.
export PCSCLITE_CSOCK_NAME=$run/pcscd/run/pcscd.comm
apps="--app A000000333010101:0F --app A000000632010105:0F --app 7378312E73682EC9E7BBE1B1A3D5CF:0F"
cardpipe line remove >/dev/null 2>&1 || true
reader_state empty
n02=0 n03=0
for card in $(q "SELECT card_no FROM card WHERE state = 'produced' ORDER BY id"); do
	chip=$(q "SELECT chip_id FROM card WHERE card_no = '$card'")
	serial=${chip:16:16}
	stock=$(sed -n 's/^stock //p' "$run/vcard/$serial.card")
	case "$stock" in
	cpvc-s02) n02=$((n02 + 1)) scp=SCP02 atr=3B680000435056432D533032 ;;
	cpvc-s03) n03=$((n03 + 1)) scp=SCP03 atr=3BE800008131FE45435056432D53303398 ;;
	*) fail "card $card: chip $serial of stock '$stock'" ;;
	esac
	assert_contains produce.err "card $card personalised and locked as stock $stock ($scp): chip $chip"
	cardpipe line insert "$card" >/dev/null || fail "line insert $card"
	# the line's own tool names the stock by the ATR
	ok=
	for _ in $(seq 20); do
		if cardpipe chip identify --timeout-ms 2000 >"id-$card.txt" 2>/dev/null; then ok=1; break; fi
		sleep 0.2
	done
	[ -n "$ok" ] || fail "chip identify $card: $(cat "id-$card.txt")"
	assert_eq "$(cat "id-$card.txt")" "stock $stock atr $atr" "identify $card"
	# an independent GP host of the card's own SCP: issued (SECURED, applications 0F)
	ok=
	for _ in $(seq 20); do
		if [ "$stock" = cpvc-s02 ]; then
			$GP02 check-issued --isd A000000003000000 --kvn 20 $apps >"gp-$card.txt" 2>"gp-$card.err" && ok=1
		else
			$GP03 check-issued $apps >"gp-$card.txt" 2>"gp-$card.err" && ok=1
		fi
		[ -n "$ok" ] && break
		grep -q "^NOT ISSUED" "gp-$card.txt" && break
		sleep 0.2
	done
	[ -n "$ok" ] || { cat "gp-$card.txt" "gp-$card.err"; fail "card $card ($stock) is not issued"; }
	assert_contains "gp-$card.txt" "^APP A000000333010101 0F"
	# and a plain PC/SC client reads its records back
	$PY "$CARDPIPE_SRC/tests/integration/read_card.py" --app A000000333010101:1:1 >"read-$card.txt" ||
		fail "read back $card"
	assert_contains "read-$card.txt" "^ATR $atr\$"
	assert_contains "read-$card.txt" "^EF05 1 0110$chip\$"
	grep -q "^EF05 7 07.*$(printf %s "$card" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" "read-$card.txt" ||
		fail "card number not in EF05 record 7 of $card: $(grep '^EF05 7' "read-$card.txt")"
	grep -q "^APP A000000333010101 1 1 70" "read-$card.txt" ||
		fail "PBOC record 1 of $card: $(grep '^APP' "read-$card.txt")"
	cardpipe line remove >/dev/null
	reader_state empty
done
[ "$n02" -ge 2 ] && [ "$n03" -ge 2 ] || fail "not a mixed batch: $n02 SCP02 and $n03 SCP03 cards"
echo "mixed batch: $n02 cards of cpvc-s02 (SCP02), $n03 of cpvc-s03 (SCP03)"
cat "gp-$card.txt"

# phase 2: the same feeder, but produce knows only cpvc-s03: each cpvc-s02 chip is refused
# by its ATR before anything is sent to it (never personalised by guessing), the others are
# produced, and every card still ends produced.
mkdir only03
cp "$CARDPIPE_SRC/data/chip-profiles/cpvc-s03.ini" only03/
ls "$run/vcard" >chips-before.txt
CARDPIPE_ENCODER_CHIP_PROFILES=$PWD/only03 cardpipe produce --line 1 >produce2.txt 2>produce2.err ||
	{ cat produce2.err; fail "produce phase 2"; }
assert_eq "$(q "SELECT count(*) FROM card WHERE state = 'produced'")" "$n" "every card produced"
assert_contains produce2.err "ATR 3B680000435056432D533032 matches no chip profile (this line knows cpvc-s03)"
refused=0
for f in $(ls "$run/vcard" | grep -vxF -f chips-before.txt); do
	grep -q '^stock cpvc-s02$' "$run/vcard/$f" || continue
	refused=$((refused + 1))
	assert_contains "$run/vcard/$f" "^seq 0\$"
	assert_contains "$run/vcard/$f" "^lifecycle 01\$"
	# nothing but what the chip was made with (EF05 record 1, the card identifier)
	! grep -q '^dgi \|^rec EF05 [2-7] \|^rec EF06 ' "$run/vcard/$f" ||
		fail "refused chip $f was written to"
	chip=110000D156000005${f%.card}
	assert_eq "$(q "SELECT count(*) FROM card WHERE chip_id = '$chip'")" 0 "refused chip $f bound to no card"
done
[ "$refused" -ge 1 ] || fail "no cpvc-s02 chip was fed in phase 2"
echo "phase 2: $refused cpvc-s02 chips refused untouched"

# A chip whose ATR no profile knows: pcsc-encode with only the SCP03 profile refuses it
# before sending anything (its sequence counter and life cycle stay as made).
vctl() { vcard_ctl "$run/vcard.ctl" "$1"; }
reader_state empty # the last card of phase 2 left the reader: pcscd must have seen it go
assert_eq "$(vctl "INSERT-NEW 00000000000002F1 cpvc-s02")" "OK 110000D15600000500000000000002F1" "a new cpvc-s02 chip"
echo 404142434445464748494A4B4C4D4E4F >kmc.hex
chmod 600 kmc.hex
printf '80E2800005010102AABB\n' >script.txt
set +e
out=$(pcsc-encode --profiles only03 --kmc-file kmc.hex --script script.txt 2>/dev/null)
rc=$?
set -e
assert_eq "$rc" 1 "pcsc-encode on an unknown stock: exit"
case "$out" in "FAIL stock ATR 3B680000435056432D533032 matches no chip profile"*) ;;
*) fail "unknown stock: $out" ;; esac
assert_contains "$run/vcard/00000000000002F1.card" "^seq 0\$"
assert_contains "$run/vcard/00000000000002F1.card" "^lifecycle 01\$"
set +e
CARDPIPE_ENCODER_CHIP_PROFILES=$PWD/only03 cardpipe chip identify >unknown.txt 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "chip identify of an unknown stock: exit"
assert_contains unknown.txt "^unknown atr 3B680000435056432D533032\$"
echo "t4106 ok"
