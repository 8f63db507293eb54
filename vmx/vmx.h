/* Intel VT-x: the level's own VMX use (vmcs01) and its exit handlers. */
#ifndef VMX_VMX_H
#define VMX_VMX_H
#include "lib/types.h"
#include "vmx/vmcs.h"
#include "vmm/vmm.h"

struct vmx_cpu {
	u64 vmxon_pa, vmcs_pa, io_bitmap_pa, msr_bitmap_pa, ept_root;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 cr0_mask, cr4_mask;
	struct gprs g;
	bool launched;
	const struct guest_boot *gb;
};

int vmx_enter(struct gprs *g, int launched);
void vmx_exit_entry(void);

enum route vmx_handle_exit(struct vmx_cpu *c, u32 reason);
const char *vmx_exit_name(u32 reason);
void vmx_dump_guest(const struct vmx_cpu *c);

#endif
