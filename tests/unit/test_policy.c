/* vmm/policy.c (what the guest sees of CPUID and MSRs) and vmm/counters.c. */
#include "tests/unit/unit.h"

#include "lib/printf.h"
#include "lib/string.h"
#include "vmm/counters.h"
#include "vmm/policy.h"

#define CR4_PKE BIT(22)
#define VMX_BIT BIT(5)
#define OSXSAVE_BIT BIT(27)
#define HV_BIT BIT(31)
#define SVM_BIT BIT(2)

static const struct guest_policy amd = {
    .level = 1, .vendor = VENDOR_AMD, .efer_optional = EFER_FFXSR | EFER_TCE};
static const struct guest_policy amd_plain = {.level = 1, .vendor = VENDOR_AMD};
static const struct guest_policy intel = {.level = 2, .vendor = VENDOR_INTEL};
static const struct guest_policy amd_svm = {
	.level = 1, .vendor = VENDOR_AMD, .offer_svm = true, .svm_asids = 64, .svm_features = 0x1a};
static const struct guest_policy intel_vmx = {.level = 1, .vendor = VENDOR_INTEL, .offer_vmx = true};

static struct cpuid_regs cpuid_of(const struct guest_policy *p, u32 leaf, u32 sub, u64 cr4,
				  struct cpuid_regs in)
{
	policy_cpuid(p, leaf, sub, cr4, &in);
	return in;
}

/* ---- CPUID ---- */

static void test_cpuid_leaf1(void **state)
{
	(void)state;
	struct cpuid_regs all = {0x11111111, 0x22222222, 0xffffffff, 0x44444444};
	struct cpuid_regs r = cpuid_of(&amd, 1, 0, 0, all);
	assert_int_equal(r.eax, 0x11111111);
	assert_int_equal(r.ebx, 0x22222222);
	assert_int_equal(r.edx, 0x44444444);
	assert_false(r.ecx & VMX_BIT);	   /* VMX hidden */
	assert_false(r.ecx & OSXSAVE_BIT); /* guest CR4.OSXSAVE clear */
	assert_true(r.ecx & HV_BIT);
	assert_int_equal(r.ecx | VMX_BIT | OSXSAVE_BIT, 0xffffffff); /* nothing else touched */

	struct cpuid_regs none = {0, 0, 0, 0};
	r = cpuid_of(&intel, 1, 0, CR4_OSXSAVE, none);
	assert_int_equal(r.ecx, OSXSAVE_BIT | HV_BIT); /* OSXSAVE follows the guest's CR4 */
	r = cpuid_of(&intel, 1, 0, ~(u64)CR4_OSXSAVE, all);
	assert_false(r.ecx & OSXSAVE_BIT);

	/* VMX offered: the hardware bit passes, it is not invented */
	r = cpuid_of(&intel_vmx, 1, 0, 0, all);
	assert_true(r.ecx & VMX_BIT);
	r = cpuid_of(&intel_vmx, 1, 0, 0, none);
	assert_false(r.ecx & VMX_BIT);
}

static void test_cpuid_leaf7_ospke(void **state)
{
	(void)state;
	struct cpuid_regs in = {1, 2, 0xffffffff, 4};
	struct cpuid_regs r = cpuid_of(&amd, 7, 0, 0, in);
	assert_int_equal(r.ecx, 0xffffffff & ~(u32)BIT(4));
	assert_int_equal(r.eax, 1);
	r = cpuid_of(&amd, 7, 0, CR4_PKE, (struct cpuid_regs){0, 0, 0, 0});
	assert_int_equal(r.ecx, BIT(4));
	r = cpuid_of(&amd, 7, 1, 0, in); /* other subleaves untouched */
	assert_memory_equal(&r, &in, sizeof(r));
}

