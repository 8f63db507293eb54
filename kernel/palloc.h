/*
 * Physical page allocator over the level's slice.  Free pages form a list threaded through
 * the pages themselves; fresh pages come from bump ranges.  Pure logic over a `ptr` accessor
 * (identity in the kernel, malloc'd memory in host tests).
 */
#ifndef KERNEL_PALLOC_H
#define KERNEL_PALLOC_H
#include "lib/types.h"

#define PALLOC_MAX_RANGES 8

struct palloc {
	void *(*ptr)(void *ctx, u64 pa);
	void *ctx;
	u64 free_head; /* 0 = empty */
	int nranges;
	struct {
		u64 next, end;
	} range[PALLOC_MAX_RANGES];
	u64 free_pages, used_pages;
};

void palloc_init(struct palloc *a, void *(*ptr)(void *ctx, u64 pa), void *ctx);
/* Adds the whole pages of [base, end). Returns false if out of range slots. */
bool palloc_add_range(struct palloc *a, u64 base, u64 end);
/* Returns a zeroed page's physical address, or 0 if none is left. */
u64 palloc_alloc(struct palloc *a);
void palloc_free(struct palloc *a, u64 pa);
/* Returns n physically contiguous zeroed pages (from a fresh range), or 0. */
u64 palloc_alloc_run(struct palloc *a, u64 n);

/* The kernel's allocator (identity-mapped slice). */
extern struct palloc kernel_pages;
u64 page_alloc(void); /* ends the run when the slice is exhausted */
u64 page_alloc_run(u64 n);
void *phys_ptr(u64 pa);

#endif
