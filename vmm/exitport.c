/* The exit port: the guest ends the run with a status (DESIGN section 1). */
#include "kernel/console.h"
#include "kernel/panic.h"
#include "vmm/vmm.h"

void vmm_guest_exit(u32 status)
{
	kprintf("guest wrote status %u to the exit port\n", status);
	end_run((int)(status & 0xff), "guest exit");
}
