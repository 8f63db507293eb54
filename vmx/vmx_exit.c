/* Exit handling for the level's own guest on VT-x. */
#include "kernel/console.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "vmm/memview.h"
#include "vmx/vmx.h"


const char *vmx_exit_name(u32 reason)
{
	static const char *const names[] = {
	    [0] = "exception/NMI",
	    [1] = "external int",
	    [2] = "triple fault",
	    [3] = "INIT",
	    [4] = "SIPI",
	    [7] = "interrupt window",
	    [8] = "NMI window",
	    [9] = "task switch",
	    [10] = "CPUID",
	    [11] = "GETSEC",
	    [12] = "HLT",
	    [13] = "INVD",
	    [14] = "INVLPG",
	    [15] = "RDPMC",
	    [16] = "RDTSC",
	    [18] = "VMCALL",
	    [19] = "VMCLEAR",
	    [20] = "VMLAUNCH",
	    [21] = "VMPTRLD",
	    [22] = "VMPTRST",
	    [23] = "VMREAD",
	    [24] = "VMRESUME",
	    [25] = "VMWRITE",
	    [26] = "VMXOFF",
	    [27] = "VMXON",
	    [28] = "CR access",
	    [29] = "MOV DR",
	    [30] = "I/O",
	    [31] = "RDMSR",
	    [32] = "WRMSR",
	    [33] = "invalid guest state",
	    [34] = "MSR loading",
	    [36] = "MWAIT",
	    [37] = "MTF",
	    [39] = "MONITOR",
	    [40] = "PAUSE",
	    [48] = "EPT violation",
	    [49] = "EPT misconfig",
	    [50] = "INVEPT",
	    [51] = "RDTSCP",
	    [52] = "preemption timer",
	    [53] = "INVVPID",
	    [54] = "WBINVD",
	    [55] = "XSETBV",
	    [59] = "VMFUNC",
	};
	reason &= 0xffff;
	return reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "other";
}

void vmx_dump_guest(const struct vmx_cpu *c)
{
	kprintf("guest state: rip=%lx rsp=%lx rflags=%lx\n", vmread(GUEST_RIP), vmread(GUEST_RSP),
		vmread(GUEST_RFLAGS));
	kprintf("  cr0=%lx (shadow %lx) cr3=%lx cr4=%lx (shadow %lx) efer=%lx\n", vmread(GUEST_CR0),
		vmread(CR0_READ_SHADOW), vmread(GUEST_CR3), vmread(GUEST_CR4),
		vmread(CR4_READ_SHADOW), vmread(GUEST_IA32_EFER));
	kprintf("  cs=%lx ar=%lx ss=%lx ds=%lx tr=%lx entry-ctls=%lx\n", vmread(GUEST_CS_SELECTOR),
		vmread(GUEST_CS_AR_BYTES), vmread(GUEST_SS_SELECTOR), vmread(GUEST_DS_SELECTOR),
		vmread(GUEST_TR_SELECTOR), vmread(VM_ENTRY_CONTROLS));
	kprintf("  rax=%lx rbx=%lx rcx=%lx rdx=%lx rsi=%lx rdi=%lx\n", c->g.rax, c->g.rbx, c->g.rcx,
		c->g.rdx, c->g.rsi, c->g.rdi);
	kprintf("  exit reason %lx (%s) qualification %lx gpa %lx idt-vectoring %lx\n",
		vmread(VM_EXIT_REASON), vmx_exit_name((u32)vmread(VM_EXIT_REASON)),
		vmread(EXIT_QUALIFICATION), vmread(GUEST_PHYSICAL_ADDRESS),
		vmread(IDT_VECTORING_INFO));
}

static void inject_exception(u8 vector, bool has_error, u32 error)
{
	u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;
	if (has_error) {
		info |= INTR_INFO_ERROR;
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmwrite(VM_ENTRY_INTR_INFO, info);
}

static void skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN));
	/* An instruction completed: blocking by STI / MOV SS ends (SDM 25.4.2). */
	u64 intr = vmread(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & 3)
		vmwrite(GUEST_INTERRUPTIBILITY_INFO, intr & ~3ull);
}

