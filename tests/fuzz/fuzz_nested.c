/*
 * Fuzzes the nested-SVM decisions on an L1-controlled vmcb12: svm/nested_checks.c
 * svm_check_vmcb12, svm/nested_merge.c svm_merge_controls and svm/nested_route.c
 * svm_l1_intercepts.
 *
 * Input: the offer (MAXPHYADDR, CPUID 8000_000Ah EDX, CR4/EFER allowed bits as XOR against
 * realistic values), "fix-up" bits that make some checks pass so the fuzzer reaches the later
 * ones, the L0 needs variant, one exit (code, EXITINFO1, MSR), bits to set in L1's IOPM and
 * MSRPM, then the vmcb12 bytes (the rest is zero).
 *
 * Checks:
 *  - svm_check_vmcb12 accepts exactly when a reference written from APM 15.5.1 / 15.20 does
 *    (for an accepted vmcb12 also with EVENTINJ set to every type and boundary vectors); an
 *    accepted vmcb12 has EFER.SVME, the VMRUN intercept, ASID != 0, and EVENTINJ (if
 *    valid) of type 0, 2, 3 or 4 with an exception vector other than 2 and below 32;
 *  - svm_merge_controls (into a vmcb02 full of garbage) keeps L0's needs in intercept1/2,
 *    intercept3 == 0, never AVIC, V_GIF/V_GIF_ENABLE only if vGIF is offered and L1 enabled
 *    it, int_ctl exactly L1's allowed bits, and every byte outside the allow-list
 *    (intercept_cr/dr/exc/1/2, tsc_offset, int_ctl, int_state, event_inj) zero;
 *  - svm_l1_intercepts, on maps of exactly 12 KiB / 8 KiB (ASan), agrees with a reference for
 *    every exit code 0..0xff and a few more, for the input's EXITINFO1/MSR and boundary MSRs;
 *    an MSR outside the three MSRPM ranges is intercepted iff intercept1.MSR_PROT.
 */
#include "tests/fuzz/fuzz.h"
#include "kernel/x86.h"
#include "svm/bitmaps.h"
#include "svm/nested.h"

#define EFER_REALISTIC (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME)
#define CR4_REALISTIC  0x3707ffull

/* ---- reference VMRUN checks (APM vol. 2 15.5.1 and 15.20), written separately ---- */

NO_COVERAGE static bool above(u64 addr, unsigned maxphy)
{
	return maxphy < 64 && (addr >> maxphy) != 0;
}

/* A table of `size` bytes at the page of base: its last byte must exist below MAXPHYADDR. */
NO_COVERAGE static bool table_ok(u64 base, u64 size, unsigned maxphy)
{
	if (maxphy >= 64)
		return true;
	unsigned __int128 last = (unsigned __int128)(base & ~0xfffull) + size - 1;
	return (last >> maxphy) == 0;
}

NO_COVERAGE static bool ref_event_ok(u64 e)
{
	if (!(e & BIT(31)))
		return true;
	unsigned type = (e >> 8) & 7, vec = e & 0xff;
	switch (type) {
	case 0: /* external interrupt */
	case 2: /* NMI */
	case 4: /* software interrupt */
		return true;
	case 3: /* exception */
		return vec < 32 && vec != 2;
	default:
		return false;
	}
}

NO_COVERAGE static bool ref_legal(const struct vmcb *v, const struct svm_offer *o)
{
	const struct vmcb_save *s = &v->save;
	const struct vmcb_control *c = &v->control;
	bool lme_pg = (s->efer & BIT(8)) && (s->cr0 & BIT(31));
	if (!(s->efer & BIT(12)))
		return false;
	if ((s->cr0 & BIT(29)) && !(s->cr0 & BIT(30)))
		return false;
	if (s->cr0 >> 32 || s->dr6 >> 32 || s->dr7 >> 32)
		return false;
	if (s->cr4 & ~o->cr4_allowed || s->efer & ~o->efer_allowed)
		return false;
	if (lme_pg) {
		if (above(s->cr3 & ~0xfffull, o->maxphyaddr))
			return false;
		if (!(s->cr4 & BIT(5)) || !(s->cr0 & BIT(0)))
			return false;
		if ((s->cs.attrib & BIT(9)) && (s->cs.attrib & BIT(10)))
			return false;
	}
	if (!(c->intercept2 & BIT(0)))
		return false;
	if (!table_ok(c->iopm_base_pa, 12 * 1024, o->maxphyaddr) ||
	    !table_ok(c->msrpm_base_pa, 8 * 1024, o->maxphyaddr))
		return false;
	if (c->asid == 0)
		return false;
	if ((c->np_control & 1) && (o->features & BIT(0)) &&
	    above(c->n_cr3 & ~0xfffull, o->maxphyaddr))
		return false;
	return ref_event_ok(c->event_inj);
}

