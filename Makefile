# rapport: plain GNU make, dependencies through pkg-config.
#
#   make            build build/rapport
#   make chat       install what is missing (as root), build, start a chat
#   make check      install what is missing (as root), build, run every test
#   make check SANITIZE=address,undefined     the same under sanitizers
#   make leakcheck  the conversations and unit tests under valgrind
#   make format     clang-format every C file; make format-check verifies
#   make install / uninstall  (PREFIX, DESTDIR)
#
# Missing Debian packages: when run as root, chat and check install them
# (apt-get update first); otherwise they stop and print the one command.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/rapport
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

CC      ?= cc
BUILD   ?= build
PKGS    := libpcre2-8 yaml-0.1
TOOL_PKGS := sqlite3
SANITIZE ?=

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
ifneq ($(SANITIZE),)
OPT     := -O1 -g -fno-omit-frame-pointer
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
BUILD   := build-san
endif

# Recursive (=) so pkg-config runs after the dependency step.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -lm
RL_CFLAGS  = $(shell pkg-config --cflags readline 2>/dev/null)
RL_LIBS    = $(shell pkg-config --libs readline 2>/dev/null || echo -lreadline)
# SQLite keeps the practice history; only tools/ uses it (tools/store.c).
SQL_CFLAGS = $(shell pkg-config --cflags $(TOOL_PKGS) 2>/dev/null)
SQL_LIBS   = $(shell pkg-config --libs $(TOOL_PKGS) 2>/dev/null || echo -lsqlite3)
CMOCKA_CFLAGS = $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS = $(CSTD) $(WARN) $(OPT) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS) \
             -Iengine -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

