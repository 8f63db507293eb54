/* SVM permission maps (APM 15.10.1 IOPM, 15.11 MSRPM). Pure: used for vmcb01 and lookups. */
#ifndef SVM_BITMAPS_H
#define SVM_BITMAPS_H
#include "lib/types.h"

#define SVM_IOPM_SIZE  (12 * 1024)
#define SVM_MSRPM_SIZE (8 * 1024)

/* Bit position of an MSR's read bit in the MSRPM (write bit = +1); false if not covered. */
bool msrpm_bit(u32 msr, u32 *bit);
void msrpm_set(u8 *msrpm, u32 msr, bool read, bool write);
/* True if an access is intercepted; MSRs outside the map always are (APM 15.11). */
bool msrpm_intercepts(const u8 *msrpm, u32 msr, bool write);

void iopm_set(u8 *iopm, u16 port, unsigned count);
/* True if an access of `size` bytes at `port` is intercepted: any byte's bit set. */
bool iopm_intercepts(const u8 *iopm, u16 port, unsigned size);

#endif
