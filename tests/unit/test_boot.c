/* kernel/cmdline.c, kernel/bootinfo.c and kernel/acpi.c: what a level learns at boot. */
#include "tests/unit/unit.h"

#include "kernel/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "lib/string.h"

/* ---- cmdline ---- */

static void test_cmdline_args_skips_image_name(void **state)
{
	(void)state;
	assert_string_equal(cmdline_args(NULL), "");
	assert_string_equal(cmdline_args(""), "");
	assert_string_equal(cmdline_args("   "), "");
	assert_string_equal(cmdline_args("build/guests/hello.elf verbose"), "verbose");
	assert_string_equal(cmdline_args("hello.elf"), "");
	assert_string_equal(cmdline_args("  /boot/kernel \t slice=8M verbose"), "slice=8M verbose");
	assert_string_equal(cmdline_args("\tx.elf\tverbose"), "verbose");
	/* no '/' and no .elf: the first word is an option */
	assert_string_equal(cmdline_args("kernel verbose"), "kernel verbose");
	assert_string_equal(cmdline_args("hello.el verbose"), "hello.el verbose");
	assert_string_equal(cmdline_args("elf verbose"), "elf verbose");
	assert_string_equal(cmdline_args("hello.elfx verbose"), "hello.elfx verbose");
	/* only the first word is a candidate */
	assert_string_equal(cmdline_args("verbose a/b.elf"), "verbose a/b.elf");
}

static bool parse(const char *cmdline, struct options *o, char *err, size_t errlen)
{
	o->slice_size = 12345;
	o->verbose = true;
	o->trace = true;
	memset(err, 0, errlen);
	return cmdline_parse(cmdline, o, err, errlen);
}

