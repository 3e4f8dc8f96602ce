// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_alloc: allocation and free across tiers.
 *
 *   bench_alloc.small_ns[glibc]       ns/op  random 16..4096 B malloc/free, 4096 live
 *   bench_alloc.small_ns[HINT]        ns/op  the same with ta_alloc(n, HINT)/ta_free
 *                                      for HINT = hot, warm, cold
 *   bench_alloc.small_ns[mixed]       ns/op  every allocation with a random hint
 *   bench_alloc.large_ms[mbind]       ms/op  1..8 MiB: mmap + mbind(SLOW's node) +
 *                                      write every page + munmap
 *   bench_alloc.large_ms[cold]        ms/op  the same with ta_alloc(COLD)/ta_free
 *   bench_alloc.placed_pct[HINT]      %      pages of live HINT blocks on the node
 *                                      of the tier the hint resolves to, by
 *                                      move_pages(2) (kernel's view)
 *
 * Exit 77 unless libta sees three tiers on three NUMA nodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <tieralloc.h>

#include "bench_vm.h"

#define MIB  (1UL << 20)
#define PAGE 4096UL
#define LIVE 4096

static const char *const hint_name[TA_NR_HINTS] = TA_HINT_NAMES;
static const ta_hint_t hints[] = { TA_HINT_HOT, TA_HINT_WARM, TA_HINT_COLD };
static int node_of[TA_NR_TIERS];

/* Small-object churn; @hint < 0: glibc malloc; 3: a random hint each time. */
static double small_ns(int hint, long ops, void **slot)
{
	uint64_t s = 42;
	double t0;

	memset(slot, 0, LIVE * sizeof(*slot));
	t0 = now();
	for (long i = 0; i < ops; i++) {
		unsigned int k = rnd(&s) % LIVE;
		size_t n = 16 + rnd(&s) % 4081;

		if (hint < 0) {
			free(slot[k]);
			slot[k] = malloc(n);
		} else {
			ta_free(slot[k]);
			slot[k] = ta_alloc(n, hints[hint < 3 ? hint : (int)(rnd(&s) % 3)]);
		}
		if (slot[k])
			*(char *)slot[k] = (char)i;
	}
	t0 = now() - t0;
	for (int k = 0; k < LIVE; k++)
		hint < 0 ? free(slot[k]) : ta_free(slot[k]);
	return t0 * 1e9 / ops;
}

static double large_ms(int use_ta, int n)
{
	unsigned long mask = 1UL << node_of[TA_TIER_SLOW];
	uint64_t s = 7;
	double t0 = now();

	for (int i = 0; i < n; i++) {
		size_t len = (1 + rnd(&s) % 8) * MIB;
		char *p;

		if (use_ta) {
			p = ta_alloc(len, TA_HINT_COLD);
		} else {
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0);
			if (p == MAP_FAILED)
				p = NULL;
			else
				syscall(SYS_mbind, p, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0);
		}
		if (!p)
			continue;
		for (size_t o = 0; o < len; o += PAGE)
			p[o] = 1;
		if (use_ta)
			ta_free(p);
		else
			munmap(p, len);
	}
	return (now() - t0) * 1e3 / n;
}

/* % of the pages of 64 live blocks of @hint on the node its tier maps to. */
static double placed_pct(int hint)
{
	enum { N = 64 };
	unsigned long on = 0, all = 0;
	char *blk[N];

	for (int i = 0; i < N; i++) {
		size_t len = (i % 4 == 0 ? 2 * MIB : 64 * 1024);

		blk[i] = ta_alloc(len, hints[hint]);
		if (!blk[i])
			continue;
		memset(blk[i], 1, len);
		for (size_t o = 0; o < len; o += PAGE) {
			void *a = blk[i] + o;
			int st = -1, t = ta_tier_of(blk[i]);

			if (!syscall(SYS_move_pages, 0, 1, &a, NULL, &st, 0) && t >= 0 &&
			    st == node_of[t])
				on++;
			all++;
		}
	}
	for (int i = 0; i < N; i++)
		ta_free(blk[i]);
	return all ? 100.0 * on / all : 0;
}

int main(void)
{
	const char *sc = getenv("BENCH_SCALE");
	double scale = sc ? strtod(sc, NULL) : 1.0;
	long ops;
	int nlarge;
	struct ta_lib_stats st;
	void **slot = mmap(NULL, LIVE * sizeof(void *), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char name[64];

	if (slot == MAP_FAILED || ta_init() < 0 || ta_get_stats(&st)) {
		fprintf(stderr, "bench_alloc: libta did not initialise\n");
		return 1;
	}
	for (int t = 0; t < TA_NR_TIERS; t++)
		node_of[t] = st.tier[t].node;
	if (st.simulated || node_of[0] == node_of[1] || node_of[1] == node_of[2] ||
	    node_of[0] == node_of[2]) {
		fprintf(stderr, "bench_alloc: SKIP: needs three tiers on three NUMA nodes\n");
		return 77;
	}
	if (scale <= 0)
		scale = 1.0;
	ops = (long)(2e6 * scale);
	nlarge = (int)(64 * scale) < 4 ? 4 : (int)(64 * scale);

	/* Warm both allocators up once, then measure. */
	small_ns(-1, ops / 10, slot);
	for (int h = 0; h < 3; h++)
		small_ns(h, ops / 10, slot);
	row("bench_alloc.small_ns[glibc]", "ns", small_ns(-1, ops, slot), NULL);
	for (int h = 0; h < 3; h++) {
		snprintf(name, sizeof(name), "bench_alloc.small_ns[%s]", hint_name[h]);
		row(name, "ns", small_ns(h, ops, slot), "bench_alloc.small_ns[glibc]");
	}
	row("bench_alloc.small_ns[mixed]", "ns", small_ns(3, ops, slot),
	    "bench_alloc.small_ns[glibc]");

	row("bench_alloc.large_ms[mbind]", "ms", large_ms(0, nlarge), NULL);
	row("bench_alloc.large_ms[cold]", "ms", large_ms(1, nlarge), "bench_alloc.large_ms[mbind]");

	for (int h = 0; h < 3; h++) {
		snprintf(name, sizeof(name), "bench_alloc.placed_pct[%s]", hint_name[h]);
		row(name, "%", placed_pct(h), NULL);
	}
	return 0;
}
