/* The level's own IDT, GDT and TSS, and what happens when the level itself faults. */
#ifndef KERNEL_TRAP_H
#define KERNEL_TRAP_H
#include "lib/types.h"

struct trap_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS	      0x18

void trap_init(void); /* GDT with TSS, IDT with exception handlers */
u64 nmi_count(void);

#endif
