/* One line per check: PASS, FAIL (with what was expected), SKIP (feature absent) or KNOWN
 * (the emulator deviates from the APM: not counted as a failure). */
#include "guests/probe-svm/probe.h"
#include "lib/printf.h"
#include "lib/string.h"

const char bochs_hif_note[] =
    "emulator deviates: APM 15.21.1: with V_INTR_MASKING=1 physical interrupts are masked by "
    "the host's RFLAGS.IF; Bochs unmasks them whenever the guest's IF is set, so the level "
    "below cannot hold L1's interrupts while L1's GIF is 0";

static int n_pass, n_fail, n_skip, n_known;

void pass(const char *name)
{
	n_pass++;
	kprintf("PASS: %s\n", name);
}

static void vline(const char *tag, const char *name, const char *fmt, va_list ap)
{
	kprintf("%s: %s (", tag, name);
	kvprintf(fmt, ap);
	kprintf(")\n");
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	n_fail++;
	va_start(ap, fmt);
	vline("FAIL", name, fmt, ap);
	va_end(ap);
}

void known(const char *name, const char *fmt, ...)
{
	va_list ap;
	n_known++;
	va_start(ap, fmt);
	vline("KNOWN", name, fmt, ap);
	va_end(ap);
}

void skip(const char *name, const char *reason)
{
	n_skip++;
	kprintf("SKIP: %s (%s)\n", name, reason);
}

bool expect(const char *name, const char *what, u64 want, u64 got)
{
	if (want == got) {
		pass(name);
		return true;
	}
	fail(name, "%s: expected %lx got %lx", what, want, got);
	return false;
}

bool expect_dev(const char *name, const char *what, u64 want, u64 got, int emu, u64 dev,
		const char *why)
{
	if (want != got && got == dev && feat.emu == emu) {
		known(name, "emulator deviates: %s; %s: expected %lx got %lx", why, what, want,
		      got);
		return false;
	}
	return expect(name, what, want, got);
}

void ck_begin(struct ck *c, const char *name)
{
	c->name = name;
	c->failed = false;
	c->msg[0] = 0;
}

struct buf {
	char *p;
	size_t left;
};

static void buf_putc(void *ctx, char ch)
{
	struct buf *b = ctx;
	if (b->left > 1) {
		*b->p++ = ch;
		*b->p = 0;
		b->left--;
	}
}

static void ck_note(struct ck *c, const char *fmt, ...)
{
	size_t used = strlen(c->msg);
	struct buf b = {c->msg + used, sizeof(c->msg) - used};
	va_list ap;
	va_start(ap, fmt);
	fmt_vformat(buf_putc, &b, fmt, ap);
	va_end(ap);
}

void ck_eq(struct ck *c, const char *what, u64 want, u64 got)
{
	if (want == got)
		return;
	ck_note(c, "%s%s: expected %lx got %lx", c->failed ? "; " : "", what, want, got);
	c->failed = true;
}

void ck_true(struct ck *c, const char *what, bool ok)
{
	if (ok)
		return;
	ck_note(c, "%s%s", c->failed ? "; " : "", what);
	c->failed = true;
}

bool ck_done(struct ck *c)
{
	if (c->failed)
		fail(c->name, "%s", c->msg);
	else
		pass(c->name);
	return !c->failed;
}

void report_summary(int *status)
{
	kprintf("probe-svm: %d known emulator deviations (KNOWN lines, not counted as failures)\n",
		n_known);
	kprintf("probe-svm: %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	*status = n_fail ? 1 : 0;
}
