#include "svm/mapcache.h"
#include "kernel/pagetable.h"
#include "kernel/palloc.h"
#include "lib/string.h"
#include "svm/bitmaps.h"
#include "svm/svm.h"
#include "vmm/guestmem.h"
#include "vmm/memview.h"

static const u64 map_size[MAP_COUNT] = {SVM_IOPM_SIZE, SVM_MSRPM_SIZE};

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Sets the write permission of a map's pages in NPT01; the TLBs must forget the old entries
 * (L1's at its next entry, an L2 without nested paging, which runs on NPT01 too, at its next
 * VMRUN).  False if a page could not be changed (no memory to split a large page).
 */
static bool protect(struct svm_cpu *c, int map, u64 base, bool writable)
{
	bool ok = true;
	for (u64 pa = base; pa < base + map_size[map]; pa += PAGE_SIZE) {
		u64 attr = memview_attr(&c->gb->map, pa);
		if (pt_set_attr(&pt_npt, &kernel_pt_mem, c->npt_root, pa,
				writable ? attr : attr & ~PT_W) != PT_OK)
			ok = false;
	}
	c->vmcb->control.tlb_control = 1;
	c->n.v02->control.tlb_control = 1;
	c->n.flush_l2 = true;
	return ok;
}

static void release(struct svm_cpu *c, int map, struct map_slot *s)
{
	if (s->tracked) {
		s->tracked = false;
		protect(c, map, s->gpa, true);
		/* slots sharing pages with it keep their protection */
		for (int m = 0; m < MAP_COUNT; m++)
			for (int i = 0; i < MAPCACHE_WAYS; i++) {
				struct map_slot *o = &c->n.maps.slot[m][i];
				if (o->tracked && overlaps(o->gpa, map_size[m], s->gpa, map_size[map]))
					protect(c, m, o->gpa, false);
			}
	}
	s->gpa = ~0ull;
}

/* vmcb02's map: L1's bits (or none) plus this level's own intercepts. */
static void merge(int map, u8 *dst, const u8 *l1)
{
	if (l1)
		memcpy(dst, l1, map_size[map]);
	else
		memset(dst, 0, map_size[map]);
	if (map == MAP_IOPM) {
		iopm_set(dst, EXIT_PORT, EXIT_PORT_SIZE);
	} else {
		for (int i = 0; i < policy_n_intercepted_msrs_amd; i++)
			msrpm_set(dst, policy_intercepted_msrs_amd[i], true, true);
	}
}

void mapcache_init(struct svm_cpu *c)
{
	struct svm_mapcache *m = &c->n.maps;
	memset(m, 0, sizeof(*m));
	for (int map = 0; map < MAP_COUNT; map++) {
		u64 pages = map_size[map] / PAGE_SIZE;
		m->l0_only_pa[map] = page_alloc_run(pages);
		merge(map, phys_ptr(m->l0_only_pa[map]), NULL);
		for (int i = 0; i < MAPCACHE_WAYS; i++) {
			m->slot[map][i].gpa = ~0ull;
			m->slot[map][i].copy = phys_ptr(page_alloc_run(pages));
			m->slot[map][i].merged_pa = page_alloc_run(pages);
		}
	}
}

u64 mapcache_get(struct svm_cpu *c, int map, bool l1_uses, u64 base, const u8 **l1_copy)
{
	struct svm_mapcache *m = &c->n.maps;
	*l1_copy = NULL;
	if (!l1_uses)
		return m->l0_only_pa[map];
	m->tick++;
	struct map_slot *victim = &m->slot[map][0];
	for (int i = 0; i < MAPCACHE_WAYS; i++) {
		struct map_slot *s = &m->slot[map][i];
		if (s->gpa == base && s->tracked && !m->exposed) {
			s->last_use = m->tick;
			m->hits++;
			*l1_copy = s->copy;
			return s->merged_pa;
		}
		if (s->gpa == ~0ull || (victim->gpa != ~0ull && s->last_use < victim->last_use))
			victim = s;
	}
	release(c, map, victim);
	m->reads++;
	if (!gpa_read(c->gb, base, victim->copy, map_size[map]))
		return 0;
	merge(map, phys_ptr(victim->merged_pa), victim->copy);
	victim->gpa = base;
	victim->last_use = m->tick;
	/* Only a map inside the guest's memory view can be protected (and so kept). */
	if (!m->exposed && base + map_size[map] <= c->gb->map_top) {
		victim->tracked = protect(c, map, base, false);
		if (!victim->tracked) /* a page it could not protect: keep none, read each time */
			protect(c, map, base, true);
	}
	*l1_copy = victim->copy;
	return victim->merged_pa;
}

static bool drop_overlapping(struct svm_cpu *c, u64 gpa, u64 len)
{
	bool hit = false;
	for (int map = 0; map < MAP_COUNT; map++)
		for (int i = 0; i < MAPCACHE_WAYS; i++) {
			struct map_slot *s = &c->n.maps.slot[map][i];
			if (s->gpa != ~0ull && overlaps(gpa, len, s->gpa, map_size[map])) {
				hit = hit || s->tracked;
				release(c, map, s);
			}
		}
	return hit;
}

bool mapcache_written(struct svm_cpu *c, u64 gpa, u64 len)
{
	return drop_overlapping(c, gpa, len);
}

void mapcache_mapped_for_l2(struct svm_cpu *c, u64 gpa, u64 len)
{
	for (int map = 0; map < MAP_COUNT; map++)
		for (int i = 0; i < MAPCACHE_WAYS; i++) {
			struct map_slot *s = &c->n.maps.slot[map][i];
			if (s->gpa != ~0ull && overlaps(gpa, len, s->gpa, map_size[map]))
				c->n.maps.exposed = true; /* sticky: L2 may write it unseen */
		}
	if (c->n.maps.exposed)
		drop_overlapping(c, gpa, len);
}
