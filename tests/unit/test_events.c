/* svm/nested_route.c: re-delivering an interrupted event, and which exits report NextRIP. */
#include "tests/unit/unit.h"

#include "kernel/x86.h"
#include "svm/nested.h"

#define VALID SVM_EVT_VALID
#define TYPE(t) ((u64)(t) << 8)

static struct vmcb v;

static void reset(u64 int_ctl)
{
	memset(&v, 0, sizeof(v));
	v.control.int_ctl = int_ctl;
}

/* Exceptions, NMIs, interrupts and software interrupts as a real CPU reports them pass as is. */
static void test_reinject_architectural(void **state)
{
	(void)state;
	const u64 events[] = {
	    VALID | TYPE(3) | EXC_GP | SVM_EVT_ERR | (0x18ull << 32), /* #GP(0x18) */
	    VALID | TYPE(3) | EXC_PF | SVM_EVT_ERR | (2ull << 32),    /* #PF, write */
	    VALID | TYPE(3) | EXC_UD,				      /* #UD */
	    VALID | TYPE(2) | EXC_NMI,				      /* NMI */
	    VALID | TYPE(0) | 0x30,				      /* INTR 0x30 */
	    VALID | TYPE(4) | 0x80,				      /* INT 0x80 */
	};
	for (unsigned i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		reset(0);
		svm_reinject(&v, events[i]);
		assert_int_equal(v.control.event_inj, events[i]);
		assert_int_equal(v.control.int_ctl, 0);
	}
}

/* QEMU TCG reports interrupts and NMIs as type 3 "exceptions": no exception has vector 2 or
 * one above 31, and VMRUN would reject such an injection. */
static void test_reinject_qemu_type3(void **state)
{
	(void)state;
	reset(0);
	svm_reinject(&v, VALID | TYPE(3) | 0x50);
	assert_int_equal(v.control.event_inj, VALID | TYPE(0) | 0x50);
	reset(0);
	svm_reinject(&v, VALID | TYPE(3) | EXC_NMI);
	assert_int_equal(v.control.event_inj, VALID | TYPE(2) | EXC_NMI);
	/* no error code survives the conversion */
	reset(0);
	svm_reinject(&v, VALID | TYPE(3) | SVM_EVT_ERR | 0xff | (7ull << 32));
	assert_int_equal(v.control.event_inj & (SVM_EVT_ERR | TYPE(7) | 0xff), TYPE(0) | 0xff);
	/* vector 31 is an exception vector (reserved): left alone */
	reset(0);
	svm_reinject(&v, VALID | TYPE(3) | 31);
	assert_int_equal(v.control.event_inj, VALID | TYPE(3) | 31);
}

/* V_IRQ still set for the interrupt being delivered (QEMU) is cleared, as the CPU would have;
 * a pending V_IRQ of another vector, or an exception, leaves it alone. */
static void test_reinject_virtual_interrupt(void **state)
{
	(void)state;
	u64 virq50 = (0x50ull << 32) | 0x100 /* V_IRQ */ | 0xf0000 /* prio */;
	reset(virq50);
	svm_reinject(&v, VALID | TYPE(3) | 0x50);
	assert_int_equal(v.control.int_ctl, virq50 & ~0x100ull);
	reset(virq50);
	svm_reinject(&v, VALID | TYPE(0) | 0x50);
	assert_int_equal(v.control.int_ctl, virq50 & ~0x100ull);
	reset(virq50);
	svm_reinject(&v, VALID | TYPE(0) | 0x51);
	assert_int_equal(v.control.int_ctl, virq50);
	reset(virq50);
	svm_reinject(&v, VALID | TYPE(4) | 0x50); /* INT 0x50 is not the virtual interrupt */
	assert_int_equal(v.control.int_ctl, virq50);
	reset(virq50 & ~0x100ull);
	svm_reinject(&v, VALID | TYPE(0) | 0x50);
	assert_int_equal(v.control.int_ctl, virq50 & ~0x100ull);
}

static void test_instruction_intercepts(void **state)
{
	(void)state;
	const u32 yes[] = {0x00, 0x10, 0x1f, 0x20, 0x3f, 0x65, 0x66, 0x6e, 0x72, 0x75, 0x78,
			   0x79, 0x7a, 0x7b, 0x7c, 0x80, 0x81, 0x87, 0x8d, 0x8e};
	const u32 no[] = {0x40, 0x4e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x7d, 0x7e,
			  0x7f, 0x8f, 0x90, 0x9f, 0x400, 0xffffffff};
	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(svm_instruction_intercept(yes[i]));
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(svm_instruction_intercept(no[i]));
}

static void test_canonicalize_vmload(void **state)
{
	(void)state;
	struct vmcb_save s;
	memset(&s, 0, sizeof(s));
	s.fs.base = 0x0000800000001000ull;
	s.gs.base = 0x00007fffffffffffull;
	s.tr.base = 0x1234800000000000ull;
	s.ldtr.base = 0xffff800000000000ull;
	s.kernel_gs_base = 0x0000900000000000ull;
	s.cs.base = 0x0000800000000000ull; /* not VMLOAD state: untouched */
	svm_canonicalize_vmload(&s);
	assert_int_equal(s.fs.base, 0xffff800000001000ull);
	assert_int_equal(s.gs.base, 0x00007fffffffffffull);
	assert_int_equal(s.tr.base, 0xffff800000000000ull);
	assert_int_equal(s.ldtr.base, 0xffff800000000000ull);
	assert_int_equal(s.kernel_gs_base, 0xffff900000000000ull);
	assert_int_equal(s.cs.base, 0x0000800000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reinject_architectural),
	    cmocka_unit_test(test_reinject_qemu_type3),
	    cmocka_unit_test(test_reinject_virtual_interrupt),
	    cmocka_unit_test(test_instruction_intercepts),
	    cmocka_unit_test(test_canonicalize_vmload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
