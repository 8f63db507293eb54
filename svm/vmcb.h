/* The VMCB (AMD APM vol. 2, appendix B): control area at 0, state save area at 0x400. */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H
#include "lib/types.h"

struct PACKED vmcb_seg {
	u16 selector, attrib;
	u32 limit;
	u64 base;
};

struct PACKED vmcb_control {
	u32 intercept_cr;  /* 0x000: reads 0-15, writes 16-31 */
	u32 intercept_dr;  /* 0x004 */
	u32 intercept_exc; /* 0x008 */
	u32 intercept1;	   /* 0x00c */
	u32 intercept2;	   /* 0x010 */
	u32 intercept3;	   /* 0x014 */
	u8 rsvd1[0x03c - 0x018];
	u16 pause_filter_thresh; /* 0x03c */
	u16 pause_filter_count;	 /* 0x03e */
	u64 iopm_base_pa;	 /* 0x040 */
	u64 msrpm_base_pa;	 /* 0x048 */
	u64 tsc_offset;		 /* 0x050 */
	u32 asid;		 /* 0x058 */
	u8 tlb_control;		 /* 0x05c */
	u8 rsvd2[3];
	u64 int_ctl;	   /* 0x060 */
	u64 int_state;	   /* 0x068: interrupt shadow */
	u64 exit_code;	   /* 0x070 */
	u64 exit_info1;	   /* 0x078 */
	u64 exit_info2;	   /* 0x080 */
	u64 exit_int_info; /* 0x088 */
	u64 np_control;	   /* 0x090: bit 0 = nested paging */
	u64 avic_apic_bar; /* 0x098 */
	u64 ghcb_pa;	   /* 0x0a0 */
	u64 event_inj;	   /* 0x0a8 */
	u64 n_cr3;	   /* 0x0b0 */
	u64 virt_ext;	   /* 0x0b8: LBR virt, virtual VMLOAD/VMSAVE */
	u32 clean;	   /* 0x0c0 */
	u32 rsvd3;
	u64 next_rip; /* 0x0c8 */
	u8 insn_len;  /* 0x0d0 */
	u8 insn_bytes[15];
	u8 rsvd4[0x400 - 0x0e0];
};

struct PACKED vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	u8 rsvd1[0x4cb - 0x4a0];
	u8 cpl; /* 0x4cb */
	u32 rsvd2;
	u64 efer; /* 0x4d0 */
	u8 rsvd3[0x548 - 0x4d8];
	u64 cr4, cr3, cr0, dr7, dr6, rflags, rip; /* 0x548 */
	u8 rsvd4[0x5d8 - 0x580];
	u64 rsp; /* 0x5d8 */
	u64 s_cet, ssp, isst_addr;
	u64 rax; /* 0x5f8 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2; /* 0x640 */
	u8 rsvd5[0x668 - 0x648];
	u64 g_pat;  /* 0x668 */
	u64 dbgctl; /* 0x670 */
	u64 br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
};

STATIC_ASSERT(__builtin_offsetof(struct vmcb_control, asid) == 0x58, "vmcb asid");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_control, n_cr3) == 0xb0, "vmcb n_cr3");
STATIC_ASSERT(__builtin_offsetof(struct vmcb_control, next_rip) == 0xc8, "vmcb next_rip");
STATIC_ASSERT(sizeof(struct vmcb_control) == 0x400, "vmcb control size");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "vmcb cpl");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "vmcb efer");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "vmcb cr4");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "vmcb rsp");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "vmcb rax");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "vmcb cr2");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "vmcb g_pat");

/* intercept1 (APM B.1, offset 0x0c) */
#define SVM_I1_INTR	BIT(0)
#define SVM_I1_NMI	BIT(1)
#define SVM_I1_INIT	BIT(3)
#define SVM_I1_VINTR	BIT(4)
#define SVM_I1_RDTSC	BIT(14)
#define SVM_I1_CPUID	BIT(18)
#define SVM_I1_HLT	BIT(24)
#define SVM_I1_INVLPGA	BIT(26)
#define SVM_I1_IOIO	BIT(27)
#define SVM_I1_MSR	BIT(28)
#define SVM_I1_SHUTDOWN BIT(31)
/* intercept2 (offset 0x10) */
#define SVM_I2_VMRUN   BIT(0)
#define SVM_I2_VMMCALL BIT(1)
#define SVM_I2_VMLOAD  BIT(2)
#define SVM_I2_VMSAVE  BIT(3)
#define SVM_I2_STGI    BIT(4)
#define SVM_I2_CLGI    BIT(5)
#define SVM_I2_SKINIT  BIT(6)
#define SVM_I2_RDTSCP  BIT(7)
#define SVM_I2_XSETBV  BIT(13)

/* Exit codes (APM appendix C) */
#define SVM_EXIT_EXCP_BASE 0x40
#define SVM_EXIT_INTR	   0x60
#define SVM_EXIT_NMI	   0x61
#define SVM_EXIT_INIT	   0x63
#define SVM_EXIT_VINTR	   0x64
#define SVM_EXIT_RDTSC	   0x6e
#define SVM_EXIT_CPUID	   0x72
#define SVM_EXIT_HLT	   0x78
#define SVM_EXIT_INVLPGA   0x7a
#define SVM_EXIT_IOIO	   0x7b
#define SVM_EXIT_MSR	   0x7c
#define SVM_EXIT_SHUTDOWN  0x7f
#define SVM_EXIT_VMRUN	   0x80
#define SVM_EXIT_VMMCALL   0x81
#define SVM_EXIT_VMLOAD	   0x82
#define SVM_EXIT_VMSAVE	   0x83
#define SVM_EXIT_STGI	   0x84
#define SVM_EXIT_CLGI	   0x85
#define SVM_EXIT_SKINIT	   0x86
#define SVM_EXIT_RDTSCP	   0x87
#define SVM_EXIT_XSETBV	   0x8d
#define SVM_EXIT_NPF	   0x400
#define SVM_EXIT_INVALID   0xffffffffu /* QEMU 7.2 stores 32 bits: compare the low half */

/* EVENTINJ / EXITINTINFO (APM 15.20) */
#define SVM_EVT_VALID	 BIT(31)
#define SVM_EVT_ERR	 BIT(11)
#define SVM_EVT_TYPE_EXC (3u << 8)

/* IOIO EXITINFO1 (APM 15.10.2) */
#define SVM_IOIO_IN	  BIT(0)
#define SVM_IOIO_STR	  BIT(2)
#define SVM_IOIO_REP	  BIT(3)
#define SVM_IOIO_SZ_SHIFT 4

/* CPUID 8000_000Ah EDX */
#define SVM_FEAT_NPT   BIT(0)
#define SVM_FEAT_NRIPS BIT(3)
#define SVM_FEAT_VGIF  BIT(16)
#define SVM_FEAT_V_VMSAVE_VMLOAD BIT(15)

#define VM_CR_SVMDIS BIT(4)


#endif