ENGINE_SRC := $(wildcard engine/*.c)
TOOLS_SRC  := $(wildcard tools/*.c)
TEST_SRC   := $(wildcard tests/unit/test_*.c)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
TOOLS_OBJ  := $(TOOLS_SRC:%.c=$(BUILD)/%.o)
TEST_BIN   := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB        := $(BUILD)/librapport.a
BIN        := $(BUILD)/rapport

# Debian packages, by what needs them.
DEPS_BUILD := gcc make pkg-config libpcre2-dev libyaml-dev libreadline-dev \
              libsqlite3-dev libstemmer-dev
# man-db and groff-base: `man --warnings` checks the man pages.
DEPS_CHECK := $(DEPS_BUILD) libcmocka-dev valgrind clang-format python3 \
              man-db groff-base
DEPS_CHECK += graphviz
DEPS_CHECK += python3-jsonschema python3-yaml

# Directories of broken personas that both the loader and the schema must
# reject (tests/schema/check.py bad); add one line per directory.
SCHEMA_BAD := tests/schema/bad
DEPS_FUZZ  := $(DEPS_BUILD) clang libclang-rt-14-dev

.PHONY: all chat check check-run unit golden leakcheck format format-check \
        lint install uninstall clean deps-build deps-check regress natural \
        install-check FORCE
.PHONY: authoring-check

all: $(BIN)

# ---------------------------------------------------------------- deps
# Installs what is missing when root; otherwise prints the one command.
define ensure
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "rapport: installing missing Debian packages:$$missing"; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	      >/dev/null || exit 1; \
	  else \
	    echo "rapport: missing Debian packages:$$missing"; \
	    echo "Run: sudo sh -c 'apt-get update && apt-get install -y$$missing'"; \
	    exit 1; \
	  fi; \
	fi
endef

deps-build:
	$(call ensure,$(DEPS_BUILD))

deps-check:
	$(call ensure,$(DEPS_CHECK))

# --------------------------------------------------------------- build
$(BUILD)/engine/%.o: engine/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(RL_CFLAGS) $(SQL_CFLAGS) \
	  -DRAPPORT_DATADIR='"$(DATADIR)"' -c $< -o $@

# The installed data directory is compiled into tools/: a stamp that
# changes only with DATADIR rebuilds them when it does (make install
# PREFIX=/usr after a plain make must not install a /usr/local binary).
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@

$(TOOLS_OBJ): $(BUILD)/datadir.stamp

$(LIB): $(ENGINE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(TOOLS_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(TOOLS_OBJ) $(LIB) $(PKG_LIBS) $(RL_LIBS) \
	  $(SQL_LIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) $< $(LIB) $(ALL_LDFLAGS) \
	  $(PKG_LIBS) $(CMOCKA_LIBS) -o $@

# ---------------------------------------------------------------- chat
# `make chat P=curious-mentor` picks a persona; without P, rapport asks.
chat: deps-build
	@$(MAKE) --no-print-directory $(BIN)
	@./$(BIN) $(if $(P),chat $(P))

# --------------------------------------------------------------- tests
check: deps-check
	@$(MAKE) --no-print-directory check-run

check-run: $(BIN) $(TEST_BIN)
	@$(MAKE) --no-print-directory unit golden regress
	./$(BIN) test --coverage --fail-under 80 scripts/
	@$(MAKE) --no-print-directory natural
	@$(MAKE) --no-print-directory authoring-check
	@sh tests/history/run.sh ./$(BIN)
	@$(MAKE) --no-print-directory install-check
	@$(MAKE) --no-print-directory fuzz-replay
	@$(if $(SANITIZE),RAPPORT_BAD_SCALE=10) python3 tests/bad/run.py ./$(BIN)
	@$(if $(SANITIZE),RAPPORT_HOSTILE_CPU=50) python3 tests/hostile/run.py ./$(BIN)
	@echo "make check: all tests passed$(if $(SANITIZE), (SANITIZE=$(SANITIZE)))"

# Fallback rate on each persona's held-out natural lines (issue 6: <= 15%).
NATURAL := $(filter-out %.tune.txt,$(wildcard tests/natural/*.txt))
natural: $(BIN)
	@set -e; for f in $(NATURAL); do \
	  python3 tests/natural/measure.py ./$(BIN) $$(basename $$f .txt) $$f \
	    --max 15; done

# ----------------------------------------------------------- authoring
# The authoring toolkit (lint, graph, /reload, schema, rapport new): the
# shipped personas lint clean and render, the planted mistakes are all
# reported, the schema agrees with the loader, and every loader key is
# documented.
authoring-check: $(BIN)
	./$(BIN) lint
	@sh tests/lint/run.sh ./$(BIN)
	@for p in personas/*.yaml; do \
	  ./$(BIN) graph "$$p" >$(BUILD)/graph.dot && \
	  dot -Tsvg $(BUILD)/graph.dot >/dev/null \
	  || { echo "graph: $$p does not render"; exit 1; }; done; \
	echo "graph: every shipped persona renders with dot"
	@sh tests/reload/run.sh ./$(BIN)
	@./$(BIN) lint tests/schema/good/everything.yaml >/dev/null; \
	  [ $$? -le 1 ] || { echo "FAIL: tests/schema/good/everything.yaml" \
	  "does not load"; exit 1; }
	@/usr/bin/python3 tests/schema/check.py auto personas/persona.schema.json \
	  personas/library.schema.json personas/*.yaml personas/common/*.yaml \
	  tests/schema/good/*.yaml tests/graph/*.yaml tests/lint/*.yaml
	@/usr/bin/python3 tests/schema/check.py bad personas/persona.schema.json \
	  ./$(BIN) $(SCHEMA_BAD)
	@sh tests/new/run.sh ./$(BIN)
	@/usr/bin/python3 tests/schema/keys.py .

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do \
	  echo "== $$t"; RAPPORT_SRCDIR=. $$t; done

golden: $(BIN)
	@sh tests/golden/run.sh ./$(BIN)

# The "done when" checks of rapport test, record and --coverage.
regress: $(BIN)
	@sh tests/regress/run.sh ./$(BIN)

leakcheck: deps-check
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN)
	@sh tests/leakcheck.sh ./$(BIN) $(TEST_BIN)

lint: $(BIN)
	./$(BIN) lint

# ---------------------------------------------------------------- fuzz
# libFuzzer harnesses (tests/fuzz/fuzz_*.c, see tests/fuzz/README.md).
# `make fuzz FUZZ_SECONDS=N` builds them with clang into build-fuzz/ and
# runs each for N seconds; new inputs go to build-fuzz/corpus/NAME (the
# committed seeds in tests/fuzz/corpus/NAME are read, not written), a
# crash to build-fuzz/crash-NAME-*.  `make check` replays every committed
# corpus through the same harness code linked with tests/fuzz/replay.c,
# built with $(CC): no clang needed.
FUZZ_NAMES   := persona script turn score
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = $(CSTD) -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
                $(PKG_CFLAGS) -Iengine -MMD -MP
FUZZ_ENGINE  := $(ENGINE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TOOLS   := $(filter-out $(FUZZ_BUILD)/tools/main.o \
                  $(FUZZ_BUILD)/tools/test.o,$(TOOLS_SRC:%.c=$(FUZZ_BUILD)/%.o))
REPLAY_TOOLS := $(filter-out $(BUILD)/tools/main.o $(BUILD)/tools/test.o,\
                  $(TOOLS_OBJ))
REPLAY_BIN   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay-%)

.PHONY: fuzz fuzz-build fuzz-replay deps-fuzz

deps-fuzz:
	$(call ensure,$(DEPS_FUZZ))

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(RL_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz-script: tests/fuzz/fuzz_script.c tools/test.c $(FUZZ_TOOLS) \
                           $(FUZZ_ENGINE) tests/fuzz/fuzz.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_TOOLS) \
	  $(FUZZ_ENGINE) $(PKG_LIBS) $(RL_LIBS) $(SQL_LIBS) -o $@

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_ENGINE) tests/fuzz/fuzz.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_ENGINE) \
	  $(PKG_LIBS) -o $@

fuzz-build: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz-%)

fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "== fuzz-$$n for $(FUZZ_SECONDS) s"; \
	  dict=""; [ -f tests/fuzz/$$n.dict ] && dict=-dict=tests/fuzz/$$n.dict; \
	  RAPPORT_SRCDIR=. $(FUZZ_BUILD)/fuzz-$$n -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$n- \
	    $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n; \
	done

$(BUILD)/fuzz/replay-script: tests/fuzz/fuzz_script.c tests/fuzz/replay.c \
                             tools/test.c $(REPLAY_TOOLS) $(LIB) \
                             tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(RL_CFLAGS) tests/fuzz/fuzz_script.c \
	  tests/fuzz/replay.c $(REPLAY_TOOLS) $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) \
	  $(RL_LIBS) $(SQL_LIBS) -o $@

$(BUILD)/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB) \
                        tests/fuzz/fuzz.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(LIB) \
	  $(ALL_LDFLAGS) $(PKG_LIBS) -o $@

fuzz-replay: $(REPLAY_BIN)
	@set -e; for n in $(FUZZ_NAMES); do \
	  RAPPORT_SRCDIR=. $(BUILD)/fuzz/replay-$$n tests/fuzz/corpus/$$n; done

# -------------------------------------------------------------- format
FORMAT_FILES = $(wildcard engine/*.[ch] tools/*.[ch] tests/unit/*.[ch] \
                 tests/fuzz/*.[ch])

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@bad=""; for f in $(FORMAT_FILES); do \
	  clang-format --dry-run --Werror $$f >/dev/null 2>&1 || bad="$$bad $$f"; \
	done; \
	if [ -n "$$bad" ]; then \
	  echo "these files need 'make format':$$bad"; exit 1; fi; \
	echo "format-check: $(words $(FORMAT_FILES)) files formatted"

# ------------------------------------------------------------- install
# Every path under $(DESTDIR); the man pages and the completion get the
# real DATADIR in place of the default they are written with.
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/personas/common \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rapport
	install -m 644 personas/*.yaml $(DESTDIR)$(DATADIR)/personas/
	install -m 644 personas/*.schema.json $(DESTDIR)$(DATADIR)/personas/
	install -m 644 personas/common/*.yaml \
	  $(DESTDIR)$(DATADIR)/personas/common/
	sed 's|/usr/local/share/rapport|$(DATADIR)|g' man/rapport.1 \
	  >$(DESTDIR)$(MANDIR)/man1/rapport.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/rapport.1
	install -m 644 man/rapport-persona.5 $(DESTDIR)$(MANDIR)/man5/
	sed 's|@DATADIR@|$(DATADIR)|g' completion/rapport.bash \
	  >$(DESTDIR)$(BASHCOMPDIR)/rapport
	chmod 644 $(DESTDIR)$(BASHCOMPDIR)/rapport

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rapport
	rm -f $(DESTDIR)$(MANDIR)/man1/rapport.1
	rm -f $(DESTDIR)$(MANDIR)/man5/rapport-persona.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/rapport
	rm -rf $(DESTDIR)$(DATADIR)

# make install into a staging directory and a temporary prefix, in a
# build directory of its own; the man pages checked by man --warnings.
install-check:
	@sh tests/install/run.sh $(BUILD)/stage

clean:
	rm -rf build build-san build-fuzz

-include $(ENGINE_OBJ:.o=.d) $(TOOLS_OBJ:.o=.d)
-include $(wildcard $(FUZZ_BUILD)/*/*.d)