static void test_cmdline_parse_defaults(void **state)
{
	(void)state;
	struct options o;
	char err[160];
	assert_true(parse(NULL, &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, SLICE_DEFAULT);
	assert_false(o.verbose);
	assert_false(o.trace);
	assert_true(parse("build/matryoshka.elf", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, SLICE_DEFAULT);
	assert_false(o.verbose);
	assert_false(o.trace);
	assert_string_equal(err, ""); /* no message on success */
}

static void test_cmdline_parse_options(void **state)
{
	(void)state;
	struct options o;
	char err[160];
	assert_true(parse("build/matryoshka.elf verbose", &o, err, sizeof(err)));
	assert_true(o.verbose);
	assert_int_equal(o.slice_size, SLICE_DEFAULT);
	assert_true(parse("slice=8M", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, MiB(8));
	assert_false(o.verbose);
	assert_true(parse("x.elf  slice=0x800000\tverbose ", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, MiB(8));
	assert_true(o.verbose);
	assert_true(parse("slice=4M", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, MiB(4));
	assert_true(parse("slice=4G", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, GiB(4));
	assert_true(parse("slice=4096M", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, GiB(4));
	assert_true(parse("slice=6291456", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, MiB(6));
	assert_true(parse("slice=8M slice=32M verbose verbose", &o, err, sizeof(err)));
	assert_int_equal(o.slice_size, MiB(32)); /* the last one wins */
	assert_false(o.trace);
	assert_true(parse("build/matryoshka.elf trace", &o, err, sizeof(err)));
	assert_true(o.trace);
	assert_false(o.verbose);
	assert_true(parse("trace slice=64M verbose", &o, err, sizeof(err)));
	assert_true(o.trace);
	assert_true(o.verbose);
	assert_int_equal(o.slice_size, MiB(64));
}

static void expect_parse_error(const char *cmdline, const char *fragment)
{
	struct options o;
	char err[160];
	if (parse(cmdline, &o, err, sizeof(err)))
		fail_msg("'%s' accepted", cmdline);
	if (!strstr(err, fragment))
		fail_msg("'%s': message '%s' does not contain '%s'", cmdline, err, fragment);
}

static void test_cmdline_parse_bad_slice(void **state)
{
	(void)state;
	expect_parse_error("slice=2M", "bad option 'slice=2M'");
	expect_parse_error("slice=5M", "bad option 'slice=5M'");	  /* not a multiple of 2M */
	expect_parse_error("slice=4097M", "bad option 'slice=4097M'"); /* odd MiB */
	expect_parse_error("slice=4098M", "bad option 'slice=4098M'"); /* above 4G */
	expect_parse_error("slice=8G", "bad option 'slice=8G'");
	expect_parse_error("slice=0", "bad option 'slice=0'");
	expect_parse_error("slice=abc", "bad option 'slice=abc'");
	expect_parse_error("slice=16MB", "bad option 'slice=16MB'");
	expect_parse_error("slice=99999999999999999999M", "bad option");
	expect_parse_error("verbose slice=3M verbose", "bad option 'slice=3M'");
	expect_parse_error("slice=3M", "multiple of 2M between 4M and 4G");
}

static void test_cmdline_parse_unknown(void **state)
{
	(void)state;
	expect_parse_error("bogus", "unknown option 'bogus'");
	expect_parse_error("hello.elf verbose frob slice=8M", "unknown option 'frob'");
	expect_parse_error("verbosex", "unknown option 'verbosex'");
	expect_parse_error("VERBOSE", "unknown option 'VERBOSE'");
	expect_parse_error("verbose=1", "unknown option 'verbose=1'");
	expect_parse_error("slice", "unknown option 'slice'");
	expect_parse_error("tracer", "unknown option 'tracer'");
	expect_parse_error("trac", "unknown option 'trac'");
	expect_parse_error("slice=", "'slice='");
	expect_parse_error("kernel", "known: slice=SIZE, verbose");

	/* the message names exactly the bad word, not what follows it */
	struct options o;
	char err[160];
	assert_false(parse("frob verbose", &o, err, sizeof(err)));
	assert_non_null(strstr(err, "'frob'"));
	assert_null(strstr(err, "frob verbose"));
}

static void test_cmdline_parse_small_error_buffer(void **state)
{
	(void)state;
	struct options o;
	char err[12];
	memset(err, 'Z', sizeof(err));
	assert_false(cmdline_parse("bogus", &o, err, 8));
	assert_int_equal(strlen(err), 7); /* truncated and terminated within errlen */
	assert_int_equal(err[8], 'Z');
	assert_memory_equal(err, "unknown", 7);
}

static void test_cmdline_find(void **state)
{
	(void)state;
	const char *cl = "build/guests/hello.elf slice=8M verbose probe-slice a= x=1=2";
	size_t n = 99;
	const char *v = cmdline_find(cl, "slice", &n);
	assert_non_null(v);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "8M", 2);
	n = 99;
	v = cmdline_find(cl, "verbose", &n);
	assert_non_null(v); /* bare flag: found, empty value */
	assert_int_equal(n, 0);
	v = cmdline_find(cl, "probe-slice", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	n = 99;
	v = cmdline_find(cl, "a", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	v = cmdline_find(cl, "x", &n);
	assert_non_null(v);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "1=2", 3);
	/* prefixes and the image name do not match */
	assert_null(cmdline_find(cl, "probe", &n));
	assert_null(cmdline_find(cl, "slic", &n));
	assert_null(cmdline_find(cl, "verbos", &n));
	assert_null(cmdline_find(cl, "hello", &n));
	assert_null(cmdline_find(cl, "build/guests/hello.elf", &n));
	assert_null(cmdline_find("/path/slice=9M.elf", "slice", &n));
	assert_null(cmdline_find(NULL, "slice", &n));
	assert_null(cmdline_find("", "slice", &n));
	/* the first occurrence wins */
	v = cmdline_find("k=1 k=22", "k", &n);
	assert_non_null(v);
	assert_int_equal(n, 1);
	assert_int_equal(*v, '1');
}

/* ---- bootinfo ---- */

#define PHYS_BASE 0x10000u
#define PHYS_SIZE 0x10000u
static u8 *phys; /* fake physical memory [PHYS_BASE, PHYS_BASE + PHYS_SIZE) */

static void *boot_ptr(u64 pa)
{
	if (pa < PHYS_BASE || pa >= PHYS_BASE + PHYS_SIZE)
		fail_msg("bootinfo dereferenced physical %#llx outside the fake memory",
			 (unsigned long long)pa);
	return phys + (pa - PHYS_BASE);
}

static int phys_setup(void **state)
{
	(void)state;
	phys = calloc(1, PHYS_SIZE);
	return phys ? 0 : -1;
}

static int phys_teardown(void **state)
{
	(void)state;
	free(phys);
	phys = NULL;
	return 0;
}

#define PA_CMDLINE (PHYS_BASE + 0x0)
#define PA_MMAP (PHYS_BASE + 0x1000)
#define PA_MODS (PHYS_BASE + 0x2000)
#define PA_MODSTR (PHYS_BASE + 0x3000)

static void put_str(u32 pa, const char *s)
{
	memcpy(boot_ptr(pa), s, strlen(s) + 1);
}

static u32 put_mmap(void)
{
	struct mb_mmap_entry e[] = {
		{20, 0, 0x9fc00, 1},
		{20, 0x9fc00, 0x400, 2},
		{20, 0x100000, 0x7f00000, 1},
	};
	memcpy(boot_ptr(PA_MMAP), e, sizeof(e));
	return sizeof(e);
}

static void put_module(int i, u32 start, u32 end, const char *cmdline)
{
	struct mb_module m = {start, end, 0, 0};
	if (cmdline) {
		m.cmdline = PA_MODSTR + (u32)i * 0x100;
		put_str(m.cmdline, cmdline);
	}
	memcpy((u8 *)boot_ptr(PA_MODS) + i * sizeof(m), &m, sizeof(m));
}

static void basic_mbi(struct mb_info *mbi)
{
	memset(mbi, 0, sizeof(*mbi));
	mbi->flags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_MODS;
	mbi->mem_lower = 638;
	mbi->cmdline = PA_CMDLINE;
	put_str(PA_CMDLINE, "build/matryoshka.elf verbose");
	mbi->mmap_addr = PA_MMAP;
	mbi->mmap_length = put_mmap();
	mbi->mods_addr = PA_MODS;
	mbi->mods_count = 3;
	put_module(0, 0x200000, 0x230000, "build/guests/hello.elf probe");
	put_module(1, 0x230000, 0x230000, "empty module");
	put_module(2, 0x231000, 0x232345, NULL);
}

static void test_bootinfo_full(void **state)
{
	(void)state;
	struct mb_info mbi;
	basic_mbi(&mbi);
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	memset(bi, 0x5a, sizeof(*bi));
	const char *err = bootinfo_parse(&mbi, boot_ptr, bi);
	if (err)
		fail_msg("%s", err);
	assert_string_equal(bi->cmdline, "build/matryoshka.elf verbose");
	assert_int_equal(bi->mem_lower_kb, 638);
	assert_int_equal(bi->nmods, 3);
	assert_int_equal(bi->mod[0].start, 0x200000);
	assert_int_equal(bi->mod[0].end, 0x230000);
	assert_string_equal(bi->mod[0].cmdline, "build/guests/hello.elf probe");
	assert_int_equal(bi->mod[1].start, 0x230000);
	assert_int_equal(bi->mod[1].end, 0x230000);
	assert_string_equal(bi->mod[1].cmdline, "empty module");
	assert_int_equal(bi->mod[2].end, 0x232345);
	assert_string_equal(bi->mod[2].cmdline, ""); /* cmdline 0: none */
	assert_int_equal(bi->mod[3].start, 0);	    /* the rest is cleared */
	assert_int_equal(bi->map.n, 3);
	assert_int_equal(bi->map.r[0].end, 0x9f000);
	assert_int_equal(bi->map.r[2].base, 0x100000);
	assert_int_equal(bi->map.r[2].end, 0x8000000);
	assert_int_equal(memmap_ram_top(&bi->map), 0x8000000);
	free(bi);
}

static void test_bootinfo_optional_parts(void **state)
{
	(void)state;
	struct mb_info mbi;
	basic_mbi(&mbi);
	/* without their flags, cmdline and modules are not looked at (bogus addresses) */
	mbi.flags = MBI_MMAP;
	mbi.cmdline = 0xdead0000;
	mbi.mods_addr = 0xdead0000;
	mbi.mods_count = 99;
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	assert_null(bootinfo_parse(&mbi, boot_ptr, bi));
	assert_string_equal(bi->cmdline, "");
	assert_int_equal(bi->nmods, 0);
	assert_int_equal(bi->mem_lower_kb, 639); /* no MBI_MEM: the classic default */
	/* no modules at all */
	basic_mbi(&mbi);
	mbi.mods_count = 0;
	assert_null(bootinfo_parse(&mbi, boot_ptr, bi));
	assert_int_equal(bi->nmods, 0);
	free(bi);
}

static void test_bootinfo_long_cmdlines(void **state)
{
	(void)state;
	struct mb_info mbi;
	basic_mbi(&mbi);
	char longs[400];
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	put_str(PA_CMDLINE, longs);
	mbi.mods_count = 1;
	put_module(0, 0x200000, 0x230000, longs);
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	assert_null(bootinfo_parse(&mbi, boot_ptr, bi));
	assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(strlen(bi->mod[0].cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(bi->cmdline[0], 'a');
	free(bi);
}

static void expect_bootinfo_error(struct mb_info *mbi, const char *fragment)
{
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	const char *err = bootinfo_parse(mbi, boot_ptr, bi);
	free(bi);
	if (!err)
		fail_msg("accepted; expected '%s'", fragment);
	if (!strstr(err, fragment))
		fail_msg("'%s' does not contain '%s'", err, fragment);
}

static void test_bootinfo_errors(void **state)
{
	(void)state;
	struct mb_info mbi;
	basic_mbi(&mbi);
	mbi.flags &= ~(u32)MBI_MMAP;
	expect_bootinfo_error(&mbi, "no memory map (multiboot flag 6)");

	basic_mbi(&mbi);
	mbi.mods_count = BOOT_MAX_MODULES + 1;
	expect_bootinfo_error(&mbi, "too many multiboot modules");
	mbi.mods_count = 0xffffffffu;
	expect_bootinfo_error(&mbi, "too many multiboot modules");

	basic_mbi(&mbi);
	put_module(1, 0x240000, 0x23ffff, "backwards");
	expect_bootinfo_error(&mbi, "ends before it starts");

	basic_mbi(&mbi);
	struct mb_mmap_entry rsv[] = {{20, 0, 0x100000, 2}, {20, 0x100000, 0x800, 1}};
	memcpy(boot_ptr(PA_MMAP), rsv, sizeof(rsv));
	mbi.mmap_length = sizeof(rsv); /* RAM smaller than a page: none */
	expect_bootinfo_error(&mbi, "no usable RAM");
	mbi.mmap_length = 0;
	expect_bootinfo_error(&mbi, "no usable RAM");

	basic_mbi(&mbi);
	for (u32 i = 0; i < MEMMAP_MAX + 1; i++) {
		struct mb_mmap_entry e = {20, (u64)i * 0x10000, 0x1000, i % 2 ? 2u : 1u};
		memcpy((u8 *)boot_ptr(PA_MMAP) + i * sizeof(e), &e, sizeof(e));
	}
	mbi.mmap_length = (MEMMAP_MAX + 1) * sizeof(struct mb_mmap_entry);
	expect_bootinfo_error(&mbi, "too many ranges");
}

static void test_bootinfo_max_modules(void **state)
{
	(void)state;
	struct mb_info mbi;
	basic_mbi(&mbi);
	mbi.mods_count = BOOT_MAX_MODULES;
	for (int i = 0; i < BOOT_MAX_MODULES; i++) {
		char name[32];
		snprintf(name, sizeof(name), "mod%d arg", i);
		put_module(i, 0x200000 + (u32)i * 0x1000, 0x200800 + (u32)i * 0x1000, name);
	}
	struct boot_info *bi = malloc(sizeof(*bi));
	assert_non_null(bi);
	assert_null(bootinfo_parse(&mbi, boot_ptr, bi));
	assert_int_equal(bi->nmods, BOOT_MAX_MODULES);
	assert_string_equal(bi->mod[15].cmdline, "mod15 arg");
	assert_int_equal(bi->mod[15].end, 0x200800 + 15 * 0x1000);
	free(bi);
}

/* ---- ACPI ---- */

#define LOW_SIZE 0x100000u		/* [0, 1 MiB) */
#define HIGH_BASE 0x100000000ull	/* [4 GiB, 4 GiB + 64 KiB) */
#define HIGH_SIZE 0x10000u

struct fake_phys {
	u8 *low, *high;
	int reads;
};

static bool fake_read(void *ctx, u64 pa, void *buf, u64 len)
{
	struct fake_phys *m = ctx;
	m->reads++;
	if (pa + len >= pa && pa + len <= LOW_SIZE) {
		memcpy(buf, m->low + pa, len);
		return true;
	}
	if (pa >= HIGH_BASE && pa + len <= HIGH_BASE + HIGH_SIZE && pa + len >= pa) {
		memcpy(buf, m->high + (pa - HIGH_BASE), len);
		return true;
	}
	return false;
}

static u8 *fp_at(struct fake_phys *m, u64 pa)
{
	if (pa >= HIGH_BASE)
		return m->high + (pa - HIGH_BASE);
	return m->low + pa;
}

static void fix_checksum(u8 *p, u32 len, u32 at)
{
	p[at] = 0;
	u8 sum = 0;
	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	p[at] = (u8)-sum;
}

static void put_rsdp(struct fake_phys *m, u64 pa, u8 rev, u32 rsdt, u64 xsdt)
{
	u8 *p = fp_at(m, pa);
	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "MATRYO", 6);
	p[15] = rev;
	memcpy(p + 16, &rsdt, 4);
	u32 len = 36;
	memcpy(p + 20, &len, 4);
	memcpy(p + 24, &xsdt, 8);
	fix_checksum(p, 20, 8);
	fix_checksum(p, 36, 32);
}

static void put_sdt_header(u8 *p, const char *sig, u32 len)
{
	memset(p, 0, 36);
	memcpy(p, sig, 4);
	memcpy(p + 4, &len, 4);
	p[8] = 1;
	memcpy(p + 10, "MATRYO", 6);
}

/* An RSDT (entry 4) or XSDT (entry 8) listing the given tables. */
static void put_root(struct fake_phys *m, u64 pa, const char *sig, const u64 *tables, int n,
		     u32 entry)
{
	u8 *p = fp_at(m, pa);
	u32 len = 36 + (u32)n * entry;
	put_sdt_header(p, sig, len);
	for (int i = 0; i < n; i++)
		memcpy(p + 36 + i * entry, &tables[i], entry);
	fix_checksum(p, len, 9);
}

struct madt_builder {
	u8 buf[1024];
	u32 len;
};

static void madt_init(struct madt_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->len = 44; /* header + local APIC address + flags */
}

static void madt_lapic(struct madt_builder *b, u8 id, u32 flags)
{
	u8 *e = b->buf + b->len;
	e[0] = 0;
	e[1] = 8;
	e[2] = id; /* processor UID */
	e[3] = id;
	memcpy(e + 4, &flags, 4);
	b->len += 8;
}

static void madt_x2apic(struct madt_builder *b, u32 id, u32 flags)
{
	u8 *e = b->buf + b->len;
	memset(e, 0, 16);
	e[0] = 9;
	e[1] = 16;
	memcpy(e + 4, &id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &id, 4);
	b->len += 16;
}

static void madt_raw(struct madt_builder *b, u8 type, u8 len)
{
	u8 *e = b->buf + b->len;
	memset(e, 0xff, len); /* flags-looking bytes set: must not count */
	e[0] = type;
	e[1] = len;
	b->len += len;
}

static void put_madt(struct fake_phys *m, u64 pa, struct madt_builder *b)
{
	put_sdt_header(b->buf, "APIC", b->len);
	u32 lapic = 0xfee00000, flags = 1;
	memcpy(b->buf + 36, &lapic, 4);
	memcpy(b->buf + 40, &flags, 4);
	fix_checksum(b->buf, b->len, 9);
	memcpy(fp_at(m, pa), b->buf, b->len);
}

#define RSDP_PA 0xf5a40ull
#define RSDT_PA 0x7e000ull
#define MADT_PA 0x80000ull
#define FACP_PA 0x81000ull

static int acpi_setup(void **state)
{
	struct fake_phys *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	m->low = calloc(1, LOW_SIZE);
	m->high = calloc(1, HIGH_SIZE);
	if (!m->low || !m->high)
		return -1;
	*state = m;
	return 0;
}

static int acpi_teardown(void **state)
{
	struct fake_phys *m = *state;
	free(m->low);
	free(m->high);
	free(m);
	return 0;
}

/* 3 enabled LAPICs + 1 disabled, an I/O APIC, NMI entries, 2 enabled x2APICs + 1 disabled. */
static void standard_madt(struct fake_phys *m, u64 pa)
{
	struct madt_builder b;
	madt_init(&b);
	madt_lapic(&b, 0, 1);
	madt_lapic(&b, 1, 1);
	madt_raw(&b, 1, 12); /* I/O APIC */
	madt_lapic(&b, 2, 0); /* disabled */
	madt_lapic(&b, 3, 3); /* enabled + online capable */
	madt_lapic(&b, 4, 2); /* online capable only: not running */
	madt_raw(&b, 4, 6);   /* local APIC NMI */
	madt_x2apic(&b, 300, 1);
	madt_x2apic(&b, 301, 0);
	madt_x2apic(&b, 302, 1);
	madt_raw(&b, 0x7f, 10); /* unknown type */
	put_madt(m, pa, &b);
}

static void standard_tables(struct fake_phys *m)
{
	standard_madt(m, MADT_PA);
	u8 *facp = fp_at(m, FACP_PA);
	put_sdt_header(facp, "FACP", 36);
	fix_checksum(facp, 36, 9);
	u64 tables[] = {FACP_PA, MADT_PA};
	put_root(m, RSDT_PA, "RSDT", tables, 2, 4);
	put_rsdp(m, RSDP_PA, 0, (u32)RSDT_PA, 0);
}

static int count(struct fake_phys *m)
{
	struct phys_reader r = {fake_read, m};
	return acpi_count_cpus(&r);
}

static void test_acpi_rsdt_madt(void **state)
{
	struct fake_phys *m = *state;
	standard_tables(m);
	assert_int_equal(count(m), 5);
}

static void test_acpi_rsdp_in_ebda(void **state)
{
	struct fake_phys *m = *state;
	standard_tables(m);
	memset(fp_at(m, RSDP_PA), 0, 36); /* not in the BIOS area any more */
	assert_int_equal(count(m), 0);
	u16 seg = 0x9fc0;
	memcpy(m->low + 0x40e, &seg, 2);
	put_rsdp(m, 0x9fc00 + 0x30, 0, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 5);
	/* an EBDA segment with nothing in it: the BIOS area is still searched */
	memset(fp_at(m, 0x9fc30), 0, 36);
	put_rsdp(m, 0xe0000, 0, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 5);
}

static void test_acpi_rsdp_search_rules(void **state)
{
	struct fake_phys *m = *state;
	standard_tables(m);
	u8 *p = fp_at(m, RSDP_PA);
	/* bad checksum */
	p[8] ^= 1;
	assert_int_equal(count(m), 0);
	p[8] ^= 1;
	assert_int_equal(count(m), 5);
	/* not on a 16-byte boundary */
	memset(p, 0, 36);
	put_rsdp(m, RSDP_PA + 4, 0, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 0);
	memset(fp_at(m, RSDP_PA + 4), 0, 36);
	/* near the end of the BIOS area */
	put_rsdp(m, 0xfffd0, 0, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 5);
}

static void test_acpi_bad_tables(void **state)
{
	struct fake_phys *m = *state;
	standard_tables(m);
	u8 *madt = fp_at(m, MADT_PA), *rsdt = fp_at(m, RSDT_PA);
	madt[40] ^= 0x80; /* MADT checksum broken */
	assert_int_equal(count(m), 0);
	madt[40] ^= 0x80;
	rsdt[20] ^= 0x01; /* RSDT checksum broken */
	assert_int_equal(count(m), 0);
	rsdt[20] ^= 0x01;
	assert_int_equal(count(m), 5);
	/* no MADT listed */
	u64 only_facp[] = {FACP_PA};
	put_root(m, RSDT_PA, "RSDT", only_facp, 1, 4);
	assert_int_equal(count(m), 0);
	/* RSDT pointing at unreadable memory */
	put_rsdp(m, RSDP_PA, 0, 0xfee00000u, 0);
	assert_int_equal(count(m), 0);
	/* memory without any ACPI tables */
	memset(m->low, 0, LOW_SIZE);
	assert_int_equal(count(m), 0);
}

static void test_acpi_madt_malformed_entries(void **state)
{
	struct fake_phys *m = *state;
	struct madt_builder b;
	madt_init(&b);
	madt_lapic(&b, 0, 1);
	madt_lapic(&b, 1, 1);
	madt_raw(&b, 0, 0); /* length 0: the walk must stop, not loop */
	b.len += 6;
	madt_lapic(&b, 2, 1);
	put_madt(m, MADT_PA, &b);
	u64 t[] = {MADT_PA};
	put_root(m, RSDT_PA, "RSDT", t, 1, 4);
	put_rsdp(m, RSDP_PA, 0, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 2);

	/* an entry running past the table's end is not counted */
	madt_init(&b);
	madt_lapic(&b, 0, 1);
	madt_x2apic(&b, 500, 1);
	b.len -= 4;
	put_madt(m, MADT_PA, &b);
	assert_int_equal(count(m), 1);

	/* short LAPIC / x2APIC entries carry no flags */
	madt_init(&b);
	madt_lapic(&b, 0, 1);
	madt_raw(&b, 0, 4);
	madt_raw(&b, 9, 8);
	put_madt(m, MADT_PA, &b);
	assert_int_equal(count(m), 1);
}

static void test_acpi_xsdt(void **state)
{
	struct fake_phys *m = *state;
	standard_tables(m); /* RSDT -> MADT with 5 CPUs */
	/* an XSDT above 4 GiB pointing at a different MADT (above 4 GiB too) with 7 CPUs */
	struct madt_builder b;
	madt_init(&b);
	for (u8 i = 0; i < 7; i++)
		madt_lapic(&b, i, 1);
	put_madt(m, HIGH_BASE + 0x2000, &b);
	u64 xt[] = {HIGH_BASE + 0x2000};
	put_root(m, HIGH_BASE + 0x1000, "XSDT", xt, 1, 8);

	put_rsdp(m, RSDP_PA, 2, (u32)RSDT_PA, HIGH_BASE + 0x1000);
	assert_int_equal(count(m), 7);
	/* revision 0: the XSDT field is not looked at */
	put_rsdp(m, RSDP_PA, 0, (u32)RSDT_PA, HIGH_BASE + 0x1000);
	assert_int_equal(count(m), 5);
	/* revision 2 with a bad extended checksum: back to the RSDT */
	put_rsdp(m, RSDP_PA, 2, (u32)RSDT_PA, HIGH_BASE + 0x1000);
	fp_at(m, RSDP_PA)[32] ^= 0x40;
	assert_int_equal(count(m), 5);
	/* revision 2 with no XSDT address */
	put_rsdp(m, RSDP_PA, 2, (u32)RSDT_PA, 0);
	assert_int_equal(count(m), 5);
	/* an "XSDT" whose signature is RSDT is refused */
	put_root(m, HIGH_BASE + 0x1000, "RSDT", xt, 1, 8);
	put_rsdp(m, RSDP_PA, 2, (u32)RSDT_PA, HIGH_BASE + 0x1000);
	assert_int_equal(count(m), 0);
}

#define ACPI_TEST(fn) cmocka_unit_test_setup_teardown(fn, acpi_setup, acpi_teardown)
#define PHYS_TEST(fn) cmocka_unit_test_setup_teardown(fn, phys_setup, phys_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_args_skips_image_name),
		cmocka_unit_test(test_cmdline_parse_defaults),
		cmocka_unit_test(test_cmdline_parse_options),
		cmocka_unit_test(test_cmdline_parse_bad_slice),
		cmocka_unit_test(test_cmdline_parse_unknown),
		cmocka_unit_test(test_cmdline_parse_small_error_buffer),
		cmocka_unit_test(test_cmdline_find),
		PHYS_TEST(test_bootinfo_full),
		PHYS_TEST(test_bootinfo_optional_parts),
		PHYS_TEST(test_bootinfo_long_cmdlines),
		PHYS_TEST(test_bootinfo_errors),
		PHYS_TEST(test_bootinfo_max_modules),
		ACPI_TEST(test_acpi_rsdt_madt),
		ACPI_TEST(test_acpi_rsdp_in_ebda),
		ACPI_TEST(test_acpi_rsdp_search_rules),
		ACPI_TEST(test_acpi_bad_tables),
		ACPI_TEST(test_acpi_madt_malformed_entries),
		ACPI_TEST(test_acpi_xsdt),
	};
	return cmocka_run_group_tests_name("boot", tests, NULL, NULL);
}
