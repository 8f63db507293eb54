/*
 * Nested AMD-V decision logic (AMD APM vol. 2, chapter 15):
 *   svm/nested_checks.c  VMRUN consistency checks (15.5.1), EVENTINJ checks (15.20)
 *   svm/nested_route.c   which exits of L2 L1 wants (15.9-15.13, appendix C exit codes)
 *   svm/nested_merge.c   vmcb02 controls from vmcb12 by allow-list (DESIGN section 4)
 *   svm/npt12.c          walk of L1's nested page table (15.25.5-15.25.10)
 */
#include "tests/unit/unit.h"

#include "kernel/x86.h"
#include "lib/string.h"
#include "svm/bitmaps.h"
#include "svm/nested.h"
#include "svm/npt12.h"
#include "svm/vmcb.h"

#define MAXPHY 40 /* the offer's MAXPHYADDR in these tests */

/* Segment attribute bits (VMCB compressed format: descriptor bits 40-47 and 52-55). */
#define ATTR_L	    BIT(9)
#define ATTR_D	    BIT(10)
#define ATTR_CODE64 (0x9b | ATTR_L) /* P, S, code, readable, accessed; L=1 D=0 */

#define CR4_UMIP     BIT(11)
#define CR4_LA57     BIT(12)
#define CR4_FSGSBASE BIT(16)
#define CR4_SMEP     BIT(20)

/* EVENTINJ (APM 15.20): vector 7:0, type 10:8, EV 11, V 31, error code 63:32. */
static u64 evt(u32 type, u32 vector, bool ev, u32 err)
{
	return SVM_EVT_VALID | ((u64)type << 8) | vector | (ev ? SVM_EVT_ERR : 0) |
	       ((u64)err << 32);
}

static struct svm_offer offer(void)
{
	return (struct svm_offer){
	    .asids = 8,
	    .features = SVM_OFFER_NPT | SVM_OFFER_NRIPS | SVM_OFFER_VGIF,
	    .maxphyaddr = MAXPHY,
	    .cr4_allowed = 0x7ff | CR4_FSGSBASE | CR4_OSXSAVE | CR4_SMEP,
	    .efer_allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME,
	};
}

/* A legal vmcb12 for a 64-bit long-mode L2 (calloc'd, so ASan sees any stray access). */
static struct vmcb *valid_vmcb12(void)
{
	struct vmcb *v = test_calloc(1, sizeof(*v));
	assert_non_null(v);
	struct vmcb_save *s = &v->save;
	s->efer = EFER_LME | EFER_LMA | EFER_SVME;
	s->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE;
	s->cr4 = CR4_PAE;
	s->cr3 = 0x123000;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->cs = (struct vmcb_seg){.selector = 0x8, .attrib = ATTR_CODE64, .limit = 0xffffffff};
	s->ss = (struct vmcb_seg){.selector = 0x10, .attrib = 0xc93, .limit = 0xffffffff};
	s->rflags = 2;
	s->rip = 0x401000;
	struct vmcb_control *c = &v->control;
	c->intercept2 = SVM_I2_VMRUN;
	c->asid = 1;
	c->iopm_base_pa = 0x100000;
	c->msrpm_base_pa = 0x104000;
	return v;
}

static void expect_valid(const struct vmcb *v, const struct svm_offer *o, const char *what)
{
	const char *err = svm_check_vmcb12(v, o);
	if (err)
		fail_msg("%s: rejected (\"%s\"), must pass", what, err);
}

static void expect_invalid(const struct vmcb *v, const struct svm_offer *o, const char *what)
{
	const char *err = svm_check_vmcb12(v, o);
	if (!err)
		fail_msg("%s: accepted, must give VMEXIT_INVALID", what);
	if (!err[0])
		fail_msg("%s: empty message", what);
}

/* ---- svm_check_vmcb12: the valid baseline and other legal states ---- */

static void test_check_valid_long_mode(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	assert_null(svm_check_vmcb12(v, &o));
	/* state the checks do not cover must not matter */
	v->save.rip = 0xdeadbeefcafef00dull;
	v->save.rsp = ~0ull;
	v->save.rax = ~0ull;
	v->save.g_pat = ~0ull;
	v->control.exit_code = ~0ull;
	v->control.tlb_control = 0xff;
	v->control.intercept1 = ~0u;
	v->control.intercept2 = ~0u;
	v->control.intercept_cr = ~0u;
	v->control.asid = 0xffffffff;
	expect_valid(v, &o, "garbage in fields outside the checks");
	test_free(v);
}

static void test_check_valid_other_modes(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();

	/* 32-bit protected mode without paging: no long-mode rule applies */
	v->save.efer = EFER_SVME;
	v->save.cr0 = CR0_PE | CR0_ET;
	v->save.cr4 = 0;
	v->save.cs.attrib = 0xc9b; /* D=1, G=1 */
	expect_valid(v, &o, "32-bit protected mode");

	/* legacy PAE paging: CS.L and CS.D together are only illegal with EFER.LME */
	v->save.cr0 = CR0_PE | CR0_PG;
	v->save.cr4 = CR4_PAE;
	v->save.cs.attrib = 0x9b | ATTR_L | ATTR_D;
	expect_valid(v, &o, "PAE paging, EFER.LME=0, CS.L=CS.D=1");

	v->save.cs.attrib = 0xc9b;
	v->save.cr3 = 0xfffff000;
	expect_valid(v, &o, "PAE paging with a 32-bit CR3");

	/* EFER.LME with paging off: long mode not active */
	v->save.efer = EFER_LME | EFER_SVME;
	v->save.cr0 = CR0_PE;
	v->save.cr4 = 0;
	v->save.cs.attrib = 0x9b | ATTR_L | ATTR_D;
	expect_valid(v, &o, "EFER.LME with CR0.PG=0");

	/* real mode */
	v->save.efer = EFER_SVME;
	v->save.cr0 = CR0_ET;
	v->save.cs.attrib = 0x9b;
	expect_valid(v, &o, "real mode");

	/* compatibility mode: CS.L=0, CS.D=1 in long mode */
	test_free(v);
	v = valid_vmcb12();
	v->save.cs.attrib = 0xc9b;
	expect_valid(v, &o, "compatibility mode (CS.L=0, CS.D=1)");

	/* caching: CD=1 with NW=0 or NW=1 is legal */
	v->save.cr0 |= CR0_CD;
	expect_valid(v, &o, "CR0.CD=1 NW=0");
	v->save.cr0 |= CR0_NW;
	expect_valid(v, &o, "CR0.CD=1 NW=1");

	/* every allowed CR4 bit together (with PAE) */
	v->save.cr4 = o.cr4_allowed;
	expect_valid(v, &o, "all allowed CR4 bits");

	/* every allowed EFER bit */
	v->save.efer = o.efer_allowed;
	expect_valid(v, &o, "all allowed EFER bits");

	/* DR6/DR7 with every low bit set */
	v->save.dr6 = 0xffffffff;
	v->save.dr7 = 0xffffffff;
	expect_valid(v, &o, "DR6/DR7 low halves all ones");

	/* CR3 at the top of the physical address space, with PWT/PCD */
	v->save.cr3 = (BIT(MAXPHY) - PAGE_SIZE) | 0x18;
	expect_valid(v, &o, "CR3 at the last page below MAXPHYADDR");
	test_free(v);
}

/* ---- svm_check_vmcb12: one APM 15.5.1 condition at a time ---- */

static void test_check_efer_svme_clear(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.efer &= ~EFER_SVME;
	expect_invalid(v, &o, "EFER.SVME=0");
	v->save.efer = 0;
	v->save.cr0 = CR0_PE;
	v->save.cr4 = 0;
	expect_invalid(v, &o, "EFER=0 in protected mode");
	test_free(v);
}

static void test_check_cr0_cd_nw(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.cr0 = (v->save.cr0 & ~CR0_CD) | CR0_NW;
	expect_invalid(v, &o, "CR0.CD=0 NW=1");
	test_free(v);
}

