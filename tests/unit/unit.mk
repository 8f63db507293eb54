# Host unit tests (cmocka, AddressSanitizer + UBSan) for the pure decision logic.
#
# Included from the top-level Makefile; also works alone from the repository root:
#   make -f tests/unit/unit.mk BUILD=build unit-tests
# `unit-tests` builds every tests/unit/test_*.c program into $(BUILD)/unit/, runs them all and
# ends with "unit: N passed, N failed" (test cases); it fails if any test case fails.
#
# Only sources that are plain C11 with -DHOST_TEST belong here: nothing with inline assembly
# or hardware access (kernel/main.c, console.c, panic.c, trap.c, svm/svm*.c, vmx/vmx*.c,
# vmm/nest.c, vmm/exitport.c, ...).

BUILD ?= build
UNIT_CC ?= cc
UNIT_DIR := $(BUILD)/unit
UNIT_CFLAGS := -std=c11 -g -O1 -DHOST_TEST -I. -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -Werror
UNIT_LDLIBS := -lcmocka

UNIT_TESTS := lib memmap pagetable loader boot nest policy bitmaps nested cpuid_cache insn gva events

# The code under test that each program links.
UNIT_SRC_lib := lib/string.c lib/printf.c
UNIT_SRC_memmap := kernel/memmap.c lib/string.c
UNIT_SRC_pagetable := kernel/pagetable.c kernel/palloc.c kernel/memmap.c vmm/memview.c \
	lib/string.c
UNIT_SRC_loader := kernel/loader.c lib/string.c
UNIT_SRC_boot := kernel/cmdline.c kernel/bootinfo.c kernel/acpi.c kernel/memmap.c \
	lib/string.c lib/printf.c
UNIT_SRC_nest := vmm/nest_plan.c kernel/loader.c kernel/bootinfo.c kernel/memmap.c \
	lib/string.c
UNIT_SRC_policy := vmm/policy.c vmm/counters.c lib/string.c lib/printf.c
UNIT_SRC_bitmaps := svm/bitmaps.c vmx/caps.c
UNIT_SRC_nested := svm/nested_checks.c svm/nested_route.c svm/nested_merge.c svm/npt12.c \
	svm/bitmaps.c lib/string.c
UNIT_SRC_cpuid_cache := vmm/cpuid_cache.c
UNIT_SRC_insn := svm/insn_len.c
UNIT_SRC_events := svm/nested_route.c svm/nested_checks.c svm/bitmaps.c
UNIT_SRC_gva := vmm/gva.c svm/insn_len.c svm/nextrip.c

UNIT_BINS := $(patsubst %,$(UNIT_DIR)/test_%,$(UNIT_TESTS))
unit_objs = $(patsubst %.c,$(UNIT_DIR)/obj/%.o,$(1))

unit-tests: $(UNIT_BINS)
	@UNIT_BUILD_DIR=$(BUILD) sh tests/unit/run.sh $(UNIT_BINS)

$(UNIT_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (host)"; $(UNIT_CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

define UNIT_PROGRAM
$(UNIT_DIR)/test_$(1): $(call unit_objs,tests/unit/test_$(1).c $(UNIT_SRC_$(1)))
	@echo "  LD  $$@"; $(UNIT_CC) $(UNIT_CFLAGS) $$^ $(UNIT_LDLIBS) -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_PROGRAM,$(t))))

-include $(shell find $(UNIT_DIR)/obj -name '*.d' 2>/dev/null)
.PHONY: unit-tests
