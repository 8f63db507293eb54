/*
 * L2's code: snippets that run one instruction then VMMCALL (l2_NAME, and l2_NAME_end right
 * after the instruction, for NextRIP checks), the state recorders, and the 256 IDT stubs of
 * L2, which record the event in l2_ev and end with VMMCALL (NMI: IRET, so NMIs unblock).
 */
	.text

.macro SNIP name, insn:vararg
	.globl l2_\name, l2_\name\()_end
	.align 16
l2_\name:
	\insn
l2_\name\()_end:
	vmmcall
1:	hlt
	jmp 1b
.endm

	SNIP vmmcall, vmmcall
	SNIP cpuid, cpuid
	SNIP rdtsc, rdtsc
	SNIP rdtscp, rdtscp
	SNIP rdpmc, rdpmc
	SNIP hlt, hlt
	SNIP pause, pause
	SNIP invd, invd
	SNIP wbinvd, wbinvd
	SNIP invlpg, invlpg (%rbx)
	SNIP invlpga, invlpga
	SNIP xsetbv, xsetbv
	SNIP icebp, .byte 0xf1
	SNIP sidt, sidt l2_scratch(%rip)
	SNIP sgdt, sgdt l2_scratch(%rip)
	SNIP pushf, pushfq
	SNIP intn, int $0x80
	SNIP vmrun, vmrun
	SNIP vmload, vmload
	SNIP vmsave, vmsave
	SNIP clgi, clgi
	SNIP stgi, stgi
	SNIP rd_cr0, movq %cr0, %rax
	SNIP rd_cr3, movq %cr3, %rax
	SNIP rd_cr4, movq %cr4, %rax
	SNIP rd_cr8, movq %cr8, %rax
	SNIP wr_cr0, movq %rbx, %cr0
	SNIP wr_cr3, movq %rbx, %cr3
	SNIP wr_cr4, movq %rbx, %cr4
	SNIP wr_cr8, movq %rbx, %cr8
	SNIP rd_dr0, movq %dr0, %rax
	SNIP rd_dr7, movq %dr7, %rax
	SNIP wr_dr0, movq %rbx, %dr0
	SNIP wr_dr7, movq %rbx, %dr7
	SNIP div0, divl %ecx
	SNIP int3, int3
	SNIP ud2, ud2
	SNIP load_rbx, movq (%rbx), %rax
	SNIP store_rbx, movq %rcx, (%rbx)
	SNIP jmp_rbx, jmp *%rbx
	SNIP rdmsr, rdmsr
	SNIP wrmsr, wrmsr
	SNIP out_80, outb %al, $0x80
	SNIP in_80, inb $0x80, %al
	SNIP in_7f_w, inw $0x7f, %ax
	SNIP out_dx_l, outl %eax, %dx
	SNIP in_dx_w, inw %dx, %ax
	SNIP in_f4, inb $0xf4, %al
	SNIP rep_outsb, rep outsb
	SNIP pause2, pause; pause

/* Calls the function in RAX with its argument in RBX; VMMCALL with the result in RAX. */
	.globl l2_call, l2_call_end
	.align 16
l2_call:
	movq %rax, %r11
	movq %rbx, %rdi
	call *%r11
l2_call_end:
	vmmcall
1:	hlt
	jmp 1b

/* Spins RCX times (no exits on its own), then VMMCALL. */
	.globl l2_loop_rcx, l2_loop_rcx_end
	.align 16
l2_loop_rcx:
1:	nop
	decq %rcx
	jnz 1b
l2_loop_rcx_end:
	vmmcall
2:	hlt
	jmp 2b

/* STI, then the same spin. */
	.globl l2_sti_loop, l2_sti_loop_end
	.align 16
l2_sti_loop:
	sti
1:	nop
	decq %rcx
	jnz 1b
l2_sti_loop_end:
	vmmcall
2:	hlt
	jmp 2b

/* STGI, STI, then the same spin. */
	.globl l2_stgi_sti, l2_stgi_sti_end
	.align 16
l2_stgi_sti:
	stgi
	sti
1:	nop
	decq %rcx
	jnz 1b
l2_stgi_sti_end:
	vmmcall
2:	hlt
	jmp 2b

/* struct l2_state offsets */
#define S_RAX 0
#define S_RSP 8
#define S_RFLAGS 16
#define S_CR0 24
#define S_CR2 32
#define S_CR3 40
#define S_CR4 48
#define S_CR8 56
#define S_DR7 64
#define S_EFER 72
#define S_CS 80
#define S_SS 88
#define S_DS 96
#define S_ES 104
#define S_GDTR 112
#define S_IDTR 128

