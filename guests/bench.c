/*
 * bench: the leaf guest of the benchmarks.  Runs n=N CPUIDs (leaf 0, intercepted at every
 * level) and prints the cycles per CPUID as seen at its level.  tools/bench runs it at several
 * depths and with two values of N to isolate the loop from the boot.
 */
#include "guests/rt/rt.h"

int guest_main(void)
{
	u64 n = arg_u64("n", 1000);
	struct cpuid_regs r;
	cpuid_count(0, 0, &r); /* warm up */
	u64 t0 = rdtsc();
	for (u64 i = 0; i < n; i++)
		cpuid_count(0, 0, &r);
	u64 t1 = rdtsc();
	kprintf("bench: level %d cpuid n=%lu cycles=%lu per-cpuid=%lu\n", env.level, n, t1 - t0,
		n ? (t1 - t0) / n : 0);
	return 0;
}
