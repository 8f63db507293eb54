/*
 * void svm_run(u64 vmcb_pa, struct gprs *g, bool host_if)
 * Loads the guest's GPRs (RAX, RSP, RIP live in the VMCB), VMRUN, saves them back.
 * host_if: run with RFLAGS.IF set, for a guest with V_INTR_MASKING whose physical interrupts
 * follow the host's IF (APM 15.21.1); GIF is clear here, so nothing reaches this level.
 * Only VMRUN here: no VMLOAD/VMSAVE/CLGI/STGI per exit.  After #VMEXIT GIF is 0, so the
 * level runs with interrupts and NMIs held until the next VMRUN sets GIF (APM 15.17); FS, GS,
 * TR, LDTR and the SYSCALL MSRs stay the guest's, which this level never uses (svm/svm.c).
 */
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

	.text
	.globl svm_run
svm_run:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi
	movq %rdi, %rax
	testl %edx, %edx
	jz 1f
	sti
1:	movq G_RBX(%rsi), %rbx
	movq G_RCX(%rsi), %rcx
	movq G_RDX(%rsi), %rdx
	movq G_RDI(%rsi), %rdi
	movq G_RBP(%rsi), %rbp
	movq G_R8(%rsi), %r8
	movq G_R9(%rsi), %r9
	movq G_R10(%rsi), %r10
	movq G_R11(%rsi), %r11
	movq G_R12(%rsi), %r12
	movq G_R13(%rsi), %r13
	movq G_R14(%rsi), %r14
	movq G_R15(%rsi), %r15
	movq G_RSI(%rsi), %rsi
	vmrun %rax
	cli
	pushq %rsi
	movq 8(%rsp), %rsi
	movq %rbx, G_RBX(%rsi)
	movq %rcx, G_RCX(%rsi)
	movq %rdx, G_RDX(%rsi)
	movq %rdi, G_RDI(%rsi)
	movq %rbp, G_RBP(%rsi)
	movq %r8, G_R8(%rsi)
	movq %r9, G_R9(%rsi)
	movq %r10, G_R10(%rsi)
	movq %r11, G_R11(%rsi)
	movq %r12, G_R12(%rsi)
	movq %r13, G_R13(%rsi)
	movq %r14, G_R14(%rsi)
	movq %r15, G_R15(%rsi)
	popq %rax
	movq %rax, G_RSI(%rsi)
	popq %rsi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
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
