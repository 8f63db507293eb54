/* The guest runtime: console with level prefix, arguments, memory map, ending the run. */
#ifndef GUESTS_RT_RT_H
#define GUESTS_RT_RT_H
#include "lib/types.h"
#include "kernel/console.h"
#include "kernel/memmap.h"
#include "kernel/panic.h"
#include "kernel/x86.h"

struct guest_env {
	int level;	     /* from CPUID 40000001h, 0 on bare hardware */
	const char *cmdline; /* as given by the loader */
	struct memmap map;
	bool have_map;
};

extern struct guest_env env;

/* Each guest defines this; its return value is the run's status. */
int guest_main(void);

/* "key=value" argument as a number (K/M/G suffixes allowed); returns def if absent. */
u64 arg_u64(const char *key, u64 def);
bool arg_flag(const char *key);

#endif
