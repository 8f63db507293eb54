/* Kernel side of the nest protocol: stage the modules, load the guest, write its info. */
#include "vmm/nest.h"
#include "kernel/console.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "lib/string.h"

static const char *image_name(const char *cmdline)
{
	return cmdline[0] ? cmdline : "(unnamed)";
}

void nest_prepare(struct boot_info *bi, u64 slice_start, u64 slice_end, struct guest_boot *gb)
{
	if (bi->nmods == 0)
		fatal(STATUS_NO_GUEST,
		      "no guest module: the first multiboot module is the guest to run "
		      "(tools/run KERNEL GUEST [MODULE...])");

	memset(gb, 0, sizeof(*gb));
	gb->map = bi->map;
	memmap_remove(&gb->map, slice_start, slice_end);
	gb->slice_start = slice_start;
	gb->slice_end = slice_end;
	gb->name = image_name(bi->mod[0].cmdline);
	/* Mapped at start: everything below 4 GiB and all RAM.  Reserved ranges far above (QEMU
	 * lists one up to 1 TiB) are mapped when first touched, not in advance. */
	gb->map_top = MAX(GiB(4), ALIGN_UP(memmap_ram_top(&bi->map), MiB(2)));

	/* Stage every module just below the slice: the guest image is about to be loaded where
	 * this level itself was loaded, which is where the loader put the modules. */
	u64 total = 0;
	for (int i = 0; i < bi->nmods; i++)
		total += ALIGN_UP(bi->mod[i].end - bi->mod[i].start, PAGE_SIZE);
	if (total + MiB(2) > slice_start)
		fatal(STATUS_NO_MEMORY, "the modules (%lu KiB) do not fit below the slice",
		      total >> 10);
	u64 staging = ALIGN_DOWN(slice_start - total, PAGE_SIZE);
	for (int i = 0; i < bi->nmods; i++)
		if (bi->mod[i].end > staging && bi->mod[i].start < slice_end)
			fatal(STATUS_NO_MEMORY,
			      "module %d lies at %lx-%lx, inside the top of memory this level "
			      "needs; give the machine more memory",
			      i, bi->mod[i].start, bi->mod[i].end);
	u64 at = staging;
	for (int i = 0; i < bi->nmods; i++) {
		u64 len = bi->mod[i].end - bi->mod[i].start;
		memmove(phys_ptr(at), phys_ptr(bi->mod[i].start), len);
		bi->mod[i].start = at;
		bi->mod[i].end = at + len;
		at += ALIGN_UP(len, PAGE_SIZE);
	}

	const u8 *image = phys_ptr(bi->mod[0].start);
	u64 image_size = bi->mod[0].end - bi->mod[0].start;
	struct nest_layout l;
	const char *err = loader_parse(image, image_size, &l.image);
	if (err)
		fatal(STATUS_BAD_IMAGE, "guest module '%s' is not a loadable multiboot image: %s",
		      gb->name, err);
	err = nest_plan(bi, &gb->map, image, image_size, staging, &l);
	if (err)
		fatal(STATUS_BAD_IMAGE, "guest module '%s' cannot be loaded: %s", gb->name, err);

	for (int i = 0; i < l.image.nsegs; i++) {
		const struct load_seg *s = &l.image.seg[i];
		memset(phys_ptr(s->dst), 0, s->memsz);
		memcpy(phys_ptr(s->dst), image + s->file_off, s->filesz);
	}
	for (int i = 1; i < bi->nmods; i++)
		memcpy(phys_ptr(l.mod_dst[i]), phys_ptr(bi->mod[i].start),
		       bi->mod[i].end - bi->mod[i].start);
	nest_write_info(phys_ptr(l.info_pa), &l, bi, &gb->map);

	gb->entry = l.image.entry;
	gb->mbi = l.info_pa;
	kprintf("guest '%s': image %lx-%lx entry %lx, %d module(s) handed down, info at %lx\n",
		gb->name, l.image.lowest, l.image.highest, gb->entry, bi->nmods - 1, gb->mbi);
}
