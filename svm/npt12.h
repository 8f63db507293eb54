/*
 * Walking L1's nested page table (NPT12) for an L2 guest-physical address, as the hardware
 * would (APM 15.25.5-15.25.10): every nested access is a user access, writes need RW at every
 * level, fetches need NX clear.  Pure: entries are read through a callback.
 */
#ifndef SVM_NPT12_H
#define SVM_NPT12_H
#include "lib/types.h"

#define NPF_P	BIT(0) /* the fault was a protection violation on a present entry */
#define NPF_RW	BIT(1) /* write access */
#define NPF_US	BIT(2) /* user access (always, for nested walks) */
#define NPF_RSV BIT(3) /* reserved bit set */
#define NPF_ID	BIT(4) /* instruction fetch */

struct npt12_walk {
	bool fault;
	u64 error;     /* NPF_* bits when fault */
	u64 l1_gpa;    /* translation when !fault */
	bool writable; /* every level allows writes */
	bool exec;     /* no level sets NX */
	int level;     /* leaf level: 1 = 4K, 2 = 2M, 3 = 1G */
	bool dirty;    /* the leaf's D bit */
	int nentries;  /* entries read, top level first ... */
	u64 entry_gpa[4]; /* ... and where (for setting A/D bits as the CPU does) */
};

#define NPT_A BIT(5) /* accessed, set by the CPU in every entry it walks */
#define NPT_D BIT(6) /* dirty, set in the leaf on a write */

/* read(ctx, gpa, &entry) returns false if the entry cannot be read (then: fault, RSV). */
typedef bool (*npt12_read_fn)(void *ctx, u64 gpa, u64 *entry);

void npt12_walk(npt12_read_fn read, void *ctx, u64 n_cr3, u64 gpa, u64 access, u8 maxphyaddr,
		bool nx_enabled, struct npt12_walk *out);

#endif
