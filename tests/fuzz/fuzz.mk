# Coverage-guided fuzz harnesses (libFuzzer, ASan + UBSan) for the pure decision logic that
# takes guest- or loader-controlled input.  Needs clang with libFuzzer (Debian: clang and
# libclang-rt-dev, e.g. clang-14 libclang-rt-14-dev).
#
# Included from the top-level Makefile; also works alone from the repository root:
#   make -f tests/fuzz/fuzz.mk fuzz-build        # builds $(BUILD)/fuzz/fuzz_NAME
#   make -f tests/fuzz/fuzz.mk fuzz              # runs each for FUZZ_RUNS inputs, seed 1
#   make -f tests/fuzz/fuzz.mk fuzz FUZZ_RUNS=1000000   # a longer (still reproducible) run
# `fuzz` starts every harness from its seed corpus tests/fuzz/corpus/NAME/ (read-only; new
# inputs go to $(BUILD)/fuzz/work/NAME/, emptied first, so a run is deterministic), prints
# "fuzz NAME: ok (N runs)" or "fuzz NAME: FAILED" per harness and "fuzz: N passed, N failed".
# A failing input is saved as $(BUILD)/fuzz/NAME-crash-*; replay it with
#   $(BUILD)/fuzz/fuzz_NAME $(BUILD)/fuzz/NAME-crash-...

BUILD ?= build
FUZZ_CC ?= clang
FUZZ_RUNS ?= 20000
FUZZ_DIR := $(BUILD)/fuzz
# Deterministic runs: no stack-depth features and no UBSan pointer-overflow checks (their
# comparisons would feed stack and heap addresses, which ASLR moves, into the fuzzer).
FUZZ_CFLAGS := -std=c11 -g -O1 -DHOST_TEST -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize=pointer-overflow -fno-sanitize-coverage=stack-depth \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Werror

FUZZ_TARGETS := loader bootinfo memmap nested npt12 insn_len gva

# The code under test that each harness links (compiled with the same instrumentation).
FUZZ_SRC_loader := kernel/loader.c lib/string.c
FUZZ_SRC_bootinfo := kernel/bootinfo.c kernel/memmap.c lib/string.c
FUZZ_SRC_memmap := kernel/memmap.c lib/string.c
FUZZ_SRC_nested := svm/nested_checks.c svm/nested_merge.c svm/nested_route.c svm/bitmaps.c \
	lib/string.c
FUZZ_SRC_npt12 := svm/npt12.c
FUZZ_SRC_insn_len := svm/insn_len.c
FUZZ_SRC_gva := vmm/gva.c svm/nextrip.c svm/insn_len.c

FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
fuzz_objs = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_BUILD_DIR=$(FUZZ_DIR) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"; $(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

define FUZZ_PROGRAM
$(FUZZ_DIR)/fuzz_$(1): $(call fuzz_objs,tests/fuzz/fuzz_$(1).c $(FUZZ_SRC_$(1)))
	@echo "  LD  $$@"; $(FUZZ_CC) $(FUZZ_CFLAGS) $$^ -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_PROGRAM,$(t))))

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
.PHONY: fuzz fuzz-build
