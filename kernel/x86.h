/* Thin wrappers around x86 instructions. No decisions here. */
#ifndef KERNEL_X86_H
#define KERNEL_X86_H
#include "lib/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline void cpuid_count(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	__asm__ volatile("cpuid"
			 : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			 : "a"(leaf), "c"(sub));
}

static inline struct cpuid_regs cpuid(u32 leaf)
{
	struct cpuid_regs r;
	cpuid_count(leaf, 0, &r);
	return r;
}

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
/* rdmsr that survives #GP: returns false if the MSR faulted (see kernel/trap.c). */
bool rdmsr_safe(u32 msr, u64 *val);
bool wrmsr_safe(u32 msr, u64 val);

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                                               \
	static inline u64 read_cr##n(void)                                                         \
	{                                                                                          \
		u64 v;                                                                             \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(u64 v)                                                      \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                           \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct PACKED descriptor_ptr {
	u16 limit;
	u64 base;
};

static inline void sgdt(struct descriptor_ptr *p)
{
	__asm__ volatile("sgdt %0" : "=m"(*p));
}
static inline void sidt(struct descriptor_ptr *p)
{
	__asm__ volatile("sidt %0" : "=m"(*p));
}
static inline u16 read_tr(void)
{
	u16 v;
	__asm__ volatile("str %0" : "=r"(v));
	return v;
}
#define READ_SEG(name)                                                                             \
	static inline u16 read_##name(void)                                                        \
	{                                                                                          \
		u16 v;                                                                             \
		__asm__ volatile("mov %%" #name ", %0" : "=r"(v));                                 \
		return v;                                                                          \
	}
READ_SEG(cs)
READ_SEG(ss)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(fs)
READ_SEG(gs)

/* Architectural constants shared by several boxes. */
#define CR0_PE	    BIT(0)
#define CR0_MP	    BIT(1)
#define CR0_ET	    BIT(4)
#define CR0_NE	    BIT(5)
#define CR0_WP	    BIT(16)
#define CR0_NW	    BIT(29)
#define CR0_CD	    BIT(30)
#define CR0_PG	    BIT(31)
#define CR4_PAE	    BIT(5)
#define CR4_PGE	    BIT(7)
#define CR4_OSFXSR  BIT(9)
#define CR4_VMXE    BIT(13)
#define CR4_PCIDE   BIT(17)
#define CR4_OSXSAVE BIT(18)

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS	 0x174
#define MSR_IA32_SYSENTER_ESP	 0x175
#define MSR_IA32_SYSENTER_EIP	 0x176
#define MSR_IA32_PAT		 0x277
#define MSR_IA32_VMX_BASIC	 0x480
#define MSR_EFER		 0xc0000080
#define MSR_FS_BASE		 0xc0000100
#define MSR_GS_BASE		 0xc0000101
#define MSR_VM_CR		 0xc0010114
#define MSR_VM_HSAVE_PA		 0xc0010117
#define MSR_SVM_KEY		 0xc0010118
#define MSR_TSC_RATIO		 0xc0000104

#define EFER_SCE  BIT(0)
#define EFER_LME  BIT(8)
#define EFER_LMA  BIT(10)
#define EFER_NXE  BIT(11)
#define EFER_SVME BIT(12)

#define RFLAGS_IF BIT(9)

#define EXC_DE	0
#define EXC_DB	1
#define EXC_NMI 2
#define EXC_BP	3
#define EXC_UD	6
#define EXC_DF	8
#define EXC_GP	13
#define EXC_PF	14

#endif
