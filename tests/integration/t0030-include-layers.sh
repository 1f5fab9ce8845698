# The include rule of make lint (scripts/check-includes.py): it refuses an include that goes
# up the layers, one between the two layers of a level (chip and face), and a cycle between
# modules, naming the file, the line and the cycle; it refuses an OpenSSL include outside the
# crypto layer and its allowlist, and an allowlist entry whose file no longer needs it; it
# refuses a project header in angle brackets, a ".." path, another module's header named
# alone and a file outside every layer; accepts a tree that keeps the rule;
# the repository itself keeps it; and docs/architecture.md shows the same table it enforces.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

check="$CARDPIPE_SRC/scripts/check-includes.py"

# mk FILE [INCLUDE...]: a source file with those includes
mk() {
	local f=$1
	shift
	mkdir -p "$(dirname "$f")"
	: >"$f"
	for i in "$@"; do
		echo "#include \"$i\"" >>"$f"
	done
}

# a clean tree: each layer includes its own folder and lower ones, a file its own header by
# its plain name
mk clean/core/err.h
mk clean/core/err.c err.h
mk clean/formats/apdu.h core/err.h
mk clean/formats/apdu.c formats/apdu.h core/err.h
mk clean/personalization/chip/tlv.c formats/apdu.h
mk clean/personalization/face/png.c core/err.h
mk clean/printer/printer.c formats/apdu.h personalization/chip/tlv.c
mk clean/emulator/line.c printer/printer.c
mk clean/pipeline/rules/luhn.h
mk clean/pipeline/registry/reg.c pipeline/rules/luhn.h emulator/line.c
mk clean/pipeline/cardpipe_main.c pipeline/registry/reg.c
# OpenSSL: in the crypto layer, and in an allowlisted file (core/mem.c)
mk clean/personalization/crypto/sign.c core/err.h
echo "#include <openssl/evp.h>" >>clean/personalization/crypto/sign.c
mk clean/core/mem.c
echo "#include <openssl/crypto.h>" >>clean/core/mem.c
"$check" clean >clean.out || { cat clean.out; fail "a clean tree was refused"; }
assert_contains clean.out "check-includes: clean"

# up the layers, across chip and face, and a cycle of three modules
cp -r clean bad
mk bad/formats/apdu.c formats/apdu.h pipeline/rules/luhn.h
mk bad/personalization/chip/tlv.c personalization/face/png.c
mk bad/formats/a.h
mk bad/formats/b.h
mk bad/formats/c.h
mk bad/formats/a.c formats/b.h
mk bad/formats/b.c formats/c.h
mk bad/formats/c.c core/err.h formats/a.h
expect_exit 1 "$check" bad >bad.out 2>bad.err
cat bad.out
assert_contains bad.out "^formats/apdu.c:2: includes pipeline/rules/luhn.h: layer formats may not depend on layer pipeline/rules$"
assert_contains bad.out "^personalization/chip/tlv.c:1: includes personalization/face/png.c: layer personalization/chip may not depend on layer personalization/face$"
assert_contains bad.out "^formats/a.c:1: include cycle: formats/a -> formats/b -> formats/c -> formats/a (formats/a.c:1 includes formats/b.h, formats/b.c:1 includes formats/c.h, formats/c.c:2 includes formats/a.h)$"
assert_eq "$(wc -l <bad.out)" 3 "three problems, one line each"
assert_contains bad.err "3 problem(s)"

# a two-module cycle through the headers alone, an include of a missing file, a folder in
# no layer
cp -r clean bad2
mk bad2/personalization/keys/keystore.h personalization/keys/ceremony.h
mk bad2/personalization/keys/ceremony.h personalization/keys/keystore.h
mk bad2/personalization/keys/audit.c personalization/keys/gone.h
mk bad2/emulator/line.c tests/fake.h
mk bad2/tests/fake.h
mk bad2/pipeline/extra/x.c
expect_exit 1 "$check" bad2 >bad2.out 2>/dev/null
cat bad2.out
assert_contains bad2.out "^personalization/keys/ceremony.h:1: include cycle: personalization/keys/ceremony -> personalization/keys/keystore -> personalization/keys/ceremony "
assert_contains bad2.out "^personalization/keys/audit.c:1: includes personalization/keys/gone.h: no such file$"
assert_contains bad2.out "^emulator/line.c:1: includes tests/fake.h: layer emulator may not depend on tests/fake.h, which is in no layer$"
assert_contains bad2.out "^pipeline/extra/x.c:1: is in no layer"

# OpenSSL above the crypto layer (any spelling of the directive), and an allowlisted file
# that no longer includes it
cp -r clean bad3
mk bad3/pipeline/stages/sign.c core/err.h
echo "#  include <openssl/rand.h>" >>bad3/pipeline/stages/sign.c
mk bad3/emulator/card/vcard.c
echo "#include <stdio.h>" >>bad3/emulator/card/vcard.c
echo "#include <openssl/bn.h>" >>bad3/emulator/card/vcard.c
mk bad3/core/mem.c
echo "#include <string.h>" >>bad3/core/mem.c
expect_exit 1 "$check" bad3 >bad3.out 2>/dev/null
cat bad3.out
assert_contains bad3.out "^pipeline/stages/sign.c:2: includes <openssl/rand.h>: OpenSSL only in personalization/crypto/ "
assert_contains bad3.out "^emulator/card/vcard.c:2: includes <openssl/bn.h>: OpenSSL only in personalization/crypto/ "
assert_contains bad3.out "^core/mem.c:1: includes no OpenSSL header: remove it from OPENSSL_ALLOWED"
assert_eq "$(wc -l <bad3.out)" 3 "three OpenSSL problems, one line each"

# how an include is spelled: a project header in angle brackets, a path through "..", a
# header of another module named alone; and a file in a new top-level folder
cp -r clean bad4
mk bad4/formats/apdu.c formats/apdu.h ../core/err.h err.h
echo "#include <core/err.h>" >>bad4/formats/apdu.c
mk bad4/tools/gen.c core/err.h
expect_exit 1 "$check" bad4 >bad4.out 2>/dev/null
cat bad4.out
assert_contains bad4.out '^formats/apdu.c:2: includes ../core/err.h: a project include names its path from the repository root'
assert_contains bad4.out '^formats/apdu.c:3: includes err.h: a project include names its path from the repository root'
assert_contains bad4.out '^formats/apdu.c:4: includes <core/err.h>: a project header is included with quotes'
assert_contains bad4.out '^tools/gen.c:1: is in no layer'
assert_eq "$(wc -l <bad4.out)" 4 "four problems, one line each"

# the repository keeps the rule
"$check" "$CARDPIPE_SRC" >repo.out || { cat repo.out; fail "the repository breaks the include rule"; }

# docs/architecture.md's layer table (level, layer, folders, then what it holds) is the script's
"$check" --layers >want.txt
python3 - "$CARDPIPE_SRC/docs/architecture.md" >have.txt <<'PY'
import re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"\| (\d+) \| ([a-z/]+) \| ((?:`[^`]+` ?)+)\|", line)
    if m:
        print(f"{m.group(1)}\t{m.group(2)}\t{' '.join(re.findall(r'`([^`]+)`', m.group(3)))}")
PY
diff want.txt have.txt || fail "docs/architecture.md's layer table differs from scripts/check-includes.py --layers"
echo "ok: include rule"
