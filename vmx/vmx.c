/*
 * The level's own use of VT-x: VMXON, one VMCS (vmcs01) for the guest in the multiboot
 * state (unrestricted guest + EPT), identity EPT minus the slice, and the run loop.
 */
#include "vmx/vmx.h"
#include "kernel/console.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "vmm/memview.h"
#include "vmx/caps.h"

#define FC_LOCK		     BIT(0)
#define FC_VMXON_OUTSIDE_SMX BIT(2)

static struct vmx_cpu cpu;

void vmwrite(u64 field, u64 value)
{
	if (!vmwrite_checked(field, value))
		panic("VMWRITE of field %lx failed (error %lu)", field,
		      vmread(VM_INSTRUCTION_ERROR));
}

static void check_support(void)
{
	if (!(cpuid(1).ecx & BIT(5)))
		fatal(STATUS_NO_FEATURE, "this CPU has no VT-x: CPUID.1:ECX bit 5 (VMX) is clear");
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FC_LOCK))
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FC_LOCK | FC_VMXON_OUTSIDE_SMX);
	else if (!(fc & FC_VMXON_OUTSIDE_SMX))
		fatal(STATUS_NO_FEATURE,
		      "VT-x is disabled by the firmware (IA32_FEATURE_CONTROL locked without "
		      "VMXON outside SMX)");
}

static u32 controls(const char *what, u32 msr, u32 true_msr, u32 want)
{
	bool true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	u32 missing;
	u32 v = vmx_adjust_controls(rdmsr(true_ctls && true_msr ? true_msr : msr), want, &missing);
	if (missing)
		fatal(STATUS_NO_FEATURE,
		      "this CPU's VT-x lacks %s controls %x that matryoshka needs", what, missing);
	return v;
}

static u32 optional_secondary(u32 want)
{
	u32 missing;
	return vmx_adjust_controls(rdmsr(MSR_VMX_PROCBASED2), want, &missing);
}

static void enable_vmx(void)
{
	cpu.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	cpu.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	cpu.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	cpu.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	/* SDM 24.8: CR0 and CR4 must respect the fixed bits in VMX operation. */
	write_cr0((read_cr0() | cpu.cr0_fixed0) & cpu.cr0_fixed1);
	write_cr4((read_cr4() | cpu.cr4_fixed0 | CR4_VMXE) & cpu.cr4_fixed1);
	u32 rev = (u32)rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffff;
	cpu.vmxon_pa = page_alloc();
	cpu.vmcs_pa = page_alloc();
	*(u32 *)phys_ptr(cpu.vmxon_pa) = rev;
	*(u32 *)phys_ptr(cpu.vmcs_pa) = rev;
	bool fail;
	__asm__ volatile("vmxon %1; setbe %0" : "=qm"(fail) : "m"(cpu.vmxon_pa) : "cc", "memory");
	if (fail)
		panic("VMXON failed");
	__asm__ volatile("vmclear %1; setbe %0" : "=qm"(fail) : "m"(cpu.vmcs_pa) : "cc", "memory");
	if (!fail)
		__asm__ volatile("vmptrld %1; setbe %0"
				 : "=qm"(fail)
				 : "m"(cpu.vmcs_pa)
				 : "cc", "memory");
	if (fail)
		panic("VMCLEAR/VMPTRLD of vmcs01 failed");
}

