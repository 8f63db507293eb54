/* VMRUN checks on the cached vmcb12 (copy once, check the copy, use only the copy). */
#include "svm/nested.h"
#include "kernel/x86.h"

#define EVT_VECTOR(e) ((e)&0xff)
#define EVT_TYPE(e)   (((e) >> 8) & 7)
#define EVT_TYPE_INTR 0
#define EVT_TYPE_NMI  2
#define EVT_TYPE_EXC  3
#define EVT_TYPE_SOFT 4

#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_D BIT(10)

static bool beyond(u64 addr, u8 maxphyaddr)
{
	return maxphyaddr < 64 && (addr >> maxphyaddr);
}

/* A table of `size` bytes at `base` (bits 11:0 ignored): its first and its last byte must be
 * below MAXPHYADDR; checking only the last one lets base + size - 1 wrap past 2^64. */
static bool table_beyond(u64 base, u64 size, u8 maxphyaddr)
{
	base &= ~0xfffull;
	return beyond(base, maxphyaddr) || beyond(base + size - 1, maxphyaddr);
}

/* APM 15.20: reserved types are illegal, and so is "exception" with a non-exception vector. */
static const char *check_event_inj(u64 e)
{
	if (!(e & SVM_EVT_VALID))
		return NULL;
	u32 type = EVT_TYPE(e), vector = EVT_VECTOR(e);
	if (type != EVT_TYPE_INTR && type != EVT_TYPE_NMI && type != EVT_TYPE_EXC &&
	    type != EVT_TYPE_SOFT)
		return "EVENTINJ has a reserved type";
	if (type == EVT_TYPE_EXC && (vector == EXC_NMI || vector > 31))
		return "EVENTINJ injects an exception with a vector that is not an exception";
	return NULL;
}

const char *svm_check_vmcb12(const struct vmcb *v12, const struct svm_offer *o)
{
	const struct vmcb_save *s = &v12->save;
	const struct vmcb_control *c = &v12->control;
	if (!(s->efer & EFER_SVME))
		return "EFER.SVME is zero";
	if (!(s->cr0 & CR0_CD) && (s->cr0 & CR0_NW))
		return "CR0.CD is zero and CR0.NW is set";
	if (s->cr0 >> 32)
		return "CR0[63:32] are not zero";
	bool long_paging = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	if (long_paging && beyond(s->cr3 & ~0xfffull, o->maxphyaddr))
		return "an MBZ bit of CR3 is set";
	if (s->cr4 & ~o->cr4_allowed)
		return "an MBZ bit of CR4 is set";
	if (s->dr6 >> 32)
		return "DR6[63:32] are not zero";
	if (s->dr7 >> 32)
		return "DR7[63:32] are not zero";
	if (s->efer & ~o->efer_allowed)
		return "an MBZ bit of EFER is set";
	if (long_paging && !(s->cr4 & CR4_PAE))
		return "EFER.LME and CR0.PG are set and CR4.PAE is zero";
	if (long_paging && !(s->cr0 & CR0_PE))
		return "EFER.LME and CR0.PG are set and CR0.PE is zero";
	if (long_paging && (s->cr4 & CR4_PAE) && (s->cs.attrib & SEG_ATTR_L) &&
	    (s->cs.attrib & SEG_ATTR_D))
		return "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D are all set";
	if (!(c->intercept2 & SVM_I2_VMRUN))
		return "the VMRUN intercept bit is clear";
	if (table_beyond(c->iopm_base_pa, 3 * PAGE_SIZE, o->maxphyaddr))
		return "the IOPM extends beyond the maximum physical address";
	if (table_beyond(c->msrpm_base_pa, 2 * PAGE_SIZE, o->maxphyaddr))
		return "the MSRPM extends beyond the maximum physical address";
	if (c->asid == 0)
		return "ASID is zero";
	if ((c->np_control & 1) && (o->features & SVM_OFFER_NPT) &&
	    beyond(c->n_cr3 & ~0xfffull, o->maxphyaddr))
		return "nested CR3 lies beyond the maximum physical address";
	return check_event_inj(c->event_inj);
}

static u64 sign_extend48(u64 v)
{
	return (u64)((s64)(v << 16) >> 16);
}

void svm_canonicalize_vmload(struct vmcb_save *s)
{
	s->fs.base = sign_extend48(s->fs.base);
	s->gs.base = sign_extend48(s->gs.base);
	s->tr.base = sign_extend48(s->tr.base);
	s->ldtr.base = sign_extend48(s->ldtr.base);
	s->kernel_gs_base = sign_extend48(s->kernel_gs_base);
}

void svm_canonicalize(struct vmcb_save *s)
{
	struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->gdtr, &s->idtr};
	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
		segs[i]->base = sign_extend48(segs[i]->base);
}
