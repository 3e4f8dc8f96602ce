// SPDX-License-Identifier: MIT
/*
 * libta on the kernel backend (TA_BACKEND=kernel; runs in the VM where
 * /dev/tieralloc exists, SKIPs elsewhere): regions are created and freed
 * with blocks, pages sit on the node the kernel gives each tier (asked with
 * TA_IOC_GET_TIER and checked with move_pages(2)), large blocks move in place
 * with TA_IOC_REGION_MOVE, fresh regions read as zero, and a forked child
 * gets a private copy of MAP_SHARED region memory.
 */
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#define BIG (40u << 20) /* above the large-block cache limit: freed at once */

static int kernel_node[TA_NR_TIERS];

static struct ta_lib_stats stats(void)
{
	struct ta_lib_stats st;

	ta_get_stats(&st);
	return st;
}

/* Tier nodes straight from the module, not from libta. */
static int setup(void)
{
	return tt_kernel_setup(kernel_node, 0);
}

#define NEED_DEVICE()                                                                \
	do {                                                                         \
		if (!setup())                                                        \
			SKIP(return, "no usable %s: kernel backend NOT TESTED here", \
				   TIERALLOC_DEVICE);                                \
	} while (0)

TEST(backend_and_regions)
{
	struct ta_lib_stats a, b, c;
	char *p;

	NEED_DEVICE();
	TH_LOG("checks libta uses the kernel backend and a 40 MiB block is one region, freed with "
	       "it");
	a = stats();
	ASSERT_EQ(TA_BACKEND_KERNEL, a.backend);
	ASSERT_TRUE(a.kernel_valid);
	p = ta_alloc(BIG, TA_HINT_WARM);
	ASSERT_NE(NULL, p);
	b = stats();
	ASSERT_EQ(a.kernel.live_regions + 1, b.kernel.live_regions);
	ASSERT_GE(b.kernel.tier[TA_TIER_NORMAL].reserved_bytes, BIG);
	ta_free(p);
	c = stats();
	ASSERT_EQ(a.kernel.live_regions, c.kernel.live_regions);
}

TEST(freed_spans_give_pages_back)
{
	enum { N = 20000, SZ = 1000 };
	static void *blk[N];
	struct ta_lib_stats a, b, c;
	uint64_t used, left;

	NEED_DEVICE();
	TH_LOG("checks that freeing small blocks gives their region pages back to the node "
	       "(at once with ta_collect(); test_purge checks the purge delay)");
	a = stats();
	for (int i = 0; i < N; i++) {
		blk[i] = ta_alloc(SZ, TA_HINT_COLD);
		ASSERT_NE(NULL, blk[i]);
		memset(blk[i], 1, SZ);
	}
	b = stats();
	for (int i = 0; i < N; i++)
		ta_free(blk[i]);
	ta_collect();
	c = stats();
	used = b.kernel.tier[TA_TIER_SLOW].resident_bytes -
	       a.kernel.tier[TA_TIER_SLOW].resident_bytes;
	left = c.kernel.tier[TA_TIER_SLOW].resident_bytes -
	       a.kernel.tier[TA_TIER_SLOW].resident_bytes;
	TH_LOG("resident on SLOW: %llu KiB in use, %llu KiB after free",
	       (unsigned long long)used >> 10, (unsigned long long)left >> 10);
	ASSERT_GE(used, (uint64_t)N * SZ);
	ASSERT_LT(left, used / 4);
}

TEST(fresh_memory_is_zero)
{
	unsigned char *p;

	NEED_DEVICE();
	TH_LOG("checks ta_calloc on a new region and on reused blocks returns zeroes");
	for (int i = 0; i < 3; i++) {
		p = ta_calloc(1, 3u << 20, TA_HINT_COLD);
		ASSERT_NE(NULL, p);
		for (size_t k = 0; k < (3u << 20); k += 4093)
			ASSERT_EQ(0, p[k]);
		memset(p, 0xee, 3u << 20);
		ta_free(p);
	}
}

TEST(placement_on_kernel_nodes)
{
	/* AUTO starts where PREFER_FAST would: FAST, which has no soft cap here. */
	static const int hint_tier[TA_NR_HINTS] = { 0, 1, 2, 0, 0, 0 };

	NEED_DEVICE();
	TH_LOG("checks with move_pages(2) blocks of each hint sit on the kernel's node for the "
	       "tier (%d/%d/%d)",
	       kernel_node[0], kernel_node[1], kernel_node[2]);
	if (tt_mem_nodes() == 3) {
		ASSERT_EQ(0, kernel_node[TA_TIER_FAST]);
		ASSERT_EQ(1, kernel_node[TA_TIER_NORMAL]);
		ASSERT_EQ(2, kernel_node[TA_TIER_SLOW]);
	}
	for (int h = 0; h < TA_NR_HINTS; h++) {
		int want = kernel_node[hint_tier[h]];
		char *l = ta_alloc(4u << 20, (ta_hint_t)h), *s = ta_alloc(500, (ta_hint_t)h);

		ASSERT_NE(NULL, l);
		ASSERT_NE(NULL, s);
		memset(l, 1, 4u << 20);
		memset(s, 1, 500);
		ASSERT_EQ(hint_tier[h], ta_tier_of(l));
		ASSERT_EQ(want, tt_range_node(l, 4u << 20, want)) TH_LOG("hint %d large", h);
		ASSERT_EQ(want, tt_touch_node(s)) TH_LOG("hint %d small", h);
		ta_free(l);
		ta_free(s);
	}
}

