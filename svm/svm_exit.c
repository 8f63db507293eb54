/* Exit handling for the level's own guest on AMD-V. */
#include "kernel/console.h"
#include "kernel/pagetable.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "svm/svm.h"
#include "vmm/memview.h"

#define EXIT_PORT 0xf4

const char *svm_exit_name(u32 code)
{
	static const struct {
		u32 code;
		const char *name;
	} names[] = {
		{SVM_EXIT_INTR, "INTR"},       {SVM_EXIT_NMI, "NMI"},
		{SVM_EXIT_INIT, "INIT"},       {SVM_EXIT_VINTR, "VINTR"},
		{SVM_EXIT_RDTSC, "RDTSC"},     {SVM_EXIT_CPUID, "CPUID"},
		{SVM_EXIT_HLT, "HLT"},	       {SVM_EXIT_INVLPGA, "INVLPGA"},
		{SVM_EXIT_IOIO, "IOIO"},       {SVM_EXIT_MSR, "MSR"},
		{SVM_EXIT_SHUTDOWN, "SHUTDOWN"}, {SVM_EXIT_VMRUN, "VMRUN"},
		{SVM_EXIT_VMMCALL, "VMMCALL"}, {SVM_EXIT_VMLOAD, "VMLOAD"},
		{SVM_EXIT_VMSAVE, "VMSAVE"},   {SVM_EXIT_STGI, "STGI"},
		{SVM_EXIT_CLGI, "CLGI"},       {SVM_EXIT_SKINIT, "SKINIT"},
		{SVM_EXIT_RDTSCP, "RDTSCP"},   {SVM_EXIT_XSETBV, "XSETBV"},
		{SVM_EXIT_NPF, "NPF"},	       {SVM_EXIT_INVALID, "INVALID"},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
		return "exception";
	if (code < 0x20)
		return code < 0x10 ? "CR read" : "CR write";
	return "other";
}

static void dump_guest(const struct svm_cpu *c)
{
	const struct vmcb_save *s = &c->vmcb->save;
	const struct vmcb_control *k = &c->vmcb->control;
	kprintf("guest state: rip=%lx rsp=%lx rflags=%lx cpl=%u\n", s->rip, s->rsp, s->rflags,
		s->cpl);
	kprintf("  cr0=%lx cr2=%lx cr3=%lx cr4=%lx efer=%lx\n", s->cr0, s->cr2, s->cr3, s->cr4,
		s->efer);
	kprintf("  cs=%x/%x/%lx ss=%x ds=%x tr=%x\n", s->cs.selector, s->cs.attrib, s->cs.base,
		s->ss.selector, s->ds.selector, s->tr.selector);
	kprintf("  rax=%lx rbx=%lx rcx=%lx rdx=%lx rsi=%lx rdi=%lx\n", s->rax, c->g.rbx,
		c->g.rcx, c->g.rdx, c->g.rsi, c->g.rdi);
	kprintf("  exit code %lx (%s) info1=%lx info2=%lx intinfo=%lx\n", k->exit_code,
		svm_exit_name((u32)k->exit_code), k->exit_info1, k->exit_info2, k->exit_int_info);
}

static void inject_exception(struct svm_cpu *c, u8 vector, bool has_error, u32 error)
{
	u64 e = vector | SVM_EVT_TYPE_EXC | SVM_EVT_VALID;
	if (has_error)
		e |= SVM_EVT_ERR | ((u64)error << 32);
	c->vmcb->control.event_inj = e;
}

/*
 * Intercepted instructions without NRIP save (QEMU TCG): the ones we intercept have fixed
 * encodings (CPUID/RDMSR/WRMSR 2 bytes, the SVM instructions 3) and no prefix changes them.
 */
static void skip_instruction(struct svm_cpu *c, unsigned len)
{
	struct vmcb *v = c->vmcb;
	v->save.rip = c->nrips ? v->control.next_rip : v->save.rip + len;
	v->control.int_state &= ~1ull; /* an instruction completed: no interrupt shadow */
}

static void handle_cpuid(struct svm_cpu *c)
{
	struct cpuid_regs r;
	u32 leaf = (u32)c->g.rax, sub = (u32)c->g.rcx;
	cpuid_count(leaf, sub, &r);
	policy_cpuid(&this_level.policy, leaf, sub, c->vmcb->save.cr4, &r);
	c->g.rax = r.eax;
	c->g.rbx = r.ebx;
	c->g.rcx = r.ecx;
	c->g.rdx = r.edx;
	skip_instruction(c, 2);
}

static void handle_msr(struct svm_cpu *c)
{
	struct vmcb_save *s = &c->vmcb->save;
	u32 msr = (u32)c->g.rcx;
	bool write = c->vmcb->control.exit_info1 & 1;
	struct msr_answer a;
	if (write) {
		u64 v = (c->g.rdx << 32) | (u32)c->g.rax;
		a = policy_wrmsr(&this_level.policy, msr, v, s->efer, s->cr0);
		if (a.action == MSR_DONE && msr == MSR_EFER)
			s->efer = a.value;
		else if (a.action == MSR_HW && !wrmsr_safe(msr, a.value))
			a.action = MSR_FAULT;
	} else {
		u64 real = 0;
		bool ok = msr == MSR_EFER || rdmsr_safe(msr, &real);
		a = policy_rdmsr(&this_level.policy, msr, real, s->efer);
		if (a.action == MSR_HW && !ok)
			a.action = MSR_FAULT;
		if (a.action != MSR_FAULT) {
			c->g.rax = (u32)a.value;
			c->g.rdx = a.value >> 32;
		}
	}
	if (a.action == MSR_FAULT)
		inject_exception(c, EXC_GP, true, 0);
	else
		skip_instruction(c, 2);
}

static void handle_ioio(struct svm_cpu *c)
{
	u64 info = c->vmcb->control.exit_info1;
	u16 port = (u16)(info >> 16);
	unsigned size = (info >> SVM_IOIO_SZ_SHIFT) & 7;
	bool in = info & SVM_IOIO_IN, str = info & SVM_IOIO_STR;
	if (port >= EXIT_PORT && port < EXIT_PORT + 4 && !in && !str) {
		u32 mask = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
		vmm_guest_exit((u32)c->g.rax & mask);
	}
	/* Reads of the exit port see no device; string forms are ignored. */
	if (in && !str) {
		u64 ones = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
		c->g.rax = (size == 4 ? 0 : c->g.rax & ~ones) | ones;
	}
	c->vmcb->save.rip = c->vmcb->control.exit_info2; /* next RIP, always saved for IOIO */
}

static enum route handle_npf(struct svm_cpu *c)
{
	u64 gpa = c->vmcb->control.exit_info2;
	const struct guest_boot *gb = c->gb;
	if (gpa >= gb->map_top) {
		/* Beyond the map built at start: pass-through, like the rest (MMIO of 64-bit BARs). */
		u64 base = ALIGN_DOWN(gpa, MiB(2));
		if (pt_map(&pt_npt, &kernel_pt_mem, c->npt_root, base, base, MiB(2),
			   PT_RWX | PT_UC) == PT_OK)
			return ROUTE_HANDLED;
	}
	kprintf("unexpected nested page fault at guest-physical %lx (error %lx)\n", gpa,
		c->vmcb->control.exit_info1);
	dump_guest(c);
	end_run(STATUS_UNHANDLED_EXIT, "unhandled nested page fault");
}

enum route svm_handle_exit(struct svm_cpu *c, u32 code)
{
	switch (code) {
	case SVM_EXIT_CPUID:
		handle_cpuid(c);
		return ROUTE_HANDLED;
	case SVM_EXIT_MSR:
		handle_msr(c);
		return ROUTE_HANDLED;
	case SVM_EXIT_IOIO:
		handle_ioio(c);
		return ROUTE_HANDLED;
	case SVM_EXIT_NPF:
		return handle_npf(c);
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		/* SVM is not offered (CPUID 8000_0001h ECX.SVM clear): #UD as on such a CPU. */
		inject_exception(c, EXC_UD, false, 0);
		return ROUTE_HANDLED;
	case SVM_EXIT_SHUTDOWN:
		kprintf("guest '%s' triple fault (shutdown intercept)\n", c->gb->name);
		dump_guest(c);
		end_run(STATUS_TRIPLE_FAULT, "guest triple fault");
	case SVM_EXIT_INVALID:
		kprintf("VMRUN failed: the VMCB this level built is invalid (a bug)\n");
		dump_guest(c);
		end_run(STATUS_PANIC, "invalid vmcb01");
	default:
		kprintf("unhandled exit %x (%s)\n", code, svm_exit_name(code));
		dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled exit");
	}
}
