/*
 * A normalized physical memory map: sorted, non-overlapping ranges, each with a multiboot
 * type (1 = usable RAM).  Pure logic: host tests drive it directly.
 */
#ifndef KERNEL_MEMMAP_H
#define KERNEL_MEMMAP_H
#include "lib/types.h"
#include "kernel/multiboot.h"

#define MEMMAP_MAX 64

struct mem_range {
	u64 base, end; /* [base, end) */
	u32 type;
};

struct memmap {
	int n;
	struct mem_range r[MEMMAP_MAX];
};

/*
 * Builds a normalized map from raw multiboot entries: overlaps are resolved in favour of the
 * more restrictive (non-RAM) type, RAM is shrunk to whole pages, empty ranges are dropped.
 * Returns false if there are more distinct ranges than MEMMAP_MAX.
 */
bool memmap_from_multiboot(struct memmap *m, const u8 *entries, u32 length);
bool memmap_add(struct memmap *m, u64 base, u64 end, u32 type);
/* Removes [base, end) from the map, whatever its type. */
void memmap_remove(struct memmap *m, u64 base, u64 end);
/* End of the highest usable RAM range (0 if none). */
u64 memmap_ram_top(const struct memmap *m);
/* True if [base, end) lies entirely in usable RAM. */
bool memmap_is_ram(const struct memmap *m, u64 base, u64 end);
/* Serializes as multiboot mmap entries; returns bytes written or 0 if it does not fit. */
u32 memmap_to_multiboot(const struct memmap *m, u8 *out, u32 space);

/*
 * The slice a level keeps for itself: `size` bytes at the top of the highest RAM range, start
 * rounded down to 2 MiB so the guest's map can use large pages below it.  Returns false if
 * that range is too small.
 */
bool memmap_choose_slice(const struct memmap *m, u64 size, u64 *start, u64 *end);
/*
 * The same among the RAM below `limit`.  A level keeps its slice below 4 GiB: its boot page
 * tables reach only that far, and a multiboot guest must be loaded there anyway.
 */
bool memmap_choose_slice_below(const struct memmap *m, u64 size, u64 limit, u64 *start,
			       u64 *end);

#endif