static u64 *gpr(struct vmx_cpu *c, unsigned n)
{
	/* SDM table 28-3 order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
	static const u8 map[16] = {0, 2, 3, 1, 0xff, 6, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14};
	return &((u64 *)&c->g)[map[n & 15]];
}

static u64 read_gpr(struct vmx_cpu *c, unsigned n)
{
	return (n & 15) == 4 ? vmread(GUEST_RSP) : *gpr(c, n);
}

static void write_gpr(struct vmx_cpu *c, unsigned n, u64 v)
{
	if ((n & 15) == 4)
		vmwrite(GUEST_RSP, v);
	else
		*gpr(c, n) = v;
}

static void handle_cpuid(struct vmx_cpu *c)
{
	struct cpuid_regs r;
	u32 leaf = (u32)c->g.rax, sub = (u32)c->g.rcx;
	vmm_cpuid(leaf, sub, &r);
	u64 cr4 = (vmread(GUEST_CR4) & ~c->cr4_mask) | (vmread(CR4_READ_SHADOW) & c->cr4_mask);
	policy_cpuid(&this_level.policy, leaf, sub, cr4, &r);
	c->g.rax = r.eax;
	c->g.rbx = r.ebx;
	c->g.rcx = r.ecx;
	c->g.rdx = r.edx;
	skip_instruction();
}

static void handle_msr(struct vmx_cpu *c, bool write)
{
	u32 msr = (u32)c->g.rcx;
	/* EFER is not intercepted on VT-x (it lives in the VMCS); nothing else is virtual yet. */
	struct vmsrs m = {vmread(GUEST_IA32_EFER), 0, 0};
	u64 value = (c->g.rdx << 32) | (u32)c->g.rax;
	enum msr_action a =
	    write ? vmm_wrmsr(msr, value, &m, vmread(GUEST_CR0), 52) : vmm_rdmsr(msr, &m, &value);
	vmm_msr_result(&c->g, a, write, value);
	if (a == MSR_FAULT)
		inject_exception(EXC_GP, true, 0);
	else
		skip_instruction();
}

static void handle_io(struct vmx_cpu *c)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned size = (unsigned)(q & 7) + 1;
	vmm_exit_port_io(&c->g, (u16)(q >> 16), size, q & BIT(3), q & BIT(4));
	skip_instruction();
}

/* PAE paging without long mode takes its PDPTEs from the VMCS when EPT is on (SDM 27.3.2.4). */
static void load_pdptes(struct vmx_cpu *c, u64 cr3)
{
	u64 pa = cr3 & 0xffffffe0ull;
	for (int i = 0; i < 4; i++) {
		u64 e = ~0ull; /* the slice reads as the sink's fill */
		u64 at = pa + 8 * (u64)i;
		if (at < c->gb->slice_start || at >= c->gb->slice_end)
			e = *(u64 *)phys_ptr(at);
		vmwrite(GUEST_PDPTE0 + 2 * i, e);
	}
}