static void test_check_cr0_high(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const int bits[] = {32, 40, 63};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		struct vmcb *v = valid_vmcb12();
		v->save.cr0 |= BIT(bits[i]);
		char what[64];
		snprintf(what, sizeof(what), "CR0 bit %d", bits[i]);
		expect_invalid(v, &o, what);
		test_free(v);
	}
}

static void test_check_cr3_mbz_long_mode(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const int bits[] = {MAXPHY, MAXPHY + 1, 51, 52, 63};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		struct vmcb *v = valid_vmcb12();
		v->save.cr3 |= BIT(bits[i]);
		char what[64];
		snprintf(what, sizeof(what), "long-mode CR3 bit %d (MAXPHYADDR %d)", bits[i],
			 MAXPHY);
		expect_invalid(v, &o, what);
		test_free(v);
	}
	/* bits 63:52 are MBZ even with a 52-bit MAXPHYADDR */
	o.maxphyaddr = 52;
	struct vmcb *v = valid_vmcb12();
	v->save.cr3 = BIT(51) | 0x1000;
	expect_valid(v, &o, "CR3 bit 51 with MAXPHYADDR 52");
	v->save.cr3 = BIT(52) | 0x1000;
	expect_invalid(v, &o, "CR3 bit 52 with MAXPHYADDR 52");
	test_free(v);
}

static void test_check_cr4_mbz(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const u64 bad[] = {CR4_VMXE, CR4_UMIP, CR4_LA57, BIT(23), BIT(31), BIT(32), BIT(63)};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(o.cr4_allowed & bad[i]); /* the test's own premise */
		struct vmcb *v = valid_vmcb12();
		v->save.cr4 |= bad[i];
		char what[64];
		snprintf(what, sizeof(what), "CR4 bit %d not offered", __builtin_ctzll(bad[i]));
		expect_invalid(v, &o, what);
		test_free(v);
	}
	/* the same bit is fine once offered */
	o.cr4_allowed |= CR4_UMIP;
	struct vmcb *v = valid_vmcb12();
	v->save.cr4 |= CR4_UMIP;
	expect_valid(v, &o, "CR4.UMIP offered");
	test_free(v);
}

static void test_check_dr6_dr7_high(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.dr6 |= BIT(32);
	expect_invalid(v, &o, "DR6 bit 32");
	v->save.dr6 = 0xffff0ff0 | BIT(63);
	expect_invalid(v, &o, "DR6 bit 63");
	test_free(v);
	v = valid_vmcb12();
	v->save.dr7 |= BIT(32);
	expect_invalid(v, &o, "DR7 bit 32");
	v->save.dr7 = 0x400 | BIT(63);
	expect_invalid(v, &o, "DR7 bit 63");
	test_free(v);
}

static void test_check_efer_mbz(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const int bits[] = {1, 9, 14, 15, 16, 32, 63};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		struct vmcb *v = valid_vmcb12();
		v->save.efer |= BIT(bits[i]);
		char what[64];
		snprintf(what, sizeof(what), "EFER bit %d", bits[i]);
		expect_invalid(v, &o, what);
		test_free(v);
	}
}

static void test_check_long_mode_without_pae(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.cr4 &= ~CR4_PAE;
	expect_invalid(v, &o, "EFER.LME and CR0.PG without CR4.PAE");
	test_free(v);
}

static void test_check_long_mode_without_pe(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.cr0 &= ~CR0_PE;
	expect_invalid(v, &o, "EFER.LME and CR0.PG without CR0.PE");
	test_free(v);
}

static void test_check_long_mode_cs_l_and_d(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->save.cs.attrib |= ATTR_D;
	expect_invalid(v, &o, "EFER.LME, CR0.PG, CR4.PAE, CS.L, CS.D");
	/* the same with every other attribute bit set */
	v->save.cs.attrib = 0xfff;
	expect_invalid(v, &o, "CS attrib 0xfff in long mode");
	test_free(v);
}

static void test_check_vmrun_intercept(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->control.intercept2 = 0;
	expect_invalid(v, &o, "no intercepts at all");
	v->control.intercept2 = ~(u32)SVM_I2_VMRUN;
	v->control.intercept1 = ~0u;
	v->control.intercept3 = ~0u;
	expect_invalid(v, &o, "every intercept but VMRUN");
	test_free(v);
}

static void test_check_iopm_beyond_maxphyaddr(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	const u64 top = BIT(MAXPHY);
	v->control.iopm_base_pa = top - 3 * PAGE_SIZE; /* last byte at top - 1 */
	expect_valid(v, &o, "IOPM ending at the last byte below MAXPHYADDR");
	v->control.iopm_base_pa = top - 3 * PAGE_SIZE + 0xfff; /* bits 11:0 are ignored */
	expect_valid(v, &o, "IOPM base with low bits set");
	v->control.iopm_base_pa = top - 2 * PAGE_SIZE; /* third page crosses */
	expect_invalid(v, &o, "IOPM whose last page crosses MAXPHYADDR");
	v->control.iopm_base_pa = top - PAGE_SIZE;
	expect_invalid(v, &o, "IOPM whose last two pages cross MAXPHYADDR");
	v->control.iopm_base_pa = top;
	expect_invalid(v, &o, "IOPM at MAXPHYADDR");
	v->control.iopm_base_pa = BIT(63);
	expect_invalid(v, &o, "IOPM at bit 63");
	test_free(v);
}

static void test_check_msrpm_beyond_maxphyaddr(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	const u64 top = BIT(MAXPHY);
	v->control.msrpm_base_pa = top - 2 * PAGE_SIZE;
	expect_valid(v, &o, "MSRPM ending at the last byte below MAXPHYADDR");
	v->control.msrpm_base_pa = top - 2 * PAGE_SIZE + 0xfff;
	expect_valid(v, &o, "MSRPM base with low bits set");
	v->control.msrpm_base_pa = top - PAGE_SIZE;
	expect_invalid(v, &o, "MSRPM whose second page crosses MAXPHYADDR");
	v->control.msrpm_base_pa = top;
	expect_invalid(v, &o, "MSRPM at MAXPHYADDR");
	test_free(v);
}

/*
 * A base near 2^64: base + size - 1 wraps around to a small address.  The base itself is far
 * beyond MAXPHYADDR, so VMRUN must fail (KVM checks both the first and the last byte).
 */
static void test_check_bitmaps_wrapping_2_64(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->control.iopm_base_pa = 0xfffffffffffff000ull;
	expect_invalid(v, &o, "IOPM at 2^64 - 4 KiB (end wraps to 0x1fff)");
	v->control.iopm_base_pa = 0xffffffffffffe000ull;
	expect_invalid(v, &o, "IOPM at 2^64 - 8 KiB (end wraps to 0xfff)");
	test_free(v);
	v = valid_vmcb12();
	v->control.msrpm_base_pa = 0xfffffffffffff000ull;
	expect_invalid(v, &o, "MSRPM at 2^64 - 4 KiB (end wraps to 0xfff)");
	test_free(v);
}

static void test_check_asid_zero(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->control.asid = 0;
	expect_invalid(v, &o, "ASID 0");
	test_free(v);
}

static void test_check_nested_cr3(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb *v = valid_vmcb12();
	v->control.np_control = 1;
	v->control.n_cr3 = BIT(MAXPHY) - PAGE_SIZE;
	expect_valid(v, &o, "nested CR3 below MAXPHYADDR");
	v->control.n_cr3 = BIT(MAXPHY);
	expect_invalid(v, &o, "nested CR3 at MAXPHYADDR with NP");
	v->control.n_cr3 = BIT(63) | 0x1000;
	expect_invalid(v, &o, "nested CR3 bit 63 with NP");
	/* without nested paging the field is not used */
	v->control.np_control = 0;
	v->control.n_cr3 = ~0ull;
	expect_valid(v, &o, "garbage nested CR3 without NP");
	test_free(v);
}

