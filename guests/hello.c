/*
 * hello: the leaf guest.  Prints its level, runs instructions that exit (CPUID, an intercepted
 * MSR) and some that do not (port I/O to COM1, RDMSR of the TSC), and ends with a status.
 *
 * Arguments:
 *   status=N       end with status N (default 0)
 *   triple-fault   load an empty IDT and raise an exception: the level below must report it
 *   probe-slice ram=SIZE
 *                  read and write every page above the top of this guest's RAM, up to SIZE,
 *                  that its memory map does not list: the levels below keep their slices
 *                  there, and none of their bytes may be visible
 */
#include "guests/rt/rt.h"
#include "lib/string.h"

#define PROBE_TAG 0x5a5a000000000000ull /* high bits of every word the probe writes */
#define SINK_FILL 0xffffffffffffffffull /* what an untouched slice page reads as */

static void do_exits(void)
{
	struct cpuid_regs r = cpuid(0);
	char vendor[13];
	memcpy(vendor, &r.ebx, 4);
	memcpy(vendor + 4, &r.edx, 4);
	memcpy(vendor + 8, &r.ecx, 4);
	vendor[12] = 0;
	u64 t0 = rdtsc();
	for (int i = 0; i < 10; i++)
		cpuid(1);
	u64 t1 = rdtsc();
	u64 tsc = rdmsr(0x10); /* not intercepted */
	(void)tsc;
	struct cpuid_regs hv = cpuid(0x40000001);
	kprintf("CPU vendor %s; 10 CPUIDs took %lu cycles; CPUID 40000001h says level %u "
		"(hypervisor at L%u)\n",
		vendor, t1 - t0, hv.eax, hv.ebx);
	/* An intercepted MSR: EFER on AMD (SVME hidden), FEATURE_CONTROL on Intel. */
	if (vendor[0] == 'A') {
		u64 efer = rdmsr(MSR_EFER);
		kprintf("EFER=%lx (SVME %s)\n", efer, efer & EFER_SVME ? "set" : "clear");
	} else {
		u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
		kprintf("IA32_FEATURE_CONTROL=%lx\n", fc);
	}
	kprintf("CPUID.1:ECX VMX=%u, CPUID.80000001h:ECX SVM=%u\n", (cpuid(1).ecx >> 5) & 1,
		(cpuid(0x80000001).ecx >> 2) & 1);
}

static bool listed(u64 pa)
{
	for (int i = 0; i < env.map.n; i++)
		if (pa >= env.map.r[i].base && pa < env.map.r[i].end)
			return true;
	return false;
}

/* A word the probe may read back: the sink's fill or something the probe itself wrote. */
static bool own_word(u64 w, u64 lo, u64 hi)
{
	if (w == SINK_FILL)
		return true;
	u64 pa = w & ~PROBE_TAG;
	return (w & PROBE_TAG) == PROBE_TAG && pa >= lo && pa < hi;
}

static int probe_slice(void)
{
	u64 ram = arg_u64("ram", 0);
	if (!env.have_map || ram == 0) {
		kprintf("probe-slice: needs a memory map and ram=SIZE\n");
		return 2;
	}
	u64 lo = memmap_ram_top(&env.map), hi = ram;
	u64 pages = 0, foreign = 0;
	for (u64 pa = lo; pa < hi; pa += PAGE_SIZE) {
		if (listed(pa))
			continue;
		volatile u64 *p = (volatile u64 *)(uintptr_t)pa;
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
			u64 w = p[i];
			if (!own_word(w, lo, hi)) {
				if (foreign < 4)
					kprintf("probe-slice: foreign word %lx at %lx\n", w,
						pa + i * 8);
				foreign += 8;
			}
		}
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			p[i] = PROBE_TAG | (pa + i * 8);
		pages++;
	}
	kprintf("probe-slice: %lu pages probed in %lx-%lx, %lu L0 bytes seen\n", pages, lo, hi,
		foreign);
	return foreign ? 1 : 0;
}

static NORETURN void triple_fault(void)
{
	kprintf("triple-fault: loading an empty IDT and raising #BP\n");
	console_flush();
	struct PACKED {
		u16 limit;
		u64 base;
	} idtr = {0, 0};
	__asm__ volatile("lidt %0; int3" ::"m"(idtr));
	for (;;)
		;
}

int guest_main(void)
{
	kprintf("hello from level %d (args: '%s')\n", env.level, env.cmdline);
	do_exits();
	if (arg_flag("triple-fault"))
		triple_fault();
	if (arg_flag("probe-slice")) {
		int s = probe_slice();
		if (s)
			return s;
	}
	return (int)arg_u64("status", 0);
}
