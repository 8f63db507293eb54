/*
 * The guest's view of physical memory (DESIGN section 1): identity-mapped everywhere except
 * this level's slice, whose pages all map to one sink page (the guest reads and writes only
 * the sink, never the level's memory).  Pure over pt_format/pt_mem.
 */
#ifndef VMM_MEMVIEW_H
#define VMM_MEMVIEW_H
#include "lib/types.h"
#include "kernel/memmap.h"
#include "kernel/pagetable.h"

/* Returns the root of a new table, or 0 if memory ran out. */
u64 memview_build(const struct pt_format *f, const struct pt_mem *mem, const struct memmap *host,
		  u64 slice_start, u64 slice_end, u64 sink_pa, u64 top);

/* Attributes for a guest-physical page outside the slice: RAM is write-back, the rest UC. */
u64 memview_attr(const struct memmap *host, u64 gpa);

#endif
