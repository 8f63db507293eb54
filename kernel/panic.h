/* Ending a run: panic (a bug), fatal (a clear user-facing error), and the platform exit. */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H
#include "lib/types.h"
#include "kernel/status.h"

/* Prints a register dump and ends the run with STATUS_PANIC. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Prints "fatal: <msg>" and ends the run with the given status. */
NORETURN void fatal(int status, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Runs the level's end-of-run hook (counters), prints the status line, ends the run. */
NORETURN void end_run(int status, const char *why);
/* Hook the hypervisor installs to print its counters before the run ends. */
void set_end_run_hook(void (*hook)(void));

#define ASSERT(c)                                                                                  \
	do {                                                                                       \
		if (!(c))                                                                          \
			panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__);             \
	} while (0)

#endif
