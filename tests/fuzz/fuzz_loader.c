/*
 * Fuzzes kernel/loader.c loader_parse (the multiboot image of the next level: a.out kludge or
 * ELF32/ELF64 PT_LOAD) on arbitrary bytes.  The input is the image itself (libFuzzer hands it
 * over in a buffer of exactly its size, so ASan sees any read past the image).
 *
 * Checks, when the image is accepted:
 *  - 1 <= nsegs <= LOAD_MAX_SEGS;
 *  - every segment lies inside the image: file_off <= size, file_off + filesz <= size, without
 *    overflow (and its bytes are readable: they are summed);
 *  - 0 < memsz, filesz <= memsz, dst + memsz does not wrap;
 *  - lowest/highest are the minimum destination / maximum destination end of the segments,
 *    lowest >= 1 MiB, highest <= 4 GiB, entry < 4 GiB;
 *  - a.out kludge: exactly one segment and the entry point inside its file bytes;
 *  - parsing the same image again gives the same plan.
 * When it is rejected: the message is a non-empty string, the same on a second parse.
 */
#include "tests/fuzz/fuzz.h"
#include "kernel/loader.h"

static volatile u64 sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_plan p, again;
	const char *err = loader_parse(data, size, &p);
	const char *err2 = loader_parse(data, size, &again);
	CHECK(err == err2 || (err && err2 && strcmp(err, err2) == 0));
	if (err) {
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(memcmp(&p, &again, sizeof(p)) == 0);
	CHECKF(p.nsegs >= 1 && p.nsegs <= LOAD_MAX_SEGS, "nsegs=%d", p.nsegs);

	u64 lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < p.nsegs; i++) {
		const struct load_seg *s = &p.seg[i];
		u64 fend, dend;
		CHECKF(s->file_off <= size &&
			   !__builtin_add_overflow(s->file_off, s->filesz, &fend) && fend <= size,
		       "segment %d: file [%#llx + %#llx) outside an image of %zu bytes", i,
		       (unsigned long long)s->file_off, (unsigned long long)s->filesz, size);
		CHECKF(s->memsz > 0 && s->filesz <= s->memsz,
		       "segment %d: filesz %#llx memsz %#llx", i, (unsigned long long)s->filesz,
		       (unsigned long long)s->memsz);
		CHECKF(!__builtin_add_overflow(s->dst, s->memsz, &dend),
		       "segment %d: dst %#llx + memsz %#llx wraps", i, (unsigned long long)s->dst,
		       (unsigned long long)s->memsz);
		CHECKF(s->dst >= MiB(1) && dend <= GiB(4), "segment %d: [%#llx, %#llx)", i,
		       (unsigned long long)s->dst, (unsigned long long)dend);
		lo = MIN(lo, s->dst);
		hi = MAX(hi, dend);
		u64 sum = 0; /* every byte the plan copies must be readable */
		for (u64 k = 0; k < s->filesz; k++)
			sum += data[s->file_off + k];
		sink = sum;
	}
	CHECKF(p.lowest == lo && p.highest == hi,
	       "lowest %#llx (segments: %#llx) highest %#llx "
	       "(segments: %#llx)",
	       (unsigned long long)p.lowest, (unsigned long long)lo, (unsigned long long)p.highest,
	       (unsigned long long)hi);
	CHECK(p.lowest >= MiB(1));
	CHECK(p.highest <= GiB(4));
	CHECKF(p.entry < GiB(4), "entry %#llx", (unsigned long long)p.entry);
	if (p.aout_kludge) {
		CHECK(p.nsegs == 1);
		CHECKF(p.entry >= p.seg[0].dst && p.entry < p.seg[0].dst + p.seg[0].filesz,
		       "kludge entry %#llx outside [%#llx, +%#llx)", (unsigned long long)p.entry,
		       (unsigned long long)p.seg[0].dst, (unsigned long long)p.seg[0].filesz);
	} else {
		CHECK(size >= 4 && memcmp(data, "\177ELF", 4) == 0);
	}
	return 0;
}
