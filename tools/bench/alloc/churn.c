// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * churn: single-thread small-object churn.  A working set of 20000 live
 * objects of 16..512 bytes; each step frees a random one and allocates a
 * new object of a random size in its place, writing its first and last
 * byte and reading another live object.
 */
#include "bench_alloc.h"

#define SLOTS  20000
#define MIN_SZ 16
#define MAX_SZ 512

int main(void)
{
	uint64_t steps = bench_scaled(6000000, 1000), rng = 0x9e3779b97f4a7c15ULL;
	unsigned char **slot = bench_array(SLOTS * sizeof(*slot));
	uint64_t check = 0;
	double t0;

	bench_alloc_init();
	t0 = bench_now();
	for (int i = 0; i < SLOTS; i++) {
		slot[i] = bench_malloc(MIN_SZ);
		if (!slot[i])
			bench_oom();
		slot[i][0] = (unsigned char)i;
	}
	for (uint64_t i = 0; i < steps; i++) {
		uint64_t r = bench_rand(&rng);
		size_t idx = (size_t)(r % SLOTS);
		size_t sz = MIN_SZ + (size_t)((r >> 32) % (MAX_SZ - MIN_SZ + 1));
		unsigned char *p;

		bench_free(slot[idx]);
		p = bench_malloc(sz);
		if (!p)
			bench_oom();
		p[0] = (unsigned char)i;
		p[sz - 1] = (unsigned char)(i >> 8);
		slot[idx] = p;
		check += slot[(r >> 16) % SLOTS][0];
	}
	for (int i = 0; i < SLOTS; i++)
		bench_free(slot[i]);
	bench_report("churn", bench_now() - t0, steps, check);
	return 0;
}
