/*
 * What a guest sees of the CPU: CPUID results and the virtualization MSRs.  Pure functions:
 * the vendor code feeds them the real values and applies the answer.
 */
#ifndef VMM_POLICY_H
#define VMM_POLICY_H
#include "lib/types.h"
#include "kernel/x86.h"

#define HV_SIGNATURE "MatryoshkaVM" /* CPUID 40000000h EBX:ECX:EDX */
#define HV_LEAF_MAX  0x40000001u

enum vendor { VENDOR_AMD, VENDOR_INTEL };

struct guest_policy {
	int level; /* the level of the hypervisor applying the policy */
	enum vendor vendor;
	bool offer_svm; /* SVM for the guest: CPUID 8000_0001h ECX[2] and leaf 8000_000Ah */
	bool offer_vmx;
	u32 svm_asids;	  /* CPUID 8000_000Ah EBX when SVM is offered */
	u32 svm_features; /* CPUID 8000_000Ah EDX: exactly what this level virtualizes */
	u64 efer_optional; /* EFER bits beyond SCE/LME/LMA/NXE/SVME the CPU has (FFXSR, TCE) */
};

#define EFER_FFXSR BIT(14)
#define EFER_TCE BIT(15)
/* EFER bits the CPU supports, from CPUID 8000_0001h (FFXSR EDX[25], TCE ECX[17]). */
u64 policy_efer_optional(const struct cpuid_regs *ext1);

/* Adjusts a real CPUID result for the guest; CR4-dependent bits follow the guest's CR4. */
void policy_cpuid(const struct guest_policy *p, u32 leaf, u32 subleaf, u64 guest_cr4,
		  struct cpuid_regs *r);

enum msr_action {
	MSR_HW,	   /* not virtualized: access the real MSR */
	MSR_DONE,  /* answered (read: *value) or absorbed (write: *m updated) */
	MSR_FAULT, /* inject #GP(0) */
};

/* The MSRs this level virtualizes, as the guest sees them. */
struct vmsrs {
	u64 efer;     /* the guest's EFER; the hardware copy always has SVME set */
	u64 vm_cr;    /* VM_CR */
	u64 hsave_pa; /* VM_HSAVE_PA */
};

#define VM_CR_LOCK	 BIT(3)
#define VM_CR_SVMDIS_BIT BIT(4)

/* RDMSR of an intercepted MSR. */
enum msr_action policy_rdmsr(const struct guest_policy *p, u32 msr, const struct vmsrs *m, u64 real,
			     u64 *value);
/* WRMSR of an intercepted MSR. */
enum msr_action policy_wrmsr(const struct guest_policy *p, u32 msr, u64 value, struct vmsrs *m,
			     u64 guest_cr0, u8 maxphyaddr);

/* MSRs the level intercepts on each vendor (both directions). */
extern const u32 policy_intercepted_msrs_amd[];
extern const u32 policy_intercepted_msrs_intel[];
extern const int policy_n_intercepted_msrs_amd, policy_n_intercepted_msrs_intel;

/* Detects the level this code runs at from CPUID 40000000h/40000001h (0 = no matryoshka below). */
int policy_level_from_cpuid(const struct cpuid_regs *sig, const struct cpuid_regs *info);

#endif
