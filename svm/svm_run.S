/*
 * void svm_run(u64 vmcb_pa, struct gprs *g, bool host_if)
 * Loads the guest's GPRs (RAX, RSP, RIP live in the VMCB), VMRUN, saves them back.
 * Only VMRUN here: no VMLOAD/VMSAVE/CLGI/STGI per exit.  After #VMEXIT GIF is 0, so the
 * level runs with interrupts and NMIs held until the next VMRUN sets GIF (APM 15.17); FS, GS,
 * TR, LDTR and the SYSCALL MSRs stay the guest's, which this level never uses (svm/svm.c).
 * host_if: run with RFLAGS.IF set, for a guest with V_INTR_MASKING whose physical interrupts
 * follow the host's IF (APM 15.21.1); GIF is clear here, so nothing reaches this level.
 */
#include "vmm/gprs_asm.h"

	.text
	.globl svm_run
svm_run:
	HOST_SAVE
	pushq %rsi
	movq %rdi, %rax
	testl %edx, %edx
	jz 1f
	sti
1:	GPRS_LOAD %rsi
	movq G_RDI(%rsi), %rdi
	movq G_RSI(%rsi), %rsi
	vmrun %rax
	cli
	pushq %rsi
	movq 8(%rsp), %rsi
	GPRS_SAVE %rsi
	movq %rdi, G_RDI(%rsi)
	popq %rax
	movq %rax, G_RSI(%rsi)
	popq %rsi
	HOST_RESTORE
	ret

/* void svm_vmload(u64 pa), svm_vmsave(u64 pa) */
	.globl svm_vmload, svm_vmsave
svm_vmload:
	movq %rdi, %rax
	vmload %rax
	ret
svm_vmsave:
	movq %rdi, %rax
	vmsave %rax
	ret
