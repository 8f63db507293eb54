/* vmcb02's controls from the cached vmcb12: allow-list, never a copy (DESIGN section 4). */
#include "svm/nested.h"
#include "lib/string.h"

/* int_ctl bits L1 may set for L2; AVIC and anything unknown never pass. */
#define INT_CTL_ALLOWED                                                                            \
	(V_TPR_MASK | V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR | V_INTR_MASKING | V_INTR_VECTOR_MASK)

void svm_merge_controls(struct vmcb_control *c02, const struct vmcb_control *c12,
			const struct svm_l0_needs *l0, const struct svm_offer *o)
{
	memset(c02, 0, sizeof(*c02));
	c02->intercept_cr = c12->intercept_cr;
	c02->intercept_dr = c12->intercept_dr;
	c02->intercept_exc = c12->intercept_exc;
	c02->intercept1 = c12->intercept1 | l0->intercept1;
	c02->intercept2 = c12->intercept2 | l0->intercept2;
	c02->intercept3 = 0; /* nothing in the third word is offered */
	c02->tsc_offset = c12->tsc_offset;
	c02->int_ctl = c12->int_ctl & INT_CTL_ALLOWED;
	if ((o->features & SVM_OFFER_VGIF) && (c12->int_ctl & V_GIF_ENABLE))
		c02->int_ctl |= c12->int_ctl & (V_GIF | V_GIF_ENABLE);
	c02->int_state = c12->int_state & 1; /* interrupt shadow */
	c02->event_inj = c12->event_inj;     /* checked by svm_check_vmcb12 */
}
