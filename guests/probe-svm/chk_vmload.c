/*
 * VMLOAD/VMSAVE in L1 (FS, GS, TR, LDTR, KernelGsBase, STAR, LSTAR, CSTAR, SFMASK and the
 * SYSENTER MSRs, both directions, base canonicalisation) and virtual VMLOAD/VMSAVE in L2
 * (RAX is an L2 guest-physical address translated through the NPT) when offered.
 */
#include "guests/probe-svm/probe.h"
#include "lib/string.h"

#define PAGE(p) ((u64)(uintptr_t)(p))

static u8 backup[4096] __attribute__((aligned(4096)));
static u8 area[4096] __attribute__((aligned(4096)));

static const u32 msrs[] = {MSR_FS_BASE,
			   MSR_GS_BASE,
			   MSR_KERNEL_GS_BASE,
			   MSR_STAR,
			   MSR_LSTAR,
			   MSR_CSTAR,
			   MSR_SFMASK,
			   MSR_IA32_SYSENTER_CS,
			   MSR_IA32_SYSENTER_ESP,
			   MSR_IA32_SYSENTER_EIP};

/* The VMCB field VMSAVE stores the MSR in (offsets from the start of the VMCB). */
static u64 *field(void *vmcb_page, u32 msr)
{
	size_t off;
	switch (msr) {
	case MSR_FS_BASE:
		off = offsetof(struct vmcb, save.fs.base);
		break;
	case MSR_GS_BASE:
		off = offsetof(struct vmcb, save.gs.base);
		break;
	case MSR_KERNEL_GS_BASE:
		off = offsetof(struct vmcb, save.kernel_gs_base);
		break;
	case MSR_STAR:
		off = offsetof(struct vmcb, save.star);
		break;
	case MSR_LSTAR:
		off = offsetof(struct vmcb, save.lstar);
		break;
	case MSR_CSTAR:
		off = offsetof(struct vmcb, save.cstar);
		break;
	case MSR_SFMASK:
		off = offsetof(struct vmcb, save.sfmask);
		break;
	case MSR_IA32_SYSENTER_CS:
		off = offsetof(struct vmcb, save.sysenter_cs);
		break;
	case MSR_IA32_SYSENTER_ESP:
		off = offsetof(struct vmcb, save.sysenter_esp);
		break;
	default:
		off = offsetof(struct vmcb, save.sysenter_eip);
		break;
	}
	return (u64 *)((u8 *)vmcb_page + off);
}

static u64 pattern(u32 msr, u64 salt)
{
	if (msr == MSR_IA32_SYSENTER_CS)
		return 0x10 + salt;
	if (msr == MSR_STAR)
		return 0x0023001000000000ull + salt;
	if (msr == MSR_SFMASK)
		return 0x47700 + salt;
	return 0xffff800000000000ull + ((u64)(msr & 0xff) << 24) + (salt << 12);
}

static u16 str(void)
{
	u16 v;
	__asm__ volatile("str %0" : "=r"(v));
	return v;
}

static u16 sldt(void)
{
	u16 v;
	__asm__ volatile("sldt %0" : "=r"(v));
	return v;
}

static void vmsave_checks(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		wrmsr(msrs[i], pattern(msrs[i], 1));
	memset(area, 0, sizeof(area));
	struct vmcb_save *s = &((struct vmcb *)area)->save;
	int v = try_vmsave(PAGE(area));
	struct ck c;
	ck_begin(&c, "vmsave-stores-msrs");
	ck_eq(&c, "fault", (u64)-1, (u64)(s64)v);
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		ck_eq(&c, "field", pattern(msrs[i], 1), *field(area, msrs[i]));
	ck_done(&c);
	ck_begin(&c, "vmsave-stores-tr-ldtr");
	ck_eq(&c, "TR selector", str(), s->tr.selector);
	ck_eq(&c, "LDTR selector", sldt(), s->ldtr.selector);
	ck_done(&c);
}

