#include "vmx/caps.h"

u32 vmx_adjust_controls(u64 cap, u32 want, u32 *missing)
{
	u32 must = (u32)cap, may = (u32)(cap >> 32);
	*missing = want & ~may;
	return (want | must) & may;
}

static bool msr_bit(u32 msr, bool write, u32 *bit)
{
	u32 base;
	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 1024 * 8;
	else
		return false;
	*bit = base + (write ? 2048 * 8 : 0) + (msr & 0x1fff);
	return true;
}

void vmx_msr_bitmap_set(u8 *bitmap, u32 msr, bool read, bool write)
{
	u32 bit;
	if (read && msr_bit(msr, false, &bit))
		bitmap[bit / 8] |= (u8)(1u << (bit % 8));
	if (write && msr_bit(msr, true, &bit))
		bitmap[bit / 8] |= (u8)(1u << (bit % 8));
}

bool vmx_msr_bitmap_intercepts(const u8 *bitmap, u32 msr, bool write)
{
	u32 bit;
	if (!msr_bit(msr, write, &bit))
		return true; /* outside the bitmap's ranges every access exits */
	return bitmap[bit / 8] & (1u << (bit % 8));
}
