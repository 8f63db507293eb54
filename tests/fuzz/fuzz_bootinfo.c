/*
 * Fuzzes kernel/bootinfo.c bootinfo_parse and, through it, kernel/memmap.c
 * memmap_from_multiboot: what a level reads from its multiboot loader.
 *
 * The input is fake physical memory starting at address 0 (followed by 512 zero bytes so that
 * strings and the module table end); its first 88 bytes are the struct mb_info.  The ptr
 * callback maps a 32-bit physical address inside the input into it and anything else onto a
 * zero page.  Because
 * memory ends where the input ends, mmap_length is clamped to the bytes that exist from
 * mmap_addr on (a real loader's table lies in real memory).
 *
 * Checks:
 *  - a NULL result implies flag 6 (memory map), RAM in the map, at most 16 modules, each
 *    module's end >= start and equal to the input's, mem_lower from flag 0 or 639;
 *  - the command lines (the level's and every module's) are NUL-terminated within
 *    BOOT_CMDLINE_MAX and are the source string truncated to BOOT_CMDLINE_MAX - 1;
 *  - the memory map is normalized (sorted, non-overlapping, non-empty, RAM page-aligned,
 *    n <= MEMMAP_MAX) and means what the entries say: every non-RAM entry is covered by
 *    non-RAM ranges whose type is that of the last non-RAM entry there; usable RAM lies inside
 *    RAM entries and outside every non-RAM entry; every whole page of a RAM entry that no
 *    non-RAM entry touches is RAM in the map;
 *  - memmap_from_multiboot called again on the same entries gives the same map.
 */
#define FUZZ_WANT_MEMMAP
#include "tests/fuzz/fuzz.h"
#include "kernel/bootinfo.h"
#include "kernel/memmap.h"

#define PAD 512

static u8 *arena; /* the input followed by PAD zero bytes */
static size_t arena_len, mem_len;
static u8 zero_page[4096];

/* Memory is the input: a pointer into it has PAD zero bytes after the input's end. */
static void *fake_ptr(u64 pa)
{
	if (pa < mem_len)
		return arena + pa;
	return zero_page;
}

/* Bytes readable from ptr(pa) on. */
static size_t room_at(u64 pa)
{
	return pa < mem_len ? arena_len - pa : sizeof(zero_page);
}

/* ---- the meaning of the raw entries (independent of memmap.c) ---- */

struct ent {
	u64 a, e; /* [a, e), e saturated at 2^64 - 1 */
	u32 type;
};

#define MAX_ENTS 1024
static struct ent ents[MAX_ENTS];
static int nents;

NO_COVERAGE static void parse_entries(const u8 *p, u32 length)
{
	nents = 0;
	for (u64 off = 0; off + 24 <= length && nents < MAX_ENTS;) {
		u32 sz, type;
		u64 a, len;
		memcpy(&sz, p + off, 4);
		memcpy(&a, p + off + 4, 8);
		memcpy(&len, p + off + 12, 8);
		memcpy(&type, p + off + 20, 4);
		if (sz < 20)
			break;
		u64 e = a + len < a ? UINT64_MAX : a + len;
		ents[nents++] = (struct ent){a, e, type};
		off += (u64)sz + 4;
	}
}

/* Is [x, y) covered by the union of the entries (RAM ones if ram, else non-RAM ones)? */
NO_COVERAGE static bool covered_by_entries(u64 x, u64 y, bool ram)
{
	u64 cur = x;
	while (cur < y) {
		u64 best = cur;
		for (int i = 0; i < nents; i++)
			if ((ents[i].type == MB_MEM_AVAILABLE) == ram && ents[i].a <= cur &&
			    ents[i].e > cur && ents[i].e > best)
				best = ents[i].e;
		if (best == cur)
			return false;
		cur = best;
	}
	return true;
}

/* Is [x, y) covered by map ranges that are RAM (ram) or not RAM (!ram)? */
NO_COVERAGE static bool covered_by_map(const struct memmap *m, u64 x, u64 y, bool ram)
{
	u64 cur = x;
	for (int i = 0; i < m->n && cur < y; i++) {
		const struct mem_range *r = &m->r[i];
		if ((r->type == MB_MEM_AVAILABLE) != ram || r->end <= cur)
			continue;
		if (r->base > cur)
			return false;
		cur = r->end;
	}
	return cur >= y;
}

