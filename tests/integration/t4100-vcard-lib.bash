# Sourced by the t41xx tests: a line's own pcscd with the vpcd reader, the virtual-card
# daemon, and helpers. Gives: $W (work dir), $PORT, $KMC_FILE, $TK_FILE (test keys),
# vctl CMD (one line command, prints the answer), wait_empty, script_perso FILE SERIAL.
# Everything started is stopped by its pid on exit, pass or fail.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

PY=/usr/bin/python3 # Debian's python, which has pyscard
command -v pcscd >/dev/null || skip "pcscd is not installed"
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || skip "vsmartcard-vpcd is not installed"
$PY -c 'import smartcard' 2>/dev/null || skip "python3-pyscard is not installed"

W=$PWD/line
mkdir -p "$W"
VPID=
EXTRA_PIDS= # other processes a test starts, stopped by their pid too
cleanup() {
	local rc=$? vrc=0 p
	for p in $EXTRA_PIDS; do kill "$p" 2>/dev/null || true; done
	if [ -n "$VPID" ]; then
		kill "$VPID" 2>/dev/null || true
		wait "$VPID" 2>/dev/null || vrc=$?
	fi
	pcscd-line stop "$W/pcscd" || true
	# The daemon must stop cleanly, with no sanitizer report (ASan/UBSan builds).
	if [ -f "$W/vcard.log" ] && grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error" "$W/vcard.log"; then
		cat "$W/vcard.log" >&2
		echo "FAIL: sanitizer report in vcard.log" >&2
		rc=1
	elif [ "$rc" -eq 0 ] && [ -n "$VPID" ] && [ "$vrc" -ne 0 ]; then
		echo "FAIL: vcard exited $vrc on SIGTERM" >&2
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT

# A free pair of ports (vpcd takes PORT and PORT+1).
PORT=$((41000 + ($$ % 900) * 2))
while ss -ltn 2>/dev/null | grep -qE ":($PORT|$((PORT + 1)))\b"; do PORT=$((PORT + 2)); done

if ! pcscd-line start "$W/pcscd" "$PORT" 15000 >"$W/pcscd-start.out" 2>&1; then
	cat "$W/pcscd-start.out" >&2
	grep -q "another pcscd runs" "$W/pcscd-start.out" &&
		skip "pcscd cannot start here: another pcscd owns /run/pcscd and no private mount namespace is allowed"
	fail "pcscd-line start"
fi
export PCSCLITE_CSOCK_NAME
PCSCLITE_CSOCK_NAME=$(pcscd-line socket "$W/pcscd")

# TEST ONLY keys: the KMC of the virtual cards and a line transport key.
KMC_FILE=$W/kmc.hex
TK_FILE=$W/transport.hex
echo 00112233445566778899AABBCCDDEEFF >"$KMC_FILE"
echo 0F0E0D0C0B0A090807060504030201000102030405060708090A0B0C0D0E0F10 >"$TK_FILE"
chmod 600 "$KMC_FILE" "$TK_FILE"

# VCARD_KMC_ARGS (set before sourcing): where the card takes its KMC from.
# shellcheck disable=SC2086
vcard --state-dir "$W/cards" --vpcd-port "$PORT" --control "$W/vcard.ctl" \
	${VCARD_KMC_ARGS:---kmc-file $KMC_FILE} 2>"$W/vcard.log" &
VPID=$!
for _ in $(seq 100); do [ -S "$W/vcard.ctl" ] && break; sleep 0.05; done
[ -S "$W/vcard.ctl" ] || fail "vcard did not open its control socket: $(cat "$W/vcard.log")"

vctl() { vctl_at "$W/vcard.ctl" "$@"; }
vctl_at() { vcard_ctl "$@"; } # vctl_at SOCKET CMD...

# pcscd sees a removal at its next poll of vpcd.
wait_empty() { sleep 1; }

# The perso script of one card, as docs/perso-script-format.md lays it out (plain APDUs;
# the encoder wraps them). Key DGIs hold keys encrypted under the line transport key
# (AES-256-CBC, zero IV; sens=): the encoder re-encrypts them under the chip's DEK.
under_tk() { # under_tk HEX: the value encrypted under the transport key, hex
	[ $((${#1} % 32)) -eq 0 ] || fail "under_tk: $1 is not whole AES blocks"
	printf '%s' "$1" | xxd -r -p |
		openssl enc -aes-256-cbc -nopad -K "$(cat "$TK_FILE")" -iv 00000000000000000000000000000000 |
		xxd -p | tr -d '\n' | tr a-f A-F
}
script_perso() {
	local out=$1 k48 pin
	k48=$(under_tk 00112233445566778899AABBCCDDEEFF0102030405060708090A0B0C0D0E0F1011121314151617181920212223242526)
	pin=$(under_tk 261234FFFFFFFFFF0011223344556677)
	cat >"$out" <<SCRIPT
#@ format 1
# PBOC debit application
80 E6 20 00 0E 00 00 08 A0 00 00 03 33 01 01 01 00 00 00 label=PBOC_INSTALL
80 E2 28 00 13 01 01 10 70 0E 5A 08 62 12 26 00 00 00 00 01 5F 34 01 01 label=PBOC_DGI_0101
80 E2 28 01 33 80 00 30 $k48 sens=3:48 label=PBOC_DGI_8000
80 E2 A8 02 0C 90 00 09 3B 53 52 CD 94 08 94 3E 0B label=PBOC_DGI_9000
# transport application
80 E6 20 00 0E 00 00 08 A0 00 00 06 32 01 01 05 00 00 00 label=TRANSPORT_INSTALL
80 E2 28 00 08 91 02 05 9F 0C 02 10 00 label=TRANSPORT_DGI_9102
80 E2 28 01 33 80 00 30 $k48 sens=3:48 label=TRANSPORT_DGI_8000
80 E2 A8 02 0C 90 00 09 3B 53 52 CD 94 08 94 3E 0B label=TRANSPORT_DGI_9000
# SSSE keys and service password
80 E6 20 00 15 00 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF 00 00 00 label=SSSE_INSTALL
80 E2 28 00 33 80 00 30 $k48 sens=3:48 label=SSSE_DGI_8000
80 E2 28 01 0C 90 00 09 3B 53 52 CD 94 08 94 3E 0B label=SSSE_DGI_9000
80 E2 28 02 13 80 10 10 $pin sens=3:16 label=SSSE_DGI_8010
80 E2 A8 03 05 90 10 02 03 03 label=SSSE_DGI_9010
# SSSE records
00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF label=SELECT_SSSE
00 A4 02 0C 02 EF 05 label=SELECT_EF05
00 DC 02 04 03 02 01 33 label=EF05_REC_2
00 DC 03 04 06 03 04 33 2E 30 30 label=EF05_REC_3
00 DC 04 04 0E 04 0C 11 00 00 00 00 00 00 00 00 00 00 01 label=EF05_REC_4
00 DC 05 04 06 05 04 20 26 11 26 label=EF05_REC_5
00 DC 06 04 06 06 04 20 36 11 25 label=EF05_REC_6
00 DC 07 04 0B 07 09 42 30 30 30 30 30 30 30 31 label=EF05_REC_7
00 A4 02 0C 02 EF 06 label=SELECT_EF06
00 DC 01 04 14 08 12 31 31 30 31 30 31 31 39 39 30 30 33 30 37 31 32 33 34 label=EF06_REC_1
00 DC 02 04 20 09 1E D5 C5 C8 FD $(printf '%052d' 0) label=EF06_REC_2
00 DC 04 04 03 0A 01 31 label=EF06_REC_4
00 DC 05 04 03 0B 01 01 label=EF06_REC_5
00 DC 06 04 05 0C 03 11 01 01 label=EF06_REC_6
00 DC 07 04 06 0D 04 19 90 03 07 label=EF06_REC_7
SCRIPT
}
