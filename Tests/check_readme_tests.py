#!/usr/bin/env python3
"""Checks that every test the README's "What bad input gets" table names exists.

Usage: python3 Tests/check_readme_tests.py [README.md]

The table's "backed by" column names, separated by ";" (and "," inside one kind), with remarks in
parentheses ignored:

  Swift tests      `Suite`, `Suite.function` or `function`, in Tests/WasixNetTests/*.swift:
                   a function is a `@Test func`; a suite is a type marked `@Suite` or holding
                   `@Test` functions; `Suite.function` is a `@Test func` declared in that suite's
                   body (or in an `extension Suite`).
  C test sections  "`name_test` section, section" or just "`name_test`": the C test is
                   Tests/abi/name_test.c, or the .c files of Tests/abi/name/ for "name_abi_test"
                   (ffi_abi_test lives in Tests/abi/ffi/). A section is named by the function
                   that runs it: defined in those files and called from the test's main().
  fuzz targets     "fuzz Target": a folder Fuzz/Target holding source files.
  examples         "`examples/name`": a folder under examples/.
  runtime guests   "the name guests": the guests folder of examples/name-host.

Anything else in the column is an error: the column is for names a reader can find.
Exit status 0 and "readme tests OK: N names in M rows" when every name exists; otherwise each
missing name with its row, and exit status 1.
"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE_HEADING = re.compile(r"^#+\s+What bad input gets\s*$", re.IGNORECASE)
COLUMN = "backed by"
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# ---------------------------------------------------------------------------------------------
# The table


def split_cells(line):
    """The cells of a Markdown table row: split on "|" outside code spans, "\\|" kept."""
    cells, cell, in_code, i = [], "", False, 0
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            cell += "|"
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        if c == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += c
        i += 1
    cells.append(cell.strip())
    return cells


def read_table(readme_path):
    """[(line number, first cell, backed-by cell)] of the table under the heading."""
    if not os.path.isfile(readme_path):
        raise SystemExit(f"{readme_path}: no such file")
    with open(readme_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = next((i for i, l in enumerate(lines) if TABLE_HEADING.match(l)), None)
    if start is None:
        raise SystemExit(f"{readme_path}: no heading \"What bad input gets\"")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    first = next((i for i in range(start + 1, end) if lines[i].lstrip().startswith("|")), None)
    if first is None:
        raise SystemExit(f"{readme_path}: no table under \"What bad input gets\"")
    header = [c.lower() for c in split_cells(lines[first])]
    if COLUMN not in header:
        raise SystemExit(f"{readme_path}:{first + 1}: the table has no \"{COLUMN}\" column")
    column = header.index(COLUMN)
    rows = []
    for i in range(first + 2, len(lines)):  # after the header and its |---| line
        if not lines[i].lstrip().startswith("|"):
            break
        cells = split_cells(lines[i])
        rows.append((i + 1, cells[0], cells[column] if column < len(cells) else ""))
    if not rows:
        raise SystemExit(f"{readme_path}:{first + 1}: the table has no rows")
    return rows


def split_outside_parentheses(text, separator):
    parts, part, depth = [], "", 0
    for c in text:
        depth += (c == "(") - (c == ")")
        if c == separator and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += c
    parts.append(part)
    return parts


def without_remarks(text):
    """Drops parenthesised remarks such as "(both layouts, both pointer sizes)"."""
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"\([^()]*\)", "", text)
    return " ".join(text.split())


def references(cell):
    """[(kind, name, detail)] named by one "backed by" cell; kind "unknown" for anything else."""
    found = []
    for clause in split_outside_parentheses(cell, ";"):
        clause = without_remarks(clause)
        if not clause:
            continue
        c_test = re.fullmatch(r"`(" + IDENT + r"_test)`(.*)", clause)
        fuzz = re.fullmatch(r"fuzz\s+(.+)", clause)
        example = re.fullmatch(r"`?(examples/[A-Za-z0-9_-][A-Za-z0-9_.-]*)/?`?", clause)
        guests = re.fullmatch(r"the\s+([A-Za-z0-9_-][A-Za-z0-9_.-]*)\s+guests", clause)
        if c_test:
            sections = [s.strip() for s in c_test.group(2).split(",") if s.strip()]
            if not sections:
                found.append(("c test", c_test.group(1), None))
            for s in sections:
                found.append(("c section", c_test.group(1), s) if re.fullmatch(IDENT, s) else ("unknown", clause, None))
        elif fuzz:
            for target in fuzz.group(1).split(","):
                found.append(("fuzz target", target.strip(), None))
        elif example:
            found.append(("example", example.group(1), None))
        elif guests:
            found.append(("guests", guests.group(1), None))
        else:
            for name in clause.split(","):
                name = name.strip().strip("`")
                swift = re.fullmatch(r"(" + IDENT + r")(?:\.(" + IDENT + r"))?", name)
                found.append(("swift", name, swift.groups()) if swift else ("unknown", name, None))
    return found


# ---------------------------------------------------------------------------------------------
# Swift: @Test functions and the types around them


def blank_swift(text):
    """The source with comments and string contents replaced by spaces (newlines kept), so that
    braces and attributes are only the code's."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    def skip_string(i):
        """i at the opening quote(s), possibly after #s; returns the index past the literal."""
        hashes = 0
        while text[i] == "#":
            hashes += 1
            i += 1
        triple = text.startswith('"""', i)
        close = ('"""' if triple else '"') + "#" * hashes
        start = i
        i += 3 if triple else 1
        while i < n:
            if text[i] == "\\" and text.startswith("#" * hashes, i + 1):
                j = i + 1 + hashes
                if j < n and text[j] == "(":  # interpolation: code until the matching ")"
                    blank(start, j + 1)
                    i = skip_code(j + 1, ")")
                    start = i - 1  # the string goes on after the ")"
                    continue
                i = j + 1
                continue
            if text.startswith(close, i):
                blank(start + 1, i)
                return i + len(close)
            i += 1
        blank(start, n)
        return n

    def skip_code(i, until):
        depth = 0
        while i < n:
            c = text[i]
            if text.startswith("//", i):
                j = text.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
            elif text.startswith("/*", i):
                j, nest = i + 2, 1
                while j < n and nest:
                    if text.startswith("/*", j):
                        nest, j = nest + 1, j + 2
                    elif text.startswith("*/", j):
                        nest, j = nest - 1, j + 2
                    else:
                        j += 1
                blank(i, j)
                i = j
            elif c == '"' or (c == "#" and re.match(r'#+"', text[i:])):
                i = skip_string(i)
            else:
                if until and c == "(":
                    depth += 1
                elif until and c == until:
                    if depth == 0:
                        return i + 1
                    depth -= 1
                i += 1
        return n

    skip_code(0, None)
    return "".join(out)


