# The repository's docs stand on their own: no file points to a document outside it (the
# background notes the project was designed from), every "manual item N" the code or docs cite
# is stated in docs/business-rules.md, every docs/*.md named exists, and every section cited
# in the reference pages (docs/domain-facts.md §N, ...) is a heading there.
source "$CARDPIPE_SRC/tests/integration/lib.sh"

python3 - "$CARDPIPE_SRC" <<'PY' >report.txt || { cat report.txt; fail "outside pointers"; }
import os, re, sys

root = sys.argv[1]
me = "tests/integration/t0007-docs-self-contained.sh"
# documents that live outside the repository, and the paths that reach them
outside = re.compile(r"\.\./shared|\.\./seed|/work/shared|(?<![\w/-])(?:docs/)?"
                     r"(?:design|domain|perso-crypto|printer|style)\.md\b")
manual = re.compile(r"manual items? ((?:\d+(?:-\d+)?(?:, | and |, and )?)+)")
docref = re.compile(r"(?<![\w./-])docs/([a-z0-9-]+\.md)")
section = re.compile(r"(domain-facts|crypto-reference|printer-reference)\.md\)? §(\d+(?:\.\d+)?)")
skip_dirs = {".git", "build", "build-asan", "build-cov", "build-fuzz", "bench"}
text_ext = (".c", ".h", ".md", ".sh", ".bash", ".py", ".xsd", ".txt", ".conf", ".layout",
            ".in", "Makefile", ".1", ".5", ".8", ".yml", ".ci")

def files():
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in skip_dirs]
        for n in names:
            p = os.path.relpath(os.path.join(d, n), root)
            if p != me and (n.endswith(text_ext) or "/.ci/" in "/" + p + "/" or n == "run"):
                yield p

rules = open(os.path.join(root, "docs/business-rules.md"), encoding="utf-8").read()
stated = set(re.findall(r"^\| (\d+) \|", rules, re.M))
headings = {}
for page in ("domain-facts", "crypto-reference", "printer-reference"):
    t = open(os.path.join(root, "docs", page + ".md"), encoding="utf-8").read()
    headings[page] = set(re.findall(r"^#+ (\d+(?:\.\d+)?)\.? ", t, re.M))

bad = []
for p in files():
    try:
        lines = open(os.path.join(root, p), encoding="utf-8").read().split("\n")
    except (UnicodeDecodeError, OSError):
        continue
    for i, line in enumerate(lines, 1):
        if outside.search(line):
            bad.append(f"{p}:{i}: points outside the repository: {line.strip()}")
        for m in manual.finditer(line):
            for part in re.split(r", and |, | and ", m.group(1)):
                if not part:
                    continue
                a, _, b = part.partition("-")
                for n in range(int(a), int(b or a) + 1):
                    if str(n) not in stated:
                        bad.append(f"{p}:{i}: manual item {n} is not in docs/business-rules.md")
        for m in docref.finditer(line):
            if not os.path.exists(os.path.join(root, "docs", m.group(1))):
                bad.append(f"{p}:{i}: docs/{m.group(1)} does not exist")
        for m in section.finditer(line):
            if m.group(2) not in headings[m.group(1)]:
                bad.append(f"{p}:{i}: docs/{m.group(1)}.md has no section {m.group(2)}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

# the check itself finds what it is for (outside the repository, in the work folder)
mkdir -p fake/docs fake/tests/integration
cp "$CARDPIPE_SRC/docs/business-rules.md" "$CARDPIPE_SRC/docs/domain-facts.md" \
	"$CARDPIPE_SRC/docs/crypto-reference.md" "$CARDPIPE_SRC/docs/printer-reference.md" fake/docs/
printf '/* see ../shared/docs/domain.md */\n' >fake/a.c
printf 'A rule (manual item 99); docs/nosuch.md; docs/domain-facts.md §42.\n' >fake/docs/b.md
sed -n '/^python3 - /,/^PY$/p' "$0" | sed '1s/.*/import sys/; $d' >check.py
! python3 check.py fake >fake.txt || fail "the check passes a repository with outside pointers"
assert_contains fake.txt "a.c:1: points outside"
assert_contains fake.txt "manual item 99 is not"
assert_contains fake.txt "docs/nosuch.md does not exist"
assert_contains fake.txt "has no section 42"
echo "t0007 ok"
