#!/usr/bin/env python3
"""The include rule (make lint): every .c/.h of the repository (but tests/ and build trees)
belongs to a layer and may include only
files of its own layer or of a lower one, two layers that share a level (chip and face)
may not include each other, and no two modules (a module is foo.c + foo.h) may include
each other, directly or round a longer cycle. OpenSSL (#include <openssl/...>) is included
only by the crypto layer, personalization/crypto/, and the few files of OPENSSL_ALLOWED.
SQLite (#include <sqlite3.h>) is included only by the registry's SQLite backend header,
registry_sqlite.h, and that header only by the files of SQLITE_BACKEND: the other registry
files use the statement layer, reg_stmt.h.
A project header is included in quotes by its path from the root (a file's own header by its
plain name), never through "..".

Usage: scripts/check-includes.py [ROOT]      check the tree at ROOT (default: this repository)
       scripts/check-includes.py --layers    print the layer table (docs/architecture.md has it)
Prints one line per violation and per cycle, exits 1 if there is any, 0 if none."""

import os
import re
import sys

# The layers, bottom to top: (level, name, paths). A file belongs to the layer whose path is
# the longest prefix of its own. It may include a file of a lower level or of its own layer;
# a layer of the same level but another name (chip and face) is off limits. This table is the
# rule; docs/architecture.md shows it.
LAYERS = [
    (1, "core", ["core/"]),
    (2, "formats", ["formats/"]),
    (3, "personalization/crypto", ["personalization/crypto/"]),
    (4, "personalization/keys", ["personalization/keys/"]),
    (5, "personalization/emv", ["personalization/emv/"]),
    (6, "personalization/chip", ["personalization/chip/"]),
    (6, "personalization/face", ["personalization/face/"]),
    (7, "printer", ["printer/"]),
    (8, "emulator", ["emulator/"]),
    (9, "pipeline/rules", ["pipeline/rules/"]),
    (10, "pipeline/registry", ["pipeline/registry/"]),
    (11, "pipeline/stages", ["pipeline/stages/"]),
    (12, "pipeline/cmd", ["pipeline/cmd/"]),
    (13, "pipeline/main", ["pipeline/cardpipe_main.c"]),
]
# OpenSSL belongs to the crypto layer: every other file asks personalization/crypto/ (hash.h,
# cipher.h, mac.h, sign.h, random.h, secmem.h). These files keep an OpenSSL include, each for
# the reason given; an entry whose file no longer includes OpenSSL is reported, so the list
# only shrinks.
CRYPTO_LAYER = "personalization/crypto/"
OPENSSL_ALLOWED = {
    # below the crypto layer: OPENSSL_cleanse and CRYPTO_memcmp behind cp_memzero and
    # cp_ct_memcmp, which the crypto layer itself uses
    "core/mem.c": "OPENSSL_cleanse, CRYPTO_memcmp",
    # below the crypto layer: the fast line-by-line base64 codec of inline photos
    "formats/base64.c": "EVP_DecodeBlock, EVP_EncodeBlock",
}
# The registry's SQLite backend: the one header that includes <sqlite3.h>, and the files
# that may include it (the unit tests may too). Every other registry file runs its SQL
# through the statement layer, pipeline/registry/reg_stmt.h (docs/engineering.md).
SQLITE_HEADER = "pipeline/registry/registry_sqlite.h"
SQLITE_BACKEND = {
    "pipeline/registry/registry_sqlite.c": "the backend: statements, open, transactions",
    "pipeline/registry/reg_seal.c": "the SQL functions and hooks of the row seals",
}
SYSTEM_INCLUDE = re.compile(r'^\s*#\s*include\s+<([^>]+)>')
# Not source: the tests (they may include anything), the bench results, build trees (build*)
# and hidden folders.
SKIP_TOP = {"tests", "bench"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    best = None
    for level, name, prefixes in LAYERS:
        for p in prefixes:
            if path.startswith(p) and (best is None or len(p) > len(best[2])):
                best = (level, name, p)
    return best


def sources(root):
    """Every .c and .h of the repository but tests/ and build trees: a file outside the
    layers is reported, not skipped, so a new folder cannot escape the rule."""
    for d, dirs, names in os.walk(root):
        rel = os.path.relpath(d, root).replace(os.sep, "/")
        if rel == ".":
            dirs[:] = [x for x in dirs if x not in SKIP_TOP and not x.startswith(("build", "."))]
        dirs.sort()
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")


def resolve(root, src, name):
    """A file's own folder first (its own header), then the repository root."""
    for base in (os.path.dirname(src), ""):
        p = os.path.normpath(os.path.join(base, name)).replace(os.sep, "/")
        if not p.startswith("../") and os.path.isfile(os.path.join(root, p)):
            return p
    return None


def module(path):
    return os.path.splitext(path)[0]


def find_cycle(start, comp, edges):
    """One simple cycle through start inside the strongly connected component comp."""
    stack, seen = [(start, [start])], {start}
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, {}), reverse=True):
            if nxt == start:
                return path + [start]
            if nxt in comp and nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return [start, start]


