/*
 * Fuzzes svm/insn_len.c insn_len, which decodes guest-controlled instruction bytes.
 *
 * Input: a mode byte (bit 0: 64-bit mode, bit 1: CS.D) then the instruction bytes.  Every call
 * gets a heap buffer of exactly `avail` bytes, so ASan sees a read past what it was given.
 *
 * Checks, with L = insn_len(all bytes):
 *  - L is -1 or 1..15, and L <= avail;
 *  - prefix consistency: for every avail' from 0 to min(avail, 16), insn_len gives -1 if
 *    avail' < L (or if L is -1) and L otherwise: in particular avail' = L gives L and
 *    avail' = L - 1 gives -1;
 *  - the bytes after the instruction do not matter (they are flipped: same L);
 *  - the same call twice gives the same result.
 */
#include "tests/fuzz/fuzz.h"
#include "svm/insn_len.h"

static int len_of(const u8 *bytes, unsigned avail, bool lm, bool d, bool flip_from_len, int len)
{
	u8 *buf = malloc(avail ? avail : 1);
	if (avail)
		memcpy(buf, bytes, avail);
	if (flip_from_len)
		for (unsigned i = (unsigned)len; i < avail; i++)
			buf[i] ^= 0xff;
	int r = insn_len(buf, avail, lm, d);
	free(buf);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool lm = data[0] & 1, d = data[0] & 2;
	const u8 *bytes = data + 1;
	unsigned avail = (unsigned)MIN(size - 1, 64);

	int len = len_of(bytes, avail, lm, d, false, 0);
	CHECKF(len == -1 || (len >= 1 && len <= INSN_MAX_LEN), "length %d", len);
	CHECKF(len <= (int)avail, "length %d with %u bytes", len, avail);
	CHECK(len_of(bytes, avail, lm, d, false, 0) == len);

	for (unsigned a = 0; a <= MIN(avail, INSN_MAX_LEN + 1); a++) {
		int r = len_of(bytes, a, lm, d, false, 0);
		int want = (len > 0 && a >= (unsigned)len) ? len : -1;
		CHECKF(r == want, "%u of %u bytes give %d, all give %d (mode %#x)", a, avail, r,
		       len, data[0] & 3);
	}
	if (len > 0)
		CHECKF(len_of(bytes, avail, lm, d, true, len) == len,
		       "the bytes after a %d-byte instruction changed its length", len);
	return 0;
}