/* ---- reference routing (APM vol. 2 15.9-15.11 and appendix C) ---- */

NO_COVERAGE static bool bit_at(const u8 *map, u32 bit)
{
	return (map[bit / 8] >> (bit % 8)) & 1;
}

/* Returns 0/1, or -1 when the architecture leaves it open (a malformed IOIO size). */
NO_COVERAGE static int ref_intercepts(const struct vmcb_control *c, const u8 *iopm, const u8 *msrpm,
				      u32 code, u64 info1, u32 msr)
{
	if (code < 0x20) /* CR0-15 read, CR0-15 write */
		return (c->intercept_cr >> code) & 1;
	if (code < 0x40)
		return (c->intercept_dr >> (code - 0x20)) & 1;
	if (code < 0x60)
		return (c->intercept_exc >> (code - 0x40)) & 1;
	if (code == 0x7b) { /* IOIO */
		if (!(c->intercept1 & BIT(27)))
			return 0;
		unsigned sz = (info1 >> 4) & 7, port = (info1 >> 16) & 0xffff, bytes;
		if (sz == 1 || sz == 0)
			bytes = 1;
		else if (sz == 2)
			bytes = 2;
		else if (sz == 4)
			bytes = 4;
		else
			return -1;
		for (unsigned i = 0; i < bytes; i++)
			if (bit_at(iopm, port + i))
				return 1;
		return 0;
	}
	if (code == 0x7c) { /* MSR */
		if (!(c->intercept1 & BIT(28)))
			return 0;
		u32 byte_base;
		if (msr <= 0x1fff)
			byte_base = 0x000;
		else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
			byte_base = 0x800;
		else if (msr >= 0xc0010000 && msr <= 0xc0011fff)
			byte_base = 0x1000;
		else
			return 1;
		return bit_at(msrpm, byte_base * 8 + (msr & 0x1fff) * 2 + (info1 & 1));
	}
	if (code < 0x80)
		return (c->intercept1 >> (code - 0x60)) & 1;
	if (code < 0xa0)
		return (c->intercept2 >> (code - 0x80)) & 1;
	if (code < 0xc0)
		return (c->intercept3 >> (code - 0xa0)) & 1;
	return 0; /* NPF and the rest: not decided by intercept bits */
}

/* ---- the allow-list of svm_merge_controls, from the svm/vmcb.h layout ---- */

#define FIELD(f)                                                                                   \
	{                                                                                          \
		__builtin_offsetof(struct vmcb_control, f), sizeof(((struct vmcb_control *)0)->f)  \
	}
static const struct {
	size_t off, len;
} allowed_fields[] = {
    FIELD(intercept_cr), FIELD(intercept_dr), FIELD(intercept_exc),
    FIELD(intercept1),	 FIELD(intercept2),   FIELD(tsc_offset),
    FIELD(int_ctl),	 FIELD(int_state),    FIELD(event_inj),
};

