/* Multiboot v1 information structures (Multiboot Specification 0.6.96, section 3.3). */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H
#include "lib/types.h"
#include "boot/multiboot_header.h"

#define MBI_MEM		BIT(0)
#define MBI_BOOTDEV	BIT(1)
#define MBI_CMDLINE	BIT(2)
#define MBI_MODS	BIT(3)
#define MBI_MMAP	BIT(6)
#define MBI_LOADER_NAME BIT(9)

struct PACKED mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe[6];
};

struct PACKED mb_module {
	u32 mod_start, mod_end;
	u32 cmdline;
	u32 pad;
};

struct PACKED mb_mmap_entry {
	u32 size; /* of the rest of the entry */
	u64 addr, len;
	u32 type;
};

struct PACKED mb_header {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

#define MB_MEM_AVAILABLE 1

#endif
