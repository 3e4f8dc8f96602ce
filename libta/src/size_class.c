// SPDX-License-Identifier: MIT
/*
 * Size classes: 8 bytes, then multiples of 16 up to 128, then four classes
 * per power of two up to 1 KiB and eight up to 1 MiB (at most 25% internal
 * waste, 12.5% above 1 KiB; every class is a multiple of 16, and the
 * power-of-two classes are naturally aligned up to the 64 KiB slice size).
 * lt_bin_of() (internal.h) is the inverse.
 */
#include "internal.h"

_Static_assert(TA_BIN_CALC(TA_BIN_LOG3_MIN) + 1 == TA_BIN_LOG3_FIRST &&
		       TA_BIN_CALC(TA_BIN_LOG3_MIN + 1) == TA_BIN_LOG3_FIRST &&
		       TA_BIN_CALC(1u << 20) + 1 == TA_NBINS,
	       "the eight-to-a-power classes follow the four-to-a-power ones and end at 1 MiB");

/* lt_bin_direct[k] is the bin of requests of 8 * (k - 1) + 1 .. 8 * k bytes. */
#define B(k)   TA_BIN_CALC(8ull * (k))
#define B4(k)  B(k), B(k + 1), B(k + 2), B(k + 3)
#define B16(k) B4(k), B4(k + 4), B4(k + 8), B4(k + 12)
#define B64(k) B16(k), B16(k + 16), B16(k + 32), B16(k + 48)

const uint8_t lt_bin_direct[TA_BIN_DIRECT_MAX / 8 + 1] = { B64(0), B64(64), B(128) };

#undef B64
#undef B16
#undef B4
#undef B

size_t lt_bin_block_size(unsigned bin)
{
	if (bin == 0)
		return 8;
	if (bin <= 8)
		return (size_t)bin << 4;
	if (bin < TA_BIN_LOG3_FIRST) {
		unsigned msb = 7u + (bin - 9u) / 4u, sub = (bin - 9u) % 4u;

		return ((size_t)1 << msb) + (size_t)(sub + 1u) * ((size_t)1 << (msb - 2u));
	}
	unsigned msb = 10u + (bin - TA_BIN_LOG3_FIRST) / 8u, sub = (bin - TA_BIN_LOG3_FIRST) % 8u;

	return ((size_t)1 << msb) + (size_t)(sub + 1u) * ((size_t)1 << (msb - 3u));
}

/* Span length of a page for @bin: 64 KiB for small, 512 KiB for medium, else one block. */
unsigned lt_bin_slices(unsigned bin)
{
	size_t bs = lt_bin_block_size(bin);

	if (bs <= TA_SMALL_MAX)
		return 1;
	if (bs <= TA_MEDIUM_MAX)
		return TA_MEDIUM_SLICES;
	return (unsigned)((bs + TA_SLICE_SIZE - 1) / TA_SLICE_SIZE);
}
