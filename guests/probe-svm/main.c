/*
 * probe-svm: a guest hypervisor written for testing.  It uses AMD-V as an L1 would (EFER.SVME,
 * VM_HSAVE_PA, VMCBs, an identity NPT) to run tiny L2 snippets, and prints one line per check:
 * PASS, FAIL (expected/got), SKIP (the CPU does not offer the feature) or KNOWN (the emulator
 * under everything deviates from the APM; not a failure).  The same results are expected on
 * a bare emulator (this is L0) and as L1 on matryoshka.
 *
 * Arguments:
 *   ram=SIZE     also probe, from L2, the pages above this level's RAM up to SIZE
 *   group=NAME   run only that group of checks (intercept, iomsr, state, event, irq, gif,
 *                vmload, npt, vmrun, insn, bugs)
 */
#include "guests/probe-svm/probe.h"
#include "kernel/cmdline.h"
#include "lib/string.h"

struct features feat;

static int detect_emu(void)
{
	char brand[49];
	for (u32 i = 0; i < 3; i++) {
		struct cpuid_regs r = cpuid(0x80000002 + i);
		memcpy(brand + 16 * i, &r, 16);
	}
	brand[48] = 0;
	for (const char *p = brand; *p; p++) {
		if (!strncmp(p, "QEMU", 4))
			return EMU_QEMU;
		if (!strncmp(p, "AMD", 3))
			return EMU_BOCHS; /* Bochs' AMD models carry real AMD brand strings */
	}
	return EMU_OTHER;
}

static void detect_features(void)
{
	struct cpuid_regs e1 = cpuid(0x80000001), sv = cpuid(0x8000000a), l1 = cpuid(1);
	feat.emu = detect_emu();
	feat.svm_edx = sv.edx;
	feat.asids = sv.ebx;
	feat.maxphyaddr = (u8)cpuid(0x80000008).eax;
	feat.npt = sv.edx & BIT(0);
	feat.lbrv = sv.edx & BIT(1);
	feat.svml = sv.edx & BIT(2);
	feat.nrips = sv.edx & BIT(3);
	feat.flush_asid = sv.edx & BIT(6);
	feat.pause_filter = sv.edx & BIT(10);
	feat.vvmload = sv.edx & BIT(15);
	feat.vgif = sv.edx & BIT(16);
	feat.skinit = e1.ecx & BIT(12);
	feat.rdtscp = e1.edx & BIT(27);
	feat.xsave = l1.ecx & BIT(26);
}

static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
    {"intercept", run_intercept_checks}, {"iomsr", run_iomsr_checks}, {"state", run_state_checks},
    {"event", run_event_checks},	 {"irq", run_irq_checks},     {"gif", run_gif_checks},
    {"vmload", run_vmload_checks},	 {"npt", run_npt_checks},     {"vmrun", run_vmrun_checks},
    {"insn", run_insn_checks},		 {"bugs", run_bug_checks},
};

static bool selected(const char *name)
{
	size_t n;
	const char *v = cmdline_find(env.cmdline, "group", &n);
	return !v || (strlen(name) == n && !strncmp(v, name, n));
}

int guest_main(void)
{
	/* The BIOS may leave PIC lines unmasked: L2 with IF=1 must see only our interrupts. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	l1_traps_init();
	detect_features();
	kprintf("probe-svm at level %d on %s: CPUID 8000_000Ah EDX=%x, %u ASIDs, MAXPHYADDR %u "
		"(args '%s')\n",
		env.level,
		feat.emu == EMU_QEMU	? "QEMU"
		: feat.emu == EMU_BOCHS ? "Bochs"
					: "an unknown CPU",
		feat.svm_edx, feat.asids, feat.maxphyaddr, env.cmdline);
	if (!(cpuid(0x80000001).ecx & BIT(2))) {
		fail("svm-present", "CPUID 8000_0001h ECX bit 2 is clear");
		int st;
		report_summary(&st);
		return st;
	}
	apic_init();
	vmcb_init();

	for (unsigned i = 0; i < ARRAY_SIZE(groups); i++)
		if (selected(groups[i].name))
			groups[i].run();

	int status;
	report_summary(&status);
	return status;
}