/* ---- svm_check_vmcb12: EVENTINJ (APM 15.20) ---- */

static void test_check_eventinj_reserved_types(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const u32 types[] = {1, 5, 6, 7};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct vmcb *v = valid_vmcb12();
		v->control.event_inj = evt(types[i], 0x20, false, 0);
		char what[64];
		snprintf(what, sizeof(what), "EVENTINJ type %u", types[i]);
		expect_invalid(v, &o, what);
		test_free(v);
	}
}

static void test_check_eventinj_exception_vectors(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const u32 bad[] = {2, 32, 0x80, 0xff};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct vmcb *v = valid_vmcb12();
		v->control.event_inj = evt(3, bad[i], false, 0);
		char what[64];
		snprintf(what, sizeof(what), "EVENTINJ exception with vector %u", bad[i]);
		expect_invalid(v, &o, what);
		test_free(v);
	}
	const u32 good[] = {0, 1, 3, 6, 8, 13, 14, 17, 18, 30};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct vmcb *v = valid_vmcb12();
		bool ev = good[i] == 8 || good[i] == 13 || good[i] == 14 || good[i] == 17 ||
			  good[i] == 30;
		v->control.event_inj = evt(3, good[i], ev, ev ? 0x1234 : 0);
		char what[64];
		snprintf(what, sizeof(what), "EVENTINJ exception with vector %u", good[i]);
		expect_valid(v, &o, what);
		test_free(v);
	}
}

static void test_check_eventinj_legal_types(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const struct {
		u64 e;
		const char *what;
	} cases[] = {
	    {evt(0, 0x20, false, 0), "external interrupt 0x20"},
	    {evt(0, 0xff, false, 0), "external interrupt 0xff"},
	    {evt(2, 2, false, 0), "NMI"},
	    {evt(3, 14, true, 0x7), "#PF with error code"},
	    {evt(3, 6, false, 0), "#UD"},
	    {evt(4, 0x80, false, 0), "software interrupt 0x80"},
	    {evt(4, 3, false, 0), "software interrupt 3"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmcb *v = valid_vmcb12();
		v->control.event_inj = cases[i].e;
		expect_valid(v, &o, cases[i].what);
		test_free(v);
	}
}

static void test_check_eventinj_not_valid(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	const u64 junk[] = {
	    0x7fffffffull,	   /* every bit but V */
	    0xffffffff7fffffffull, /* with an error code */
	    (7u << 8) | 2,	   /* reserved type, NMI vector */
	    (3u << 8) | 0xff,	   /* exception with a non-exception vector */
	};
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		struct vmcb *v = valid_vmcb12();
		v->control.event_inj = junk[i];
		char what[64];
		snprintf(what, sizeof(what), "EVENTINJ %#llx without V",
			 (unsigned long long)junk[i]);
		expect_valid(v, &o, what);
		test_free(v);
	}
}

/* ---- svm_canonicalize ---- */

static void test_canonicalize(void **state)
{
	(void)state;
	struct vmcb_save *s = test_calloc(1, sizeof(*s));
	assert_non_null(s);
	struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->gdtr, &s->idtr};
	const struct {
		u64 in, out;
	} cases[] = {
	    {0, 0},
	    {0x00007fffffffffffull, 0x00007fffffffffffull},
	    {0x0000800000000000ull, 0xffff800000000000ull},
	    {0xffff800000000000ull, 0xffff800000000000ull},
	    {0x1234000012345678ull, 0x0000000012345678ull}, /* junk above bit 47, bit 47 clear */
	    {0x0001800000001000ull, 0xffff800000001000ull}, /* junk above bit 47, bit 47 set */
	    {0x7fff7fffffffffffull, 0x00007fffffffffffull},
	    {~0ull, ~0ull},
	};
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
			*segs[i] = (struct vmcb_seg){.selector = (u16)(0x10 + i),
						     .attrib = 0x93,
						     .limit = 0xfffff,
						     .base = cases[c].in};
		}
		svm_canonicalize(s);
		for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
			if (segs[i]->base != cases[c].out)
				fail_msg("segment %zu: base %#llx became %#llx, expected %#llx", i,
					 (unsigned long long)cases[c].in,
					 (unsigned long long)segs[i]->base,
					 (unsigned long long)cases[c].out);
			assert_int_equal(segs[i]->selector, 0x10 + i);
			assert_int_equal(segs[i]->attrib, 0x93);
			assert_int_equal(segs[i]->limit, 0xfffff);
		}
	}
	test_free(s);
}

/* ---- svm_l1_intercepts ---- */

struct maps {
	u8 *iopm, *msrpm;
};

static struct maps maps_new(void)
{
	struct maps m = {test_calloc(1, SVM_IOPM_SIZE), test_calloc(1, SVM_MSRPM_SIZE)};
	assert_non_null(m.iopm);
	assert_non_null(m.msrpm);
	return m;
}

static void maps_free(struct maps *m)
{
	test_free(m->iopm);
	test_free(m->msrpm);
}

static bool route(const struct vmcb_control *c, const struct maps *m, u32 code)
{
	return svm_l1_intercepts(c, m->iopm, m->msrpm, code, 0, 0);
}

/* For each exit code of a 32-code class: its bit alone gives true, every other bit false. */
static void check_word_class(u32 first, size_t word_off, const u32 *skip, size_t nskip)
{
	struct maps m = maps_new();
	for (u32 bit = 0; bit < 32; bit++) {
		u32 code = first + bit;
		bool skipped = false;
		for (size_t i = 0; i < nskip; i++)
			skipped |= skip[i] == code;
		if (skipped)
			continue;
		struct vmcb_control c = {0};
		u32 *word = (u32 *)((u8 *)&c + word_off);
		*word = (u32)BIT(bit);
		if (!route(&c, &m, code))
			fail_msg("exit %#x: its own intercept bit %u is set, must reflect", code,
				 bit);
		*word = ~(u32)BIT(bit);
		if (route(&c, &m, code))
			fail_msg("exit %#x: only other bits set, must not reflect", code);
		/* all five words full except this bit: no cross-talk between classes */
		memset(&c, 0xff, 0x18);
		*word = ~(u32)BIT(bit);
		if (route(&c, &m, code))
			fail_msg("exit %#x: every other word full, must not reflect", code);
	}
	maps_free(&m);
}

static void test_route_cr(void **state)
{
	(void)state;
	check_word_class(0x00, offsetof(struct vmcb_control, intercept_cr), NULL, 0);
	/* named cases: CR0 read is bit 0, CR3 write bit 19, CR8 write bit 24 */
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept_cr = BIT(16 + 3)};
	assert_true(route(&c, &m, 0x13));
	assert_false(route(&c, &m, 0x03));
	c.intercept_cr = BIT(24);
	assert_true(route(&c, &m, 0x18));
	assert_false(route(&c, &m, 0x08));
	maps_free(&m);
}

static void test_route_dr(void **state)
{
	(void)state;
	check_word_class(0x20, offsetof(struct vmcb_control, intercept_dr), NULL, 0);
}

static void test_route_exceptions(void **state)
{
	(void)state;
	check_word_class(0x40, offsetof(struct vmcb_control, intercept_exc), NULL, 0);
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept_exc = BIT(EXC_PF) | BIT(EXC_UD)};
	assert_true(route(&c, &m, SVM_EXIT_EXCP_BASE + EXC_PF));
	assert_true(route(&c, &m, SVM_EXIT_EXCP_BASE + EXC_UD));
	assert_false(route(&c, &m, SVM_EXIT_EXCP_BASE + EXC_GP));
	maps_free(&m);
}