NO_COVERAGE static void check_merge(const struct vmcb_control *c12, const struct svm_l0_needs *l0,
				    const struct svm_offer *o)
{
	static struct vmcb_control c02;
	memset(&c02, 0xa5, sizeof(c02)); /* nothing of it may survive */
	svm_merge_controls(&c02, c12, l0, o);

	CHECK((c02.intercept1 & l0->intercept1) == l0->intercept1);
	CHECK((c02.intercept2 & l0->intercept2) == l0->intercept2);
	CHECK(c02.intercept1 == (c12->intercept1 | l0->intercept1));
	CHECK(c02.intercept2 == (c12->intercept2 | l0->intercept2));
	CHECK(c02.intercept3 == 0);
	CHECK(c02.intercept_cr == c12->intercept_cr && c02.intercept_dr == c12->intercept_dr &&
	      c02.intercept_exc == c12->intercept_exc);
	CHECK(c02.tsc_offset == c12->tsc_offset);
	CHECK(c02.event_inj == c12->event_inj);
	CHECK(c02.int_state == (c12->int_state & 1));

	CHECKF(!(c02.int_ctl & AVIC_ENABLE), "int_ctl %#llx", (unsigned long long)c02.int_ctl);
	bool vgif = (o->features & SVM_OFFER_VGIF) && (c12->int_ctl & V_GIF_ENABLE);
	if (!vgif)
		CHECKF(!(c02.int_ctl & (V_GIF | V_GIF_ENABLE)), "int_ctl %#llx, L1's %#llx",
		       (unsigned long long)c02.int_ctl, (unsigned long long)c12->int_ctl);
	u64 want = c12->int_ctl &
		   (0xffull | BIT(8) | (0xfull << 16) | BIT(20) | BIT(24) | (0xffull << 32));
	if (vgif)
		want |= c12->int_ctl & (BIT(9) | BIT(25));
	CHECKF(c02.int_ctl == want, "int_ctl %#llx, expected %#llx from L1's %#llx",
	       (unsigned long long)c02.int_ctl, (unsigned long long)want,
	       (unsigned long long)c12->int_ctl);

	/* zero but for the allow-listed fields: compare with a zero area holding only those */
	static struct vmcb_control only;
	memset(&only, 0, sizeof(only));
	for (unsigned i = 0; i < ARRAY_SIZE(allowed_fields); i++)
		memcpy((u8 *)&only + allowed_fields[i].off,
		       (const u8 *)&c02 + allowed_fields[i].off, allowed_fields[i].len);
	if (memcmp(&only, &c02, sizeof(c02)) != 0) {
		const u8 *raw = (const u8 *)&c02, *want = (const u8 *)&only;
		size_t off = 0;
		while (raw[off] == want[off])
			off++;
		CHECKF(!"outside the allow-list", "vmcb02 control byte %#zx is %#x", off, raw[off]);
	}
}

