/*
 * NextRIP for an intercepted guest instruction, computed in software: L0 offers NRIP save to
 * its guest hypervisor even where the CPU (QEMU TCG) does not save it, so for a reflected exit
 * whose instruction length varies (APM vol. 2 15.7.1, table 15-7) it fetches the instruction at
 * CS:RIP through the guest's paging and decodes its length.  Pure: guest-physical memory (the
 * guest's page tables and code) is read through a callback.
 */
#ifndef SVM_NEXTRIP_H
#define SVM_NEXTRIP_H
#include "lib/types.h"
#include "svm/vmcb.h"
#include "vmm/gva.h"

/*
 * The address after the instruction at save->cs.base + save->rip, for a guest in the state
 * save describes (CR0, CR3, CR4, EFER, CS attributes, RIP); 0 if it cannot tell (a page of the
 * instruction does not translate or cannot be read, or the bytes do not decode).
 */
u64 nextrip_compute(const struct vmcb_save *save, gpa_read_fn read, void *ctx);

#endif
