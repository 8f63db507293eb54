/*
 * The virtual SVM offered to L1: VMRUN emulation (copy vmcb12 once, check the copy, build
 * vmcb02 by allow-list), reflection of L2's exits into vmcb12, VMLOAD/VMSAVE, and an emulated
 * GIF.  The seed's decision: an exit from vmcb02 goes to L1 if its cached controls ask for it
 * (svm/nested_route.c), otherwise this level handles it and resumes L2.
 */
#include "kernel/console.h"
#include "kernel/pagetable.h"
#include "kernel/trap.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "svm/bitmaps.h"
#include "svm/nextrip.h"
#include "svm/npt02.h"
#include "svm/svm.h"
#include "vmm/guestmem.h"

#define OFFERED_FEATURES                                                                           \
	(SVM_OFFER_NPT | SVM_OFFER_NRIPS | SVM_OFFER_VMCB_CLEAN | SVM_OFFER_FLUSH_ASID |           \
	 SVM_OFFER_V_VMSAVE_VMLOAD | SVM_OFFER_VGIF)

/* CR4 bits the CPU supports, from CPUID (anything else is MBZ for VMRUN's checks). */
static u64 cr4_allowed(void)
{
	static const struct {
		u32 leaf;
		u8 reg; /* 1 = EBX, 2 = ECX */
		u8 bit, cr4_bit;
	} opt[] = {
	    {7, 2, 2, 11},  /* UMIP */
	    {7, 1, 0, 16},  /* FSGSBASE */
	    {1, 2, 17, 17}, /* PCIDE */
	    {1, 2, 26, 18}, /* OSXSAVE */
	    {7, 1, 7, 20},  /* SMEP */
	    {7, 1, 20, 21}, /* SMAP */
	    {7, 2, 3, 22},  /* PKE */
	};
	u64 a = 0x7ff; /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */
	for (unsigned i = 0; i < ARRAY_SIZE(opt); i++) {
		struct cpuid_regs r;
		vmm_cpuid(opt[i].leaf, 0, &r);
		u32 reg = opt[i].reg == 1 ? r.ebx : r.ecx;
		if (reg & BIT(opt[i].bit))
			a |= BIT(opt[i].cr4_bit);
	}
	return a;
}

static void apply_gif(struct svm_cpu *c, bool gif);

void svm_nested_init(struct svm_cpu *c)
{
	struct svm_nested *n = &c->n;
	c->offer.asids = c->asids > 8 ? c->asids - 8 : 1;
	c->offer.features = OFFERED_FEATURES;
	c->offer.maxphyaddr = (u8)(cpuid(0x80000008).eax & 0xff);
	c->offer.cr4_allowed = cr4_allowed();
	c->offer.efer_allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME |
				this_level.policy.efer_optional;
	this_level.policy.offer_svm = true;
	this_level.policy.svm_asids = c->offer.asids;
	this_level.policy.svm_features = c->offer.features;

	n->v12 = phys_ptr(page_alloc());
	n->v02_pa = page_alloc();
	n->v02 = phys_ptr(n->v02_pa);
	n->scratch_pa = page_alloc();
	n->gif = true; /* the CPU starts with GIF set */
	npt02_init(&n->shadows);
	mapcache_init(c);
}

/*
 * L1's GIF (APM 15.17), emulated: STGI/CLGI of L1 are intercepted (hardware vGIF would not
 * hold physical interrupts that L1 does not intercept, so it cannot stand in for L1's GIF).
 * While GIF is clear, physical interrupts are held by running L1 with V_INTR_MASKING and this
 * level's RFLAGS.IF clear, and NMIs are intercepted and kept pending until STGI.
 */
bool svm_l1_gif(const struct svm_cpu *c)
{
	return c->n.gif;
}

static void apply_gif(struct svm_cpu *c, bool gif)
{
	struct vmcb_control *k = &c->vmcb->control;
	c->n.gif = gif;
	if (gif) {
		k->int_ctl &= ~V_INTR_MASKING;
		k->intercept1 &= ~SVM_I1_NMI;
	} else {
		k->int_ctl |= V_INTR_MASKING;
		k->intercept1 |= SVM_I1_NMI;
	}
	if (gif && c->n.nmi_pending && !(k->event_inj & SVM_EVT_VALID)) {
		k->event_inj = EXC_NMI | (2u << 8) | SVM_EVT_VALID;
		c->n.nmi_pending = false;
	}
}

