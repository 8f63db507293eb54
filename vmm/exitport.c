/* The exit port: the guest ends the run with a status (DESIGN section 1). */
#include "kernel/console.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "vmm/vmm.h"

void vmm_print_slice_use(void)
{
	kprintf("slice: %lu KiB of page tables and structures in use, %lu KiB free\n",
		kernel_pages.used_pages * 4, kernel_pages.free_pages * 4);
}

void vmm_guest_exit(u32 status)
{
	kprintf("guest wrote status %u to the exit port\n", status);
	end_run((int)(status & 0xff), "guest exit");
}

void vmm_exit_port_io(struct gprs *g, u16 port, unsigned size, bool in, bool str)
{
	u64 ones = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
	if (port >= EXIT_PORT && port < EXIT_PORT + EXIT_PORT_SIZE && !in && !str)
		vmm_guest_exit((u32)(g->rax & ones));
	/* Reads of the exit port see no device (all ones); string forms are ignored. */
	if (in && !str)
		g->rax = (size == 4 ? 0 : g->rax & ~ones) | ones;
}
