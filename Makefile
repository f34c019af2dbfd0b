# wasixnet: build, install, test, demo, bench.
#   make demo    build, install into ./_install, build examples/c through pkg-config and run it
#                (the port calls, then UDP through a port), then wasmtime running WebAssembly guests
#   make test    every test: Swift core tests, the installed library's exports and header, the
#                libffi ABI tests against the installed .so, UDP on loopback, the examples, and a
#                bounded pass of fuzzing, sanitizers (ASan+UBSan, TSan), stress and fault injection
#   make fuzz FUZZ_SECONDS=N, make check-asan, make check-tsan: those parts on their own
#   make bench   the C benchmark through the public ABI, with its baselines
#   make install PREFIX=/usr/local
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

VERSION := $(shell sed -n 's/^\#define WASIXNET_VERSION_STRING "\(.*\)"/\1/p' include/wasixnet.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
PREFIX ?= $(CURDIR)/_install
LIBDIR := $(PREFIX)/lib
SO_REAL := libwasixnet.so.$(VERSION)
SO_NAME := libwasixnet.so.$(SOVERSION)
PKG := PKG_CONFIG_PATH=$(LIBDIR)/pkgconfig pkg-config

SWIFT ?= swift
SWIFT_CLANG := $(dir $(shell command -v $(SWIFT) 2>/dev/null))clang
SCRATCH := $(CURDIR)/.build-release
OUT := $(CURDIR)/.build-out
CC ?= cc
CFLAGS_TEST := -std=c11 -O2 -g -Wall -Wextra -Werror

# The shipped library: the Swift runtime linked in statically, only wasixnet_* exported, a
# soname, and no undefined symbols left for the loader to find.
SWIFT_RELEASE := -c release --product wasixnet --scratch-path $(SCRATCH) --disable-local-rpath \
  -Xswiftc -static-stdlib \
  -Xlinker --version-script=$(CURDIR)/wasixnet.map \
  -Xlinker -soname=$(SO_NAME) -Xlinker -z -Xlinker defs

include examples/examples.mk
include sanitize.mk

.PHONY: build install deps demo test test-swift check-exports check-header test-abi test-udp-abi test-examples bench clean

# System packages the tests and examples need; installed when missing and we are root.
deps:
	@missing=""; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	pkg-config --exists libffi 2>/dev/null || missing="$$missing libffi-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing packages:$$missing (run as root, or install them)"; exit 1; fi; \
	fi

build:
	$(SWIFT) build $(SWIFT_RELEASE)

install: build
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(SCRATCH)/release/libwasixnet.so $(DESTDIR)$(LIBDIR)/$(SO_REAL)
	strip --strip-unneeded $(DESTDIR)$(LIBDIR)/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libwasixnet.so
	install -m 0644 include/wasixnet.h $(DESTDIR)$(PREFIX)/include/wasixnet.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' pkgconfig/wasixnet.pc.in \
	  > $(DESTDIR)$(LIBDIR)/pkgconfig/wasixnet.pc

# The main job: a C runtime serving a guest's port calls (built through pkg-config), then a real
# runtime, wasmtime, running WebAssembly guests whose imports are wasixnet's.
demo: deps install
	@mkdir -p $(OUT)
	$(CC) -std=c11 -Wall -Wextra -O2 examples/c/main.c $$($(PKG) --cflags --libs wasixnet) -o $(OUT)/example_c
	env -i LD_LIBRARY_PATH=$(LIBDIR) $(OUT)/example_c
	$(CC) -std=c11 -Wall -Wextra -O2 examples/c/udp_demo.c $$($(PKG) --cflags --libs wasixnet) -o $(OUT)/udp_demo_c
	env -i LD_LIBRARY_PATH=$(LIBDIR) $(OUT)/udp_demo_c
	@$(MAKE) --no-print-directory demo-runtime

test: deps test-swift check-exports check-header test-abi test-udp-abi test-examples examples-test test-hostile
	@if [ -f $(OUT)/examples/wasmtime-host.skipped ]; then \
	  echo "make test: all suites passed, but the wasmtime example was SKIPPED (its wheel could not be installed)"; \
	else echo "make test: all suites passed"; fi

test-swift:
	$(SWIFT) test

# The installed .so exports exactly the header's functions, carries no Swift library
# dependency, and has its soname.
check-exports: install
	@so=$(LIBDIR)/$(SO_REAL); \
	exported=$$(nm -D --defined-only $$so | awk '$$2 ~ /^[A-Z]$$/ {print $$3}'); \
	stray=$$(grep -v -E '^(wasixnet_[a-z0-9_]+@@WASIXNET_0|WASIXNET_0)$$' <<<"$$exported" || true); \
	if [ -n "$$stray" ]; then echo "exported beyond wasixnet_*:"; echo "$$stray"; exit 1; fi; \
	declared=$$(grep -oE '\bwasixnet_[a-z0-9_]+\(' include/wasixnet.h | tr -d '(' | sort -u); \
	functions=$$(grep -oE '^wasixnet_[a-z0-9_]+' <<<"$$exported" | sort -u); \
	if [ "$$declared" != "$$functions" ]; then echo "header and exports differ:"; \
	  diff <(echo "$$declared") <(echo "$$functions") || true; exit 1; fi; \
	if ldd $$so | grep -i swift; then echo "$$so needs a Swift library at run time"; exit 1; fi; \
	readelf -d $$so | grep -q "SONAME.*\[$(SO_NAME)\]" || { echo "soname is not $(SO_NAME)"; exit 1; }; \
	echo "exports OK: $$(wc -l <<<"$$functions") wasixnet_* functions, soname $(SO_NAME), no Swift library needed, $$(stat -c %s $$so) bytes stripped"

# The header and the Swift implementation agree on every signature.
check-header: build
	@include=$$($(SWIFT) build $(SWIFT_RELEASE) --show-bin-path)/WasixNetABI.build/include; \
	$(SWIFT_CLANG) -std=c11 -fsyntax-only -Werror -DWASIXNET_HEADER_CHECK -Iinclude -ISources/CWasixNet/include \
	  -I$$include Tests/abi/header_check.c; \
	undeclared=$$(grep -E '^SWIFT_EXTERN ' $$include/WasixNetABI-Swift.h | grep -oE '\bwasixnet_[a-z0-9_]+\(' \
	  | tr -d '(' | while read -r f; do grep -qE "\b$$f\(" include/wasixnet.h || echo $$f; done); \
	if [ -n "$$undeclared" ]; then echo "Swift exports missing from wasixnet.h: $$undeclared"; exit 1; fi; \
	echo "header check OK: wasixnet.h matches WasixNetABI-Swift.h"

# libffi-driven tests of the installed, stripped library, loaded with dlopen.
test-abi: deps install
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS_TEST) -I$(PREFIX)/include Tests/abi/ffi_abi_test.c $$(pkg-config --cflags --libs libffi) -ldl \
	  -o $(OUT)/ffi_abi_test
	env -i $(OUT)/ffi_abi_test $(LIBDIR)/$(SO_NAME)

