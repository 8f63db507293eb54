/*
 * NPT02: the tables L2 really runs on, composed lazily from L1's NPT12 and this level's map
 * (DESIGN section 3).  A few shadows are kept, one per (nested CR3, L1 ASID), each with its own
 * hardware ASID, so an L1 that switches between its guests does not rebuild them each time.
 * A shadow is dropped when L1 asks for a TLB flush, on INVLPGA, or when it is evicted.
 */
#ifndef SVM_NPT02_H
#define SVM_NPT02_H
#include "lib/types.h"
#include "vmm/counters.h"

#define NPT02_SHADOWS	 4
#define NPT02_NO_NPT	 (~0ull) /* key for an L2 that runs without nested paging */
#define NPT02_FIRST_ASID 2	 /* ASID 1 is L1's */

struct npt02 {
	u64 n_cr3;   /* L1's nested CR3 (guest-physical) */
	u32 asid12;  /* L1's ASID for L2 */
	u32 hw_asid; /* the ASID this level gives the shadow */
	u64 root;    /* 0 until the first fault fills it */
	bool used;
	bool needs_flush; /* its TLB entries may be stale */
	u64 last_use;
};

struct npt02_set {
	struct npt02 s[NPT02_SHADOWS];
	u64 tick;
};

struct svm_cpu;
void npt02_init(struct npt02_set *set);
struct npt02 *npt02_get(struct npt02_set *set, u64 n_cr3, u32 asid12);
void npt02_drop(struct npt02 *s);
/* Handles an NPF of L2: fills NPT02 or reflects the fault to L1. */
enum route npt02_fault(struct svm_cpu *c, u64 info1, u64 gpa);
/* L2 guest-physical -> L1 guest-physical through NPT12 (if L1 uses nested paging). */
bool npt02_l1_gpa(struct svm_cpu *c, u64 l2_gpa, u64 *l1_gpa);
/* The same for an access of L2 (write or read); on a fault it is reflected to L1. */
bool npt02_translate(struct svm_cpu *c, u64 l2_gpa, bool write, u64 *l1_gpa);

#endif
