/*
 * VMRUN consistency checks (APM 15.5.1) and event-injection checks (APM 15.20): each illegal
 * VMCB gives #VMEXIT with VMEXIT_INVALID (-1; QEMU stores only the low 32 bits), L1 goes on
 * after its VMRUN, and GIF is 0.
 */
#include "guests/probe-svm/probe.h"

#define SEG_L BIT(9)
#define SEG_D BIT(10)

enum bad {
	B_SVME,
	B_CD_NW,
	B_CR0_HIGH,
	B_CR3_MBZ,
	B_CR4_MBZ,
	B_CR4_HIGH,
	B_DR6_HIGH,
	B_DR7_HIGH,
	B_EFER_MBZ,
	B_NO_PAE,
	B_NO_PE,
	B_CS_LD,
	B_NO_VMRUN,
	B_ASID0,
	B_EVT_TYPE,
	B_EVT_VEC2,
	B_IOPM_BEYOND,
	B_MSRPM_BEYOND,
	B_IOPM_END,
	B_MSRPM_END,
};

struct bad_case {
	const char *name;
	enum bad what;
	int dev_emu;	  /* emulator known to accept it (EMU_OTHER: none) */
	const char *note; /* what the APM says */
};

static void make_bad(enum bad w)
{
	struct vmcb_save *s = &vmcb->save;
	struct vmcb_control *c = &vmcb->control;
	u64 top = 1ull << feat.maxphyaddr;
	switch (w) {
	case B_SVME:
		s->efer &= ~EFER_SVME;
		break;
	case B_CD_NW:
		s->cr0 = (s->cr0 & ~CR0_CD) | CR0_NW;
		break;
	case B_CR0_HIGH:
		s->cr0 |= BIT(32);
		break;
	case B_CR3_MBZ:
		s->cr3 |= feat.maxphyaddr < 52 ? BIT(feat.maxphyaddr) : BIT(52);
		break;
	case B_CR4_MBZ:
		s->cr4 |= BIT(15);
		break;
	case B_CR4_HIGH:
		s->cr4 |= BIT(40);
		break;
	case B_DR6_HIGH:
		s->dr6 |= BIT(32);
		break;
	case B_DR7_HIGH:
		s->dr7 |= BIT(32);
		break;
	case B_EFER_MBZ:
		s->efer |= BIT(20);
		break;
	case B_NO_PAE:
		s->cr4 &= ~CR4_PAE;
		break;
	case B_NO_PE:
		s->cr0 &= ~CR0_PE;
		break;
	case B_CS_LD:
		s->cs.attrib |= SEG_L | SEG_D;
		break;
	case B_NO_VMRUN:
		c->intercept2 &= ~SVM_I2_VMRUN;
		break;
	case B_ASID0:
		c->asid = 0;
		break;
	case B_EVT_TYPE:
		c->event_inj = SVM_EVT_VALID | (1u << 8) | 0x20;
		break;
	case B_EVT_VEC2:
		c->event_inj = SVM_EVT_VALID | EVT_TYPE_EXC | EXC_NMI;
		break;
	case B_IOPM_BEYOND:
		c->iopm_base_pa = top;
		break;
	case B_MSRPM_BEYOND:
		c->msrpm_base_pa = top;
		break;
	case B_IOPM_END: /* starts inside, its 12 KiB end past MAXPHYADDR */
		c->iopm_base_pa = top - 0x1000;
		break;
	case B_MSRPM_END:
		c->msrpm_base_pa = top - 0x1000;
		break;
	}
}

static void bad_case(const struct bad_case *t)
{
	vmcb_reset(l2_vmmcall, false);
	make_bad(t->what);
	u32 code = run_l2();
	if (code == SVM_EXIT_INVALID) {
		pass(t->name);
	} else if (t->dev_emu != EMU_OTHER && t->dev_emu == feat.emu) {
		known(t->name, "emulator deviates: %s; expected VMEXIT_INVALID got exit %x",
		      t->note, code);
	} else {
		fail(t->name, "expected VMEXIT_INVALID (ffffffff) got exit %x", code);
	}
}

