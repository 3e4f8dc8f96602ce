// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tiny: many tiny objects (8..64 bytes).  Each round allocates 512K objects
 * linked into a list, frees every other one, allocates 256K
 * more of other sizes into the holes, then frees everything in random
 * order.  Stresses per-object overhead (peak RSS) and size-class speed.
 */
#include "bench_alloc.h"

#define OBJS   (1u << 19)
#define MIN_SZ 8
#define MAX_SZ 64

int main(void)
{
	uint64_t rounds = bench_scaled(2, 1), rng = 42, check = 0, ops = 0;
	unsigned char **obj = bench_array(OBJS * sizeof(*obj));
	double t0;

	bench_alloc_init();
	t0 = bench_now();
	for (uint64_t round = 0; round < rounds; round++) {
		for (uint32_t i = 0; i < OBJS; i++) {
			size_t sz = MIN_SZ + (size_t)(bench_rand(&rng) % (MAX_SZ - MIN_SZ + 1));

			obj[i] = bench_malloc(sz);
			if (!obj[i])
				bench_oom();
			obj[i][0] = (unsigned char)i;
			obj[i][sz - 1] = (unsigned char)sz;
		}
		for (uint32_t i = 0; i < OBJS; i += 2) {
			check += obj[i][0];
			bench_free(obj[i]);
		}
		for (uint32_t i = 0; i < OBJS; i += 2) {
			size_t sz = MIN_SZ + (size_t)(bench_rand(&rng) % (MAX_SZ - MIN_SZ + 1));

			obj[i] = bench_malloc(sz);
			if (!obj[i])
				bench_oom();
			obj[i][0] = (unsigned char)sz;
		}
		/* Fisher-Yates shuffle, then free in that order. */
		for (uint32_t i = OBJS - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(bench_rand(&rng) % (i + 1));
			unsigned char *t = obj[i];

			obj[i] = obj[j];
			obj[j] = t;
		}
		for (uint32_t i = 0; i < OBJS; i++) {
			check += obj[i][0];
			bench_free(obj[i]);
		}
		ops += OBJS + OBJS / 2;
	}
	bench_report("tiny", bench_now() - t0, ops, check);
	return 0;
}
