/*
 * The permission maps: IOIO through the IOPM (intercepted port vs not, accesses that span an
 * intercepted bit, EXITINFO1/2) and MSRs through the MSRPM (read and write bits apart,
 * neighbours, the three ranges, MSRs outside them), plus ports and MSRs the lower level keeps
 * for itself, which must never reach L1 when L1 does not intercept them.
 */
#include "guests/probe-svm/probe.h"

#define IO_SZ8	     BIT(4)
#define IO_SZ16	     BIT(5)
#define IO_SZ32	     BIT(6)
#define IO_INFO_MASK 0xffff007dull /* port, sizes, REP, STR, IN (not the address size) */

static void iopm_set(u32 port)
{
	iopm[port / 8] |= (u8)(1u << (port % 8));
}

static void msrpm_set(u32 msr, bool write)
{
	static const u32 base[3] = {0, 0xc0000000, 0xc0010000};
	for (u32 i = 0; i < 3; i++) {
		if (msr >= base[i] && msr < base[i] + 0x2000) {
			u32 bit = i * 0x4000 + (msr - base[i]) * 2 + (write ? 1 : 0);
			msrpm[bit / 8] |= (u8)(1u << (bit % 8));
		}
	}
}

struct io_case {
	const char *name;
	const u8 *rip;
	u32 bits[2]; /* IOPM bits to set (0 = none) */
	u64 rdx;
	bool exits;
	u64 info1;
};

static void io_case(const struct io_case *t)
{
	vmcb_reset(t->rip, false);
	vmcb->control.intercept1 |= SVM_I1_IOIO;
	for (int i = 0; i < 2; i++)
		if (t->bits[i])
			iopm_set(t->bits[i]);
	l2r.rdx = t->rdx;
	u32 code = run_l2();
	struct ck c;
	ck_begin(&c, t->name);
	if (t->exits) {
		ck_eq(&c, "exit code", SVM_EXIT_IOIO, code);
		ck_eq(&c, "EXITINFO1", t->info1, vmcb->control.exit_info1 & IO_INFO_MASK);
		ck_eq(&c, "RIP", (u64)(uintptr_t)t->rip, vmcb->save.rip);
	} else {
		ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
	}
	ck_done(&c);
}