static void test_route_intercept1(void **state)
{
	(void)state;
	const u32 by_map[] = {SVM_EXIT_IOIO, SVM_EXIT_MSR}; /* decided by the maps: below */
	check_word_class(0x60, offsetof(struct vmcb_control, intercept1), by_map, 2);
	struct maps m = maps_new();
	const struct {
		u32 code, bit;
	} named[] = {
	    {SVM_EXIT_INTR, SVM_I1_INTR},	  {SVM_EXIT_NMI, SVM_I1_NMI},
	    {SVM_EXIT_INIT, SVM_I1_INIT},	  {SVM_EXIT_VINTR, SVM_I1_VINTR},
	    {SVM_EXIT_RDTSC, SVM_I1_RDTSC},	  {SVM_EXIT_CPUID, SVM_I1_CPUID},
	    {SVM_EXIT_HLT, SVM_I1_HLT},		  {SVM_EXIT_INVLPGA, SVM_I1_INVLPGA},
	    {SVM_EXIT_SHUTDOWN, SVM_I1_SHUTDOWN},
	};
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		struct vmcb_control c = {.intercept1 = named[i].bit};
		if (!route(&c, &m, named[i].code))
			fail_msg("exit %#x with its named intercept1 bit", named[i].code);
		c.intercept1 = ~named[i].bit;
		if (route(&c, &m, named[i].code))
			fail_msg("exit %#x without its named intercept1 bit", named[i].code);
	}
	maps_free(&m);
}

static void test_route_intercept2(void **state)
{
	(void)state;
	check_word_class(0x80, offsetof(struct vmcb_control, intercept2), NULL, 0);
	struct maps m = maps_new();
	const struct {
		u32 code, bit;
	} named[] = {
	    {SVM_EXIT_VMRUN, SVM_I2_VMRUN},   {SVM_EXIT_VMMCALL, SVM_I2_VMMCALL},
	    {SVM_EXIT_VMLOAD, SVM_I2_VMLOAD}, {SVM_EXIT_VMSAVE, SVM_I2_VMSAVE},
	    {SVM_EXIT_STGI, SVM_I2_STGI},     {SVM_EXIT_CLGI, SVM_I2_CLGI},
	    {SVM_EXIT_SKINIT, SVM_I2_SKINIT}, {SVM_EXIT_RDTSCP, SVM_I2_RDTSCP},
	    {SVM_EXIT_XSETBV, SVM_I2_XSETBV},
	};
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		struct vmcb_control c = {.intercept2 = named[i].bit};
		if (!route(&c, &m, named[i].code))
			fail_msg("exit %#x with its named intercept2 bit", named[i].code);
		c.intercept2 = ~named[i].bit;
		if (route(&c, &m, named[i].code))
			fail_msg("exit %#x without its named intercept2 bit", named[i].code);
	}
	maps_free(&m);
}

/* IOIO EXITINFO1 (APM 15.10.2): port 31:16, SZ32/SZ16/SZ8 bits 6:4, TYPE bit 0 (1 = IN). */
static u64 ioio(u16 port, unsigned size, bool in)
{
	unsigned sz = size == 1 ? 1 : size == 2 ? 2 : 4;
	return ((u64)port << 16) | ((u64)sz << SVM_IOIO_SZ_SHIFT) | (in ? SVM_IOIO_IN : 0);
}

static void test_route_ioio(void **state)
{
	(void)state;
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept1 = SVM_I1_IOIO};
	iopm_set(m.iopm, 0x3f8, 1);

	assert_true(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f8, 1, false), 0));
	assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f8, 1, true), 0));
	assert_false(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f9, 1, true), 0));
	assert_false(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f7, 1, true), 0));
	/* a 2-byte access at 0x3f7 covers 0x3f8 */
	assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f7, 2, true), 0));
	/* REP OUTSB with A64 and a segment: the port decode must ignore those bits */
	u64 rep = ioio(0x3f8, 1, false) | SVM_IOIO_STR | SVM_IOIO_REP | BIT(9) | (3u << 10);
	assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, rep, 0));

	/* IOIO_PROT clear: the map is not consulted */
	c.intercept1 = ~(u32)SVM_I1_IOIO;
	assert_false(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x3f8, 1, false), 0));
	maps_free(&m);
}

static void test_route_ioio_multibyte(void **state)
{
	(void)state;
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept1 = SVM_I1_IOIO};
	iopm_set(m.iopm, 0x71, 1); /* only the second byte of a 16-bit access at 0x70 */
	assert_false(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x70, 1, false), 0));
	assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x70, 2, false), 0));
	/* a 32-bit access at 0x6e covers 0x6e-0x71; at 0x6d it covers 0x6d-0x70 */
	assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x6e, 4, true), 0));
	assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x6d, 4, true), 0));
	assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0x72, 4, true), 0));
	/* 0xffff: a 2-byte access also checks the bit for 0x10000 (APM 15.10.1) */
	memset(m.iopm, 0, SVM_IOPM_SIZE);
	m.iopm[0x10000 / 8] = 1;
	assert_false(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0xffff, 1, true), 0));
	assert_true(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0xffff, 2, true), 0));
	assert_true(
	    svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_IOIO, ioio(0xfffe, 4, true), 0));
	maps_free(&m);
}

static void test_route_msr(void **state)
{
	(void)state;
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept1 = SVM_I1_MSR};
	const u32 msrs[] = {0x10, MSR_EFER, MSR_VM_CR, 0x1fff, 0xc0011fff};
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		u32 msr = msrs[i];
		memset(m.msrpm, 0, SVM_MSRPM_SIZE);
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, msr));
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, msr));
		msrpm_set(m.msrpm, msr, true, false); /* read only */
		if (!svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, msr))
			fail_msg("RDMSR %#x with its read bit set", msr);
		if (svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, msr))
			fail_msg("WRMSR %#x with only its read bit set", msr);
		memset(m.msrpm, 0, SVM_MSRPM_SIZE);
		msrpm_set(m.msrpm, msr, false, true); /* write only */
		if (svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, msr))
			fail_msg("RDMSR %#x with only its write bit set", msr);
		if (!svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, msr))
			fail_msg("WRMSR %#x with its write bit set", msr);
		/* MSR_PROT clear: never, whatever the map says */
		c.intercept1 = ~(u32)SVM_I1_MSR;
		memset(m.msrpm, 0xff, SVM_MSRPM_SIZE);
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, msr));
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, msr));
		c.intercept1 = SVM_I1_MSR;
	}
	maps_free(&m);
}

static void test_route_msr_outside_ranges(void **state)
{
	(void)state;
	struct maps m = maps_new();
	struct vmcb_control c = {.intercept1 = SVM_I1_MSR};
	const u32 outside[] = {0x2000, 0x40000000, 0xc0002000, 0xc0012000, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		c.intercept1 = SVM_I1_MSR;
		if (!svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, outside[i]))
			fail_msg("RDMSR %#x outside the MSRPM with MSR_PROT: always intercepted",
				 outside[i]);
		assert_true(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, outside[i]));
		c.intercept1 = 0;
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 0, outside[i]));
		assert_false(svm_l1_intercepts(&c, m.iopm, m.msrpm, SVM_EXIT_MSR, 1, outside[i]));
	}
	maps_free(&m);
}

static void test_route_npf_and_others(void **state)
{
	(void)state;
	struct maps m = maps_new();
	struct vmcb_control c;
	memset(&c, 0xff, sizeof(c)); /* every intercept bit L1 could set */
	memset(m.iopm, 0xff, SVM_IOPM_SIZE);
	memset(m.msrpm, 0xff, SVM_MSRPM_SIZE);
	/* NPF is decided by the NPT12 walk; codes without an intercept bit never reflect here */
	const u32 codes[] = {SVM_EXIT_NPF, 0x401, 0x402, 0x403,	     0xc0,
			     0xff,	   0x100, 0x3ff, 0x7fffffff, SVM_EXIT_INVALID};
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		if (svm_l1_intercepts(&c, m.iopm, m.msrpm, codes[i], ~0ull, ~0u))
			fail_msg("exit %#x must not be routed by intercept bits", codes[i]);
	}
	maps_free(&m);
}

