# cardpipe - one non-recursive Makefile.
#
#   make                 build build/bin/cardpipe and the helper programs
#   make check           install missing packages, build, run every unit and integration test
#   make demo            install, build, run a nightly batch on sample data through the emulated line
#   make bench           every stage's benchmark in one table (bench/results.txt)
#   make fuzz            run each libFuzzer target for FUZZ_SECONDS
#   make SANITIZE=address,undefined check   the same tests under ASan+UBSan (tree: build-asan/)
#   make coverage        tests with gcov counters (tree: build-cov/)
#   make check-format / format / lint   (lint: cppcheck and the include rule, docs/architecture.md)
#   make man             the manual pages, from --help and the key table (tree: $(BUILD)/man/)
#   make install         PREFIX=/usr/local DESTDIR= : programs, data, manual pages, systemd
#                        units, logrotate file, bash completion
#
# Layout: every .c below core/ formats/ personalization/ printer/ emulator/ pipeline/ goes into one static
# library, except the thin mains (*_main.c), each of which becomes build/bin/<name>.

WERROR ?= 1
SANITIZE ?=
COVERAGE ?=
CC ?= cc
PKG_CONFIG ?= pkg-config

ifneq ($(SANITIZE),)
BUILD ?= build-asan
else ifneq ($(COVERAGE),)
BUILD ?= build-cov
else
BUILD ?= build
endif

