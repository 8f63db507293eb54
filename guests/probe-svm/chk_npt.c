/*
 * Nested page faults of L2 on the probe's NPT: not present (4 KiB and 2 MiB), write to a
 * read-only page, fetch from an NX page, a reserved bit, a fault on L2's own page-table walk;
 * EXITINFO1/EXITINFO2; and L2 going on after L1 fixes the entry and flushes (TLB_CONTROL).
 */
#include "guests/probe-svm/probe.h"
#include "lib/string.h"

#define PAGE(p)	 ((u64)(uintptr_t)(p))
#define RWX	 (NPT_P | NPT_RW | NPT_US)
#define NPF_BITS (NPF_P | NPF_W | NPF_RSV | NPF_ID) /* compared; U (bit 2) varies */

#define NODEV EMU_OTHER, 0, NULL

struct npf_case {
	const char *name;
	const u8 *rip;
	u64 pte;   /* for tpage[4] */
	u64 info1; /* expected EXITINFO1 & NPF_BITS */
	bool jump; /* L2 jumps to the page instead of loading/storing */
	bool store;
	int dev; /* emulator known to deviate, with the EXITINFO1 bits it gives */
	u64 dev_info1;
	const char *note;
};

/* Runs the case; reports it if `report`. */
static void npf_case(const struct npf_case *t, bool report)
{
	const u64 gpa = PAGE(tpage[4]) + 0x18;
	static const u8 vmmcall[] = {0x0f, 0x01, 0xd9};
	memcpy(tpage[4] + 0x18, vmmcall, sizeof(vmmcall));
	vmcb_reset(t->rip, true);
	*npt_pte(gpa) = t->pte;
	l2r.rbx = gpa;
	l2r.rcx = 0x5a5a;
	u32 code = run_l2();
	if (!report)
		return;
	u64 bits = vmcb->control.exit_info1 & NPF_BITS;
	if (code == SVM_EXIT_NPF && bits != t->info1 && t->dev == feat.emu &&
	    bits == t->dev_info1) {
		known(t->name, "emulator deviates: %s; EXITINFO1 bits expected %lx got %lx",
		      t->note, t->info1, bits);
		return;
	}
	struct ck c;
	ck_begin(&c, t->name);
	ck_eq(&c, "exit code", SVM_EXIT_NPF, code);
	ck_eq(&c, "EXITINFO1 P/W/RSV/ID", t->info1, bits);
	ck_eq(&c, "EXITINFO2 (GPA)", gpa, vmcb->control.exit_info2);
	ck_eq(&c, "RIP", PAGE(t->jump ? (const u8 *)(uintptr_t)gpa : t->rip), vmcb->save.rip);
	ck_done(&c);
}

