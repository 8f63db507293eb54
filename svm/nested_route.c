/* The routing rule for exits of L2 (DESIGN section 3): pure lookups in L1's controls. */
#include "svm/nested.h"
#include "svm/bitmaps.h"

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
