# cardpipe - one non-recursive Makefile.
#
#   make                 build build/bin/cardpipe and the helper programs
#   make check           install missing packages, build, run every unit and integration test
#   make demo            install, build, run a nightly batch on sample data through the emulated line
#   make bench           every stage's benchmark in one table (bench/results.txt)
#   make fuzz            run each libFuzzer target for FUZZ_SECONDS
#   make SANITIZE=address,undefined check   the same tests under ASan+UBSan (tree: build-asan/)
#   make coverage        tests with gcov counters (tree: build-cov/)
#   make check-format / format / lint
#
# Layout: every .c below pipeline/ formats/ personalization/ printer/ goes into one static
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

PKGS := libxml-2.0 zlib libdeflate libcrypto libpng libqrencode sqlite3 freetype2 libjpeg libpcsclite inih cairo
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
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread $(WARNINGS) $(CFLAGS) -I. -Ipipeline \
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

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
ALL_CFLAGS += -DCARDPIPE_VERSION='"0.1.0 ($(VERSION))"'

SRC_DIRS := pipeline formats personalization printer
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

.PHONY: all deps check unit integration demo bench fuzz fuzz-build coverage format \
	check-format lint clean distclean

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
all-tests: $(PROGRAMS) $(TEST_BINS)

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
	@$(MAKE) --no-print-directory all CFLAGS="-O2 -g -DNDEBUG"
	@BUILD=$(BUILD) scripts/bench.sh

# libFuzzer targets: clang, ASan+UBSan. The library is built once with fuzzer coverage
# (-fsanitize=fuzzer-no-link) into build-fuzz/, each target links it with libFuzzer's main.
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread -g -O1 -I. -Ipipeline $(PKG_CFLAGS) \
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

lint: deps
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -I. -Ipipeline $(SRC_DIRS)

clean:
	rm -rf build build-asan build-cov build-fuzz
distclean: clean

# the XSDs are built into the program (formats/schemas.c)
$(BUILD)/obj/formats/schemas.o: formats/employer-batch.xsd formats/online-applications.xsd

-include $(LIB_OBJS:.o=.d) $(MAIN_SRCS:%.c=$(BUILD)/obj/%.d)