void svm_emulate_gif(struct svm_cpu *c, bool set)
{
	apply_gif(c, set);
}

void svm_hold_nmi(struct svm_cpu *c)
{
	u64 before = nmi_count();
	__asm__ volatile("stgi; clgi"); /* take the NMI here, it is L1's to receive */
	if (nmi_count() != before)
		c->n.nmi_pending = true;
	apply_gif(c, svm_l1_gif(c)); /* delivers it now if L1's GIF is set */
}

/* The VMLOAD/VMSAVE state (APM 15.5.2): FS, GS, TR, LDTR, KernelGsBase, STAR..SYSENTER. */
static const struct {
	u16 off, len;
} vmload_state[] = {
    {0x440, 0x20}, /* FS, GS */
    {0x470, 0x10}, /* LDTR */
    {0x490, 0x10}, /* TR */
    {0x600, 0x40}, /* STAR, LSTAR, CSTAR, SFMASK, KernelGsBase, SYSENTER_CS/ESP/EIP */
};

/* Emulates VMLOAD/VMSAVE on a VMCB at guest-physical `gpa` (of L1). */
static bool vmload_vmsave_at(struct svm_cpu *c, bool load, u64 gpa)
{
	u8 *scratch = phys_ptr(c->n.scratch_pa);
	if (load) {
		for (unsigned i = 0; i < ARRAY_SIZE(vmload_state); i++)
			if (!gpa_read(c->gb, gpa + vmload_state[i].off,
				      scratch + vmload_state[i].off, vmload_state[i].len))
				return false;
		svm_canonicalize_vmload(&((struct vmcb *)scratch)->save);
		svm_vmload(c->n.scratch_pa);
	} else {
		svm_vmsave(c->n.scratch_pa);
		for (unsigned i = 0; i < ARRAY_SIZE(vmload_state); i++)
			if (!gpa_write(c->gb, gpa + vmload_state[i].off,
				       scratch + vmload_state[i].off, vmload_state[i].len))
				return false;
	}
	return true;
}

static bool bad_vmcb_pa(const struct svm_cpu *c, u64 pa)
{
	return (pa & 0xfff) || (c->offer.maxphyaddr < 64 && (pa >> c->offer.maxphyaddr)) ||
	       pa >= c->gb->map_top;
}

void svm_emulate_vmload_vmsave(struct svm_cpu *c, bool load, u64 gpa)
{
	u32 code = load ? SVM_EXIT_VMLOAD : SVM_EXIT_VMSAVE;
	if (bad_vmcb_pa(c, gpa) || !vmload_vmsave_at(c, load, gpa))
		svm_inject_exception(c, EXC_GP, true, 0);
	else
		svm_skip_instruction(c, code);
}

/* VMEXIT_INVALID without entering L2 (APM 15.5.1): L1 continues after VMRUN, GIF clear. */
static void vmrun_invalid(struct svm_cpu *c, const char *why)
{
	u64 info[3] = {SVM_EXIT_INVALID | 0xffffffff00000000ull, 0, 0};
	if (this_level.opt.verbose)
		kprintf("VMRUN of vmcb12 at %lx: VMEXIT_INVALID (%s)\n", c->n.vmcb12_pa, why);
	gpa_write(c->gb, c->n.vmcb12_pa + 0x70, info, sizeof(info));
	svm_skip_instruction(c, SVM_EXIT_VMRUN);
	svm_emulate_gif(c, false);
}

/* L1 enabled vGIF for L2 but this level emulates it. */
static bool vgif_emulated(const struct svm_cpu *c)
{
	return !c->n.vgif_hw && (c->n.v12->control.int_ctl & V_GIF_ENABLE);
}

/* An emulated V_GIF of 0 holds L2's virtual interrupt: keep V_IRQ out of vmcb02 meanwhile. */
static void hold_virtual_irq(struct svm_cpu *c)
{
	struct vmcb_control *k02 = &c->n.v02->control;
	u64 i12 = c->n.v12->control.int_ctl;
	if (vgif_emulated(c) && !(i12 & V_GIF))
		k02->int_ctl &= ~V_IRQ;
	else
		k02->int_ctl = (k02->int_ctl & ~V_IRQ) | (i12 & V_IRQ);
}