static void vmload_checks(void)
{
	memcpy(area, backup, sizeof(area));
	struct vmcb_save *s = &((struct vmcb *)area)->save;
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		*field(area, msrs[i]) = pattern(msrs[i], 2);
	s->tr = (struct vmcb_seg){0x28, 0x8b, 0x67, 0x123000};
	s->ldtr = (struct vmcb_seg){0x30, 0x82, 0xfff, 0x456000};
	int v = try_vmload(PAGE(area));
	u64 got[ARRAY_SIZE(msrs)];
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		got[i] = rdmsr(msrs[i]);
	u16 tr = str(), ldtr = sldt();
	struct ck c;
	ck_begin(&c, "vmload-loads-msrs");
	ck_eq(&c, "fault", (u64)-1, (u64)(s64)v);
	for (unsigned i = 0; i < ARRAY_SIZE(msrs); i++)
		ck_eq(&c, "MSR", pattern(msrs[i], 2), got[i]);
	ck_done(&c);
	ck_begin(&c, "vmload-loads-tr-ldtr");
	ck_eq(&c, "TR", 0x28, tr);
	ck_eq(&c, "LDTR", 0x30, ldtr);
	ck_done(&c);

	/* Segment bases are sign-extended from bit 47 on VMLOAD. */
	s->fs.base = 0x0000800000001000ull;
	try_vmload(PAGE(area));
	expect_dev("vmload-canonicalizes-fs-base", "FS base", 0xffff800000001000ull,
		   rdmsr(MSR_FS_BASE), EMU_QEMU, 0x0000800000001000ull,
		   "APM 15.5.1: VMRUN and VMLOAD canonicalize the segment bases they load");
}

static void virtual_vmload_checks(void)
{
	static const char *const names[] = {"virtual-vmsave-through-npt",
					    "virtual-vmload-through-npt"};
	if (!feat.vvmload || !feat.npt) {
		for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
			skip(names[i], "no virtual VMLOAD/VMSAVE (CPUID 8000_000Ah EDX[15])");
		return;
	}
	/* L2's page tpage[2] is L1's page tpage[3] in the NPT. */
	const u64 l2gpa = PAGE(tpage[2]), l1pa = PAGE(tpage[3]);
	memset(tpage[2], 0, 4096);
	memset(tpage[3], 0, 4096);
	wrmsr(MSR_STAR, pattern(MSR_STAR, 3));
	vmcb_reset(l2_vmsave, true);
	*npt_pte(l2gpa) = l1pa | NPT_P | NPT_RW | NPT_US;
	vmcb->control.virt_ext = VIRT_EXT_VMSAVE_VMLOAD;
	vmcb->save.rax = l2gpa;
	struct ck c;
	ck_begin(&c, names[0]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "STAR in L1's page", pattern(MSR_STAR, 3), ((struct vmcb *)tpage[3])->save.star);
	ck_eq(&c, "STAR in the identity page", 0, ((struct vmcb *)tpage[2])->save.star);
	ck_done(&c);

	memcpy(tpage[3], backup, 4096);
	((struct vmcb *)tpage[3])->save.star = pattern(MSR_STAR, 4);
	vmcb_reset(l2_vmload, true);
	*npt_pte(l2gpa) = l1pa | NPT_P | NPT_RW | NPT_US;
	vmcb->control.virt_ext = VIRT_EXT_VMSAVE_VMLOAD;
	vmcb->save.rax = l2gpa;
	ck_begin(&c, names[1]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "STAR", pattern(MSR_STAR, 4), rdmsr(MSR_STAR));
	ck_done(&c);
}

void run_vmload_checks(void)
{
	if (try_vmsave(PAGE(backup)) != -1) {
		fail("vmsave-backup", "VMSAVE of L1's own state faulted");
		return;
	}
	vmsave_checks();
	vmload_checks();
	virtual_vmload_checks();
	try_vmload(PAGE(backup)); /* L1's own FS, GS, TR, LDTR and MSRs back */
}
