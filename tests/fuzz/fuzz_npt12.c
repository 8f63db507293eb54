/*
 * Fuzzes svm/npt12.c npt12_walk: L1's nested page tables are guest-controlled.
 *
 * Input: nested CR3, the L2 guest-physical address, the access (NPF_* bits), MAXPHYADDR
 * (32..63), NX enabled, then "memory": page p of L1-physical memory is 64 bytes of the input
 * (entries 0..7; entry i of a table is entry i % 8 of its page).  Reads of pages beyond the
 * input fail, as the read callback of a real walk does for memory that is not there.
 *
 * Checks:
 *  - the walk reads at most 4 entries, 8-byte aligned, each at table + 8 * index(gpa, level)
 *    with the table taken from nested CR3 and then from the previous entry;
 *  - no fault: level in 1..3, it read exactly 5 - level entries, l1_gpa < 2^min(maxphyaddr,
 *    52), l1_gpa keeps the page offset of gpa, a write implies writable, a fetch with NX
 *    enabled implies exec, exec without NX enabled;
 *  - fault: the error has NPF_US, RW/ID equal to the access's, no other bits than P RW US
 *    RSV ID, RSV without P only when the last read failed;
 *  - the result (fault, error, l1_gpa, writable, exec, level) equals that of a reference walk
 *    written from APM vol. 2 5.3-5.6 and 15.25;
 *  - the same walk twice gives the same result;
 *  - a successful read walk predicts the write and fetch walks (same l1_gpa; they fault iff
 *    not writable / not exec) and a faulting read walk makes them fault with the same bits.
 */
#include "tests/fuzz/fuzz.h"
#include "svm/npt12.h"

#define ENT_PER_PAGE 8
#define ADDR	     0x000ffffffffff000ull

struct mem {
	const u8 *bytes;
	u64 npages;
	u64 gpa;      /* being walked */
	u64 table;    /* where the next read must be */
	int reads;    /* entries read so far */
	bool last_ok; /* the last read succeeded */
};

static bool mem_read(void *ctx, u64 pa, u64 *e)
{
	struct mem *m = ctx;
	int level = 4 - m->reads;
	CHECKF(m->reads < 4, "a fifth read at %#llx", (unsigned long long)pa);
	u64 want = m->table + 8ull * ((m->gpa >> (12 + 9 * (level - 1))) & 511);
	CHECKF(pa == want, "level %d read at %#llx, expected %#llx", level, (unsigned long long)pa,
	       (unsigned long long)want);
	m->reads++;
	m->last_ok = false;
	u64 page = pa >> 12;
	if (page >= m->npages)
		return false;
	memcpy(e, m->bytes + page * 64 + ((pa >> 3) % ENT_PER_PAGE) * 8, 8);
	m->table = *e & ADDR;
	m->last_ok = true;
	return true;
}

/*
 * Reference walk (APM vol. 2 5.3-5.6 and 15.25.5-15.25.10), written separately: the nested
 * walk is a user access; an entry that cannot be read is a reserved-bit fault without P; a
 * clear P bit ends it; reserved are the address bits at and above MAXPHYADDR (up to 51), NX
 * without NXE, PS in a PML4E and the low address bits of a 1 GiB or 2 MiB page; the leaf
 * needs US at every level, RW at every level for a write, NX clear at every level for a
 * fetch when NX is enabled.
 */
NO_COVERAGE static struct npt12_walk ref_walk(const struct mem *m, u64 n_cr3, u64 gpa, u64 access,
					      u8 maxphy, bool nx)
{
	struct npt12_walk r = {0};
	u64 acc = access & (NPF_RW | NPF_ID), table = n_cr3 & ADDR;
	bool all_rw = true, all_us = true, any_nx = false;
	for (int level = 4; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		u64 pa = table + 8 * ((gpa >> shift) & 511), e;
		if ((pa >> 12) >= m->npages) {
			r.fault = true, r.error = NPF_US | NPF_RSV | acc;
			return r;
		}
		memcpy(&e, m->bytes + (pa >> 12) * 64 + ((pa >> 3) % ENT_PER_PAGE) * 8, 8);
		if (!(e & 1)) {
			r.fault = true, r.error = NPF_US | acc;
			return r;
		}
		bool ps = e & BIT(7);
		bool rsv = (maxphy < 52 && ((e & ADDR) >> maxphy)) || (!nx && (e & BIT(63))) ||
			   (level == 4 && ps) || (level == 3 && ps && (e & 0x3fffe000ull)) ||
			   (level == 2 && ps && (e & 0x1fe000ull));
		if (rsv) {
			r.fault = true, r.error = NPF_US | NPF_P | NPF_RSV | acc;
			return r;
		}
		all_rw = all_rw && (e & BIT(1));
		all_us = all_us && (e & BIT(2));
		any_nx = any_nx || (nx && (e & BIT(63)));
		if (level == 1 || ps) {
			if (!all_us || ((access & NPF_RW) && !all_rw) ||
			    ((access & NPF_ID) && any_nx)) {
				r.fault = true, r.error = NPF_US | NPF_P | acc;
				return r;
			}
			u64 size = 1ull << shift;
			r.l1_gpa = (e & ADDR & ~(size - 1)) | (gpa & (size - 1));
			r.writable = all_rw, r.exec = !any_nx, r.level = level;
			return r;
		}
		table = e & ADDR;
	}
	abort(); /* not reached: level 1 always ends the walk */
}

