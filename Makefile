# matryoshka: `make` builds everything, `make run` boots the default nest, `make test` tests.
CC ?= gcc
BUILD := build
VENDOR ?= amd

CFLAGS_COMMON := -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing -I. -MMD -MP
KCFLAGS := $(CFLAGS_COMMON) -mcmodel=kernel
GCFLAGS := $(CFLAGS_COMMON) -mcmodel=small
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

LIB_SRC := $(wildcard lib/*.c)
KERNEL_SRC := boot/entry.S $(wildcard kernel/*.c kernel/*.S vmm/*.c svm/*.c svm/*.S vmx/*.c vmx/*.S) $(LIB_SRC)
KERNEL_OBJ := $(patsubst %,$(BUILD)/k/%.o,$(KERNEL_SRC))
# The guest runtime reuses the console, end-of-run and parsing code of the kernel.
GUEST_RT_SRC := guests/rt/entry.S guests/rt/rt.c kernel/console.c kernel/panic.c \
	kernel/memmap.c kernel/cmdline.c vmm/policy.c $(LIB_SRC)
GUEST_RT_OBJ := $(patsubst %,$(BUILD)/g/%.o,$(GUEST_RT_SRC))
# A guest is guests/NAME.c or the files of guests/NAME/, linked with the runtime.
GUESTS := hello probe-svm bench
GUEST_ELFS := $(patsubst %,$(BUILD)/guests/%.elf,$(GUESTS))

all: $(BUILD)/matryoshka.elf $(GUEST_ELFS) $(BUILD)/guests/notanimage.bin

$(BUILD)/k/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(KCFLAGS) -c $< -o $@
$(BUILD)/k/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(KCFLAGS) -D__ASSEMBLY__ -c $< -o $@
$(BUILD)/g/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (guest)"; $(CC) $(GCFLAGS) -c $< -o $@
$(BUILD)/g/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  CC  $< (guest)"; $(CC) $(GCFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/kernel.ld: boot/kernel.ld boot/layout.h kernel/status.h
	@mkdir -p $(dir $@)
	$(CC) -E -P -x c -I. -D__ASSEMBLY__ $< -o $@

$(BUILD)/matryoshka64.elf: $(KERNEL_OBJ) $(BUILD)/kernel.ld
	ld $(LDFLAGS) -T $(BUILD)/kernel.ld $(KERNEL_OBJ) -o $@
$(BUILD)/matryoshka.elf: $(BUILD)/matryoshka64.elf tools/mkelf32 tools/elf32-wrap.ld
	tools/mkelf32 $< $@ mb_entry32 __image_phys_start __load_phys_end __bss_phys_end

guest_objs = $(patsubst %,$(BUILD)/g/%.o,$(wildcard guests/$(1).c guests/$(1)/*.c guests/$(1)/*.S))
define GUEST_RULE
$(BUILD)/guests/$(1).elf64: $(call guest_objs,$(1)) $(GUEST_RT_OBJ) guests/rt/guest.ld
	@mkdir -p $$(dir $$@)
	ld $(LDFLAGS) -T guests/rt/guest.ld $(GUEST_RT_OBJ) $(call guest_objs,$(1)) -o $$@
endef
$(foreach g,$(GUESTS),$(eval $(call GUEST_RULE,$(g))))
$(BUILD)/guests/%.elf: $(BUILD)/guests/%.elf64 tools/mkelf32 tools/elf32-wrap.ld
	tools/mkelf32 $< $@ guest_entry32 __image_start __load_end __image_end

# A module that is not a multiboot image, for the negative tests.
$(BUILD)/guests/notanimage.bin:
	@mkdir -p $(dir $@)
	printf 'this is not a multiboot image\n' > $@

.SECONDARY:

# The default nest: four levels, L0 -> L1 -> L2 (matryoshka) -> L3 (hello) on AMD-V; one
# level on VT-x until nested VT-x is offered.
K := $(BUILD)/matryoshka.elf
NEST ?= $(if $(filter intel,$(VENDOR)),$(K),$(K) $(K) $(K)) $(BUILD)/guests/hello.elf
run:
	@tools/deps $(if $(filter intel,$(VENDOR)),bochs,qemu)
	@$(MAKE) --no-print-directory all
	tools/run --vendor $(VENDOR) $(if $(EMU),--emu $(EMU)) $(NEST)

test:
	@tools/deps test
	@$(MAKE) --no-print-directory all
	tests/run-all.sh

# The default nest with `trace` at every matryoshka level, summarized: how each exit travelled.
TRACE_NEST := $(if $(filter intel,$(VENDOR)),"$(K) trace","$(K) trace" "$(K) trace" "$(K) trace") $(BUILD)/guests/hello.elf
trace:
	@tools/deps $(if $(filter intel,$(VENDOR)),bochs,qemu)
	@$(MAKE) --no-print-directory all
	tools/run --vendor $(VENDOR) $(if $(EMU),--emu $(EMU)) --log $(BUILD)/trace.log $(TRACE_NEST) >/dev/null || true
	@echo "exit journeys (full transcript in $(BUILD)/trace.log):"
	@tools/trace-summary $(BUILD)/trace.log

# A bootable GRUB ISO of the nest, for real hardware or another VM.
iso:
	@tools/deps bochs
	@$(MAKE) --no-print-directory all
	tools/run --iso $(BUILD)/matryoshka.iso $(NEST)

bench:
	@tools/deps qemu bochs
	@$(MAKE) --no-print-directory all
	tools/bench

include tests/unit/unit.mk
include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.PHONY: all clean run test bench iso trace
clean:
	rm -rf $(BUILD)
