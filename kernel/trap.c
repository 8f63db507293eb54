#include "kernel/trap.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "lib/string.h"

struct PACKED idt_gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, zero;
};

struct PACKED tss64 {
	u32 rsvd0;
	u64 rsp[3];
	u64 rsvd1;
	u64 ist[7];
	u64 rsvd2;
	u16 rsvd3, iomap_base;
};

extern const u64 isr_table[32];
extern const u64 isr_spurious_ptr;
extern const char rdmsr_fault_ip[], rdmsr_fixup[], wrmsr_fault_ip[], wrmsr_fixup[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static u64 gdt[5] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static u64 nmis;

static const char *const exc_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound",
    "#UD invalid opcode",
    "#NM no FPU",
    "#DF double fault",
    "coproc",
    "#TS invalid TSS",
    "#NP not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87",
    "#AC alignment",
    "#MC machine check",
    "#XM SIMD",
    "#VE virtualization",
    "#CP control protection",
};

u64 nmi_count(void)
{
	return nmis;
}

static void set_gate(int vec, u64 handler)
{
	struct idt_gate *g = &idt[vec];
	g->off_lo = (u16)handler;
	g->sel = GDT_KERNEL_CS;
	g->ist = 0;	/* no IST: the guest's TR may be loaded while we run (svm/svm_run.c) */
	g->type = 0x8e; /* present, DPL0, 64-bit interrupt gate */
	g->off_mid = (u16)(handler >> 16);
	g->off_hi = (u32)(handler >> 32);
	g->zero = 0;
}

void trap_init(void)
{
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull; /* 64-bit code */
	gdt[2] = 0x00cf92000000ffffull; /* data */
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;
	tss.iomap_base = sizeof(tss);
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;
	struct descriptor_ptr gp = {sizeof(gdt) - 1, (u64)gdt};
	__asm__ volatile("lgdt %0\n"
			 "pushq %1\n"
			 "leaq 1f(%%rip), %%rax\n"
			 "pushq %%rax\n"
			 "lretq\n"
			 "1: movw %w2, %%ds\n"
			 "movw %w2, %%es\n"
			 "movw %w2, %%ss\n"
			 "ltr %w3\n" ::"m"(gp),
			 "i"(GDT_KERNEL_CS), "r"(GDT_KERNEL_DS), "r"(GDT_TSS)
			 : "rax", "memory");

	for (int i = 0; i < 32; i++)
		set_gate(i, isr_table[i]);
	for (int i = 32; i < 256; i++)
		set_gate(i, isr_spurious_ptr);
	struct descriptor_ptr ip = {sizeof(idt) - 1, (u64)idt};
	__asm__ volatile("lidt %0" ::"m"(ip));
}

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	if (f->vector == EXC_GP && f->rip == (u64)rdmsr_fault_ip) {
		f->rip = (u64)rdmsr_fixup;
		return;
	}
	if (f->vector == EXC_GP && f->rip == (u64)wrmsr_fault_ip) {
		f->rip = (u64)wrmsr_fixup;
		return;
	}
	if (f->vector == EXC_NMI) {
		/* Devices belong to the guest; an NMI that reaches the level itself is noted. */
		nmis++;
		return;
	}
	if (f->vector == 255)
		return; /* spurious interrupt: the level runs with interrupts off */
	const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "?";
	kprintf("exception %lu (%s) in the hypervisor, error code %lx\n", f->vector, name,
		f->error);
	kprintf("  rip=%lx cs=%lx rflags=%lx rsp=%lx ss=%lx cr2=%lx\n", f->rip, f->cs, f->rflags,
		f->rsp, f->ss, read_cr2());
	kprintf("  rax=%lx rbx=%lx rcx=%lx rdx=%lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi=%lx rdi=%lx rbp=%lx r8=%lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("  r9=%lx r10=%lx r11=%lx r12=%lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("  r13=%lx r14=%lx r15=%lx\n", f->r13, f->r14, f->r15);
	panic("unexpected exception %lu at rip %lx", f->vector, f->rip);
}
