/*
 * Guest runtime entry: multiboot v1 header (a.out kludge), 32-bit -> 64-bit with the first
 * 4 GiB identity-mapped by 2 MiB pages, then guest_main(magic, mbi).  Guests are linked at
 * their physical address, so they boot on bare emulators as well as under matryoshka.
 */
#include "boot/multiboot_header.h"
#include "boot/longmode.h"

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long mb_header
	.long __image_start
	.long __load_end
	.long __image_end
	.long guest_entry32

	.section .text.entry, "ax"
	.code32
	.globl guest_entry32
guest_entry32:
	cli
	cld
	movl %eax, %ebp
	movl %ebx, %esi
	movl $__bss_start, %edi
	movl $__image_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $guest_stack_top, %esp

	IDENTITY_4G guest_pd, guest_pdpt
	movl $(guest_pdpt + 3), guest_pml4
	ENTER_LONG_MODE guest_pml4
	lgdt guest_gdt_ptr
	ljmp $0x08, $1f
	.code64
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %ebp, %edi
	movl %esi, %esi
	xorl %ebp, %ebp
	call guest_start
	ud2

	.section .rodata
	.align 16
guest_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.globl guest_gdt_ptr
guest_gdt_ptr:
	.word guest_gdt_ptr - guest_gdt - 1
	.quad guest_gdt

	.bss
	.align 4096
guest_pml4: .skip 4096
guest_pdpt: .skip 4096
guest_pd: .skip 4 * 4096
	.globl guest_stack_top
	.skip 0x8000
guest_stack_top:
