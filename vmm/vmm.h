/* What the vendor back ends share: the level, its options, its counters, the guest's GPRs. */
#ifndef VMM_VMM_H
#define VMM_VMM_H
#include "lib/types.h"
#include "kernel/cmdline.h"
#include "vmm/counters.h"
#include "vmm/cpuid_cache.h"
#include "vmm/nest.h"
#include "vmm/policy.h"

/* General-purpose registers the hardware does not save; layout fixed for svm/vmx assembly. */
struct gprs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct level {
	int level;
	enum vendor vendor;
	struct options opt;
	struct guest_policy policy;
	struct counters counters;
	u64 sink_pa; /* the page every slice address of the guest maps to */
	struct cpuid_cache cpuid;
};

/* The CPU's answer for a leaf, from the cache when possible (no exit when nested). */
void vmm_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r);

extern struct level this_level;

NORETURN void svm_main(struct guest_boot *gb);
NORETURN void vmx_main(struct guest_boot *gb);

/* Shared helpers for the vendor exit handlers. */
/* A write to the exit port: print the counters and end the run with the guest's status. */
NORETURN void vmm_guest_exit(u32 status);
/* The run-ending port every level intercepts (QEMU's isa-debug-exit, 4 bytes). */
#define EXIT_PORT 0xf4
#define EXIT_PORT_SIZE 4
/* End of run: how much of the slice the level used. */
void vmm_print_slice_use(void);
/* An intercepted I/O instruction on the exit port (size in bytes). */
void vmm_exit_port_io(struct gprs *g, u16 port, unsigned size, bool in, bool str);
/* RDMSR/WRMSR of an intercepted MSR (vmm/msr.c): MSR_FAULT means inject #GP(0). */
enum msr_action vmm_rdmsr(u32 msr, const struct vmsrs *m, u64 *value);
enum msr_action vmm_wrmsr(u32 msr, u64 value, struct vmsrs *m, u64 guest_cr0, u8 maxphyaddr);
/* Puts a successful RDMSR's value in EDX:EAX. */
void vmm_msr_result(struct gprs *g, enum msr_action a, bool write, u64 value);
/* Page-table memory from the level's slice. */
extern const struct pt_mem kernel_pt_mem;

#endif
