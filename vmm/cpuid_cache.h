/*
 * CPUID results read once at start.  A nested hypervisor that executed CPUID to answer its
 * guest's CPUID would cost one more exit to the level below per exit; with the cache the
 * answer costs nothing (issue: 2 L0 exits per reflected L2 exit).  Leaves whose values
 * depend on state (XSAVE sizes in 0Dh) are not cached and go to the hardware.
 */
#ifndef VMM_CPUID_CACHE_H
#define VMM_CPUID_CACHE_H
#include "lib/types.h"
#include "kernel/x86.h"

/*
 * Enough for the largest ranges cpuid_cache_fill accepts (basic 0..40h, extended
 * 8000_0000h..8000_0040h, 16 subleaves for each of the 18 subleaf leaves): 289 + 110 = 399.
 */
#define CPUID_CACHE_MAX 400

struct cpuid_entry {
	u32 leaf, sub;
	bool any_sub; /* the leaf ignores ECX */
	struct cpuid_regs r;
};

struct cpuid_cache {
	int n;
	struct cpuid_entry e[CPUID_CACHE_MAX];
};

typedef void (*cpuid_fn)(u32 leaf, u32 sub, struct cpuid_regs *r);

/* Fills the cache from the basic and extended ranges; pure over `fn`. */
void cpuid_cache_fill(struct cpuid_cache *c, cpuid_fn fn);
/* Returns false if the leaf/subleaf is not cached (ask the hardware). */
bool cpuid_cache_lookup(const struct cpuid_cache *c, u32 leaf, u32 sub, struct cpuid_regs *r);

#endif
