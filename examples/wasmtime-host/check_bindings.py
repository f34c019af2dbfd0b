"""Checks the hand-written wasmtime_min.h against the wheel it is used with.

The wheel ships no C headers, but it does ship `wasmtime/_bindings.py`: ctypes declarations of
every C function and struct, generated from the real headers of that very build. This script
reads wasmtime_min.h and compares, for every declaration in it:
  - functions: the library exports the symbol, and the bindings give it the same return type and
    the same parameter types, in order;
  - function-pointer typedefs: the same signature as the bindings' type of that name, or as the
    parameter the bindings declare where wasmtime.h spells the type inline;
  - every `_Static_assert(sizeof(T) == N` and `offsetof(T, field) == N` line: the ctypes size and
    offset (so the C compiler proves the structs match the asserts, and this proves the asserts);
  - every `#define WASM*_NAME N` constant: the value wasmtime's Python package uses.
It prints one line per mismatch and a summary, and exits 1 on any mismatch.

Usage: PYTHONPATH=<folder the wheel was installed into> python3 check_bindings.py wasmtime_min.h
"""
import ctypes
import re
import sys

from wasmtime import _bindings as bindings
from wasmtime import _ffi as ffi

# C spellings of the scalar types the header uses. ctypes has no pointer-to-char-that-is-a-string
# distinction at this level, so `char *` is POINTER(c_char), as the bindings write it.
SCALARS = {
    "void": None,
    "bool": ctypes.c_bool,
    "char": ctypes.c_char,
    "int": ctypes.c_int,
    "uint8_t": ctypes.c_uint8,
    "uint32_t": ctypes.c_uint32,
    "int32_t": ctypes.c_int32,
    "uint64_t": ctypes.c_uint64,
    "int64_t": ctypes.c_int64,
    "size_t": ctypes.c_size_t,
}

problems = []


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def split_params(params):
    params = params.strip()
    return [] if params in ("", "void") else [p.strip() for p in params.split(",")]


def ctype_of(decl, typedefs):
    """The ctypes type the bindings use for a C declaration such as `const char *name`."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\*", decl.replace("const", " "))
    stars = tokens.count("*")
    words = [t for t in tokens if t != "*"]
    base = words[0]  # `type` or `type name`: the header never uses multi-word types
    if base in typedefs:
        t = typedefs[base]
    elif base in SCALARS:
        t = SCALARS[base]
    else:
        t = getattr(bindings, base, None)
        if t is None:
            raise KeyError(f"type {base} is not in the wheel's bindings")
    if t is None and stars:  # void *
        t, stars = ctypes.c_void_p, stars - 1
    for _ in range(stars):
        t = ctypes.POINTER(t)
    return t


def name(t):
    if t is None:
        return "void"
    if hasattr(t, "_argtypes_"):  # a function-pointer type: spell its signature
        return f"{name(t._restype_)} (*)({', '.join(name(a) for a in t._argtypes_)})"
    return getattr(t, "__name__", repr(t))


def callback_type(ret, params, typedefs):
    """A CFUNCTYPE built from a C signature. ctypes caches CFUNCTYPEs, so two equal signatures
    give the same object. A callback returning a pointer is declared returning c_size_t in the
    bindings (ctypes cannot return pointers from Python callbacks), so the same is done here."""
    restype = ctype_of(ret, typedefs)
    if "*" in ret:
        restype = ctypes.c_size_t
    return ctypes.CFUNCTYPE(restype, *[ctype_of(p, typedefs) for p in split_params(params)])


def check(header_path):
    text = strip_comments(open(header_path).read())
    typedefs = {}
    checked = 0

    for ret, tname, params in re.findall(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", text):
        typedefs[tname] = callback_type(ret, params, typedefs)
        theirs = getattr(bindings, tname, None)
        if theirs is not None:  # else: checked where it is used as a parameter
            checked += 1
            if theirs is not typedefs[tname]:
                problems.append(f"typedef {tname}: bindings have {theirs._restype_} {theirs._argtypes_}")

    for ret, fname, params in re.findall(r"^\s*([A-Za-z_][\w\s\*]*?[\s\*])(wasm\w+)\s*\(([^;{]*)\)\s*;", text, re.M):
        checked += 1
        if ret.strip().startswith("typedef"):
            continue
        theirs = getattr(bindings, "_" + fname, None)
        if theirs is None or not hasattr(bindings.dll, fname):
            problems.append(f"{fname}: not in the wheel's library or bindings")
            continue
        mine_ret = ctype_of(ret, typedefs)
        if mine_ret is not theirs.restype:
            problems.append(f"{fname}: returns {name(mine_ret)}, bindings say {name(theirs.restype)}")
        mine = [ctype_of(p, typedefs) for p in split_params(params)]
        if len(mine) != len(theirs.argtypes):
            problems.append(f"{fname}: {len(mine)} parameters, bindings say {len(theirs.argtypes)}")
            continue
        for i, (a, b) in enumerate(zip(mine, theirs.argtypes)):
            if a is not b:
                problems.append(f"{fname}: parameter {i + 1} is {name(a)}, bindings say {name(b)}")

    for tname, size in re.findall(r"_Static_assert\(sizeof\((\w+)\)\s*==\s*(\d+)", text):
        checked += 1
        got = ctypes.sizeof(getattr(bindings, tname))
        if got != int(size):
            problems.append(f"sizeof({tname}) is {size} here, {got} in the bindings")
    for tname, field, off in re.findall(r"_Static_assert\(offsetof\((\w+),\s*(\w+)\)\s*==\s*(\d+)", text):
        checked += 1
        got = getattr(getattr(bindings, tname), field).offset
        if got != int(off):
            problems.append(f"offsetof({tname}, {field}) is {off} here, {got} in the bindings")

    for const, value in re.findall(r"#define\s+(WASM\w+)\s+(\d+)\s*$", text, re.M):
        checked += 1
        theirs = getattr(ffi, const, None)
        if theirs is None or theirs.value != int(value):
            problems.append(f"{const} is {value} here, {theirs} in the bindings")

    return checked


if __name__ == "__main__":
    n = check(sys.argv[1])
    for p in problems:
        print("MISMATCH", p)
    if problems:
        print(f"{sys.argv[1]}: {len(problems)} of {n} declarations differ from the wheel's bindings")
        sys.exit(1)
    print(f"{sys.argv[1]}: all {n} declarations match the wheel's bindings")
