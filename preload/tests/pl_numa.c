// SPDX-License-Identifier: MIT
/*
 * Under the preload a program's memory really is tiered: helpers started
 * with TA_DEFAULT_HINT / TA_LARGE_HINT / TA_INTERPOSE / TA_DISABLE settings
 * malloc 64 MiB, small blocks, and a block grown by realloc across
 * TA_LARGE_MIN, then ask move_pages(2) which NUMA node holds every page.
 * Needs three memory nodes (the VM: 0 fast, 1 normal, 2 slow); skips
 * elsewhere.  In the VM the module is loaded, so this is the kernel backend.
 */
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pl_test.h"

#define MiB (1ul << 20)
#define BIG (64 * MiB)

/*
 * Node of every page of [p, p + len), or -1 if they differ (-errno on error).
 * Each page is read first, and read again when move_pages(2) finds it not
 * mapped: the module's scanner unmaps the pages of AUTO regions (the next
 * access maps them again), and move_pages(2) sees mapped pages only.
 */
static int range_node(const void *p, size_t len)
{
	enum { BATCH = 512 };
	void *pages[BATCH];
	int status[BATCH], node = -2;
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095, end = (uintptr_t)p + len;

	while (a < end) {
		unsigned n = 0;

		for (; n < BATCH && a < end; n++, a += 4096) {
			pages[n] = (void *)a;
			(void)*(volatile const char *)a;
		}
		if (move_pages(0, n, pages, NULL, status, 0))
			return -errno;
		for (unsigned i = 0; i < n; i++) {
			for (int tries = 0; status[i] == -ENOENT && tries < 10; tries++) {
				(void)*(volatile const char *)pages[i];
				if (move_pages(0, 1, &pages[i], NULL, &status[i], 0))
					return -errno;
			}
			if (status[i] < 0)
				return status[i];
			if (node == -2)
				node = status[i];
			else if (node != status[i])
				return -1;
		}
	}
	return node;
}

/* The node @tier names: "fast", "normal", "slow" or a number; "!tier": not there. */
static int node_of_tier(const struct ta_lib_stats *st, const char *tier)
{
	if (!tier)
		return -1;
	if (*tier == '!')
		return -100 - node_of_tier(st, tier + 1);
	if (!strcmp(tier, "fast"))
		return st->tier[TA_TIER_FAST].node;
	if (!strcmp(tier, "normal"))
		return st->tier[TA_TIER_NORMAL].node;
	if (!strcmp(tier, "slow"))
		return st->tier[TA_TIER_SLOW].node;
	return atoi(tier); /* a node number */
}

/* Is @node what @want (from node_of_tier) asks for? */
static bool node_ok(int node, int want)
{
	return want <= -100 ? node != -100 - want : node == want;
}

/*
 * Helper: PL_BIG and PL_SMALL name the tier (or node) big and small blocks
 * must be on.  Exit 0 when they are; 1.. for the first mismatch.
 */
static int pl_child_main(const char *mode)
{
	struct ta_lib_stats st;
	int want_big, want_small, n;
	char *big, *grown, *small[2048];

	(void)mode;
	if (pl_get_stats(&st))
		return 10;
	if (access(TIERALLOC_DEVICE, F_OK) == 0 && !st.disabled && st.backend != TA_BACKEND_KERNEL)
		return 11; /* the module is there: the kernel backend must serve */
	want_big = node_of_tier(&st, getenv("PL_BIG"));
	want_small = node_of_tier(&st, getenv("PL_SMALL"));

	big = malloc(BIG);
	if (!big)
		return 12;
	memset(big, 0x5a, BIG);
	n = range_node(big, BIG);
	if (!node_ok(n, want_big)) {
		fprintf(stderr, "64 MiB block on node %d, want %d\n", n, want_big);
		return 1;
	}
	/* Small blocks: 2 MiB of 1000-byte blocks, each page checked. */
	for (int i = 0; i < 2048; i++) {
		small[i] = malloc(1000);
		if (!small[i])
			return 13;
		memset(small[i], 1, 1000);
	}
	for (int i = 0; i < 2048; i++) {
		n = range_node(small[i], 1000);
		if (!node_ok(n, want_small)) {
			fprintf(stderr, "small block %d on node %d, want %d\n", i, n, want_small);
			return 2;
		}
	}
	/* Grown by realloc from small to big: a big block now. */
	grown = malloc(100000);
	if (!grown)
		return 14;
	memset(grown, 2, 100000);
	grown = realloc(grown, 16 * MiB);
	if (!grown)
		return 15;
	memset(grown, 3, 16 * MiB);
	n = range_node(grown, 16 * MiB);
	if (!node_ok(n, want_big)) {
		fprintf(stderr, "realloc-grown block on node %d, want %d\n", n, want_big);
		return 3;
	}
	/* calloc and aligned blocks follow the same rules. */
	char *z = calloc(8, 4 * MiB), *a = aligned_alloc(2 * MiB, 8 * MiB);

	if (!z || !a)
		return 16;
	memset(z, 4, 32 * MiB);
	memset(a, 5, 8 * MiB);
	if (!node_ok(range_node(z, 32 * MiB), want_big) ||
	    !node_ok(range_node(a, 8 * MiB), want_big)) {
		fprintf(stderr, "calloc/aligned_alloc block on the wrong node\n");
		return 4;
	}
	for (int i = 0; i < 2048; i++)
		free(small[i]);
	free(big);
	free(grown);
	free(z);
	free(a);
	return 0;
}

