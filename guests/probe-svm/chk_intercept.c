/*
 * Intercept routing: CR and DR accesses, exceptions through the exception bitmap, and the
 * instruction intercepts.  Each check runs one L2 instruction with (and, for some, without)
 * its intercept bit and looks at EXITCODE and the RIP saved in the VMCB.
 */
#include "guests/probe-svm/probe.h"

enum word { W_CR, W_DR, W_EXC, W_I1, W_I2 };
enum need { N_NONE, N_RDTSCP, N_XSAVE };

#define NODEV EMU_OTHER, NULL

struct icheck {
	const char *name;
	const u8 *rip;
	enum word word;
	u8 bit;
	u32 exit;
	enum need need;
	u64 rax, rbx, rcx;
	int dev;	  /* emulator known not to intercept it (EMU_OTHER: none) */
	const char *note; /* what the APM says */
};

static void set_intercept(enum word w, u8 bit)
{
	struct vmcb_control *c = &vmcb->control;
	u32 b = (u32)BIT(bit);
	switch (w) {
	case W_CR:
		c->intercept_cr |= b;
		break;
	case W_DR:
		c->intercept_dr |= b;
		break;
	case W_EXC:
		c->intercept_exc |= b;
		break;
	case W_I1:
		c->intercept1 |= b;
		break;
	case W_I2:
		c->intercept2 |= b;
		break;
	}
}

static bool needs_missing(enum need n, const char *name)
{
	if (n == N_RDTSCP && !feat.rdtscp) {
		skip(name, "no RDTSCP (CPUID 8000_0001h EDX[27])");
		return true;
	}
	if (n == N_XSAVE && !feat.xsave) {
		skip(name, "no XSAVE (CPUID 1 ECX[26])");
		return true;
	}
	return false;
}

static void prepare(const struct icheck *t)
{
	vmcb_reset(t->rip, false);
	vmcb->save.rax = t->rax;
	l2r.rbx = t->rbx;
	l2r.rcx = t->rcx;
	if (t->need == N_XSAVE)
		vmcb->save.cr4 |= CR4_OSXSAVE;
}

/* Intercepted: the exit code, and RIP still at the instruction (intercepts are fault-like). */
static void run_intercepted(const struct icheck *t, bool check_rip)
{
	if (needs_missing(t->need, t->name))
		return;
	prepare(t);
	set_intercept(t->word, t->bit);
	u32 code = run_l2();
	if (code == SVM_EXIT_VMMCALL && t->dev != EMU_OTHER && t->dev == feat.emu) {
		known(t->name, "emulator deviates: %s; expected exit %x got %x (not intercepted)",
		      t->note, t->exit, code);
		return;
	}
	struct ck c;
	ck_begin(&c, t->name);
	ck_eq(&c, "exit code", t->exit, code);
	if (check_rip)
		ck_eq(&c, "RIP", (u64)(uintptr_t)t->rip, vmcb->save.rip);
	ck_done(&c);
}

/* Not intercepted: L2 completes the instruction and reaches the VMMCALL after it. */
static void run_passthrough(const struct icheck *t, const char *name)
{
	if (needs_missing(t->need, name))
		return;
	prepare(t);
	u32 code = run_l2();
	struct ck c;
	ck_begin(&c, name);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
	ck_eq(&c, "L2 events", 0, l2_ev.count);
	ck_done(&c);
}

static u64 far_addr(void)
{
	return 0x100000123ull; /* above 4 GiB: not mapped by L1's (and L2's) page tables */
}

