/* The routing rule for exits of L2 (DESIGN section 3): pure lookups in L1's controls. */
#include "svm/nested.h"
#include "svm/bitmaps.h"
#include "kernel/x86.h"

bool svm_l1_intercepts(const struct vmcb_control *c12, const u8 *iopm12, const u8 *msrpm12,
		       u32 code, u64 info1, u32 msr)
{
	if (code < 0x20) /* CR reads 0-15, writes 16-31 */
		return c12->intercept_cr & BIT(code);
	if (code < 0x40)
		return c12->intercept_dr & BIT(code - 0x20);
	if (code < 0x60)
		return c12->intercept_exc & BIT(code - 0x40);
	if (code == SVM_EXIT_IOIO) {
		if (!(c12->intercept1 & SVM_I1_IOIO))
			return false;
		unsigned size = (info1 >> SVM_IOIO_SZ_SHIFT) & 7;
		return iopm_intercepts(iopm12, (u16)(info1 >> 16), size ? size : 1);
	}
	if (code == SVM_EXIT_MSR) {
		if (!(c12->intercept1 & SVM_I1_MSR))
			return false;
		return msrpm_intercepts(msrpm12, msr, info1 & 1);
	}
	if (code < 0x80)
		return c12->intercept1 & BIT(code - 0x60);
	if (code < 0xa0)
		return c12->intercept2 & BIT(code - 0x80);
	if (code < 0xc0)
		return c12->intercept3 & BIT(code - 0xa0);
	return false;
}

/* Instructions whose intercept this level may have to skip or report NextRIP for. */
unsigned svm_fixed_insn_len(u32 code)
{
	switch (code) {
	case SVM_EXIT_HLT:
		return 1;
	case SVM_EXIT_RDTSC:
	case SVM_EXIT_CPUID:
	case SVM_EXIT_MSR:
	case 0x6f: /* RDPMC */
	case 0x76: /* INVD */
	case 0x77: /* PAUSE (F3 90) */
	case 0x89: /* WBINVD */
		return 2;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_RDTSCP:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_XSETBV:
	case 0x8a: /* MONITOR */
	case 0x8b: /* MWAIT */
		return 3;
	default:
		return 0;
	}
}

/*
 * Delivers again an event whose delivery an exit handled here interrupted (EXITINTINFO as
 * EVENTINJ), leaving the guest as the CPU would have.  Two QEMU TCG deviations are undone:
 * it reports interrupts and NMIs as type 3 ("exception") with their vector, and it leaves
 * V_IRQ set when the delivery of the virtual interrupt was interrupted (the APM clears V_IRQ
 * when the interrupt is taken, 15.21.4).  No exception has vector 2 or one above 31, so such
 * an "exception" is an NMI or an interrupt; V_IRQ with the same vector pending is the one that
 * was being delivered.
 */
void svm_reinject(struct vmcb *v, u64 info)
{
	u32 type = (info >> 8) & 7, vector = info & 0xff;
	if (type == 3 && (vector == EXC_NMI || vector >= 32)) {
		type = vector == EXC_NMI ? 2 : 0;
		info = (info & ~(7ull << 8) & ~SVM_EVT_ERR) | ((u64)type << 8);
	}
	if (type == 0 && (v->control.int_ctl & V_IRQ) &&
	    ((v->control.int_ctl >> 32) & 0xff) == vector)
		v->control.int_ctl &= ~V_IRQ;
	v->control.event_inj = info;
}

/* Exits for intercepted instructions, which save NextRIP (APM 15.7.1): CR/DR accesses,
 * CR0 selective write to MSR (0x65-0x7c), VMRUN to RDPRU (0x80-0x8e). */
bool svm_instruction_intercept(u32 code)
{
	return code < 0x40 || (code >= 0x65 && code <= 0x7c) || (code >= 0x80 && code <= 0x8e);
}
