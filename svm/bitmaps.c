#include "svm/bitmaps.h"

bool msrpm_bit(u32 msr, u32 *bit)
{
	static const u32 base[3] = {0x00000000, 0xc0000000, 0xc0010000};
	for (u32 i = 0; i < 3; i++) {
		if (msr >= base[i] && msr < base[i] + 0x2000) {
			*bit = i * 0x800 * 8 + (msr - base[i]) * 2;
			return true;
		}
	}
	return false;
}

void msrpm_set(u8 *msrpm, u32 msr, bool read, bool write)
{
	u32 bit;
	if (!msrpm_bit(msr, &bit))
		return;
	if (read)
		msrpm[bit / 8] |= (u8)(1u << (bit % 8));
	if (write)
		msrpm[(bit + 1) / 8] |= (u8)(1u << ((bit + 1) % 8));
}

bool msrpm_intercepts(const u8 *msrpm, u32 msr, bool write)
{
	u32 bit;
	if (!msrpm_bit(msr, &bit))
		return true;
	bit += write ? 1 : 0;
	return msrpm[bit / 8] & (1u << (bit % 8));
}

void iopm_set(u8 *iopm, u16 port, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		u32 p = (u32)port + i;
		iopm[p / 8] |= (u8)(1u << (p % 8));
	}
}

bool iopm_intercepts(const u8 *iopm, u16 port, unsigned size)
{
	/* The map has one extra byte past port 0xffff for accesses that wrap (APM 15.10.1). */
	for (unsigned i = 0; i < size; i++) {
		u32 p = (u32)port + i;
		if (iopm[p / 8] & (1u << (p % 8)))
			return true;
	}
	return false;
}
