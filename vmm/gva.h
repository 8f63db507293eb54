/*
 * Guest linear -> guest-physical translation through the guest's own page tables, as the CPU
 * walks them for a supervisor read or an instruction fetch (Intel SDM vol. 3A chapter 4, AMD
 * APM vol. 2 chapter 5), in every paging mode: paging off, 32-bit (4 MiB pages with CR4.PSE),
 * PAE, 4-level and 5-level long mode.  Translation only: no permission checks (the caller asks
 * about an access the guest already made) and no accessed/dirty updates.  Pure: guest memory is
 * read through a callback, so host tests walk synthetic tables.
 */
#ifndef VMM_GVA_H
#define VMM_GVA_H
#include "lib/types.h"

/* Reads len bytes of guest-physical memory at gpa into buf; false if it cannot. */
typedef bool (*gpa_read_fn)(void *ctx, u64 gpa, void *buf, unsigned len);

/* The guest's paging state. */
struct gva_paging {
	u64 cr0, cr3, cr4, efer;
	u8 maxphyaddr; /* physical-address width the guest sees; 0 (or not 32..51) means 52 */
};

enum gva_status {
	GVA_OK = 0,
	GVA_NOT_PRESENT,  /* a paging-structure entry has P clear */
	GVA_RESERVED,	  /* an entry sets a reserved bit */
	GVA_READ_FAILED,  /* the callback could not read an entry */
	GVA_NONCANONICAL, /* long mode: the address is not canonical */
};

enum gva_status gva_translate(const struct gva_paging *pg, gpa_read_fn read, void *ctx, u64 la,
			      u64 *gpa);

/*
 * Reads len bytes at linear address la, translating each page separately.  Returns how many
 * bytes were read: len, or fewer if a page does not translate or cannot be read.
 */
unsigned gva_read(const struct gva_paging *pg, gpa_read_fn read, void *ctx, u64 la, void *buf,
		  unsigned len);

#endif
