#include "kernel/loader.h"
#include "kernel/multiboot.h"
#include "lib/string.h"

#define MB_SEARCH_LIMIT	  8192 /* the header lies in the first 8 KiB, 4-byte aligned */
#define MB_KNOWN_REQUIRED (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO)

static const struct mb_header *find_header(const u8 *img, u64 size, u64 *offset)
{
	u64 limit = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;
	for (u64 off = 0; off + 12 <= limit; off += 4) {
		u32 w[3];
		memcpy(w, img + off, 12);
		if (w[0] == MB_HEADER_MAGIC && (u32)(w[0] + w[1] + w[2]) == 0) {
			*offset = off;
			return (const struct mb_header *)(img + off);
		}
	}
	return NULL;
}

static void add_seg(struct load_plan *p, u64 off, u64 dst, u64 filesz, u64 memsz)
{
	struct load_seg *s = &p->seg[p->nsegs++];
	*s = (struct load_seg){off, dst, filesz, memsz};
	if (p->nsegs == 1 || dst < p->lowest)
		p->lowest = dst;
	if (p->nsegs == 1 || dst + memsz > p->highest)
		p->highest = dst + memsz;
}

static const char *parse_kludge(const struct mb_header *h, u64 hoff, u64 size, struct load_plan *p)
{
	if (hoff + sizeof(*h) > size)
		return "multiboot header truncated";
	if (h->load_addr > h->header_addr)
		return "a.out kludge: load_addr above header_addr";
	u64 file_off = hoff - (h->header_addr - h->load_addr);
	if (file_off > hoff)
		return "a.out kludge: header_addr - load_addr exceeds the header's file offset";
	u64 filesz = h->load_end_addr ? (u64)h->load_end_addr - h->load_addr : size - file_off;
	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		return "a.out kludge: load_end_addr below load_addr";
	if (file_off + filesz > size)
		return "a.out kludge: image shorter than load_end_addr - load_addr";
	u64 memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz)
			return "a.out kludge: bss_end_addr below load_end_addr";
		memsz = (u64)h->bss_end_addr - h->load_addr;
	}
	if (h->entry_addr < h->load_addr || h->entry_addr >= h->load_addr + filesz)
		return "a.out kludge: entry_addr outside the loaded image";
	add_seg(p, file_off, h->load_addr, filesz, memsz);
	p->entry = h->entry_addr;
	p->aout_kludge = true;
	return NULL;
}

struct elf_ident {
	u8 magic[4], cls, data, version, osabi, pad[8];
	u16 type, machine;
};

static const char *parse_elf(const u8 *img, u64 size, struct load_plan *p)
{
	struct elf_ident id;
	if (size < sizeof(id))
		return "not a multiboot a.out-kludge image and too short for ELF";
	memcpy(&id, img, sizeof(id));
	if (memcmp(id.magic, "\177ELF", 4) != 0)
		return "no a.out kludge in the multiboot header and not an ELF file";
	if (id.data != 1)
		return "ELF image is not little-endian";
	if (id.type != 2)
		return "ELF image is not an executable (ET_EXEC)";
	u64 phoff, entry;
	u32 phentsize, phnum;
	if (id.cls == 1) {
		if (size < 52)
			return "ELF32 header truncated";
		u32 e, ph;
		u16 es, n;
		memcpy(&e, img + 24, 4);
		memcpy(&ph, img + 28, 4);
		memcpy(&es, img + 42, 2);
		memcpy(&n, img + 44, 2);
		entry = e, phoff = ph, phentsize = es, phnum = n;
		if (phentsize < 32)
			return "ELF32 program header size too small";
	} else if (id.cls == 2) {
		if (size < 64)
			return "ELF64 header truncated";
		u16 es, n;
		memcpy(&entry, img + 24, 8);
		memcpy(&phoff, img + 32, 8);
		memcpy(&es, img + 54, 2);
		memcpy(&n, img + 56, 2);
		phentsize = es, phnum = n;
		if (phentsize < 56)
			return "ELF64 program header size too small";
	} else {
		return "ELF class is neither 32 nor 64 bit";
	}
	if (phnum == 0)
		return "ELF image has no program headers";
	if (phoff > size || (u64)phnum * phentsize > size - phoff)
		return "ELF program headers lie outside the file";
	for (u32 i = 0; i < phnum; i++) {
		const u8 *ph = img + phoff + (u64)i * phentsize;
		u32 type;
		u64 off, paddr, filesz, memsz;
		memcpy(&type, ph, 4);
		if (type != 1) /* PT_LOAD */
			continue;
		if (id.cls == 1) {
			u32 o, pa, fs, ms;
			memcpy(&o, ph + 4, 4);
			memcpy(&pa, ph + 12, 4);
			memcpy(&fs, ph + 16, 4);
			memcpy(&ms, ph + 20, 4);
			off = o, paddr = pa, filesz = fs, memsz = ms;
		} else {
			memcpy(&off, ph + 8, 8);
			memcpy(&paddr, ph + 24, 8);
			memcpy(&filesz, ph + 32, 8);
			memcpy(&memsz, ph + 40, 8);
		}
		if (memsz == 0)
			continue;
		if (filesz > memsz)
			return "ELF segment has filesz > memsz";
		if (off > size || filesz > size - off)
			return "ELF segment lies outside the file";
		if (paddr + memsz < paddr)
			return "ELF segment wraps around the address space";
		if (p->nsegs == LOAD_MAX_SEGS)
			return "ELF image has too many loadable segments";
		add_seg(p, off, paddr, filesz, memsz);
	}
	if (p->nsegs == 0)
		return "ELF image has no loadable segment";
	p->entry = entry;
	return NULL;
}

const char *loader_parse(const u8 *img, u64 size, struct load_plan *p)
{
	memset(p, 0, sizeof(*p));
	u64 hoff;
	const struct mb_header *h = find_header(img, size, &hoff);
	if (!h)
		return "no multiboot header (magic 0x1BADB002 with a valid checksum) in the first "
		       "8 KiB";
	if (hoff + 12 > size)
		return "multiboot header truncated";
	u32 flags;
	memcpy(&flags, &h->flags, 4);
	u32 unknown = flags & 0xffff & ~MB_KNOWN_REQUIRED;
	if (unknown)
		return "multiboot header requires features this loader does not provide (video "
		       "mode or unknown flag bits 0-15)";
	const char *err;
	if (flags & MB_HF_AOUT_KLUDGE) {
		struct mb_header copy;
		if (hoff + sizeof(copy) > size)
			return "multiboot header truncated";
		memcpy(&copy, h, sizeof(copy));
		err = parse_kludge(&copy, hoff, size, p);
	} else {
		err = parse_elf(img, size, p);
	}
	if (err)
		return err;
	if (p->highest > 0x100000000ull)
		return "image loads above 4 GiB, which multiboot cannot enter";
	if (p->lowest < 0x100000)
		return "image loads below 1 MiB, where the firmware lives";
	if (p->entry >= 0x100000000ull)
		return "entry point above 4 GiB";
	return NULL;
}
