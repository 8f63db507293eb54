/* AMD-V: the level's own SVM use (vmcb01), the virtual SVM it offers, and exit handling. */
#ifndef SVM_SVM_H
#define SVM_SVM_H
#include "lib/types.h"
#include "svm/nested.h"
#include "svm/mapcache.h"
#include "svm/npt02.h"
#include "svm/vmcb.h"
#include "vmm/vmm.h"

/* The virtual SVM state of the guest's CPU (what L1 programs). */
struct svm_nested {
	bool in_l2;	  /* the last entry used vmcb02 */
	bool gif;	  /* L1's global interrupt flag when emulated (no hardware vGIF) */
	bool l2_svme;	  /* L2's virtual EFER.SVME */
	u64 vmcb12_pa;	  /* guest-physical address given to VMRUN */
	struct vmcb *v12; /* L0-owned copy of vmcb12: checked once, used only as copied */
	const u8 *iopm12;  /* copies of L1's permission maps for the routing rule */
	const u8 *msrpm12;
	struct vmcb *v02; /* vmcb02 */
	u64 v02_pa, iopm02_pa, msrpm02_pa;
	struct npt02_set shadows; /* NPT12 composed with this level's map */
	struct svm_mapcache maps; /* L1's IOPM/MSRPM copies, kept while unchanged */
	bool flush_l2;		  /* NPT01 changed: flush the TLB at the next entry into L2 */
	struct npt02 *cur_shadow; /* the one vmcb02 uses now */
	u64 scratch_pa;		  /* a VMCB page for emulated VMLOAD/VMSAVE */
	bool nmi_pending;	  /* an NMI arrived while L1's GIF was clear */
	bool vgif_hw; /* L2\'s vGIF runs on the CPU\'s vGIF (no STGI/CLGI exits) */
};

struct svm_cpu {
	struct vmcb *vmcb; /* vmcb01 */
	u64 vmcb_pa, hsave_pa, iopm_pa, msrpm_pa, npt_root;
	struct vmcb *cur; /* the VMCB the next VMRUN uses (vmcb01 or vmcb02) */
	u64 cur_pa;
	struct gprs g;
	bool nrips, hw_vgif, hw_vvmload;
	u32 asids;
	struct vmsrs msrs; /* L1's view of EFER (SVME), VM_CR, VM_HSAVE_PA */
	struct svm_offer offer;
	struct svm_nested n;
	const struct guest_boot *gb;
};

void svm_run(u64 vmcb_pa, struct gprs *g, bool host_if);
void svm_vmload(u64 pa);
void svm_vmsave(u64 pa);

/* Exit handling: the level's own (svm_exit.c) and the nested paths (nested.c). */
enum route svm_handle_exit(struct svm_cpu *c, u32 code);
enum route svm_nested_exit(struct svm_cpu *c, u32 code);
const char *svm_exit_name(u32 code);
void svm_dump_guest(const struct svm_cpu *c);
void svm_inject_exception(struct svm_cpu *c, u8 vector, bool has_error, u32 error);
void svm_skip_instruction(struct svm_cpu *c, u32 code);

/* Instructions of the virtual SVM (nested.c), executed by the current guest. */
void svm_emulate_vmrun(struct svm_cpu *c);
void svm_emulate_vmload_vmsave(struct svm_cpu *c, bool load, u64 gpa);
void svm_emulate_gif(struct svm_cpu *c, bool set);
void svm_nested_init(struct svm_cpu *c);
void svm_hold_nmi(struct svm_cpu *c);
bool svm_l1_gif(const struct svm_cpu *c);
void svm_reflect_npf(struct svm_cpu *c, u64 info1, u64 gpa);
void svm_reflect_exception(struct svm_cpu *c, u8 vector, u32 error);
/* Reads the current guest's physical memory (a gpa_read_fn for vmm/gva.h; ctx = svm_cpu). */
bool svm_read_guest_phys(void *ctx, u64 gpa, void *buf, unsigned len);

/* Shared by the exit handlers of both levels. */
bool svm_handle_common(struct svm_cpu *c, u32 code); /* CPUID, MSR, IOIO */
bool svm_insn_permitted(struct svm_cpu *c);	     /* else #UD/#GP injected */
void svm_handle_cpuid(struct svm_cpu *c);
void svm_handle_msr(struct svm_cpu *c);
void svm_handle_ioio(struct svm_cpu *c);
bool svm_handle_npf01(struct svm_cpu *c, u64 info1, u64 gpa);

#endif
