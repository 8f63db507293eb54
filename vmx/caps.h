/* VMX capability MSRs and control adjustment (SDM appendix A). Pure. */
#ifndef VMX_CAPS_H
#define VMX_CAPS_H
#include "lib/types.h"

#define MSR_VMX_PINBASED       0x481
#define MSR_VMX_PROCBASED      0x482
#define MSR_VMX_EXIT	       0x483
#define MSR_VMX_ENTRY	       0x484
#define MSR_VMX_MISC	       0x485
#define MSR_VMX_CR0_FIXED0     0x486
#define MSR_VMX_CR0_FIXED1     0x487
#define MSR_VMX_CR4_FIXED0     0x488
#define MSR_VMX_CR4_FIXED1     0x489
#define MSR_VMX_PROCBASED2     0x48b
#define MSR_VMX_EPT_VPID_CAP   0x48c
#define MSR_VMX_TRUE_PINBASED  0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT      0x48f
#define MSR_VMX_TRUE_ENTRY     0x490

#define VMX_BASIC_TRUE_CTLS BIT(55)
#define EPT_CAP_WALK4	    BIT(6)
#define EPT_CAP_WB	    BIT(14)
#define EPT_CAP_2M	    BIT(16)

/*
 * Control value from a capability MSR (low half: bits that must be 1; high half: bits that
 * may be 1): wanted bits plus the required ones.  *missing gets the wanted bits not allowed.
 */
u32 vmx_adjust_controls(u64 cap, u32 want, u32 *missing);

/* MSR bitmap (SDM 25.6.9): read low/high at 0/1024, write low/high at 2048/3072. */
void vmx_msr_bitmap_set(u8 *bitmap, u32 msr, bool read, bool write);
bool vmx_msr_bitmap_intercepts(const u8 *bitmap, u32 msr, bool write);

#endif
