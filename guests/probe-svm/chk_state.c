/*
 * State synchronisation both ways: what L1 puts in the VMCB is what L2 sees at its first
 * instruction, what L2 changes is in the VMCB after #VMEXIT, and the GPRs the VMCB does not
 * hold are shared between L2 and L1.
 */
#include "guests/probe-svm/probe.h"
#include "lib/string.h"

#define PAGE_ALIGNED __attribute__((aligned(4096)))
static u64 pml4_copy[512] PAGE_ALIGNED; /* same mappings, another CR3 */

static void make_cr3_copy(void)
{
	memcpy(pml4_copy, (void *)(uintptr_t)(read_cr3() & ~0xfffull), 4096);
}

#define BOCHS_CR2 "APM 15.5.1: VMRUN loads CR2 from the VMCB; Bochs leaves the host's CR2 in place"
#define RFLAGS_L2 (0x2ull | BIT(0) | BIT(6) | BIT(11)) /* CF, ZF, OF */
#define DR7_L2	  0x0000000000000401ull		       /* L0 enable, DR0 = 0: never hit */

static void state_in(void)
{
	make_cr3_copy();
	vmcb_reset(l2_state_in, false);
	struct vmcb_save *s = &vmcb->save;
	s->rax = 0x0123456789abcdefull;
	s->rsp = (u64)(uintptr_t)l2_stack_top - 0x108;
	s->rflags = RFLAGS_L2;
	s->cr0 |= CR0_MP | BIT(18); /* AM */
	s->cr3 = (u64)(uintptr_t)pml4_copy;
	s->cr4 ^= BIT(8); /* PCE */
	s->cr2 = 0xdead000;
	s->dr7 = DR7_L2;
	s->efer ^= EFER_SCE;
	s->ds.selector = 0x18;
	s->es.selector = 0x18;
	s->idtr.base = 0x12000; /* L2 takes no exception here: any IDT will do */
	s->idtr.limit = 0x7ff;
	vmcb->control.int_ctl = V_INTR_MASKING | 5; /* CR8 reads V_TPR */
	__asm__ volatile("movq %0, %%dr0" ::"r"(0ull));
	memset(&l2_seen, 0, sizeof(l2_seen));
	u64 host_cr2 = read_cr2();
	u32 code = run_l2();
	if (!expect("state-l2-runs-state-snippet", "exit code", SVM_EXIT_VMMCALL, code))
		return;
	expect("state-in-rax", "RAX", 0x0123456789abcdefull, l2_seen.rax);
	expect("state-in-rsp", "RSP", (u64)(uintptr_t)l2_stack_top - 0x108, l2_seen.rsp);
	expect("state-in-rflags", "RFLAGS", RFLAGS_L2, l2_seen.rflags);
	expect("state-in-cr0", "CR0", (read_cr0() | CR0_MP | BIT(18)), l2_seen.cr0);
	expect_dev("state-in-cr2", "CR2", 0xdead000, l2_seen.cr2, EMU_BOCHS, host_cr2, BOCHS_CR2);
	expect("state-in-cr3", "CR3", (u64)(uintptr_t)pml4_copy, l2_seen.cr3);
	expect("state-in-cr4", "CR4", read_cr4() ^ BIT(8), l2_seen.cr4);
	expect("state-in-cr8-is-vtpr", "CR8", 5, l2_seen.cr8);
	expect("state-in-dr7", "DR7", DR7_L2, l2_seen.dr7);
	expect("state-in-efer", "EFER", rdmsr(MSR_EFER) ^ EFER_SCE, l2_seen.efer);
	struct ck c;
	ck_begin(&c, "state-in-segment-selectors");
	ck_eq(&c, "CS", 0x08, l2_seen.cs);
	ck_eq(&c, "SS", 0x10, l2_seen.ss);
	ck_eq(&c, "DS", 0x18, l2_seen.ds);
	ck_eq(&c, "ES", 0x18, l2_seen.es);
	ck_done(&c);
	ck_begin(&c, "state-in-gdtr-idtr");
	ck_eq(&c, "GDTR base", s->gdtr.base, l2_seen.gdtr.base);
	ck_eq(&c, "GDTR limit", s->gdtr.limit, l2_seen.gdtr.limit);
	ck_eq(&c, "IDTR base", 0x12000, l2_seen.idtr.base);
	ck_eq(&c, "IDTR limit", 0x7ff, l2_seen.idtr.limit);
	ck_done(&c);
	expect("state-rip-after-exit", "RIP", (u64)(uintptr_t)l2_state_in_end, s->rip);
	/* #VMEXIT saves the segment registers: unchanged ones come back as L1 gave them. */
	ck_begin(&c, "state-segments-saved-on-exit");
	ck_eq(&c, "CS selector", 0x08, s->cs.selector);
	ck_eq(&c, "CS attributes", 0xa9b, s->cs.attrib);
	ck_eq(&c, "SS selector", 0x10, s->ss.selector);
	ck_eq(&c, "DS selector", 0x18, s->ds.selector);
	ck_eq(&c, "DS attributes", 0xc93, s->ds.attrib);
	ck_eq(&c, "DS limit", 0xffffffff, s->ds.limit);
	ck_eq(&c, "IDTR base", 0x12000, s->idtr.base);
	ck_eq(&c, "IDTR limit", 0x7ff, s->idtr.limit);
	ck_done(&c);
}

