#!/bin/sh
# install-wheel.sh PREFIX VERSION: installs the wasmtime wheel of that version into PREFIX (a
# project-local folder), unless it is already there. The wheel carries wasmtime's C API as one
# shared library, PREFIX/wasmtime/linux-<arch>/_libwasmtime.so, and the ctypes bindings that
# check_bindings.py compares wasmtime_min.h with. Only PyPI is reached, through pip.
#
# Exit status: 0 installed; 77 the wheel cannot be installed here (no python3 or pip, PyPI out of
# reach, no wheel for this platform), and the caller skips the example, saying why; anything
# else is a failure.
set -u
prefix=$1
version=$2
lib="$prefix/wasmtime/linux-$(uname -m)/_libwasmtime.so"

[ -f "$lib" ] && exit 0

cannot() {
    echo "wasmtime $version cannot be installed here: $*" >&2
    rm -rf "$prefix.partial"
    exit 77
}
command -v python3 >/dev/null 2>&1 || cannot "no python3"
python3 -m pip --version >/dev/null 2>&1 || cannot "python3 has no pip"

# Into a scratch folder first, so that an interrupted install never looks complete.
rm -rf "$prefix.partial"
echo "installing the wasmtime $version wheel into $prefix"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --target "$prefix.partial" "wasmtime==$version" ||
    cannot "pip could not fetch or install wasmtime==$version"
[ -f "$prefix.partial/wasmtime/linux-$(uname -m)/_libwasmtime.so" ] ||
    cannot "its wheel has no C library for linux-$(uname -m)"
rm -rf "$prefix"
mv "$prefix.partial" "$prefix"
