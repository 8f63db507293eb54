/*
 * What a guest sees of the CPU: CPUID results and the virtualization MSRs.  Pure functions:
 * the vendor code feeds them the real values and applies the answer.
 */
#ifndef VMM_POLICY_H
#define VMM_POLICY_H
#include "lib/types.h"
#include "kernel/x86.h"

#define HV_SIGNATURE "MatryoshkaVM" /* CPUID 40000000h EBX:ECX:EDX */
#define HV_LEAF_MAX 0x40000001u

enum vendor { VENDOR_AMD, VENDOR_INTEL };

struct guest_policy {
	int level;	 /* the level of the hypervisor applying the policy */
	enum vendor vendor;
	bool offer_svm; /* false until nested SVM lands */
	bool offer_vmx;
};

/* Adjusts a real CPUID result for the guest; CR4-dependent bits follow the guest's CR4. */
void policy_cpuid(const struct guest_policy *p, u32 leaf, u32 subleaf, u64 guest_cr4,
		  struct cpuid_regs *r);

enum msr_action {
	MSR_HW,	   /* not ours: access the real MSR (only for MSRs we intercept to watch) */
	MSR_DONE,  /* read: value holds the answer; write: accepted, value holds what to keep */
	MSR_FAULT, /* inject #GP(0) */
};

struct msr_answer {
	enum msr_action action;
	u64 value;
};

/* RDMSR of an intercepted MSR; `real` is the hardware value (or 0 if it faulted). */
struct msr_answer policy_rdmsr(const struct guest_policy *p, u32 msr, u64 real, u64 guest_efer);
/* WRMSR of an intercepted MSR; for EFER, value is the EFER the guest should then run with. */
struct msr_answer policy_wrmsr(const struct guest_policy *p, u32 msr, u64 value, u64 guest_efer,
			       u64 guest_cr0);

/* MSRs the level intercepts on each vendor (both directions). */
extern const u32 policy_intercepted_msrs_amd[];
extern const u32 policy_intercepted_msrs_intel[];
extern const int policy_n_intercepted_msrs_amd, policy_n_intercepted_msrs_intel;

/* Detects the level this code runs at from CPUID 40000000h/40000001h (0 = no matryoshka below). */
int policy_level_from_cpuid(const struct cpuid_regs *sig, const struct cpuid_regs *info);

#endif
