/*
 * int vmx_enter(struct gprs *g, int launched)
 * Enters the guest with VMLAUNCH (first time) or VMRESUME and returns 0 after the VM exit,
 * 1 on VMfailInvalid, 2 on VMfailValid (then VM_INSTRUCTION_ERROR says why).  HOST_RIP is
 * vmx_exit_entry; HOST_RSP is written here, right before entry, so it matches this frame.
 */
#include "vmm/gprs_asm.h"
#define HOST_RSP 0x6c14

	.text
	.globl vmx_enter, vmx_exit_entry
vmx_enter:
	HOST_SAVE
	pushq %rdi
	movl $HOST_RSP, %eax
	vmwrite %rsp, %rax
	testl %esi, %esi	/* flags survive the moves below */
	GPRS_LOAD %rdi
	movq G_RAX(%rdi), %rax
	movq G_RSI(%rdi), %rsi
	movq G_RDI(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* VM entry failed: CF=1 VMfailInvalid, ZF=1 VMfailValid */
	movl $1, %eax
	jc 3f
	movl $2, %eax
3:	addq $8, %rsp
	HOST_RESTORE
	ret

vmx_exit_entry:
	pushq %rdi
	movq 8(%rsp), %rdi
	GPRS_SAVE %rdi
	movq %rax, G_RAX(%rdi)
	movq %rsi, G_RSI(%rdi)
	popq %rax
	movq %rax, G_RDI(%rdi)
	addq $8, %rsp
	xorl %eax, %eax
	HOST_RESTORE
	ret