static void test_cpuid_svm_leaves(void **state)
{
	(void)state;
	struct cpuid_regs in = {0x11, 0x22, 0xffffffff, 0x44};
	struct cpuid_regs r = cpuid_of(&amd, 0x80000001, 0, 0, in);
	assert_int_equal(r.ecx, 0xffffffff & ~(u32)SVM_BIT);
	assert_int_equal(r.edx, 0x44);
	r = cpuid_of(&amd_svm, 0x80000001, 0, 0, in);
	assert_int_equal(r.ecx, 0xffffffff);

	struct cpuid_regs hw = {1, 0x8000, 0, 0x1ebfbcff}; /* what real hardware reports */
	r = cpuid_of(&amd, 0x8000000a, 0, 0, hw);
	assert_int_equal(r.eax, 0);
	assert_int_equal(r.ebx, 0);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0);
	/* offered: exactly what this level virtualizes, not the hardware's features */
	r = cpuid_of(&amd_svm, 0x8000000a, 0, 0, hw);
	assert_int_equal(r.eax, 1);
	assert_int_equal(r.ebx, 64);
	assert_int_equal(r.ecx, 0);
	assert_int_equal(r.edx, 0x1a);
}

static void test_cpuid_hypervisor_leaves(void **state)
{
	(void)state;
	struct cpuid_regs junk = {0xdead, 0xbeef, 0xcafe, 0xf00d};
	struct cpuid_regs r = cpuid_of(&amd, 0x40000000, 0, 0, junk);
	assert_int_equal(r.eax, 0x40000001);
	char sig[13];
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = 0;
	assert_string_equal(sig, "MatryoshkaVM");

	r = cpuid_of(&amd, 0x40000001, 0, 0, junk);
	assert_int_equal(r.eax, 2); /* the caller runs at level + 1 */
	assert_int_equal(r.ebx, 1);
	assert_int_equal(r.ecx, 'A');
	assert_int_equal(r.edx, 0);
	r = cpuid_of(&intel, 0x40000001, 0, 0, junk);
	assert_int_equal(r.eax, 3);
	assert_int_equal(r.ebx, 2);
	assert_int_equal(r.ecx, 'I');

	const u32 zeroed[] = {0x40000002, 0x40000010, 0x400000ff};
	for (size_t i = 0; i < ARRAY_SIZE(zeroed); i++) {
		r = cpuid_of(&amd, zeroed[i], 0, 0, junk);
		assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	}
	const u32 untouched[] = {0, 2, 0x3fffffff, 0x40000100, 0x80000000, 0x80000008};
	for (size_t i = 0; i < ARRAY_SIZE(untouched); i++) {
		r = cpuid_of(&amd, untouched[i], 0, 0, junk);
		assert_memory_equal(&r, &junk, sizeof(r));
	}
}

static void test_level_from_cpuid(void **state)
{
	(void)state;
	for (int level = 0; level < 5; level++) {
		struct guest_policy p = {.level = level, .vendor = VENDOR_AMD};
		struct cpuid_regs sig = cpuid_of(&p, 0x40000000, 0, 0, (struct cpuid_regs){0});
		struct cpuid_regs info = cpuid_of(&p, 0x40000001, 0, 0, (struct cpuid_regs){0});
		assert_int_equal(policy_level_from_cpuid(&sig, &info), level + 1);
	}
	struct cpuid_regs sig = cpuid_of(&amd, 0x40000000, 0, 0, (struct cpuid_regs){0});
	struct cpuid_regs info = {99, 0, 0, 0};
	assert_int_equal(policy_level_from_cpuid(&sig, &info), 99);
	info.eax = 100;
	assert_int_equal(policy_level_from_cpuid(&sig, &info), 0);
	info.eax = 0;
	assert_int_equal(policy_level_from_cpuid(&sig, &info), 0);
	info.eax = 3;
	struct cpuid_regs bad = sig;
	bad.eax = 0x40000000; /* leaf 40000001h not announced */
	assert_int_equal(policy_level_from_cpuid(&bad, &info), 0);
	/* another hypervisor's signature */
	struct cpuid_regs kvm = {0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d};
	assert_int_equal(policy_level_from_cpuid(&kvm, &info), 0);
	bad = sig;
	bad.edx ^= 0x20; /* "MatryoshkaVm" */
	assert_int_equal(policy_level_from_cpuid(&bad, &info), 0);
	struct cpuid_regs zero = {0};
	assert_int_equal(policy_level_from_cpuid(&zero, &zero), 0);
}