# The socket calls on the installed library, built through pkg-config: loopback only.
test-udp-abi: deps install
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS_TEST) Tests/abi/udp_abi_test.c $$($(PKG) --cflags --libs wasixnet) -o $(OUT)/udp_abi_test
	env -i LD_LIBRARY_PATH=$(LIBDIR) $(OUT)/udp_abi_test

# The examples, built as a user builds them (pkg-config) and run with no Swift toolchain in reach.
test-examples: deps install
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS_TEST) examples/c/main.c $$($(PKG) --cflags --libs wasixnet) -o $(OUT)/example_c
	@if env -i LD_LIBRARY_PATH=$(LIBDIR) ldd $(OUT)/example_c | grep -i swift; then echo "example links Swift"; exit 1; fi
	env -i LD_LIBRARY_PATH=$(LIBDIR) $(OUT)/example_c > $(OUT)/example_c.out
	@tail -n 1 $(OUT)/example_c.out
	$(CC) $(CFLAGS_TEST) examples/c/udp_demo.c $$($(PKG) --cflags --libs wasixnet) -o $(OUT)/udp_demo_c
	env -i LD_LIBRARY_PATH=$(LIBDIR) $(OUT)/udp_demo_c > $(OUT)/udp_demo_c.out
	@tail -n 1 $(OUT)/udp_demo_c.out

bench: deps install
	@mkdir -p $(OUT)
	$(CC) -O2 -fPIC -shared Benchmarks/cnoop.c -o $(OUT)/libcnoop.so
	$(CC) -std=c11 -O2 -Wall -Wextra Benchmarks/bench.c $$($(PKG) --cflags --libs wasixnet) \
	  -L$(OUT) -lcnoop -Wl,-rpath,$(OUT) -Wl,-rpath,$(LIBDIR) -o $(OUT)/bench
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror Benchmarks/udp_bench.c $$($(PKG) --cflags --libs wasixnet) \
	  -Wl,-rpath,$(LIBDIR) -o $(OUT)/udp_bench
	$(OUT)/bench
	$(OUT)/udp_bench

clean:
	rm -rf $(SCRATCH) $(OUT) $(CURDIR)/_install .build
