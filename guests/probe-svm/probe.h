/*
 * probe-svm: an L1 test hypervisor for AMD-V.  Shared declarations of the probe's pieces:
 * reporting (report.c), L1 traps and fault recovery (l1.c, l1.S), the VMCB and NPT helpers
 * (vmcb.c), the L2 snippets and L2 IDT (l2.S), and one run_* function per check group.
 */
#ifndef PROBE_SVM_PROBE_H
#define PROBE_SVM_PROBE_H
#include "guests/rt/rt.h"
#include "svm/nested.h"
#include "svm/vmcb.h"

/* ---- reporting (report.c) ---- */
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) PRINTF_LIKE(2, 3);
void skip(const char *name, const char *reason);
void known(const char *name, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* PASS if got == want, else FAIL with "expected want got got" for `what`. */
bool expect(const char *name, const char *what, u64 want, u64 got);
/* Like expect, but a mismatch that equals `dev` on emulator `emu` is KNOWN (why). */
bool expect_dev(const char *name, const char *what, u64 want, u64 got, int emu, u64 dev,
		const char *why);
/* Several comparisons, one line: collect with ck_*, then ck_done. */
struct ck {
	const char *name;
	bool failed;
	char msg[160];
};
void ck_begin(struct ck *c, const char *name);
void ck_eq(struct ck *c, const char *what, u64 want, u64 got);
void ck_true(struct ck *c, const char *what, bool ok);
bool ck_done(struct ck *c);
void report_summary(int *status);
/* Bochs under a lower level: its V_INTR_MASKING ignores the host's IF once the guest's IF is
 * set, so a lower level that holds L1's interrupts that way (APM 15.21.1) cannot. */
extern const char bochs_hif_note[];

/* ---- the machine (main.c) ---- */
enum { EMU_OTHER, EMU_QEMU, EMU_BOCHS };
struct features {
	int emu;     /* the emulator under everything (CPUID brand string) */
	u32 svm_edx; /* CPUID 8000_000Ah EDX */
	u32 asids;
	u8 maxphyaddr;
	bool npt, nrips, vgif, vvmload, lbrv, pause_filter, flush_asid, svml;
	bool skinit, rdtscp, xsave;
	u32 apic_id;
};
extern struct features feat;

/* ---- L1 traps (l1.c, l1.S) ---- */
void l1_traps_init(void);
extern volatile u64 fault_fixup; /* armed recovery RIP for the next L1 exception */
extern volatile s64 fault_vector;
extern volatile u64 fault_error;
extern volatile u64 l1_nmis, l1_intrs, l1_intr_vector;
/* Instructions that may fault in L1: each returns the vector taken, or -1. */
int try_vmrun(u64 pa);
int try_vmload(u64 pa);
int try_vmsave(u64 pa);
int try_clgi(void);
int try_stgi(void);
int try_vmmcall(void);
int try_wrmsr(u32 msr, u64 v);
int try_rdmsr(u32 msr, u64 *v);
static inline void clgi(void)
{
	__asm__ volatile("clgi" ::: "memory");
}
static inline void stgi(void)
{
	__asm__ volatile("stgi" ::: "memory");
}
/* A short window with RFLAGS.IF set, for held interrupts to arrive in L1. */
void l1_open_irq_window(void);
/* IRET to itself: ends the NMI blocking an NMI taken by L2 (without its IRET) leaves. */
void l1_self_iret(void);

/* Local APIC (xAPIC MMIO) */
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 v);
void apic_init(void);
void apic_self_nmi(void);
void apic_eoi(void);
/* One-shot timer interrupt with `vector` after `count` ticks (divide by 1). */
void apic_timer_oneshot(u8 vector, u32 count);
void apic_timer_wait_expired(void);
void apic_timer_stop(void);