static void test_fixed_insn_len(void **state)
{
	(void)state;
	const struct {
		u32 code;
		unsigned len;
	} cases[] = {
	    {SVM_EXIT_CPUID, 2},   /* 0F A2 */
	    {SVM_EXIT_HLT, 1},	   /* F4 */
	    {SVM_EXIT_RDTSC, 2},   /* 0F 31 */
	    {SVM_EXIT_MSR, 2},	   /* 0F 32 / 0F 30 */
	    {0x6f, 2},		   /* RDPMC 0F 33 */
	    {0x76, 2},		   /* INVD 0F 08 */
	    {0x77, 2},		   /* PAUSE F3 90 */
	    {0x89, 2},		   /* WBINVD 0F 09 */
	    {SVM_EXIT_VMRUN, 3},   /* 0F 01 D8 */
	    {SVM_EXIT_VMMCALL, 3}, /* 0F 01 D9 */
	    {SVM_EXIT_VMLOAD, 3},  /* 0F 01 DA */
	    {SVM_EXIT_VMSAVE, 3},  /* 0F 01 DB */
	    {SVM_EXIT_STGI, 3},	   /* 0F 01 DC */
	    {SVM_EXIT_CLGI, 3},	   /* 0F 01 DD */
	    {SVM_EXIT_SKINIT, 3},  /* 0F 01 DE */
	    {SVM_EXIT_INVLPGA, 3}, /* 0F 01 DF */
	    {SVM_EXIT_RDTSCP, 3},  /* 0F 01 F9 */
	    {SVM_EXIT_XSETBV, 3},  /* 0F 01 D1 */
	    {0x8a, 3},		   /* MONITOR 0F 01 C8 */
	    {0x8b, 3},		   /* MWAIT 0F 01 C9 */
	    /* variable encodings */
	    {SVM_EXIT_IOIO, 0},
	    {0x00, 0}, /* MOV from CR0 */
	    {0x13, 0}, /* MOV to CR3 */
	    {0x27, 0}, /* MOV DR7 */
	    {SVM_EXIT_EXCP_BASE + EXC_UD, 0},
	    {SVM_EXIT_INTR, 0},
	    {SVM_EXIT_SHUTDOWN, 0},
	    {0x79, 0}, /* INVLPG */
	    {SVM_EXIT_NPF, 0},
	    {SVM_EXIT_INVALID, 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned len = svm_fixed_insn_len(cases[i].code);
		if (len != cases[i].len)
			fail_msg("exit %#x: length %u, expected %u", cases[i].code, len,
				 cases[i].len);
	}
	/* fixed encodings the function may know or not (0), but never get wrong */
	const struct {
		u32 code;
		unsigned len;
	} maybe[] = {
	    {0x88, 1}, /* ICEBP F1 */
	    {0x8e, 3}, /* RDPRU 0F 01 FD */
	    {0x73, 2}, /* RSM 0F AA */
	    {0x74, 1}, /* IRET CF (without REX.W) */
	    {0x70, 1}, /* PUSHF 9C */
	    {0x71, 1}, /* POPF 9D */
	};
	for (size_t i = 0; i < ARRAY_SIZE(maybe); i++) {
		unsigned len = svm_fixed_insn_len(maybe[i].code);
		if (len != 0 && len != maybe[i].len)
			fail_msg("exit %#x: length %u, expected %u or 0", maybe[i].code, len,
				 maybe[i].len);
	}
}

/* ---- svm_merge_controls ---- */

static const struct svm_l0_needs l0_needs = {
    SVM_I1_CPUID | SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN | SVM_I1_INVLPGA,
    SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE | SVM_I2_STGI | SVM_I2_CLGI |
	SVM_I2_SKINIT};

static struct vmcb_control *ctl_new(int fill)
{
	struct vmcb_control *c = test_malloc(sizeof(*c));
	assert_non_null(c);
	memset(c, fill, sizeof(*c));
	return c;
}

static void test_merge_intercepts(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb_control *c12 = ctl_new(0), *c02 = ctl_new(0xa5);

	/* L1 intercepts nothing: L0's needs remain */
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->intercept1, l0_needs.intercept1);
	assert_int_equal(c02->intercept2, l0_needs.intercept2);
	assert_int_equal(c02->intercept_cr, 0);
	assert_int_equal(c02->intercept_dr, 0);
	assert_int_equal(c02->intercept_exc, 0);

	/* L1's bits are kept and ORed with L0's */
	c12->intercept_cr = 0x00110011;
	c12->intercept_dr = 0x00ff00ff;
	c12->intercept_exc = BIT(EXC_PF) | BIT(EXC_UD) | BIT(31);
	c12->intercept1 = SVM_I1_HLT | SVM_I1_INTR | SVM_I1_CPUID;
	c12->intercept2 = SVM_I2_VMRUN | SVM_I2_RDTSCP | SVM_I2_XSETBV;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->intercept_cr, 0x00110011);
	assert_int_equal(c02->intercept_dr, 0x00ff00ff);
	assert_int_equal(c02->intercept_exc, BIT(EXC_PF) | BIT(EXC_UD) | BIT(31));
	assert_int_equal(c02->intercept1, l0_needs.intercept1 | SVM_I1_HLT | SVM_I1_INTR);
	assert_int_equal(c02->intercept2, l0_needs.intercept2 | SVM_I2_RDTSCP | SVM_I2_XSETBV);

	/* L1 sets everything except what L0 needs: the union is all ones */
	c12->intercept1 = ~l0_needs.intercept1;
	c12->intercept2 = ~l0_needs.intercept2;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->intercept1, 0xffffffff);
	assert_int_equal(c02->intercept2, 0xffffffff);

	/* the third word is never passed */
	c12->intercept3 = ~0u;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->intercept3, 0);

	/* an arbitrary L0 need is kept, too */
	struct svm_l0_needs odd = {BIT(7), BIT(30)};
	memset(c12, 0, sizeof(*c12));
	svm_merge_controls(c02, c12, &odd, &o);
	assert_int_equal(c02->intercept1, BIT(7));
	assert_int_equal(c02->intercept2, BIT(30));
	test_free(c12);
	test_free(c02);
}

static void test_merge_int_ctl(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb_control *c12 = ctl_new(0), *c02 = ctl_new(0xa5);
	const u64 pass =
	    0xf | V_IRQ | (0xaull << 16) | V_IGN_TPR | V_INTR_MASKING | (0xabull << 32);
	c12->int_ctl = pass;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, pass);

	c12->int_ctl = V_TPR_MASK | V_INTR_PRIO_MASK | V_INTR_VECTOR_MASK;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_TPR_MASK | V_INTR_PRIO_MASK | V_INTR_VECTOR_MASK);

	/* AVIC never passes */
	c12->int_ctl = AVIC_ENABLE | V_IRQ;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_IRQ);

	/* unknown bits never pass (vNMI 11/12/26, bits 10, 13-15, 21-23, 27-30, 40-63) */
	const u64 unknown = BIT(10) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | BIT(15) | BIT(21) |
			    BIT(22) | BIT(23) | BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) |
			    (0xffffffull << 40);
	c12->int_ctl = unknown;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, 0);

	/* everything set: exactly the allow-list (vGIF offered, L1 enabled it) */
	c12->int_ctl = ~0ull;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_TPR_MASK | V_IRQ | V_GIF | V_INTR_PRIO_MASK | V_IGN_TPR |
					   V_INTR_MASKING | V_GIF_ENABLE | V_INTR_VECTOR_MASK);
	test_free(c12);
	test_free(c02);
}

