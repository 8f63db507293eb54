#include "kernel/bootinfo.h"
#include "lib/string.h"

static void copy_string(char *dst, const char *src)
{
	strlcpy(dst, src ? src : "", BOOT_CMDLINE_MAX);
}

const char *bootinfo_parse(const struct mb_info *mbi, void *(*ptr)(u64 pa), struct boot_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	if (mbi->flags & MBI_CMDLINE)
		copy_string(bi->cmdline, ptr(mbi->cmdline));
	if (!(mbi->flags & MBI_MMAP))
		return "the loader gave no memory map (multiboot flag 6)";
	if (!memmap_from_multiboot(&bi->map, ptr(mbi->mmap_addr), mbi->mmap_length))
		return "the memory map has too many ranges";
	if (memmap_ram_top(&bi->map) == 0)
		return "the memory map has no usable RAM";
	bi->mem_lower_kb = (mbi->flags & MBI_MEM) ? mbi->mem_lower : 639;
	if (mbi->flags & MBI_MODS) {
		if (mbi->mods_count > BOOT_MAX_MODULES)
			return "too many multiboot modules (at most 16)";
		const struct mb_module *m = ptr(mbi->mods_addr);
		for (u32 i = 0; i < mbi->mods_count; i++) {
			if (m[i].mod_end < m[i].mod_start)
				return "a multiboot module ends before it starts";
			bi->mod[i].start = m[i].mod_start;
			bi->mod[i].end = m[i].mod_end;
			copy_string(bi->mod[i].cmdline, m[i].cmdline ? ptr(m[i].cmdline) : "");
		}
		bi->nmods = (int)mbi->mods_count;
	}
	return NULL;
}
