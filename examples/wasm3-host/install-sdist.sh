#!/bin/sh
# install-sdist.sh PREFIX VERSION SHA256: puts wasm3's C sources, as the pywasm3 sdist of that
# version carries them, into PREFIX/wasm3 (a project-local folder), unless they are already there.
# The sdist must have that sha256: pip checks it before it runs anything of the sdist's (pip
# prepares an sdist's metadata by running its setup.py), and this script checks it again on the
# file it unpacks. Only PyPI is reached, through pip. wasm3.mk compiles the sources itself.
#
# Exit status: 0 in place; 77 the sdist cannot be had here (no python3 or pip, PyPI out of reach),
# and the caller skips the example, saying why; anything else is a failure, a sha256 that differs
# from the pinned one included: that is a changed or damaged file, never a reason to skip.
set -u
prefix=$1
version=$2
sha256=$3
sdist="pywasm3-$version.tar.gz"

[ -f "$prefix/wasm3/wasm3.h" ] && exit 0

scratch="$prefix.partial"
cannot() {
    echo "pywasm3 $version cannot be had here: $*" >&2
    rm -rf "$scratch"
    exit 77
}
fail() {
    echo "pywasm3 $version: $*" >&2
    rm -rf "$scratch"
    exit 1
}
command -v python3 >/dev/null 2>&1 || cannot "no python3"
python3 -m pip --version >/dev/null 2>&1 || cannot "python3 has no pip"
command -v sha256sum >/dev/null 2>&1 || fail "no sha256sum to check the sdist with"

# Into a scratch folder first, so that an interrupted install never looks complete.
rm -rf "$scratch"
mkdir -p "$scratch/download" || fail "cannot make $scratch"
echo "fetching the pywasm3 $version sdist (wasm3's C sources) into $prefix"
echo "pywasm3==$version --hash=sha256:$sha256" > "$scratch/requirements.txt"
if ! python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
        --require-hashes -r "$scratch/requirements.txt" -d "$scratch/download" 2>"$scratch/pip.log"; then
    cat "$scratch/pip.log" >&2
    grep -q "DO NOT MATCH THE HASHES" "$scratch/pip.log" && fail "PyPI's sdist is not the pinned one (sha256 $sha256)"
    cannot "pip could not fetch pywasm3==$version"
fi

got=$(sha256sum "$scratch/download/$sdist" 2>/dev/null | cut -d' ' -f1)
[ "$got" = "$sha256" ] || fail "$sdist has sha256 ${got:-<no file>}, pinned $sha256"

# Only wasm3's own sources, and its licence beside them.
tar -xzf "$scratch/download/$sdist" -C "$scratch" "pywasm3-$version/wasm3" "pywasm3-$version/LICENSE" ||
    fail "cannot unpack $sdist"
mv "$scratch/pywasm3-$version/wasm3" "$scratch/pywasm3-$version/LICENSE" "$scratch/" || fail "cannot lay out $scratch"
rm -rf "$scratch/download" "$scratch/pywasm3-$version" "$scratch/requirements.txt" "$scratch/pip.log"
[ -f "$scratch/wasm3/wasm3.h" ] || fail "$sdist has no wasm3/wasm3.h"
rm -rf "$prefix"
mv "$scratch" "$prefix"
