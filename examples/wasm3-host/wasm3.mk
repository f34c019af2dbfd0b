# examples/wasm3-host/wasm3.mk: a second runtime, the wasm3 interpreter (pure C), running the
# wasmtime host's guests; included by the main Makefile after examples/examples.mk.
#   make examples-wasm3-test   build wasm3 and the host from the installed library, run the guests
#                              and the must-fail guests, checked
#   make demo-wasm3            the same guests, as a story
# Uses the main Makefile's PREFIX, LIBDIR, PKG, OUT, CC, CFLAGS_TEST and its targets deps, install;
# examples.mk's EXAMPLES_OUT, RUN_INSTALLED, EXAMPLES_MAKE, WASMTIME_GUESTS, EXAMPLES_COMMON_* and
# the rules that build those guests (and `wabt`).

# wasm3's C sources come from ONE pinned sdist, pywasm3's, which carries them in its wasm3/
# folder; they are compiled here with the flags of that sdist's setup.py.
WASM3_VERSION := 0.5.0
WASM3_SDIST_SHA256 := 5a47c8a39f7f6ae71b3316b2e5d86c9d0db6e771a65f09a86e4d4aa3a19aefcc
WASM3_PREFIX := $(CURDIR)/_wheels/pywasm3-$(WASM3_VERSION)
WASM3_SRC := $(WASM3_PREFIX)/wasm3
WASM3_SOURCES := $(addprefix $(WASM3_SRC)/,m3_bind.c m3_code.c m3_compile.c m3_core.c m3_emit.c m3_env.c m3_exec.c \
  m3_function.c m3_info.c m3_module.c m3_parse.c)
WASM3_BUILD := $(OUT)/wasm3-$(WASM3_VERSION)
WASM3_LIB := $(WASM3_BUILD)/libm3.a
# setup.py's extra_compile_args: wasm3's DEBUG build without its asserts, which gives fuller trap
# messages and leaves its logging off (m3_config.h); d_m3RecordBacktraces gives the host a trap's
# wasm call stack. No warnings asked for: wasm3's code is not ours to hold to -Werror.
WASM3_CFLAGS := -g0 -O3 -fomit-frame-pointer -fno-stack-check -fno-stack-protector -DDEBUG -DNASSERTS \
  -Dd_m3RecordBacktraces=1

WASM3_HOST_DIR := examples/wasm3-host
WASM3_HOST := $(EXAMPLES_OUT)/wasixnet-wasm3-host
WASM3_HOST_BUILD := $(EXAMPLES_OUT)/wasm3-host
# This host's wasm3 parts, then examples/common/, which the wasmtime host builds too: the UDP
# session, and story.c, which prints each port call as both hosts do.
WASM3_HOST_OBJECTS := $(addprefix $(WASM3_HOST_BUILD)/,host.o udp.o) \
  $(patsubst $(EXAMPLES_COMMON_DIR)/%.c,$(WASM3_HOST_BUILD)/common/%.o,$(EXAMPLES_COMMON_SOURCES))
