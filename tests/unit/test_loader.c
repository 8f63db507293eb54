/* kernel/loader.c: multiboot header search, a.out kludge and ELF32/ELF64 load plans. */
#include "tests/unit/unit.h"

#include "kernel/loader.h"
#include "kernel/multiboot.h"
#include "lib/string.h"

#define IMG_SIZE 0x3000
#define BASIC_FLAGS (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO)

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}
static void put16(u8 *p, u16 v)
{
	memcpy(p, &v, 2);
}
static void put64(u8 *p, u64 v)
{
	memcpy(p, &v, 8);
}

struct kludge {
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* Writes a multiboot header at off; the a.out fields only if the flags ask for them. */
static void put_header(u8 *img, size_t off, u32 flags, const struct kludge *k)
{
	put32(img + off, MB_HEADER_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, (u32)-(MB_HEADER_MAGIC + flags));
	if (k) {
		put32(img + off + 12, k->header_addr);
		put32(img + off + 16, k->load_addr);
		put32(img + off + 20, k->load_end_addr);
		put32(img + off + 24, k->bss_end_addr);
		put32(img + off + 28, k->entry_addr);
	}
}

static u8 *new_img(size_t size)
{
	u8 *img = malloc(size ? size : 1);
	assert_non_null(img);
	for (size_t i = 0; i < size; i++)
		img[i] = (u8)(i * 7 + 3); /* not zero, not a header */
	return img;
}

/* Parses exactly `size` bytes from a heap copy, so ASan catches reads past the end. */
static const char *parse(const u8 *img, size_t size, struct load_plan *p)
{
	u8 *copy = malloc(size ? size : 1);
	assert_non_null(copy);
	memcpy(copy, img, size);
	memset(p, 0x5a, sizeof(*p));
	const char *err = loader_parse(copy, size, p);
	free(copy);
	return err;
}

static void expect_error(const u8 *img, size_t size, const char *fragment)
{
	struct load_plan p;
	const char *err = parse(img, size, &p);
	if (!err)
		fail_msg("accepted; expected an error containing '%s'", fragment);
	if (!strstr(err, fragment))
		fail_msg("error '%s' does not contain '%s'", err, fragment);
}

static void expect_ok(const u8 *img, size_t size, struct load_plan *p)
{
	const char *err = parse(img, size, p);
	if (err)
		fail_msg("rejected: %s", err);
}

static const struct kludge good_kludge = {0x100040, 0x100000, 0x102000, 0x105000, 0x100080};

/* ---- a.out kludge ---- */

static void test_kludge_valid(void **state)
{
	(void)state;
	u8 *img = new_img(IMG_SIZE);
	put_header(img, 0x40, BASIC_FLAGS | MB_HF_AOUT_KLUDGE, &good_kludge);
	struct load_plan p;
	expect_ok(img, IMG_SIZE, &p);
	assert_true(p.aout_kludge);
	assert_int_equal(p.nsegs, 1);
	assert_int_equal(p.seg[0].file_off, 0);
	assert_int_equal(p.seg[0].dst, 0x100000);
	assert_int_equal(p.seg[0].filesz, 0x2000);
	assert_int_equal(p.seg[0].memsz, 0x5000);
	assert_int_equal(p.entry, 0x100080);
	assert_int_equal(p.lowest, 0x100000);
	assert_int_equal(p.highest, 0x105000);
	free(img);
}

static void test_kludge_defaults_and_offset(void **state)
{
	(void)state;
	u8 *img = new_img(IMG_SIZE);
	/* 4 KiB of file before the loaded part; load_end 0 = to the end of the file, bss 0 = none */
	struct kludge k = {0x200040, 0x200000, 0, 0, 0x200000};
	put_header(img, 0x1040, MB_HEADER_FLAGS, &k);
	struct load_plan p;
	expect_ok(img, IMG_SIZE, &p);
	assert_int_equal(p.nsegs, 1);
	assert_int_equal(p.seg[0].file_off, 0x1000);
	assert_int_equal(p.seg[0].dst, 0x200000);
	assert_int_equal(p.seg[0].filesz, IMG_SIZE - 0x1000);
	assert_int_equal(p.seg[0].memsz, IMG_SIZE - 0x1000);
	assert_int_equal(p.highest, 0x200000 + IMG_SIZE - 0x1000);
	assert_int_equal(p.entry, 0x200000);
	free(img);
}

static void test_kludge_errors(void **state)
{
	(void)state;
	struct {
		struct kludge k;
		const char *error;
	} cases[] = {
		{{0x100040, 0x100080, 0x102000, 0, 0x100080}, "load_addr above header_addr"},
		{{0x200040, 0x100000, 0x102000, 0, 0x100080}, "exceeds the header's file offset"},
		{{0x100040, 0x100000, 0x0ff000, 0, 0x100080}, "load_end_addr below load_addr"},
		{{0x100040, 0x100000, 0x100000 + IMG_SIZE + 1, 0, 0x100080}, "image shorter"},
		{{0x100040, 0x100000, 0x102000, 0x101fff, 0x100080}, "bss_end_addr below"},
		{{0x100040, 0x100000, 0x102000, 0x105000, 0x0fffff}, "entry_addr outside"},
		{{0x100040, 0x100000, 0x102000, 0x105000, 0x102000}, "entry_addr outside"},
		{{0x100040, 0x100000, 0x102000, 0x105000, 0x104000}, "entry_addr outside"}, /* bss */
		{{0x80040, 0x80000, 0x82000, 0, 0x80080}, "below 1 MiB"},
		{{0xffffe040, 0xffffe000, 0, 0, 0xffffe080}, "above 4 GiB"},
		{{0xfffff040, 0xfffff000, 0, 0, 0xfffff080}, "above 4 GiB"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u8 *img = new_img(IMG_SIZE);
		put_header(img, 0x40, MB_HEADER_FLAGS, &cases[i].k);
		expect_error(img, IMG_SIZE, cases[i].error);
		free(img);
	}
}

static void test_kludge_boundaries_accepted(void **state)
{
	(void)state;
	struct kludge ok[] = {
		{0x100040, 0x100000, 0x100000 + IMG_SIZE, 0, 0x100000},	/* whole file, entry first */
		{0x100040, 0x100000, 0x102000, 0x102000, 0x101fff},	/* bss_end == load_end */
		{0xffffd040, 0xffffd000, 0, 0, 0xffffd000},		/* ends exactly at 4 GiB */
		{0x100040, 0x100000, 0x100100, 0, 0x100000},		/* load_end inside header */
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		u8 *img = new_img(IMG_SIZE);
		put_header(img, 0x40, MB_HEADER_FLAGS, &ok[i]);
		struct load_plan p;
		expect_ok(img, IMG_SIZE, &p);
		assert_int_equal(p.seg[0].dst, ok[i].load_addr);
		free(img);
	}
}

static void test_kludge_truncated(void **state)
{
	(void)state;
	u8 *img = new_img(IMG_SIZE);
	put_header(img, 0x40, MB_HEADER_FLAGS, &good_kludge);
	expect_error(img, 0x40 + 20, "truncated"); /* magic, flags, checksum present */
	expect_error(img, 0x40 + 31, "truncated");
	free(img);
}

/* ---- header search and flags ---- */

/* An ELF32 image with one PT_LOAD at 1 MiB and a plain (non-kludge) header at mb_off. */
static u8 *elf32_image(size_t size, size_t mb_off)
{
	u8 *img = new_img(size);
	memset(img, 0, 0x200);
	memcpy(img, "\177ELF", 4);
	img[4] = 1; /* ELFCLASS32 */
	img[5] = 1; /* little-endian */
	img[6] = 1;
	put16(img + 16, 2); /* ET_EXEC */
	put16(img + 18, 3); /* EM_386 */
	put32(img + 20, 1);
	put32(img + 24, 0x100010);	 /* e_entry */
	put32(img + 28, 52);		 /* e_phoff */
	put16(img + 40, 52);
	put16(img + 42, 32);		 /* e_phentsize */
	put16(img + 44, 1);		 /* e_phnum */
	u8 *ph = img + 52;
	put32(ph + 0, 1);		 /* PT_LOAD */
	put32(ph + 4, 0x1000);		 /* p_offset */
	put32(ph + 8, 0xc0100000);	 /* p_vaddr: must be ignored */
	put32(ph + 12, 0x100000);	 /* p_paddr */
	put32(ph + 16, 0x800);		 /* p_filesz */
	put32(ph + 20, 0x2000);		 /* p_memsz */
	put_header(img, mb_off, BASIC_FLAGS, NULL);
	return img;
}

static void test_header_search_window(void **state)
{
	(void)state;
	struct load_plan p;
	/* the last 4-byte aligned position whose 12 bytes lie in the first 8 KiB */
	u8 *img = elf32_image(0x4000, 8192 - 12);
	expect_ok(img, 0x4000, &p);
	assert_int_equal(p.seg[0].dst, 0x100000);
	free(img);
	img = elf32_image(0x4000, 8192 - 8);
	expect_error(img, 0x4000, "no multiboot header");
	free(img);
	img = elf32_image(0x4000, 8192);
	expect_error(img, 0x4000, "no multiboot header");
	free(img);
}

static void test_header_search_alignment_checksum(void **state)
{
	(void)state;
	u8 *img = elf32_image(0x3000, 0x102); /* not 4-byte aligned */
	expect_error(img, 0x3000, "no multiboot header");
	free(img);

	img = elf32_image(0x3000, 0x100);
	put32(img + 0x108, 0x12345678); /* bad checksum */
	expect_error(img, 0x3000, "no multiboot header");
	/* a second, valid header further on is found */
	put_header(img, 0x200, BASIC_FLAGS, NULL);
	struct load_plan p;
	expect_ok(img, 0x3000, &p);
	free(img);
}

static void test_header_search_short_images(void **state)
{
	(void)state;
	struct load_plan p;
	u8 *img = new_img(64);
	expect_error(img, 0, "no multiboot header");
	memset(&p, 0x5a, sizeof(p));
	assert_non_null(loader_parse(img, 0, &p));
	assert_int_equal(p.nsegs, 0); /* the plan is cleared even on error */
	/* header cut by the end of the image */
	put_header(img, 52, BASIC_FLAGS, NULL);
	expect_error(img, 60, "no multiboot header");
	/* only a header: neither kludge nor room for ELF */
	put_header(img, 0, BASIC_FLAGS, NULL);
	expect_error(img, 12, "too short for ELF");
	free(img);
}

static void test_header_flags(void **state)
{
	(void)state;
	u8 *img = new_img(IMG_SIZE);
	put_header(img, 0x40, MB_HEADER_FLAGS | BIT(2), &good_kludge); /* video mode */
	expect_error(img, IMG_SIZE, "video mode");
	put_header(img, 0x40, MB_HEADER_FLAGS | BIT(15), &good_kludge);
	expect_error(img, IMG_SIZE, "flag bits 0-15");
	put_header(img, 0x40, MB_HF_AOUT_KLUDGE, &good_kludge); /* no required bits */
	struct load_plan p;
	expect_ok(img, IMG_SIZE, &p);
	put_header(img, 0x40, MB_HEADER_FLAGS | BIT(20), &good_kludge); /* optional high bit */
	expect_ok(img, IMG_SIZE, &p);
	assert_true(p.aout_kludge);
	free(img);
}

/* ---- ELF ---- */

static void test_elf32_segments(void **state)
{
	(void)state;
	u8 *img = elf32_image(0x3000, 0x200);
	put16(img + 44, 4); /* four program headers */
	u8 *ph = img + 52 + 32;
	put32(ph + 0, 4); /* PT_NOTE: skipped */
	put32(ph + 12, 0x50000);
	put32(ph + 16, 0x10);
	put32(ph + 20, 0x10);
	ph += 32;
	put32(ph + 0, 1); /* PT_LOAD with memsz 0: skipped */
	put32(ph + 4, 0);
	put32(ph + 12, 0x50000);
	put32(ph + 16, 0);
	put32(ph + 20, 0);
	ph += 32;
	put32(ph + 0, 1);
	put32(ph + 4, 0x2000);
	put32(ph + 8, 0xc0200000);
	put32(ph + 12, 0x200000);
	put32(ph + 16, 0x800);
	put32(ph + 20, 0x800);
	struct load_plan p;
	expect_ok(img, 0x3000, &p);
	assert_false(p.aout_kludge);
	assert_int_equal(p.nsegs, 2);
	assert_int_equal(p.seg[0].file_off, 0x1000);
	assert_int_equal(p.seg[0].dst, 0x100000); /* paddr, not vaddr */
	assert_int_equal(p.seg[0].filesz, 0x800);
	assert_int_equal(p.seg[0].memsz, 0x2000);
	assert_int_equal(p.seg[1].file_off, 0x2000);
	assert_int_equal(p.seg[1].dst, 0x200000);
	assert_int_equal(p.seg[1].filesz, 0x800);
	assert_int_equal(p.seg[1].memsz, 0x800);
	assert_int_equal(p.entry, 0x100010);
	assert_int_equal(p.lowest, 0x100000);
	assert_int_equal(p.highest, 0x200800);
	free(img);
}

static u8 *elf64_image(size_t size)
{
	u8 *img = new_img(size);
	memset(img, 0, 0x200);
	memcpy(img, "\177ELF", 4);
	img[4] = 2; /* ELFCLASS64 */
	img[5] = 1;
	img[6] = 1;
	put16(img + 16, 2);
	put16(img + 18, 62); /* EM_X86_64 */
	put32(img + 20, 1);
	put64(img + 24, 0x100020);	     /* e_entry */
	put64(img + 32, 64);		     /* e_phoff */
	put16(img + 52, 64);
	put16(img + 54, 56);		     /* e_phentsize */
	put16(img + 56, 2);		     /* e_phnum */
	u8 *ph = img + 64;
	put32(ph + 0, 1);
	put64(ph + 8, 0x1000);		     /* p_offset */
	put64(ph + 16, 0xffffffff80100000ull); /* p_vaddr */
	put64(ph + 24, 0x100000);	     /* p_paddr */
	put64(ph + 32, 0x1000);		     /* p_filesz */
	put64(ph + 40, 0x1800);		     /* p_memsz */
	ph += 56;
	put32(ph + 0, 1);
	put64(ph + 8, 0x2000);
	put64(ph + 16, 0xffffffff80400000ull);
	put64(ph + 24, 0x400000);
	put64(ph + 32, 0x100);
	put64(ph + 40, 0x10000);
	put_header(img, 0x180, BASIC_FLAGS, NULL);
	return img;
}

static void test_elf64_segments(void **state)
{
	(void)state;
	u8 *img = elf64_image(0x3000);
	struct load_plan p;
	expect_ok(img, 0x3000, &p);
	assert_false(p.aout_kludge);
	assert_int_equal(p.nsegs, 2);
	assert_int_equal(p.seg[0].file_off, 0x1000);
	assert_int_equal(p.seg[0].dst, 0x100000);
	assert_int_equal(p.seg[0].filesz, 0x1000);
	assert_int_equal(p.seg[0].memsz, 0x1800);
	assert_int_equal(p.seg[1].file_off, 0x2000);
	assert_int_equal(p.seg[1].dst, 0x400000);
	assert_int_equal(p.seg[1].memsz, 0x10000);
	assert_int_equal(p.entry, 0x100020);
	assert_int_equal(p.lowest, 0x100000);
	assert_int_equal(p.highest, 0x410000);
	free(img);
}

static void test_elf_header_errors(void **state)
{
	(void)state;
	u8 *img = elf32_image(0x3000, 0x200);
	img[0] = 0x7e;
	expect_error(img, 0x3000, "not an ELF file");
	img[0] = 0x7f;
	img[5] = 2;
	expect_error(img, 0x3000, "not little-endian");
	img[5] = 1;
	put16(img + 16, 3); /* ET_DYN */
	expect_error(img, 0x3000, "not an executable");
	put16(img + 16, 2);
	img[4] = 3;
	expect_error(img, 0x3000, "neither 32 nor 64");
	img[4] = 1;
	put16(img + 42, 16);
	expect_error(img, 0x3000, "program header size too small");
	put16(img + 42, 32);
	put16(img + 44, 0);
	expect_error(img, 0x3000, "no program headers");
	put16(img + 44, 1);
	put32(img + 28, 0x3001);
	expect_error(img, 0x3000, "program headers lie outside the file");
	put32(img + 28, 0x3000 - 31);
	expect_error(img, 0x3000, "program headers lie outside the file");
	put32(img + 28, 52);
	put16(img + 44, 0xffff);
	expect_error(img, 0x3000, "program headers lie outside the file");
	put16(img + 44, 1);
	struct load_plan p;
	expect_ok(img, 0x3000, &p); /* everything restored */
	free(img);

	img = elf64_image(0x3000);
	put16(img + 54, 32);
	expect_error(img, 0x3000, "ELF64 program header size too small");
	free(img);
}

static void test_elf_truncated_headers(void **state)
{
	(void)state;
	u8 *img = new_img(64);
	memset(img, 0, 64);
	memcpy(img, "\177ELF", 4);
	img[4] = 1;
	img[5] = 1;
	put16(img + 16, 2);
	put_header(img, 36, BASIC_FLAGS, NULL);
	expect_error(img, 48, "ELF32 header truncated");
	img[4] = 2;
	put_header(img, 48, BASIC_FLAGS, NULL);
	expect_error(img, 60, "ELF64 header truncated");
	free(img);
}

static void test_elf_segment_errors(void **state)
{
	(void)state;
	u8 *img = elf32_image(0x3000, 0x200);
	u8 *ph = img + 52;
	put32(ph + 16, 0x2001); /* filesz > memsz */
	expect_error(img, 0x3000, "filesz > memsz");
	put32(ph + 16, 0x800);
	put32(ph + 4, 0x3001); /* offset past the end */
	expect_error(img, 0x3000, "segment lies outside the file");
	put32(ph + 4, 0x2c00); /* offset + filesz past the end */
	expect_error(img, 0x3000, "segment lies outside the file");
	put32(ph + 4, 0x2800); /* ends exactly at the end: fine */
	struct load_plan p;
	expect_ok(img, 0x3000, &p);
	put32(ph + 0, 6); /* PT_PHDR: no loadable segment left */
	expect_error(img, 0x3000, "no loadable segment");
	put32(ph + 0, 1);
	put32(ph + 12, 0x80000);
	expect_error(img, 0x3000, "below 1 MiB");
	put32(ph + 12, 0xfffff000); /* ends at 4 GiB + 4 KiB */
	expect_error(img, 0x3000, "above 4 GiB");
	put32(ph + 12, 0xffffe000); /* ends exactly at 4 GiB */
	expect_ok(img, 0x3000, &p);
	free(img);

	img = elf64_image(0x3000);
	ph = img + 64;
	put64(ph + 24, 0xfffffffffffff000ull); /* wraps */
	expect_error(img, 0x3000, "wraps around");
	put64(ph + 24, 0x100000000ull);
	expect_error(img, 0x3000, "above 4 GiB");
	put64(ph + 24, 0x100000);
	put64(img + 24, 0x100000000ull);
	expect_error(img, 0x3000, "entry point above 4 GiB");
	free(img);
}

static void test_elf_segment_count(void **state)
{
	(void)state;
	size_t size = 0x3000;
	u8 *img = elf32_image(size, 0x400);
	/* LOAD_MAX_SEGS PT_LOADs are fine, one more is not */
	for (int n = LOAD_MAX_SEGS; n <= LOAD_MAX_SEGS + 1; n++) {
		put16(img + 44, (u16)n);
		for (int i = 0; i < n; i++) {
			u8 *ph = img + 52 + 32 * i;
			memset(ph, 0, 32);
			put32(ph + 0, 1);
			put32(ph + 4, 0x1000);
			put32(ph + 12, 0x100000 + 0x10000 * (u32)i);
			put32(ph + 16, 0x100);
			put32(ph + 20, 0x1000);
		}
		struct load_plan p;
		if (n == LOAD_MAX_SEGS) {
			expect_ok(img, size, &p);
			assert_int_equal(p.nsegs, LOAD_MAX_SEGS);
			assert_int_equal(p.highest, 0x100000 + 0x10000 * (LOAD_MAX_SEGS - 1) + 0x1000);
		} else {
			expect_error(img, size, "too many loadable segments");
		}
	}
	free(img);
}

/* ---- the real images ---- */

static void check_real_image(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", unit_build_dir(), name);
	size_t size;
	u8 *img = read_whole_file(path, &size);
	if (!img) {
		print_message("# %s missing (run make first): skipped\n", path);
		skip();
	}
	struct load_plan p;
	const char *err = loader_parse(img, size, &p);
	if (err)
		fail_msg("%s: %s", path, err);
	assert_true(p.aout_kludge); /* the headers carry MB_HEADER_FLAGS */
	assert_int_equal(p.lowest, 0x100000);
	assert_true(p.entry >= p.lowest && p.entry < p.highest);
	assert_true(p.nsegs >= 1);
	for (int i = 0; i < p.nsegs; i++) {
		assert_true(p.seg[i].file_off + p.seg[i].filesz <= size);
		assert_true(p.seg[i].filesz <= p.seg[i].memsz);
	}
	/* the multiboot header and the ELF headers describe the same image */
	assert_memory_equal(img, "\177ELF", 4);
	assert_int_equal(img[4], 1); /* tools/mkelf32 makes ELF32 */
	u32 e_entry, e_phoff, p_type, p_offset, p_paddr, p_filesz, p_memsz;
	memcpy(&e_entry, img + 24, 4);
	memcpy(&e_phoff, img + 28, 4);
	memcpy(&p_type, img + e_phoff, 4);
	memcpy(&p_offset, img + e_phoff + 4, 4);
	memcpy(&p_paddr, img + e_phoff + 12, 4);
	memcpy(&p_filesz, img + e_phoff + 16, 4);
	memcpy(&p_memsz, img + e_phoff + 20, 4);
	assert_int_equal(p_type, 1);
	assert_int_equal(p.entry, e_entry);
	assert_int_equal(p.seg[0].dst, p_paddr);
	assert_int_equal(p.seg[0].file_off, p_offset);
	assert_int_equal(p.highest, (u64)p_paddr + p_memsz);
	assert_int_equal(p.seg[0].filesz, p_filesz);
	assert_int_equal(p.seg[0].memsz, p_memsz);
	free(img);
}

static void test_real_hello_elf(void **state)
{
	(void)state;
	check_real_image("guests/hello.elf");
}

static void test_real_matryoshka_elf(void **state)
{
	(void)state;
	check_real_image("matryoshka.elf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kludge_valid),
		cmocka_unit_test(test_kludge_defaults_and_offset),
		cmocka_unit_test(test_kludge_errors),
		cmocka_unit_test(test_kludge_boundaries_accepted),
		cmocka_unit_test(test_kludge_truncated),
		cmocka_unit_test(test_header_search_window),
		cmocka_unit_test(test_header_search_alignment_checksum),
		cmocka_unit_test(test_header_search_short_images),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_elf32_segments),
		cmocka_unit_test(test_elf64_segments),
		cmocka_unit_test(test_elf_header_errors),
		cmocka_unit_test(test_elf_truncated_headers),
		cmocka_unit_test(test_elf_segment_errors),
		cmocka_unit_test(test_elf_segment_count),
		cmocka_unit_test(test_real_hello_elf),
		cmocka_unit_test(test_real_matryoshka_elf),
	};
	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