TEST(move_in_place)
{
	size_t n = 6u << 20;
	char *p;
	struct ta_lib_stats st;

	NEED_DEVICE();
	TH_LOG("checks ta_move of a 6 MiB block: same address, pages on the new node, data intact");
	p = ta_alloc(n, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	tt_fill(p, n, 11);
	ASSERT_EQ(kernel_node[TA_TIER_SLOW], tt_range_node(p, n, kernel_node[TA_TIER_SLOW]));
	ASSERT_EQ(p, ta_move(p, TA_TIER_FAST));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p));
	ASSERT_EQ(kernel_node[TA_TIER_FAST], tt_range_node(p, n, kernel_node[TA_TIER_FAST]));
	ASSERT_TRUE(tt_check(p, n, 11));
	st = stats();
	ASSERT_GE(st.kernel.tier[TA_TIER_FAST].migrations_in, 1);
	ASSERT_GE(st.tier[TA_TIER_FAST].moves_in, 1);
	ASSERT_EQ(p, ta_move(p, TA_TIER_NORMAL));
	ASSERT_EQ(kernel_node[TA_TIER_NORMAL], tt_range_node(p, n, kernel_node[TA_TIER_NORMAL]));
	ASSERT_TRUE(tt_check(p, n, 11));
	ta_free(p);
}

TEST(small_move_by_copy)
{
	char *p, *q;

	NEED_DEVICE();
	TH_LOG("checks ta_move of a small block copies it onto the destination node");
	p = ta_alloc(1000, TA_HINT_WARM);
	tt_fill(p, 1000, 12);
	q = ta_move(p, TA_TIER_SLOW);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q);
	ASSERT_EQ(kernel_node[TA_TIER_SLOW], tt_page_node(q));
	ASSERT_TRUE(tt_check(q, 1000, 12));
	ta_free(q);
}

TEST(fork_gets_private_copy)
{
	char *s, *l;
	int status;
	pid_t pid;

	NEED_DEVICE();
	TH_LOG("checks a child's writes to region memory stay out of the parent (MAP_SHARED "
	       "regions)");
	s = ta_alloc(100, TA_HINT_HOT);
	l = ta_alloc(3u << 20, TA_HINT_HOT);
	tt_fill(s, 100, 1);
	tt_fill(l, 3u << 20, 2);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = !tt_check(s, 100, 1) || !tt_check(l, 3u << 20, 2);
		void *n = ta_alloc(5000, TA_HINT_COLD);

		memset(s, 0, 100);
		memset(l, 0, 3u << 20);
		ta_free(n);
		ta_free(l);
		_exit(bad || !n);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(tt_check(s, 100, 1));
	ASSERT_TRUE(tt_check(l, 3u << 20, 2));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(l));
	ta_free(s);
	ta_free(l);
}

TEST(fork_without_clone_gets_anonymous_copy)
{
	struct rlimit old, low;
	char *s, *l;
	int status, fd;
	pid_t pid;

	NEED_DEVICE();
	TH_LOG("checks a child that cannot clone (no fd left to reopen the device) still gets a "
	       "private copy of every block, and allocates from the user backend");
	s = ta_alloc(100, TA_HINT_HOT);
	l = ta_alloc(3u << 20, TA_HINT_HOT);
	tt_fill(s, 100, 3);
	tt_fill(l, 3u << 20, 4);
	/* The lowest free fd becomes the limit: the child's open() gets EMFILE. */
	fd = dup(0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	low = old;
	low.rlim_cur = (rlim_t)fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	pid = fork();
	if (pid != 0)
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct ta_lib_stats st;
		int bad = !tt_check(s, 100, 3) || !tt_check(l, 3u << 20, 4);
		void *n = ta_alloc(5000, TA_HINT_COLD);

		bad |= ta_get_stats(&st) || st.backend != TA_BACKEND_USER;
		memset(s, 0, 100);
		memset(l, 0, 3u << 20);
		ta_free(n);
		_exit(bad || !n);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(tt_check(s, 100, 3));
	ASSERT_TRUE(tt_check(l, 3u << 20, 4));
	ta_free(s);
	ta_free(l);
}

TEST_HARNESS_MAIN
