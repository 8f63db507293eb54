/*
 * The nest protocol (DESIGN section 1): the first module is the guest, the others are handed
 * down with their command lines, the guest gets the memory map minus this level's slice.
 */
#ifndef VMM_NEST_H
#define VMM_NEST_H
#include "lib/types.h"
#include "kernel/bootinfo.h"
#include "kernel/loader.h"

struct guest_boot {
	u64 entry;	   /* EIP in the multiboot machine state */
	u64 mbi;	   /* EBX */
	struct memmap map; /* what the guest is told */
	u64 slice_start;   /* this level's slice: never mapped for the guest */
	u64 slice_end;
	u64 map_top;	  /* the guest's physical address space is identity-mapped up to here */
	const char *name; /* the guest's image name, for messages */
};

/* Where everything goes in guest memory; computed without touching memory. */
struct nest_layout {
	struct load_plan image;
	u64 mod_dst[BOOT_MAX_MODULES]; /* modules 1..n, page aligned */
	u64 info_pa;		       /* multiboot information block */
	u64 info_size;
};

/* Bytes of the information block for these modules and map. */
u64 nest_info_size(const struct boot_info *bi, const struct memmap *guest_map);

/*
 * Plans the guest's memory: the image where its header says, then modules 1..n, then the
 * information block, all inside guest RAM and below `limit` (where the staged copies sit).
 * Returns NULL or a message.
 */
const char *nest_plan(const struct boot_info *bi, const struct memmap *guest_map, const u8 *image,
		      u64 image_size, u64 limit, struct nest_layout *out);

/*
 * Writes the multiboot information block for the guest into buf, which the guest will see at
 * info_pa.  Module i >= 1 of bi becomes the guest's module i-1 at mod_dst[i].
 */
void nest_write_info(u8 *buf, const struct nest_layout *l, const struct boot_info *bi,
		     const struct memmap *guest_map);

/* Kernel side: stage the modules, load the guest and fill in gb. Ends the run on error. */
void nest_prepare(struct boot_info *bi, u64 slice_start, u64 slice_end, struct guest_boot *gb);

#endif
