/*
 * Fuzzes kernel/memmap.c: a sequence of memmap_add / memmap_remove / queries driven by the
 * input, checked against a reference model after every step.
 *
 * Addresses come from a small window of "coordinates": off + p * scale + d for p in 0..12 and
 * d in {0, 1, 0x800, 0xfff, 0x1000, scale - 0x1000} (plus 2^64 - 1 in the windows at the top of
 * the address space), with scale 4 KiB, 1 MiB or 2 MiB and the window at 0, across 4 GiB, or at
 * the top of the 64-bit space.  The model keeps one type (or "hole") per interval between
 * consecutive coordinates, which is exact for every range the operations can produce:
 *  - add of a non-RAM type: the interval gets that type (last writer wins);
 *  - add of RAM: only whole pages of [base, end) that no range touches become RAM;
 *  - remove: the interval becomes a hole (with a full map, removing the middle of a range
 *    also drops its upper part, as memmap_remove documents);
 *  - RAM exists in whole pages only: after an add or a remove, a page that is no longer all
 *    RAM loses its RAM (memmap.h: "RAM is shrunk to whole pages");
 *  - a failed add (only allowed with a full map) leaves some valid map: the model resyncs.
 *
 * Checks after every step: the map is normalized (sorted, non-overlapping, non-empty ranges,
 * RAM page-aligned, n <= MEMMAP_MAX) and, merged, equals the model (exactly, without merging,
 * after a successful add of a non-empty range).  On query steps: memmap_is_ram and
 * memmap_ram_top agree with the model; memmap_choose_slice returns a 2 MiB aligned start
 * inside the top RAM range, ending at its end, at least `size` long and the highest such
 * start, or fails only if no such start exists.  At the end: memmap_to_multiboot +
 * memmap_from_multiboot give the same map back.
 */
#define FUZZ_WANT_MEMMAP
#include "tests/fuzz/fuzz.h"
#include "kernel/memmap.h"

#define NP		    12
#define NCO_MAX		    128
#define HOLE		    (-1ll)
#define RAM		    MB_MEM_AVAILABLE
#define PAGE_ALIGN_UP_OK(x) ((x) <= UINT64_MAX - (PAGE_SIZE - 1))

static u64 co[NCO_MAX]; /* sorted coordinates */
static int nco;
static long long cell[NCO_MAX]; /* type of [co[i], co[i + 1]) or HOLE */

struct window {
	u64 off, scale;
};
static const struct window windows[] = {
    {0, KiB(4)},
    {0, MiB(1)},
    {0, MiB(2)},
    {GiB(4) - 6 * KiB(4), KiB(4)},
    {GiB(4) - 6 * MiB(2), MiB(2)},
    {0 - NP * KiB(4), KiB(4)},
    {0 - NP * MiB(1), MiB(1)},
    {0 - NP * MiB(2), MiB(2)},
};
static const u32 types[8] = {1, 2, 3, 4, 5, 0, 0x7fffffff, 0xffffffff};

NO_COVERAGE static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return x < y ? -1 : x > y;
}

NO_COVERAGE static void build_coords(const struct window *w)
{
	const u64 ds[] = {0, 1, 0x800, 0xfff, 0x1000, w->scale - 0x1000};
	u64 v, pv;
	nco = 0;
	for (u64 p = 0; p <= NP; p++) {
		if (__builtin_mul_overflow(p, w->scale, &pv) ||
		    __builtin_add_overflow(w->off, pv, &pv))
			continue;
		for (unsigned k = 0; k < ARRAY_SIZE(ds); k++)
			if (!__builtin_add_overflow(pv, ds[k], &v))
				co[nco++] = v;
	}
	if (w->off + NP * w->scale == 0) /* the window ends at 2^64 */
		co[nco++] = UINT64_MAX;
	qsort(co, (size_t)nco, sizeof(co[0]), cmp_u64);
	int u = 0;
	for (int i = 0; i < nco; i++)
		if (u == 0 || co[u - 1] != co[i])
			co[u++] = co[i];
	nco = u;
	for (int i = 0; i < nco; i++)
		cell[i] = HOLE;
}

NO_COVERAGE static int idx_of(u64 v)
{
	int lo = 0, hi = nco - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (co[mid] == v)
			return mid;
		if (co[mid] < v)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	fprintf(stderr, "harness bug: %#llx is not a coordinate\n", (unsigned long long)v);
	abort();
}

NO_COVERAGE static void model_set(u64 a, u64 b, long long t)
{
	for (int i = idx_of(a), j = idx_of(b); i < j; i++)
		cell[i] = t;
}

/*
 * RAM exists in whole pages only: a page that is not all RAM has no RAM (a RAM range cut
 * mid-page by a reserved range or a removal loses the partial page).  Pages that do not start
 * at a coordinate lie inside one interval, so only those that do can be mixed.
 */
NO_COVERAGE static void model_whole_pages(void)
{
	for (int i = 0; i < nco - 1; i++) {
		u64 p = co[i];
		if ((p & (PAGE_SIZE - 1)) || p > UINT64_MAX - PAGE_SIZE)
			continue;
		int j = i + 1;
		while (j < nco - 1 && co[j] < p + PAGE_SIZE)
			j++;
		bool all = true;
		for (int k = i; k < j; k++)
			all = all && cell[k] == RAM;
		if (!all)
			for (int k = i; k < j; k++)
				if (cell[k] == RAM)
					cell[k] = HOLE;
	}
}

NO_COVERAGE static void model_add(u64 base, u64 end, u32 type)
{
	if (type != RAM) {
		if (base < end)
			model_set(base, end, type);
		model_whole_pages();
		return;
	}
	if (!PAGE_ALIGN_UP_OK(base))
		return; /* no whole page starts at or above base */
	u64 a = ALIGN_UP(base, PAGE_SIZE), b = ALIGN_DOWN(end, PAGE_SIZE);
	if (a >= b)
		return;
	for (int i = 0; i < nco - 1;) {
		if (cell[i] != HOLE) {
			i++;
			continue;
		}
		int j = i;
		while (j < nco - 1 && cell[j] == HOLE)
			j++;
		/* the hole [co[i], co[j]): its whole pages inside [a, b) become RAM */
		if (PAGE_ALIGN_UP_OK(co[i])) {
			u64 f0 = MAX(ALIGN_UP(co[i], PAGE_SIZE), a);
			u64 f1 = MIN(ALIGN_DOWN(co[j], PAGE_SIZE), b);
			if (f0 < f1)
				model_set(f0, f1, RAM);
		}
		i = j;
	}
}

NO_COVERAGE static void model_remove(const struct memmap *before, u64 base, u64 end)
{
	if (base >= end)
		return;
	if (before->n == MEMMAP_MAX) {
		for (int i = 0; i < before->n; i++) {
			const struct mem_range *r = &before->r[i];
			if (r->base >= base || r->end <= end)
				continue;
			/* a split that leaves something on both sides (whole pages, for RAM) needs
			 * a slot: without one, the upper part is lost */
			bool ram = r->type == RAM;
			u64 lo_end = ram ? ALIGN_DOWN(base, PAGE_SIZE) : base;
			u64 hi_base = ram ? ALIGN_UP(end, PAGE_SIZE) : end;
			if (r->base < lo_end && hi_base < r->end) {
				model_set(base, r->end, HOLE);
				model_whole_pages();
				return;
			}
		}
	}
	model_set(base, end, HOLE);
	model_whole_pages();
}

NO_COVERAGE static void model_resync(const struct memmap *m)
{
	for (int i = 0; i < nco - 1; i++) {
		cell[i] = HOLE;
		for (int k = 0; k < m->n; k++)
			if (m->r[k].base <= co[i] && co[i] < m->r[k].end)
				cell[i] = m->r[k].type;
	}
}

NO_COVERAGE static struct memmap model_map(void)
{
	struct memmap out = {0};
	for (int i = 0; i < nco - 1;) {
		if (cell[i] == HOLE) {
			i++;
			continue;
		}
		int j = i;
		while (j < nco - 1 && cell[j] == cell[i])
			j++;
		if (out.n < MEMMAP_MAX)
			out.r[out.n] = (struct mem_range){co[i], co[j], (u32)cell[i]};
		out.n++;
		i = j;
	}
	return out;
}

NO_COVERAGE static struct memmap merged(const struct memmap *m)
{
	struct memmap out = {0};
	for (int i = 0; i < m->n; i++) {
		if (out.n && out.r[out.n - 1].end == m->r[i].base &&
		    out.r[out.n - 1].type == m->r[i].type)
			out.r[out.n - 1].end = m->r[i].end;
		else
			out.r[out.n++] = m->r[i];
	}
	return out;
}

NO_COVERAGE static bool same_ranges(const struct memmap *a, const struct memmap *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->r[i].base != b->r[i].base || a->r[i].end != b->r[i].end ||
		    a->r[i].type != b->r[i].type)
			return false;
	return true;
}

NO_COVERAGE static void compare(const struct memmap *m, bool canonical, const char *after)
{
	check_memmap_structure(m);
	struct memmap want = model_map(), got = canonical ? *m : merged(m);
	if (!same_ranges(&want, &got)) {
		fprintf(stderr, "after %s:\n", after);
		dump_memmap("map", m);
		dump_memmap("model", &want);
		CHECK(!"the map differs from the model");
	}
}

NO_COVERAGE static bool model_is_ram(u64 a, u64 b)
{
	if (a >= b)
		return true;
	for (int i = idx_of(a), j = idx_of(b); i < j; i++)
		if (cell[i] != RAM)
			return false;
	return true;
}

NO_COVERAGE static u64 model_ram_top(void)
{
	for (int i = nco - 2; i >= 0; i--)
		if (cell[i] == RAM)
			return co[i + 1];
	return 0;
}

NO_COVERAGE static void check_slice(const struct memmap *m, u64 size)
{
	u64 s = 0x5a5a, e = 0xa5a5;
	bool ok = memmap_choose_slice(m, size, &s, &e);
	int top = -1;
	for (int i = 0; i < m->n; i++)
		if (m->r[i].type == RAM)
			top = i;
	if (top < 0) {
		CHECK(!ok);
		return;
	}
	u64 rb = m->r[top].base, re = m->r[top].end;
	if (ok) {
		CHECKF(!(s & (MiB(2) - 1)) && s >= rb && e == re && s <= re && re - s >= size &&
			   re - s - size < MiB(2),
		       "slice of %#llx: [%#llx, %#llx) in top RAM [%#llx, %#llx)",
		       (unsigned long long)size, (unsigned long long)s, (unsigned long long)e,
		       (unsigned long long)rb, (unsigned long long)re);
	} else {
		bool none =
		    size > re || rb > UINT64_MAX - (MiB(2) - 1) || ALIGN_UP(rb, MiB(2)) > re - size;
		CHECKF(none, "no slice of %#llx in top RAM [%#llx, %#llx)",
		       (unsigned long long)size, (unsigned long long)rb, (unsigned long long)re);
	}
}

NO_COVERAGE static void check_roundtrip(const struct memmap *m)
{
	static u8 buf[MEMMAP_MAX * sizeof(struct mb_mmap_entry)];
	static struct memmap back;
	u32 need = (u32)m->n * (u32)sizeof(struct mb_mmap_entry);
	if (m->n)
		CHECK(memmap_to_multiboot(m, buf, need - 1) == 0);
	CHECK(memmap_to_multiboot(m, buf, sizeof(buf)) == need);
	CHECK(memmap_from_multiboot(&back, buf, need));
	if (!same_ranges(&back, m)) {
		dump_memmap("map", m);
		dump_memmap("through multiboot entries", &back);
		CHECK(!"memmap_to_multiboot + memmap_from_multiboot changed the map");
	}
}

static struct memmap m, before;

/* The harness's own loop: no coverage of it (the code under test has its own). */
NO_COVERAGE static void run(const uint8_t *data, size_t size)
{
	static int trace = -1; /* FUZZ_TRACE=1: print every operation (to replay a failure) */
	if (trace < 0)
		trace = getenv("FUZZ_TRACE") != NULL;
	struct fin in = {data, size};
	build_coords(&windows[fin_u8(&in) % ARRAY_SIZE(windows)]);
	memset(&m, 0, sizeof(m));
	bool canonical = true;

	while (in.n >= 4) {
		u8 op = fin_u8(&in), ia = fin_u8(&in), ib = fin_u8(&in), t = fin_u8(&in);
		u64 a = co[ia % nco], b = co[ib % nco];
		u32 type = (t & 8) ? RAM : types[t & 7];
		if (trace)
			fprintf(stderr, "op %s [%#llx, %#llx) type %u (n=%d)\n",
				(op % 4) < 2  ? "add"
				: op % 4 == 2 ? "remove"
					      : "query",
				(unsigned long long)a, (unsigned long long)b, type, m.n);
		switch (op % 4) {
		case 0:
		case 1: {
			before = m;
			bool ok = memmap_add(&m, a, b, type);
			if (ok) {
				model_add(a, b, type);
				/* an add of something merges neighbours; an empty one returns early
				 */
				bool empty = type == RAM ? !PAGE_ALIGN_UP_OK(a) ||
							       ALIGN_UP(a, PAGE_SIZE) >=
								   ALIGN_DOWN(b, PAGE_SIZE)
							 : a >= b;
				canonical = canonical || !empty;
				compare(&m, canonical, "memmap_add");
			} else {
				CHECKF(before.n == MEMMAP_MAX || m.n == MEMMAP_MAX,
				       "memmap_add failed with room left (n=%d)", m.n);
				check_memmap_structure(&m);
				model_resync(&m);
				canonical = false;
				compare(&m, false, "a failed memmap_add (model resynced)");
			}
			break;
		}
		case 2:
			before = m;
			memmap_remove(&m, a, b);
			model_remove(&before, a, b);
			compare(&m, canonical, "memmap_remove");
			break;
		default: {
			static const u64 units[4] = {KiB(4), MiB(1), MiB(2), 1ull << 56};
			CHECKF(memmap_is_ram(&m, a, b) == model_is_ram(a, b),
			       "is_ram(%#llx, %#llx)", (unsigned long long)a,
			       (unsigned long long)b);
			check_slice(&m, (u64)(t >> 2) * units[t & 3]);
			CHECKF(memmap_ram_top(&m) == model_ram_top(), "ram_top %#llx, model %#llx",
			       (unsigned long long)memmap_ram_top(&m),
			       (unsigned long long)model_ram_top());
			break;
		}
		}
	}
	if (canonical)
		check_roundtrip(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