static void state_out(void)
{
	make_cr3_copy();
	vmcb_reset(l2_state_out, false);
	struct vmcb_save *s = &vmcb->save;
	u64 efer0 = s->efer;
	l2_set = (struct l2_state){0};
	l2_set.rax = 0xfeedfacecafebeefull;
	l2_set.rsp = (u64)(uintptr_t)l2_stack_top - 0x208;
	l2_set.rflags = 0x2 | BIT(0) | BIT(2) | BIT(7); /* CF, PF, SF */
	l2_set.cr0 = s->cr0 ^ CR0_MP;
	l2_set.cr2 = 0xbeef000;
	l2_set.cr3 = (u64)(uintptr_t)pml4_copy;
	l2_set.cr4 = s->cr4 ^ BIT(8);
	l2_set.dr7 = DR7_L2;
	l2_set.efer = efer0 ^ EFER_SCE;
	l2_set.ds = 0x18;
	__asm__ volatile("movq %0, %%dr0" ::"r"(0ull));
	u32 code = run_l2();
	if (!expect("state-l2-runs-change-snippet", "exit code", SVM_EXIT_VMMCALL, code))
		return;
	expect("state-out-rax", "VMCB RAX", l2_set.rax, s->rax);
	expect("state-out-rsp", "VMCB RSP", l2_set.rsp, s->rsp);
	expect("state-out-rip", "VMCB RIP", (u64)(uintptr_t)l2_state_out_end, s->rip);
	expect("state-out-rflags", "VMCB RFLAGS", l2_set.rflags, s->rflags);
	expect("state-out-cr0", "VMCB CR0", l2_set.cr0, s->cr0);
	expect("state-out-cr2", "VMCB CR2", l2_set.cr2, s->cr2);
	expect("state-out-cr3", "VMCB CR3", l2_set.cr3, s->cr3);
	expect("state-out-cr4", "VMCB CR4", l2_set.cr4, s->cr4);
	expect("state-out-dr7", "VMCB DR7", l2_set.dr7, s->dr7);
	expect("state-out-efer", "VMCB EFER", l2_set.efer, s->efer);
	expect("state-out-ds", "VMCB DS selector", 0x18, s->ds.selector);
	u64 g[14];
	STATIC_ASSERT(sizeof(g) == sizeof(l2r), "struct l2_regs is 14 registers");
	memcpy(g, &l2r, sizeof(g));
	static const u8 order[] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	struct ck c;
	ck_begin(&c, "state-out-shared-gprs");
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		ck_eq(&c, "GPR", 0x1111222233334440ull + order[i], g[i]);
	ck_done(&c);
	/* L1's own state came back from the host save area. */
	ck_begin(&c, "state-l1-restored-after-exit");
	ck_true(&c, "L1 CR3 is L2's", (u64)(uintptr_t)pml4_copy != read_cr3());
	ck_eq(&c, "L1 EFER", efer0, rdmsr(MSR_EFER));
	ck_eq(&c, "L1 CR4 PCE", s->cr4 & BIT(8) ? 0 : BIT(8), read_cr4() & BIT(8));
	ck_done(&c);
}

/* V_TPR both ways with V_INTR_MASKING: L2's CR8 write lands in the VMCB. */
static void vtpr(void)
{
	vmcb_reset(l2_wr_cr8, false);
	vmcb->control.int_ctl = V_INTR_MASKING | 2;
	l2r.rbx = 9;
	u32 code = run_l2();
	struct ck c;
	ck_begin(&c, "state-out-cr8-write-to-vtpr");
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
	ck_eq(&c, "V_TPR", 9, vmcb->control.int_ctl & V_TPR_MASK);
	ck_done(&c);
}

/* TSC offset: L2's RDTSC returns L1's TSC plus TSC_OFFSET. */
static void tsc_offset(void)
{
	const u64 off = 1ull << 44;
	vmcb_reset(l2_rdtsc, false);
	vmcb->control.tsc_offset = off;
	u64 before = rdtsc();
	run_l2();
	u64 after = rdtsc();
	u64 l2 = (vmcb->save.rax & 0xffffffffull) | (l2r.rdx << 32);
	if (l2 >= before + off && l2 <= after + off)
		pass("state-tsc-offset");
	else
		fail("state-tsc-offset", "expected L2 TSC in [%lx, %lx] got %lx", before + off,
		     after + off, l2);
}

void run_state_checks(void)
{
	state_in();
	state_out();
	vtpr();
	tsc_offset();
}