static struct npt12_walk walk(struct mem *m, u64 n_cr3, u64 gpa, u64 access, u8 maxphy, bool nx,
			      int *reads)
{
	struct npt12_walk w;
	memset(&w, 0x5a, sizeof(w));
	m->gpa = gpa;
	m->table = n_cr3 & ADDR;
	m->reads = 0;
	npt12_walk(mem_read, m, n_cr3, gpa, access, maxphy, nx, &w);
	*reads = m->reads;
	return w;
}

NO_COVERAGE static bool same(const struct npt12_walk *a, const struct npt12_walk *b)
{
	if (a->fault != b->fault)
		return false;
	if (a->fault)
		return a->error == b->error;
	return a->l1_gpa == b->l1_gpa && a->writable == b->writable && a->exec == b->exec &&
	       a->level == b->level;
}

NO_COVERAGE static void check_one(struct mem *m, u64 n_cr3, u64 gpa, u64 access, u8 maxphy, bool nx,
				  struct npt12_walk *out)
{
	int reads, reads2;
	struct npt12_walk w = walk(m, n_cr3, gpa, access, maxphy, nx, &reads);
	bool last_ok = m->last_ok;
	struct npt12_walk w2 = walk(m, n_cr3, gpa, access, maxphy, nx, &reads2);
	CHECK(same(&w, &w2) && reads == reads2);
	struct npt12_walk ref = ref_walk(m, n_cr3, gpa, access, maxphy, nx);
	CHECKF(same(&w, &ref),
	       "gpa %#llx access %#llx: fault %d error %#llx l1_gpa %#llx w %d x %d level %d; "
	       "reference: fault %d error %#llx l1_gpa %#llx w %d x %d level %d",
	       (unsigned long long)gpa, (unsigned long long)access, w.fault,
	       (unsigned long long)w.error, (unsigned long long)w.l1_gpa, w.writable, w.exec,
	       w.level, ref.fault, (unsigned long long)ref.error, (unsigned long long)ref.l1_gpa,
	       ref.writable, ref.exec, ref.level);
	u64 acc = access & (NPF_RW | NPF_ID);
	if (!w.fault) {
		CHECKF(w.level >= 1 && w.level <= 3, "level %d", w.level);
		CHECKF(reads == 5 - w.level, "level %d after %d reads", w.level, reads);
		unsigned bits = maxphy < 52 ? maxphy : 52;
		CHECKF(!(w.l1_gpa >> bits), "l1_gpa %#llx, maxphyaddr %u",
		       (unsigned long long)w.l1_gpa, maxphy);
		u64 size = 1ull << (12 + 9 * (w.level - 1));
		CHECK((w.l1_gpa & (size - 1)) == (gpa & (size - 1)));
		if (access & NPF_RW)
			CHECK(w.writable);
		if ((access & NPF_ID) && nx)
			CHECK(w.exec);
		if (!nx)
			CHECK(w.exec);
	} else {
		CHECKF(w.error & NPF_US, "error %#llx", (unsigned long long)w.error);
		CHECKF((w.error & (NPF_RW | NPF_ID)) == acc, "error %#llx, access %#llx",
		       (unsigned long long)w.error, (unsigned long long)access);
		CHECKF(!(w.error & ~(u64)(NPF_P | NPF_RW | NPF_US | NPF_RSV | NPF_ID)),
		       "error %#llx", (unsigned long long)w.error);
		if ((w.error & NPF_RSV) && !(w.error & NPF_P))
			CHECK(!last_ok);
		if (!last_ok)
			CHECK((w.error & (NPF_RSV | NPF_P)) == NPF_RSV);
	}
	*out = w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = {data, size};
	u64 n_cr3 = fin_u64(&in), gpa = fin_u64(&in), access = fin_u64(&in);
	u8 maxphy = (u8)(32 + fin_u8(&in) % 32);
	bool nx = fin_u8(&in) & 1;
	struct mem m = {.bytes = in.p, .npages = in.n / 64};

	struct npt12_walk w, r, wr, fx;
	check_one(&m, n_cr3, gpa, access, maxphy, nx, &w);
	check_one(&m, n_cr3, gpa, 0, maxphy, nx, &r);
	check_one(&m, n_cr3, gpa, NPF_RW, maxphy, nx, &wr);
	check_one(&m, n_cr3, gpa, NPF_ID, maxphy, nx, &fx);
	if (!r.fault) {
		CHECK(wr.fault == !r.writable);
		CHECK(fx.fault == !r.exec);
		if (!wr.fault)
			CHECK(wr.l1_gpa == r.l1_gpa && wr.level == r.level);
		if (!fx.fault)
			CHECK(fx.l1_gpa == r.l1_gpa && fx.level == r.level);
		if (wr.fault)
			CHECK(wr.error == (NPF_P | NPF_US | NPF_RW));
		if (fx.fault)
			CHECK(fx.error == (NPF_P | NPF_US | NPF_ID));
	} else {
		CHECK(wr.fault && wr.error == (r.error | NPF_RW));
		CHECK(fx.fault && fx.error == (r.error | NPF_ID));
	}
	return 0;
}
