/*
 * Generic 4-level radix page tables: x86-64 paging, AMD NPT (same format) and Intel EPT differ
 * only in how an entry is encoded, which a pt_format describes.  Pure logic: tables are reached
 * through pt_mem, so host tests build and walk them in ordinary memory.
 */
#ifndef KERNEL_PAGETABLE_H
#define KERNEL_PAGETABLE_H
#include "lib/types.h"

/* Format-neutral leaf attributes. */
#define PT_R	BIT(0)
#define PT_W	BIT(1)
#define PT_X	BIT(2)
#define PT_USER BIT(3)
#define PT_UC	BIT(4) /* uncacheable (MMIO); default is write-back */
#define PT_RWX	(PT_R | PT_W | PT_X)

#define PT_ADDR_MASK 0x000ffffffffff000ull

struct pt_format {
	const char *name;
	int max_leaf_level;			  /* 1 = 4 KiB only, 2 = +2 MiB, 3 = +1 GiB */
	u64 (*table)(u64 pa);			  /* entry pointing to a next-level table */
	u64 (*leaf)(u64 pa, int level, u64 attr); /* level 1 = 4K, 2 = 2M, 3 = 1G */
	bool (*present)(u64 e);
	bool (*is_leaf)(u64 e, int level);
	u64 (*attr)(u64 e, int level); /* inverse of leaf() for the attributes */
};

struct pt_mem {
	u64 (*alloc)(void *ctx); /* a zeroed page, 0 if none */
	void *(*ptr)(void *ctx, u64 pa);
	void *ctx;
	void (*free)(void *ctx, u64 pa); /* for pt_destroy; may be NULL otherwise */
};

extern const struct pt_format pt_x86;	 /* 4-level paging and AMD NPT */
extern const struct pt_format pt_x86_2m; /* same, without 1 GiB pages */
extern const struct pt_format pt_npt;	 /* AMD NPT, 2 MiB pages at most */
extern const struct pt_format pt_ept;	 /* Intel EPT */
extern const struct pt_format pt_ept_2m;

enum pt_err { PT_OK = 0, PT_NOMEM = -1, PT_OVERLAP = -2, PT_ALIGN = -3 };

/* Allocates an empty top-level table; returns its physical address or 0. */
u64 pt_new_root(const struct pt_mem *mem);
/* Maps [va, va+size) to [pa, pa+size) with the largest pages alignment allows. */
enum pt_err pt_map(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va, u64 pa,
		   u64 size, u64 attr);

/*
 * Changes the attributes of the 4 KiB page at va, splitting a large page above it into
 * smaller ones with the same attributes first.  The translation does not change.
 */
enum pt_err pt_set_attr(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va,
			u64 attr);

/* Rewrites the attributes of the leaf (of any size) that maps va; PT_OVERLAP if none. */
enum pt_err pt_set_leaf_attr(const struct pt_format *f, const struct pt_mem *mem, u64 root,
			     u64 va, u64 attr);

/* Frees every table page of the tree (not the pages it maps). */
void pt_destroy(const struct pt_format *f, const struct pt_mem *mem, u64 root);

struct pt_walk_result {
	u64 pa;	   /* translated address */
	u64 attr;  /* leaf attributes (format-neutral) */
	int level; /* leaf level: 1, 2 or 3 */
};
/* Translates va; returns false if a level is not present. */
bool pt_walk(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va,
	     struct pt_walk_result *out);

#endif