/* ---- RDMSR ---- */

static enum msr_action rd(const struct guest_policy *p, u32 msr, const struct vmsrs *m, u64 real,
			  u64 *v)
{
	*v = 0xbadbadbadull;
	return policy_rdmsr(p, msr, m, real, v);
}

static void test_rdmsr_efer(void **state)
{
	(void)state;
	u64 v;
	struct vmsrs m = {.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE};
	/* the guest's own EFER, never the hardware copy (which has SVME) */
	assert_int_equal(rd(&amd, MSR_EFER, &m, EFER_SVME | 0xd01, &v), MSR_DONE);
	assert_int_equal(v, m.efer);
	assert_false(v & EFER_SVME);
	m.efer |= EFER_SVME;
	assert_int_equal(rd(&amd_svm, MSR_EFER, &m, 0, &v), MSR_DONE);
	assert_int_equal(v, m.efer);
}

static void test_rdmsr_svm_msrs(void **state)
{
	(void)state;
	u64 v;
	struct vmsrs m = {.vm_cr = VM_CR_LOCK, .hsave_pa = 0x7fff000};
	const u32 svm_msrs[] = {MSR_VM_CR, MSR_VM_HSAVE_PA, MSR_SVM_KEY, MSR_TSC_RATIO};
	for (size_t i = 0; i < ARRAY_SIZE(svm_msrs); i++) {
		assert_int_equal(rd(&amd, svm_msrs[i], &m, 0x1234, &v), MSR_FAULT);
		assert_int_equal(rd(&intel, svm_msrs[i], &m, 0x1234, &v), MSR_FAULT);
	}
	assert_int_equal(rd(&amd_svm, MSR_VM_CR, &m, 0x18, &v), MSR_DONE);
	assert_int_equal(v, VM_CR_LOCK); /* the virtual VM_CR, not the hardware's */
	assert_int_equal(rd(&amd_svm, MSR_VM_HSAVE_PA, &m, 0, &v), MSR_DONE);
	assert_int_equal(v, 0x7fff000);
	assert_int_equal(rd(&amd_svm, MSR_SVM_KEY, &m, 0x5555, &v), MSR_DONE);
	assert_int_equal(v, 0); /* SVM_KEY reads as zero */
	assert_int_equal(rd(&amd_svm, MSR_TSC_RATIO, &m, 0x100000000ull, &v), MSR_FAULT);
}

static void test_rdmsr_feature_control(void **state)
{
	(void)state;
	u64 v;
	struct vmsrs m = {0};
	/* firmware left it unlocked with VMX enabled: the guest sees it locked, VMX off */
	assert_int_equal(rd(&intel, MSR_IA32_FEATURE_CONTROL, &m, 0x6, &v), MSR_DONE);
	assert_int_equal(v, 0x1);
	assert_int_equal(rd(&intel, MSR_IA32_FEATURE_CONTROL, &m, 0x0, &v), MSR_DONE);
	assert_int_equal(v, 0x1);
	/* other bits (SENTER, SGX, LMCE...) pass */
	assert_int_equal(rd(&intel, MSR_IA32_FEATURE_CONTROL, &m, 0x100000 | 0x40000 | 0x7, &v),
			 MSR_DONE);
	assert_int_equal(v, 0x100000 | 0x40000 | 0x1);
	/* offered: VMX bits as the hardware has them */
	assert_int_equal(rd(&intel_vmx, MSR_IA32_FEATURE_CONTROL, &m, 0x4, &v), MSR_DONE);
	assert_int_equal(v, 0x5);
	/* no such MSR on AMD */
	assert_int_equal(rd(&amd, MSR_IA32_FEATURE_CONTROL, &m, 0x5, &v), MSR_FAULT);
}

