#include "svm/nextrip.h"
#include "svm/insn_len.h"

#define EFER_LMA BIT(10)
/*
 * VMCB segment attributes hold descriptor bits 47:40 in 7:0 and 55:52 in 11:8 (APM vol. 2
 * appendix B), so the descriptor's L (bit 53) and D/B (bit 54) are bits 9 and 10.
 */
#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_D BIT(10)

u64 nextrip_compute(const struct vmcb_save *save, gpa_read_fn read, void *ctx)
{
	struct gva_paging pg = {
	    .cr0 = save->cr0,
	    .cr3 = save->cr3,
	    .cr4 = save->cr4,
	    .efer = save->efer,
	};
	bool lm = (save->efer & EFER_LMA) && (save->cs.attrib & SEG_ATTR_L);
	bool d = save->cs.attrib & SEG_ATTR_D;
	/* 64-bit mode ignores the CS base; elsewhere linear addresses are 32 bits wide. */
	u64 la = lm ? save->rip : (u32)(save->cs.base + save->rip);
	u8 bytes[INSN_MAX_LEN];

	/* gva_read stops at a page that does not translate: the bytes before it may suffice. */
	unsigned got = gva_read(&pg, read, ctx, la, bytes, sizeof(bytes));
	int len = insn_len(bytes, got, lm, d);
	if (len < 0)
		return 0;
	u64 next = save->rip + (unsigned)len;
	return lm ? next : (u32)next;
}