static void test_merge_vgif(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb_control *c12 = ctl_new(0), *c02 = ctl_new(0xa5);

	/* offered and enabled by L1: V_GIF follows L1 */
	c12->int_ctl = V_GIF_ENABLE | V_GIF;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_GIF_ENABLE | V_GIF);
	c12->int_ctl = V_GIF_ENABLE;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_GIF_ENABLE);

	/* offered but not enabled by L1: V_GIF alone does not pass */
	c12->int_ctl = V_GIF | V_IRQ;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_IRQ);

	/* not offered: neither passes, whatever L1 sets */
	o.features &= ~SVM_OFFER_VGIF;
	c12->int_ctl = V_GIF_ENABLE | V_GIF | V_IRQ;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->int_ctl, V_IRQ);
	test_free(c12);
	test_free(c02);
}

static void test_merge_copied_and_cleared_fields(void **state)
{
	(void)state;
	struct svm_offer o = offer();
	struct vmcb_control *c12 = ctl_new(0xff), *c02 = ctl_new(0xa5);
	c12->tsc_offset = 0xfffffff000000123ull; /* negative offsets are common */
	c12->event_inj = evt(3, 14, true, 0x2);
	c12->int_state = ~0ull;
	c12->int_ctl = 0;
	c12->intercept_cr = c12->intercept_dr = c12->intercept_exc = 0;
	c12->intercept1 = c12->intercept2 = c12->intercept3 = 0;
	svm_merge_controls(c02, c12, &l0_needs, &o);
	assert_int_equal(c02->tsc_offset, 0xfffffff000000123ull);
	assert_int_equal(c02->event_inj, evt(3, 14, true, 0x2));
	assert_int_equal(c02->int_state, 1); /* only the interrupt shadow */

	/* not on the list: zero, however L1 filled them */
	assert_int_equal(c02->iopm_base_pa, 0);
	assert_int_equal(c02->msrpm_base_pa, 0);
	assert_int_equal(c02->n_cr3, 0);
	assert_int_equal(c02->asid, 0);
	assert_int_equal(c02->tlb_control, 0);
	assert_int_equal(c02->np_control, 0);
	assert_int_equal(c02->virt_ext, 0);
	assert_int_equal(c02->clean, 0);
	assert_int_equal(c02->pause_filter_count, 0);
	assert_int_equal(c02->pause_filter_thresh, 0);
	assert_int_equal(c02->avic_apic_bar, 0);
	assert_int_equal(c02->ghcb_pa, 0);
	assert_int_equal(c02->next_rip, 0);

	/* and so is every other byte of the control area */
	struct vmcb_control *z = ctl_new(0);
	memcpy(z, c02, sizeof(*z));
	z->intercept1 = z->intercept2 = 0;
	z->tsc_offset = 0;
	z->event_inj = 0;
	z->int_state = 0;
	const u8 *b = (const u8 *)z;
	for (size_t i = 0; i < sizeof(*z); i++) {
		if (b[i])
			fail_msg("vmcb02 control byte %#zx is %#x: not on the allow-list", i, b[i]);
	}
	test_free(z);
	test_free(c12);
	test_free(c02);
}

/* ---- npt12_walk ---- */

#define NPT_BASE  0x7000000ull /* L1-physical address of the fake table pages */
#define NPT_PAGES 8
#define PML4	  0
#define PDPT	  1
#define PD	  2
#define PT	  3

#define E_P	BIT(0)
#define E_RW	BIT(1)
#define E_US	BIT(2)
#define E_PS	BIT(7)
#define E_NX	BIT(63)
#define E_UPPER (E_P | E_RW | E_US)

/* The test address: index 1 / 2 / 3 / 4 at levels 4 / 3 / 2 / 1, page offset 0x567. */
#define GPA ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x567)
#define I4  1
#define I3  2
#define I2  3
#define I1  4

struct npt_mem {
	u64 *pages; /* NPT_PAGES tables of 512 entries */
	int reads;
	u64 read_at[8];
	bool fail_all;
};

static u64 tpa(int page)
{
	return NPT_BASE + (u64)page * PAGE_SIZE;
}

static u64 *tbl(struct npt_mem *m, int page)
{
	return m->pages + page * 512;
}

static bool npt_read(void *ctx, u64 gpa, u64 *entry)
{
	struct npt_mem *m = ctx;
	if (m->reads < (int)ARRAY_SIZE(m->read_at))
		m->read_at[m->reads] = gpa;
	m->reads++;
	if (m->fail_all || gpa < NPT_BASE || gpa >= NPT_BASE + NPT_PAGES * PAGE_SIZE)
		return false;
	if (gpa & 7)
		fail_msg("misaligned entry read at %#llx", (unsigned long long)gpa);
	*entry = m->pages[(gpa - NPT_BASE) / 8];
	return true;
}

/* A complete 4-level mapping of GPA to a 4 KiB page at `leaf_pa`, all levels P|RW|US. */
static void npt_setup(struct npt_mem *m, u64 leaf_pa)
{
	m->pages = test_calloc(NPT_PAGES, PAGE_SIZE);
	assert_non_null(m->pages);
	m->reads = 0;
	m->fail_all = false;
	tbl(m, PML4)[I4] = tpa(PDPT) | E_UPPER;
	tbl(m, PDPT)[I3] = tpa(PD) | E_UPPER;
	tbl(m, PD)[I2] = tpa(PT) | E_UPPER;
	tbl(m, PT)[I1] = leaf_pa | E_UPPER;
}

static void npt_free(struct npt_mem *m)
{
	test_free(m->pages);
	m->pages = NULL;
}

static struct npt12_walk walk(struct npt_mem *m, u64 gpa, u64 access, u8 maxphy, bool nx)
{
	struct npt12_walk w;
	memset(&w, 0x5a, sizeof(w)); /* stale output must be overwritten */
	m->reads = 0;
	npt12_walk(npt_read, m, tpa(PML4), gpa, access, maxphy, nx, &w);
	return w;
}

static void expect_ok(const struct npt12_walk *w, u64 l1_gpa, int level, bool wr, bool x)
{
	if (w->fault)
		fail_msg("unexpected fault, error %#llx", (unsigned long long)w->error);
	if (w->l1_gpa != l1_gpa)
		fail_msg("translated to %#llx, expected %#llx", (unsigned long long)w->l1_gpa,
			 (unsigned long long)l1_gpa);
	assert_int_equal(w->level, level);
	assert_int_equal(w->writable, wr);
	assert_int_equal(w->exec, x);
}

static void expect_fault(const struct npt12_walk *w, u64 error)
{
	if (!w->fault)
		fail_msg("no fault (translated to %#llx), expected error %#llx",
			 (unsigned long long)w->l1_gpa, (unsigned long long)error);
	if (w->error != error)
		fail_msg("error %#llx, expected %#llx", (unsigned long long)w->error,
			 (unsigned long long)error);
}

static void test_npt_4k(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0xabcde000);
	struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0xabcde567, 1, true, true);
	/* it read exactly the four entries on GPA's path */
	assert_int_equal(m.reads, 4);
	assert_int_equal(m.read_at[0], tpa(PML4) + 8 * I4);
	assert_int_equal(m.read_at[1], tpa(PDPT) + 8 * I3);
	assert_int_equal(m.read_at[2], tpa(PD) + 8 * I2);
	assert_int_equal(m.read_at[3], tpa(PT) + 8 * I1);
	/* write and fetch are allowed too */
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_ok(&w, 0xabcde567, 1, true, true);
	w = walk(&m, GPA, NPF_ID, MAXPHY, true);
	expect_ok(&w, 0xabcde567, 1, true, true);
	/* the last byte of the page */
	w = walk(&m, (GPA & ~0xfffull) | 0xfff, 0, MAXPHY, true);
	expect_ok(&w, 0xabcdefff, 1, true, true);
	/* ignored bits in entries (A, D, G, AVL, PAT, PWT, PCD, software 62:52) do not matter */
	tbl(&m, PT)[I1] |=
	    BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | (0x7ull << 9) | (0x7ffull << 52);
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_ok(&w, 0xabcde567, 1, true, true);
	npt_free(&m);
}

