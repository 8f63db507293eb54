/*
 * matryoshka entry: multiboot v1 header, 32-bit protected mode -> 64-bit long mode.
 *
 * The loader (GRUB, QEMU -kernel, or a matryoshka one level down) enters mb_entry32 in the
 * multiboot machine state (Multiboot 0.6.96 section 3.2): 32-bit flat segments, paging off,
 * EAX = 0x2BADB002, EBX = physical address of the multiboot information.
 *
 * The C kernel is linked at KERNEL_VIRT + physical address.  These boot tables map the first
 * 4 GiB twice: identity (for physical memory access) and at KERNEL_VIRT (for the kernel image);
 * kernel/relocate.c later moves the image to the top slice and re-points KERNEL_VIRT there.
 */
#include "boot/multiboot_header.h"
#include "boot/layout.h"
#include "boot/longmode.h"

#define PHYS(x) ((x) - KERNEL_VIRT)

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long mb_header		/* header_addr: .boot is linked at its physical address */
	.long __image_phys_start
	.long __load_phys_end
	.long __bss_phys_end
	.long mb_entry32

	.section .boot.text, "ax"
	.code32
	.globl mb_entry32
mb_entry32:
	cli
	cld
	movl %eax, %ebp			/* multiboot magic */
	movl %ebx, %esi			/* multiboot info */

	/* A matryoshka loader zeroes .bss, but not every loader is careful: do it here. */
	movl $__bss_phys_start, %edi
	movl $__bss_phys_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	movl $PHYS(boot_stack_top), %esp

	/* Long mode is the one feature we cannot even report from C: check it here. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* 0..4 GiB identity-mapped; KERNEL_VIRT = PML4[511], PDPT[511]: alias of the first GiB. */
	IDENTITY_4G PHYS(boot_pd), PHYS(boot_pdpt_low)
	movl $(PHYS(boot_pd) + 3), PHYS(boot_pdpt_high) + 511 * 8
	movl $(PHYS(boot_pdpt_low) + 3), PHYS(boot_pml4)
	movl $(PHYS(boot_pdpt_high) + 3), PHYS(boot_pml4) + 511 * 8
	ENTER_LONG_MODE PHYS(boot_pml4)

	lgdt boot_gdt_ptr
	ljmp $0x08, $entry64

no_long_mode:
	/* COM1 at 115200 8N1, as kernel/console.c sets it up, then the message byte by byte */
	movl $uart_init, %esi
1:	lodsw
	testw %ax, %ax
	jz 2f
	movw $0x3f8, %dx
	addb %ah, %dl
	outb %al, %dx
	jmp 1b
2:	movl $no_lm_msg, %esi
3:	lodsb
	testb %al, %al
	jz 4f
	movb %al, %bl
	movw $0x3fd, %dx		/* wait for LSR.THRE */
	movl $100000, %ecx
9:	inb %dx, %al
	testb $0x20, %al
	jnz 10f
	loop 9b
10:	movb %bl, %al
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 3b
4:	movw $0x3fd, %dx		/* wait until the UART has sent it all (LSR.TEMT) */
	movl $1000000, %ecx
6:	inb %dx, %al
	testb $0x40, %al
	jnz 7f
	loop 6b
7:	movw $0xf4, %dx			/* isa-debug-exit (QEMU) */
	movl $STATUS_NO_FEATURE, %eax
	outl %eax, %dx
	movl $bochs_shutdown, %esi	/* Bochs: "Shutdown" to port 0x8900 */
	movw $0x8900, %dx
8:	lodsb
	testb %al, %al
	jz 5f
	outb %al, %dx
	jmp 8b
5:	hlt
	jmp 5b

	.code64
entry64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $high64, %rax
	jmp *%rax

	.section .boot.data, "a"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt
bochs_shutdown:
	.asciz "Shutdown"
	.align 2
uart_init:			/* (value, port offset) pairs, ended by 0 */
	.byte 0x00, 1, 0x80, 3, 0x01, 0, 0x00, 1, 0x03, 3, 0xc7, 2, 0x03, 4
	.word 0
no_lm_msg:
	.asciz "[L0] fatal: this CPU has no long mode (CPUID 80000001h EDX bit 29); matryoshka needs x86-64\n[L0] run ended: status=115 (unsupported CPU)\n"

	.text
high64:
	movabsq $boot_stack_top, %rsp
	movl %ebp, %edi			/* kmain(magic, mbi): zero-extended */
	movl %esi, %esi
	xorl %ebp, %ebp
	call kmain
	ud2

	.bss
	.align 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip KERNEL_STACK_SIZE
boot_stack_top:
