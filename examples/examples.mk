# examples/examples.mk: the C++, dlopen and wasmtime examples, included by the main Makefile.
#   make examples-test   build each example from the installed library and run it, checked
#   make demo-runtime    the wasmtime host running the WebAssembly guests, as a story
# Uses the main Makefile's PREFIX, LIBDIR, PKG, OUT, CC, CFLAGS_TEST and its targets deps, install.

EXAMPLES_OUT := $(OUT)/examples
CXXFLAGS_TEST := -std=c++17 -O2 -g -Wall -Wextra -Werror
# As test-examples runs examples/c: only the installed library in reach, no Swift toolchain.
RUN_INSTALLED := env -i LD_LIBRARY_PATH=$(LIBDIR)
DLOPEN_CYCLES ?= 1000

# One pinned wheel: wasmtime_min.h declares its C API and check_bindings.py holds it to that.
WASMTIME_VERSION := 50.0.1
WASMTIME_PREFIX := $(CURDIR)/_wheels/wasmtime-$(WASMTIME_VERSION)
WASMTIME_LIBDIR := $(WASMTIME_PREFIX)/wasmtime/linux-$(shell uname -m)
WASMTIME_HOST_DIR := examples/wasmtime-host
# What both hosts (this one and examples/wasm3-host) build unchanged: no runtime in it.
EXAMPLES_COMMON_DIR := examples/common
EXAMPLES_COMMON_SOURCES := $(addprefix $(EXAMPLES_COMMON_DIR)/,demo.c story.c udp_session.c)
EXAMPLES_COMMON_HEADERS := $(addprefix $(EXAMPLES_COMMON_DIR)/,demo.h story.h udp_session.h)
WASMTIME_HOST := $(EXAMPLES_OUT)/wasixnet-host
# Every guest, WAT or C, as the .wasm the host runs, in name order.
WASMTIME_GUESTS := $(sort $(patsubst $(WASMTIME_HOST_DIR)/guests/%,$(EXAMPLES_OUT)/guests/%.wasm,\
  $(basename $(wildcard $(WASMTIME_HOST_DIR)/guests/*.wat $(WASMTIME_HOST_DIR)/guests/*.c))))
# C guests: the Swift toolchain's clang targets wasm32 and finds wasm-ld beside it. No libc: a
# guest declares its imports and exports (export_name) itself; -mbulk-memory makes memset and
# memcpy the memory.fill / memory.copy instructions.
WASM_CC ?= $(SWIFT_CLANG)
WASM_CFLAGS := --target=wasm32 -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -mbulk-memory -nostdlib \
  -Wl,--no-entry
# The top makefile, for the second make that runs once the wheel is known to be there.
EXAMPLES_MAKE := $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST))

.PHONY: examples-test examples-cpp-test examples-dlopen-test examples-wasmtime-test demo-runtime \
  wabt wasm-cc wasmtime-host-test wasmtime-host-story

examples-test: examples-cpp-test examples-dlopen-test examples-wasmtime-test

examples-cpp-test: deps install
	@mkdir -p $(EXAMPLES_OUT)
	$(CXX) $(CXXFLAGS_TEST) examples/cpp/main.cpp $$($(PKG) --cflags --libs wasixnet) -o $(EXAMPLES_OUT)/example_cpp
	$(RUN_INSTALLED) $(EXAMPLES_OUT)/example_cpp > $(EXAMPLES_OUT)/example_cpp.out
	@tail -n 1 $(EXAMPLES_OUT)/example_cpp.out

# The plugin route: the header from pkg-config, the library by path at run time, no -lwasixnet.
examples-dlopen-test: deps install
	@mkdir -p $(EXAMPLES_OUT)
	$(CC) $(CFLAGS_TEST) examples/dlopen/main.c $$($(PKG) --cflags wasixnet) -ldl -o $(EXAMPLES_OUT)/example_dlopen
	env -i $(EXAMPLES_OUT)/example_dlopen $(LIBDIR)/libwasixnet.so.0 $(DLOPEN_CYCLES) > $(EXAMPLES_OUT)/example_dlopen.out
	@tail -n 2 $(EXAMPLES_OUT)/example_dlopen.out

# Skips, saying so, only when the wheel cannot be installed; every other failure fails.
examples-wasmtime-test: deps install
	@$(call wasmtime_or_skip,wasmtime-host-test)

demo-runtime: deps install
	@$(call wasmtime_or_skip,wasmtime-host-story)

define wasmtime_or_skip
status=0; sh $(WASMTIME_HOST_DIR)/install-wheel.sh $(WASMTIME_PREFIX) $(WASMTIME_VERSION) || status=$$?; \
case $$status in \
  0) $(EXAMPLES_MAKE) $(1) ;; \
  77) echo "SKIPPED examples/wasmtime-host: the wasmtime $(WASMTIME_VERSION) wheel cannot be installed (above); NOT a pass"; \
      mkdir -p $(EXAMPLES_OUT); echo "wasmtime wheel unavailable" > $(EXAMPLES_OUT)/wasmtime-host.skipped ;; \
  *) exit $$status ;; \
esac
endef

# Run by the second make, with the wheel installed.
wasmtime-host-test: $(WASMTIME_HOST) $(WASMTIME_GUESTS)
	@rm -f $(EXAMPLES_OUT)/wasmtime-host.skipped
	$(RUN_INSTALLED) $(WASMTIME_HOST) $(WASMTIME_GUESTS) > $(EXAMPLES_OUT)/wasmtime-host.out
	@grep -E '^host: .* ran to the end|datagrams the guest sent arrived|the guest received .* back' $(EXAMPLES_OUT)/wasmtime-host.out
	@tail -n 1 $(EXAMPLES_OUT)/wasmtime-host.out

wasmtime-host-story: $(WASMTIME_HOST) $(WASMTIME_GUESTS)
	@cd $(EXAMPLES_OUT) && $(RUN_INSTALLED) ./wasixnet-host $(patsubst $(EXAMPLES_OUT)/%,%,$(WASMTIME_GUESTS))

# The hand-written declarations are checked against this wheel's bindings before every build.
$(WASMTIME_HOST): $(addprefix $(WASMTIME_HOST_DIR)/,host.c udp.c host.h wasmtime_min.h) \
    $(EXAMPLES_COMMON_SOURCES) $(EXAMPLES_COMMON_HEADERS) $(LIBDIR)/pkgconfig/wasixnet.pc
	@mkdir -p $(@D)
	PYTHONPATH=$(WASMTIME_PREFIX) python3 $(WASMTIME_HOST_DIR)/check_bindings.py $(WASMTIME_HOST_DIR)/wasmtime_min.h
	$(CC) $(CFLAGS_TEST) $(addprefix $(WASMTIME_HOST_DIR)/,host.c udp.c) $(EXAMPLES_COMMON_SOURCES) \
	  $$($(PKG) --cflags --libs wasixnet) \
	  -L$(WASMTIME_LIBDIR) -l:_libwasmtime.so -Wl,-rpath,$(WASMTIME_LIBDIR) -o $@

# WAT guests are assembled by Debian's wabt, installed when missing and we are root; C guests
# are compiled by $(WASM_CC).
$(EXAMPLES_OUT)/guests/%.wasm: $(WASMTIME_HOST_DIR)/guests/%.wat | wabt
	@mkdir -p $(@D)
	wat2wasm $< -o $@

$(EXAMPLES_OUT)/guests/%.wasm: $(WASMTIME_HOST_DIR)/guests/%.c | wasm-cc
	@mkdir -p $(@D)
	$(WASM_CC) $(WASM_CFLAGS) $< -o $@

wasm-cc:
	@command -v $(WASM_CC) >/dev/null || { \
	  echo "no clang for the C guests ($(WASM_CC)): set WASM_CC to a clang that targets wasm32, with wasm-ld"; exit 1; }

wabt:
	@command -v wat2wasm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing: wabt"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wabt >/dev/null; \
	  else echo "missing package: wabt (run as root, or install it)"; exit 1; fi; }
