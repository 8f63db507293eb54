/*
 * GIF: CLGI/STGI in L1 hold and release NMIs and interrupts, #VMEXIT leaves GIF clear, and
 * virtual GIF for L2 when the CPU offers it (V_GIF follows L2's CLGI/STGI and masks virtual
 * interrupts).
 */
#include "guests/probe-svm/probe.h"

static void spin(u64 n)
{
	for (u64 i = 0; i < n; i++)
		__asm__ volatile("pause");
}

/* NMI sent while GIF is clear (the caller cleared it): held, then taken at STGI. */
static void nmi_held_then_stgi(const char *name)
{
	u64 n0 = l1_nmis;
	apic_self_nmi();
	spin(2000);
	u64 n1 = l1_nmis;
	stgi();
	spin(2000);
	struct ck c;
	ck_begin(&c, name);
	ck_eq(&c, "NMIs taken while GIF=0", 0, n1 - n0);
	ck_eq(&c, "NMIs taken after STGI", 1, l1_nmis - n0);
	ck_done(&c);
}

static void l1_gif_checks(void)
{
	/* GIF=1: an NMI is taken at once. */
	u64 n0 = l1_nmis;
	apic_self_nmi();
	spin(2000);
	expect("gif-set-nmi-taken", "NMIs", 1, l1_nmis - n0);

	clgi();
	nmi_held_then_stgi("gif-clgi-holds-nmi");

	vmcb_reset(l2_vmmcall, false);
	svm_vmrun(vmcb_pa, &l2r); /* no STGI: GIF stays 0 after #VMEXIT */
	nmi_held_then_stgi("gif-clear-after-vmexit");

	/* Interrupts: held while GIF=0 even with IF=1, delivered once GIF=1 and IF=1. */
	u64 i0 = l1_intrs;
	clgi();
	__asm__ volatile("sti");
	apic_timer_oneshot(0x60, 200);
	apic_timer_wait_expired();
	spin(20000);
	__asm__ volatile("cli");
	u64 i1 = l1_intrs;
	stgi();
	l1_open_irq_window();
	apic_timer_stop();
	if (i1 != i0 && env.level > 0 && feat.emu == EMU_BOCHS) {
		known("gif-clgi-holds-intr", "%s; an interrupt was taken while GIF=0",
		      bochs_hif_note);
		return;
	}
	struct ck c;
	ck_begin(&c, "gif-clgi-holds-intr");
	ck_eq(&c, "interrupts while GIF=0", 0, i1 - i0);
	ck_eq(&c, "interrupts after STGI and STI", 1, l1_intrs - i0);
	ck_done(&c);
}

static void vgif_checks(void)
{
	static const char *const names[] = {"vgif-l2-clgi-clears-vgif", "vgif-l2-stgi-sets-vgif",
					    "vgif-masks-virtual-interrupt",
					    "vgif-stgi-releases-virtual-interrupt"};
	if (!feat.vgif) {
		for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
			skip(names[i], "no vGIF (CPUID 8000_000Ah EDX[16])");
		return;
	}
	struct ck c;
	vmcb_reset(l2_clgi, false);
	vmcb->control.int_ctl = V_GIF_ENABLE | V_GIF;
	ck_begin(&c, names[0]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "V_GIF", 0, vmcb->control.int_ctl & V_GIF);
	ck_done(&c);

	vmcb_reset(l2_stgi, false);
	vmcb->control.int_ctl = V_GIF_ENABLE;
	ck_begin(&c, names[1]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "V_GIF", V_GIF, vmcb->control.int_ctl & V_GIF);
	ck_done(&c);

	/* L2 sets IF with STI while V_GIF=0: the virtual interrupt stays pending... */
	const u64 virq = V_INTR_MASKING | V_IRQ | (0xfull << 16) | (0x50ull << 32);
	vmcb_reset(l2_sti_loop, false);
	vmcb->control.int_ctl = V_GIF_ENABLE | virq;
	l2r.rcx = 1000;
	ck_begin(&c, names[2]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
	ck_eq(&c, "L2 events", 0, l2_ev.count);
	ck_eq(&c, "V_IRQ", V_IRQ, vmcb->control.int_ctl & V_IRQ);
	ck_done(&c);

	/* ...until L2's STGI sets V_GIF. */
	vmcb_reset(l2_stgi_sti, false);
	vmcb->control.int_ctl = V_GIF_ENABLE | virq;
	l2r.rcx = 1000;
	u32 code = run_l2();
	ck_begin(&c, names[3]);
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
	ck_eq(&c, "vector", 0x50, l2_ev.count ? l2_ev.vector[0] : 0);
	ck_true(&c, "taken after the STGI",
		l2_ev.count && l2_ev.frame[0][0] > (u64)(uintptr_t)l2_stgi_sti + 3);
	ck_done(&c);
}

void run_gif_checks(void)
{
	l1_gif_checks();
	vgif_checks();
}
