/* vmm/nest_plan.c: placing the guest and writing its multiboot information. */
#include "tests/unit/unit.h"

#include "kernel/bootinfo.h"
#include "kernel/memmap.h"
#include "lib/string.h"
#include "vmm/nest.h"

#define IMG_SIZE 0x3000
#define LIMIT 0x6000000ull

/* A kludge image loading [0x100000, 0x102000) with bss up to 0x104000. */
static u8 *guest_image(u32 load_addr, u32 bss_end)
{
	u8 *img = calloc(1, IMG_SIZE);
	assert_non_null(img);
	u32 flags = MB_HEADER_FLAGS;
	u32 h[8] = {MB_HEADER_MAGIC, flags, (u32) - (MB_HEADER_MAGIC + flags), load_addr + 0x40,
		    load_addr, load_addr + 0x2000, bss_end, load_addr + 0x80};
	memcpy(img + 0x40, h, sizeof(h));
	return img;
}

/* The guest's map: the host's minus a 16 MiB slice at the top of 128 MiB. */
static void guest_map(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
	assert_true(memmap_add(m, 0, 0x9f000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(m, 0x9fc00, 0xa0000, 2));
	assert_true(memmap_add(m, 0xf0000, 0x100000, 2));
	assert_true(memmap_add(m, 0x100000, 0x7000000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(m, 0xfffc0000, 0x100000000ull, 2));
}

static struct boot_info *three_modules(void)
{
	struct boot_info *bi = calloc(1, sizeof(*bi));
	assert_non_null(bi);
	strcpy(bi->cmdline, "build/matryoshka.elf verbose");
	bi->nmods = 3;
	bi->mod[0] = (struct boot_module){0x5000000, 0x5003000, "build/guests/hello.elf probe"};
	bi->mod[1] = (struct boot_module){0x5003000, 0x5004800, "build/guests/hello.elf"};
	bi->mod[2] = (struct boot_module){0x5005000, 0x5008000, "data.bin key=value"};
	guest_map(&bi->map);
	return bi;
}

static void test_plan_layout(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	u8 *img = guest_image(0x100000, 0x104000);
	struct nest_layout l;
	const char *err = nest_plan(bi, &gm, img, IMG_SIZE, LIMIT, &l);
	if (err)
		fail_msg("%s", err);
	assert_int_equal(l.image.entry, 0x100080);
	assert_int_equal(l.image.highest, 0x104000);
	assert_int_equal(l.mod_dst[0], 0); /* module 0 is the image itself */
	assert_int_equal(l.mod_dst[1], 0x104000);
	assert_int_equal(l.mod_dst[2], 0x106000); /* 0x1800 bytes, rounded up to pages */
	assert_int_equal(l.info_pa, 0x109000);
	assert_int_equal(l.info_size, nest_info_size(bi, &gm));
	assert_int_equal(l.info_size, PAGE_SIZE);
	for (int i = 1; i < bi->nmods; i++)
		assert_int_equal(l.mod_dst[i] & (PAGE_SIZE - 1), 0);
	free(img);
	free(bi);
}

static void test_plan_unaligned_image_end(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	u8 *img = guest_image(0x100000, 0x104123);
	struct nest_layout l;
	assert_null(nest_plan(bi, &gm, img, IMG_SIZE, LIMIT, &l));
	assert_int_equal(l.mod_dst[1], 0x105000); /* after the image, page aligned */
	assert_true(l.mod_dst[1] >= l.image.highest);
	/* no modules besides the image: the info block follows the image */
	bi->nmods = 1;
	assert_null(nest_plan(bi, &gm, img, IMG_SIZE, LIMIT, &l));
	assert_int_equal(l.info_pa, 0x105000);
	free(img);
	free(bi);
}

static void test_plan_info_size(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	u64 small = nest_info_size(bi, &gm);
	assert_int_equal(small & (PAGE_SIZE - 1), 0);
	/* long command lines for every module: the block grows past one page */
	bi->nmods = BOOT_MAX_MODULES;
	for (int i = 0; i < BOOT_MAX_MODULES; i++) {
		memset(bi->mod[i].cmdline, 'c', BOOT_CMDLINE_MAX - 1);
		bi->mod[i].cmdline[BOOT_CMDLINE_MAX - 1] = 0;
		bi->mod[i].start = 0x5000000 + (u64)i * 0x1000;
		bi->mod[i].end = bi->mod[i].start + 0x1000;
	}
	u64 big = nest_info_size(bi, &gm);
	u64 need = sizeof(struct mb_info) + BOOT_MAX_MODULES * sizeof(struct mb_module) +
		   (u64)gm.n * sizeof(struct mb_mmap_entry) +
		   BOOT_MAX_MODULES * (u64)BOOT_CMDLINE_MAX + sizeof("matryoshka");
	assert_true(big >= need);
	assert_true(big < need + PAGE_SIZE);
	assert_true(big > small);
	assert_int_equal(big & (PAGE_SIZE - 1), 0);
	free(bi);
}

static void expect_plan_error(struct boot_info *bi, const struct memmap *gm, const u8 *img,
			      u64 size, u64 limit, const char *fragment)
{
	struct nest_layout l;
	const char *err = nest_plan(bi, gm, img, size, limit, &l);
	if (!err)
		fail_msg("planned; expected '%s'", fragment);
	if (!strstr(err, fragment))
		fail_msg("'%s' does not contain '%s'", err, fragment);
}

static void test_plan_errors(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	u8 *img = guest_image(0x100000, 0x104000);

	bi->nmods = 0;
	expect_plan_error(bi, &gm, img, IMG_SIZE, LIMIT, "no guest module");
	bi->nmods = 3;

	/* the loader's own message comes through */
	u8 junk[64];
	memset(junk, 'x', sizeof(junk));
	expect_plan_error(bi, &gm, junk, sizeof(junk), LIMIT, "no multiboot header");

	/* the image must land in guest RAM */
	struct memmap hole;
	guest_map(&hole);
	assert_true(memmap_add(&hole, 0x102000, 0x103000, 2));
	expect_plan_error(bi, &hole, img, IMG_SIZE, LIMIT, "outside the guest's usable RAM");
	struct memmap high;
	memset(&high, 0, sizeof(high));
	assert_true(memmap_add(&high, 0x200000, 0x7000000, MB_MEM_AVAILABLE));
	expect_plan_error(bi, &high, img, IMG_SIZE, LIMIT, "outside the guest's usable RAM");
	/* the image ending in the slice (removed from the guest map) */
	u8 *top = guest_image(0x6fff000, 0x7001000);
	expect_plan_error(bi, &gm, top, IMG_SIZE, 0x8000000, "outside the guest's usable RAM");
	free(top);

	/* the image reaching the staged modules */
	expect_plan_error(bi, &gm, img, IMG_SIZE, 0x103000, "too high");

	/* the modules and the info block must fit below the limit, in RAM */
	expect_plan_error(bi, &gm, img, IMG_SIZE, 0x109000, "not enough guest RAM");
	expect_plan_error(bi, &gm, img, IMG_SIZE, 0x109fff, "not enough guest RAM");
	bi->mod[2].end = bi->mod[2].start + 0x7000000;
	expect_plan_error(bi, &gm, img, IMG_SIZE, 0x8000000, "not enough guest RAM");
	free(img);
	free(bi);
}

static void test_plan_limit_exact(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	u8 *img = guest_image(0x100000, 0x104000);
	struct nest_layout l;
	/* info block ends at 0x10a000: a limit right there is enough */
	assert_null(nest_plan(bi, &gm, img, IMG_SIZE, 0x10a000, &l));
	assert_int_equal(l.info_pa + l.info_size, 0x10a000);
	/* with the image alone, its info block follows it directly */
	bi->nmods = 1;
	assert_null(nest_plan(bi, &gm, img, IMG_SIZE, 0x105000, &l));
	assert_int_equal(l.info_pa, 0x104000);
	expect_plan_error(bi, &gm, img, IMG_SIZE, 0x104fff, "not enough guest RAM");
	free(img);
	free(bi);
}

/* ---- nest_write_info ---- */

struct info_view {
	u8 *buf;
	u64 pa, size;
};
static struct info_view view; /* for the bootinfo ptr callback */

static void *view_ptr(u64 pa)
{
	if (pa < view.pa || pa >= view.pa + view.size)
		fail_msg("pointer %#llx outside the info block [%#llx, %#llx)",
			 (unsigned long long)pa, (unsigned long long)view.pa,
			 (unsigned long long)(view.pa + view.size));
	return view.buf + (pa - view.pa);
}

static const char *view_str(u32 pa)
{
	const char *s = view_ptr(pa);
	size_t max = (size_t)(view.pa + view.size - pa);
	if (strnlen(s, max) == max)
		fail_msg("string at %#x is not terminated inside the block", pa);
	return s;
}

static void plan_and_write(struct boot_info *bi, const struct memmap *gm, struct nest_layout *l)
{
	u8 *img = guest_image(0x100000, 0x104000);
	const char *err = nest_plan(bi, gm, img, IMG_SIZE, LIMIT, l);
	free(img);
	if (err)
		fail_msg("%s", err);
	/* exactly info_size bytes: ASan reports any write past the block */
	view.buf = malloc(l->info_size);
	assert_non_null(view.buf);
	memset(view.buf, 0xcc, l->info_size);
	view.pa = l->info_pa;
	view.size = l->info_size;
	nest_write_info(view.buf, l, bi, gm);
}

static void test_write_info_fields(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	struct nest_layout l;
	plan_and_write(bi, &gm, &l);

	struct mb_info mbi;
	memcpy(&mbi, view.buf, sizeof(mbi));
	u32 want = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	assert_int_equal(mbi.flags & want, want);
	assert_int_equal(mbi.flags & ~want & 0xfff, 0); /* nothing else claimed */
	assert_int_equal(mbi.mem_lower, 0x9f000 >> 10);
	assert_int_equal(mbi.mem_upper, (0x7000000 - 0x100000) >> 10);
	assert_string_equal(view_str(mbi.cmdline), "build/guests/hello.elf probe");
	assert_string_equal(view_str(mbi.boot_loader_name), "matryoshka");

	/* modules 1..n of this level become the guest's modules 0..n-1 */
	assert_int_equal(mbi.mods_count, 2);
	struct mb_module mods[2];
	memcpy(mods, view_ptr(mbi.mods_addr), sizeof(mods));
	assert_int_equal(mods[0].mod_start, l.mod_dst[1]);
	assert_int_equal(mods[0].mod_end, l.mod_dst[1] + 0x1800);
	assert_string_equal(view_str(mods[0].cmdline), "build/guests/hello.elf");
	assert_int_equal(mods[1].mod_start, l.mod_dst[2]);
	assert_int_equal(mods[1].mod_end, l.mod_dst[2] + 0x3000);
	assert_string_equal(view_str(mods[1].cmdline), "data.bin key=value");
	assert_int_equal(mods[0].pad, 0);

	/* the memory map is the guest's map */
	assert_int_equal(mbi.mmap_length, (u32)gm.n * sizeof(struct mb_mmap_entry));
	struct memmap back;
	assert_true(memmap_from_multiboot(&back, view_ptr(mbi.mmap_addr), mbi.mmap_length));
	assert_int_equal(back.n, gm.n);
	assert_memory_equal(back.r, gm.r, (size_t)gm.n * sizeof(gm.r[0]));
	free(view.buf);
	free(bi);
}

/* What the guest's own bootinfo_parse makes of the block: the nest protocol end to end. */
static void test_write_info_round_trip(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	struct nest_layout l;
	plan_and_write(bi, &gm, &l);

	struct boot_info *gbi = malloc(sizeof(*gbi));
	assert_non_null(gbi);
	const char *err = bootinfo_parse((const struct mb_info *)view.buf, view_ptr, gbi);
	if (err)
		fail_msg("%s", err);
	assert_string_equal(gbi->cmdline, bi->mod[0].cmdline);
	assert_int_equal(gbi->nmods, bi->nmods - 1);
	for (int i = 0; i < gbi->nmods; i++) {
		assert_int_equal(gbi->mod[i].start, l.mod_dst[i + 1]);
		assert_int_equal(gbi->mod[i].end - gbi->mod[i].start,
				 bi->mod[i + 1].end - bi->mod[i + 1].start);
		assert_string_equal(gbi->mod[i].cmdline, bi->mod[i + 1].cmdline);
	}
	assert_int_equal(gbi->mem_lower_kb, 0x9f000 >> 10);
	assert_int_equal(gbi->map.n, gm.n);
	assert_memory_equal(gbi->map.r, gm.r, (size_t)gm.n * sizeof(gm.r[0]));
	free(gbi);
	free(view.buf);
	free(bi);
}

static void test_write_info_full_block(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	guest_map(&gm);
	/* the largest block: every module with a maximal command line */
	bi->nmods = BOOT_MAX_MODULES;
	for (int i = 0; i < BOOT_MAX_MODULES; i++) {
		for (int j = 0; j < BOOT_CMDLINE_MAX - 1; j++)
			bi->mod[i].cmdline[j] = (char)('a' + (i + j) % 26);
		bi->mod[i].cmdline[BOOT_CMDLINE_MAX - 1] = 0;
		bi->mod[i].start = 0x5000000 + (u64)i * 0x2000;
		bi->mod[i].end = bi->mod[i].start + 0x1000 + (u64)i;
	}
	struct nest_layout l;
	plan_and_write(bi, &gm, &l);
	struct boot_info *gbi = malloc(sizeof(*gbi));
	assert_non_null(gbi);
	assert_null(bootinfo_parse((const struct mb_info *)view.buf, view_ptr, gbi));
	assert_int_equal(gbi->nmods, BOOT_MAX_MODULES - 1);
	assert_string_equal(gbi->cmdline, bi->mod[0].cmdline);
	assert_string_equal(gbi->mod[14].cmdline, bi->mod[15].cmdline);
	assert_int_equal(gbi->mod[14].end - gbi->mod[14].start, 0x1000 + 15);
	/* modules do not overlap each other or the info block */
	for (int i = 1; i < BOOT_MAX_MODULES; i++) {
		u64 end = l.mod_dst[i] + bi->mod[i].end - bi->mod[i].start;
		u64 next = i + 1 < BOOT_MAX_MODULES ? l.mod_dst[i + 1] : l.info_pa;
		assert_true(end <= next);
	}
	free(gbi);
	free(view.buf);
	free(bi);
}

static void test_write_info_mem_sizes(void **state)
{
	(void)state;
	struct boot_info *bi = three_modules();
	struct memmap gm;
	memset(&gm, 0, sizeof(gm));
	/* no RAM at 0, RAM at 1 MiB only up to a hole */
	assert_true(memmap_add(&gm, 0x1000, 0x9f000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(&gm, 0x100000, 0x4000000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(&gm, 0x4000000, 0x4001000, 2));
	assert_true(memmap_add(&gm, 0x4001000, 0x6000000, MB_MEM_AVAILABLE));
	struct nest_layout l;
	plan_and_write(bi, &gm, &l);
	struct mb_info mbi;
	memcpy(&mbi, view.buf, sizeof(mbi));
	assert_int_equal(mbi.mem_lower, 0);
	assert_int_equal(mbi.mem_upper, (0x4000000 - 0x100000) >> 10);
	free(view.buf);
	free(bi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_layout),
		cmocka_unit_test(test_plan_unaligned_image_end),
		cmocka_unit_test(test_plan_info_size),
		cmocka_unit_test(test_plan_errors),
		cmocka_unit_test(test_plan_limit_exact),
		cmocka_unit_test(test_write_info_fields),
		cmocka_unit_test(test_write_info_round_trip),
		cmocka_unit_test(test_write_info_full_block),
		cmocka_unit_test(test_write_info_mem_sizes),
	};
	return cmocka_run_group_tests_name("nest", tests, NULL, NULL);
}