def components(edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, st, out, counter = {}, {}, set(), [], [], [0]
    nodes = sorted(set(edges) | {m for v in edges.values() for m in v})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, {}))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        st.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    st.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, {})))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = set()
                    while True:
                        m = st.pop()
                        on.discard(m)
                        comp.add(m)
                        if m == node:
                            break
                    out.append(comp)
    return out


def check(root):
    problems = []
    edges = {}  # module -> {module: "file:line"}
    project_tops = {n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n))
                    and n not in SKIP_TOP and not n.startswith(("build", "."))}
    for src in sources(root):
        mine = layer_of(src)
        if mine is None:
            problems.append(f"{src}:1: is in no layer (add its folder to LAYERS in "
                            f"scripts/check-includes.py)")
            continue
        uses_openssl = False
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = SYSTEM_INCLUDE.match(line)
                if m and m.group(1).startswith("openssl/"):
                    uses_openssl = True
                    if not src.startswith(CRYPTO_LAYER) and src not in OPENSSL_ALLOWED:
                        problems.append(f"{src}:{lineno}: includes <{m.group(1)}>: OpenSSL only "
                                        f"in {CRYPTO_LAYER} (use its functions, or add the "
                                        f"file with a reason to OPENSSL_ALLOWED)")
                    continue
                if m and m.group(1) == "sqlite3.h" and src != SQLITE_HEADER:
                    problems.append(f"{src}:{lineno}: includes <sqlite3.h>: SQLite only in "
                                    f"{SQLITE_HEADER} (use pipeline/registry/reg_stmt.h)")
                    continue
                if m and m.group(1).split("/")[0] in project_tops:
                    problems.append(f"{src}:{lineno}: includes <{m.group(1)}>: a project header "
                                    f"is included with quotes, \"{m.group(1)}\"")
                    continue
                m = INCLUDE.match(line)
                if not m:
                    continue
                name = m.group(1)
                if ".." in name.split("/") or (
                        "/" not in name and module(name) != os.path.basename(module(src))):
                    problems.append(f"{src}:{lineno}: includes {name}: a project include names "
                                    f"its path from the repository root (only a file's own "
                                    f"header may be named alone)")
                    continue
                target = resolve(root, src, name)
                if target is None:
                    problems.append(f"{src}:{lineno}: includes {name}: no such file")
                    continue
                if target == SQLITE_HEADER and src not in SQLITE_BACKEND:
                    problems.append(f"{src}:{lineno}: includes {name}: only the SQLite "
                                    f"backend does (SQLITE_BACKEND in "
                                    f"scripts/check-includes.py); use "
                                    f"pipeline/registry/reg_stmt.h")
                    continue
                theirs = layer_of(target)
                if theirs is None:
                    problems.append(f"{src}:{lineno}: includes {name}: layer {mine[1]} may not "
                                    f"depend on {target}, which is in no layer")
                    continue
                if theirs[0] > mine[0] or (theirs[0] == mine[0] and theirs[1] != mine[1]):
                    problems.append(f"{src}:{lineno}: includes {name}: layer {mine[1]} may "
                                    f"not depend on layer {theirs[1]}")
                a, b = module(src), module(target)
                if a != b:
                    edges.setdefault(a, {}).setdefault(b, f"{src}:{lineno}")
        if src in OPENSSL_ALLOWED and not uses_openssl:
            problems.append(f"{src}:1: includes no OpenSSL header: remove it from "
                            f"OPENSSL_ALLOWED in scripts/check-includes.py")
    for comp in sorted(components(edges), key=min):
        if len(comp) < 2:
            continue
        cycle = find_cycle(min(comp), comp, edges)
        where = ", ".join(f"{edges[x][y]} includes {y}.h" for x, y in zip(cycle, cycle[1:]))
        problems.append(f"{edges[cycle[0]][cycle[1]]}: include cycle: "
                        f"{' -> '.join(cycle)} ({where})")
    return problems


def main(argv):
    if len(argv) > 1 and argv[1] == "--layers":
        for level, name, prefixes in LAYERS:
            print(f"{level}\t{name}\t{' '.join(prefixes)}")
        return 0
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check-includes: {len(problems)} problem(s); the layers are in "
              f"docs/architecture.md", file=sys.stderr)
        return 1
    print("check-includes: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
