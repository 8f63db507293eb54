#include "kernel/panic.h"
#include "kernel/console.h"
#include "kernel/x86.h"

#define ISA_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900

static void (*end_hook)(void);
static bool ending;

void set_end_run_hook(void (*hook)(void))
{
	end_hook = hook;
}

/*
 * The platform exit.  At L0 this ends the emulator: QEMU's isa-debug-exit device on port 0xf4,
 * then Bochs' shutdown port.  At L1 and deeper, the write to 0xf4 is intercepted by the level
 * below, which records the status and ends the run itself.  On real hardware neither port
 * does anything and the CPU halts.
 */
static NORETURN void platform_exit(int status)
{
	console_flush();
	outl(ISA_DEBUG_EXIT_PORT, (u32)status);
	if (console_level() == 0) {
		static const char bochs[] = "Shutdown";
		for (const char *p = bochs; *p; p++)
			outb(BOCHS_SHUTDOWN_PORT, (u8)*p);
	}
	halt_forever();
	__builtin_unreachable();
}

void end_run(int status, const char *why)
{
	if (!ending) {
		ending = true; /* a fault in the hook must not recurse */
		if (end_hook)
			end_hook();
	}
	kprintf("run ended: status=%d (%s)\n", status, why);
	platform_exit(status);
}

void fatal(int status, const char *fmt, ...)
{
	va_list ap;
	kprintf("fatal: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	end_run(status, "fatal error");
}

void panic(const char *fmt, ...)
{
	va_list ap;
	kprintf("PANIC: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	kprintf("  cr0=%lx cr2=%lx cr3=%lx cr4=%lx rsp=%lx rflags=%lx\n", read_cr0(), read_cr2(),
		read_cr3(), read_cr4(), (u64)__builtin_frame_address(0), read_rflags());
	kprintf("  return address %p\n", __builtin_return_address(0));
	end_run(STATUS_PANIC, "panic");
}
