/*
 * Instruction-level rules of the SVM instructions in L1: #UD without EFER.SVME, #GP for bad
 * VMCB and host-save-area addresses, VMMCALL outside a guest; and NextRIP (VMCB 0xc8) for
 * the exits that report it when NRIP save is offered.
 */
#include "guests/probe-svm/probe.h"
#include "lib/string.h"

#define PAGE(p) ((u64)(uintptr_t)(p))

static u8 state_copy[4096] __attribute__((aligned(4096)));

enum svm_insn { I_VMRUN, I_VMLOAD, I_VMSAVE, I_CLGI, I_STGI };

static int exec_insn(enum svm_insn i, u64 pa)
{
	switch (i) {
	case I_VMRUN:
		return try_vmrun(pa);
	case I_VMLOAD:
		return try_vmload(pa);
	case I_VMSAVE:
		return try_vmsave(pa);
	case I_CLGI:
		return try_clgi();
	default:
		return try_stgi();
	}
}

static void svme_off_checks(void)
{
	static const struct {
		const char *name;
		enum svm_insn insn;
	} t[] = {
	    {"ud-vmrun-without-svme", I_VMRUN},	  {"ud-vmload-without-svme", I_VMLOAD},
	    {"ud-vmsave-without-svme", I_VMSAVE}, {"ud-clgi-without-svme", I_CLGI},
	    {"ud-stgi-without-svme", I_STGI},
	};
	try_vmsave(PAGE(state_copy)); /* a VMLOAD that does run loads L1's own state */
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		vmcb_reset(l2_vmmcall, false);
		u64 pa = t[i].insn == I_VMRUN ? vmcb_pa : PAGE(state_copy);
		u64 efer = rdmsr(MSR_EFER);
		wrmsr(MSR_EFER, efer & ~EFER_SVME);
		int v = exec_insn(t[i].insn, pa);
		wrmsr(MSR_EFER, efer);
		stgi(); /* in case the instruction did run */
		/* APM: CLGI/STGI #UD without SVME only if neither SVM-Lock nor SKINIT exists. */
		bool gi = t[i].insn == I_CLGI || t[i].insn == I_STGI;
		s64 want = gi && (feat.svml || feat.skinit) ? -1 : EXC_UD;
		if (v == want)
			pass(t[i].name);
		else if (gi && want == -1 && v == EXC_UD && feat.emu == EMU_BOCHS)
			known(t[i].name,
			      "emulator deviates: APM vol. 3 CLGI/STGI: #UD when EFER.SVME=0 only "
			      "if CPUID SVML (8000_000Ah EDX[2]) and SKINIT (8000_0001h ECX[12]) "
			      "are both 0; expected no fault got vector %d",
			      v);
		else
			fail(t[i].name, "expected vector %ld got %d (-1: no fault)", (long)want, v);
	}
	expect("ud-vmmcall-outside-guest", "vector", EXC_UD, (u64)(s64)try_vmmcall());
}

static void address_checks(void)
{
	/* VMRUN with an unaligned VMCB address.  An emulator that runs it anyway finds zeros
	 * there (no VMRUN intercept): VMEXIT_INVALID, no harm. */
	int v = try_vmrun(PAGE(scratch) + 8);
	stgi();
	expect("gp-vmrun-unaligned-rax", "vector", EXC_GP, (u64)(s64)v);
	v = try_vmrun(1ull << feat.maxphyaddr);
	stgi();
	expect("gp-vmrun-rax-beyond-maxphyaddr", "vector", EXC_GP, (u64)(s64)v);

	/* VMSAVE/VMLOAD unaligned: scratch holds L1's own state so a VMLOAD that runs is
	 * harmless. */
	try_vmsave(PAGE(state_copy));
	memcpy(scratch + 0x10, state_copy, 4096);
	v = try_vmsave(PAGE(scratch) + 0x10);
	expect("gp-vmsave-unaligned-rax", "vector", EXC_GP, (u64)(s64)v);
	memcpy(scratch + 0x10, state_copy, 4096);
	v = try_vmload(PAGE(scratch) + 0x10);
	expect("gp-vmload-unaligned-rax", "vector", EXC_GP, (u64)(s64)v);
	try_vmload(PAGE(state_copy));

	/* VM_HSAVE_PA: page aligned and inside the physical address space, else #GP. */
	const char *hs = "APM 15.30.4: writing VM_HSAVE_PA with bits 11:0 set or beyond "
			 "MAXPHYADDR raises #GP";
	u64 hsave = rdmsr(MSR_VM_HSAVE_PA);
	v = try_wrmsr(MSR_VM_HSAVE_PA, hsave + 8);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	expect_dev("gp-hsave-pa-unaligned", "vector", EXC_GP, (u64)(s64)v, EMU_BOCHS, (u64)-1, hs);
	v = try_wrmsr(MSR_VM_HSAVE_PA, 1ull << feat.maxphyaddr);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	expect_dev("gp-hsave-pa-beyond-maxphyaddr", "vector", EXC_GP, (u64)(s64)v, EMU_BOCHS,
		   (u64)-1, hs);
	u64 back = 0;
	v = try_rdmsr(MSR_VM_HSAVE_PA, &back);
	struct ck c;
	ck_begin(&c, "hsave-pa-reads-back");
	ck_eq(&c, "fault", (u64)-1, (u64)(s64)v);
	ck_eq(&c, "VM_HSAVE_PA", hsave, back);
	ck_done(&c);
}

struct nrip_case {
	const char *name;
	const u8 *rip, *end;
	u32 i1;
	u32 exit;
	u64 rcx;
};

static void nrip_checks(void)
{
	const struct nrip_case t[] = {
	    {"nextrip-cpuid", l2_cpuid, l2_cpuid_end, SVM_I1_CPUID, SVM_EXIT_CPUID, 0},
	    {"nextrip-rdmsr", l2_rdmsr, l2_rdmsr_end, SVM_I1_MSR, SVM_EXIT_MSR, 0x2000},
	    {"nextrip-vmmcall", l2_vmmcall, l2_vmmcall_end, 0, SVM_EXIT_VMMCALL, 0},
	    {"nextrip-ioio", l2_out_80, l2_out_80_end, SVM_I1_IOIO, SVM_EXIT_IOIO, 0},
	    {"nextrip-rdtsc", l2_rdtsc, l2_rdtsc_end, SVM_I1_RDTSC, SVM_EXIT_RDTSC, 0},
	    {"nextrip-hlt", l2_hlt, l2_hlt_end, 0, SVM_EXIT_HLT, 0},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		if (!feat.nrips) {
			skip(t[i].name, "no NRIP save (CPUID 8000_000Ah EDX[3])");
			continue;
		}
		vmcb_reset(t[i].rip, false);
		vmcb->control.intercept1 |= t[i].i1;
		iopm[0x80 / 8] |= 1;
		l2r.rcx = t[i].rcx;
		struct ck c;
		ck_begin(&c, t[i].name);
		ck_eq(&c, "exit code", t[i].exit, run_l2());
		ck_eq(&c, "NextRIP", (u64)(uintptr_t)t[i].end, vmcb->control.next_rip);
		ck_done(&c);
	}
}

void run_insn_checks(void)
{
	svme_off_checks();
	address_checks();
	nrip_checks();
}
