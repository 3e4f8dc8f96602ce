// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * larson: a server-like pattern after Larson & Krishnan.  BENCH_THREADS
 * (default 4) worker threads each own an array of 1000 slots of 8..512
 * bytes and replace random slots (free + malloc + write).  After each
 * round of 50000 replacements every worker exits and a fresh thread takes
 * over a neighbour's array, so blocks are freed by other threads than the
 * ones that allocated them, and thread caches come and go.
 */
#include <pthread.h>

#include "bench_alloc.h"

#define SLOTS  1000
#define STEPS  50000
#define MIN_SZ 8
#define MAX_SZ 512

struct worker {
	unsigned char **slot;
	uint64_t seed;
	uint64_t check;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = w->seed, check = 0;

	for (int i = 0; i < STEPS; i++) {
		uint64_t r = bench_rand(&rng);
		size_t idx = (size_t)(r % SLOTS);
		size_t sz = MIN_SZ + (size_t)((r >> 32) % (MAX_SZ - MIN_SZ + 1));
		unsigned char *p;

		check += w->slot[idx][0];
		bench_free(w->slot[idx]);
		p = bench_malloc(sz);
		if (!p)
			bench_oom();
		p[0] = (unsigned char)r;
		p[sz - 1] = (unsigned char)i;
		w->slot[idx] = p;
	}
	w->check += check;
	return NULL;
}

int main(void)
{
	int nth = bench_threads(4);
	uint64_t rounds = bench_scaled(30, 1), check = 0, rng = 99;
	unsigned char ***arrays = bench_array((size_t)nth * sizeof(*arrays));
	struct worker *w = bench_array((size_t)nth * sizeof(*w));
	pthread_t *th = bench_array((size_t)nth * sizeof(*th));
	double t0;

	bench_alloc_init();
	t0 = bench_now();
	for (int t = 0; t < nth; t++) {
		arrays[t] = bench_array(SLOTS * sizeof(**arrays));
		for (int i = 0; i < SLOTS; i++) {
			size_t sz = MIN_SZ + (size_t)(bench_rand(&rng) % (MAX_SZ - MIN_SZ + 1));

			arrays[t][i] = bench_malloc(sz);
			if (!arrays[t][i])
				bench_oom();
			arrays[t][i][0] = 0;
		}
	}
	for (uint64_t round = 0; round < rounds; round++) {
		for (int t = 0; t < nth; t++) {
			w[t].slot = arrays[(t + round) % (uint64_t)nth];
			w[t].seed = round * 1000 + (uint64_t)t + 1;
			if (pthread_create(&th[t], NULL, run, &w[t])) {
				fprintf(stderr, "larson: pthread_create failed\n");
				return 1;
			}
		}
		for (int t = 0; t < nth; t++)
			pthread_join(th[t], NULL);
	}
	for (int t = 0; t < nth; t++) {
		check += w[t].check;
		for (int i = 0; i < SLOTS; i++)
			bench_free(arrays[t][i]);
	}
	bench_report("larson", bench_now() - t0, rounds * (uint64_t)nth * STEPS, check);
	return 0;
}