/* The walk reports where its entries are (for A/D bits) and the leaf's D bit. */
static void test_npt_entries_and_dirty(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0xabcde000);
	struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
	assert_int_equal(w.nentries, 4);
	assert_int_equal(w.entry_gpa[0], tpa(PML4) + 8 * I4);
	assert_int_equal(w.entry_gpa[1], tpa(PDPT) + 8 * I3);
	assert_int_equal(w.entry_gpa[2], tpa(PD) + 8 * I2);
	assert_int_equal(w.entry_gpa[3], tpa(PT) + 8 * I1);
	assert_false(w.dirty);
	tbl(&m, PT)[I1] |= NPT_D;
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	assert_true(w.dirty);
	/* a fault at the PD level read three entries */
	tbl(&m, PD)[I2] &= ~1ull;
	w = walk(&m, GPA, 0, MAXPHY, true);
	assert_true(w.fault);
	assert_int_equal(w.nentries, 3);
	npt_free(&m);
}

static void test_npt_ncr3_low_bits_ignored(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0x5000);
	struct npt12_walk w;
	m.reads = 0;
	npt12_walk(npt_read, &m, tpa(PML4) | 0x18, GPA, 0, MAXPHY, true, &w); /* PWT|PCD */
	expect_ok(&w, 0x5567, 1, true, true);
	assert_int_equal(m.read_at[0], tpa(PML4) + 8 * I4);
	npt_free(&m);
}

static void test_npt_2m(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0);
	tbl(&m, PD)[I2] = 0x40000000 | E_UPPER | E_PS;
	struct npt12_walk w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_ok(&w, 0x40000000 | (GPA & 0x1fffff), 2, true, true);
	assert_int_equal(m.reads, 3);
	/* PAT (bit 12) of a large page is not an address bit */
	tbl(&m, PD)[I2] = 0x40000000 | BIT(12) | E_UPPER | E_PS;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0x40000000 | (GPA & 0x1fffff), 2, true, true);
	/* bits 20:13 are reserved in a 2 MiB leaf */
	tbl(&m, PD)[I2] = 0x40000000 | BIT(13) | E_UPPER | E_PS;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	tbl(&m, PD)[I2] = 0x40000000 | BIT(20) | E_UPPER | E_PS;
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RW | NPF_RSV);
	npt_free(&m);
}

static void test_npt_1g(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0);
	tbl(&m, PDPT)[I3] = 0x80000000 | E_UPPER | E_PS;
	struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0x80000000 | (GPA & 0x3fffffff), 3, true, true);
	assert_int_equal(m.reads, 2);
	tbl(&m, PDPT)[I3] = 0x80000000 | BIT(12) | E_UPPER | E_PS; /* PAT */
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0x80000000 | (GPA & 0x3fffffff), 3, true, true);
	/* bits 29:13 are reserved in a 1 GiB leaf */
	const int rsv[] = {13, 21, 29};
	for (size_t i = 0; i < ARRAY_SIZE(rsv); i++) {
		tbl(&m, PDPT)[I3] = 0x80000000 | BIT(rsv[i]) | E_UPPER | E_PS;
		w = walk(&m, GPA, 0, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	}
	/* PS in a PML4 entry is reserved (no 512 GiB pages) */
	tbl(&m, PDPT)[I3] = tpa(PD) | E_UPPER;
	tbl(&m, PML4)[I4] |= E_PS;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	npt_free(&m);
}

static void test_npt_not_present_each_level(void **state)
{
	(void)state;
	const struct {
		u64 access, error;
	} acc[] = {
	    {0, NPF_US},
	    {NPF_RW, NPF_US | NPF_RW},
	    {NPF_ID, NPF_US | NPF_ID},
	    /* other bits of the access (as in a hardware EXITINFO1) are not copied */
	    {NPF_RW | NPF_P | NPF_US | NPF_RSV | BIT(32), NPF_US | NPF_RW},
	};
	for (int page = PML4; page <= PT; page++) {
		static const int idx[] = {I4, I3, I2, I1};
		for (size_t a = 0; a < ARRAY_SIZE(acc); a++) {
			struct npt_mem m;
			npt_setup(&m, 0x5000);
			/* not present, with junk in the other bits (which must be ignored) */
			tbl(&m, page)[idx[page]] = ~E_P;
			struct npt12_walk w = walk(&m, GPA, acc[a].access, MAXPHY, true);
			expect_fault(&w, acc[a].error);
			assert_int_equal(m.reads, page + 1);
			assert_int_equal(w.l1_gpa, 0);
			assert_int_equal(w.level, 0);
			npt_free(&m);
		}
	}
}

static void test_npt_write_read_only(void **state)
{
	(void)state;
	for (int page = PML4; page <= PT; page++) {
		static const int idx[] = {I4, I3, I2, I1};
		struct npt_mem m;
		npt_setup(&m, 0x5000);
		tbl(&m, page)[idx[page]] &= ~E_RW;
		struct npt12_walk w = walk(&m, GPA, NPF_RW, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_RW | NPF_US);
		/* reads and fetches still work, and report the page read-only */
		w = walk(&m, GPA, 0, MAXPHY, true);
		expect_ok(&w, 0x5567, 1, false, true);
		w = walk(&m, GPA, NPF_ID, MAXPHY, true);
		expect_ok(&w, 0x5567, 1, false, true);
		npt_free(&m);
	}
	/* a read-only level above a 2 MiB leaf */
	struct npt_mem m;
	npt_setup(&m, 0);
	tbl(&m, PD)[I2] = 0x200000 | E_UPPER | E_PS;
	tbl(&m, PDPT)[I3] &= ~E_RW;
	struct npt12_walk w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_RW | NPF_US);
	npt_free(&m);
}

static void test_npt_nx(void **state)
{
	(void)state;
	for (int page = PML4; page <= PT; page++) {
		static const int idx[] = {I4, I3, I2, I1};
		struct npt_mem m;
		npt_setup(&m, 0x5000);
		tbl(&m, page)[idx[page]] |= E_NX;
		/* NX honoured: fetch faults, read and write do not */
		struct npt12_walk w = walk(&m, GPA, NPF_ID, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_ID | NPF_US);
		w = walk(&m, GPA, 0, MAXPHY, true);
		expect_ok(&w, 0x5567, 1, true, false);
		w = walk(&m, GPA, NPF_RW, MAXPHY, true);
		expect_ok(&w, 0x5567, 1, true, false);
		/* without EFER.NXE the bit is reserved, for every kind of access */
		w = walk(&m, GPA, 0, MAXPHY, false);
		expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
		w = walk(&m, GPA, NPF_ID, MAXPHY, false);
		expect_fault(&w, NPF_P | NPF_ID | NPF_US | NPF_RSV);
		npt_free(&m);
	}
	/* without NXE and without the bit, fetches are allowed */
	struct npt_mem m;
	npt_setup(&m, 0x5000);
	struct npt12_walk w = walk(&m, GPA, NPF_ID, MAXPHY, false);
	expect_ok(&w, 0x5567, 1, true, true);
	npt_free(&m);
}

static void test_npt_user_clear(void **state)
{
	(void)state;
	/* every nested access is a user access (APM 15.25.5): U/S=0 anywhere faults */
	for (int page = PML4; page <= PT; page++) {
		static const int idx[] = {I4, I3, I2, I1};
		struct npt_mem m;
		npt_setup(&m, 0x5000);
		tbl(&m, page)[idx[page]] &= ~E_US;
		struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_US);
		w = walk(&m, GPA, NPF_RW, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_RW | NPF_US);
		w = walk(&m, GPA, NPF_ID, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_ID | NPF_US);
		npt_free(&m);
	}
}

