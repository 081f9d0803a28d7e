# smartofficed — plain Makefile.  `make help` lists the targets.
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR     = $(PREFIX)/bin
DATADIR    = $(PREFIX)/share/smartoffice
MANDIR     = $(PREFIX)/share/man
SYSCONFDIR ?= /etc

CC      ?= cc
CXX     ?= c++
PKGS     = pocketsphinx libwebsockets jansson portaudio-2.0 espeak-ng libcrypto libqrencode \
           libmosquitto libevdev libgpiod libsystemd openblas alsa
# OpenCV is C++: only the wrapper (devices/*.cpp) sees its headers.
CV_PKGS  = opencv4
CFLAGS  ?= -O2 -g
override CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -pthread \
           -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           -DSO_DATADIR='"$(DATADIR)"'
CXXFLAGS ?= -O2 -g
override CXXFLAGS += -std=c++17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -pthread -I. \
           $(shell pkg-config --cflags $(CV_PKGS) 2>/dev/null) -DSO_DATADIR='"$(DATADIR)"'
override LDLIBS  += $(shell pkg-config --libs $(PKGS) $(CV_PKGS) 2>/dev/null) -lstdc++ -lm -pthread

BUILD   ?= build
# Every .c under the module folders belongs to the daemon's library, which
# the tests link against; the program's main() (cli/smartofficed.c) alone
# is left out.  Layers, lowest first: base, devices, models, ui-bridge,
# daemon, cli (tests/unit/test_layers.c holds them).
LIB_SRC  = $(sort $(wildcard base/*.c daemon/*.c devices/*.c models/*.c ui-bridge/*.c cli/*.c))
LIB_SRC := $(filter-out cli/smartofficed.c,$(LIB_SRC))
# The OpenCV wrapper: the only C++ in the tree (extern "C" API in devices/cv.h).
CXX_SRC  = $(sort $(wildcard devices/*.cpp))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o) $(CXX_SRC:%.cpp=$(BUILD)/%.o)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
# The training pipeline's C step (models/train/*.c) builds next to them.
TRAIN_SRC = $(sort $(wildcard models/train/*.c))
TOOL_BIN += $(TRAIN_SRC:models/train/%.c=$(BUILD)/tools/%)

.PHONY: all run test unit integration browser bench install uninstall clean deps help sanitize valgrind models models-tiny
all: $(BUILD)/smartofficed $(TOOL_BIN) $(BUILD)/tests/libasound_module_pcm_sotest.so

help:
	@echo "make deps        install missing Debian packages (needs root)"
	@echo "make             build $(BUILD)/smartofficed"
	@echo "make run         deps + build + run the daemon (demo session without a microphone)"
	@echo "make test        deps + build + unit, browser and integration tests"
	@echo "make browser     the browser tests alone (headless Chromium)"
	@echo "make bench       speech, latency, CPU and memory figures"
	@echo "make sanitize    the test suite under ASan/UBSan"
	@echo "make valgrind    the unit tests and one daemon run under valgrind"
	@echo "make fuzz        libFuzzer on every parser (FUZZ_SECONDS each), new coverage kept"
	@echo "make fuzz-replay the fuzz corpora and crash inputs through the parsers (in make test)"
	@echo "make models      train the speech heads into models/heads/ (synthetic voices, ~15 min)"
	@echo "make models-tiny the same pipeline on a tiny recipe, into $(BUILD)/heads-tiny/ (CI)"
	@echo "make install     PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"

deps:
	@tools/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libsmartoffice.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/smartofficed: $(BUILD)/cli/smartofficed.o $(BUILD)/libsmartoffice.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(LDFLAGS)

# Tests and tools also write their dependencies (-MMD), so that a change
# to a shared test header (tests/vision/*.h, ...) rebuilds them.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lcmocka $(LDFLAGS)

# test_clients talks to fake websocket clients: tests/unit/fake_bridge.c defines every
# function of ui-bridge/bridge.h, and linked before the archive it leaves the
# archive's bridge.o out (a member is pulled only for a symbol still undefined),
# so the names never clash.  A bridge function the daemon starts calling that
# the fake lacks pulls bridge.o in and fails the link ("multiple definition").
FAKE_BRIDGE_TESTS = $(BUILD)/tests/test_clients
$(FAKE_BRIDGE_TESTS): $(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/unit/fake_bridge.o $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lcmocka $(LDFLAGS)

# test_mic_alsa captures through the ALSA row from a device with no sound card:
# tests/unit/alsa_test_pcm.c, an alsa-lib plugin its asoundrc loads.
ALSA_TEST_PCM = $(BUILD)/tests/libasound_module_pcm_sotest.so
$(ALSA_TEST_PCM): tests/unit/alsa_test_pcm.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -DPIC -shared -o $@ $< -lasound $(LDFLAGS)
$(BUILD)/tests/test_mic_alsa: $(ALSA_TEST_PCM)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d -MT $@ -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) $(LDFLAGS)

$(BUILD)/tools/%: models/train/%.c $(BUILD)/libsmartoffice.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(LDFLAGS)

# The speech heads: synthesize (espeak-ng, flite), embed (our own forward
# pass, embed-clips), train (PyTorch), write models/heads/ with a manifest.
PY          = /usr/bin/python3
TRAIN_DATA ?= $(BUILD)/train-data
models: deps all
	$(PY) models/train/synth.py --recipe models/train/recipe.json --catalogue models/catalogue.json \
	  --out $(TRAIN_DATA) --jobs 2
	$(PY) models/train/train.py --data $(TRAIN_DATA) --catalogue models/catalogue.json \
	  --out models/heads --embed-clips $(BUILD)/tools/embed-clips --models models/oww

models-tiny: all
	$(PY) models/train/synth.py --recipe models/train/recipe.json --catalogue models/catalogue.json \
	  --out $(BUILD)/train-tiny --jobs 2 --tiny
	$(PY) models/train/train.py --data $(BUILD)/train-tiny --catalogue models/catalogue.json \
	  --out $(BUILD)/heads-tiny --embed-clips $(BUILD)/tools/embed-clips --models models/oww --epochs 4

run: deps all
	$(BUILD)/smartofficed --config smartofficed.conf

# Some unit tests run tools (the clip generator).
unit: $(UNIT_BIN) $(TOOL_BIN)
	@tests/run-unit $(UNIT_BIN)

integration: all
	@BUILD=$(BUILD) tests/run-integration

browser: all
	@BUILD=$(BUILD) tests/browser/run

# Unit, browser and integration tests; one closing "N passed, N failed".
test: deps all $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) tests/run-all $(UNIT_BIN)

bench: deps all
	@BUILD=$(BUILD) tests/bench/run

# ASan runs the daemon 2-4 times slower: each test file gets 900 s, not 300;
# -k: the fuzz corpus is replayed even when a test failed.
sanitize:
	TEST_TIMEOUT=$${TEST_TIMEOUT:-900} LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) -k BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined" unit integration fuzz-replay

valgrind: all $(UNIT_BIN)
	@BUILD=$(BUILD) tests/run-valgrind

# The service (docs/install.md): unit, user, udev rules, in the directories
# systemd and udev read under /usr/local/lib as well as /usr/lib.
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
DOCDIR       ?= $(PREFIX)/share/doc/smartoffice
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/demo $(DESTDIR)$(DATADIR)/blazeface \
	           $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/smartoffice $(DESTDIR)$(UNITDIR) \
	           $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(DATADIR)/udev $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/smartofficed $(DESTDIR)$(BINDIR)/smartofficed
	install -m 0644 models/catalogue.json $(DESTDIR)$(DATADIR)/catalogue.json
	install -m 0644 models/office.json $(DESTDIR)$(DATADIR)/office.json
	rm -rf $(DESTDIR)$(DATADIR)/briefing && cp -R ui-bridge/briefing $(DESTDIR)$(DATADIR)/briefing
	rm -rf $(DESTDIR)$(DATADIR)/web $(DESTDIR)$(DATADIR)/js $(DESTDIR)$(DATADIR)/documents $(DESTDIR)$(DATADIR)/pdfjs $(DESTDIR)$(DATADIR)/mqttjs
	cp -R ui-bridge/web $(DESTDIR)$(DATADIR)/web
	cp -R ui-bridge/js $(DESTDIR)$(DATADIR)/js
	cp -R ui-bridge/documents $(DESTDIR)$(DATADIR)/documents
	rm -f $(DESTDIR)$(DATADIR)/documents/make-demo.mjs
	if [ -d node_modules/pdfjs-dist/build ]; then cp -R node_modules/pdfjs-dist/build $(DESTDIR)$(DATADIR)/pdfjs; fi
	if [ -d node_modules/mqtt/dist ]; then cp -R node_modules/mqtt/dist $(DESTDIR)$(DATADIR)/mqttjs; fi
	install -d $(DESTDIR)$(DATADIR)/oww $(DESTDIR)$(DATADIR)/heads
	install -m 0644 models/oww/melspectrogram.onnx models/oww/embedding_model.onnx $(DESTDIR)$(DATADIR)/oww/
	install -m 0644 models/heads/heads.json models/heads/*.head $(DESTDIR)$(DATADIR)/heads/
	if [ -f models/blazeface/face_detection_front_128x128_barracuda.onnx ]; then \
	  install -m 0644 models/blazeface/* $(DESTDIR)$(DATADIR)/blazeface/; fi
	install -d $(DESTDIR)$(DATADIR)/facerec
	if [ -f models/facerec/face_recognition_model.bin ]; then \
	  install -m 0644 models/facerec/* $(DESTDIR)$(DATADIR)/facerec/; fi
	install -m 0644 devices/demo/session.wav $(DESTDIR)$(DATADIR)/demo/session.wav
	install -m 0644 docs/smartofficed.8 $(DESTDIR)$(MANDIR)/man8/smartofficed.8
	test -e $(DESTDIR)$(SYSCONFDIR)/smartoffice/smartofficed.conf || \
	  install -m 0644 smartofficed.conf $(DESTDIR)$(SYSCONFDIR)/smartoffice/smartofficed.conf
	sed -e 's|/usr/local/bin/smartofficed|$(BINDIR)/smartofficed|' \
	    -e 's|/etc/smartoffice/|$(SYSCONFDIR)/smartoffice/|' \
	    -e 's|file:///usr/local/share/doc/smartoffice/|file://$(DOCDIR)/|' \
	    tools/systemd/smartofficed.service >$(DESTDIR)$(UNITDIR)/smartofficed.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/smartofficed.service
	install -m 0644 tools/systemd/smartoffice.sysusers $(DESTDIR)$(SYSUSERSDIR)/smartoffice.conf
	install -m 0644 udev/70-smartoffice.rules $(DESTDIR)$(UDEVRULESDIR)/70-smartoffice.rules
	install -m 0644 udev/71-smartoffice-devices.rules.in $(DESTDIR)$(DATADIR)/udev/71-smartoffice-devices.rules.in
	install -m 0644 docs/install.md $(DESTDIR)$(DOCDIR)/install.md
	@# On the machine itself (no DESTDIR): the user now, udev and systemd told.
	if [ -z "$(DESTDIR)" ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/smartoffice.conf; \
	  if udevadm control --reload 2>/dev/null; then udevadm trigger --subsystem-match=misc --subsystem-match=gpio || true; fi; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	  echo "installed; start it with: systemctl enable --now smartofficed (docs/install.md)"; \
	fi

uninstall:
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl disable --now smartofficed || true; fi
	rm -f $(DESTDIR)$(BINDIR)/smartofficed $(DESTDIR)$(MANDIR)/man8/smartofficed.8
	rm -f $(DESTDIR)$(UNITDIR)/smartofficed.service $(DESTDIR)$(SYSUSERSDIR)/smartoffice.conf \
	      $(DESTDIR)$(UDEVRULESDIR)/70-smartoffice.rules
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "kept: $(SYSCONFDIR)/smartoffice/ (configuration), /var/lib/smartoffice/ (paired devices, faces)," \
	      "/etc/udev/rules.d/71-smartoffice-devices.rules if made, and the user smartoffice"

clean:
	rm -rf build build-asan

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