/* Type of the last non-RAM entry containing x, or 0 with *found false. */
NO_COVERAGE static u32 last_nonram_type(u64 x, bool *found)
{
	*found = false;
	u32 t = 0;
	for (int i = 0; i < nents; i++)
		if (ents[i].type != MB_MEM_AVAILABLE && ents[i].a <= x && x < ents[i].e)
			t = ents[i].type, *found = true;
	return t;
}

struct ext {
	u64 a, e;
};
static struct ext exts[MAX_ENTS];

NO_COVERAGE static int cmp_ext(const void *x, const void *y)
{
	const struct ext *p = x, *q = y;
	return p->a < q->a ? -1 : p->a > q->a;
}

NO_COVERAGE static void check_map_meaning(const struct memmap *m)
{
	for (int i = 0; i < m->n; i++) {
		const struct mem_range *r = &m->r[i];
		if (r->type == MB_MEM_AVAILABLE) {
			CHECKF(covered_by_entries(r->base, r->end, true),
			       "RAM [%#llx, %#llx) is not inside RAM entries",
			       (unsigned long long)r->base, (unsigned long long)r->end);
			for (int k = 0; k < nents; k++)
				if (ents[k].type != MB_MEM_AVAILABLE && ents[k].a < ents[k].e)
					CHECKF(
					    ents[k].e <= r->base || ents[k].a >= r->end,
					    "RAM [%#llx, %#llx) overlaps entry %d [%#llx, %#llx) "
					    "type %u",
					    (unsigned long long)r->base, (unsigned long long)r->end,
					    k, (unsigned long long)ents[k].a,
					    (unsigned long long)ents[k].e, ents[k].type);
		} else {
			CHECKF(covered_by_entries(r->base, r->end, false),
			       "[%#llx, %#llx) type %u is not inside non-RAM entries",
			       (unsigned long long)r->base, (unsigned long long)r->end, r->type);
			bool f1, f2;
			u32 t1 = last_nonram_type(r->base, &f1),
			    t2 = last_nonram_type(r->end - 1, &f2);
			CHECK(f1 && f2);
			CHECKF(t1 == r->type && t2 == r->type,
			       "[%#llx, %#llx) has type %u, its last entries say %u and %u",
			       (unsigned long long)r->base, (unsigned long long)r->end, r->type, t1,
			       t2);
		}
	}
	/* completeness: non-RAM entries are kept, free whole pages of RAM entries are RAM */
	int nx = 0;
	for (int k = 0; k < nents; k++) {
		if (ents[k].type == MB_MEM_AVAILABLE || ents[k].a >= ents[k].e)
			continue;
		CHECKF(covered_by_map(m, ents[k].a, ents[k].e, false),
		       "entry %d [%#llx, %#llx) type %u is not reserved in the map", k,
		       (unsigned long long)ents[k].a, (unsigned long long)ents[k].e, ents[k].type);
		u64 e = ents[k].e > UINT64_MAX - (PAGE_SIZE - 1) ? UINT64_MAX
								 : ALIGN_UP(ents[k].e, PAGE_SIZE);
		exts[nx++] = (struct ext){ALIGN_DOWN(ents[k].a, PAGE_SIZE), e};
	}
	qsort(exts, (size_t)nx, sizeof(exts[0]), cmp_ext);
	for (int k = 0; k < nents; k++) {
		if (ents[k].type != MB_MEM_AVAILABLE || ents[k].a > UINT64_MAX - (PAGE_SIZE - 1))
			continue;
		u64 a = ALIGN_UP(ents[k].a, PAGE_SIZE), e = ALIGN_DOWN(ents[k].e, PAGE_SIZE);
		u64 cur = a;
		for (int j = 0; j < nx && cur < e; j++) {
			if (exts[j].e <= cur)
				continue;
			if (exts[j].a >= e)
				break;
			if (exts[j].a > cur)
				CHECKF(covered_by_map(m, cur, exts[j].a, true),
				       "free pages [%#llx, %#llx) of RAM entry %d are not RAM",
				       (unsigned long long)cur, (unsigned long long)exts[j].a, k);
			cur = MAX(cur, exts[j].e);
		}
		if (cur < e)
			CHECKF(covered_by_map(m, cur, e, true),
			       "free pages [%#llx, %#llx) of RAM entry %d are not RAM",
			       (unsigned long long)cur, (unsigned long long)e, k);
	}
}