static void test_npt_reserved_address_bits(void **state)
{
	(void)state;
	/* the leaf's address above MAXPHYADDR */
	struct npt_mem m;
	npt_setup(&m, BIT(MAXPHY));
	struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_RW | NPF_US | NPF_RSV);
	/* the highest address below MAXPHYADDR is fine */
	tbl(&m, PT)[I1] = (BIT(MAXPHY) - PAGE_SIZE) | E_UPPER;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, BIT(MAXPHY) - PAGE_SIZE + 0x567, 1, true, true);
	/* with a 52-bit MAXPHYADDR, bit 51 is an address bit */
	tbl(&m, PT)[I1] = BIT(51) | E_UPPER;
	w = walk(&m, GPA, 0, 52, true);
	expect_ok(&w, BIT(51) | 0x567, 1, true, true);
	/* ... and reserved with a 51-bit one */
	w = walk(&m, GPA, 0, 51, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	npt_free(&m);

	/* an upper level pointing above MAXPHYADDR: reserved, found before following it */
	const int bits[] = {MAXPHY, 45, 51};
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		npt_setup(&m, 0x5000);
		tbl(&m, PDPT)[I3] |= BIT(bits[i]);
		w = walk(&m, GPA, NPF_ID, MAXPHY, true);
		expect_fault(&w, NPF_P | NPF_ID | NPF_US | NPF_RSV);
		assert_int_equal(m.reads, 2);
		npt_free(&m);
	}
	/* 2 MiB leaf above MAXPHYADDR */
	npt_setup(&m, 0);
	tbl(&m, PD)[I2] = BIT(MAXPHY + 2) | E_UPPER | E_PS;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_US | NPF_RSV);
	npt_free(&m);
}

static void test_npt_read_fails(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0x5000);
	/* nested CR3 itself unreadable */
	m.fail_all = true;
	struct npt12_walk w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	assert_true(w.fault);
	assert_true(w.error & NPF_RSV);
	assert_true(w.error & NPF_US);
	assert_true(w.error & NPF_RW);
	assert_int_equal(m.reads, 1);
	m.fail_all = false;
	/* a lower table outside readable memory (but below MAXPHYADDR) */
	tbl(&m, PDPT)[I3] = 0x900000000ull | E_UPPER;
	w = walk(&m, GPA, 0, MAXPHY, true);
	assert_true(w.fault);
	assert_true(w.error & NPF_RSV);
	assert_int_equal(m.reads, 3);
	npt_free(&m);
}

static void test_npt_flags_combine(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0x5000);
	tbl(&m, PML4)[I4] |= E_NX;	    /* no execution above ... */
	tbl(&m, PDPT)[I3] &= ~E_RW;	    /* ... read-only in the middle ... */
	tbl(&m, PT)[I1] = 0x5000 | E_UPPER; /* ... but a writable, executable leaf */
	struct npt12_walk w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0x5567, 1, false, false);
	w = walk(&m, GPA, NPF_RW, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_RW | NPF_US);
	w = walk(&m, GPA, NPF_ID, MAXPHY, true);
	expect_fault(&w, NPF_P | NPF_ID | NPF_US);
	/* the reverse: permissive upper levels, a read-only NX leaf */
	npt_free(&m);
	npt_setup(&m, 0x5000);
	tbl(&m, PT)[I1] = 0x5000 | E_P | E_US | E_NX;
	w = walk(&m, GPA, 0, MAXPHY, true);
	expect_ok(&w, 0x5567, 1, false, false);
	/* a 2 MiB leaf combines with its upper levels as well */
	tbl(&m, PD)[I2] = 0x600000 | E_UPPER | E_PS;
	tbl(&m, PML4)[I4] &= ~E_RW;
	w = walk(&m, GPA, NPF_ID, MAXPHY, true);
	expect_ok(&w, 0x600000 | (GPA & 0x1fffff), 2, false, true);
	npt_free(&m);
}

/* Other addresses use other indices: two GPAs sharing upper tables map independently. */
static void test_npt_index_bits(void **state)
{
	(void)state;
	struct npt_mem m;
	npt_setup(&m, 0x5000);
	u64 other = GPA + PAGE_SIZE; /* index 5 in the same PT */
	tbl(&m, PT)[I1 + 1] = 0x9000 | E_UPPER;
	struct npt12_walk w = walk(&m, other, 0, MAXPHY, true);
	expect_ok(&w, 0x9567, 1, true, true);
	/* index 511 at every level */
	u64 top = 0x0000ffffffffffffull;
	tbl(&m, PML4)[511] = tpa(4) | E_UPPER;
	tbl(&m, 4)[511] = tpa(5) | E_UPPER;
	tbl(&m, 5)[511] = tpa(6) | E_UPPER;
	tbl(&m, 6)[511] = 0xfff000 | E_UPPER;
	w = walk(&m, top, 0, MAXPHY, true);
	expect_ok(&w, 0xffffff, 1, true, true);
	/* index 0 everywhere is not present */
	w = walk(&m, 0, 0, MAXPHY, true);
	expect_fault(&w, NPF_US);
	npt_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_valid_long_mode),
	    cmocka_unit_test(test_check_valid_other_modes),
	    cmocka_unit_test(test_check_efer_svme_clear),
	    cmocka_unit_test(test_check_cr0_cd_nw),
	    cmocka_unit_test(test_check_cr0_high),
	    cmocka_unit_test(test_check_cr3_mbz_long_mode),
	    cmocka_unit_test(test_check_cr4_mbz),
	    cmocka_unit_test(test_check_dr6_dr7_high),
	    cmocka_unit_test(test_check_efer_mbz),
	    cmocka_unit_test(test_check_long_mode_without_pae),
	    cmocka_unit_test(test_check_long_mode_without_pe),
	    cmocka_unit_test(test_check_long_mode_cs_l_and_d),
	    cmocka_unit_test(test_check_vmrun_intercept),
	    cmocka_unit_test(test_check_iopm_beyond_maxphyaddr),
	    cmocka_unit_test(test_check_msrpm_beyond_maxphyaddr),
	    cmocka_unit_test(test_check_bitmaps_wrapping_2_64),
	    cmocka_unit_test(test_check_asid_zero),
	    cmocka_unit_test(test_check_nested_cr3),
	    cmocka_unit_test(test_check_eventinj_reserved_types),
	    cmocka_unit_test(test_check_eventinj_exception_vectors),
	    cmocka_unit_test(test_check_eventinj_legal_types),
	    cmocka_unit_test(test_check_eventinj_not_valid),
	    cmocka_unit_test(test_canonicalize),
	    cmocka_unit_test(test_route_cr),
	    cmocka_unit_test(test_route_dr),
	    cmocka_unit_test(test_route_exceptions),
	    cmocka_unit_test(test_route_intercept1),
	    cmocka_unit_test(test_route_intercept2),
	    cmocka_unit_test(test_route_ioio),
	    cmocka_unit_test(test_route_ioio_multibyte),
	    cmocka_unit_test(test_route_msr),
	    cmocka_unit_test(test_route_msr_outside_ranges),
	    cmocka_unit_test(test_route_npf_and_others),
	    cmocka_unit_test(test_fixed_insn_len),
	    cmocka_unit_test(test_merge_intercepts),
	    cmocka_unit_test(test_merge_int_ctl),
	    cmocka_unit_test(test_merge_vgif),
	    cmocka_unit_test(test_merge_copied_and_cleared_fields),
	    cmocka_unit_test(test_npt_4k),
	    cmocka_unit_test(test_npt_ncr3_low_bits_ignored),
	    cmocka_unit_test(test_npt_2m),
	    cmocka_unit_test(test_npt_1g),
	    cmocka_unit_test(test_npt_not_present_each_level),
	    cmocka_unit_test(test_npt_write_read_only),
	    cmocka_unit_test(test_npt_nx),
	    cmocka_unit_test(test_npt_user_clear),
	    cmocka_unit_test(test_npt_reserved_address_bits),
	    cmocka_unit_test(test_npt_read_fails),
	    cmocka_unit_test(test_npt_entries_and_dirty),
	    cmocka_unit_test(test_npt_flags_combine),
	    cmocka_unit_test(test_npt_index_bits),
	};
	return cmocka_run_group_tests_name("nested", tests, NULL, NULL);
}