static void cr_dr_checks(void)
{
	u64 cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
	const struct icheck t[] = {
	    {"intercept-cr0-read", l2_rd_cr0, W_CR, 0, 0x00, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-cr3-read", l2_rd_cr3, W_CR, 3, 0x03, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-cr4-read", l2_rd_cr4, W_CR, 4, 0x04, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-cr8-read", l2_rd_cr8, W_CR, 8, 0x08, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-cr0-write", l2_wr_cr0, W_CR, 16, 0x10, N_NONE, 0, cr0, 0, NODEV},
	    {"intercept-cr3-write", l2_wr_cr3, W_CR, 19, 0x13, N_NONE, 0, cr3, 0, NODEV},
	    {"intercept-cr4-write", l2_wr_cr4, W_CR, 20, 0x14, N_NONE, 0, cr4, 0, NODEV},
	    {"intercept-cr8-write", l2_wr_cr8, W_CR, 24, 0x18, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-dr0-read", l2_rd_dr0, W_DR, 0, 0x20, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-dr7-read", l2_rd_dr7, W_DR, 7, 0x27, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-dr0-write", l2_wr_dr0, W_DR, 16, 0x30, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-dr7-write", l2_wr_dr7, W_DR, 23, 0x37, N_NONE, 0, 0x400, 0, NODEV},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		run_intercepted(&t[i], true);

	/* A read intercept does not catch the write of the same register, nor another CR. */
	struct icheck w = t[4];
	vmcb_reset(w.rip, false);
	l2r.rbx = cr0;
	vmcb->control.intercept_cr = I0_RD_CR(0) | I0_RD_CR(3) | I0_WR_CR(4);
	expect("intercept-cr0-read-bit-not-write", "exit code", SVM_EXIT_VMMCALL, run_l2());

	/* Selective CR0 write (intercept1 bit 5): bits other than TS/MP exit, MP alone does not. */
	vmcb_reset(l2_wr_cr0, false);
	vmcb->control.intercept1 |= I1_CR0_SEL;
	l2r.rbx = cr0 ^ BIT(18); /* AM */
	expect_dev("intercept-cr0-selective-write", "exit code", 0x65, run_l2(), EMU_QEMU,
		   SVM_EXIT_VMMCALL,
		   "APM 15.9.1: CR0 writes changing bits other than TS/MP exit "
		   "with code 0x65 when intercept1 bit 5 is set");
	vmcb_reset(l2_wr_cr0, false);
	vmcb->control.intercept1 |= I1_CR0_SEL;
	l2r.rbx = cr0 ^ CR0_MP;
	expect("intercept-cr0-selective-mp-only", "exit code", SVM_EXIT_VMMCALL, run_l2());
}

static void exception_checks(void)
{
	const struct icheck t[] = {
	    {"intercept-exc-de", l2_div0, W_EXC, EXC_DE, 0x40, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-exc-ud", l2_ud2, W_EXC, EXC_UD, 0x46, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-exc-gp", l2_load_rbx, W_EXC, EXC_GP, 0x4d, N_NONE, 0, 0x8000000000000000ull,
	     0, NODEV},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		run_intercepted(&t[i], true);
	const struct icheck bp = {"intercept-exc-bp",
				  l2_int3,
				  W_EXC,
				  EXC_BP,
				  0x43,
				  N_NONE,
				  0,
				  0,
				  0,
				  EMU_QEMU,
				  "APM 15.12: INT3 raises #BP, intercepted by exception bitmap "
				  "bit 3 (QEMU checks the INTn intercept instead)"};
	run_intercepted(&bp, false);

	/* #PF: EXITINFO1 = error code, EXITINFO2 = address, CR2 untouched. */
	vmcb_reset(l2_load_rbx, false);
	vmcb->control.intercept_exc = BIT(EXC_PF);
	vmcb->save.cr2 = 0xc2c2000;
	l2r.rbx = far_addr();
	u64 host_cr2 = read_cr2();
	struct ck c;
	ck_begin(&c, "intercept-exc-pf");
	ck_eq(&c, "exit code", 0x4e, run_l2());
	ck_eq(&c, "EXITINFO1 (error code)", 0, vmcb->control.exit_info1);
	ck_eq(&c, "EXITINFO2 (address)", far_addr(), vmcb->control.exit_info2);
	ck_eq(&c, "RIP", (u64)(uintptr_t)l2_load_rbx, vmcb->save.rip);
	ck_done(&c);
	expect_dev("intercept-exc-pf-keeps-cr2", "CR2", 0xc2c2000, vmcb->save.cr2, EMU_BOCHS,
		   host_cr2,
		   "APM 15.5.1: VMRUN loads CR2 from the VMCB (an intercepted #PF leaves it); "
		   "Bochs keeps the host's CR2 in the guest");

	/* Not intercepted: delivered through L2's own IDT. */
	static const struct {
		const char *name;
		const u8 *rip;
		u64 rbx;
		u8 vector;
		bool err;
	} d[] = {
	    {"exception-ud-to-l2-idt", l2_ud2, 0, EXC_UD, false},
	    {"exception-de-to-l2-idt", l2_div0, 0, EXC_DE, false},
	    {"exception-gp-to-l2-idt", l2_load_rbx, 0x8000000000000000ull, EXC_GP, true},
	    {"exception-pf-to-l2-idt", l2_load_rbx, 0x100000123ull, EXC_PF, true},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(d); i++) {
		vmcb_reset(d[i].rip, false);
		vmcb->control.intercept_exc = BIT(d[i].vector) ^ 0xffffffffu; /* all others */
		vmcb->control.intercept_exc &= ~BIT(EXC_NMI);
		l2r.rbx = d[i].rbx;
		ck_begin(&c, d[i].name);
		ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
		ck_eq(&c, "L2 events", 1, l2_ev.count);
		if (l2_ev.count) {
			const u64 *f = l2_ev.frame[0];
			ck_eq(&c, "vector", d[i].vector, l2_ev.vector[0]);
			if (d[i].err)
				ck_eq(&c, "error code", 0, f[0]);
			ck_eq(&c, "pushed RIP", (u64)(uintptr_t)d[i].rip, f[d[i].err ? 1 : 0]);
			if (d[i].vector == EXC_PF)
				ck_eq(&c, "L2's CR2", d[i].rbx, l2_ev.cr2[0]);
		}
		ck_done(&c);
	}
}

static void instruction_checks(void)
{
	u64 s = (u64)(uintptr_t)scratch;
	const struct icheck t[] = {
	    {"intercept-cpuid", l2_cpuid, W_I1, 18, 0x72, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-rdtsc", l2_rdtsc, W_I1, 14, 0x6e, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-rdtscp", l2_rdtscp, W_I2, 7, 0x87, N_RDTSCP, 0, 0, 0, EMU_QEMU,
	     "APM 15.9: RDTSCP is intercepted by intercept word 2 bit 7, exit 0x87 (QEMU "
	     "checks the RDTSC intercept instead)"},
	    {"intercept-rdpmc", l2_rdpmc, W_I1, 15, 0x6f, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-hlt", l2_hlt, W_I1, 24, 0x78, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-pause", l2_pause, W_I1, 23, 0x77, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-invd", l2_invd, W_I1, 22, 0x76, N_NONE, 0, 0, 0, EMU_QEMU,
	     "APM 15.9: INVD is intercepted by intercept word 1 bit 22, exit 0x76"},
	    {"intercept-wbinvd", l2_wbinvd, W_I2, 9, 0x89, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-invlpg", l2_invlpg, W_I1, 25, 0x79, N_NONE, 0, s, 0, NODEV},
	    {"intercept-invlpga", l2_invlpga, W_I1, 26, 0x7a, N_NONE, s, 0, 1, NODEV},
	    {"intercept-xsetbv", l2_xsetbv, W_I2, 13, 0x8d, N_XSAVE, 1, 0, 0, EMU_QEMU,
	     "APM 15.9: XSETBV is intercepted by intercept word 2 bit 13, exit 0x8d"},
	    {"intercept-icebp", l2_icebp, W_I2, 8, 0x88, N_NONE, 0, 0, 0, EMU_QEMU,
	     "APM 15.9: ICEBP (INT1) is intercepted by intercept word 2 bit 8, exit 0x88"},
	    {"intercept-sidt", l2_sidt, W_I1, 6, 0x66, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-sgdt", l2_sgdt, W_I1, 7, 0x67, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-pushf", l2_pushf, W_I1, 16, 0x70, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-intn", l2_intn, W_I1, 21, 0x75, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-vmrun", l2_vmrun, W_I2, 0, 0x80, N_NONE, s, 0, 0, NODEV},
	    {"intercept-vmload", l2_vmload, W_I2, 2, 0x82, N_NONE, s, 0, 0, NODEV},
	    {"intercept-vmsave", l2_vmsave, W_I2, 3, 0x83, N_NONE, s, 0, 0, NODEV},
	    {"intercept-clgi", l2_clgi, W_I2, 5, 0x85, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-stgi", l2_stgi, W_I2, 4, 0x84, N_NONE, 0, 0, 0, NODEV},
	    {"intercept-vmmcall", l2_vmmcall, W_I2, 1, 0x81, N_NONE, 0, 0, 0, NODEV},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		run_intercepted(&t[i], true);

	const struct {
		const char *name;
		unsigned idx;
	} p[] = {
	    {"cpuid-not-intercepted", 0},   {"rdtsc-not-intercepted", 1},
	    {"rdtscp-not-intercepted", 2},  {"pause-not-intercepted", 5},
	    {"wbinvd-not-intercepted", 7},  {"invlpg-not-intercepted", 8},
	    {"xsetbv-not-intercepted", 10}, {"sidt-not-intercepted", 12},
	    {"pushf-not-intercepted", 14},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(p); i++)
		run_passthrough(&t[p[i].idx], p[i].name);

	/* INT n not intercepted: delivered to L2's IDT vector 0x80. */
	vmcb_reset(l2_intn, false);
	struct ck c;
	ck_begin(&c, "intn-to-l2-idt");
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "vector", 0x80, l2_ev.count ? l2_ev.vector[0] : 0);
	ck_done(&c);

	/* CPUID not intercepted: L2 sees what L1 sees. */
	static const u32 leaves[] = {0, 1, 0x80000001, 0x8000000a, 0x40000000, 0x40000001};
	ck_begin(&c, "cpuid-l2-sees-l1-values");
	for (unsigned i = 0; i < ARRAY_SIZE(leaves); i++) {
		struct cpuid_regs r = cpuid(leaves[i]);
		vmcb_reset(l2_cpuid, false);
		vmcb->save.rax = leaves[i];
		ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
		ck_eq(&c, "EAX", r.eax, (u32)vmcb->save.rax);
		ck_eq(&c, "EBX", r.ebx, (u32)l2r.rbx);
		ck_eq(&c, "ECX", r.ecx, (u32)l2r.rcx);
		ck_eq(&c, "EDX", r.edx, (u32)l2r.rdx);
		if (c.failed) {
			ck_eq(&c, "leaf", 0, leaves[i]);
			break;
		}
	}
	ck_done(&c);

	/* SHUTDOWN: L2 triple-faults (INT3 with an empty IDT) under the SHUTDOWN intercept. */
	vmcb_reset(l2_int3, false);
	vmcb->save.idtr.limit = 0;
	expect("intercept-shutdown", "exit code", SVM_EXIT_SHUTDOWN, run_l2());
}

void run_intercept_checks(void)
{
	cr_dr_checks();
	exception_checks();
	instruction_checks();
}
