#include "vmm/policy.h"
#include "lib/string.h"

#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID_80000001_ECX_SVM BIT(2)
#define FC_LOCK BIT(0)
#define FC_VMX_IN_SMX BIT(1)
#define FC_VMX_OUTSIDE_SMX BIT(2)

#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID7_ECX_OSPKE BIT(4)
#define CR4_PKE BIT(22)

void policy_cpuid(const struct guest_policy *p, u32 leaf, u32 subleaf, u64 guest_cr4,
		  struct cpuid_regs *r)
{
	switch (leaf) {
	case 1:
		/* CPUID executed here reflects this level's CR4, not the guest's. */
		r->ecx &= ~(u32)CPUID1_ECX_OSXSAVE;
		if (guest_cr4 & CR4_OSXSAVE)
			r->ecx |= CPUID1_ECX_OSXSAVE;
		if (!p->offer_vmx)
			r->ecx &= ~(u32)CPUID1_ECX_VMX;
		r->ecx |= CPUID1_ECX_HYPERVISOR;
		break;
	case 7:
		if (subleaf == 0) {
			r->ecx &= ~(u32)CPUID7_ECX_OSPKE;
			if (guest_cr4 & CR4_PKE)
				r->ecx |= CPUID7_ECX_OSPKE;
		}
		break;
	case 0x80000001:
		if (!p->offer_svm)
			r->ecx &= ~(u32)CPUID_80000001_ECX_SVM;
		break;
	case 0x8000000a:
		if (!p->offer_svm)
			*r = (struct cpuid_regs){0, 0, 0, 0};
		break;
	case 0x40000000: {
		const char *sig = HV_SIGNATURE;
		r->eax = HV_LEAF_MAX;
		memcpy(&r->ebx, sig, 4);
		memcpy(&r->ecx, sig + 4, 4);
		memcpy(&r->edx, sig + 8, 4);
		break;
	}
	case 0x40000001:
		r->eax = (u32)p->level + 1; /* the caller's level */
		r->ebx = (u32)p->level;	    /* the level answering */
		r->ecx = p->vendor == VENDOR_INTEL ? 'I' : 'A';
		r->edx = 0;
		break;
	default:
		if (leaf > HV_LEAF_MAX && leaf <= 0x400000ff)
			*r = (struct cpuid_regs){0, 0, 0, 0};
		break;
	}
}

int policy_level_from_cpuid(const struct cpuid_regs *sig, const struct cpuid_regs *info)
{
	const char *s = HV_SIGNATURE;
	if (memcmp(&sig->ebx, s, 4) || memcmp(&sig->ecx, s + 4, 4) || memcmp(&sig->edx, s + 8, 4))
		return 0;
	if (sig->eax < 0x40000001 || info->eax == 0 || info->eax > 99)
		return 0;
	return (int)info->eax;
}

const u32 policy_intercepted_msrs_amd[] = {MSR_EFER, MSR_VM_CR, MSR_VM_HSAVE_PA, MSR_SVM_KEY,
					   MSR_TSC_RATIO};
const int policy_n_intercepted_msrs_amd = ARRAY_SIZE(policy_intercepted_msrs_amd);
const u32 policy_intercepted_msrs_intel[] = {
	MSR_IA32_FEATURE_CONTROL, 0x480, 0x481, 0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488,
	0x489,			  0x48a, 0x48b, 0x48c, 0x48d, 0x48e, 0x48f, 0x490, 0x491, 0x492};
const int policy_n_intercepted_msrs_intel = ARRAY_SIZE(policy_intercepted_msrs_intel);

static bool is_vmx_msr(u32 msr)
{
	return msr >= 0x480 && msr <= 0x492;
}

struct msr_answer policy_rdmsr(const struct guest_policy *p, u32 msr, u64 real, u64 guest_efer)
{
	switch (msr) {
	case MSR_EFER:
		return (struct msr_answer){MSR_DONE,
					   p->offer_svm ? guest_efer : guest_efer & ~EFER_SVME};
	case MSR_VM_CR:
	case MSR_VM_HSAVE_PA:
	case MSR_SVM_KEY:
	case MSR_TSC_RATIO:
		if (!p->offer_svm)
			return (struct msr_answer){MSR_FAULT, 0};
		return (struct msr_answer){MSR_HW, real};
	case MSR_IA32_FEATURE_CONTROL:
		if (p->vendor != VENDOR_INTEL)
			return (struct msr_answer){MSR_FAULT, 0};
		/* Locked, and VMX off unless offered: what firmware that disabled VMX leaves. */
		real |= FC_LOCK;
		if (!p->offer_vmx)
			real &= ~(FC_VMX_IN_SMX | FC_VMX_OUTSIDE_SMX);
		return (struct msr_answer){MSR_DONE, real};
	default:
		if (is_vmx_msr(msr) && !p->offer_vmx)
			return (struct msr_answer){MSR_FAULT, 0};
		return (struct msr_answer){MSR_HW, real};
	}
}

/* APM 24593 3.1.7: EFER bits a guest may set; everything else is reserved (#GP). */
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | BIT(13) | BIT(14) | BIT(15))

struct msr_answer policy_wrmsr(const struct guest_policy *p, u32 msr, u64 value, u64 guest_efer,
			       u64 guest_cr0)
{
	switch (msr) {
	case MSR_EFER:
		if (value & ~EFER_ALLOWED)
			return (struct msr_answer){MSR_FAULT, 0};
		if ((value & EFER_SVME) && !p->offer_svm)
			return (struct msr_answer){MSR_FAULT, 0};
		/* Changing LME while paging is on is #GP (APM 14.6.1 / SDM 9.8.5). */
		if ((guest_cr0 & CR0_PG) && ((value ^ guest_efer) & EFER_LME))
			return (struct msr_answer){MSR_FAULT, 0};
		value = (value & ~EFER_LMA) | (guest_efer & EFER_LMA); /* LMA is read-only */
		if (!p->offer_svm)
			value |= EFER_SVME; /* hardware needs SVME set in a guest (APM 15.5.1) */
		return (struct msr_answer){MSR_DONE, value};
	case MSR_IA32_FEATURE_CONTROL:
		return (struct msr_answer){MSR_FAULT, 0}; /* locked */
	default:
		if ((is_vmx_msr(msr) && !p->offer_vmx) ||
		    ((msr == MSR_VM_CR || msr == MSR_VM_HSAVE_PA || msr == MSR_SVM_KEY ||
		      msr == MSR_TSC_RATIO) &&
		     !p->offer_svm))
			return (struct msr_answer){MSR_FAULT, 0};
		if (is_vmx_msr(msr))
			return (struct msr_answer){MSR_FAULT, 0}; /* read-only MSRs */
		return (struct msr_answer){MSR_HW, value};
	}
}
