/*
 * The bug classes of DESIGN section 4 seen from L1: control bits of features the CPU does
 * not offer change nothing, features are honoured exactly as CPUID says, the VMCB is read
 * once at VMRUN and #VMEXIT writes only its own fields, and L2 (through an identity NPT up to
 * ram=SIZE) never sees a byte of a lower level's slice.
 */
#include "guests/probe-svm/probe.h"

static void unoffered_bits(void)
{
	/* AVIC enable (int_ctl bit 31) without AVIC: L2 runs as usual. */
	if (feat.svm_edx & BIT(13)) {
		skip("unoffered-avic-bit-ignored", "AVIC is offered");
	} else {
		vmcb_reset(l2_state_in, false);
		vmcb->control.int_ctl |= AVIC_ENABLE;
		expect("unoffered-avic-bit-ignored", "exit code", SVM_EXIT_VMMCALL, run_l2());
	}
	/* vNMI (int_ctl bits 11 and 26) without vNMI: no NMI reaches L2. */
	if (feat.svm_edx & BIT(25)) {
		skip("unoffered-vnmi-bits-ignored", "vNMI is offered");
	} else {
		vmcb_reset(l2_loop_rcx, false);
		vmcb->control.int_ctl |= BIT(11) | BIT(26);
		vmcb->save.rflags |= RFLAGS_IF;
		l2r.rcx = 1000;
		struct ck c;
		ck_begin(&c, "unoffered-vnmi-bits-ignored");
		ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, run_l2());
		ck_eq(&c, "L2 events", 0, l2_ev.count);
		ck_done(&c);
	}
	/* LBR virtualization bit: offered or not, L2 runs as usual. */
	vmcb_reset(l2_state_in, false);
	vmcb->control.virt_ext |= VIRT_EXT_LBR;
	expect("virt-ext-lbr-bit-l2-runs", "exit code", SVM_EXIT_VMMCALL, run_l2());
	/* Virtual VMLOAD/VMSAVE bit without nested paging: no effect on an L2 that does not
	 * use VMLOAD/VMSAVE. */
	vmcb_reset(l2_state_in, false);
	vmcb->control.virt_ext |= VIRT_EXT_VMSAVE_VMLOAD;
	expect("virt-ext-vmload-bit-without-npt-l2-runs", "exit code", SVM_EXIT_VMMCALL, run_l2());

	/* Pause filter: honoured exactly when CPUID offers it (8000_000Ah EDX[10]). */
	vmcb_reset(l2_pause2, false);
	vmcb->control.intercept1 |= I1_PAUSE;
	vmcb->control.pause_filter_count = 5;
	u32 want = feat.pause_filter ? SVM_EXIT_VMMCALL : 0x77;
	expect("pause-filter-count-as-cpuid-says", "exit code", want, run_l2());
}

/* Runs in L2: rewrites L1's VMCB (intercepts, a VMLOAD field), then executes CPUID. */
static u64 l2_touch_vmcb(u64 unused)
{
	(void)unused;
	vmcb->control.intercept1 |= SVM_I1_CPUID;
	vmcb->save.star = 0x5151515151515151ull;
	struct cpuid_regs r = cpuid(0);
	return r.eax;
}

static void vmcb_once(void)
{
	vmcb_reset(l2_call, false);
	vmcb->save.rax = (u64)(uintptr_t)l2_touch_vmcb;
	u32 code = run_l2();
	struct ck c;
	ck_begin(&c, "vmcb-controls-read-once-at-vmrun");
	ck_eq(&c, "exit code (CPUID intercept written by L2 must not apply)", SVM_EXIT_VMMCALL,
	      code);
	ck_done(&c);
	ck_begin(&c, "vmexit-writes-only-its-fields");
	ck_eq(&c, "intercept1 as L2 left it", SVM_I1_CPUID,
	      vmcb->control.intercept1 & SVM_I1_CPUID);
	ck_eq(&c, "STAR field as L2 left it", 0x5151515151515151ull, vmcb->save.star);
	ck_done(&c);
}

/* ---- lower levels' slices ---- */
#define PROBE_TAG 0x5a5a000000000000ull
#define SINK_FILL 0xffffffffffffffffull

struct slice_job {
	u64 lo, hi, pages, foreign, first_bad_pa, first_bad_word;
};
static struct slice_job job;

static bool listed(u64 pa)
{
	for (int i = 0; i < env.map.n; i++)
		if (pa >= env.map.r[i].base && pa < env.map.r[i].end)
			return true;
	return false;
}

/* Runs in L2: reads then tags every unlisted page in [lo, hi). */
static u64 l2_slice_scan(u64 arg)
{
	struct slice_job *j = (struct slice_job *)(uintptr_t)arg;
	for (u64 pa = j->lo; pa < j->hi; pa += PAGE_SIZE) {
		if (listed(pa))
			continue;
		volatile u64 *p = (volatile u64 *)(uintptr_t)pa;
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
			u64 w = p[i], own = w & ~PROBE_TAG;
			bool ok = w == SINK_FILL ||
				  ((w & PROBE_TAG) == PROBE_TAG && own >= j->lo && own < j->hi);
			if (!ok && j->foreign++ == 0) {
				j->first_bad_pa = pa + i * 8;
				j->first_bad_word = w;
			}
		}
		for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
			p[i] = PROBE_TAG | (pa + i * 8);
		j->pages++;
	}
	return j->pages;
}

static void slice_probe(void)
{
	u64 ram = arg_u64("ram", 0);
	if (!ram) {
		skip("l2-sees-no-lower-slice", "needs ram=SIZE");
		return;
	}
	if (!env.have_map || ram > GiB(4) || !feat.npt) {
		skip("l2-sees-no-lower-slice", "needs a memory map, NPT and ram <= 4G");
		return;
	}
	job = (struct slice_job){memmap_ram_top(&env.map), ram, 0, 0, 0, 0};
	vmcb_reset(l2_call, true);
	vmcb->save.rax = (u64)(uintptr_t)l2_slice_scan;
	l2r.rbx = (u64)(uintptr_t)&job;
	u32 code = run_l2();
	kprintf("probe-svm: L2 probed %lu pages in %lx-%lx, %lu foreign words\n", job.pages, job.lo,
		job.hi, job.foreign);
	struct ck c;
	ck_begin(&c, "l2-sees-no-lower-slice");
	ck_eq(&c, "exit code", SVM_EXIT_VMMCALL, code);
	ck_eq(&c, "foreign words", 0, job.foreign);
	if (job.foreign)
		ck_eq(&c, "first foreign word (at the address below)", SINK_FILL,
		      job.first_bad_word);
	if (job.foreign)
		ck_eq(&c, "its address", 0, job.first_bad_pa);
	ck_done(&c);
}

void run_bug_checks(void)
{
	unoffered_bits();
	vmcb_once();
	slice_probe();
}