/* Records what L2 sees at its first instruction into l2_seen. */
	.globl l2_state_in, l2_state_in_end
	.align 16
l2_state_in:
	movq %rax, l2_seen+S_RAX(%rip)
	movq %rsp, l2_seen+S_RSP(%rip)
	pushfq
	popq %rax
	movq %rax, l2_seen+S_RFLAGS(%rip)
	movq %cr0, %rax
	movq %rax, l2_seen+S_CR0(%rip)
	movq %cr2, %rax
	movq %rax, l2_seen+S_CR2(%rip)
	movq %cr3, %rax
	movq %rax, l2_seen+S_CR3(%rip)
	movq %cr4, %rax
	movq %rax, l2_seen+S_CR4(%rip)
	movq %cr8, %rax
	movq %rax, l2_seen+S_CR8(%rip)
	movq %dr7, %rax
	movq %rax, l2_seen+S_DR7(%rip)
	movl $0xc0000080, %ecx
	rdmsr
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, l2_seen+S_EFER(%rip)
	xorl %eax, %eax
	movw %cs, %ax
	movq %rax, l2_seen+S_CS(%rip)
	movw %ss, %ax
	movq %rax, l2_seen+S_SS(%rip)
	movw %ds, %ax
	movq %rax, l2_seen+S_DS(%rip)
	movw %es, %ax
	movq %rax, l2_seen+S_ES(%rip)
	sgdt l2_seen+S_GDTR(%rip)
	sidt l2_seen+S_IDTR(%rip)
l2_state_in_end:
	vmmcall
1:	hlt
	jmp 1b

/* Changes L2's state to l2_set (and the other GPRs to known patterns), then VMMCALL. */
	.globl l2_state_out, l2_state_out_end
	.align 16
l2_state_out:
	movq l2_set+S_CR0(%rip), %rax
	movq %rax, %cr0
	movq l2_set+S_CR2(%rip), %rax
	movq %rax, %cr2
	movq l2_set+S_CR4(%rip), %rax
	movq %rax, %cr4
	movq l2_set+S_CR3(%rip), %rax
	movq %rax, %cr3
	movq l2_set+S_DR7(%rip), %rax
	movq %rax, %dr7
	movl $0xc0000080, %ecx
	movl l2_set+S_EFER(%rip), %eax
	movl l2_set+S_EFER+4(%rip), %edx
	wrmsr
	movq l2_set+S_DS(%rip), %rax
	movw %ax, %ds
	pushq l2_set+S_RFLAGS(%rip)
	popfq
	movabsq $0x1111222233334441, %rbx
	movabsq $0x1111222233334442, %rcx
	movabsq $0x1111222233334443, %rdx
	movabsq $0x1111222233334444, %rsi
	movabsq $0x1111222233334445, %rdi
	movabsq $0x1111222233334446, %rbp
	movabsq $0x1111222233334448, %r8
	movabsq $0x1111222233334449, %r9
	movabsq $0x111122223333444a, %r10
	movabsq $0x111122223333444b, %r11
	movabsq $0x111122223333444c, %r12
	movabsq $0x111122223333444d, %r13
	movabsq $0x111122223333444e, %r14
	movabsq $0x111122223333444f, %r15
	movq l2_set+S_RAX(%rip), %rax
	movq l2_set+S_RSP(%rip), %rsp
l2_state_out_end:
	vmmcall
1:	hlt
	jmp 1b

/* ---- L2's IDT stubs: 16 bytes each ---- */
	.align 16
	.globl l2_stub_base
l2_stub_base:
	.set vec, 0
	.rept 256
	.align 16
	pushq $vec
	jmp l2_common
	.set vec, vec + 1
	.endr

#define L2_MAX 4
l2_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	leaq l2_ev(%rip), %rbx
	movq (%rbx), %rcx
	cmpq $L2_MAX, %rcx
	jae 2f
	movq 24(%rsp), %rax
	movq %rax, 8(%rbx,%rcx,8)
	leaq 32(%rsp), %rax
	movq %rax, 40(%rbx,%rcx,8)
	movq %cr2, %rax
	movq %rax, 72(%rbx,%rcx,8)
2:	incq (%rbx)
	popq %rcx
	popq %rbx
	popq %rax
	cmpq $2, (%rsp)
	je 3f
	vmmcall
1:	hlt
	jmp 1b
3:	addq $8, %rsp
	iretq

	.bss
	.align 16
l2_scratch:
	.skip 16
