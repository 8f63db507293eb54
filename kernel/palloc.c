#include "kernel/palloc.h"
#include "lib/string.h"

void palloc_init(struct palloc *a, void *(*ptr)(void *ctx, u64 pa), void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->ptr = ptr;
	a->ctx = ctx;
}

bool palloc_add_range(struct palloc *a, u64 base, u64 end)
{
	base = ALIGN_UP(base, PAGE_SIZE);
	end = ALIGN_DOWN(end, PAGE_SIZE);
	if (base >= end)
		return true;
	if (base == 0)
		base = PAGE_SIZE; /* 0 means "none": never hand out page 0 */
	if (a->nranges == PALLOC_MAX_RANGES)
		return false;
	a->range[a->nranges].next = base;
	a->range[a->nranges].end = end;
	a->nranges++;
	a->free_pages += (end - base) / PAGE_SIZE;
	return true;
}

u64 palloc_alloc(struct palloc *a)
{
	u64 pa = 0;
	if (a->free_head) {
		pa = a->free_head;
		a->free_head = *(u64 *)a->ptr(a->ctx, pa);
	} else {
		for (int i = 0; i < a->nranges; i++) {
			if (a->range[i].next < a->range[i].end) {
				pa = a->range[i].next;
				a->range[i].next += PAGE_SIZE;
				break;
			}
		}
	}
	if (!pa)
		return 0;
	memset(a->ptr(a->ctx, pa), 0, PAGE_SIZE);
	a->free_pages--;
	a->used_pages++;
	return pa;
}

void palloc_free(struct palloc *a, u64 pa)
{
	*(u64 *)a->ptr(a->ctx, pa) = a->free_head;
	a->free_head = pa;
	a->free_pages++;
	a->used_pages--;
}

u64 palloc_alloc_run(struct palloc *a, u64 n)
{
	for (int i = 0; i < a->nranges; i++) {
		u64 pa = a->range[i].next;
		if (n && n <= (a->range[i].end - pa) / PAGE_SIZE) {
			a->range[i].next += n * PAGE_SIZE;
			memset(a->ptr(a->ctx, pa), 0, n * PAGE_SIZE);
			a->free_pages -= n;
			a->used_pages += n;
			return pa;
		}
	}
	return 0;
}