static void ioio_checks(void)
{
	const struct io_case t[] = {
	    {"ioio-out-intercepted", l2_out_80, {0x80, 0}, 0, true, (0x80 << 16) | IO_SZ8},
	    {"ioio-in-intercepted",
	     l2_in_80,
	     {0x80, 0},
	     0,
	     true,
	     (0x80 << 16) | IO_SZ8 | SVM_IOIO_IN},
	    {"ioio-port-not-in-iopm", l2_out_80, {0x81, 0x7f}, 0, false, 0},
	    {"ioio-word-spans-intercepted-bit",
	     l2_in_7f_w,
	     {0x80, 0},
	     0,
	     true,
	     (0x7f << 16) | IO_SZ16 | SVM_IOIO_IN},
	    {"ioio-dword-last-byte-intercepted",
	     l2_out_dx_l,
	     {0x83, 0},
	     0x80,
	     true,
	     (0x80 << 16) | IO_SZ32},
	    {"ioio-dword-next-port-free", l2_out_dx_l, {0x84, 0x7f}, 0x80, false, 0},
	    {"ioio-wrap-past-ffff",
	     l2_in_dx_w,
	     {0x10000, 0},
	     0xffff,
	     true,
	     (0xffffull << 16) | IO_SZ16 | SVM_IOIO_IN},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		io_case(&t[i]);

	/* EXITINFO2 holds the RIP of the next instruction, for every IOIO exit. */
	vmcb_reset(l2_out_80, false);
	vmcb->control.intercept1 |= SVM_I1_IOIO;
	iopm_set(0x80);
	run_l2();
	expect("ioio-exitinfo2-next-rip", "EXITINFO2", (u64)(uintptr_t)l2_out_80_end,
	       vmcb->control.exit_info2);

	/* String form: STR and REP in EXITINFO1. */
	vmcb_reset(l2_rep_outsb, false);
	vmcb->control.intercept1 |= SVM_I1_IOIO;
	iopm_set(0x80);
	l2r.rdx = 0x80;
	l2r.rcx = 2;
	l2r.rsi = (u64)(uintptr_t)scratch;
	struct ck c;
	ck_begin(&c, "ioio-rep-outsb");
	ck_eq(&c, "exit code", SVM_EXIT_IOIO, run_l2());
	ck_eq(&c, "EXITINFO1", (0x80 << 16) | IO_SZ8 | SVM_IOIO_STR | SVM_IOIO_REP,
	      vmcb->control.exit_info1 & IO_INFO_MASK);
	ck_done(&c);

	/* IOPM full of ones but the IOIO intercept clear: nothing exits. */
	vmcb_reset(l2_out_80, false);
	for (int i = 0; i < 3 * 4096; i++)
		iopm[i] = 0xff;
	expect("ioio-intercept-bit-clear", "exit code", SVM_EXIT_VMMCALL, run_l2());

	/* A port the level below keeps for itself (0xf4, its exit port): L1 does not intercept
	 * it, so the read completes in L2 and L1 sees no IOIO exit. */
	vmcb_reset(l2_in_f4, false);
	vmcb->control.intercept1 |= SVM_I1_IOIO;
	iopm_set(0x80);
	expect("ioio-lower-level-port-not-leaked", "exit code", SVM_EXIT_VMMCALL, run_l2());
}

struct msr_case {
	const char *name;
	const u8 *rip;
	u32 msr;
	bool rd_bit, wr_bit; /* bits set in the MSRPM for `bitmsr` */
	u32 bitmsr;
	bool exits;
};

static void msr_case(const struct msr_case *t)
{
	bool write = t->rip == l2_wrmsr;
	u64 old = 0;
	if (write)
		old = rdmsr(t->msr);
	vmcb_reset(t->rip, false);
	vmcb->control.intercept1 |= SVM_I1_MSR;
	if (t->rd_bit)
		msrpm_set(t->bitmsr, false);
	if (t->wr_bit)
		msrpm_set(t->bitmsr, true);
	l2r.rcx = t->msr;
	if (write) { /* write back the current value: harmless when it is not intercepted */
		vmcb->save.rax = (u32)old;
		l2r.rdx = old >> 32;
	}
	u32 code = run_l2();
	struct ck c;
	ck_begin(&c, t->name);
	if (t->exits) {
		ck_eq(&c, "exit code", SVM_EXIT_MSR, code);
		ck_eq(&c, "EXITINFO1", write ? 1 : 0, vmcb->control.exit_info1);
		ck_eq(&c, "RIP", (u64)(uintptr_t)t->rip, vmcb->save.rip);
	} else {
		ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
		if (!write) {
			u64 v = (vmcb->save.rax & 0xffffffffull) | (l2r.rdx << 32);
			ck_eq(&c, "value read", rdmsr(t->msr), v);
		}
	}
	ck_done(&c);
	if (write)
		wrmsr(t->msr, old);
}

static void msr_checks(void)
{
	const u32 kgs = MSR_KERNEL_GS_BASE, sysenter_cs = MSR_IA32_SYSENTER_CS;
	const struct msr_case t[] = {
	    {"msr-read-bit-rdmsr-exits", l2_rdmsr, kgs, true, false, kgs, true},
	    {"msr-read-bit-wrmsr-passes", l2_wrmsr, kgs, true, false, kgs, false},
	    {"msr-write-bit-wrmsr-exits", l2_wrmsr, kgs, false, true, kgs, true},
	    {"msr-write-bit-rdmsr-passes", l2_rdmsr, kgs, false, true, kgs, false},
	    {"msr-neighbour-below-not-intercepted", l2_rdmsr, MSR_GS_BASE, true, true, kgs, false},
	    {"msr-neighbour-above-not-intercepted", l2_rdmsr, MSR_KERNEL_GS_BASE, true, true,
	     MSR_GS_BASE, false},
	    {"msr-range0-intercepted", l2_rdmsr, sysenter_cs, true, false, sysenter_cs, true},
	    {"msr-range0-other-free", l2_rdmsr, MSR_IA32_SYSENTER_ESP, true, false, sysenter_cs,
	     false},
	    {"msr-range2-intercepted", l2_rdmsr, MSR_VM_HSAVE_PA, true, false, MSR_VM_HSAVE_PA,
	     true},
	    {"msr-outside-ranges-always-exits", l2_rdmsr, 0x2000, false, false, 0, true},
	    {"msr-outside-ranges-high-always-exits", l2_rdmsr, 0xc0012000, false, false, 0, true},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		msr_case(&t[i]);

	/* MSRPM all ones, MSR intercept clear: nothing exits. */
	vmcb_reset(l2_rdmsr, false);
	for (int i = 0; i < 2 * 4096; i++)
		msrpm[i] = 0xff;
	l2r.rcx = MSR_IA32_SYSENTER_CS;
	expect("msr-intercept-bit-clear", "exit code", SVM_EXIT_VMMCALL, run_l2());

	/* EFER is an MSR the level below keeps for itself: with an empty MSRPM, L2's RDMSR
	 * completes in L2 and returns the EFER L1 gave L2 in the VMCB. */
	vmcb_reset(l2_rdmsr, false);
	vmcb->control.intercept1 |= SVM_I1_MSR;
	vmcb->save.efer ^= EFER_SCE;
	u64 want = vmcb->save.efer;
	l2r.rcx = MSR_EFER;
	struct ck c;
	ck_begin(&c, "msr-efer-lower-level-not-leaked");
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "EFER read by L2", want, (vmcb->save.rax & 0xffffffffull) | (l2r.rdx << 32));
	ck_done(&c);
}

void run_iomsr_checks(void)
{
	ioio_checks();
	msr_checks();
}