static void fault_checks(void)
{
	const u64 t4 = PAGE(tpage[4]);
	u64 rsv = feat.maxphyaddr < 52 ? BIT(feat.maxphyaddr) : BIT(52);
	const struct npf_case t[] = {
	    {"npf-not-present-read", l2_load_rbx, 0, 0, false, false, NODEV},
	    {"npf-not-present-write", l2_store_rbx, 0, NPF_W, false, true, NODEV},
	    {"npf-write-to-read-only", l2_store_rbx, t4 | NPT_P | NPT_US, NPF_P | NPF_W, false,
	     true, NODEV},
	    {"npf-fetch-from-nx", l2_jmp_rbx, t4 | RWX | NPT_NX, NPF_P | NPF_ID, true, false,
	     NODEV},
	    {"npf-reserved-bit", l2_load_rbx, t4 | RWX | rsv, NPF_P | NPF_RSV, false, false,
	     EMU_QEMU, NPF_RSV,
	     "APM 15.25.6/8.4.2: a reserved-bit fault is on a present entry, so P (bit 0) "
	     "is set with RSV (bit 3)"},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		npf_case(&t[i], true);

	/* Final-translation bit: the data access itself faulted, not L2's page walk. */
	npf_case(&t[0], false);
	u64 info1 = vmcb->control.exit_info1;
	struct ck c;
	ck_begin(&c, "npf-final-translation-bits");
	ck_eq(&c, "EXITINFO1 bit 32", NPF_FINAL, info1 & NPF_FINAL);
	ck_eq(&c, "EXITINFO1 bit 33", 0, info1 & NPF_WALK);
	ck_done(&c);

	/* Read from a read-only page: no fault. */
	vmcb_reset(l2_load_rbx, true);
	*npt_pte(t4) = t4 | NPT_P | NPT_US;
	*(volatile u64 *)tpage[4] = 0x1234abcd;
	l2r.rbx = t4;
	ck_begin(&c, "npt-read-only-page-readable");
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "value read", 0x1234abcd, vmcb->save.rax);
	ck_done(&c);

	/* A 2 MiB NPT page not present (PD level). */
	vmcb_reset(l2_load_rbx, true);
	const u64 big = MiB(64) + 0x40;
	*npt_pde(big) = 0;
	l2r.rbx = big;
	ck_begin(&c, "npf-2m-page-not-present");
	ck_eq(&c, "exit code", SVM_EXIT_NPF, run_l2());
	ck_eq(&c, "EXITINFO2", big, vmcb->control.exit_info2);
	ck_eq(&c, "EXITINFO1.P", 0, vmcb->control.exit_info1 & NPF_P);
	ck_done(&c);

	/* L2's own page-table walk hits a GPA the NPT does not map: bit 33, GPA of the table. */
	u64 *pml4 = (u64 *)tpage[5];
	memcpy(pml4, (void *)(uintptr_t)(read_cr3() & ~0xfffull), 4096);
	vmcb_reset(l2_vmmcall, true);
	vmcb->save.cr3 = PAGE(pml4);
	*npt_pte(PAGE(pml4)) = 0;
	ck_begin(&c, "npf-on-guest-page-walk");
	ck_eq(&c, "exit code", SVM_EXIT_NPF, run_l2());
	ck_eq(&c, "EXITINFO2", PAGE(pml4), vmcb->control.exit_info2 & ~7ull);
	ck_eq(&c, "EXITINFO1 bit 33", NPF_WALK, vmcb->control.exit_info1 & NPF_WALK);
	ck_eq(&c, "EXITINFO1 bit 32", 0, vmcb->control.exit_info1 & NPF_FINAL);
	ck_done(&c);
}

/* After the fault L1 fixes the entry, flushes, and L2 completes the same instruction. */
static void fix_and_resume(const char *name, u64 bad_pte, const u8 *rip, bool write)
{
	const u64 t4 = PAGE(tpage[4]);
	*(volatile u64 *)tpage[4] = 0x77665544;
	vmcb_reset(rip, true);
	*npt_pte(t4) = bad_pte;
	l2r.rbx = t4;
	l2r.rcx = 0x99887766;
	u32 first = run_l2();
	*npt_pte(t4) = t4 | RWX;
	vmcb->control.tlb_control = 1;
	u32 second = run_l2();
	struct ck c;
	ck_begin(&c, name);
	ck_eq(&c, "first exit", SVM_EXIT_NPF, first);
	ck_eq(&c, "exit after the fix", SVM_EXIT_VMMCALL, second);
	if (write)
		ck_eq(&c, "value written", 0x99887766, *(volatile u64 *)tpage[4]);
	else
		ck_eq(&c, "value read", 0x77665544, vmcb->save.rax);
	ck_done(&c);
}

void run_npt_checks(void)
{
	if (!feat.npt) {
		skip("npt", "no nested paging (CPUID 8000_000Ah EDX[0])");
		return;
	}
	vmcb_reset(l2_state_in, true);
	expect("npt-l2-runs-on-identity-npt", "exit code", SVM_EXIT_VMMCALL, run_l2());
	fault_checks();
	fix_and_resume("npf-fix-not-present-and-resume", 0, l2_load_rbx, false);
	fix_and_resume("npf-fix-read-only-and-resume", PAGE(tpage[4]) | NPT_P | NPT_US,
		       l2_store_rbx, true);
}
