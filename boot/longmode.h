/*
 * Assembler macros shared by the kernel's and the guests' 32-bit entry: the 4 GiB identity
 * map with 2 MiB pages, and the switch to long mode (SDM 10.8.5 / APM 14.6.1: PAE, CR3,
 * EFER.LME, then CR0.PG).  Arguments are physical addresses as immediates.
 */
#ifndef BOOT_LONGMODE_H
#define BOOT_LONGMODE_H

/* pd: 4 contiguous zeroed pages; pdpt: one zeroed page. */
.macro IDENTITY_4G pd, pdpt
	movl $\pd, %edi
	movl $0x83, %eax		/* P | RW | PS */
	xorl %edx, %edx
	movl $2048, %ecx
.Lid4g_pde\@:
	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop .Lid4g_pde\@
	movl $\pdpt, %edi
	movl $(\pd + 3), %eax
	movl $4, %ecx
.Lid4g_pdpte\@:
	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop .Lid4g_pdpte\@
.endm

/* Enables PAE and long mode with pml4, then paging; caches on (CD, NW clear). */
.macro ENTER_LONG_MODE pml4
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $\pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010021, %eax		/* PG | WP | NE | PE */
	andl $0x9fffffff, %eax
	movl %eax, %cr0
.endm

#endif