static bool pae_legacy(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

static bool emulate_cr0(struct vmx_cpu *c, u64 v)
{
	u64 old = vmread(GUEST_CR0), efer = vmread(GUEST_IA32_EFER), cr4 = vmread(GUEST_CR4);
	/* SDM 2.5 / 9.8: reserved bits, PG without PE, NW without CD are #GP. */
	if ((v >> 32) || ((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		return false;
	u64 entry = vmread(VM_ENTRY_CONTROLS);
	if (!(old & CR0_PG) && (v & CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & CR4_PAE))
			return false;
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E;
	} else if ((old & CR0_PG) && !(v & CR0_PG) && (efer & EFER_LMA)) {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E;
	}
	u64 actual = (v | (c->cr0_fixed0 & ~(CR0_PE | CR0_PG))) & c->cr0_fixed1;
	vmwrite(GUEST_CR0, actual);
	vmwrite(CR0_READ_SHADOW, v);
	vmwrite(GUEST_IA32_EFER, efer);
	vmwrite(VM_ENTRY_CONTROLS, entry);
	if (pae_legacy(actual, cr4, efer))
		load_pdptes(c, vmread(GUEST_CR3));
	return true;
}

static bool emulate_cr4(struct vmx_cpu *c, u64 v)
{
	/* VMX is not offered: CR4.VMXE is reserved for the guest, as are bits the CPU lacks. */
	if ((v & CR4_VMXE) || (v & ~(c->cr4_fixed1 & ~CR4_VMXE)))
		return false;
	/* SDM 2.5 / MOV CR4: PAE cannot be cleared in IA-32e mode; PCIDE needs IA-32e mode and
	 * CR3[11:0] = 0.  Checked here because a state the CPU would refuse must never reach the
	 * VMCS (VM entry would fail). */
	u64 efer = vmread(GUEST_IA32_EFER);
	if ((efer & EFER_LMA) && !(v & CR4_PAE))
		return false;
	if ((v & CR4_PCIDE) && (!(efer & EFER_LMA) || (vmread(GUEST_CR3) & 0xfff)))
		return false;
	u64 actual = v | c->cr4_fixed0;
	vmwrite(GUEST_CR4, actual);
	vmwrite(CR4_READ_SHADOW, v);
	if (pae_legacy(vmread(GUEST_CR0), actual, vmread(GUEST_IA32_EFER)))
		load_pdptes(c, vmread(GUEST_CR3));
	return true;
}

static void handle_cr(struct vmx_cpu *c)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	bool ok = true;
	if (type == 0) { /* MOV to CR */
		u64 v = read_gpr(c, reg);
		if (cr == 0)
			ok = emulate_cr0(c, v);
		else if (cr == 4)
			ok = emulate_cr4(c, v);
		else if (cr == 3) {
			vmwrite(GUEST_CR3, v);
			if (pae_legacy(vmread(GUEST_CR0), vmread(GUEST_CR4),
				       vmread(GUEST_IA32_EFER)))
				load_pdptes(c, v);
		} else if (cr == 8)
			__asm__ volatile("mov %0, %%cr8" ::"r"(v));
	} else if (type == 1) { /* MOV from CR */
		u64 v = 0;
		if (cr == 3)
			v = vmread(GUEST_CR3);
		else if (cr == 8)
			__asm__ volatile("mov %%cr8, %0" : "=r"(v));
		write_gpr(c, reg, v);
	} else if (type == 3) { /* LMSW: only PE, MP, EM, TS; cannot clear PE */
		u64 shadow = vmread(CR0_READ_SHADOW), src = (q >> 16) & 0xf;
		ok = emulate_cr0(c, (shadow & ~0xeull) | src | (shadow & CR0_PE));
	} else { /* CLTS */
		ok = emulate_cr0(c, vmread(CR0_READ_SHADOW) & ~BIT(3));
	}
	if (ok)
		skip_instruction();
	else
		inject_exception(EXC_GP, true, 0);
}

static void handle_xsetbv(struct vmx_cpu *c)
{
	u32 index = (u32)c->g.rcx;
	u64 v = (c->g.rdx << 32) | (u32)c->g.rax;
	struct cpuid_regs x;
	cpuid_count(0xd, 0, &x);
	u64 supported = ((u64)x.edx << 32) | x.eax;
	/* SDM XSETBV: XCR0 only, x87 always on, AVX needs SSE, only supported bits. */
	if (index != 0 || !(v & 1) || (v & ~supported) || ((v & 4) && !(v & 2))) {
		inject_exception(EXC_GP, true, 0);
		return;
	}
	__asm__ volatile("xsetbv" ::"c"(index), "a"((u32)v), "d"((u32)(v >> 32)));
	skip_instruction();
}

static enum route handle_ept_violation(struct vmx_cpu *c)
{
	u64 gpa = vmread(GUEST_PHYSICAL_ADDRESS);
	if (gpa >= c->gb->map_top) {
		u64 base = ALIGN_DOWN(gpa, MiB(2));
		if (pt_map(&pt_ept_2m, &kernel_pt_mem, c->ept_root, base, base, MiB(2),
			   PT_RWX | PT_UC) == PT_OK)
			return ROUTE_HANDLED;
	}
	kprintf("unexpected EPT violation at guest-physical %lx\n", gpa);
	vmx_dump_guest(c);
	end_run(STATUS_UNHANDLED_EXIT, "unhandled EPT violation");
}

enum route vmx_handle_exit(struct vmx_cpu *c, u32 reason)
{
	if (reason & EXIT_REASON_FAILED_ENTRY) {
		kprintf("VM entry failed with exit reason %x (%s)\n", reason & 0xffff,
			vmx_exit_name(reason));
		vmx_dump_guest(c);
		end_run(STATUS_PANIC, "vmcs01 entry failed");
	}
	switch (reason & 0xffff) {
	case EXIT_REASON_CPUID:
		handle_cpuid(c);
		return ROUTE_HANDLED;
	case EXIT_REASON_RDMSR:
	case EXIT_REASON_WRMSR:
		handle_msr(c, (reason & 0xffff) == EXIT_REASON_WRMSR);
		return ROUTE_HANDLED;
	case EXIT_REASON_IO:
		handle_io(c);
		return ROUTE_HANDLED;
	case EXIT_REASON_CR_ACCESS:
		handle_cr(c);
		return ROUTE_HANDLED;
	case EXIT_REASON_XSETBV:
		handle_xsetbv(c);
		return ROUTE_HANDLED;
	case EXIT_REASON_INVD:
		__asm__ volatile("wbinvd");
		skip_instruction();
		return ROUTE_HANDLED;
	case EXIT_REASON_EPT_VIOLATION:
		return handle_ept_violation(c);
	case EXIT_REASON_GETSEC:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMXOFF:
	case EXIT_REASON_VMXON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
		/* VMX is not offered (CPUID.1:ECX.VMX clear): #UD as on such a CPU. */
		inject_exception(EXC_UD, false, 0);
		return ROUTE_HANDLED;
	case EXIT_REASON_TRIPLE_FAULT:
		kprintf("guest '%s' triple fault\n", c->gb->name);
		vmx_dump_guest(c);
		end_run(STATUS_TRIPLE_FAULT, "guest triple fault");
	case EXIT_REASON_EPT_MISCONFIG:
		kprintf("EPT misconfiguration at %lx (a bug in this level)\n",
			vmread(GUEST_PHYSICAL_ADDRESS));
		vmx_dump_guest(c);
		end_run(STATUS_PANIC, "EPT misconfiguration");
	default:
		kprintf("unhandled exit %u (%s)\n", reason & 0xffff, vmx_exit_name(reason));
		vmx_dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled exit");
	}
}
