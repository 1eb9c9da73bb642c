#!/usr/bin/env python3
"""Import graph of the rts/ crates: one node per source file, an edge A -> B when file A names an
item of file B through `crate::...` or `super::...` (in `use` lines or in paths). Prints the edges
and the import cycles (strongly connected components of more than one file); exits 1 on a cycle.

Usage: python3 rts/tools/import_graph.py [--edges]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = {"runtime": "runtime/src", "testsuite": "testsuite/src"}


def module_files(src):
    """Maps module paths (tuples) to files, for one crate."""
    mods = {}
    for d, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(d, f), src)[:-3].split(os.sep)
            if rel in (["lib"],):
                path = ()
            elif rel[-1] == "mod":
                path = tuple(rel[:-1])
            else:
                path = tuple(rel)
            mods[path] = os.path.join(d, f)
    return mods


def strip_comments(text):
    """The code: comments removed, string and char literals emptied."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\])'", "' '", text)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def defines(text, name):
    """Whether the file itself defines item `name` (so that `super::name` in one of its inline
    modules, such as `mod tests`, names the file's own item)."""
    if name == "*":
        return True
    kinds = r"(?:fn|struct|enum|type|const|static|trait|mod|union)"
    return re.search(r"\b" + kinds + r"\s+" + re.escape(name) + r"\b", text) is not None or \
        re.search(r"macro_rules!\s*" + re.escape(name) + r"\b", text) is not None


def use_paths(text, children):
    """Every path starting with crate:: or super:: (brace groups in `use` expanded), and every
    path through a name that a `use` bound to such a path or through a child module."""
    out, aliases = [], {}
    for m in re.finditer(r"\buse\s+((?:crate|super)::[^;]*);", text, flags=re.S):
        for p in expand(re.sub(r"\s+", "", m.group(1))):
            out.append(p)
            aliases[p[-1]] = p
    body = re.sub(r"\buse\s+(?:crate|super)::[^;]*;", "", text, flags=re.S)
    for m in re.finditer(r"\buse\s+(?:self::)?([A-Za-z_][A-Za-z0-9_]*)::", body):
        if m.group(1) in children:
            out.append(["self", m.group(1)])
    ident = r"[A-Za-z_][A-Za-z0-9_]*"
    for m in re.finditer(r"(?<![:\w])(" + ident + r"(?:::(?:super|" + ident + r"))+)", body):
        p = m.group(1).split("::")
        if p[0] in ("crate", "super"):
            out.append(p)
        elif p[0] in aliases:
            out.append(aliases[p[0]] + p[1:])
        elif p[0] in children:
            out.append(["self"] + p)
    return out


def expand(path):
    """`a::{b,c::{d}}` -> [[a,b],[a,c,d]]."""
    i = path.find("{")
    if i < 0:
        return [[p for p in path.split("::") if p]]
    head = [p for p in path[:i].split("::") if p]
    depth, parts, start = 0, [], i + 1
    for j in range(i + 1, len(path)):
        c = path[j]
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                parts.append(path[start:j])
                break
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(path[start:j])
            start = j + 1
    out = []
    for p in parts:
        if p in ("", "self"):
            out.append(head)
        else:
            out.extend(head + q for q in expand(p))
    return out


def graph():
    edges = {}
    for crate, src in CRATES.items():
        src = os.path.join(ROOT, src)
        mods = module_files(src)
        for path, f in mods.items():
            text = strip_comments(open(f).read())
            children = {m[-1] for m in mods if len(m) == len(path) + 1 and m[:-1] == path}
            for p in use_paths(text, children):
                base = list(path)
                if p[0] == "crate":
                    base, rest = [], p[1:]
                elif p[0] == "self":
                    rest = p[1:]
                else:
                    if len(p) > 1 and p[0] == "super" and defines(text, p[1]):
                        continue  # an inline module naming its own file's item
                    rest = p
                    while rest and rest[0] == "super":
                        base = base[:-1] if base else base
                        rest = rest[1:]
                target = tuple(base + rest)
                while target not in mods:
                    target = target[:-1]
                # Paths that stop at a module's parent name that module's item: `crate::x` from
                # a file under x/ names x/mod.rs, which is a real edge.
                if mods[target] != f:
                    edges.setdefault(rel(f), set()).add(rel(mods[target]))
            edges.setdefault(rel(f), set())
    return edges


def rel(f):
    return os.path.relpath(f, ROOT)


def cycles(edges):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    e = graph()
    if "--edges" in sys.argv:
        for a in sorted(e):
            for b in sorted(e[a]):
                print(f"{a} -> {b}")
    cs = cycles(e)
    for c in cs:
        print(f"cycle of {len(c)} files: {' '.join(c)}")
    print(f"{len(e)} files, {sum(len(v) for v in e.values())} edges, {len(cs)} cycles")
    sys.exit(1 if cs else 0)
