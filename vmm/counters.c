#include "vmm/counters.h"

void counters_add(struct counters *t, int source, u32 reason, enum route route, u64 cycles)
{
	for (int i = 0; i < t->n; i++) {
		struct counter *c = &t->c[i];
		if (c->source == source && c->reason == reason && c->route == route) {
			c->count++;
			c->cycles += cycles;
			return;
		}
	}
	if (t->n == COUNTERS_MAX) {
		t->dropped++;
		return;
	}
	t->c[t->n++] = (struct counter){source, reason, route, 1, cycles};
}

u64 counters_total(const struct counters *t)
{
	u64 n = t->dropped;
	for (int i = 0; i < t->n; i++)
		n += t->c[i].count;
	return n;
}

const char *route_name(enum route r)
{
	switch (r) {
	case ROUTE_HANDLED:
		return "handled";
	case ROUTE_REFLECTED:
		return "reflected";
	default:
		return "fatal";
	}
}

void counters_print(const struct counters *t, const char *(*reason_name)(u32 reason),
		    void (*print)(const char *fmt, ...))
{
	print("exit counters: %lu exits\n", counters_total(t));
	print("  %-6s %-22s %-9s %10s %14s %10s\n", "source", "reason", "route", "count", "cycles",
	      "cyc/exit");
	for (int i = 0; i < t->n; i++) {
		const struct counter *c = &t->c[i];
		print("  L%-5d %-22s %-9s %10lu %14lu %10lu\n", c->source, reason_name(c->reason),
		      route_name(c->route), c->count, c->cycles, c->cycles / c->count);
	}
	if (t->dropped)
		print("  (%lu exits in categories beyond the table)\n", t->dropped);
}
