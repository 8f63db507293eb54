/* L1's own traps (exceptions with recovery, NMI and interrupt counters) and its local APIC. */
#include "guests/probe-svm/probe.h"

struct l1_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error, rip, cs, rflags, rsp, ss;
};

struct PACKED gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
};

extern const u8 l1_stub_base[];
static struct gate l1_idt[256] __attribute__((aligned(16)));

volatile u64 fault_fixup;
volatile s64 fault_vector;
volatile u64 fault_error;
volatile u64 l1_nmis, l1_intrs, l1_intr_vector;

static u64 apic_base = 0xfee00000;

void l1_trap(struct l1_frame *f);
void l1_trap(struct l1_frame *f)
{
	if (f->vector == EXC_NMI) {
		l1_nmis++;
		return;
	}
	if (f->vector >= 32) {
		l1_intrs++;
		l1_intr_vector = f->vector;
		if (f->vector != 0xff)
			apic_eoi();
		return;
	}
	if (fault_fixup) {
		fault_vector = (s64)f->vector;
		fault_error = f->error;
		f->rip = fault_fixup;
		fault_fixup = 0;
		return;
	}
	kprintf("FAIL: l1-unexpected-exception (vector %lu error %lx at rip %lx, cr2 %lx)\n",
		f->vector, f->error, f->rip, read_cr2());
	kprintf("probe-svm: aborted\n");
	end_run(1, "probe-svm: unexpected exception in L1");
}

static void set_gate(struct gate *g, u64 handler)
{
	g->off_lo = (u16)handler;
	g->sel = read_cs();
	g->ist = 0;
	g->type = 0x8e;
	g->off_mid = (u16)(handler >> 16);
	g->off_hi = (u32)(handler >> 32);
	g->zero = 0;
}

void l1_traps_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(&l1_idt[v], (u64)(uintptr_t)l1_stub_base + 16 * (u64)v);
	struct descriptor_ptr p = {sizeof(l1_idt) - 1, (u64)(uintptr_t)l1_idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

/* ---- local APIC (xAPIC) ---- */
#define APIC_ID		0x20
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0
#define LVT_MASKED	BIT(16)

u32 apic_read(u32 reg)
{
	return *(volatile u32 *)(uintptr_t)(apic_base + reg);
}

void apic_write(u32 reg, u32 v)
{
	*(volatile u32 *)(uintptr_t)(apic_base + reg) = v;
}

void apic_init(void)
{
	u64 b = rdmsr(0x1b);
	apic_base = b & 0xfffff000ull;
	if (!(b & BIT(11)))
		wrmsr(0x1b, b | BIT(11)); /* never clear EN (Bochs cannot set it again) */
	apic_write(APIC_SVR, 0x1ff);	  /* software enable, spurious vector 0xff */
	apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x60);
	feat.apic_id = apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_self_nmi(void)
{
	apic_write(APIC_ICR_HI, feat.apic_id << 24);
	apic_write(APIC_ICR_LO, (4u << 8) | BIT(14)); /* NMI, assert, physical destination */
}

void apic_timer_oneshot(u8 vector, u32 count)
{
	apic_write(APIC_TIMER_DIV, 0xb); /* divide by 1 */
	apic_write(APIC_LVT_TIMER, vector);
	apic_write(APIC_TIMER_INIT, count);
}

/*
 * Waits until the one-shot timer has expired (its current count is 0), so that its interrupt
 * is pending whatever the emulator's clock did meanwhile: checks must not depend on how fast
 * a loaded host runs a spin loop.  Bounded: gives up after a very long wait.
 */
void apic_timer_wait_expired(void)
{
	for (u64 i = 0; i < 200000000ull && apic_read(APIC_TIMER_CUR); i++)
		__asm__ volatile("pause");
}

void apic_timer_stop(void)
{
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | 0x60);
}