static void test_rdmsr_vmx_and_others(void **state)
{
	(void)state;
	u64 v;
	struct vmsrs m = {0};
	for (u32 msr = 0x480; msr <= 0x492; msr++) {
		assert_int_equal(rd(&intel, msr, &m, 1, &v), MSR_FAULT);
		assert_int_equal(rd(&intel_vmx, msr, &m, 1, &v), MSR_HW);
	}
	assert_int_equal(rd(&intel, 0x47f, &m, 1, &v), MSR_HW);
	assert_int_equal(rd(&intel, 0x493, &m, 1, &v), MSR_HW);
	assert_int_equal(rd(&amd, MSR_IA32_PAT, &m, 0x0007040600070406ull, &v), MSR_HW);
	assert_int_equal(rd(&amd, 0x10, &m, 1, &v), MSR_HW);
}

/* ---- WRMSR ---- */

static enum msr_action wr(const struct guest_policy *p, u32 msr, u64 value, struct vmsrs *m,
			  u64 cr0)
{
	struct vmsrs before = *m;
	enum msr_action a = policy_wrmsr(p, msr, value, m, cr0, 48);
	if (a != MSR_DONE && memcmp(&before, m, sizeof(before)) != 0)
		fail_msg("wrmsr %#x = %#llx: action %d but the virtual MSRs changed", msr,
			 (unsigned long long)value, a);
	return a;
}

static void test_wrmsr_efer_bits(void **state)
{
	(void)state;
	struct vmsrs m = {0};
	u64 ok = EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR | EFER_TCE;
	assert_int_equal(wr(&amd, MSR_EFER, ok, &m, 0), MSR_DONE);
	assert_int_equal(m.efer, ok);
	/* bits the CPU lacks fault (they would make VMRUN of vmcb01 fail), LMSLE always */
	struct vmsrs p = {0};
	assert_int_equal(wr(&amd_plain, MSR_EFER, EFER_SCE | EFER_FFXSR, &p, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_plain, MSR_EFER, EFER_SCE | EFER_TCE, &p, 0), MSR_FAULT);
	assert_int_equal(wr(&amd, MSR_EFER, EFER_SCE | BIT(13), &p, 0), MSR_FAULT);
	assert_int_equal(p.efer, 0);
	struct cpuid_regs ext1 = {0, 0, BIT(17), BIT(25)};
	assert_int_equal(policy_efer_optional(&ext1), EFER_FFXSR | EFER_TCE);
	ext1 = (struct cpuid_regs){0, 0, 0, BIT(25)};
	assert_int_equal(policy_efer_optional(&ext1), EFER_FFXSR);
	ext1 = (struct cpuid_regs){~0u, ~0u, ~0u & ~BIT(17), ~0u & ~BIT(25)};
	assert_int_equal(policy_efer_optional(&ext1), 0);
	const u64 reserved[] = {BIT(1), BIT(7), BIT(9), BIT(16), BIT(21), BIT(32), BIT(63)};
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		assert_int_equal(wr(&amd, MSR_EFER, EFER_SCE | reserved[i], &m, 0), MSR_FAULT);
	assert_int_equal(m.efer, ok);
	/* SVME only when SVM is offered */
	assert_int_equal(wr(&amd, MSR_EFER, EFER_SVME, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&intel, MSR_EFER, EFER_SVME, &m, 0), MSR_FAULT);
	struct vmsrs s = {0};
	assert_int_equal(wr(&amd_svm, MSR_EFER, EFER_SVME | EFER_NXE, &s, 0), MSR_DONE);
	assert_int_equal(s.efer, EFER_SVME | EFER_NXE);
	/* and not when VM_CR.SVMDIS is set */
	s = (struct vmsrs){.vm_cr = VM_CR_SVMDIS_BIT};
	assert_int_equal(wr(&amd_svm, MSR_EFER, EFER_SVME, &s, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_svm, MSR_EFER, EFER_NXE, &s, 0), MSR_DONE);
}