def matching_brace(code, open_at):
    depth = 0
    for i in range(open_at, len(code)):
        depth += (code[i] == "{") - (code[i] == "}")
        if depth == 0:
            return i
    return len(code)


def skip_balanced(code, i):
    """i at "("; the index past its ")"."""
    depth = 0
    while i < len(code):
        depth += (code[i] == "(") - (code[i] == ")")
        i += 1
        if depth == 0:
            break
    return i


MODIFIERS = re.compile(r"\s*(?:(?:static|class|mutating|nonisolated|private|fileprivate|internal|public|final)\b|"
                       r"@" + IDENT + r")")


def test_functions(code):
    """[(position, name)] of the functions attributed @Test."""
    found = []
    for m in re.finditer(r"@Test\b", code):
        i = m.end()
        while True:
            j = len(code[i:]) - len(code[i:].lstrip())
            if code.startswith("(", i + j):
                i = skip_balanced(code, i + j)
                continue
            mod = MODIFIERS.match(code, i)
            if mod:
                i = mod.end()
                continue
            break
        func = re.compile(r"\s*func\s+(" + IDENT + r")").match(code, i)
        if func:
            found.append((func.start(1), func.group(1)))
    return found


def swift_index(tests_dir):
    """(test functions, suites, {suite: its test functions}) of the Swift tests."""
    functions, suites, members = set(), set(), {}
    for path in sorted(glob.glob(os.path.join(tests_dir, "*.swift"))):
        with open(path, encoding="utf-8") as f:
            code = blank_swift(f.read())
        bodies = []  # (start, end, type name) of every type or extension body
        for m in re.finditer(r"(@Suite\b(?:\s*\([^)]*\))?\s*)?(?:(?:public|internal|private|fileprivate|final)\s+)*"
                             r"\b(struct|class|actor|enum|extension)\s+(" + IDENT + r")[^{]*\{", code):
            bodies.append((m.end() - 1, matching_brace(code, m.end() - 1), m.group(3)))
            if m.group(1):
                suites.add(m.group(3))
        for position, name in test_functions(code):
            functions.add(name)
            around = [b for b in bodies if b[0] < position < b[1]]
            if around:
                owner = max(around, key=lambda b: b[0])[2]  # the innermost
                suites.add(owner)
                members.setdefault(owner, set()).add(name)
    return functions, suites, members