static void prepare_vmcb02(struct svm_cpu *c)
{
	struct svm_nested *n = &c->n;
	const struct vmcb *v12 = n->v12;
	struct vmcb *v02 = n->v02;
	struct svm_l0_needs l0 = {SVM_I1_CPUID | SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN |
				      SVM_I1_INVLPGA,
				  SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
				      SVM_I2_SKINIT};
	/* L2's STGI/CLGI run in hardware only on the CPU's vGIF (APM 15.33), when L1 enabled
	 * it; otherwise this level emulates them (svm_vgif_l2). */
	n->vgif_hw = c->hw_vgif && (v12->control.int_ctl & V_GIF_ENABLE);
	if (!n->vgif_hw)
		l0.intercept2 |= SVM_I2_STGI | SVM_I2_CLGI;
	/* Virtual VMLOAD/VMSAVE (APM 15.33.1) on the CPU's feature where present: L2's RAX is
	 * then translated by NPT02, which maps only what NPT12 and this level's map allow.
	 * Never without nested paging (CVE-2021-3656): otherwise they stay intercepted. */
	bool vvmload = c->hw_vvmload && (v12->control.np_control & 1) &&
		       (v12->control.virt_ext & VIRT_EXT_VMSAVE_VMLOAD);
	if (vvmload)
		l0.intercept2 &= ~(SVM_I2_VMLOAD | SVM_I2_VMSAVE);
	svm_merge_controls(&v02->control, &v12->control, &l0, &c->offer);
	if (vvmload)
		v02->control.virt_ext = VIRT_EXT_VMSAVE_VMLOAD;
	if (!n->vgif_hw)
		v02->control.int_ctl &= ~(V_GIF | V_GIF_ENABLE);
	hold_virtual_irq(c);
	v02->control.iopm_base_pa = n->iopm02_pa;
	v02->control.msrpm_base_pa = n->msrpm02_pa;
	v02->control.np_control = 1;

	/* L2's translations: a shadow of NPT12 per (nested CR3, ASID), or L1's own map. */
	bool np = v12->control.np_control & 1;
	struct npt02 *s =
	    npt02_get(&n->shadows, np ? v12->control.n_cr3 : NPT02_NO_NPT, v12->control.asid);
	bool flush = v12->control.tlb_control != 0;
	if (flush)
		npt02_drop(s);
	if (np && !s->root)
		s->root = pt_new_root(&kernel_pt_mem);
	n->cur_shadow = s;
	v02->control.n_cr3 = np ? s->root : c->npt_root;
	v02->control.asid = s->hw_asid;
	v02->control.tlb_control = (flush || s->needs_flush || n->flush_l2) ? 1 : 0;
	n->flush_l2 = false;
	s->needs_flush = false;

	v02->save = v12->save;
	svm_canonicalize(&v02->save);
	v02->save.efer |= EFER_SVME;
	/* LMA follows LME and CR0.PG; an inconsistent one is not handed to the hardware. */
	v02->save.efer &= ~EFER_LMA;
	if ((v02->save.efer & EFER_LME) && (v02->save.cr0 & CR0_PG))
		v02->save.efer |= EFER_LMA;
	if (!np)
		v02->save.g_pat = c->vmcb->save.g_pat; /* without NPT12, L1's PAT applies */
	n->l2_svme = v12->save.efer & EFER_SVME;
}

/* The architectural parts of the VMCB: control up to the instruction bytes, the save area. */
#define VMCB_CONTROL_USED 0x100
#define VMCB_SAVE_USED	  (sizeof(struct vmcb) - 0x400)

static bool read_vmcb12(struct svm_cpu *c, u64 gpa)
{
	u8 *v = (u8 *)c->n.v12;
	return gpa_read(c->gb, gpa, v, VMCB_CONTROL_USED) &&
	       gpa_read(c->gb, gpa + 0x400, v + 0x400, VMCB_SAVE_USED);
}

/* The fields #VMEXIT writes (APM 15.6): nothing else of vmcb12 changes, whatever L2 did. */
static const struct {
	u16 off, len;
} vmexit_fields[] = {
	{0x060, 0x10}, /* int_ctl (V_TPR, V_IRQ, V_GIF), interrupt shadow */
	{0x070, 0x20}, /* EXITCODE, EXITINFO1, EXITINFO2, EXITINTINFO */
	{0x0a8, 0x08}, /* EVENTINJ (consumed) */
	{0x0c8, 0x08}, /* NextRIP */
	{0x400, 0x40}, /* ES, CS, SS, DS */
	{0x460, 0x10}, /* GDTR */
	{0x480, 0x10}, /* IDTR */
	{0x4cb, 0x01}, /* CPL */
	{0x4d0, 0x08}, /* EFER */
	{0x548, 0x38}, /* CR4, CR3, CR0, DR7, DR6, RFLAGS, RIP */
	{0x5d8, 0x08}, /* RSP */
	{0x5f8, 0x08}, /* RAX */
	{0x640, 0x08}, /* CR2 */
	{0x668, 0x08}, /* G_PAT (only meaningful with nested paging) */
};

static void write_vmcb12(struct svm_cpu *c)
{
	const u8 *v = (const u8 *)c->n.v12;
	u64 hpa;
	if (gpa_write_watch)
		gpa_write_watch(c->n.vmcb12_pa, PAGE_SIZE);
	if (!gpa_to_hpa(c->gb, c->n.vmcb12_pa, &hpa))
		return; /* checked at VMRUN: cannot happen */
	u8 *dst = phys_ptr(hpa); /* one page: VMRUN took a page-aligned address */
	for (unsigned i = 0; i < ARRAY_SIZE(vmexit_fields); i++)
		memcpy(dst + vmexit_fields[i].off, v + vmexit_fields[i].off, vmexit_fields[i].len);
}

static void reflect(struct svm_cpu *c, u32 code, u64 info1, u64 info2);

/*
 * VMRUN set GIF: an NMI held for L1's CPU is taken now, by L2.  If L1 intercepts NMIs that is
 * an NMI #VMEXIT at once, and the NMI stays pending for L1's host context (an intercepted NMI
 * is not acknowledged: L1 takes it after STGI, APM 15.20 / 15.17).
 */
static void deliver_pending_nmi(struct svm_cpu *c)
{
	struct svm_nested *n = &c->n;
	if (!n->nmi_pending)
		return;
	if (n->v12->control.intercept1 & SVM_I1_NMI) {
		reflect(c, SVM_EXIT_NMI, 0, 0);
		return;
	}
	if (!(n->v02->control.event_inj & SVM_EVT_VALID)) {
		n->v02->control.event_inj = EXC_NMI | (2u << 8) | SVM_EVT_VALID;
		n->nmi_pending = false;
	}
}

void svm_emulate_vmrun(struct svm_cpu *c)
{
	struct svm_nested *n = &c->n;
	u64 gpa = c->vmcb->save.rax;
	if (bad_vmcb_pa(c, gpa) || !read_vmcb12(c, gpa)) {
		svm_inject_exception(c, EXC_GP, true, 0);
		return;
	}
	n->vmcb12_pa = gpa;
	const char *err = svm_check_vmcb12(n->v12, &c->offer);
	const struct vmcb_control *k12 = &n->v12->control;
	if (!err && !(n->iopm02_pa = mapcache_get(c, MAP_IOPM, k12->intercept1 & SVM_I1_IOIO,
						  k12->iopm_base_pa & ~0xfffull, &n->iopm12)))
		err = "the IOPM is not readable";
	if (!err && !(n->msrpm02_pa = mapcache_get(c, MAP_MSRPM, k12->intercept1 & SVM_I1_MSR,
						   k12->msrpm_base_pa & ~0xfffull, &n->msrpm12)))
		err = "the MSRPM is not readable";
	if (err) {
		vmrun_invalid(c, err);
		return;
	}
	prepare_vmcb02(c);
	/* vmcb01 now holds L1's state as the host save area would: resume after VMRUN. */
	svm_skip_instruction(c, SVM_EXIT_VMRUN);
	c->vmcb->save.rax = c->g.rax;
	n->in_l2 = true;
	c->cur = n->v02;
	c->cur_pa = n->v02_pa;
	c->g.rax = n->v02->save.rax;
	deliver_pending_nmi(c);
}

