/* Pure planning of the guest's memory (no memory access beyond the buffers given). */
#include "vmm/nest.h"
#include "lib/string.h"

#define LOADER_NAME "matryoshka"

u64 nest_info_size(const struct boot_info *bi, const struct memmap *guest_map)
{
	u64 n = sizeof(struct mb_info) + (u64)BOOT_MAX_MODULES * sizeof(struct mb_module);
	n += (u64)guest_map->n * sizeof(struct mb_mmap_entry);
	n += strlen(bi->nmods ? bi->mod[0].cmdline : "") + 1;
	for (int i = 1; i < bi->nmods; i++)
		n += strlen(bi->mod[i].cmdline) + 1;
	n += sizeof(LOADER_NAME);
	return ALIGN_UP(n, PAGE_SIZE);
}

const char *nest_plan(const struct boot_info *bi, const struct memmap *guest_map, const u8 *image,
		      u64 image_size, u64 limit, struct nest_layout *out)
{
	memset(out, 0, sizeof(*out));
	if (bi->nmods < 1)
		return "no guest module";
	const char *err = loader_parse(image, image_size, &out->image);
	if (err)
		return err;
	for (int i = 0; i < out->image.nsegs; i++) {
		const struct load_seg *s = &out->image.seg[i];
		if (!memmap_is_ram(guest_map, ALIGN_DOWN(s->dst, PAGE_SIZE),
				   ALIGN_UP(s->dst + s->memsz, PAGE_SIZE)))
			return "the image loads outside the guest's usable RAM";
		if (s->dst + s->memsz > limit)
			return "the image loads too high: it would overwrite the staged modules";
	}
	u64 next = ALIGN_UP(MAX(out->image.highest, 0x100000ull), PAGE_SIZE);
	for (int i = 1; i < bi->nmods; i++) {
		out->mod_dst[i] = next;
		next = ALIGN_UP(next + (bi->mod[i].end - bi->mod[i].start), PAGE_SIZE);
	}
	out->info_pa = next;
	out->info_size = nest_info_size(bi, guest_map);
	next += out->info_size;
	if (next > limit ||
	    !memmap_is_ram(guest_map, ALIGN_DOWN(out->image.highest, PAGE_SIZE), next))
		return "not enough guest RAM for the modules after the image";
	if (next > 0x100000000ull)
		return "the guest's modules would lie above 4 GiB";
	return NULL;
}

static u32 put_string(u8 *buf, u64 *off, u64 base, const char *s)
{
	u64 len = strlen(s) + 1;
	memcpy(buf + *off, s, len);
	u32 pa = (u32)(base + *off);
	*off += len;
	return pa;
}

static void mem_sizes(const struct memmap *m, u32 *lower_kb, u32 *upper_kb)
{
	*lower_kb = 0;
	*upper_kb = 0;
	for (int i = 0; i < m->n; i++) {
		const struct mem_range *r = &m->r[i];
		if (r->type != MB_MEM_AVAILABLE)
			continue;
		if (r->base == 0)
			*lower_kb = (u32)(MIN(r->end, 0xa0000ull) >> 10);
		if (r->base <= 0x100000 && r->end > 0x100000)
			*upper_kb = (u32)(MIN(r->end - 0x100000, 0xffffffffull << 10) >> 10);
	}
}

void nest_write_info(u8 *buf, const struct nest_layout *l, const struct boot_info *bi,
		     const struct memmap *guest_map)
{
	memset(buf, 0, l->info_size);
	struct mb_info *mbi = (struct mb_info *)buf;
	u64 off = sizeof(*mbi);
	struct mb_module *mods = (struct mb_module *)(buf + off);
	u32 mods_pa = (u32)(l->info_pa + off);
	off += (u64)BOOT_MAX_MODULES * sizeof(struct mb_module);
	u32 mmap_pa = (u32)(l->info_pa + off);
	u32 mmap_len = memmap_to_multiboot(guest_map, buf + off,
					   (u32)guest_map->n * sizeof(struct mb_mmap_entry));
	off += mmap_len;

	mbi->flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	u32 lower, upper;
	mem_sizes(guest_map, &lower, &upper);
	mbi->mem_lower = lower;
	mbi->mem_upper = upper;
	mbi->cmdline = put_string(buf, &off, l->info_pa, bi->mod[0].cmdline);
	mbi->mods_count = (u32)(bi->nmods - 1);
	mbi->mods_addr = mods_pa;
	for (int i = 1; i < bi->nmods; i++) {
		mods[i - 1].mod_start = (u32)l->mod_dst[i];
		mods[i - 1].mod_end = (u32)(l->mod_dst[i] + bi->mod[i].end - bi->mod[i].start);
		mods[i - 1].cmdline = put_string(buf, &off, l->info_pa, bi->mod[i].cmdline);
	}
	mbi->mmap_addr = mmap_pa;
	mbi->mmap_length = mmap_len;
	mbi->boot_loader_name = put_string(buf, &off, l->info_pa, LOADER_NAME);
}