WASM3_HOST_HEADERS := $(WASM3_HOST_DIR)/host.h $(EXAMPLES_COMMON_HEADERS)
# The wasmtime host's guests, then this host's own: memory.grow between port calls.
WASM3_GUESTS := $(WASMTIME_GUESTS) $(patsubst $(WASM3_HOST_DIR)/guests/%.wat,$(EXAMPLES_OUT)/wasm3-guests/%.wasm,\
  $(sort $(wildcard $(WASM3_HOST_DIR)/guests/*.wat)))
# Guests the host must fail, each with the line it must say why in (its `;; expect:` comment).
WASM3_MUST_FAIL := $(patsubst $(WASM3_HOST_DIR)/must-fail/%.wat,$(EXAMPLES_OUT)/wasm3-must-fail/%.wasm,\
  $(sort $(wildcard $(WASM3_HOST_DIR)/must-fail/*.wat)))

.PHONY: examples-wasm3-test demo-wasm3 wasm3-host-test wasm3-host-story

# Skips, saying so, only when the sdist cannot be had; every other failure fails.
examples-wasm3-test: deps install
	@$(call wasm3_or_skip,wasm3-host-test)

demo-wasm3: deps install
	@$(call wasm3_or_skip,wasm3-host-story)

define wasm3_or_skip
status=0; sh $(WASM3_HOST_DIR)/install-sdist.sh $(WASM3_PREFIX) $(WASM3_VERSION) $(WASM3_SDIST_SHA256) || status=$$?; \
case $$status in \
  0) $(EXAMPLES_MAKE) $(1) ;; \
  77) echo "SKIPPED examples/wasm3-host: the pywasm3 $(WASM3_VERSION) sdist cannot be had (above); NOT a pass"; \
      mkdir -p $(EXAMPLES_OUT); echo "pywasm3 sdist unavailable" > $(EXAMPLES_OUT)/wasm3-host.skipped ;; \
  *) exit $$status ;; \
esac
endef

# Run by the second make, with the sources in place. Every guest must run to the end and the host
# must say so for all of them; then every must-fail guest must fail, for the reason it expects.
wasm3-host-test: $(WASM3_HOST) $(WASM3_GUESTS) $(WASM3_MUST_FAIL)
	@rm -f $(EXAMPLES_OUT)/wasm3-host.skipped
	$(RUN_INSTALLED) $(WASM3_HOST) $(WASM3_GUESTS) > $(EXAMPLES_OUT)/wasm3-host.out || \
	  { tail -n 20 $(EXAMPLES_OUT)/wasm3-host.out; echo "wasm3 host FAILED (above)"; exit 1; }
	@out=$(EXAMPLES_OUT)/wasm3-host.out; guests=$(words $(WASM3_GUESTS)); \
	ran=$$(grep -c '^host: .* ran to the end' $$out || true); \
	if [ "$$ran" != "$$guests" ] || [ "$$(tail -n 1 $$out)" != "wasm3 host OK: $$guests guests" ]; then \
	  echo "wasm3 host: $$ran of $$guests guests ran to the end, and it ended: $$(tail -n 1 $$out)"; exit 1; fi; \
	grep -E '^host: .* ran to the end|datagrams the guest sent arrived|the guest received .* back|stale high half|memory moved' $$out
	@for guest in $(WASM3_MUST_FAIL); do \
	  wat=$(WASM3_HOST_DIR)/must-fail/$$(basename $$guest .wasm).wat; expect=$$(sed -n 's/^;; expect: //p' $$wat); \
	  if $(RUN_INSTALLED) $(WASM3_HOST) $$guest > $$guest.out 2>&1; then \
	    echo "wasm3 host: $$wat ran to the end, but it must fail"; exit 1; fi; \
	  if [ -z "$$expect" ] || ! grep -qF "$$expect" $$guest.out; then \
	    cat $$guest.out; echo "wasm3 host: $$wat failed, but not with: $${expect:-<no ;; expect: line>}"; exit 1; fi; \
	  echo "must fail: $$(basename $$wat) failed as it must: $$expect"; \
	done
	@tail -n 1 $(EXAMPLES_OUT)/wasm3-host.out

wasm3-host-story: $(WASM3_HOST) $(WASM3_GUESTS)
	@cd $(EXAMPLES_OUT) && $(RUN_INSTALLED) ./$(notdir $(WASM3_HOST)) $(patsubst $(EXAMPLES_OUT)/%,%,$(WASM3_GUESTS))

# Our code under -Werror, wasm3's header from -isystem, as the library it is; the common files
# need no wasm3.
$(WASM3_HOST): $(WASM3_HOST_OBJECTS) $(WASM3_LIB) $(LIBDIR)/pkgconfig/wasixnet.pc
	$(CC) $(CFLAGS_TEST) $(WASM3_HOST_OBJECTS) $(WASM3_LIB) $$($(PKG) --libs wasixnet) -lm -o $@

$(WASM3_HOST_BUILD)/%.o: $(WASM3_HOST_DIR)/%.c $(WASM3_HOST_HEADERS) $(LIBDIR)/pkgconfig/wasixnet.pc
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) -isystem $(WASM3_SRC) $$($(PKG) --cflags wasixnet) -c $< -o $@

$(WASM3_HOST_BUILD)/common/%.o: $(EXAMPLES_COMMON_DIR)/%.c $(EXAMPLES_COMMON_HEADERS) $(LIBDIR)/pkgconfig/wasixnet.pc
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_TEST) $$($(PKG) --cflags wasixnet) -c $< -o $@

# wasm3 itself: one object per source, then one archive. The sources keep the sdist's times, so
# nothing is rebuilt until the pin or these flags change.
$(WASM3_LIB): $(patsubst $(WASM3_SRC)/%.c,$(WASM3_BUILD)/%.o,$(WASM3_SOURCES))
	rm -f $@
	$(AR) rcs $@ $^

$(WASM3_BUILD)/%.o: $(WASM3_SRC)/%.c $(wildcard $(WASM3_SRC)/*.h) $(WASM3_HOST_DIR)/wasm3.mk
	@mkdir -p $(@D)
	$(CC) $(WASM3_CFLAGS) -c $< -o $@

$(EXAMPLES_OUT)/wasm3-guests/%.wasm: $(WASM3_HOST_DIR)/guests/%.wat | wabt
	@mkdir -p $(@D)
	wat2wasm $< -o $@

$(EXAMPLES_OUT)/wasm3-must-fail/%.wasm: $(WASM3_HOST_DIR)/must-fail/%.wat | wabt
	@mkdir -p $(@D)
	wat2wasm $< -o $@
