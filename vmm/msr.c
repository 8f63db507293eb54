/* RDMSR/WRMSR of an intercepted MSR, for either vendor: the policy, then the real MSR. */
#include "kernel/x86.h"
#include "vmm/vmm.h"

enum msr_action vmm_rdmsr(u32 msr, const struct vmsrs *m, u64 *value)
{
	u64 real = 0;
	bool ok = msr == MSR_EFER || rdmsr_safe(msr, &real);
	enum msr_action a = policy_rdmsr(&this_level.policy, msr, m, real, value);
	if (a == MSR_HW) {
		*value = real;
		if (!ok)
			a = MSR_FAULT; /* the CPU has no such MSR: #GP, as it would give */
	}
	return a;
}

enum msr_action vmm_wrmsr(u32 msr, u64 value, struct vmsrs *m, u64 guest_cr0, u8 maxphyaddr)
{
	enum msr_action a = policy_wrmsr(&this_level.policy, msr, value, m, guest_cr0, maxphyaddr);
	if (a == MSR_HW && !wrmsr_safe(msr, value))
		a = MSR_FAULT;
	return a;
}

void vmm_msr_result(struct gprs *g, enum msr_action a, bool write, u64 value)
{
	if (a != MSR_FAULT && !write) {
		g->rax = (u32)value;
		g->rdx = value >> 32;
	}
}