# ---------------------------------------------------------------------------------------------
# C tests: a section is a function defined in the test's files and run by its main()


def blank_c(text):
    """The source without comments and string/character literals."""
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.DOTALL)
    return pattern.sub(lambda m: " " if m.group(0).startswith("/") else '""', text)


def c_sources(test):
    """The .c files of a C test named in the README, or [] when there is none."""
    single = os.path.join(ROOT, "Tests", "abi", test + ".c")
    if os.path.isfile(single):
        return [single]
    stem = test[: -len("_abi_test")] if test.endswith("_abi_test") else test
    return sorted(glob.glob(os.path.join(ROOT, "Tests", "abi", stem, "*.c")))


def c_section_problem(test, section, sources):
    code = "\n".join(blank_c(open(p, encoding="utf-8").read()) for p in sources)
    definition = re.compile(r"^[ \t]*(?:(?:static|inline|extern)\s+)*" + IDENT + r"[\s*]+" + re.escape(section) +
                            r"\s*\([^;{}]*\)\s*\{", re.MULTILINE)
    if not definition.search(code):
        return f"no function {section}() defined in {test}'s files"
    main = re.search(r"^[ \t]*int\s+main\s*\([^;{}]*\)\s*\{", code, re.MULTILINE)
    if main is None:
        return f"no main() in {test}'s files"
    body = code[main.end() - 1: matching_brace(code, main.end() - 1) + 1]
    if not re.search(r"\b" + re.escape(section) + r"\s*\(", body):
        return f"{section}() is not a section: {test}'s main() does not run it"
    return None


# ---------------------------------------------------------------------------------------------


def problem(kind, name, detail, swift):
    functions, suites, members = swift
    if kind == "swift":
        suite, function = detail
        if function is None:
            return None if name in functions or name in suites else f"no @Test func or suite {name} in Tests/WasixNetTests"
        if suite not in suites:
            return f"no suite {suite} in Tests/WasixNetTests"
        return None if function in members.get(suite, ()) else f"suite {suite} has no @Test func {function}"
    if kind == "c test":
        return None if c_sources(name) else f"no C test {name} in Tests/abi"
    if kind == "c section":
        sources = c_sources(name)
        return c_section_problem(name, detail, sources) if sources else f"no C test {name} in Tests/abi"
    if kind == "fuzz target":
        folder = os.path.join(ROOT, "Fuzz", name)
        has_source = any(glob.glob(os.path.join(folder, "*." + ext)) for ext in ("swift", "c", "cpp"))
        return None if re.fullmatch(r"[A-Za-z0-9_-]+", name) and has_source else f"no fuzz target Fuzz/{name}/"
    if kind == "example":
        return None if os.path.isdir(os.path.join(ROOT, name)) else f"no example folder {name}/"
    if kind == "guests":
        folder = os.path.join("examples", name + "-host", "guests")
        return None if os.path.isdir(os.path.join(ROOT, folder)) else f"no guests folder {folder}/"
    return f"\"{name}\" is not a test name this checker knows how to find"


def label(kind, name, detail):
    if kind == "c section":
        return f"`{name}` {detail}"
    if kind == "fuzz target":
        return f"fuzz {name}"
    if kind == "guests":
        return f"the {name} guests"
    return name


def main(argv):
    readme = argv[1] if len(argv) > 1 else os.path.join(ROOT, "README.md")
    rows = read_table(readme)
    swift = swift_index(os.path.join(ROOT, "Tests", "WasixNetTests"))
    names, missing = 0, 0
    for line, row, cell in rows:
        refs = references(cell)
        if not refs:
            print(f"{readme}:{line}: row \"{row}\": names no test")
            missing += 1
        for kind, name, detail in refs:
            names += 1
            why = problem(kind, name, detail, swift)
            if why:
                missing += 1
                print(f"{readme}:{line}: missing {label(kind, name, detail)}: {why}\n    row: \"{row}\"")
    if missing:
        print(f"readme tests FAILED: {missing} of {names} names missing in {len(rows)} rows")
        return 1
    print(f"readme tests OK: {names} names in {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
