/*
 * void relocate_image(u64 dst, u64 src, u64 len, u64 new_cr3)
 * Copies the running image (code, data, .bss and the current stack) to dst and switches to
 * page tables that map KERNEL_VIRT onto the copy.  Nothing may touch memory between the copy
 * and the CR3 write: the return address was pushed before the copy, so `ret` finds it in the
 * new copy of the stack.
 */
	.text
	.globl relocate_image
relocate_image:
	movq %rcx, %r8
	movq %rdx, %rcx
	cld
	rep movsb
	movq %r8, %cr3
	ret