/* ---- L2 side (l2.S, l2.c) ---- */
struct l2_regs {
	u64 rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
extern struct l2_regs l2r; /* loaded into L2 by VMRUN, stored back after #VMEXIT */
/* VMRUN only (no CLGI/STGI): GIF is 0 when it returns. */
void svm_vmrun(u64 vmcb_pa, struct l2_regs *r);

/* What the L2 IDT stubs record (an L2 handler ends with VMMCALL, NMI with IRET). */
#define L2_MAX_EVENTS 4
struct l2_events {
	u64 count;
	u64 vector[L2_MAX_EVENTS];
	u64 *frame[L2_MAX_EVENTS]; /* [error code,] RIP, CS, RFLAGS, RSP, SS */
	u64 cr2[L2_MAX_EVENTS];
};
extern volatile struct l2_events l2_ev;
extern const u8 l2_stub_base[]; /* 256 stubs of 16 bytes */

/* L2 code: each label starts a snippet; NAME_end is the address after its first instruction. */
#define L2_SNIP(n) extern const u8 l2_##n[], l2_##n##_end[]
L2_SNIP(vmmcall);
L2_SNIP(call); /* calls the function in RAX with RDI = RBX, then VMMCALL (RAX = result) */
L2_SNIP(cpuid);
L2_SNIP(rdtsc);
L2_SNIP(rdtscp);
L2_SNIP(rdpmc);
L2_SNIP(hlt);
L2_SNIP(pause);
L2_SNIP(invd);
L2_SNIP(wbinvd);
L2_SNIP(invlpg);
L2_SNIP(invlpga);
L2_SNIP(xsetbv);
L2_SNIP(icebp);
L2_SNIP(sidt);
L2_SNIP(sgdt);
L2_SNIP(pushf);
L2_SNIP(intn);
L2_SNIP(vmrun);
L2_SNIP(vmload);
L2_SNIP(vmsave);
L2_SNIP(clgi);
L2_SNIP(stgi);
L2_SNIP(rd_cr0);
L2_SNIP(rd_cr3);
L2_SNIP(rd_cr4);
L2_SNIP(rd_cr8);
L2_SNIP(wr_cr0);
L2_SNIP(wr_cr3);
L2_SNIP(wr_cr4);
L2_SNIP(wr_cr8);
L2_SNIP(rd_dr0);
L2_SNIP(rd_dr7);
L2_SNIP(wr_dr0);
L2_SNIP(wr_dr7);
L2_SNIP(div0);
L2_SNIP(int3);
L2_SNIP(ud2);
L2_SNIP(load_rbx);  /* mov (%rbx), %rax */
L2_SNIP(store_rbx); /* mov %rcx, (%rbx) */
L2_SNIP(jmp_rbx);
L2_SNIP(rdmsr);
L2_SNIP(wrmsr);
L2_SNIP(out_80);
L2_SNIP(in_80);
L2_SNIP(in_7f_w);
L2_SNIP(out_dx_l);
L2_SNIP(in_dx_w);
L2_SNIP(in_f4);
L2_SNIP(rep_outsb);
L2_SNIP(loop_rcx);  /* spins RCX times with a PAUSE, then VMMCALL */
L2_SNIP(sti_loop);  /* STI, spins RCX times, VMMCALL */
L2_SNIP(stgi_sti);  /* STGI, STI, spins RCX times, VMMCALL */
L2_SNIP(pause2);    /* PAUSE, PAUSE, VMMCALL */
L2_SNIP(state_in);  /* records what L2 sees into l2_seen, then VMMCALL */
L2_SNIP(state_out); /* changes its state from l2_set, then VMMCALL */

/* L2's view of its state (l2.S fills it) and what it changes (L1 fills l2_set). */
struct l2_state {
	u64 rax, rsp, rflags, cr0, cr2, cr3, cr4, cr8, dr7, efer;
	u64 cs, ss, ds, es;
	struct descriptor_ptr gdtr; /* what SGDT/SIDT store (10 bytes each) */
	u8 pad1[6];
	struct descriptor_ptr idtr;
	u8 pad2[6];
};
extern struct l2_state l2_seen, l2_set;

/* ---- VMCB and NPT (vmcb.c) ---- */
extern struct vmcb *vmcb; /* the VMCB every check uses */
extern u64 vmcb_pa;
extern u8 *iopm, *msrpm;  /* zeroed by vmcb_reset */
extern u8 (*tpage)[4096]; /* NTPAGES scratch pages inside the NPT's 4 KiB window */
#define NTPAGES 8
extern u8 *l2_stack_top;
extern u64 l2_idt_base; /* the L2 IDT (all 256 gates present) */
extern u64 npt_root;
extern u64 l1_gdt_base;
extern u16 l1_gdt_limit;
extern u8 *scratch; /* 3 zeroed pages for bad-pointer tests */

void vmcb_init(void);
/* Default VMCB: L2 runs `rip` in 64-bit mode on L1's CR3, intercepts VMRUN, VMMCALL, HLT and
 * SHUTDOWN; with `npt`, through the identity NPT.  Resets l2r, l2_ev, the bitmaps, the NPT. */
void vmcb_reset(const void *rip, bool npt);
/* VMRUN then STGI; returns the low 32 bits of EXITCODE. */
u32 run_l2(void);
/* Builds an IDT for L2 in `page` (a copy of the default one). */
void l2_idt_copy(void *page);
void seg_set(struct vmcb_seg *s, u16 sel, u16 attr);

/* NPT entries */
#define NPT_P  BIT(0)
#define NPT_RW BIT(1)
#define NPT_US BIT(2)
#define NPT_PS BIT(7)
#define NPT_NX BIT(63)
/* The 4 KiB NPT entry of an address inside the 4 KiB window (the 2 MiB holding tpage). */
u64 *npt_pte(u64 gpa);
u64 *npt_pde(u64 gpa); /* the 2 MiB entry (first 4 GiB) */
void npt_reset(void);

/* NPF EXITINFO1 bits */
#define NPF_P	  BIT(0)
#define NPF_W	  BIT(1)
#define NPF_RSV	  BIT(3)
#define NPF_ID	  BIT(4)
#define NPF_FINAL BIT(32)
#define NPF_WALK  BIT(33)

/* More intercept bits than svm/vmcb.h names (the intercept tables use bit numbers) */
#define I0_RD_CR(n) BIT(n)
#define I0_WR_CR(n) BIT(16 + (n))
#define I1_CR0_SEL  BIT(5)
#define I1_PAUSE    BIT(23)

#define EVT_TYPE_INTR (0u << 8)
#define EVT_TYPE_NMI  (2u << 8)
#define EVT_TYPE_EXC  (3u << 8)
#define EVT_TYPE_SOFT (4u << 8)

#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_CSTAR	   0xc0000083
#define MSR_SFMASK	   0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

/* ---- the check groups ---- */
void run_intercept_checks(void);
void run_iomsr_checks(void);
void run_state_checks(void);
void run_event_checks(void);
void run_irq_checks(void);
void run_gif_checks(void);
void run_vmload_checks(void);
void run_npt_checks(void);
void run_vmrun_checks(void);
void run_insn_checks(void);
void run_bug_checks(void);

#endif