static void setup_controls(void)
{
	/* The secondary-control and EPT capability MSRs exist only with secondary controls
	 * (SDM A.3.3, A.10): check that first. */
	if (!(rdmsr(MSR_VMX_PROCBASED) & ((u64)CPU_SECONDARY << 32)))
		fatal(STATUS_NO_FEATURE, "this CPU's VT-x has no secondary controls (so no EPT and "
					 "no unrestricted guest)");
	u32 missing;
	vmx_adjust_controls(rdmsr(MSR_VMX_PROCBASED2), CPU2_EPT | CPU2_UNRESTRICTED, &missing);
	if (missing & CPU2_EPT)
		fatal(STATUS_NO_FEATURE, "this CPU's VT-x has no EPT");
	if (missing & CPU2_UNRESTRICTED)
		fatal(STATUS_NO_FEATURE,
		      "this CPU's VT-x has no unrestricted guest, needed to start the guest in "
		      "the multiboot state (paging off)");
	u64 ept_cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
	if (!(ept_cap & EPT_CAP_WALK4) || !(ept_cap & EPT_CAP_WB))
		fatal(STATUS_NO_FEATURE, "this CPU's EPT lacks 4-level walks or write-back tables");

	vmwrite(PIN_BASED_VM_EXEC_CONTROL,
		controls("pin-based", MSR_VMX_PINBASED, MSR_VMX_TRUE_PINBASED, 0));
	vmwrite(CPU_BASED_VM_EXEC_CONTROL,
		controls("processor-based", MSR_VMX_PROCBASED, MSR_VMX_TRUE_PROCBASED,
			 CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_SECONDARY));
	/* Instructions the guest may use natively need their enable bits, or they #UD. */
	vmwrite(SECONDARY_VM_EXEC_CONTROL,
		CPU2_EPT | CPU2_UNRESTRICTED |
		    optional_secondary(CPU2_RDTSCP | CPU2_INVPCID | CPU2_XSAVES));
	vmwrite(VM_EXIT_CONTROLS, controls("VM-exit", MSR_VMX_EXIT, MSR_VMX_TRUE_EXIT,
					   EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
					       EXIT_SAVE_PAT | EXIT_LOAD_PAT));
	vmwrite(VM_ENTRY_CONTROLS, controls("VM-entry", MSR_VMX_ENTRY, MSR_VMX_TRUE_ENTRY,
					    ENTRY_LOAD_EFER | ENTRY_LOAD_PAT));
	vmwrite(EXCEPTION_BITMAP, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO, 0);

	/* Only the exit port exits; every other port belongs to the guest. */
	cpu.io_bitmap_pa = page_alloc_run(2);
	u8 *io = phys_ptr(cpu.io_bitmap_pa);
	for (u32 p = EXIT_PORT; p < EXIT_PORT + EXIT_PORT_SIZE; p++)
		io[p / 8] |= (u8)(1u << (p % 8));
	vmwrite(IO_BITMAP_A, cpu.io_bitmap_pa);
	vmwrite(IO_BITMAP_B, cpu.io_bitmap_pa + PAGE_SIZE);
	cpu.msr_bitmap_pa = page_alloc();
	for (int i = 0; i < policy_n_intercepted_msrs_intel; i++)
		vmx_msr_bitmap_set(phys_ptr(cpu.msr_bitmap_pa), policy_intercepted_msrs_intel[i],
				   true, true);
	vmwrite(MSR_BITMAP, cpu.msr_bitmap_pa);

	const struct pt_format *f = (ept_cap & EPT_CAP_2M) ? &pt_ept_2m : &pt_ept;
	cpu.ept_root = memview_build(f, &kernel_pt_mem, &cpu.gb->map, cpu.gb->slice_start,
				     cpu.gb->slice_end, this_level.sink_pa, cpu.gb->map_top);
	if (!cpu.ept_root)
		fatal(STATUS_NO_MEMORY, "no memory left for the guest's EPT");
	vmwrite(EPT_POINTER, cpu.ept_root | (3 << 3) | 6); /* 4-level walk, write-back */

	/* CR0.NE and CR4.VMXE are fixed to 1 in VMX operation: the guest sees its own values
	 * through the read shadows; bits the CPU cannot hold are masked too (SDM 25.6.6). */
	cpu.cr0_mask = (cpu.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | (~cpu.cr0_fixed1 & 0xffffffffull);
	cpu.cr4_mask = cpu.cr4_fixed0 | (~cpu.cr4_fixed1 & 0xffffffffull);
	vmwrite(CR0_GUEST_HOST_MASK, cpu.cr0_mask);
	vmwrite(CR4_GUEST_HOST_MASK, cpu.cr4_mask);
}

static void setup_host_state(void)
{
	struct descriptor_ptr gdt, idt;
	sgdt(&gdt);
	sidt(&idt);
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, GDT_KERNEL_CS);
	vmwrite(HOST_SS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_DS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_ES_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_FS_SELECTOR, 0);
	vmwrite(HOST_GS_SELECTOR, 0);
	vmwrite(HOST_TR_SELECTOR, GDT_TSS);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, 0);
	u64 *gdt_entries = (u64 *)gdt.base;
	u64 tss_lo = gdt_entries[GDT_TSS / 8], tss_hi = gdt_entries[GDT_TSS / 8 + 1];
	u64 tss_base =
	    ((tss_lo >> 16) & 0xffffff) | (((tss_lo >> 56) & 0xff) << 24) | (tss_hi << 32);
	vmwrite(HOST_TR_BASE, tss_base);
	vmwrite(HOST_GDTR_BASE, gdt.base);
	vmwrite(HOST_IDTR_BASE, idt.base);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmwrite(HOST_RIP, (u64)vmx_exit_entry);
}

#define AR_CODE32     0xc09b /* type 0xb, S, P, D/B, G (SDM 25.4.1) */
#define AR_DATA32     0xc093
#define AR_TSS32_BUSY 0x008b
#define AR_UNUSABLE   BIT(16)

static void guest_seg(u32 sel_field, u16 sel, u32 ar)
{
	/* selector, limit, AR and base fields are at fixed offsets per segment */
	u32 i = (sel_field - GUEST_ES_SELECTOR) / 2;
	vmwrite(sel_field, sel);
	vmwrite(GUEST_ES_LIMIT + 2 * i, ar & AR_UNUSABLE ? 0 : 0xffffffff);
	vmwrite(GUEST_ES_AR_BYTES + 2 * i, ar);
	vmwrite(GUEST_ES_BASE + 2 * i, 0);
}

/* The multiboot machine state (Multiboot 0.6.96 section 3.2). */
static void setup_guest_state(const struct guest_boot *gb)
{
	guest_seg(GUEST_ES_SELECTOR, 0x10, AR_DATA32);
	guest_seg(GUEST_CS_SELECTOR, 0x08, AR_CODE32);
	guest_seg(GUEST_SS_SELECTOR, 0x10, AR_DATA32);
	guest_seg(GUEST_DS_SELECTOR, 0x10, AR_DATA32);
	guest_seg(GUEST_FS_SELECTOR, 0x10, AR_DATA32);
	guest_seg(GUEST_GS_SELECTOR, 0x10, AR_DATA32);
	guest_seg(GUEST_LDTR_SELECTOR, 0, AR_UNUSABLE);
	guest_seg(GUEST_TR_SELECTOR, 0, AR_TSS32_BUSY);
	vmwrite(GUEST_TR_LIMIT, 0x67);
	vmwrite(GUEST_GDTR_BASE, 0);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0x3ff);
	u64 cr0 = CR0_PE | CR0_ET;
	vmwrite(GUEST_CR0, (cr0 | cpu.cr0_fixed0 | CR0_NE) & ~(CR0_PG)&cpu.cr0_fixed1);
	vmwrite(CR0_READ_SHADOW, cr0);
	vmwrite(GUEST_CR3, 0);
	vmwrite(GUEST_CR4, cpu.cr4_fixed0 | CR4_VMXE);
	vmwrite(CR4_READ_SHADOW, 0);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_RSP, 0);
	vmwrite(GUEST_RIP, gb->entry);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmwrite(GUEST_IA32_EFER, 0);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ull);
	cpu.g.rax = 0x2badb002;
	cpu.g.rbx = gb->mbi;
}

/*
 * Devices belong to the guest, so an NMI that arrives while this level handles an exit (it
 * then goes through this level's IDT, kernel/trap.c) is the guest's: inject it at the next
 * entry unless an event is already being injected or the guest blocks NMIs (SDM 26.3.1.5);
 * then it waits for a later entry.  Returns the NMI count accounted for.
 */
static u64 deliver_host_nmis(u64 seen)
{
	u64 now = nmi_count();
	if (now == seen)
		return seen;
	if ((vmread(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) ||
	    (vmread(GUEST_INTERRUPTIBILITY_INFO) & (BIT(1) | BIT(3))))
		return seen; /* blocked by MOV SS or NMI blocking: try again next time */
	vmwrite(VM_ENTRY_INTR_INFO, EXC_NMI | (2u << 8) | INTR_INFO_VALID);
	return seen + 1;
}

static void print_counters(void)
{
	counters_print(&this_level.counters, vmx_exit_name, kprintf);
	vmm_print_slice_use();
}

void vmx_main(struct guest_boot *gb)
{
	check_support();
	cpu.gb = gb;
	enable_vmx();
	setup_controls();
	setup_host_state();
	setup_guest_state(gb);
	set_end_run_hook(print_counters);
	kprintf("VT-x: EPT, unrestricted guest; entering guest '%s' at %lx\n", gb->name, gb->entry);
	u64 nmis_seen = nmi_count();
	for (;;) {
		nmis_seen = deliver_host_nmis(nmis_seen);
		int err = vmx_enter(&cpu.g, cpu.launched);
		u64 t = rdtsc();
		if (err) {
			kprintf("VM entry failed: %s, VM-instruction error %lu\n",
				err == 1 ? "VMfailInvalid" : "VMfailValid",
				vmread(VM_INSTRUCTION_ERROR));
			vmx_dump_guest(&cpu);
			end_run(STATUS_PANIC, "vmcs01 entry failed");
		}
		cpu.launched = true;
		u32 reason = (u32)vmread(VM_EXIT_REASON);
		enum route route = vmx_handle_exit(&cpu, reason);
		counters_add(&this_level.counters, this_level.level + 1, reason & 0xffff, route,
			     rdtsc() - t);
		if (this_level.opt.trace)
			kprintf("exit from L%d: %s (%u) qualification=%lx -> %s\n",
				this_level.level + 1, vmx_exit_name(reason), reason & 0xffff,
				vmread(EXIT_QUALIFICATION), route_name(route));
	}
}
