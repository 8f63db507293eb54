#include "vmm/policy.h"
#include "lib/string.h"

#define CPUID1_ECX_VMX	       BIT(5)
#define CPUID1_ECX_HYPERVISOR  BIT(31)
#define CPUID_80000001_ECX_SVM BIT(2)
#define FC_LOCK		       BIT(0)
#define FC_VMX_IN_SMX	       BIT(1)
#define FC_VMX_OUTSIDE_SMX     BIT(2)

#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID7_ECX_OSPKE   BIT(4)
#define CR4_PKE		   BIT(22)

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
		if (p->offer_svm)
			*r = (struct cpuid_regs){1, p->svm_asids, 0, p->svm_features};
		else
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
const u32 policy_intercepted_msrs_intel[] = {MSR_IA32_FEATURE_CONTROL,
					     0x480,
					     0x481,
					     0x482,
					     0x483,
					     0x484,
					     0x485,
					     0x486,
					     0x487,
					     0x488,
					     0x489,
					     0x48a,
					     0x48b,
					     0x48c,
					     0x48d,
					     0x48e,
					     0x48f,
					     0x490,
					     0x491,
					     0x492};
const int policy_n_intercepted_msrs_intel = ARRAY_SIZE(policy_intercepted_msrs_intel);

static bool is_vmx_msr(u32 msr)
{
	return msr >= 0x480 && msr <= 0x492;
}

static bool is_svm_msr(u32 msr)
{
	return msr == MSR_VM_CR || msr == MSR_VM_HSAVE_PA || msr == MSR_SVM_KEY ||
	       msr == MSR_TSC_RATIO;
}

enum msr_action policy_rdmsr(const struct guest_policy *p, u32 msr, const struct vmsrs *m, u64 real,
			     u64 *value)
{
	if (msr == MSR_EFER) {
		*value = m->efer;
		return MSR_DONE;
	}
	if (is_svm_msr(msr)) {
		if (!p->offer_svm || msr == MSR_TSC_RATIO)
			return MSR_FAULT; /* TSC ratio is not offered (CPUID 8000_000Ah EDX[4]) */
		*value = msr == MSR_VM_CR ? m->vm_cr : msr == MSR_VM_HSAVE_PA ? m->hsave_pa : 0;
		return MSR_DONE;
	}
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		if (p->vendor != VENDOR_INTEL)
			return MSR_FAULT;
		/* Locked, and VMX off unless offered: what firmware that disabled VMX leaves. */
		real |= FC_LOCK;
		if (!p->offer_vmx)
			real &= ~(FC_VMX_IN_SMX | FC_VMX_OUTSIDE_SMX);
		*value = real;
		return MSR_DONE;
	}
	if (is_vmx_msr(msr) && !p->offer_vmx)
		return MSR_FAULT;
	return MSR_HW;
}

/* APM 24593 3.1.7: EFER bits a guest may set; everything else is reserved (#GP).  A bit the
 * CPU does not have must fault here: it would otherwise reach the VMCB and make VMRUN fail. */
#define EFER_BASE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME)

u64 policy_efer_optional(const struct cpuid_regs *ext1)
{
	return ((ext1->edx & BIT(25)) ? EFER_FFXSR : 0) | ((ext1->ecx & BIT(17)) ? EFER_TCE : 0);
}
/* APM 15.30.1: VM_CR bits DPD, R_INIT, DIS_A20M, LOCK, SVMDIS. */
#define VM_CR_ALLOWED 0x1full

static enum msr_action write_efer(const struct guest_policy *p, u64 v, struct vmsrs *m,
				  u64 guest_cr0)
{
	if (v & ~(EFER_BASE | p->efer_optional))
		return MSR_FAULT;
	/* SVME: not offered, or disabled by VM_CR.SVMDIS (APM 15.30.1): #GP. */
	if ((v & EFER_SVME) && (!p->offer_svm || (m->vm_cr & VM_CR_SVMDIS_BIT)))
		return MSR_FAULT;
	/* Changing LME while paging is on is #GP (APM 14.6.1 / SDM 9.8.5). */
	if ((guest_cr0 & CR0_PG) && ((v ^ m->efer) & EFER_LME))
		return MSR_FAULT;
	m->efer = (v & ~EFER_LMA) | (m->efer & EFER_LMA); /* LMA is read-only */
	return MSR_DONE;
}

enum msr_action policy_wrmsr(const struct guest_policy *p, u32 msr, u64 value, struct vmsrs *m,
			     u64 guest_cr0, u8 maxphyaddr)
{
	if (msr == MSR_EFER)
		return write_efer(p, value, m, guest_cr0);
	if (is_svm_msr(msr)) {
		if (!p->offer_svm || msr == MSR_TSC_RATIO)
			return MSR_FAULT;
		if (msr == MSR_VM_HSAVE_PA) {
			/* APM 15.30.4: page aligned and inside the physical address space. */
			if ((value & 0xfff) || (maxphyaddr < 64 && (value >> maxphyaddr)))
				return MSR_FAULT;
			m->hsave_pa = value;
		} else if (msr == MSR_VM_CR) {
			if (value & ~VM_CR_ALLOWED)
				return MSR_FAULT;
			/* Setting SVMDIS while EFER.SVME is 1: #GP whatever LOCK says. */
			if ((value & VM_CR_SVMDIS_BIT) && (m->efer & EFER_SVME))
				return MSR_FAULT;
			/* Locked: writes to LOCK and SVMDIS are silently ignored (APM 15.30.1). */
			if (m->vm_cr & VM_CR_LOCK)
				value = (value & ~(VM_CR_LOCK | VM_CR_SVMDIS_BIT)) |
					(m->vm_cr & (VM_CR_LOCK | VM_CR_SVMDIS_BIT));
			m->vm_cr = value;
		}
		return MSR_DONE; /* SVM_KEY: writes accepted, nothing to lock */
	}
	if (msr == MSR_IA32_FEATURE_CONTROL)
		return MSR_FAULT; /* locked */
	if (is_vmx_msr(msr))
		return MSR_FAULT; /* read-only, or absent when VMX is not offered */
	return MSR_HW;
}