static void test_wrmsr_efer_long_mode(void **state)
{
	(void)state;
	/* paging on: LME may not change */
	struct vmsrs m = {.efer = EFER_LME | EFER_LMA};
	assert_int_equal(wr(&amd, MSR_EFER, 0, &m, CR0_PG | CR0_PE), MSR_FAULT);
	m = (struct vmsrs){0};
	assert_int_equal(wr(&amd, MSR_EFER, EFER_LME, &m, CR0_PG | CR0_PE), MSR_FAULT);
	/* unchanged LME with paging on is fine */
	m = (struct vmsrs){.efer = EFER_LME | EFER_LMA};
	assert_int_equal(wr(&amd, MSR_EFER, EFER_LME | EFER_NXE | EFER_LMA, &m, CR0_PG), MSR_DONE);
	assert_int_equal(m.efer, EFER_LME | EFER_LMA | EFER_NXE);
	/* paging off: LME may change */
	m = (struct vmsrs){0};
	assert_int_equal(wr(&amd, MSR_EFER, EFER_LME, &m, CR0_PE), MSR_DONE);
	assert_int_equal(m.efer, EFER_LME);
}

static void test_wrmsr_efer_lma_read_only(void **state)
{
	(void)state;
	struct vmsrs m = {.efer = EFER_LME | EFER_LMA};
	assert_int_equal(wr(&amd, MSR_EFER, EFER_LME | EFER_SCE, &m, CR0_PG), MSR_DONE);
	assert_true(m.efer & EFER_LMA); /* clearing LMA is ignored */
	assert_int_equal(m.efer, EFER_LME | EFER_LMA | EFER_SCE);
	m = (struct vmsrs){0};
	assert_int_equal(wr(&amd, MSR_EFER, EFER_LMA, &m, 0), MSR_DONE);
	assert_false(m.efer & EFER_LMA); /* setting it too */
	assert_int_equal(m.efer, 0);
}

static void test_wrmsr_vm_cr(void **state)
{
	(void)state;
	struct vmsrs m = {0};
	assert_int_equal(wr(&amd, MSR_VM_CR, 0, &m, 0), MSR_FAULT); /* not offered */
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, 0x7, &m, 0), MSR_DONE);
	assert_int_equal(m.vm_cr, 0x7);
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, BIT(5), &m, 0), MSR_FAULT); /* reserved */
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, BIT(32), &m, 0), MSR_FAULT);
	/* unlocked: LOCK and SVMDIS can be written */
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, VM_CR_SVMDIS_BIT, &m, 0), MSR_DONE);
	assert_int_equal(m.vm_cr, VM_CR_SVMDIS_BIT);
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, VM_CR_LOCK | VM_CR_SVMDIS_BIT, &m, 0), MSR_DONE);
	assert_int_equal(m.vm_cr, VM_CR_LOCK | VM_CR_SVMDIS_BIT);
	/* locked, other bits still writable */
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, VM_CR_LOCK | VM_CR_SVMDIS_BIT | 0x1, &m, 0),
			 MSR_DONE);
	assert_int_equal(m.vm_cr, VM_CR_LOCK | VM_CR_SVMDIS_BIT | 0x1);
}

/*
 * APM 15.30.1: "LOCK: when this bit is set, writes to LOCK and SVMDIS are silently ignored."
 * Exposes a deviation: the policy raises #GP instead.
 */
static void test_wrmsr_vm_cr_locked_ignores(void **state)
{
	(void)state;
	struct vmsrs m = {.vm_cr = VM_CR_LOCK | VM_CR_SVMDIS_BIT};
	assert_int_equal(policy_wrmsr(&amd_svm, MSR_VM_CR, 0x1, &m, 0, 48), MSR_DONE);
	assert_int_equal(m.vm_cr, VM_CR_LOCK | VM_CR_SVMDIS_BIT | 0x1);
	m = (struct vmsrs){.vm_cr = VM_CR_LOCK};
	assert_int_equal(policy_wrmsr(&amd_svm, MSR_VM_CR, VM_CR_SVMDIS_BIT | VM_CR_LOCK, &m, 0, 48),
			 MSR_DONE);
	assert_int_equal(m.vm_cr, VM_CR_LOCK); /* SVMDIS not set */
}

/*
 * APM 15.30.1: "Setting SVMDIS while EFER.SVME is 1 generates a #GP fault, regardless of the
 * current state of VM_CR.LOCK."  Exposes a bug: the policy accepts it.
 */
