/*
 * Nested AMD-V (DESIGN section 3): the virtual SVM this level offers its guest.  Vocabulary as
 * in KVM: vmcb01 runs L1, vmcb12 is L1's VMCB for L2 (guest memory, never given to the
 * hardware), vmcb02 is the VMCB this level builds from a checked copy of vmcb12 to run L2.
 */
#ifndef SVM_NESTED_H
#define SVM_NESTED_H
#include "lib/types.h"
#include "svm/vmcb.h"

/* What this level offers (CPUID 8000_000Ah) and what the checks need to know. */
struct svm_offer {
	u32 asids;
	u32 features; /* CPUID 8000_000Ah EDX */
	u8 maxphyaddr;
	u64 cr4_allowed;
	u64 efer_allowed;
};

#define SVM_OFFER_NPT		  BIT(0)
#define SVM_OFFER_NRIPS		  BIT(3)
#define SVM_OFFER_VMCB_CLEAN	  BIT(5)
#define SVM_OFFER_FLUSH_ASID	  BIT(6)
#define SVM_OFFER_V_VMSAVE_VMLOAD BIT(15)
#define SVM_OFFER_VGIF		  BIT(16)

/* int_ctl bits (APM B.1 offset 0x60) */
#define V_TPR_MASK	   0xffull
#define V_IRQ		   BIT(8)
#define V_GIF		   BIT(9)
#define V_INTR_PRIO_MASK   (0xfull << 16)
#define V_IGN_TPR	   BIT(20)
#define V_INTR_MASKING	   BIT(24)
#define V_GIF_ENABLE	   BIT(25)
#define AVIC_ENABLE	   BIT(31)
#define V_INTR_VECTOR_MASK (0xffull << 32)
/* virt_ext (offset 0xb8) */
#define VIRT_EXT_LBR	       BIT(0)
#define VIRT_EXT_VMSAVE_VMLOAD BIT(1)

/*
 * VMRUN consistency checks (APM 15.5.1) and event-injection checks (APM 15.20) on the cached
 * copy.  Returns NULL if the guest state is legal, else what makes it VMEXIT_INVALID.
 */
const char *svm_check_vmcb12(const struct vmcb *v12, const struct svm_offer *o);
/* Sign-extends segment and descriptor-table bases, as VMRUN does. */
void svm_canonicalize(struct vmcb_save *s);
/* The same for the state VMLOAD loads (FS, GS, TR, LDTR bases, KernelGsBase). */
void svm_canonicalize_vmload(struct vmcb_save *s);

/*
 * The routing rule: does L1 want this exit of L2?  Decided on the cached vmcb12 controls and
 * L0's copies of L1's IOPM/MSRPM.  NPF is decided by the NPT12 walk, not here.
 */
bool svm_l1_intercepts(const struct vmcb_control *c12, const u8 *iopm12, const u8 *msrpm12,
		       u32 exit_code, u64 info1, u32 msr);

/* L0's own needs while L2 runs (DESIGN section 4, rule 4: ORed, never replaced). */
struct svm_l0_needs {
	u32 intercept1, intercept2;
};

/*
 * Builds vmcb02's control area from the cached vmcb12 controls by allow-list; the merged
 * IOPM/MSRPM addresses, ASID, nested CR3 and TLB control are filled in by the caller.
 */
void svm_merge_controls(struct vmcb_control *c02, const struct vmcb_control *c12,
			const struct svm_l0_needs *l0, const struct svm_offer *o);

/* True for exits of intercepted instructions, which report NextRIP. */
bool svm_instruction_intercept(u32 exit_code);
/* Makes vmcb's EVENTINJ deliver again the event EXITINTINFO describes (svm/nested_route.c). */
void svm_reinject(struct vmcb *v, u64 exit_int_info);

/* Length of an intercepted instruction with a fixed encoding, 0 if it varies. */
unsigned svm_fixed_insn_len(u32 exit_code);

#endif
