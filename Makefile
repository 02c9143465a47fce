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

CC      ?= cc
BUILD   ?= build
PKGS    := libpcre2-8 yaml-0.1
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
DEPS_CHECK := $(DEPS_BUILD) libcmocka-dev valgrind clang-format python3

.PHONY: all chat check check-run unit golden leakcheck format format-check \
        lint install uninstall clean deps-build deps-check

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
	$(CC) $(ALL_CFLAGS) $(RL_CFLAGS) \
	  -DRAPPORT_DATADIR='"$(DATADIR)"' -c $< -o $@

$(LIB): $(ENGINE_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(TOOLS_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(TOOLS_OBJ) $(LIB) $(PKG_LIBS) $(RL_LIBS) -o $@

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
	@$(MAKE) --no-print-directory unit golden
	./$(BIN) test scripts/
	@echo "make check: all tests passed$(if $(SANITIZE), (SANITIZE=$(SANITIZE)))"

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do \
	  echo "== $$t"; RAPPORT_SRCDIR=. $$t; done

golden: $(BIN)
	@sh tests/golden/run.sh ./$(BIN)

leakcheck: deps-check
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN)
	@sh tests/leakcheck.sh ./$(BIN) $(TEST_BIN)

lint: $(BIN)
	./$(BIN) lint

# -------------------------------------------------------------- format
FORMAT_FILES = $(wildcard engine/*.[ch] tools/*.[ch] tests/unit/*.[ch])

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
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/personas/common
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rapport
	install -m 644 personas/*.yaml $(DESTDIR)$(DATADIR)/personas/
	install -m 644 personas/common/*.yaml \
	  $(DESTDIR)$(DATADIR)/personas/common/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rapport
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san

-include $(ENGINE_OBJ:.o=.d) $(TOOLS_OBJ:.o=.d)

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
