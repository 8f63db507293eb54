/* Exit handling shared by L1 and L2 (whichever runs on the current VMCB), and L1's own. */
#include "kernel/console.h"
#include "kernel/pagetable.h"
#include "kernel/panic.h"
#include "kernel/x86.h"
#include "svm/nextrip.h"
#include "svm/svm.h"
#include "vmm/memview.h"


const char *svm_exit_name(u32 code)
{
	static const struct {
		u32 code;
		const char *name;
	} names[] = {
	    {SVM_EXIT_INTR, "INTR"},	     {SVM_EXIT_NMI, "NMI"},
	    {SVM_EXIT_INIT, "INIT"},	     {SVM_EXIT_VINTR, "VINTR"},
	    {SVM_EXIT_RDTSC, "RDTSC"},	     {SVM_EXIT_CPUID, "CPUID"},
	    {SVM_EXIT_HLT, "HLT"},	     {SVM_EXIT_INVLPGA, "INVLPGA"},
	    {SVM_EXIT_IOIO, "IOIO"},	     {SVM_EXIT_MSR, "MSR"},
	    {SVM_EXIT_SHUTDOWN, "SHUTDOWN"}, {SVM_EXIT_VMRUN, "VMRUN"},
	    {SVM_EXIT_VMMCALL, "VMMCALL"},   {SVM_EXIT_VMLOAD, "VMLOAD"},
	    {SVM_EXIT_VMSAVE, "VMSAVE"},     {SVM_EXIT_STGI, "STGI"},
	    {SVM_EXIT_CLGI, "CLGI"},	     {SVM_EXIT_SKINIT, "SKINIT"},
	    {SVM_EXIT_RDTSCP, "RDTSCP"},     {SVM_EXIT_XSETBV, "XSETBV"},
	    {SVM_EXIT_NPF, "NPF"},	     {SVM_EXIT_INVALID, "INVALID"},
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

void svm_dump_guest(const struct svm_cpu *c)
{
	const struct vmcb_save *s = &c->cur->save;
	const struct vmcb_control *k = &c->cur->control;
	kprintf("guest state (%s): rip=%lx rsp=%lx rflags=%lx cpl=%u\n",
		c->n.in_l2 ? "L2 on vmcb02" : "L1 on vmcb01", s->rip, s->rsp, s->rflags, s->cpl);
	kprintf("  cr0=%lx cr2=%lx cr3=%lx cr4=%lx efer=%lx\n", s->cr0, s->cr2, s->cr3, s->cr4,
		s->efer);
	kprintf("  cs=%x/%x/%lx ss=%x ds=%x tr=%x\n", s->cs.selector, s->cs.attrib, s->cs.base,
		s->ss.selector, s->ds.selector, s->tr.selector);
	kprintf("  rax=%lx rbx=%lx rcx=%lx rdx=%lx rsi=%lx rdi=%lx\n", s->rax, c->g.rbx, c->g.rcx,
		c->g.rdx, c->g.rsi, c->g.rdi);
	kprintf("  exit code %lx (%s) info1=%lx info2=%lx intinfo=%lx\n", k->exit_code,
		svm_exit_name((u32)k->exit_code), k->exit_info1, k->exit_info2, k->exit_int_info);
}

void svm_inject_exception(struct svm_cpu *c, u8 vector, bool has_error, u32 error)
{
	/* An exception this level raises in L2 acting as L1's CPU goes through L1's exception
	 * intercepts first, as one the hardware raised would (APM 15.12). */
	if (c->n.in_l2 && (c->n.v12->control.intercept_exc & BIT(vector))) {
		svm_reflect_exception(c, vector, error);
		return;
	}
	u64 e = vector | SVM_EVT_TYPE_EXC | SVM_EVT_VALID;
	if (has_error)
		e |= SVM_EVT_ERR | ((u64)error << 32);
	c->cur->control.event_inj = e;
}

/*
 * Completes an intercepted instruction.  Without NRIP save (QEMU TCG) the instruction is
 * decoded at the guest's RIP (prefixes change lengths: 66 0F A2 is a 3-byte CPUID); the
 * fixed length is the fallback if its bytes cannot be read.
 */
void svm_skip_instruction(struct svm_cpu *c, u32 code)
{
	struct vmcb *v = c->cur;
	u64 next = c->nrips ? v->control.next_rip : 0;
	if (!next)
		next = nextrip_compute(&v->save, svm_read_guest_phys, c);
	if (!next && svm_fixed_insn_len(code))
		next = v->save.rip + svm_fixed_insn_len(code);
	if (!next)
		panic("cannot find the end of the instruction of exit %x at %lx", code, v->save.rip);
	v->save.rip = next;
	v->control.int_state &= ~1ull; /* an instruction completed: no interrupt shadow */
}

void svm_handle_cpuid(struct svm_cpu *c)
{
	struct cpuid_regs r;
	u32 leaf = (u32)c->g.rax, sub = (u32)c->g.rcx;
	vmm_cpuid(leaf, sub, &r);
	policy_cpuid(&this_level.policy, leaf, sub, c->cur->save.cr4, &r);
	c->g.rax = r.eax;
	c->g.rbx = r.ebx;
	c->g.rcx = r.ecx;
	c->g.rdx = r.edx;
	svm_skip_instruction(c, SVM_EXIT_CPUID);
}

/* The current guest's virtual EFER.SVME (the hardware copy always has it set). */
static bool cur_svme(const struct svm_cpu *c)
{
	return c->n.in_l2 ? c->n.l2_svme : (c->msrs.efer & EFER_SVME);
}

/* The MSRs are virtualized per context: EFER lives in the VMCB (SVME virtual), VM_CR and
 * VM_HSAVE_PA belong to the one virtual CPU. */
void svm_handle_msr(struct svm_cpu *c)
{
	struct vmcb_save *s = &c->cur->save;
	u32 msr = (u32)c->g.rcx;
	bool write = c->cur->control.exit_info1 & 1;
	bool svme = cur_svme(c);
	struct vmsrs m = c->msrs;
	m.efer = (s->efer & ~EFER_SVME) | (svme ? EFER_SVME : 0);
	u64 value = (c->g.rdx << 32) | (u32)c->g.rax;
	enum msr_action a = write ? vmm_wrmsr(msr, value, &m, s->cr0, c->offer.maxphyaddr)
				  : vmm_rdmsr(msr, &m, &value);
	if (write && a == MSR_DONE) {
		s->efer = m.efer | EFER_SVME; /* VMRUN requires SVME in the hardware copy */
		if (c->n.in_l2)
			c->n.l2_svme = m.efer & EFER_SVME;
		else
			c->msrs.efer = m.efer;
		c->msrs.vm_cr = m.vm_cr;
		c->msrs.hsave_pa = m.hsave_pa;
	}
	vmm_msr_result(&c->g, a, write, value);
	if (a == MSR_FAULT)
		svm_inject_exception(c, EXC_GP, true, 0);
	else
		svm_skip_instruction(c, SVM_EXIT_MSR);
}

void svm_handle_ioio(struct svm_cpu *c)
{
	u64 info = c->cur->control.exit_info1;
	u16 port = (u16)(info >> 16);
	unsigned size = (info >> SVM_IOIO_SZ_SHIFT) & 7;
	vmm_exit_port_io(&c->g, port, size, info & SVM_IOIO_IN, info & SVM_IOIO_STR);
	c->cur->save.rip = c->cur->control.exit_info2; /* next RIP, always saved for IOIO */
}

/*
 * A nested page fault on this level's own map (NPT01): a write to L1's write-protected
 * IOPM/MSRPM (the cached copy is dropped and the write retried), or the area beyond the map.
 */
bool svm_handle_npf01(struct svm_cpu *c, u64 info1, u64 gpa)
{
	const struct guest_boot *gb = c->gb;
	if ((info1 & 3) == 3 && mapcache_written(c, ALIGN_DOWN(gpa, PAGE_SIZE), PAGE_SIZE))
		return true;
	if (gpa < gb->map_top)
		return false;
	/* Beyond the map built at start: pass-through, like the rest (MMIO of 64-bit BARs). */
	u64 base = ALIGN_DOWN(gpa, MiB(2));
	return pt_map(&pt_npt, &kernel_pt_mem, c->npt_root, base, base, MiB(2), PT_RWX | PT_UC) ==
	       PT_OK;
}

bool svm_handle_common(struct svm_cpu *c, u32 code)
{
	if (code == SVM_EXIT_CPUID)
		svm_handle_cpuid(c);
	else if (code == SVM_EXIT_MSR)
		svm_handle_msr(c);
	else if (code == SVM_EXIT_IOIO)
		svm_handle_ioio(c);
	else
		return false;
	return true;
}

bool svm_insn_permitted(struct svm_cpu *c)
{
	/* APM 15.5: SVM instructions need EFER.SVME (#UD) and CPL 0 (#GP). */
	bool svme = cur_svme(c);
	if (!svme)
		svm_inject_exception(c, EXC_UD, false, 0);
	else if (c->cur->save.cpl)
		svm_inject_exception(c, EXC_GP, true, 0);
	return svme && !c->cur->save.cpl;
}

/* Exits of L1 (running on vmcb01). */
enum route svm_handle_exit(struct svm_cpu *c, u32 code)
{
	struct vmcb *v = c->cur;
	if (svm_handle_common(c, code))
		return ROUTE_HANDLED;
	switch (code) {
	case SVM_EXIT_NPF:
		if (svm_handle_npf01(c, v->control.exit_info1, v->control.exit_info2))
			return ROUTE_HANDLED;
		kprintf("unexpected nested page fault at guest-physical %lx (error %lx)\n",
			v->control.exit_info2, v->control.exit_info1);
		svm_dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled nested page fault");
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_INVLPGA:
		if (!svm_insn_permitted(c)) {
			/* #UD or #GP injected */
		} else if (code == SVM_EXIT_VMRUN) {
			svm_emulate_vmrun(c);
		} else if (code == SVM_EXIT_VMLOAD || code == SVM_EXIT_VMSAVE) {
			svm_emulate_vmload_vmsave(c, code == SVM_EXIT_VMLOAD, v->save.rax);
		} else if (code == SVM_EXIT_STGI || code == SVM_EXIT_CLGI) {
			svm_emulate_gif(c, code == SVM_EXIT_STGI);
			svm_skip_instruction(c, code);
		} else { /* INVLPGA: L2's translations live in the NPT02 shadows: drop them */
			for (int i = 0; i < NPT02_SHADOWS; i++)
				if (c->n.shadows.s[i].asid12 == (u32)c->g.rcx)
					npt02_drop(&c->n.shadows.s[i]);
			svm_skip_instruction(c, code);
		}
		return ROUTE_HANDLED;
	case SVM_EXIT_VMMCALL:
	case SVM_EXIT_SKINIT:
		/* No hypercalls; SKINIT (secure init) is not offered. */
		svm_inject_exception(c, EXC_UD, false, 0);
		return ROUTE_HANDLED;
	case SVM_EXIT_NMI:
		/* Only intercepted while L1's GIF is clear: take it here, deliver it later. */
		svm_hold_nmi(c);
		return ROUTE_HANDLED;
	case SVM_EXIT_SHUTDOWN:
		kprintf("guest '%s' triple fault (shutdown intercept)\n", c->gb->name);
		svm_dump_guest(c);
		end_run(STATUS_TRIPLE_FAULT, "guest triple fault");
	case SVM_EXIT_INVALID:
		kprintf("VMRUN failed: the VMCB this level built is invalid (a bug)\n");
		svm_dump_guest(c);
		end_run(STATUS_PANIC, "invalid vmcb01");
	default:
		kprintf("unhandled exit %x (%s)\n", code, svm_exit_name(code));
		svm_dump_guest(c);
		end_run(STATUS_UNHANDLED_EXIT, "unhandled exit");
	}
}
