/* The probe's SVM memory: VMCB, host save area, permission maps, identity NPT, L2's GDT/IDT. */
#include "guests/probe-svm/probe.h"
#include "lib/string.h"

#define PAGE_ALIGNED __attribute__((aligned(4096)))

static u8 vmcb_page[4096] PAGE_ALIGNED;
static u8 hsave_page[4096] PAGE_ALIGNED;
static u8 iopm_pages[3 * 4096] PAGE_ALIGNED;
static u8 msrpm_pages[2 * 4096] PAGE_ALIGNED;
static u8 scratch_pages[3 * 4096] PAGE_ALIGNED;
static u8 idt_page[4096] PAGE_ALIGNED;
/* 64 KiB aligned: the scratch pages never straddle a 2 MiB boundary (one 4 KiB window). */
static u8 tpages[NTPAGES][4096] __attribute__((aligned(65536)));
static u8 stack_area[16384] __attribute__((aligned(16)));
/* NPT: PML4, PDPT, 4 PDs (first 4 GiB by 2 MiB pages), one PT for the 4 KiB window. */
static u64 npt_pml4[512] PAGE_ALIGNED, npt_pdpt[512] PAGE_ALIGNED, npt_pd[4][512] PAGE_ALIGNED,
    npt_pt[512] PAGE_ALIGNED;
static u64 gdt[4] __attribute__((aligned(16)));

struct vmcb *vmcb = (struct vmcb *)vmcb_page;
u64 vmcb_pa;
u8 *iopm = iopm_pages, *msrpm = msrpm_pages, *scratch = scratch_pages;
u8 (*tpage)[4096] = tpages;
u8 *l2_stack_top = stack_area + sizeof(stack_area);
u64 l2_idt_base, npt_root, l1_gdt_base;
u16 l1_gdt_limit;
struct l2_regs l2r;
volatile struct l2_events l2_ev;
struct l2_state l2_seen, l2_set;

#define WINDOW_BASE ALIGN_DOWN((u64)(uintptr_t)tpages, MiB(2))

void npt_reset(void)
{
	const u64 rwx = NPT_P | NPT_RW | NPT_US;
	memset(npt_pml4, 0, sizeof(npt_pml4));
	memset(npt_pdpt, 0, sizeof(npt_pdpt));
	npt_pml4[0] = (u64)(uintptr_t)npt_pdpt | rwx;
	for (u64 g = 0; g < 4; g++) {
		npt_pdpt[g] = (u64)(uintptr_t)npt_pd[g] | rwx;
		for (u64 i = 0; i < 512; i++)
			npt_pd[g][i] = ((g << 30) + (i << 21)) | rwx | NPT_PS;
	}
	for (u64 i = 0; i < 512; i++)
		npt_pt[i] = (WINDOW_BASE + (i << 12)) | rwx;
	npt_pd[WINDOW_BASE >> 30][(WINDOW_BASE >> 21) & 511] = (u64)(uintptr_t)npt_pt | rwx;
}

u64 *npt_pde(u64 gpa)
{
	ASSERT(gpa < GiB(4));
	return &npt_pd[gpa >> 30][(gpa >> 21) & 511];
}

u64 *npt_pte(u64 gpa)
{
	ASSERT(gpa >= WINDOW_BASE && gpa < WINDOW_BASE + MiB(2));
	return &npt_pt[(gpa - WINDOW_BASE) >> 12];
}

struct PACKED gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
};

void l2_idt_copy(void *page)
{
	memcpy(page, idt_page, 4096);
}

void seg_set(struct vmcb_seg *s, u16 sel, u16 attr)
{
	s->selector = sel;
	s->attrib = attr;
	s->limit = 0xffffffff;
	s->base = 0;
}

#define ATTR_CODE64 0xa9b /* type b, S, P, L, G */
#define ATTR_DATA   0xc93 /* type 3, S, P, D/B, G */

void vmcb_init(void)
{
	vmcb_pa = (u64)(uintptr_t)vmcb_page;
	/* L1 and L2 share this GDT: 0x08 64-bit code, 0x10 and 0x18 data. */
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull;
	gdt[2] = 0x00cf92000000ffffull;
	gdt[3] = 0x00cf92000000ffffull;
	struct descriptor_ptr gp = {sizeof(gdt) - 1, (u64)(uintptr_t)gdt};
	__asm__ volatile("lgdt %0" ::"m"(gp));
	l1_gdt_base = gp.base;
	l1_gdt_limit = gp.limit;

	struct gate *g = (struct gate *)idt_page;
	for (u64 v = 0; v < 256; v++) {
		u64 h = (u64)(uintptr_t)l2_stub_base + 16 * v;
		g[v] = (struct gate){(u16)h, 0x08, 0, 0x8e, (u16)(h >> 16), (u32)(h >> 32), 0};
	}
	l2_idt_base = (u64)(uintptr_t)idt_page;
	npt_root = (u64)(uintptr_t)npt_pml4;
	npt_reset();

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	wrmsr(MSR_VM_HSAVE_PA, (u64)(uintptr_t)hsave_page);
}

void vmcb_reset(const void *rip, bool npt)
{
	l1_self_iret(); /* no NMI blocking left over from an earlier check */
	memset(vmcb, 0, sizeof(*vmcb));
	memset(iopm, 0, 3 * 4096);
	memset(msrpm, 0, 2 * 4096);
	memset(scratch, 0, 3 * 4096);
	memset(&l2r, 0, sizeof(l2r));
	memset((void *)&l2_ev, 0, sizeof(l2_ev));
	struct vmcb_control *c = &vmcb->control;
	c->intercept1 = SVM_I1_HLT | SVM_I1_SHUTDOWN;
	c->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL;
	c->iopm_base_pa = (u64)(uintptr_t)iopm;
	c->msrpm_base_pa = (u64)(uintptr_t)msrpm;
	c->asid = 1;
	c->tlb_control = 1;
	npt_reset();
	if (npt) {
		c->np_control = 1;
		c->n_cr3 = npt_root;
	}
	struct vmcb_save *s = &vmcb->save;
	seg_set(&s->cs, 0x08, ATTR_CODE64);
	seg_set(&s->ds, 0x10, ATTR_DATA);
	seg_set(&s->es, 0x10, ATTR_DATA);
	seg_set(&s->ss, 0x10, ATTR_DATA);
	s->gdtr.base = l1_gdt_base;
	s->gdtr.limit = l1_gdt_limit;
	s->idtr.base = l2_idt_base;
	s->idtr.limit = 0xfff;
	s->cpl = 0;
	s->efer = rdmsr(MSR_EFER);
	s->cr0 = read_cr0();
	s->cr3 = read_cr3();
	s->cr4 = read_cr4();
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 2;
	s->rip = (u64)(uintptr_t)rip;
	s->rsp = (u64)(uintptr_t)l2_stack_top;
	s->g_pat = 0x0007040600070406ull;
}

u32 run_l2(void)
{
	svm_vmrun(vmcb_pa, &l2r);
	stgi();
	return (u32)vmcb->control.exit_code;
}
