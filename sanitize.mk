# sanitize.mk: hostile guests and hard conditions, included by the main Makefile.
#   make fuzz FUZZ_SECONDS=N   each libFuzzer target (Fuzz/) for N seconds on its seed corpus
#                              (Fuzz/corpus/<target>) plus what earlier runs found; fails on any
#                              crash and keeps the input in .build-fuzz/crashes/
#   make check-asan            address + undefined-behaviour sanitizers: the Swift tests (ordinary
#                              Swift), then the C-level ABI tests (Tests/abi/ffi/, udp_abi_test.c)
#                              against the shipped Embedded build of libwasixnet.so compiled with
#                              ASan (Swift) and ASan + UBSan (its C files), from hosts built with the
#                              toolchain's clang
#   make check-tsan            thread sanitizer on the suite Concurrent (Swift Testing), no
#                              suppressions
#   make test-hostile          a bounded pass of all three, for `make test` in CI
# Uses the main Makefile's SWIFT, SWIFT_CLANG, OUT, CFLAGS_TEST, SO_NAME and its target deps.
# Each sanitizer builds in its own scratch path (.build-fuzz, .build-asan, .build-tsan,
# .build-embedded-asan).

FUZZ_SECONDS ?= 10
# test-hostile's per-target fuzzing time.
HOSTILE_FUZZ_SECONDS ?= 25
FUZZ_TARGETS := FuzzGuestPortCalls FuzzRouteTable FuzzGuestDatagramList FuzzGuestDatagramReceive
FUZZ_SCRATCH := $(CURDIR)/.build-fuzz
ASAN_SCRATCH := $(CURDIR)/.build-asan
TSAN_SCRATCH := $(CURDIR)/.build-tsan
HOSTILE_OUT := $(OUT)/hostile
# The Swift backtracer would catch the fatal signal first: no crash file, no sanitizer report.
SANITIZER_ENV := SWIFT_BACKTRACE=enable=no
# Swift traps and C UB both stop the run; UBSan findings are fatal, not warnings.
ASAN_ENV := $(SANITIZER_ENV) ASAN_OPTIONS=abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One -sanitize= for the Swift frontend (SwiftPM hands two --sanitize flags to it in no fixed
# order, and the last one wins); UBSan for the C targets through -Xcc.
SWIFT_ASAN := --sanitize=address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
SWIFT_FUZZ := -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
# The library as it ships (Embedded Swift, built by the main Makefile's rules), instrumented: the
# Swift modules with ASan, the C files with ASan + UBSan. No -z defs: the __asan_* symbols come
# from the host's runtime.
ASAN_EMBEDDED := $(CURDIR)/.build-embedded-asan
ASAN_LIBRARY_MAKE := $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) EMBEDDED=$(ASAN_EMBEDDED) \
  SANITIZE_SWIFT=-sanitize=address NO_UNDEFINED= \
  SANITIZE_C="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
ASAN_CC := $(SWIFT_CLANG) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The TSan run: the suite `Concurrent` (Tests/WasixNetTests/Concurrent.swift), in which every suite
# whose tests run threads at once is nested. Chosen by the suite, never by test names.
TSAN_SUITE := WasixNetTests.Concurrent/
# No suppressions: every lock in the core and the tests is a pthread mutex (WasixNet's
# `Locked`), which TSan intercepts, so it sees each hand-over and a report is a real race.
TSAN_ENV := $(SANITIZER_ENV) TSAN_OPTIONS=halt_on_error=0:exitcode=66

.PHONY: fuzz fuzz-build check-asan check-tsan test-hostile

fuzz-build:
	@mkdir -p $(FUZZ_SCRATCH); for target in $(FUZZ_TARGETS); do \
	  $(SWIFT) build $(SWIFT_FUZZ) --scratch-path $(FUZZ_SCRATCH) --product $$target > $(FUZZ_SCRATCH)/build.log 2>&1 \
	    || { grep -v 'Cannot export local symbol' $(FUZZ_SCRATCH)/build.log; exit 1; }; \
	  tail -n 1 $(FUZZ_SCRATCH)/build.log; \
	  readelf -SW $(FUZZ_SCRATCH)/release/$$target | grep -q sancov_cntrs \
	    || { echo "$$target: no coverage instrumentation"; exit 1; }; \
	done

