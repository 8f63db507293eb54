/*
 * Multiboot v1 image parsing (Multiboot 0.6.96 section 3.1): turns an image file into a load
 * plan (what to copy where, what to zero, where to enter).  Supports the a.out kludge and
 * ELF32/ELF64 PT_LOAD segments.  Pure: it only reads the bytes it is given.
 */
#ifndef KERNEL_LOADER_H
#define KERNEL_LOADER_H
#include "lib/types.h"

#define LOAD_MAX_SEGS 8

struct load_seg {
	u64 file_off; /* where the bytes start in the image */
	u64 dst;      /* physical destination */
	u64 filesz;   /* bytes copied */
	u64 memsz;    /* filesz plus zeroed tail */
};

struct load_plan {
	int nsegs;
	struct load_seg seg[LOAD_MAX_SEGS];
	u64 entry;
	u64 lowest, highest; /* [lowest, highest) covers every segment */
	bool aout_kludge;
};

/* Returns NULL on success or a message saying exactly what is wrong with the image. */
const char *loader_parse(const u8 *img, u64 size, struct load_plan *plan);

#endif
