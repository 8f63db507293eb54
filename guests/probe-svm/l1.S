/*
 * L1's side in assembly: the 256 IDT stubs (frame for l1_trap), VMRUN with L2's GPRs, the
 * instructions that may fault (a fault resumes at the fixup armed in fault_fixup), and an
 * IRET to self.
 */
#include "vmm/gprs_asm.h"
	.text

/* Vectors that push an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.align 16
	.globl l1_stub_base
l1_stub_base:
	.set vec, 0
	.rept 256
	.align 16
	.if HAS_ERR(vec)
	nop
	nop
	.else
	pushq $0
	.endif
	pushq $vec
	jmp l1_common
	.set vec, vec + 1
	.endr

l1_common:
	PUSH_GPRS
	movq %rsp, %rdi
	cld
	call l1_trap
	POP_GPRS
	addq $16, %rsp
	iretq

/* Offsets in struct l2_regs */
#define R_RBX 0
#define R_RCX 8
#define R_RDX 16
#define R_RSI 24
#define R_RDI 32
#define R_RBP 40
#define R_R8 48
#define R_R9 56
#define R_R10 64
#define R_R11 72
#define R_R12 80
#define R_R13 88
#define R_R14 96
#define R_R15 104

/* void svm_vmrun(u64 vmcb_pa, struct l2_regs *r) */
	.globl svm_vmrun
svm_vmrun:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi
	movq %rdi, %rax
	movq R_RBX(%rsi), %rbx
	movq R_RCX(%rsi), %rcx
	movq R_RDX(%rsi), %rdx
	movq R_RDI(%rsi), %rdi
	movq R_RBP(%rsi), %rbp
	movq R_R8(%rsi), %r8
	movq R_R9(%rsi), %r9
	movq R_R10(%rsi), %r10
	movq R_R11(%rsi), %r11
	movq R_R12(%rsi), %r12
	movq R_R13(%rsi), %r13
	movq R_R14(%rsi), %r14
	movq R_R15(%rsi), %r15
	movq R_RSI(%rsi), %rsi
	vmrun %rax
	pushq %rsi
	movq 8(%rsp), %rsi
	movq %rbx, R_RBX(%rsi)
	movq %rcx, R_RCX(%rsi)
	movq %rdx, R_RDX(%rsi)
	movq %rdi, R_RDI(%rsi)
	movq %rbp, R_RBP(%rsi)
	movq %r8, R_R8(%rsi)
	movq %r9, R_R9(%rsi)
	movq %r10, R_R10(%rsi)
	movq %r11, R_R11(%rsi)
	movq %r12, R_R12(%rsi)
	movq %r13, R_R13(%rsi)
	movq %r14, R_R14(%rsi)
	movq %r15, R_R15(%rsi)
	popq %rax
	movq %rax, R_RSI(%rsi)
	popq %rsi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/*
 * TRY name, instruction: int name(...) returns the vector of a fault on the instruction, or
 * -1.  Arguments arrive in the System V registers; RAX is set by each body.
 */
.macro TRY name
	.globl \name
\name:
	movq $-1, fault_vector(%rip)
	leaq 9f(%rip), %r11
	movq %r11, fault_fixup(%rip)
.endm
.macro TRY_END
9:	movq $0, fault_fixup(%rip)
	movq fault_vector(%rip), %rax
	ret
.endm

	/* int try_vmrun(u64 pa): VMRUN (L2 may run and exit) unless it faults. */
	.globl try_vmrun
try_vmrun:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq $-1, fault_vector(%rip)
	leaq 8f(%rip), %r11
	movq %r11, fault_fixup(%rip)
	movq %rdi, %rax
	vmrun %rax
8:	movq $0, fault_fixup(%rip)
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	movq fault_vector(%rip), %rax
	ret

	TRY try_vmload
	movq %rdi, %rax
	vmload %rax
	TRY_END

	TRY try_vmsave
	movq %rdi, %rax
	vmsave %rax
	TRY_END

	TRY try_clgi
	clgi
	TRY_END

	TRY try_stgi
	stgi
	TRY_END

	TRY try_vmmcall
	vmmcall
	TRY_END

	TRY try_wrmsr
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
	wrmsr
	TRY_END

	/* int try_rdmsr(u32 msr, u64 *v) */
	TRY try_rdmsr
	movl %edi, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, (%rsi)
	TRY_END

/* void l1_self_iret(void) */
	.globl l1_self_iret
l1_self_iret:
	movq %rsp, %rax
	movw %ss, %cx
	pushq %rcx
	pushq %rax
	pushfq
	movw %cs, %cx
	pushq %rcx
	leaq 1f(%rip), %rax
	pushq %rax
	iretq
1:	ret

/* void l1_open_irq_window(void): STI, a few instructions, CLI */
	.globl l1_open_irq_window
l1_open_irq_window:
	movl $1000, %ecx
	sti
1:	pause
	decl %ecx
	jnz 1b
	cli
	ret
