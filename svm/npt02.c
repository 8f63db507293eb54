#include "svm/npt02.h"
#include "kernel/console.h"
#include "kernel/pagetable.h"
#include "kernel/panic.h"
#include "svm/npt12.h"
#include "svm/svm.h"
#include "vmm/guestmem.h"
#include "vmm/memview.h"

void npt02_init(struct npt02_set *set)
{
	for (int i = 0; i < NPT02_SHADOWS; i++)
		set->s[i] = (struct npt02){0, 0, NPT02_FIRST_ASID + (u32)i, 0, false, true, 0};
	set->tick = 0;
}

void npt02_drop(struct npt02 *s)
{
	if (s->root)
		pt_destroy(&pt_npt, &kernel_pt_mem, s->root);
	s->root = 0;
	s->needs_flush = true;
}

struct npt02 *npt02_get(struct npt02_set *set, u64 n_cr3, u32 asid12)
{
	struct npt02 *victim = &set->s[0];
	set->tick++;
	for (int i = 0; i < NPT02_SHADOWS; i++) {
		struct npt02 *s = &set->s[i];
		if (s->used && s->n_cr3 == n_cr3 && s->asid12 == asid12) {
			s->last_use = set->tick;
			return s;
		}
		if (!s->used || (victim->used && s->last_use < victim->last_use))
			victim = s;
	}
	npt02_drop(victim);
	victim->used = true;
	victim->n_cr3 = n_cr3;
	victim->asid12 = asid12;
	victim->last_use = set->tick;
	return victim;
}

struct read_ctx {
	const struct guest_boot *gb;
};

static bool read_entry(void *ctx, u64 gpa, u64 *e)
{
	const struct read_ctx *r = ctx;
	return gpa_read(r->gb, gpa, e, sizeof(*e));
}

static void walk(struct svm_cpu *c, u64 gpa, u64 access, struct npt12_walk *w)
{
	struct read_ctx r = {c->gb};
	npt12_walk(read_entry, &r, c->n.v12->control.n_cr3, gpa, access, c->offer.maxphyaddr,
		   c->vmcb->save.efer & EFER_NXE, w);
}

#define NPF_FINAL BIT(32) /* fault on the final guest-physical translation */

static void set_accessed_dirty(struct svm_cpu *c, const struct npt12_walk *w, bool write)
{
	for (int i = 0; i < w->nentries; i++) {
		u64 e, want;
		if (!gpa_read(c->gb, w->entry_gpa[i], &e, sizeof(e)))
			return;
		want = e | NPT_A | (write && i == w->nentries - 1 ? NPT_D : 0);
		if (want != e)
			gpa_write(c->gb, w->entry_gpa[i], &want, sizeof(want));
	}
}

bool npt02_l1_gpa(struct svm_cpu *c, u64 l2_gpa, u64 *l1_gpa)
{
	if (!(c->n.v12->control.np_control & 1)) {
		*l1_gpa = l2_gpa;
		return true;
	}
	struct npt12_walk w;
	walk(c, l2_gpa, 0, &w);
	*l1_gpa = w.l1_gpa;
	return !w.fault;
}

bool npt02_translate(struct svm_cpu *c, u64 l2_gpa, bool write, u64 *l1_gpa)
{
	struct npt12_walk w;
	walk(c, l2_gpa, write ? NPF_RW : 0, &w);
	if (w.fault) {
		svm_reflect_npf(c, w.error | NPF_FINAL, l2_gpa);
		return false;
	}
	*l1_gpa = w.l1_gpa;
	return true;
}

/*
 * A 2 MiB shadow page is possible when NPT12 maps at least 2 MiB there and the whole 2 MiB of
 * L1 memory behind it is plain identity (no byte of this level's slice, one memory type).
 */
static bool large_page_ok(const struct svm_cpu *c, const struct npt12_walk *w, u64 gpa)
{
	const struct guest_boot *gb = c->gb;
	u64 l1 = ALIGN_DOWN(w->l1_gpa, MiB(2)), end = l1 + MiB(2);
	if (w->level < 2 || ((w->l1_gpa ^ gpa) & (MiB(2) - 1)))
		return false;
	if (end > gb->map_top || (l1 < gb->slice_end && end > gb->slice_start))
		return false;
	bool ram = memmap_is_ram(&gb->map, l1, end);
	for (u64 pa = l1; pa < end && !ram; pa += PAGE_SIZE)
		if (memmap_is_ram(&gb->map, pa, pa + PAGE_SIZE))
			return false; /* mixed RAM and MMIO: keep 4 KiB pages */
	return true;
}

enum route npt02_fault(struct svm_cpu *c, u64 info1, u64 gpa)
{
	struct npt02 *s = c->n.cur_shadow;
	if (!(c->n.v12->control.np_control & 1)) {
		/* L2 runs on L1's own map: a fault there is this level's business. */
		if (svm_handle_npf01(c, info1, gpa))
			return ROUTE_HANDLED;
		kprintf("unexpected nested page fault of L2 at %lx (error %lx)\n", gpa, info1);
		svm_dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled nested page fault");
	}
	struct npt12_walk w;
	walk(c, gpa, info1 & (NPF_RW | NPF_ID), &w);
	if (w.fault) {
		/* NPT12 explains the fault: L1's to handle, with the hardware's walk-phase bits. */
		svm_reflect_npf(c, w.error | (info1 & (BIT(32) | BIT(33))), gpa);
		return ROUTE_REFLECTED;
	}
	/* The CPU sets A in every NPT12 entry it walks and D in the leaf on a write (APM
	 * 15.25.x); a clean leaf is shadowed read-only so its first write comes here too. */
	bool write = info1 & NPF_RW;
	set_accessed_dirty(c, &w, write);
	bool writable = w.writable && (w.dirty || write);
	u64 attr = PT_R | (writable ? PT_W : 0) | (w.exec ? PT_X : 0);
	u64 size = large_page_ok(c, &w, gpa) ? MiB(2) : PAGE_SIZE;
	u64 l1 = ALIGN_DOWN(w.l1_gpa, size), l2 = ALIGN_DOWN(gpa, size), hpa;
	mapcache_mapped_for_l2(c, l1, size);
	if (gpa_to_hpa(c->gb, l1, &hpa)) {
		attr |= memview_attr(&c->gb->map, l1) & PT_UC;
	} else {
		hpa = l1; /* beyond the map: pass-through MMIO, as for L1 */
		attr |= PT_UC;
	}
	enum pt_err err = pt_map(&pt_npt, &kernel_pt_mem, s->root, l2, hpa, size, attr);
	if (err == PT_OVERLAP) {
		/* Mapped already, with fewer rights: the first write of a clean page, or rights L1
		 * raised without a flush.  Update that leaf and make the CPU forget the old one. */
		err = pt_set_leaf_attr(&pt_npt, &kernel_pt_mem, s->root, gpa, attr);
		c->n.v02->control.tlb_control = 1;
	}
	if (err != PT_OK)
		panic("cannot fill NPT02 for %lx (error %d)", gpa, err);
	return ROUTE_HANDLED;
}
