/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Shared helpers of the allocator workloads (tools/bench/alloc/NAME.c).
 *
 * The workloads allocate through bench_malloc/bench_free/bench_realloc,
 * which are plain malloc/free/realloc, so any allocator can be swapped in
 * with LD_PRELOAD.  A variant that calls another API directly (e.g. libta's
 * ta_alloc) is built with -DBENCH_ALLOC_INCLUDE='"file.h"', a header that
 * defines those three names (and may define bench_alloc_init()); such a
 * binary is installed as $(B)/bench/alloc/NAME.SUFFIX and listed in
 * tools/bench/alloc/allocators as "suffix:.SUFFIX".
 *
 * Every workload prints one JSON line:
 *   {"bench": "churn", "wall_s": 0.41, "maxrss_kib": 9012, "ops": 10000000,
 *    "check": 123}
 * wall_s is measured around the workload only (clock_gettime, monotonic);
 * maxrss_kib is the peak RSS of this program: VmHWM of /proc/self/status,
 * else getrusage(RUSAGE_SELF).ru_maxrss.  (ru_maxrss alone would do, but
 * Linux carries it over execve(), so a large parent such as the Python
 * driver would set a floor.)  Harness arrays are mmap()ed so that they do
 * not go through the allocator.
 *
 * Knobs: BENCH_SCALE (env, default 1.0) multiplies the amount of work;
 * BENCH_THREADS (env) overrides the thread count of threaded workloads.
 */
#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#ifdef BENCH_ALLOC_INCLUDE
#include BENCH_ALLOC_INCLUDE
#else
#define bench_malloc(n)	    malloc(n)
#define bench_free(p)	    free(p)
#define bench_realloc(p, n) realloc(p, n)
#endif

#ifndef bench_alloc_init
#define bench_alloc_init() \
	do {               \
	} while (0)
#endif

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_scale(void)
{
	const char *s = getenv("BENCH_SCALE");
	double v = s ? strtod(s, NULL) : 1.0;

	return v > 0 ? v : 1.0;
}

/* @base scaled by BENCH_SCALE, at least @min. */
static inline uint64_t bench_scaled(uint64_t base, uint64_t min)
{
	double v = (double)base * bench_scale();

	return v < (double)min ? min : (uint64_t)v;
}

static inline int bench_threads(int def)
{
	const char *s = getenv("BENCH_THREADS");
	int v = s ? atoi(s) : 0;

	return v > 0 && v <= 256 ? v : def;
}

/* xorshift64*: cheap, deterministic, per thread. */
static inline uint64_t bench_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* A harness array outside the allocator under test. */
static inline void *bench_array(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("bench: mmap");
		exit(1);
	}
	return p;
}

static inline void bench_oom(void)
{
	fprintf(stderr, "bench: allocation failed\n");
	exit(1);
}

/* Peak RSS in KiB of this process image. */
static inline long bench_maxrss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	struct rusage ru;
	char line[256];
	long kib = -1;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
				break;
		fclose(f);
	}
	if (kib >= 0)
		return kib;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static inline void bench_report(const char *name, double wall, uint64_t ops, uint64_t check)
{
	printf("{\"bench\": \"%s\", \"wall_s\": %.6f, \"maxrss_kib\": %ld, "
	       "\"ops\": %" PRIu64 ", \"check\": %" PRIu64 "}\n",
	       name, wall, bench_maxrss_kib(), ops, check);
	fflush(stdout);
}

#endif /* BENCH_ALLOC_H */
