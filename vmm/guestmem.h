/*
 * Reading and writing the guest's physical memory from this level.  Guest-physical equals
 * this level's physical except for the slice, which the guest sees as the sink page (so a
 * guest pointer into the slice reaches the sink, never the level's data).
 */
#ifndef VMM_GUESTMEM_H
#define VMM_GUESTMEM_H
#include "lib/types.h"
#include "vmm/nest.h"

/* This level's physical address for a guest-physical one; false if beyond the guest's map. */
bool gpa_to_hpa(const struct guest_boot *gb, u64 gpa, u64 *hpa);
bool gpa_read(const struct guest_boot *gb, u64 gpa, void *buf, u64 len);
bool gpa_write(const struct guest_boot *gb, u64 gpa, const void *buf, u64 len);
/* Called before this level writes guest memory (e.g. to drop copies of what it held). */
extern void (*gpa_write_watch)(u64 gpa, u64 len);

#endif
