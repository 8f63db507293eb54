#include "vmm/cpuid_cache.h"

#define MAX_SUBLEAVES 16

static bool has_subleaves(u32 leaf)
{
	switch (leaf) {
	case 0x4:
	case 0x7:
	case 0xb:
	case 0xf:
	case 0x10:
	case 0x12:
	case 0x14:
	case 0x17:
	case 0x18:
	case 0x1b:
	case 0x1d:
	case 0x1e:
	case 0x1f:
	case 0x20:
	case 0x23:
	case 0x24:
	case 0x8000001d:
	case 0x80000020:
	case 0x80000026:
		return true;
	default:
		return false;
	}
}

static bool dynamic_leaf(u32 leaf)
{
	return leaf == 0xd; /* EBX sizes follow XCR0 / IA32_XSS */
}

static void add(struct cpuid_cache *c, u32 leaf, u32 sub, bool any, const struct cpuid_regs *r)
{
	if (c->n < CPUID_CACHE_MAX)
		c->e[c->n++] = (struct cpuid_entry){leaf, sub, any, *r};
}

static void fill_range(struct cpuid_cache *c, cpuid_fn fn, u32 base, u32 max_span)
{
	struct cpuid_regs r;
	fn(base, 0, &r);
	u32 max = r.eax;
	if (max < base || max - base > max_span)
		max = base; /* nonsense or absent range: cache only the header */
	for (u32 leaf = base; leaf <= max; leaf++) {
		if (dynamic_leaf(leaf))
			continue;
		if (!has_subleaves(leaf)) {
			fn(leaf, 0, &r);
			add(c, leaf, 0, true, &r);
			continue;
		}
		for (u32 sub = 0; sub < MAX_SUBLEAVES; sub++) {
			fn(leaf, sub, &r);
			add(c, leaf, sub, false, &r);
		}
	}
}

void cpuid_cache_fill(struct cpuid_cache *c, cpuid_fn fn)
{
	c->n = 0;
	fill_range(c, fn, 0, 0x40);
	fill_range(c, fn, 0x80000000, 0x40);
}

/* Entries are filled in ascending (leaf, sub) order: binary search for the leaf. */
bool cpuid_cache_lookup(const struct cpuid_cache *c, u32 leaf, u32 sub, struct cpuid_regs *r)
{
	int lo = 0, hi = c->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (c->e[mid].leaf < leaf)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < c->n && c->e[i].leaf == leaf; i++) {
		const struct cpuid_entry *e = &c->e[i];
		if (e->any_sub || e->sub == sub) {
			*r = e->r;
			return true;
		}
	}
	return false;
}
