/*
 * The level's own use of AMD-V: one guest (L1) on vmcb01, identity NPT minus the slice, and
 * the exits DESIGN section 1 lists.  Decisions come from vmm/policy.c and svm/bitmaps.c.
 */
#include "svm/svm.h"
#include "kernel/console.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "svm/bitmaps.h"
#include "vmm/guestmem.h"
#include "vmm/memview.h"

static struct svm_cpu cpu;

static void check_support(void)
{
	if (!(cpuid(0x80000001).ecx & BIT(2)))
		fatal(STATUS_NO_FEATURE,
		      "this CPU has no AMD-V: CPUID 8000_0001h ECX bit 2 (SVM) is clear");
	u64 vm_cr;
	if (rdmsr_safe(MSR_VM_CR, &vm_cr) && (vm_cr & VM_CR_SVMDIS))
		fatal(STATUS_NO_FEATURE, "AMD-V is disabled by the firmware (VM_CR.SVMDIS is set)");
	struct cpuid_regs f = cpuid(0x8000000a);
	if (!(f.edx & SVM_FEAT_NPT))
		fatal(STATUS_NO_FEATURE,
		      "this CPU has no nested paging: CPUID 8000_000Ah EDX bit 0 (NPT) is clear");
	cpu.nrips = f.edx & SVM_FEAT_NRIPS;
	cpu.hw_vgif = f.edx & SVM_FEAT_VGIF;
	cpu.hw_vvmload = f.edx & SVM_FEAT_V_VMSAVE_VMLOAD;
	cpu.asids = f.ebx;
	kprintf("AMD-V: SVM rev %u, %u ASIDs, NPT, NRIP save %s, vGIF %s\n", f.eax & 0xff, f.ebx,
		cpu.nrips ? "yes" : "no", (f.edx & SVM_FEAT_VGIF) ? "yes" : "no");
}

/* 32-bit flat segment attributes in the VMCB's compressed form (APM 15.5.1). */
#define ATTR_CODE32	0xc9b /* type 0xb, S, P, D, G */
#define ATTR_DATA32	0xc93 /* type 0x3, S, P, D, G */
#define ATTR_TSS32_BUSY 0x08b
#define ATTR_LDT	0x082

static void set_seg(struct vmcb_seg *s, u16 sel, u16 attrib, u32 limit)
{
	*s = (struct vmcb_seg){sel, attrib, limit, 0};
}

/* The multiboot machine state (Multiboot 0.6.96 section 3.2). */
static void init_guest_state(struct vmcb_save *s, const struct guest_boot *gb)
{
	set_seg(&s->cs, 0x08, ATTR_CODE32, 0xffffffff);
	set_seg(&s->ds, 0x10, ATTR_DATA32, 0xffffffff);
	s->es = s->ss = s->fs = s->gs = s->ds;
	set_seg(&s->tr, 0, ATTR_TSS32_BUSY, 0x67);
	set_seg(&s->ldtr, 0, ATTR_LDT, 0);
	set_seg(&s->gdtr, 0, 0, 0xffff);
	set_seg(&s->idtr, 0, 0, 0x3ff);
	s->cpl = 0;
	s->efer = EFER_SVME; /* required by VMRUN; the guest's own SVME is virtual (msrs.efer) */
	s->cr0 = CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 0x2;
	s->rip = gb->entry;
	s->rsp = 0;
	s->rax = 0x2badb002;
	s->g_pat = 0x0007040600070406ull;
	cpu.g.rbx = gb->mbi;
}

static void init_vmcb(const struct guest_boot *gb)
{
	struct vmcb_control *c = &cpu.vmcb->control;
	c->intercept1 = SVM_I1_CPUID | SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN | SVM_I1_INVLPGA;
	/* VMRUN must be intercepted (APM 15.5.1); the virtual SVM emulates the others. */
	c->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
			SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT;
	c->iopm_base_pa = cpu.iopm_pa;
	c->msrpm_base_pa = cpu.msrpm_pa;
	c->asid = 1;
	c->tlb_control = 1; /* flush everything on the first VMRUN */
	c->np_control = 1;
	c->n_cr3 = cpu.npt_root;
	init_guest_state(&cpu.vmcb->save, gb);
}