fuzz: fuzz-build
	@mkdir -p $(FUZZ_SCRATCH)/crashes; failed=""; \
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_SCRATCH)/corpus/$$target; \
	  log=$(FUZZ_SCRATCH)/$$target.log; start=$$(date +%s); \
	  if $(SANITIZER_ENV) $(FUZZ_SCRATCH)/release/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=20 -max_len=8192 \
	      -print_final_stats=1 -artifact_prefix=$(FUZZ_SCRATCH)/crashes/$$target- \
	      $(FUZZ_SCRATCH)/corpus/$$target Fuzz/corpus/$$target > $$log 2>&1; then \
	    echo "fuzz $$target: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$') runs in $$(( $$(date +%s) - start )) s, $$(grep -oE 'cov: [0-9]+' $$log | tail -n 1), no crash"; \
	  else \
	    echo "fuzz $$target: FAILED"; grep -E -m 5 -A 12 'ERROR|Fatal error|contract|disagree' $$log || tail -n 40 $$log; \
	    failed="$$failed $$target"; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in$$failed; inputs kept:"; ls -1 $(FUZZ_SCRATCH)/crashes; exit 1; fi

check-asan: deps
	@mkdir -p $(HOSTILE_OUT)
	$(ASAN_ENV) $(SWIFT) test $(SWIFT_ASAN) --disable-xctest --scratch-path $(ASAN_SCRATCH) 2>&1 \
	  | grep -v -e 'Cannot export local symbol' -e ' started\.$$'
	@$(ASAN_LIBRARY_MAKE) build > $(HOSTILE_OUT)/asan-library.log 2>&1 || { cat $(HOSTILE_OUT)/asan-library.log; exit 1; }
	@bin=$(ASAN_EMBEDDED); ln -sf libwasixnet.so $$bin/$(SO_NAME); \
	set -x; \
	$(ASAN_CC) $(CFLAGS_TEST) -Iinclude $(FFI_ABI_TEST_SOURCES) $$(pkg-config --cflags --libs libffi) -ldl \
	  -o $(HOSTILE_OUT)/ffi_abi_test_asan 2> $(HOSTILE_OUT)/cc.log || { cat $(HOSTILE_OUT)/cc.log; exit 1; }; \
	$(ASAN_ENV) $(HOSTILE_OUT)/ffi_abi_test_asan $$bin/$(SO_NAME) | tail -n 3; \
	$(ASAN_CC) $(CFLAGS_TEST) -Iinclude Tests/abi/udp_abi_test.c -L$$bin -lwasixnet -Wl,-rpath,$$bin \
	  -o $(HOSTILE_OUT)/udp_abi_test_asan 2> $(HOSTILE_OUT)/cc.log || { cat $(HOSTILE_OUT)/cc.log; exit 1; }; \
	$(ASAN_ENV) $(HOSTILE_OUT)/udp_abi_test_asan | tail -n 3
	@echo "check-asan: Swift tests and C ABI tests clean under ASan + UBSan"

check-tsan:
	@mkdir -p $(HOSTILE_OUT)
	$(TSAN_ENV) $(SWIFT) test --sanitize=thread --disable-xctest --scratch-path $(TSAN_SCRATCH) --filter '$(TSAN_SUITE)' 2>&1 \
	  | grep -v -e ' started\.$$' | tee $(HOSTILE_OUT)/tsan.log
	@grep -qE 'Test run with [1-9][0-9]* tests? ' $(HOSTILE_OUT)/tsan.log \
	  || { echo "check-tsan: the suite $(TSAN_SUITE) ran no test"; exit 1; }
	@echo "check-tsan: the Concurrent suite clean under TSan"

# The CI pass: every fuzz target for HOSTILE_FUZZ_SECONDS, then both sanitizer suites once (in
# this order without -j).
test-hostile: FUZZ_SECONDS = $(HOSTILE_FUZZ_SECONDS)
test-hostile: fuzz check-asan check-tsan
	@echo "test-hostile: fuzzing ($(HOSTILE_FUZZ_SECONDS) s a target), ASan + UBSan and TSan suites all passed"
