/*
 * vmcb02's permission maps.  L1's IOPM and MSRPM (20 KiB) would have to be read at every
 * VMRUN, which is most of the cost of a reflected exit.  Instead a few copies are kept, one
 * per map L1 uses (an L1 running several guests has several), each with its merged version
 * (L1's bits plus this level's, DESIGN rule 4).  A copy stays valid while L1 cannot have
 * changed the map: its pages are write-protected in L1's nested page table, and a write by L1
 * (or by this level on L1's behalf) drops the copy and the protection.  If a map page is ever
 * mapped for L2 (whose writes bypass NPT01), copies are not trusted any more.
 */
#ifndef SVM_MAPCACHE_H
#define SVM_MAPCACHE_H
#include "lib/types.h"

enum { MAP_IOPM, MAP_MSRPM, MAP_COUNT };
#define MAPCACHE_WAYS 4

struct map_slot {
	u64 gpa;       /* page-aligned base of L1's map, or ~0 when free */
	u8 *copy;      /* L1's map as read (for the routing rule) */
	u64 merged_pa; /* what vmcb02 points to */
	bool tracked;  /* its pages are write-protected in NPT01 */
	u64 last_use;
};

struct svm_mapcache {
	struct map_slot slot[MAP_COUNT][MAPCACHE_WAYS];
	u64 l0_only_pa[MAP_COUNT]; /* this level's bits alone, for an L1 that does not intercept */
	bool exposed;		   /* a map page is reachable by L2 through an NPT02 shadow */
	u64 tick, reads, hits;
};

struct svm_cpu;
void mapcache_init(struct svm_cpu *c);
/*
 * The merged map for vmcb02 (physical address) for L1's map at base, or for no L1 map when
 * !l1_uses; *l1_copy gets L1's map as read (NULL when !l1_uses).  0 if it cannot be read.
 */
u64 mapcache_get(struct svm_cpu *c, int map, bool l1_uses, u64 base, const u8 **l1_copy);
/* A write of L1 memory at [gpa, gpa+len): drops the copies it touches.  True if it did. */
bool mapcache_written(struct svm_cpu *c, u64 gpa, u64 len);
/* An NPT02 shadow maps L1's [gpa, gpa+len) for L2. */
void mapcache_mapped_for_l2(struct svm_cpu *c, u64 gpa, u64 len);

#endif