FIXTURE(numa){};

FIXTURE_SETUP(numa)
{
	int nodes = 0;

	if (numa_available() < 0)
		SKIP(return, "no NUMA");
	for (int i = 0; i <= numa_max_node(); i++) {
		long long f;

		if (numa_node_size64(i, &f) > 0)
			nodes++;
	}
	if (nodes < 3)
		SKIP(return, "%d memory node(s); the tiers need 3 (run in the VM)", nodes);
}

FIXTURE_TEARDOWN(numa)
{
}

#define PLACE(...)                                                      \
	({                                                              \
		static const char *const env[] = { __VA_ARGS__, NULL }; \
		pl_run_child("place", env);                             \
	})

TEST_F(numa, default_hint_cold_64m)
{
	ASSERT_EQ(0, PLACE("TA_DEFAULT_HINT=cold", "PL_BIG=slow", "PL_SMALL=slow"));
}

TEST_F(numa, default_hint_hot)
{
	ASSERT_EQ(0, PLACE("TA_DEFAULT_HINT=hot", "PL_BIG=fast", "PL_SMALL=fast"));
}

/* AUTO starts where PREFER_FAST would: FAST, which has no soft cap here. */
TEST_F(numa, default_hint_auto)
{
	ASSERT_EQ(0, PLACE("TA_DEFAULT_HINT=auto", "PL_BIG=fast", "PL_SMALL=fast"));
}

TEST_F(numa, large_hint_auto)
{
	ASSERT_EQ(0,
		  PLACE("TA_LARGE_HINT=auto", "TA_LARGE_MIN=1M", "PL_BIG=fast", "PL_SMALL=normal"));
}

TEST_F(numa, default_is_warm)
{
	ASSERT_EQ(0, PLACE("PL_BIG=normal", "PL_SMALL=normal"));
}

TEST_F(numa, large_hint_cold)
{
	ASSERT_EQ(0,
		  PLACE("TA_LARGE_HINT=cold", "TA_LARGE_MIN=1M", "PL_BIG=slow", "PL_SMALL=normal"));
}

TEST_F(numa, large_hint_hot_small_cold)
{
	ASSERT_EQ(0, PLACE("TA_DEFAULT_HINT=cold", "TA_LARGE_HINT=hot", "TA_LARGE_MIN=64K",
			   "PL_BIG=fast", "PL_SMALL=slow"));
}

TEST_F(numa, interpose_off_is_warm)
{
	ASSERT_EQ(0, PLACE("TA_INTERPOSE=0", "TA_DEFAULT_HINT=cold", "TA_LARGE_HINT=hot",
			   "PL_BIG=normal", "PL_SMALL=normal"));
}

/*
 * TA_DISABLE: plain memory (first touch, mostly the CPUs' node), hints
 * ignored: not on the slow node (2 in the VM; libta reports no tier nodes
 * when disabled).
 */
TEST_F(numa, disabled_is_untiered)
{
	ASSERT_EQ(0, PLACE("TA_DISABLE=1", "TA_DEFAULT_HINT=cold", "PL_BIG=!2", "PL_SMALL=!2"));
}

TEST_HARNESS_MAIN