static void test_wrmsr_vm_cr_svmdis_with_svme(void **state)
{
	(void)state;
	struct vmsrs m = {.efer = EFER_SVME};
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, VM_CR_SVMDIS_BIT, &m, 0), MSR_FAULT);
	assert_int_equal(m.vm_cr, 0);
	m.efer = 0;
	assert_int_equal(wr(&amd_svm, MSR_VM_CR, VM_CR_SVMDIS_BIT, &m, 0), MSR_DONE);
}

static void test_wrmsr_hsave_pa(void **state)
{
	(void)state;
	struct vmsrs m = {0};
	assert_int_equal(wr(&amd, MSR_VM_HSAVE_PA, 0x1000, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, 0x7fff000, &m, 0), MSR_DONE);
	assert_int_equal(m.hsave_pa, 0x7fff000);
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, 0x7fff800, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, 0x1, &m, 0), MSR_FAULT);
	/* inside MAXPHYADDR (48 here) */
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, BIT(48) - PAGE_SIZE, &m, 0), MSR_DONE);
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, BIT(48), &m, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_svm, MSR_VM_HSAVE_PA, BIT(63), &m, 0), MSR_FAULT);
	assert_int_equal(m.hsave_pa, BIT(48) - PAGE_SIZE);
	/* other widths, including none at all */
	struct vmsrs n = {0};
	assert_int_equal(policy_wrmsr(&amd_svm, MSR_VM_HSAVE_PA, BIT(40), &n, 0, 40), MSR_FAULT);
	assert_int_equal(policy_wrmsr(&amd_svm, MSR_VM_HSAVE_PA, BIT(40), &n, 0, 52), MSR_DONE);
	assert_int_equal(policy_wrmsr(&amd_svm, MSR_VM_HSAVE_PA, BIT(63), &n, 0, 64), MSR_DONE);
	assert_int_equal(n.hsave_pa, BIT(63));
}

static void test_wrmsr_other_msrs(void **state)
{
	(void)state;
	struct vmsrs m = {.efer = EFER_SCE, .vm_cr = 3, .hsave_pa = 0x5000};
	assert_int_equal(wr(&amd, MSR_SVM_KEY, 0x1234, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&amd_svm, MSR_SVM_KEY, 0x1234, &m, 0), MSR_DONE);
	assert_int_equal(wr(&amd_svm, MSR_TSC_RATIO, 0x100000000ull, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&intel, MSR_IA32_FEATURE_CONTROL, 0x5, &m, 0), MSR_FAULT);
	assert_int_equal(wr(&intel_vmx, MSR_IA32_FEATURE_CONTROL, 0x5, &m, 0), MSR_FAULT);
	for (u32 msr = 0x480; msr <= 0x492; msr++) {
		assert_int_equal(wr(&intel, msr, 0, &m, 0), MSR_FAULT);
		assert_int_equal(wr(&intel_vmx, msr, 0, &m, 0), MSR_FAULT); /* read-only */
	}
	struct vmsrs before = m;
	assert_int_equal(wr(&amd, MSR_IA32_PAT, 0x0007040600070406ull, &m, 0), MSR_HW);
	assert_int_equal(wr(&intel, 0x493, 0, &m, 0), MSR_HW);
	assert_memory_equal(&before, &m, sizeof(m));
}

static bool in_list(const u32 *list, int n, u32 msr)
{
	for (int i = 0; i < n; i++)
		if (list[i] == msr)
			return true;
	return false;
}

