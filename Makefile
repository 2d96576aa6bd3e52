# Cirage top-level build. `make` builds the tool and the libraries of every
# target this machine can build; `make test` runs the whole test suite.
#
# Outputs (all under build/, never among sources):
#   build/bin/cirage                the tool
#   build/<target>/libcirage.a      runtime + platform + libraries, per target
#   build/tests/...                 unit-test binaries (plain and sanitizer)
#
# Layout read by this file (new files are picked up without editing it):
#   runtime/*.c runtime/*.S         target-independent runtime
#   platform/<target>/*.c           one platform layer per target
#   lib/<name>/*.c                  protocol and storage libraries
#   tools/cirage/*.c                the cirage tool (host program)
#   tests/unit/test_*.c             host unit tests, linked with the unix lib

CC       ?= cc
CLANG    ?= clang
AR       ?= ar
BUILD    ?= build
TARGETS  ?= unix
OPT      ?= -O2
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS_BASE := -std=gnu11 $(OPT) -g $(WARN) -Iinclude -fno-strict-aliasing -fno-omit-frame-pointer
DEPFLAGS  = -MMD -MP

.PHONY: all tool libs test check clean format format-check fuzz
all: tool libs

# ---- the tool ---------------------------------------------------------------
TOOL_SRCS := $(wildcard tools/cirage/*.c)
TOOL_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(TOOL_SRCS))
tool: $(BUILD)/bin/cirage
$(BUILD)/bin/cirage: $(TOOL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(DEPFLAGS) -Itools/cirage -c -o $@ $<

# ---- per-target libraries ---------------------------------------------------
RUNTIME_SRCS := $(wildcard runtime/*.c runtime/*.S)
LIB_SRCS     := $(wildcard lib/*/*.c)
unix_SRCS    := $(RUNTIME_SRCS) $(wildcard platform/unix/*.c) $(LIB_SRCS)
unix_CFLAGS  := $(CFLAGS_BASE) -D_GNU_SOURCE -DCR_TARGET_UNIX

define target_rules
$(1)_OBJS := $$(patsubst %,$(BUILD)/$(1)/obj/%.o,$$($(1)_SRCS))
libs: $(BUILD)/$(1)/libcirage.a
$(BUILD)/$(1)/libcirage.a: $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $(AR) rcs $$@ $$^
$(BUILD)/$(1)/obj/%.c.o: %.c
	@mkdir -p $$(dir $$@)
	$(CC) $$($(1)_CFLAGS) $(DEPFLAGS) -c -o $$@ $$<
$(BUILD)/$(1)/obj/%.S.o: %.S
	@mkdir -p $$(dir $$@)
	$(CC) $$($(1)_CFLAGS) $(DEPFLAGS) -c -o $$@ $$<
endef
$(foreach t,$(TARGETS),$(eval $(call target_rules,$(t))))

# ---- sanitizer build of the unix library and the unit tests ----------------
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
san_SRCS  := $(unix_SRCS)
san_CFLAGS := $(unix_CFLAGS) -O1 $(SAN_FLAGS)
$(eval $(call target_rules,san))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_SAN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/san/%,$(UNIT_SRCS))
unit-tests: $(UNIT_BINS) $(UNIT_SAN)
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/unix/libcirage.a
	@mkdir -p $(dir $@)
	$(CC) $(unix_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/unix/libcirage.a
$(BUILD)/tests/san/%: tests/unit/%.c $(BUILD)/san/libcirage.a
	@mkdir -p $(dir $@)
	$(CC) $(san_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/san/libcirage.a

# ---- fuzz harnesses (libFuzzer; clang) --------------------------------------
# tests/fuzz/fuzz_<name>.c, linked with the sources it lists on a line
# "// fuzz-sources: a.c b.c" (paths from the repository root).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
fuzz: $(FUZZ_BINS)
fuzz_sources = $(shell sed -n 's@^// fuzz-sources:@@p' tests/fuzz/$(1).c)
.SECONDEXPANSION:
$(BUILD)/fuzz/%: tests/fuzz/%.c $$(call fuzz_sources,$$*) $$(wildcard include/cirage/*.h tools/cirage/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -Iinclude -Itools/cirage -D_GNU_SOURCE -DCR_FUZZ \
	  -fsanitize=fuzzer,address,undefined -o $@ $< \
	  $$(sed -n 's@^// fuzz-sources:@@p' $<)

test check: all
	./tests/run

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' ':!tests/fuzz/corpus' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