NO_COVERAGE static void check_route(const struct vmcb_control *c12, const u8 *iopm, const u8 *msrpm,
				    u32 code, u64 info1, u32 msr)
{
	bool got = svm_l1_intercepts(c12, iopm, msrpm, code, info1, msr);
	int want = ref_intercepts(c12, iopm, msrpm, code, info1, msr);
	if (want >= 0)
		CHECKF(got == (bool)want, "exit %#x info1 %#llx msr %#x: got %d, reference %d",
		       code, (unsigned long long)info1, msr, got, want);
	bool ranged = msr <= 0x1fff || (msr >= 0xc0000000 && msr <= 0xc0001fff) ||
		      (msr >= 0xc0010000 && msr <= 0xc0011fff);
	if (code == SVM_EXIT_MSR && !ranged)
		CHECKF(got == !!(c12->intercept1 & SVM_I1_MSR), "MSR %#x outside the map", msr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = {data, size};
	struct svm_offer o = {0};
	u8 mp = fin_u8(&in);
	o.maxphyaddr = (mp & 0x80) ? mp : (u8)(32 + (mp % 21));
	o.features = fin_u32(&in);
	o.asids = fin_u32(&in);
	o.cr4_allowed = CR4_REALISTIC ^ fin_u64(&in);
	o.efer_allowed = EFER_REALISTIC ^ fin_u64(&in);
	u8 fix = fin_u8(&in);
	u8 variant = fin_u8(&in);
	u32 code = fin_u32(&in);
	u64 info1 = fin_u64(&in);
	u32 msr = fin_u32(&in);

	u8 *iopm = calloc(1, SVM_IOPM_SIZE), *msrpm = calloc(1, SVM_MSRPM_SIZE);
	if (variant & 2)
		memset(iopm, 0xff, SVM_IOPM_SIZE);
	if (variant & 4)
		memset(msrpm, 0xff, SVM_MSRPM_SIZE);
	for (unsigned k = fin_u8(&in) % 16; k; k--) {
		u32 bit = fin_u32(&in);
		u8 *map = (bit & 1) ? msrpm : iopm;
		u32 bits = (bit & 1) ? SVM_MSRPM_SIZE * 8 : SVM_IOPM_SIZE * 8;
		bit = (bit >> 1) % bits;
		map[bit / 8] ^= (u8)(1u << (bit % 8));
	}

	static struct vmcb v;
	memset(&v, 0, sizeof(v));
	memcpy(&v, in.p, MIN(in.n, sizeof(v)));
	struct vmcb_save *s = &v.save;
	struct vmcb_control *c = &v.control;
	if (fix & 1)
		s->efer |= EFER_SVME;
	if (fix & 2)
		c->intercept2 |= SVM_I2_VMRUN;
	if (fix & 4)
		c->asid |= 1;
	if (fix & 8)
		s->cr0 = (u32)s->cr0 & ~CR0_NW, s->dr6 = (u32)s->dr6, s->dr7 = (u32)s->dr7;
	if (fix & 16)
		s->cr4 &= o.cr4_allowed, s->efer &= o.efer_allowed;
	if (fix & 32)
		c->iopm_base_pa &= 0xfffff000, c->msrpm_base_pa &= 0xfffff000,
		    c->n_cr3 &= 0xfffff000, s->cr3 &= 0xfffff000;
	if (fix & 64)
		c->event_inj &= ~(u64)SVM_EVT_VALID;

	/* the checks */
	const char *err = svm_check_vmcb12(&v, &o);
	bool legal = ref_legal(&v, &o);
	CHECKF(legal == (err == NULL), "svm_check_vmcb12 says %s, the reference %s",
	       err ? err : "legal", legal ? "legal" : "illegal");
	if (!err) {
		CHECK(s->efer & EFER_SVME);
		CHECK(c->intercept2 & SVM_I2_VMRUN);
		CHECK(c->asid != 0);
		if (c->event_inj & SVM_EVT_VALID) {
			unsigned type = (c->event_inj >> 8) & 7, vec = c->event_inj & 0xff;
			CHECK(type == 0 || type == 2 || type == 3 || type == 4);
			if (type == 3)
				CHECK(vec != 2 && vec < 32);
		}
		/* the EVENTINJ rule on its own: every type with boundary vectors, the rest legal */
		static const u8 vectors[] = {0, 1, 2, 3, 8, 14, 30, 31, 32, 33, 0x80, 0xff};
		u64 orig = c->event_inj;
		for (u64 type = 0; type < 8; type++) {
			for (unsigned k = 0; k <= ARRAY_SIZE(vectors); k++) {
				u64 vec = k < ARRAY_SIZE(vectors) ? vectors[k] : (orig & 0xff);
				c->event_inj =
				    (orig & ~0x7ffull) | SVM_EVT_VALID | (type << 8) | vec;
				const char *e2 = svm_check_vmcb12(&v, &o);
				bool ok = ref_legal(&v, &o);
				CHECKF(ok == (e2 == NULL), "EVENTINJ %#llx: %s, the reference %s",
				       (unsigned long long)c->event_inj, e2 ? e2 : "legal",
				       ok ? "legal" : "illegal");
			}
		}
		c->event_inj = orig;
	} else {
		CHECK(err[0] != '\0');
	}

	/* the merge, with L0's fixed needs (svm/nested.c), STGI/CLGI when vGIF is emulated */
	struct svm_l0_needs l0 = {
	    SVM_I1_CPUID | SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN | SVM_I1_INVLPGA,
	    SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE | SVM_I2_SKINIT};
	if (variant & 1)
		l0.intercept2 |= SVM_I2_STGI | SVM_I2_CLGI;
	check_merge(c, &l0, &o);

	/* the routing */
	static const u32 msrs[] = {0,	       0x1fff,	   0x2000,     0xbfffffff,
				   0xc0000000, 0xc0001fff, 0xc0002000, 0xc000ffff,
				   0xc0010000, 0xc0011fff, 0xc0012000, 0xffffffff};
	check_route(c, iopm, msrpm, code, info1, msr);
	for (u32 k = 0; k < 0x100; k++)
		check_route(c, iopm, msrpm, k, info1, msr);
	static const u32 more[] = {SVM_EXIT_NPF, 0x401, 0x402, 0x403, 0xffffffff, 0x80000000};
	for (unsigned k = 0; k < ARRAY_SIZE(more); k++)
		check_route(c, iopm, msrpm, more[k], info1, msr);
	for (unsigned k = 0; k < ARRAY_SIZE(msrs); k++) {
		check_route(c, iopm, msrpm, SVM_EXIT_MSR, info1, msrs[k]);
		check_route(c, iopm, msrpm, SVM_EXIT_MSR, info1 ^ 1, msrs[k]);
	}
	for (u64 port = 0xfff8; port <= 0xffff;
	     port++) /* accesses at the top wrap into byte 8192 */
		for (u64 sz = 1; sz <= 4; sz <<= 1)
			check_route(c, iopm, msrpm, SVM_EXIT_IOIO, (port << 16) | (sz << 4), 0);
	free(iopm);
	free(msrpm);
	return 0;
}
