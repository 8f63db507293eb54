/* Exception entry stubs: build a struct trap_frame and call trap_handler(). */
#include "vmm/gprs_asm.h"
	.text
.macro STUB vec, has_err
	.globl isr_\vec
isr_\vec:
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

STUB 0, 0
STUB 1, 0
STUB 2, 0
STUB 3, 0
STUB 4, 0
STUB 5, 0
STUB 6, 0
STUB 7, 0
STUB 8, 1
STUB 9, 0
STUB 10, 1
STUB 11, 1
STUB 12, 1
STUB 13, 1
STUB 14, 1
STUB 15, 0
STUB 16, 0
STUB 17, 1
STUB 18, 0
STUB 19, 0
STUB 20, 0
STUB 21, 1
STUB 22, 0
STUB 23, 0
STUB 24, 0
STUB 25, 0
STUB 26, 0
STUB 27, 0
STUB 28, 0
STUB 29, 1
STUB 30, 1
STUB 31, 0
STUB 255, 0

isr_common:
	PUSH_GPRS
	movq %rsp, %rdi
	call trap_handler
	POP_GPRS
	addq $16, %rsp
	iretq

	.section .rodata
	.globl isr_table
isr_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\n
	.endr
	.globl isr_spurious_ptr
isr_spurious_ptr:
	.quad isr_255

/* bool rdmsr_safe(u32 msr, u64 *val): a #GP on the RDMSR resumes at the fixup. */
	.text
	.globl rdmsr_safe, rdmsr_fault_ip, rdmsr_fixup
rdmsr_safe:
	movl %edi, %ecx
rdmsr_fault_ip:
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, (%rsi)
	movl $1, %eax
	ret
rdmsr_fixup:
	xorl %eax, %eax
	ret

/* bool wrmsr_safe(u32 msr, u64 val) */
	.globl wrmsr_safe, wrmsr_fault_ip, wrmsr_fixup
wrmsr_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
wrmsr_fault_ip:
	wrmsr
	movl $1, %eax
	ret
wrmsr_fixup:
	xorl %eax, %eax
	ret