# --------------------------------------------------------------- bench
# `make bench`: the engine alone on generated personas of 100, 1,000 and
# 10,000 rules (with and without the rule index), the full turn with
# scoring on a shipped persona, and the time `rapport test scripts/`
# takes.  `make bench-peers`: rapport against RiveScript-js and a naive
# regex scan on the shared workload (../shared/bench/peers).  Never part
# of `make check`.
BENCH_BIN   := $(BUILD)/bench/bench
BENCH_DIR   := $(BUILD)/bench
BENCH_SIZES ?= 100 1000 10000
BENCH_PERSONA ?= rushed-alumnus
PEERS_DIR   ?= $(firstword $(wildcard ../shared/bench/peers \
                 ../../shared/bench/peers) ../shared/bench/peers)
PEER_SIZES  ?= 100 1000 10000
PEER_RUNS   ?= 3
PEER_LINES  ?= 10000

.PHONY: bench bench-peers bench-gen

$(BENCH_BIN): tests/bench/bench.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) -o $@

bench-gen:
	@mkdir -p $(BENCH_DIR)
	@for n in $(BENCH_SIZES); do \
	  python3 tests/bench/gen_persona.py $$n $(BENCH_DIR) || exit 1; done

bench: $(BENCH_BIN) $(BIN) bench-gen
	@sh tests/bench/run.sh $(abspath $(BENCH_BIN)) $(abspath $(BIN)) $(BENCH_DIR) \
	  "$(BENCH_SIZES)" $(BENCH_PERSONA)

bench-peers: $(BENCH_BIN)
	@$(PEERS_DIR)/compare.sh \
	  "python3 $(abspath tests/bench/workload2persona.py)" \
	  $(abspath $(BENCH_BIN)) "$(PEER_SIZES)" $(PEER_RUNS) $(PEER_LINES)
