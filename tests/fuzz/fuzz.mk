# tests/fuzz/fuzz.mk — the fuzzing targets (included by the Makefile; see
# tests/fuzz/README.md).
#
#   make fuzz            build every harness with clang, libFuzzer, ASan and
#                        UBSan (in $(BUILD)/fuzz-clang/), run each for
#                        FUZZ_SECONDS on a scratch copy of its corpus, merge
#                        what found new coverage back into tests/fuzz/corpus/
#                        and copy any crash input to tests/fuzz/crashes/
#   make fuzz-replay     every corpus and crash input through every harness,
#                        built with the normal CC and CFLAGS (no libFuzzer);
#                        part of `make test`
#   make fuzz-cmin       minimise the committed corpora (-merge=1 into empty
#                        folders), after long runs
#
# FUZZ_SECONDS=60 per harness, FUZZ_ONLY="wav onnx" picks harnesses,
# FUZZ_JOBS=1 harnesses at once, FUZZ_CC/FUZZ_CXX (clang, clang++).

FUZZ_NAMES     = $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_ONLY     ?= $(FUZZ_NAMES)
FUZZ_SECONDS  ?= 60
FUZZ_JOBS     ?= 1
FUZZ_CC       ?= clang
FUZZ_CXX      ?= clang++
FUZZ_BUILD    ?= $(BUILD)/fuzz-clang
FUZZ_SAN       = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_REPLAY_BIN = $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay-%)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-cmin

# The replay: each harness with tests/fuzz/replay.c's main(), whatever CC
# and CFLAGS are (build-asan/ under make sanitize).
$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(BUILD)/libsmartoffice.a $(LDLIBS) $(LDFLAGS)

# The libFuzzer binary of a harness (built by the sub-make of fuzz-build,
# where CC is clang and CFLAGS carry the sanitizers).  Linked by the C++
# driver: the OpenCV wrapper needs UBSan's and ASan's C++ runtimes.
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@.o tests/fuzz/fuzz_$*.c
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer -o $@ $@.o $(BUILD)/libsmartoffice.a $(LDLIBS)

fuzz-replay: $(FUZZ_REPLAY_BIN)
	@BUILD=$(BUILD) tests/fuzz/run-replay

# make test replays the corpora (tests/run-all runs tests/fuzz/run-replay).
test: $(FUZZ_REPLAY_BIN)

fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is missing: apt-get install clang libclang-rt-14-dev" >&2; exit 1; }
	@echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' | \
	  $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null || \
	  { echo "fuzz: $(FUZZ_CC) has no libFuzzer runtime: apt-get install libclang-rt-14-dev" >&2; exit 1; }
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" CXXFLAGS="-O1 -g $(FUZZ_SAN)" \
	  LDFLAGS="$(FUZZ_SAN)" $(FUZZ_ONLY:%=$(FUZZ_BUILD)/fuzz/fuzz-%)

fuzz: fuzz-build
	@FUZZ_BIN=$(FUZZ_BUILD)/fuzz FUZZ_WORK=$(FUZZ_BUILD)/work FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run-fuzz $(FUZZ_ONLY)

fuzz-cmin: fuzz-build
	@FUZZ_BIN=$(FUZZ_BUILD)/fuzz FUZZ_WORK=$(FUZZ_BUILD)/work tests/fuzz/run-fuzz --cmin $(FUZZ_ONLY)
