/*
 * Shared helpers of the libFuzzer harnesses in tests/fuzz/: reading typed values from the
 * fuzz input, invariant checks that abort (libFuzzer then saves the input as a crash
 * artifact), and the structural invariants of a normalized memory map.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H
#include "lib/types.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For the harness's own models and checks: no coverage instrumentation (its comparison
 * tracing would cost more than the code under test; ASan and UBSan stay).
 */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

/* An invariant: on failure print what and where, then abort (a libFuzzer crash). */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
/* The same with a printf-style explanation of the values involved. */
#define CHECKF(c, ...)                                                                             \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #c);  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a stream of little-endian values; reading past its end gives zeros. */
struct fin {
	const u8 *p;
	size_t n;
};

static inline u8 fin_u8(struct fin *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline u64 fin_bytes(struct fin *f, unsigned k)
{
	u64 v = 0;
	for (unsigned i = 0; i < k; i++)
		v |= (u64)fin_u8(f) << (8 * i);
	return v;
}

static inline u16 fin_u16(struct fin *f)
{
	return (u16)fin_bytes(f, 2);
}
static inline u32 fin_u32(struct fin *f)
{
	return (u32)fin_bytes(f, 4);
}
static inline u64 fin_u64(struct fin *f)
{
	return fin_bytes(f, 8);
}

#ifdef FUZZ_WANT_MEMMAP
#include "kernel/memmap.h"
/*
 * A normalized map: 0 <= n <= MEMMAP_MAX, every range non-empty, sorted and non-overlapping,
 * usable RAM in whole pages.
 */
NO_COVERAGE static inline void check_memmap_structure(const struct memmap *m)
{
	CHECKF(m->n >= 0 && m->n <= MEMMAP_MAX, "n=%d", m->n);
	for (int i = 0; i < m->n; i++) {
		const struct mem_range *r = &m->r[i];
		CHECKF(r->base < r->end, "range %d [%#llx, %#llx)", i, (unsigned long long)r->base,
		       (unsigned long long)r->end);
		if (r->type == MB_MEM_AVAILABLE)
			CHECKF(!(r->base & (PAGE_SIZE - 1)) && !(r->end & (PAGE_SIZE - 1)),
			       "RAM range %d [%#llx, %#llx) not page-aligned", i,
			       (unsigned long long)r->base, (unsigned long long)r->end);
		if (i > 0)
			CHECKF(m->r[i - 1].end <= r->base,
			       "ranges %d and %d overlap or are unsorted: [%#llx, %#llx) [%#llx, "
			       "%#llx)",
			       i - 1, i, (unsigned long long)m->r[i - 1].base,
			       (unsigned long long)m->r[i - 1].end, (unsigned long long)r->base,
			       (unsigned long long)r->end);
	}
}

NO_COVERAGE static inline void dump_memmap(const char *what, const struct memmap *m)
{
	fprintf(stderr, "%s (%d ranges):\n", what, m->n);
	for (int i = 0; i < m->n && i < MEMMAP_MAX; i++)
		fprintf(stderr, "  [%#018llx, %#018llx) type %u\n",
			(unsigned long long)m->r[i].base, (unsigned long long)m->r[i].end,
			m->r[i].type);
}
#endif

#endif
