/* What a level learns from its multiboot loader, copied into the level's own memory. */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H
#include "lib/types.h"
#include "kernel/memmap.h"

#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 256

struct boot_module {
	u64 start, end; /* physical, as the loader left it (later: the staged copy) */
	char cmdline[BOOT_CMDLINE_MAX];
};

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX];
	int nmods;
	struct boot_module mod[BOOT_MAX_MODULES];
	struct memmap map; /* the machine (or this level's view of it) */
	u32 mbi_pa;
	u32 mem_lower_kb; /* from the loader, passed down */
};

/*
 * Reads the multiboot information at `mbi` (reachable through `ptr`) into `bi`.  Returns NULL
 * or a message saying what is missing or malformed.
 */
const char *bootinfo_parse(const struct mb_info *mbi, void *(*ptr)(u64 pa), struct boot_info *bi);

#endif
