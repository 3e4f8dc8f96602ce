// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * realloc: large blocks growing by realloc.  Eight buffers grow side by
 * side from 4 KiB to 4 MiB in random steps of 16..256 KiB, each step
 * touching one byte per 4 KiB page of the new tail; small allocations
 * between the steps keep neighbours from simply extending in place.
 * Buffers are then freed and the round repeats.
 */
#include "bench_alloc.h"

#define BUFS	  8
#define MAX_BYTES (4u << 20)
#define SMALL	  4096

int main(void)
{
	uint64_t rounds = bench_scaled(3, 1), rng = 7, check = 0, ops = 0;
	unsigned char **small = bench_array(SMALL * sizeof(*small));
	unsigned char *buf[BUFS];
	size_t len[BUFS];
	double t0;

	bench_alloc_init();
	t0 = bench_now();
	for (uint64_t round = 0; round < rounds; round++) {
		unsigned int nsmall = 0, growing = BUFS;

		for (int b = 0; b < BUFS; b++) {
			len[b] = 4096;
			buf[b] = bench_malloc(len[b]);
			if (!buf[b])
				bench_oom();
			memset(buf[b], b, len[b]);
		}
		while (growing) {
			growing = 0;
			for (int b = 0; b < BUFS; b++) {
				size_t step = 4096 * (4 + (size_t)(bench_rand(&rng) % 61));
				size_t nlen = len[b] + step;
				unsigned char *p;

				if (len[b] >= MAX_BYTES)
					continue;
				growing++;
				if (nlen > MAX_BYTES)
					nlen = MAX_BYTES;
				p = bench_realloc(buf[b], nlen);
				if (!p)
					bench_oom();
				for (size_t o = len[b]; o < nlen; o += 4096)
					p[o] = (unsigned char)o;
				check += p[(len[b] / 2) & ~(size_t)4095];
				buf[b] = p;
				len[b] = nlen;
				ops++;
				if (nsmall < SMALL) {
					small[nsmall] = bench_malloc(64 + (bench_rand(&rng) % 960));
					if (!small[nsmall])
						bench_oom();
					small[nsmall++][0] = 1;
				}
			}
		}
		for (int b = 0; b < BUFS; b++) {
			check += buf[b][len[b] - 4096];
			bench_free(buf[b]);
		}
		for (unsigned int i = 0; i < nsmall; i++)
			bench_free(small[i]);
	}
	bench_report("realloc", bench_now() - t0, ops, check);
	return 0;
}