static void test_intercept_lists(void **state)
{
	(void)state;
	assert_int_equal(policy_n_intercepted_msrs_amd, 5);
	const u32 amd_msrs[] = {MSR_EFER, MSR_VM_CR, MSR_VM_HSAVE_PA, MSR_SVM_KEY, MSR_TSC_RATIO};
	for (size_t i = 0; i < ARRAY_SIZE(amd_msrs); i++)
		assert_true(in_list(policy_intercepted_msrs_amd, policy_n_intercepted_msrs_amd,
				    amd_msrs[i]));
	assert_int_equal(policy_n_intercepted_msrs_intel, 20);
	assert_true(in_list(policy_intercepted_msrs_intel, policy_n_intercepted_msrs_intel,
			    MSR_IA32_FEATURE_CONTROL));
	for (u32 msr = 0x480; msr <= 0x492; msr++)
		assert_true(in_list(policy_intercepted_msrs_intel, policy_n_intercepted_msrs_intel,
				    msr));
	/* every intercepted MSR gets an answer from the policy, not a pass-through */
	struct vmsrs m = {0};
	u64 v;
	for (int i = 0; i < policy_n_intercepted_msrs_amd; i++) {
		assert_int_not_equal(rd(&amd, policy_intercepted_msrs_amd[i], &m, 0, &v), MSR_HW);
		assert_int_not_equal(wr(&amd, policy_intercepted_msrs_amd[i], 0, &m, 0), MSR_HW);
	}
	for (int i = 0; i < policy_n_intercepted_msrs_intel; i++) {
		assert_int_not_equal(rd(&intel, policy_intercepted_msrs_intel[i], &m, 0, &v),
				     MSR_HW);
		assert_int_not_equal(wr(&intel, policy_intercepted_msrs_intel[i], 0, &m, 0), MSR_HW);
	}
}

/* ---- counters ---- */

static void test_counters_add_merge_total(void **state)
{
	(void)state;
	struct counters *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_int_equal(counters_total(t), 0);
	counters_add(t, 1, 0x72, ROUTE_HANDLED, 100);
	counters_add(t, 1, 0x72, ROUTE_HANDLED, 50);	/* same key: merged */
	counters_add(t, 1, 0x72, ROUTE_REFLECTED, 7);	/* other route */
	counters_add(t, 2, 0x72, ROUTE_HANDLED, 9);	/* other source */
	counters_add(t, 1, 0x7b, ROUTE_HANDLED, 0);	/* other reason */
	assert_int_equal(t->n, 4);
	assert_int_equal(t->c[0].source, 1);
	assert_int_equal(t->c[0].reason, 0x72);
	assert_int_equal(t->c[0].route, ROUTE_HANDLED);
	assert_int_equal(t->c[0].count, 2);
	assert_int_equal(t->c[0].cycles, 150);
	assert_int_equal(t->c[1].count, 1);
	assert_int_equal(t->c[1].cycles, 7);
	assert_int_equal(t->c[2].source, 2);
	assert_int_equal(t->c[3].reason, 0x7b);
	assert_int_equal(counters_total(t), 5);
	assert_int_equal(t->dropped, 0);
	free(t);
}

static void test_counters_overflow(void **state)
{
	(void)state;
	struct counters *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	for (u32 i = 0; i < COUNTERS_MAX; i++)
		counters_add(t, 0, i, ROUTE_HANDLED, 1);
	assert_int_equal(t->n, COUNTERS_MAX);
	counters_add(t, 0, 1000, ROUTE_HANDLED, 1);
	counters_add(t, 0, 1001, ROUTE_FATAL, 1);
	counters_add(t, 0, 1000, ROUTE_HANDLED, 1);
	assert_int_equal(t->n, COUNTERS_MAX);
	assert_int_equal(t->dropped, 3);
	/* existing categories still count */
	counters_add(t, 0, 5, ROUTE_HANDLED, 10);
	assert_int_equal(t->c[5].count, 2);
	assert_int_equal(t->c[5].cycles, 11);
	assert_int_equal(counters_total(t), COUNTERS_MAX + 1 + 3);
	free(t);
}

static char printed[4096];
static size_t printed_len;

static void capture(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(printed + printed_len, sizeof(printed) - printed_len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && printed_len + (size_t)n < sizeof(printed));
	printed_len += (size_t)n;
}

static const char *reason_name(u32 reason)
{
	switch (reason) {
	case 0x72:
		return "cpuid";
	case 0x7c:
		return "msr";
	default:
		return "other";
	}
}

