/* Exit counters per (source level, reason, route), printed when the run ends. */
#ifndef VMM_COUNTERS_H
#define VMM_COUNTERS_H
#include "lib/types.h"

enum route {
	ROUTE_HANDLED,	 /* handled by this level, guest resumed */
	ROUTE_REFLECTED, /* reflected to the guest hypervisor */
	ROUTE_FATAL,	 /* ended the run */
};

#define COUNTERS_MAX 64

struct counter {
	int source;
	u32 reason;
	enum route route;
	u64 count, cycles;
};

struct counters {
	int n;
	u64 dropped;
	struct counter c[COUNTERS_MAX];
};

void counters_add(struct counters *t, int source, u32 reason, enum route route, u64 cycles);
u64 counters_total(const struct counters *t);
const char *route_name(enum route r);
/* Prints a table; reason_name maps a vendor exit reason to text. */
void counters_print(const struct counters *t, const char *(*reason_name)(u32 reason),
		    void (*print)(const char *fmt, ...));

#endif