static void gif_after_invalid(void)
{
	vmcb_reset(l2_vmmcall, false);
	vmcb->control.asid = 0;
	svm_vmrun(vmcb_pa, &l2r);
	u64 n0 = l1_nmis;
	apic_self_nmi();
	for (int i = 0; i < 2000; i++)
		__asm__ volatile("pause");
	u64 n1 = l1_nmis;
	stgi();
	for (int i = 0; i < 2000; i++)
		__asm__ volatile("pause");
	struct ck c;
	ck_begin(&c, "vmexit-invalid-leaves-gif-clear");
	ck_eq(&c, "exit code", SVM_EXIT_INVALID, (u32)vmcb->control.exit_code);
	ck_eq(&c, "NMIs while GIF=0", 0, n1 - n0);
	ck_eq(&c, "NMIs after STGI", 1, l1_nmis - n0);
	ck_done(&c);

	/* The APM's EXITCODE is the 64-bit value -1. */
	expect_dev("vmexit-invalid-exitcode-64bit", "EXITCODE", ~0ull, vmcb->control.exit_code,
		   EMU_QEMU, 0xffffffffull,
		   "APM appendix C: VMEXIT_INVALID is -1 in the 64-bit EXITCODE");

	/* L1 is intact after VMEXIT_INVALID: a good VMRUN right after works. */
	vmcb_reset(l2_vmmcall, false);
	expect("vmrun-valid-after-invalid", "exit code", SVM_EXIT_VMMCALL, run_l2());
}

void run_vmrun_checks(void)
{
	const struct bad_case t[] = {
	    {"invalid-efer-svme-clear", B_SVME, EMU_OTHER, ""},
	    {"invalid-cr0-cd0-nw1", B_CD_NW, EMU_OTHER, ""},
	    {"invalid-cr0-high-bits", B_CR0_HIGH, EMU_OTHER, ""},
	    {"invalid-cr3-mbz-long-mode", B_CR3_MBZ, EMU_BOCHS,
	     "APM 15.5.1: any MBZ bit of CR3 set is an illegal guest state"},
	    {"invalid-cr4-mbz-bit15", B_CR4_MBZ, EMU_OTHER, ""},
	    {"invalid-cr4-high-bits", B_CR4_HIGH, EMU_OTHER, ""},
	    {"invalid-dr6-high-bits", B_DR6_HIGH, EMU_OTHER, ""},
	    {"invalid-dr7-high-bits", B_DR7_HIGH, EMU_OTHER, ""},
	    {"invalid-efer-mbz", B_EFER_MBZ, EMU_OTHER, ""},
	    {"invalid-lme-pg-without-pae", B_NO_PAE, EMU_OTHER, ""},
	    {"invalid-lme-pg-without-pe", B_NO_PE, EMU_BOCHS,
	     "APM 15.5.1: EFER.LME and CR0.PG set with CR0.PE clear is an illegal guest "
	     "state"},
	    {"invalid-long-mode-cs-l-and-d", B_CS_LD, EMU_OTHER, ""},
	    {"invalid-vmrun-intercept-clear", B_NO_VMRUN, EMU_OTHER, ""},
	    {"invalid-asid-zero", B_ASID0, EMU_OTHER, ""},
	    {"invalid-eventinj-reserved-type", B_EVT_TYPE, EMU_OTHER, ""},
	    {"invalid-eventinj-exception-vector-2", B_EVT_VEC2, EMU_OTHER, ""},
	    {"invalid-iopm-beyond-maxphyaddr", B_IOPM_BEYOND, EMU_OTHER, ""},
	    {"invalid-msrpm-beyond-maxphyaddr", B_MSRPM_BEYOND, EMU_OTHER, ""},
	    {"invalid-iopm-extends-beyond-maxphyaddr", B_IOPM_END, EMU_BOCHS,
	     "APM 15.5.1: the IOPM must not extend to MAXPHYADDR (Bochs checks the base "
	     "only)"},
	    {"invalid-msrpm-extends-beyond-maxphyaddr", B_MSRPM_END, EMU_BOCHS,
	     "APM 15.5.1: the MSRPM must not extend to MAXPHYADDR (Bochs checks the base "
	     "only)"},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++)
		bad_case(&t[i]);
	gif_after_invalid();
}