NO_COVERAGE static void check_cmdline(const char *got, const char *src)
{
	const char *nul = memchr(got, 0, BOOT_CMDLINE_MAX);
	CHECK(nul != NULL);
	size_t want = 0;
	while (want < BOOT_CMDLINE_MAX - 1 && src[want])
		want++;
	CHECKF((size_t)(nul - got) == want && memcmp(got, src, want) == 0,
	       "command line of %zu bytes, the source has %zu", (size_t)(nul - got), want);
}

static struct boot_info bi;
static struct memmap again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_len = size;
	arena_len = size + PAD;
	arena = calloc(1, arena_len);
	if (size)
		memcpy(arena, data, size);

	struct mb_info mbi;
	memcpy(&mbi, arena, sizeof(mbi)); /* the arena has >= PAD bytes */
	size_t room = room_at(mbi.mmap_addr);
	if (mbi.mmap_length > room)
		mbi.mmap_length = (u32)room;

	const char *err = bootinfo_parse(&mbi, fake_ptr, &bi);

	/* command lines are always terminated, whatever the result */
	if (mbi.flags & MBI_CMDLINE)
		check_cmdline(bi.cmdline, fake_ptr(mbi.cmdline));
	else
		CHECK(bi.cmdline[0] == '\0');

	if (mbi.flags & MBI_MMAP) {
		check_memmap_structure(&bi.map);
		bool ok = memmap_from_multiboot(&again, fake_ptr(mbi.mmap_addr), mbi.mmap_length);
		CHECK(!ok || again.n == bi.map.n);
		for (int i = 0; ok && i < again.n; i++)
			CHECK(again.r[i].base == bi.map.r[i].base &&
			      again.r[i].end == bi.map.r[i].end &&
			      again.r[i].type == bi.map.r[i].type);
		if (ok) {
			parse_entries(fake_ptr(mbi.mmap_addr), mbi.mmap_length);
			check_map_meaning(&bi.map);
		}
	}

	if (err) {
		CHECK(err[0] != '\0');
	} else {
		CHECK(mbi.flags & MBI_MMAP);
		CHECK(memmap_ram_top(&bi.map) != 0);
		CHECK(bi.mem_lower_kb == ((mbi.flags & MBI_MEM) ? mbi.mem_lower : 639));
		if (mbi.flags & MBI_MODS) {
			CHECK(mbi.mods_count <= BOOT_MAX_MODULES);
			CHECK(bi.nmods == (int)mbi.mods_count);
			const u8 *mods = fake_ptr(mbi.mods_addr);
			for (int i = 0; i < bi.nmods; i++) {
				struct mb_module mm;
				memcpy(&mm, mods + 16 * i, sizeof(mm));
				CHECK(bi.mod[i].start == mm.mod_start &&
				      bi.mod[i].end == mm.mod_end);
				CHECK(bi.mod[i].start <= bi.mod[i].end);
				check_cmdline(bi.mod[i].cmdline,
					      mm.cmdline ? fake_ptr(mm.cmdline) : "");
			}
		} else {
			CHECK(bi.nmods == 0);
		}
	}
	for (int i = 0; i < BOOT_MAX_MODULES; i++) {
		CHECK(memchr(bi.mod[i].cmdline, 0, BOOT_CMDLINE_MAX) != NULL);
		if (!err && i >= bi.nmods) /* unused slots stay empty */
			CHECK(bi.mod[i].cmdline[0] == '\0' && bi.mod[i].end == 0);
	}
	free(arena);
	return 0;
}