static void watch_l1_writes(u64 gpa, u64 len)
{
	mapcache_written(&cpu, gpa, len);
}

static void print_counters(void)
{
	if (cpu.n.maps.reads + cpu.n.maps.hits)
		kprintf("IOPM/MSRPM of L%d at its VMRUNs: %lu read, %lu reused\n",
			this_level.level + 1, cpu.n.maps.reads, cpu.n.maps.hits);
	counters_print(&this_level.counters, svm_exit_name, kprintf);
	vmm_print_slice_use();
}

void svm_main(struct guest_boot *gb)
{
	check_support();
	cpu.gb = gb;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	cpu.hsave_pa = page_alloc();
	wrmsr(MSR_VM_HSAVE_PA, cpu.hsave_pa);
	cpu.vmcb_pa = page_alloc();
	cpu.vmcb = phys_ptr(cpu.vmcb_pa);
	cpu.iopm_pa = page_alloc_run(SVM_IOPM_SIZE / PAGE_SIZE);
	cpu.msrpm_pa = page_alloc_run(SVM_MSRPM_SIZE / PAGE_SIZE);
	iopm_set(phys_ptr(cpu.iopm_pa), EXIT_PORT, EXIT_PORT_SIZE);
	for (int i = 0; i < policy_n_intercepted_msrs_amd; i++)
		msrpm_set(phys_ptr(cpu.msrpm_pa), policy_intercepted_msrs_amd[i], true, true);
	cpu.npt_root = memview_build(&pt_npt, &kernel_pt_mem, &gb->map, gb->slice_start,
				     gb->slice_end, this_level.sink_pa, gb->map_top);
	if (!cpu.npt_root)
		fatal(STATUS_NO_MEMORY, "no memory left for the guest's nested page table");
	init_vmcb(gb);
	svm_nested_init(&cpu);
	gpa_write_watch = watch_l1_writes;
	cpu.cur = cpu.vmcb;
	cpu.cur_pa = cpu.vmcb_pa;
	set_end_run_hook(print_counters);
	kprintf("entering guest '%s' at %lx (AMD-V, NPT)\n", gb->name, gb->entry);

	/* FS, GS, TR, LDTR and the SYSCALL MSRs are loaded once and then left to the guest. */
	svm_vmload(cpu.vmcb_pa);
	for (;;) {
		struct vmcb *v = cpu.cur;
		bool host_if = cpu.n.in_l2 && (v->control.int_ctl & V_INTR_MASKING) &&
			       (cpu.vmcb->save.rflags & RFLAGS_IF);
		svm_run(cpu.cur_pa, &cpu.g, host_if);
		u64 t = rdtsc();
		cpu.g.rax = v->save.rax;
		u32 code = (u32)v->control.exit_code;
		u64 pending = v->control.exit_int_info;
		v->control.tlb_control = 0;
		v->control.event_inj = 0; /* delivered, or now in EXITINTINFO */
		int source = this_level.level + (cpu.n.in_l2 ? 2 : 1);
		enum route route =
		    cpu.n.in_l2 ? svm_nested_exit(&cpu, code) : svm_handle_exit(&cpu, code);
		/* An event whose delivery this exit interrupted is delivered again when the same
		 * guest resumes (APM 15.7.2); a reflected exit hands it to L1 in EXITINTINFO. */
		if (cpu.cur == v && route == ROUTE_HANDLED && (pending & SVM_EVT_VALID) &&
		    !(v->control.event_inj & SVM_EVT_VALID)) {
			svm_reinject(v, pending);
			if (this_level.opt.trace)
				kprintf("  re-injecting %lx (was %lx) int_ctl %lx\n",
					v->control.event_inj, pending, v->control.int_ctl);
		}
		cpu.cur->save.rax = cpu.g.rax;
		counters_add(&this_level.counters, source, code, route, rdtsc() - t);
		if (this_level.opt.trace)
			kprintf("exit from L%d: %s (%x) info1=%lx info2=%lx -> %s%s\n", source,
				svm_exit_name(code), code, v->control.exit_info1,
				v->control.exit_info2, route_name(route),
				route == ROUTE_REFLECTED ? " to the guest hypervisor" : "");
	}
}
