/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Helpers shared by the VM benchmarks (tools/bench/README.md). */
#ifndef BENCH_VM_H
#define BENCH_VM_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64: a fixed, reproducible stream per seed (never 0). */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One result row; @base names the baseline row of the same run, or NULL. */
static inline void row(const char *name, const char *unit, double v, const char *base)
{
	printf("{\"name\": \"%s\", \"unit\": \"%s\", \"value\": %.3f", name, unit, v);
	if (base)
		printf(", \"baseline\": \"%s\"", base);
	printf("}\n");
	fflush(stdout);
}

#endif