PKGS := libxml-2.0 zlib libdeflate libcrypto libpng libqrencode sqlite3 libpq freetype2 libjpeg libpcsclite inih cairo pango pangocairo pangoft2 fontconfig
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wwrite-strings -Wformat=2 -Wformat-security -Wpointer-arith -Wundef \
	-Wold-style-definition -Wno-unused-parameter -Wno-format-truncation -fno-common
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread $(WARNINGS) $(CFLAGS) -I. \
	$(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = -pthread $(LDFLAGS)
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ifneq ($(COVERAGE),)
ALL_CFLAGS += --coverage -O0
ALL_LDFLAGS += --coverage
endif

# Where make install puts things (DESTDIR is prepended to each; PREFIX is compiled in as the
# last place to look for the data files).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/lib/cardpipe
DATADIR ?= $(PREFIX)/share/cardpipe
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/cardpipe
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
ALL_CFLAGS += -DCARDPIPE_VERSION='"0.1.0 ($(VERSION))"'

SRC_DIRS := core formats personalization printer emulator pipeline
ALL_SRCS := $(shell find $(SRC_DIRS) -name '*.c' | LC_ALL=C sort)
MAIN_SRCS := $(filter %_main.c,$(ALL_SRCS))
LIB_SRCS := $(filter-out %_main.c,$(ALL_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libcardpipe.a
PROGRAMS := $(foreach m,$(MAIN_SRCS),$(BUILD)/bin/$(subst _,-,$(patsubst %_main.c,%,$(notdir $(m)))))

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_HELPER_SRCS := $(filter-out tests/unit/test_%,$(wildcard tests/unit/*.c))
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
# make bench's floor measurement (tests/bench/bench_floor.c) and its claim measure
# (tests/bench/bench_claim.c): built with the tests, not installed
BENCH_FLOOR := $(BUILD)/bench/bench-floor
BENCH_CLAIM := $(BUILD)/bench/bench-claim

.PHONY: all deps check unit integration demo bench fuzz fuzz-build coverage format \
	check-format lint clean distclean man install

all: $(PROGRAMS)

deps:
	@scripts/install-deps.sh

ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)ar rcs $@ $^

define program_rule
$(BUILD)/bin/$(subst _,-,$(patsubst %_main.c,%,$(notdir $(1)))): $(BUILD)/obj/$(1:.c=.o) $(LIB)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LINK    $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lm
endef
$(foreach m,$(MAIN_SRCS),$(eval $(call program_rule,$(m))))

$(BUILD)/tests/%: tests/unit/%.c $(TEST_HELPER_SRCS) $(wildcard tests/unit/*.h) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CMOCKA_CFLAGS) -Itests/unit -o $@ $< $(TEST_HELPER_SRCS) $(LIB) \
		$(ALL_LDFLAGS) $(CMOCKA_LIBS) $(PKG_LIBS) -lm

# The tests: unit binaries, then the shell integration tests, one closing line.
check: deps
	@$(MAKE) --no-print-directory all-tests
	@BUILD=$(BUILD) tests/run-tests.sh

.PHONY: all-tests
all-tests: $(PROGRAMS) $(TEST_BINS) $(BENCH_FLOOR) $(BENCH_CLAIM)

unit: $(PROGRAMS) $(TEST_BINS)
	@BUILD=$(BUILD) tests/run-tests.sh unit

integration: $(PROGRAMS)
	@BUILD=$(BUILD) tests/run-tests.sh integration

demo: deps
	@mkdir -p $(BUILD) && echo "== build (make all: its output in $(BUILD)/make-demo.log)"
	@$(MAKE) --no-print-directory all >$(BUILD)/make-demo.log 2>&1 || \
		{ cat $(BUILD)/make-demo.log; exit 1; }
	@BUILD=$(BUILD) scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_FLOOR) $(BENCH_CLAIM) CFLAGS="-O2 -g -DNDEBUG"
	@BUILD=$(BUILD) scripts/bench.sh

$(BENCH_FLOOR): tests/bench/bench_floor.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) -lm

$(BENCH_CLAIM): tests/bench/bench_claim.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(ALL_LDFLAGS) $(PKG_LIBS) -lm

# libFuzzer targets: clang, ASan+UBSan. The library is built once with fuzzer coverage
# (-fsanitize=fuzzer-no-link) into build-fuzz/, each target links it with libFuzzer's main.
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread -g -O1 -I. $(PKG_CFLAGS) \
	$(FUZZ_SAN) -DCARDPIPE_VERSION='"fuzz"'
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/obj/formats/schemas.o: formats/employer-batch.xsd formats/online-applications.xsd
$(FUZZ_BUILD)/libcardpipe.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libcardpipe.a
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libcardpipe.a $(PKG_LIBS) -lm
fuzz-build: $(FUZZ_BINS)

FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

coverage:
	@$(MAKE) --no-print-directory COVERAGE=1 check
	@gcov -o build-cov/obj $(LIB_SRCS) >/dev/null 2>&1 || true

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null) $(shell git ls-files --others --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)
check-format: deps
	@clang-format --dry-run -Werror $(FORMAT_SRCS) && echo "clang-format: clean"

# cppcheck, then the include rule: the layers of docs/architecture.md, no include cycle
lint: deps
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -I. $(SRC_DIRS)
	@scripts/check-includes.py .

clean:
	rm -rf build build-asan build-cov build-fuzz
distclean: clean

# The data folder is compiled into fsutil.o; the stamp rebuilds it when DATADIR changes.
DATADIR_STAMP := $(BUILD)/datadir.stamp
.PHONY: FORCE
FORCE:
$(DATADIR_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
$(BUILD)/obj/core/fsutil.o: $(DATADIR_STAMP)
$(BUILD)/obj/core/fsutil.o: ALL_CFLAGS += -DCARDPIPE_DATADIR='"$(DATADIR)"'

# Manual pages: cardpipe(1) and cardpipe-COMMAND(1) by help2man from the --help texts,
# cardpipe.conf(5) by pandoc from `cardpipe config --markdown` (the key table).
MAN_STAMP := $(BUILD)/man/.stamp
MAN_DATE = $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
H2M = SOURCE_DATE_EPOCH=$(MAN_DATE) help2man --no-info --section=1 --locale=C.UTF-8 \
	--manual="cardpipe manual" --source="cardpipe $(VERSION)"
man: $(MAN_STAMP)
$(MAN_STAMP): $(BUILD)/bin/cardpipe scripts/man/help2man-input.sh scripts/man/cardpipe.h2m \
		scripts/man/command.h2m
	@rm -rf $(BUILD)/man && mkdir -p $(BUILD)/man
	@$(if $(Q),echo "  MAN     $(BUILD)/man")
	$(Q)set -e; bin=$(abspath $<); out=$(BUILD)/man; \
	cmds=$$($$bin --commands); \
	{ cat scripts/man/cardpipe.h2m; printf '\n[SEE ALSO]\n'; \
	  for c in $$cmds; do printf '.BR cardpipe\\-%s (1),\n' "$$c"; done; \
	  printf '.BR cardpipe.conf (5)\n'; } >$$out/cardpipe.h2m; \
	$(H2M) --version-string="cardpipe $(VERSION)" --help-option="$$bin" \
		--name="the card bureau's production software" --include=$$out/cardpipe.h2m \
		-o $$out/cardpipe.1 scripts/man/help2man-input.sh; \
	for c in $$cmds; do \
		name=$$($$bin --help | awk -v c="$$c" '/^Commands:/ { f = 1; next } \
			f && /^$$/ { f = 0 } f && $$1 == c { sub(/^ *[^ ]+ +/, ""); print }'); \
		$(H2M) --version-string="cardpipe-$$c $(VERSION)" --help-option="$$bin $$c" \
			--name="$$name" --include=scripts/man/command.h2m \
			-o $$out/cardpipe-$$c.1 scripts/man/help2man-input.sh; \
	done; \
	$$bin config --markdown | pandoc -s -f markdown -t man \
		-M date="$$(date -u -d @$(MAN_DATE) '+%B %Y')" -M footer="cardpipe $(VERSION)" \
		-o $$out/cardpipe.conf.5
	@touch $@

# make install: nothing outside DESTDIR$(PREFIX) but the logrotate file (SYSCONFDIR).
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'
install: all $(MAN_STAMP)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(BUILD)/bin/cardpipe $(DESTDIR)$(BINDIR)/cardpipe
	install -m 0755 $(filter-out $(BUILD)/bin/cardpipe,$(PROGRAMS)) $(DESTDIR)$(LIBEXECDIR)/
	cp -R data/. $(DESTDIR)$(DATADIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	install -m 0644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILD)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	cp -R docs $(DESTDIR)$(DOCDIR)/ && chmod -R u=rwX,go=rX $(DESTDIR)$(DOCDIR)/docs
	install -d $(DESTDIR)$(DOCDIR)/formats
	install -m 0644 formats/*.md formats/*.xsd $(DESTDIR)$(DOCDIR)/formats/
	$(SUBST) scripts/deploy/cardpipe.cron >$(DESTDIR)$(DOCDIR)/examples/cardpipe.cron
	$(SUBST) scripts/deploy/cardpipe-nightly.service \
		>$(DESTDIR)$(UNITDIR)/cardpipe-nightly.service
	install -m 0644 scripts/deploy/cardpipe-nightly.timer $(DESTDIR)$(UNITDIR)/
	$(SUBST) scripts/deploy/cardpipe-line@.service >'$(DESTDIR)$(UNITDIR)/cardpipe-line@.service'
	install -m 0644 scripts/deploy/cardpipe-line@.timer $(DESTDIR)$(UNITDIR)/
	install -m 0644 scripts/deploy/cardpipe.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/cardpipe
	install -m 0644 scripts/deploy/cardpipe.bash-completion $(DESTDIR)$(BASHCOMPDIR)/cardpipe
	chmod 0644 $(DESTDIR)$(DOCDIR)/examples/cardpipe.cron \
		$(DESTDIR)$(UNITDIR)/cardpipe-nightly.service '$(DESTDIR)$(UNITDIR)/cardpipe-line@.service'

# the XSDs are built into the program (formats/schemas.c)
$(BUILD)/obj/formats/schemas.o: formats/employer-batch.xsd formats/online-applications.xsd

-include $(LIB_OBJS:.o=.d) $(MAIN_SRCS:%.c=$(BUILD)/obj/%.d)
