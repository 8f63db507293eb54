/*
 * Guest runtime entry: multiboot v1 header (a.out kludge), 32-bit -> 64-bit with the first
 * 4 GiB identity-mapped by 2 MiB pages, then guest_main(magic, mbi).  Guests are linked at
 * their physical address, so they boot on bare emulators as well as under matryoshka.
 */
#include "boot/multiboot_header.h"

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

	movl $guest_pd, %edi
	movl $0x83, %eax
	xorl %edx, %edx
	movl $2048, %ecx
1:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 1b
	movl $guest_pdpt, %edi
	movl $(guest_pd + 3), %eax
	movl $4, %ecx
2:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 2b
	movl $(guest_pdpt + 3), guest_pml4

	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $guest_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010021, %eax
	movl %eax, %cr0
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
