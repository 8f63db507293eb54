#include "kernel/memmap.h"
#include "lib/string.h"

static bool insert_at(struct memmap *m, int i, u64 base, u64 end, u32 type)
{
	if (m->n >= MEMMAP_MAX)
		return false;
	memmove(&m->r[i + 1], &m->r[i], (size_t)(m->n - i) * sizeof(m->r[0]));
	m->r[i] = (struct mem_range){base, end, type};
	m->n++;
	return true;
}

static void delete_at(struct memmap *m, int i)
{
	memmove(&m->r[i], &m->r[i + 1], (size_t)(m->n - i - 1) * sizeof(m->r[0]));
	m->n--;
}

void memmap_remove(struct memmap *m, u64 base, u64 end)
{
	if (base >= end)
		return;
	for (int i = 0; i < m->n; i++) {
		struct mem_range *r = &m->r[i];
		if (r->end <= base || r->base >= end)
			continue;
		/* What stays of r below base and above end: RAM keeps whole pages only (no wrap:
		 * a RAM range ends at a page boundary above end). */
		bool ram = r->type == MB_MEM_AVAILABLE;
		u64 lo_end = ram ? ALIGN_DOWN(base, PAGE_SIZE) : base;
		u64 hi_base = ram && r->end > end ? ALIGN_UP(end, PAGE_SIZE) : end;
		bool lo = r->base < lo_end, hi = hi_base < r->end;
		if (lo && hi) {
			/* split; cannot fail for lack of room since we only need one more slot
			 * when the map is not full; if full, keep the lower part only */
			u64 old_end = r->end;
			r->end = lo_end;
			insert_at(m, i + 1, hi_base, old_end, r->type);
			return;
		}
		if (lo) {
			r->end = lo_end;
		} else if (hi) {
			r->base = hi_base;
		} else {
			delete_at(m, i);
			i--;
		}
	}
}

static void merge_neighbours(struct memmap *m)
{
	for (int i = 0; i + 1 < m->n;) {
		if (m->r[i].end == m->r[i + 1].base && m->r[i].type == m->r[i + 1].type) {
			m->r[i].end = m->r[i + 1].end;
			delete_at(m, i + 1);
		} else {
			i++;
		}
	}
}

bool memmap_add(struct memmap *m, u64 base, u64 end, u32 type)
{
	if (type == MB_MEM_AVAILABLE) {
		if (base > ALIGN_DOWN(UINT64_MAX, PAGE_SIZE))
			return true; /* no whole page at or above base (ALIGN_UP would wrap to 0) */
		base = ALIGN_UP(base, PAGE_SIZE);
		end = ALIGN_DOWN(end, PAGE_SIZE);
	}
	if (base >= end)
		return true;
	if (type == MB_MEM_AVAILABLE) {
		/* RAM only fills what no other range claims. */
		u64 cur = base;
		for (int i = 0; i < m->n && cur < end; i++) {
			u64 rbase = m->r[i].base, rend = m->r[i].end;
			if (rend <= cur)
				continue;
			if (rbase >= end)
				break;
			/* the gap before this range, in whole pages (it may end mid-page) */
			u64 gbase = ALIGN_UP(cur, PAGE_SIZE), gend = ALIGN_DOWN(rbase, PAGE_SIZE);
			if (gbase < gend) {
				if (!insert_at(m, i, gbase, gend, type))
					return false;
				i++; /* m->r[i] is this range again */
			}
			cur = rend;
		}
		cur = cur < end ? ALIGN_UP(cur, PAGE_SIZE) : cur; /* cannot wrap: end is aligned */
		if (cur < end) {
			int i = 0;
			while (i < m->n && m->r[i].base < cur)
				i++;
			if (!insert_at(m, i, cur, end, type))
				return false;
		}
	} else {
		memmap_remove(m, base, end);
		int i = 0;
		while (i < m->n && m->r[i].base < base)
			i++;
		if (!insert_at(m, i, base, end, type))
			return false;
	}
	merge_neighbours(m);
	return true;
}

bool memmap_from_multiboot(struct memmap *m, const u8 *entries, u32 length)
{
	m->n = 0;
	/* Two passes: reserved ranges first so that RAM never overrides them. */
	for (int pass = 0; pass < 2; pass++) {
		u64 off = 0; /* u64: a huge e.size must not wrap it back to an earlier entry */
		while (off + sizeof(struct mb_mmap_entry) <= length) {
			struct mb_mmap_entry e;
			memcpy(&e, entries + off, sizeof(e));
			if (e.size < 20)
				break; /* malformed: stop rather than loop forever */
			bool ram = e.type == MB_MEM_AVAILABLE;
			u64 end = e.addr + e.len < e.addr ? UINT64_MAX : e.addr + e.len;
			if (ram == (pass == 1) && !memmap_add(m, e.addr, end, e.type))
				return false;
			off += (u64)e.size + 4;
		}
	}
	return true;
}

u64 memmap_ram_top(const struct memmap *m)
{
	for (int i = m->n - 1; i >= 0; i--)
		if (m->r[i].type == MB_MEM_AVAILABLE)
			return m->r[i].end;
	return 0;
}

bool memmap_is_ram(const struct memmap *m, u64 base, u64 end)
{
	u64 cur = base;
	for (int i = 0; i < m->n && cur < end; i++) {
		const struct mem_range *r = &m->r[i];
		if (r->type != MB_MEM_AVAILABLE || r->end <= cur)
			continue;
		if (r->base > cur)
			return false;
		cur = r->end;
	}
	return cur >= end;
}

u32 memmap_to_multiboot(const struct memmap *m, u8 *out, u32 space)
{
	u32 need = (u32)m->n * (u32)sizeof(struct mb_mmap_entry);
	if (need > space)
		return 0;
	for (int i = 0; i < m->n; i++) {
		struct mb_mmap_entry e = {20, m->r[i].base, m->r[i].end - m->r[i].base,
					  m->r[i].type};
		memcpy(out + (u32)i * sizeof(e), &e, sizeof(e));
	}
	return need;
}

bool memmap_choose_slice_below(const struct memmap *m, u64 size, u64 limit, u64 *start,
			       u64 *end)
{
	for (int i = m->n - 1; i >= 0; i--) {
		const struct mem_range *r = &m->r[i];
		if (r->type != MB_MEM_AVAILABLE || r->base >= limit)
			continue;
		u64 top = MIN(r->end, limit);
		if (top < size)
			return false;
		u64 s = ALIGN_DOWN(top - size, MiB(2));
		if (s < r->base)
			return false;
		*start = s;
		*end = top;
		return true;
	}
	return false;
}

bool memmap_choose_slice(const struct memmap *m, u64 size, u64 *start, u64 *end)
{
	return memmap_choose_slice_below(m, size, ~0ull, start, end);
}
