/* AMD-V: the level's own SVM use (vmcb01) and its exit handlers. */
#ifndef SVM_SVM_H
#define SVM_SVM_H
#include "lib/types.h"
#include "svm/vmcb.h"
#include "vmm/vmm.h"

struct svm_cpu {
	struct vmcb *vmcb; /* vmcb01 */
	u64 vmcb_pa, hsave_pa, iopm_pa, msrpm_pa, npt_root;
	struct gprs g;
	bool nrips;
	u32 asids;
	const struct guest_boot *gb;
};

void svm_run(u64 vmcb_pa, struct gprs *g);
void svm_vmload(u64 pa);
void svm_vmsave(u64 pa);

enum route svm_handle_exit(struct svm_cpu *c, u32 code);
const char *svm_exit_name(u32 code);

#endif