static void test_counters_print(void **state)
{
	(void)state;
	struct counters *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	counters_add(t, 1, 0x72, ROUTE_HANDLED, 1000);
	counters_add(t, 1, 0x72, ROUTE_HANDLED, 3000);
	counters_add(t, 2, 0x7c, ROUTE_REFLECTED, 555);
	counters_add(t, 3, 0x7f, ROUTE_FATAL, 9);
	printed_len = 0;
	printed[0] = 0;
	counters_print(t, reason_name, capture);
	assert_non_null(strstr(printed, "exit counters: 4 exits\n"));
	assert_non_null(strstr(printed, "source"));
	assert_non_null(strstr(printed, "cyc/exit"));
	/* one row per category: level, reason name, route, count, cycles, cycles per exit */
	const char *row = strstr(printed, "  L1     cpuid");
	assert_non_null(row);
	char route[16];
	unsigned long count, cycles, per;
	assert_int_equal(sscanf(row, "  L1 cpuid %15s %lu %lu %lu", route, &count, &cycles, &per),
			 4);
	assert_string_equal(route, "handled");
	assert_int_equal(count, 2);
	assert_int_equal(cycles, 4000);
	assert_int_equal(per, 2000);
	row = strstr(printed, "  L2     msr");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "  L2 msr %15s %lu %lu %lu", route, &count, &cycles, &per), 4);
	assert_string_equal(route, "reflected");
	assert_int_equal(per, 555);
	row = strstr(printed, "  L3     other");
	assert_non_null(row);
	assert_int_equal(sscanf(row, "  L3 other %15s", route), 1);
	assert_string_equal(route, "fatal");
	assert_null(strstr(printed, "beyond the table")); /* nothing dropped */

	/* rows line up: every row has the same length */
	int lines = 0;
	size_t row_len = 0;
	for (const char *p = printed; *p;) {
		const char *nl = strchr(p, '\n');
		assert_non_null(nl);
		if (lines >= 1) {
			if (row_len == 0)
				row_len = (size_t)(nl - p);
			assert_int_equal((size_t)(nl - p), row_len);
		}
		lines++;
		p = nl + 1;
	}
	assert_int_equal(lines, 2 + 3);

	t->dropped = 7;
	printed_len = 0;
	counters_print(t, reason_name, capture);
	assert_non_null(strstr(printed, "exit counters: 11 exits\n"));
	assert_non_null(strstr(printed, "(7 exits in categories beyond the table)"));
	free(t);
}

static void test_route_names(void **state)
{
	(void)state;
	assert_string_equal(route_name(ROUTE_HANDLED), "handled");
	assert_string_equal(route_name(ROUTE_REFLECTED), "reflected");
	assert_string_equal(route_name(ROUTE_FATAL), "fatal");
}

static void test_counters_print_empty(void **state)
{
	(void)state;
	struct counters *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	printed_len = 0;
	printed[0] = 0;
	counters_print(t, reason_name, capture);
	assert_non_null(strstr(printed, "exit counters: 0 exits\n"));
	int lines = 0;
	for (const char *p = printed; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 2); /* the title and the column header */
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_leaf1),
		cmocka_unit_test(test_cpuid_leaf7_ospke),
		cmocka_unit_test(test_cpuid_svm_leaves),
		cmocka_unit_test(test_cpuid_hypervisor_leaves),
		cmocka_unit_test(test_level_from_cpuid),
		cmocka_unit_test(test_rdmsr_efer),
		cmocka_unit_test(test_rdmsr_svm_msrs),
		cmocka_unit_test(test_rdmsr_feature_control),
		cmocka_unit_test(test_rdmsr_vmx_and_others),
		cmocka_unit_test(test_wrmsr_efer_bits),
		cmocka_unit_test(test_wrmsr_efer_long_mode),
		cmocka_unit_test(test_wrmsr_efer_lma_read_only),
		cmocka_unit_test(test_wrmsr_vm_cr),
		cmocka_unit_test(test_wrmsr_vm_cr_locked_ignores),
		cmocka_unit_test(test_wrmsr_vm_cr_svmdis_with_svme),
		cmocka_unit_test(test_wrmsr_hsave_pa),
		cmocka_unit_test(test_wrmsr_other_msrs),
		cmocka_unit_test(test_intercept_lists),
		cmocka_unit_test(test_counters_add_merge_total),
		cmocka_unit_test(test_counters_overflow),
		cmocka_unit_test(test_counters_print),
		cmocka_unit_test(test_counters_print_empty),
		cmocka_unit_test(test_route_names),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
