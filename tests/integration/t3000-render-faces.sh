#!/bin/bash
# t3000: render faces for a sample batch end to end (sample -> ingest -> prepare -> [perso]
# -> render): every card gets its previews and panels at the Evolis canvas with a 300 dpi
# pHYs chunk, zbarimg finds no barcode on any face (manual item 43: no medical-handbook
# barcode) while it does find one that a test layout draws on purpose, a rerun does
# nothing, and a proof sheet is written.
# backends: sqlite postgresql
source "$CARDPIPE_SRC/tests/integration/lib.sh"
command -v zbarimg >/dev/null || skip "zbarimg (zbar-tools) not installed"
export CARDPIPE_NOW=2026-11-26T10:00:00+08:00

crc32() { # FILE -> its CRC-32 in hex (the gzip trailer's, little-endian)
	gzip -1c "$1" | tail -c8 | od -An -tx4 -N4 | tr -d ' '
}
png_size() { # FILE -> "W H" from the IHDR chunk
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%d %d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}
ymc_note() { # FILE -> the "ymc-patch ..." note of a YMC panel patch (docs/panel-format.md)
	grep -aoE 'ymc-patch panel=[0-9]+x[0-9]+ base=[a-z]+\.png crc32=[0-9a-f]{8}' "$1" | head -1
}
png_phys() { # FILE -> "X Y UNIT" of the pHYs chunk (pixels per metre), or nothing
	local off
	off=$(grep -obUaP 'pHYs' "$1" | head -1 | cut -d: -f1)
	[ -n "$off" ] || return 0
	od -An -tu1 -j$((off + 4)) -N9 "$1" | awk '{ printf "%d %d %d\n", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8, $9 }'
}

cardpipe init >/dev/null
rm -rf gen && cardpipe sample --out gen --count 30 --seed 11 >/dev/null
find gen -mindepth 1 -maxdepth 1 ! -name expected.tsv -exec mv -t "$CARDPIPE_HOME/inbox" {} +
cardpipe ingest >/dev/null 2>&1 || true
cardpipe prepare >/dev/null 2>&1 || true
cardpipe perso >/dev/null 2>&1 || true # moves cards to perso_ready when perso is built
cardpipe --set render.from_allocated=true render >render.out
cat render.out
n=$(sed -n 's/^rendered \([0-9]*\),.*/\1/p' render.out)
[ "${n:-0}" -gt 10 ] || fail "expected the sample batch rendered, got '${n:-}'"
faces="$CARDPIPE_HOME/spool/faces"
dirs=$(find "$faces" -mindepth 1 -maxdepth 1 -type d | wc -l)
assert_eq "$dirs" "$n" "one folder per rendered card"

for d in "$faces"/*/; do
	for f in front back; do
		for s in "" -ymc -k -o; do
			[ -s "$d/$f$s.png" ] || fail "$d/$f$s.png missing"
		done
		assert_eq "$(png_size "$d/$f.png")" "1016 648" "$d/$f.png preview canvas"
		# the YMC panel: a patch over the preview, for a panel of 648-dot lines
		assert_eq "$(ymc_note "$d/$f-ymc.png")" \
			"ymc-patch panel=648x1016 base=$f.png crc32=$(crc32 "$d/$f.png")" \
			"$d/$f-ymc.png is a patch over $f.png for 1016 lines of 648 dots"
		assert_eq "$(png_size "$d/$f-k.png")" "648 1016" "$d/$f-k.png"
		assert_eq "$(png_phys "$d/$f.png")" "11811 11811 1" "$d/$f.png pHYs 300 dpi"
	done
	assert_contains "$d/faces.txt" "cardpipe-faces 1"
	[ "$(stat -c %a "$d/back.png")" = 600 ] || fail "$d/back.png is not 0600"
done

# manual item 43: no barcode anywhere on any face
found=0
for f in "$faces"/*/front.png "$faces"/*/back.png; do
	set +e
	zbarimg -q "$f" >zbar.out 2>&1
	rc=$?
	set -e
	if [ "$rc" -ne 4 ]; then
		echo "zbarimg on $f: exit $rc: $(cat zbar.out)"
		found=$((found + 1))
	fi
done
assert_eq "$found" 0 "faces with a barcode"

# proof sheet
ls "$CARDPIPE_HOME"/out/proof/*-p001.png >/dev/null || fail "no proof sheet"

# rerun: nothing new
cardpipe --set render.from_allocated=true render >render2.out
assert_contains render2.out "rendered 0, already complete 0, held 0"

# positive control: the same check does see a barcode when a layout draws one (EAN-13)
ean_rects() { # EAN-13 4006381333931 as layout rects: 4-pixel modules on pixel edges at 300 dpi
	awk -v x0=26.03598 -v y0=28 'BEGIN {
		split("0001101 0011001 0010011 0111101 0100011 0110001 0101111 0111011 0110111 0001011", L, " ");
		split("0100111 0110011 0011011 0100001 0011101 0111001 0000101 0010001 0001001 0010111", G, " ");
		split("1110010 1100110 1101100 1000010 1011100 1001110 1010000 1000100 1001000 1110100", R, " ");
		split("LLLLLL LLGLGG LLGGLG LLGGGL LGLLGG LGGLLG LGGGLL LGLGLG LGLGGL LGGLGL", P, " ");
		code = "4006381333931"; first = substr(code, 1, 1) + 1; bits = "101";
		for (i = 2; i <= 7; i++) { d = substr(code, i, 1) + 1; bits = bits (substr(P[first], i - 1, 1) == "L" ? L[d] : G[d]) }
		bits = bits "01010";
		for (i = 8; i <= 13; i++) { d = substr(code, i, 1) + 1; bits = bits R[d] }
		bits = bits "101";
		print "rect x=" x0 - 4 " y=" y0 - 3 " w=" 95 * 0.338667 + 8 " h=22 fill=#FFFFFF";
		for (i = 1; i <= 95; i++) if (substr(bits, i, 1) == "1")
			printf "rect x=%.5f y=%d w=0.338667 h=16 fill=#000000\n", x0 + (i - 1) * 0.338667, y0 }'
}
{
	echo "cardpipe-layout 1"
	echo "side front"
	echo "background fill=#FFFFFF"
	ean_rects
	echo "side back"
	echo "background fill=#FFFFFF"
	echo "field name x=5 y=10 size=10"
	echo "photo x=60 y=12 w=22 h=27"
} >barcode.layout
cardpipe render --check-layout barcode.layout | grep -q '^ok$' || fail "control layout does not parse"
export CARDPIPE_HOME="$CARDPIPE_HOME-control"
unset CARDPIPE_REGISTRY_URL # the control home is a registry of its own (SQLite)
cardpipe init >/dev/null
sample_night 3 12 --bad-share 0
cardpipe --set render.from_allocated=true --set "render.layout=$PWD/barcode.layout" render --no-proof >control.out
one=$(find "$CARDPIPE_HOME/spool/faces" -name front.png | head -1)
[ -n "$one" ] || fail "control card not rendered: $(cat control.out)"
zbarimg -q "$one" >zbar.out 2>&1 || fail "zbarimg did not see the control barcode on $one"
assert_contains zbar.out "EAN-13:4006381333931"
echo "ok: $n cards, no barcode on any face; control barcode found"