/* Reads the current guest's physical memory: L1's directly, L2's through NPT12 first. */
bool svm_read_guest_phys(void *ctx, u64 gpa, void *buf, unsigned len)
{
	struct svm_cpu *c = ctx;
	u64 l1 = gpa;
	if ((gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE ||
	    (c->n.in_l2 && !npt02_l1_gpa(c, gpa, &l1)))
		return false;
	return gpa_read(c->gb, l1, buf, len);
}

/*
 * NextRIP for L1 (offered as NRIP save): the CPU's when it saves it, the fixed length for
 * fixed encodings, else the decoded length of L2's instruction (QEMU TCG has no NRIP save).
 */
static u64 next_rip_for(struct svm_cpu *c, u32 code)
{
	struct vmcb *v02 = c->n.v02;
	if (code == SVM_EXIT_IOIO)
		return v02->control.exit_info2;
	if (!svm_instruction_intercept(code))
		return 0;
	if (c->nrips && v02->control.next_rip)
		return v02->control.next_rip;
	unsigned len = svm_fixed_insn_len(code);
	if (len)
		return v02->save.rip + len;
	return nextrip_compute(&v02->save, svm_read_guest_phys, c);
}

/* #VMEXIT to L1 (APM 15.6): L2's state and the exit information go into vmcb12. */
static void reflect(struct svm_cpu *c, u32 code, u64 info1, u64 info2)
{
	struct svm_nested *n = &c->n;
	struct vmcb *v12 = n->v12, *v02 = n->v02;
	v02->save.rax = c->g.rax;
	/* L2's state: the save-area fields of vmexit_fields (field by field: the hot path, and
	 * plain assignments compile to the fewest instructions). */
	struct vmcb_save *s = &v12->save;
	const struct vmcb_save *l2 = &v02->save;
	s->es = l2->es;
	s->cs = l2->cs;
	s->ss = l2->ss;
	s->ds = l2->ds;
	s->gdtr = l2->gdtr;
	s->idtr = l2->idtr;
	s->cpl = l2->cpl;
	s->efer = (l2->efer & ~EFER_SVME) | (n->l2_svme ? EFER_SVME : 0);
	s->cr0 = l2->cr0;
	s->cr2 = l2->cr2;
	s->cr3 = l2->cr3;
	s->cr4 = l2->cr4;
	s->dr6 = l2->dr6;
	s->dr7 = l2->dr7;
	s->rflags = l2->rflags;
	s->rip = l2->rip;
	s->rsp = l2->rsp;
	s->rax = l2->rax;
	if (v12->control.np_control & 1)
		s->g_pat = l2->g_pat; /* without NPT12, L2 ran with L1's PAT */
	struct vmcb_control *k = &v12->control;
	u64 sync = V_TPR_MASK | V_IRQ;
	if (vgif_emulated(c) && !(k->int_ctl & V_GIF))
		sync &= ~V_IRQ; /* held back by this level, still pending in L1's view */
	if (n->vgif_hw)
		sync |= V_GIF;
	k->int_ctl = (k->int_ctl & ~sync) | (v02->control.int_ctl & sync);
	k->int_state = v02->control.int_state & 1;
	k->exit_code = code == SVM_EXIT_INVALID ? ~0ull : code;
	k->exit_info1 = info1;
	k->exit_info2 = info2;
	k->exit_int_info = v02->control.exit_int_info;
	k->next_rip = next_rip_for(c, code);
	k->event_inj = 0;
	write_vmcb12(c);

	n->in_l2 = false;
	c->cur = c->vmcb;
	c->cur_pa = c->vmcb_pa;
	c->g.rax = c->vmcb->save.rax;
	svm_emulate_gif(c, false);
}

/* Exits of L2 that L1 does not want: this level acts as L1's hardware would. */
static enum route handle_for_l2(struct svm_cpu *c, u32 code)
{
	struct vmcb *v02 = c->n.v02;
	if (svm_handle_common(c, code))
		return ROUTE_HANDLED;
	switch (code) {
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_INVLPGA:
		if (!svm_insn_permitted(c))
			return ROUTE_HANDLED;
		if (code == SVM_EXIT_VMLOAD || code == SVM_EXIT_VMSAVE) {
			u64 gpa = v02->save.rax;
			/* Virtual VMLOAD/VMSAVE only with nested paging (CVE-2021-3656 rule). */
			if ((c->n.v12->control.virt_ext & VIRT_EXT_VMSAVE_VMLOAD) &&
			    (c->n.v12->control.np_control & 1) &&
			    !npt02_translate(c, gpa, code == SVM_EXIT_VMSAVE, &gpa)) {
				return ROUTE_HANDLED; /* NPF reflected to L1 */
			}
			svm_emulate_vmload_vmsave(c, code == SVM_EXIT_VMLOAD, gpa);
		} else if (code == SVM_EXIT_INVLPGA) {
			npt02_drop(c->n.cur_shadow);
			v02->control.tlb_control = 1;
			svm_skip_instruction(c, code);
		} else {
			/* STGI/CLGI without L1 intercept: the emulated V_GIF if L1 enabled vGIF,
			 * else the CPU's GIF, which is L1's too. */
			if (c->n.v12->control.int_ctl & V_GIF_ENABLE) {
				struct vmcb_control *k12 = &c->n.v12->control;
				if (!(vgif_emulated(c) && !(k12->int_ctl & V_GIF)))
					k12->int_ctl = (k12->int_ctl & ~V_IRQ) |
						       (v02->control.int_ctl & V_IRQ);
				if (code == SVM_EXIT_STGI)
					c->n.v12->control.int_ctl |= V_GIF;
				else
					c->n.v12->control.int_ctl &= ~V_GIF;
				hold_virtual_irq(c);
			}
			svm_skip_instruction(c, code);
		}
		return ROUTE_HANDLED;
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_SKINIT:
		svm_inject_exception(c, EXC_UD, false, 0);
		return ROUTE_HANDLED;
	case SVM_EXIT_SHUTDOWN:
		kprintf("L2 triple fault without a SHUTDOWN intercept: the guest machine shuts "
			"down\n");
		svm_dump_guest(c);
		end_run(STATUS_TRIPLE_FAULT, "guest triple fault");
	default:
		kprintf("exit %x (%s) of L2 that neither level handles\n", code,
			svm_exit_name(code));
		svm_dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled exit");
	}
}

enum route svm_nested_exit(struct svm_cpu *c, u32 code)
{
	struct svm_nested *n = &c->n;
	const struct vmcb_control *k = &n->v02->control;
	u64 info1 = k->exit_info1, info2 = k->exit_info2;
	if (code == SVM_EXIT_INVALID) {
		/* Our checks passed but the hardware disagreed: L1 gets what it would get. */
		kprintf("vmcb02 rejected by the CPU (VMEXIT_INVALID); reflected to L1\n");
		if (this_level.opt.verbose) {
			svm_dump_guest(c);
			kprintf("  int_ctl=%lx event_inj=%lx asid=%u i1=%x i2=%x efer=%lx\n",
				k->int_ctl, k->event_inj, k->asid, k->intercept1, k->intercept2,
				n->v02->save.efer);
		}
		reflect(c, SVM_EXIT_INVALID, 0, 0);
		return ROUTE_REFLECTED;
	}
	if (code == SVM_EXIT_NPF)
		return npt02_fault(c, info1, info2);
	if (svm_l1_intercepts(&n->v12->control, n->iopm12, n->msrpm12, code, info1,
			      (u32)c->g.rcx)) {
		reflect(c, code, info1, info2);
		return ROUTE_REFLECTED;
	}
	return handle_for_l2(c, code);
}

void svm_reflect_exception(struct svm_cpu *c, u8 vector, u32 error)
{
	/* EXITINFO1 is the error code (0 when none), EXITINFO2 CR2 only for #PF. */
	reflect(c, SVM_EXIT_EXCP_BASE + vector, error, 0);
}

void svm_reflect_npf(struct svm_cpu *c, u64 info1, u64 gpa)
{
	reflect(c, SVM_EXIT_NPF, info1, gpa);
}
