#include "kernel/pagetable.h"

static inline u64 *table_ptr(const struct pt_mem *mem, u64 pa)
{
	return (u64 *)mem->ptr(mem->ctx, pa & PT_ADDR_MASK);
}

static inline unsigned index_at(u64 va, int level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

static inline u64 level_size(int level)
{
	return 1ull << (12 + 9 * (level - 1));
}

u64 pt_new_root(const struct pt_mem *mem)
{
	return mem->alloc(mem->ctx);
}

static enum pt_err map_one(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va,
			   u64 pa, int leaf_level, u64 attr)
{
	u64 table = root;
	for (int level = 4; level > leaf_level; level--) {
		u64 *e = &table_ptr(mem, table)[index_at(va, level)];
		if (!f->present(*e)) {
			u64 next = mem->alloc(mem->ctx);
			if (!next)
				return PT_NOMEM;
			*e = f->table(next);
		} else if (f->is_leaf(*e, level)) {
			return PT_OVERLAP;
		}
		table = *e & PT_ADDR_MASK;
	}
	u64 *e = &table_ptr(mem, table)[index_at(va, leaf_level)];
	if (f->present(*e))
		return PT_OVERLAP;
	*e = f->leaf(pa, leaf_level, attr);
	return PT_OK;
}

enum pt_err pt_map(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va, u64 pa,
		   u64 size, u64 attr)
{
	if ((va | pa | size) & (PAGE_SIZE - 1))
		return PT_ALIGN;
	while (size) {
		int level = f->max_leaf_level;
		while (level > 1 &&
		       (((va | pa) & (level_size(level) - 1)) || size < level_size(level)))
			level--;
		enum pt_err err = map_one(f, mem, root, va, pa, level, attr);
		if (err)
			return err;
		va += level_size(level);
		pa += level_size(level);
		size -= level_size(level);
	}
	return PT_OK;
}

enum pt_err pt_set_attr(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va,
			u64 attr)
{
	u64 table = root;
	for (int level = 4; level >= 1; level--) {
		u64 *e = &table_ptr(mem, table)[index_at(va, level)];
		if (!f->present(*e))
			return PT_OVERLAP; /* nothing mapped there */
		if (level == 1) {
			*e = f->leaf(*e & PT_ADDR_MASK, 1, attr);
			return PT_OK;
		}
		if (f->is_leaf(*e, level)) {
			/* split: the same range, one level down, same attributes */
			u64 next = mem->alloc(mem->ctx);
			if (!next)
				return PT_NOMEM;
			u64 base = (*e & PT_ADDR_MASK) & ~(level_size(level) - 1);
			u64 old = f->attr(*e, level), *t = table_ptr(mem, next);
			for (u64 i = 0; i < 512; i++)
				t[i] = f->leaf(base + i * level_size(level - 1), level - 1, old);
			*e = f->table(next);
		}
		table = *e & PT_ADDR_MASK;
	}
	return PT_OK;
}

enum pt_err pt_set_leaf_attr(const struct pt_format *f, const struct pt_mem *mem, u64 root,
			     u64 va, u64 attr)
{
	u64 table = root;
	for (int level = 4; level >= 1; level--) {
		u64 *e = &table_ptr(mem, table)[index_at(va, level)];
		if (!f->present(*e))
			return PT_OVERLAP;
		if (level == 1 || f->is_leaf(*e, level)) {
			*e = f->leaf(*e & PT_ADDR_MASK & ~(level_size(level) - 1), level, attr);
			return PT_OK;
		}
		table = *e & PT_ADDR_MASK;
	}
	return PT_OVERLAP;
}

static void destroy_level(const struct pt_format *f, const struct pt_mem *mem, u64 table, int level)
{
	if (level > 1) {
		u64 *t = table_ptr(mem, table);
		for (int i = 0; i < 512; i++)
			if (f->present(t[i]) && !f->is_leaf(t[i], level))
				destroy_level(f, mem, t[i] & PT_ADDR_MASK, level - 1);
	}
	mem->free(mem->ctx, table);
}

void pt_destroy(const struct pt_format *f, const struct pt_mem *mem, u64 root)
{
	destroy_level(f, mem, root, 4);
}

bool pt_walk(const struct pt_format *f, const struct pt_mem *mem, u64 root, u64 va,
	     struct pt_walk_result *out)
{
	u64 table = root;
	for (int level = 4; level >= 1; level--) {
		u64 e = table_ptr(mem, table)[index_at(va, level)];
		if (!f->present(e))
			return false;
		if (level == 1 || f->is_leaf(e, level)) {
			u64 base = (e & PT_ADDR_MASK) & ~(level_size(level) - 1);
			out->pa = base | (va & (level_size(level) - 1));
			out->attr = f->attr(e, level);
			out->level = level;
			return true;
		}
		table = e & PT_ADDR_MASK;
	}
	return false;
}

/* x86-64 paging / AMD NPT (APM 5.3, 15.25.5): P, RW, US, PWT/PCD, PS, NX. */
#define X86_P	BIT(0)
#define X86_RW	BIT(1)
#define X86_US	BIT(2)
#define X86_PWT BIT(3)
#define X86_PCD BIT(4)
#define X86_PS	BIT(7)
#define X86_NX	BIT(63)

static u64 x86_table(u64 pa)
{
	/* Non-leaf entries allow everything; the leaf decides. */
	return (pa & PT_ADDR_MASK) | X86_P | X86_RW | X86_US;
}

static u64 x86_leaf(u64 pa, int level, u64 attr)
{
	u64 e = (pa & PT_ADDR_MASK) | X86_P;
	if (attr & PT_W)
		e |= X86_RW;
	if (attr & PT_USER)
		e |= X86_US;
	if (!(attr & PT_X))
		e |= X86_NX;
	if (attr & PT_UC)
		e |= X86_PCD | X86_PWT;
	if (level > 1)
		e |= X86_PS;
	return e;
}

static bool x86_present(u64 e)
{
	return e & X86_P;
}

static bool x86_is_leaf(u64 e, int level)
{
	return level == 1 || (level <= 3 && (e & X86_PS));
}

static u64 x86_attr(u64 e, int level)
{
	(void)level;
	u64 a = PT_R;
	if (e & X86_RW)
		a |= PT_W;
	if (e & X86_US)
		a |= PT_USER;
	if (!(e & X86_NX))
		a |= PT_X;
	if (e & X86_PCD)
		a |= PT_UC;
	return a;
}

const struct pt_format pt_x86 = {"x86", 3, x86_table, x86_leaf, x86_present, x86_is_leaf, x86_attr};
const struct pt_format pt_x86_2m = {"x86-2m",	 2,	      x86_table, x86_leaf,
				    x86_present, x86_is_leaf, x86_attr};

/* AMD NPT: the x86 format, but every nested walk is a user access (APM 15.25.5), so leaves
 * always carry U/S. */
static u64 npt_leaf(u64 pa, int level, u64 attr)
{
	return x86_leaf(pa, level, attr | PT_USER);
}

static u64 npt_attr(u64 e, int level)
{
	return x86_attr(e, level) & ~PT_USER;
}

const struct pt_format pt_npt = {"npt", 2, x86_table, npt_leaf, x86_present, x86_is_leaf, npt_attr};

/* Intel EPT (SDM 29.3.2): R/W/X bits 0-2, memory type bits 3-5 in leaves, bit 7 = large. */
#define EPT_R	     BIT(0)
#define EPT_W	     BIT(1)
#define EPT_X	     BIT(2)
#define EPT_MT_SHIFT 3
#define EPT_MT_UC    0ull
#define EPT_MT_WB    6ull
#define EPT_LARGE    BIT(7)

static u64 ept_table(u64 pa)
{
	return (pa & PT_ADDR_MASK) | EPT_R | EPT_W | EPT_X;
}

static u64 ept_leaf(u64 pa, int level, u64 attr)
{
	u64 e = pa & PT_ADDR_MASK;
	if (attr & PT_R)
		e |= EPT_R;
	if (attr & PT_W)
		e |= EPT_W;
	if (attr & PT_X)
		e |= EPT_X;
	e |= (attr & PT_UC ? EPT_MT_UC : EPT_MT_WB) << EPT_MT_SHIFT;
	if (level > 1)
		e |= EPT_LARGE;
	return e;
}

static bool ept_present(u64 e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static bool ept_is_leaf(u64 e, int level)
{
	return level == 1 || (level <= 3 && (e & EPT_LARGE));
}

static u64 ept_attr(u64 e, int level)
{
	(void)level;
	u64 a = 0;
	if (e & EPT_R)
		a |= PT_R;
	if (e & EPT_W)
		a |= PT_W;
	if (e & EPT_X)
		a |= PT_X;
	if (((e >> EPT_MT_SHIFT) & 7) == EPT_MT_UC)
		a |= PT_UC;
	return a;
}

const struct pt_format pt_ept = {"ept", 3, ept_table, ept_leaf, ept_present, ept_is_leaf, ept_attr};
const struct pt_format pt_ept_2m = {"ept-2m",	 2,	      ept_table, ept_leaf,
				    ept_present, ept_is_leaf, ept_attr};
