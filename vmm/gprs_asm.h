/*
 * struct gprs (vmm/vmm.h) for the entry/exit assembly of both vendors: offsets, and macros
 * moving the registers neither path treats specially (all but RAX, RSI, RDI and RSP).
 */
#ifndef VMM_GPRS_ASM_H
#define VMM_GPRS_ASM_H

#define G_RAX 0
#define G_RBX 8
#define G_RCX 16
#define G_RDX 24
#define G_RSI 32
#define G_RDI 40
#define G_RBP 48
#define G_R8 56
#define G_R9 64
#define G_R10 72
#define G_R11 80
#define G_R12 88
#define G_R13 96
#define G_R14 104
#define G_R15 112

.macro GPRS_LOAD base
	movq G_RBX(\base), %rbx
	movq G_RCX(\base), %rcx
	movq G_RDX(\base), %rdx
	movq G_RBP(\base), %rbp
	movq G_R8(\base), %r8
	movq G_R9(\base), %r9
	movq G_R10(\base), %r10
	movq G_R11(\base), %r11
	movq G_R12(\base), %r12
	movq G_R13(\base), %r13
	movq G_R14(\base), %r14
	movq G_R15(\base), %r15
.endm

.macro GPRS_SAVE base
	movq %rbx, G_RBX(\base)
	movq %rcx, G_RCX(\base)
	movq %rdx, G_RDX(\base)
	movq %rbp, G_RBP(\base)
	movq %r8, G_R8(\base)
	movq %r9, G_R9(\base)
	movq %r10, G_R10(\base)
	movq %r11, G_R11(\base)
	movq %r12, G_R12(\base)
	movq %r13, G_R13(\base)
	movq %r14, G_R14(\base)
	movq %r15, G_R15(\base)
.endm

/* The callee-saved registers of the SysV ABI, around a guest run. */
.macro HOST_SAVE
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro HOST_RESTORE
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
.endm

/* All 15 GPRs on the stack, RAX lowest (the layout of struct trap_frame's first fields). */
.macro PUSH_GPRS
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
.endm

.macro POP_GPRS
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
.endm

#endif
