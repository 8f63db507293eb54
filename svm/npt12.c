#include "svm/npt12.h"

#define PTE_P	  BIT(0)
#define PTE_RW	  BIT(1)
#define PTE_US	  BIT(2)
#define PTE_PS	  BIT(7)
#define PTE_NX	  BIT(63)
#define ADDR_MASK 0x000ffffffffff000ull

static u64 reserved_bits(u64 e, int level, u8 maxphyaddr, bool nx_enabled)
{
	u64 rsv = 0;
	if (maxphyaddr < 52)
		rsv |= (~0ull << maxphyaddr) & ADDR_MASK;
	if (!nx_enabled)
		rsv |= PTE_NX;
	if (level == 4)
		rsv |= PTE_PS; /* no 512 GiB pages */
	if (level == 3 && (e & PTE_PS))
		rsv |= 0x3fffe000ull; /* 1 GiB page: bits 29:13 */
	if (level == 2 && (e & PTE_PS))
		rsv |= 0x1fe000ull; /* 2 MiB page: bits 20:13 */
	return e & rsv;
}

void npt12_walk(npt12_read_fn read, void *ctx, u64 n_cr3, u64 gpa, u64 access, u8 maxphyaddr,
		bool nx_enabled, struct npt12_walk *out)
{
	u64 table = n_cr3 & ADDR_MASK;
	bool w = true, x = true, u = true;
	u64 fault_bits = NPF_US | (access & (NPF_RW | NPF_ID));
	*out = (struct npt12_walk){0};
	for (int level = 4; level >= 1; level--) {
		u64 e;
		unsigned idx = (unsigned)(gpa >> (12 + 9 * (level - 1))) & 511;
		out->entry_gpa[out->nentries++] = table + 8ull * idx;
		if (!read(ctx, table + 8ull * idx, &e)) {
			out->fault = true;
			out->error = fault_bits | NPF_RSV;
			return;
		}
		if (!(e & PTE_P)) {
			out->fault = true;
			out->error = fault_bits;
			return;
		}
		if (reserved_bits(e, level, maxphyaddr, nx_enabled)) {
			out->fault = true;
			out->error = fault_bits | NPF_P | NPF_RSV;
			return;
		}
		w = w && (e & PTE_RW);
		x = x && !(nx_enabled && (e & PTE_NX));
		u = u && (e & PTE_US);
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			/* Permissions combine over the whole walk (APM 5.6); nested = user. */
			if (!u || ((access & NPF_RW) && !w) || ((access & NPF_ID) && !x)) {
				out->fault = true;
				out->error = fault_bits | NPF_P;
				return;
			}
			u64 size = 1ull << (12 + 9 * (level - 1));
			out->l1_gpa = ((e & ADDR_MASK) & ~(size - 1)) | (gpa & (size - 1));
			out->writable = w;
			out->exec = x;
			out->level = level;
			out->dirty = e & NPT_D;
			return;
		}
		table = e & ADDR_MASK;
	}
}
