// SPDX-License-Identifier: MIT
/*
 * Giving memory back: freed small-block pages stay resident for the purge
 * delay (TA_PURGE_DELAY_MS) and then go back on the heap's next page
 * operation; ta_collect() gives them, and cached large blocks, back at
 * once; a large block shrunk by ta_realloc gives its tail back, and so
 * does a cached block lent to a smaller request.
 *
 * What the process holds is read from /proc/self/smaps_rollup, not from
 * libta's counters: Rss less LazyFree (MADV_FREE pages, which the kernel
 * takes back at will).  Sanitizer builds hold shadow memory on top, so
 * the checks compare the drops with the bytes the test itself used.  Each
 * TEST runs in a fresh process, so setenv()
 * before the first libta call sets its delay.
 */
#include <stdio.h>
#include <time.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#define SMALL	  1000
#define SMALL_SUM (16u << 20)
#define NSMALL	  (SMALL_SUM / SMALL)

static void *blk[NSMALL];

/* Bytes of memory the process holds, or -1. */
static long long held(void)
{
	long long rss = -1, lazy = 0, v;
	char line[256];
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %lld kB", &v) == 1)
			rss = v;
		else if (sscanf(line, "LazyFree: %lld kB", &v) == 1)
			lazy = v;
	}
	fclose(f);
	return rss < 0 ? -1 : (rss - lazy) << 10;
}

static int alloc_small(void)
{
	for (unsigned i = 0; i < NSMALL; i++) {
		blk[i] = ta_alloc(SMALL, TA_HINT_COLD);
		if (!blk[i])
			return -1;
		memset(blk[i], 0x33, SMALL);
	}
	return 0;
}

static void free_small(void)
{
	for (unsigned i = 0; i < NSMALL; i++)
		ta_free(blk[i]);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

#define MIB(x) ((x) >> 20)

TEST(freed_pages_stay_until_collect)
{
	long long before, used, after_free, after_collect;
	size_t given;

	TH_LOG("checks with a 10 s purge delay, 16 MiB of freed 1000-byte blocks stay resident "
	       "and ta_collect() gives them back at once");
	setenv("TA_PURGE_DELAY_MS", "10000", 1);
	ta_init();
	before = held();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, alloc_small());
	used = held() - before;
	free_small();
	after_free = held() - before;
	given = ta_collect();
	after_collect = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB freed, %lld MiB after ta_collect "
	       "(which reports %zu MiB)",
	       MIB(used), MIB(after_free), MIB(after_collect), MIB(given));
	ASSERT_GE(used, SMALL_SUM);
	ASSERT_LT(used - after_free, SMALL_SUM / 4);
	ASSERT_GT(after_free - after_collect, SMALL_SUM * 3 / 4);
	ASSERT_GE(given, SMALL_SUM * 3 / 4);
}

TEST(freed_pages_go_after_the_delay)
{
	long long before, used, after;
	void *p;

	TH_LOG("checks with a 50 ms purge delay, 16 MiB of freed 1000-byte blocks go back "
	       "without ta_collect() once the delay is over and the heap takes a new page");
	setenv("TA_PURGE_DELAY_MS", "50", 1);
	ta_init();
	before = held();
	ASSERT_EQ(0, alloc_small());
	used = held() - before;
	free_small();
	sleep_ms(200);
	p = ta_alloc(40000, TA_HINT_COLD); /* a size class not used yet: a new page */
	ASSERT_NE(NULL, p);
	after = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB after the delay", MIB(used),
	       MIB(after));
	ASSERT_GE(used, SMALL_SUM);
	ASSERT_GT(used - after, SMALL_SUM * 3 / 4);
	ta_free(p);
}

TEST(spans_freed_late_wait_for_their_own_delay)
{
	long long before, used, mid, after;
	void *p, *q;

	TH_LOG("checks with a 1 s purge delay, the purge that ends the delay of 16 MiB of freed "
	       "1000-byte blocks gives back those not taken since, keeps the 8 MiB taken again "
	       "and freed 0.3 s later, and gives those back once their own delay is over");
	setenv("TA_PURGE_DELAY_MS", "1000", 1);
	ta_init();
	before = held();
	ASSERT_EQ(0, alloc_small());
	used = held() - before;
	free_small(); /* t = 0 */
	sleep_ms(300);
	for (unsigned i = 0; i < NSMALL / 2; i++) {
		blk[i] = ta_alloc(SMALL, TA_HINT_COLD);
		ASSERT_NE(NULL, blk[i]);
		memset(blk[i], 0x44, SMALL);
	}
	for (unsigned i = 0; i < NSMALL / 2; i++)
		ta_free(blk[i]); /* t = 0.3 s */
	sleep_ms(800);
	p = ta_alloc(40000, TA_HINT_COLD); /* t = 1.1 s: a new page, and a purge */
	ASSERT_NE(NULL, p);
	mid = held() - before;
	sleep_ms(1300);
	q = ta_alloc(60000, TA_HINT_COLD); /* t = 2.4 s */
	ASSERT_NE(NULL, q);
	after = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB at 1.1 s, %lld MiB at 2.4 s",
	       MIB(used), MIB(mid), MIB(after));
	ASSERT_GE(used, SMALL_SUM);
	ASSERT_GT(used - mid, SMALL_SUM / 2 * 3 / 4);
	ASSERT_GT(mid - after, SMALL_SUM / 2 * 3 / 4);
	ta_free(p);
	ta_free(q);
}

TEST(no_delay_purges_at_free)
{
	long long before, used, after;

	TH_LOG("checks with TA_PURGE_DELAY_MS=0, 16 MiB of freed 1000-byte blocks go back as "
	       "they are freed");
	setenv("TA_PURGE_DELAY_MS", "0", 1);
	ta_init();
	before = held();
	ASSERT_EQ(0, alloc_small());
	used = held() - before;
	free_small();
	after = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB freed", MIB(used), MIB(after));
	ASSERT_GE(used, SMALL_SUM);
	ASSERT_GT(used - after, SMALL_SUM * 3 / 4);
}

TEST(collect_releases_cached_large_blocks)
{
	const size_t sz = 8u << 20;
	long long before, used, after_free, after_collect;
	char *p;

	TH_LOG("checks a freed 8 MiB block is kept for reuse, and ta_collect() gives it back");
	ta_init();
	before = held();
	p = ta_alloc(sz, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	memset(p, 1, sz);
	used = held() - before;
	ta_free(p);
	after_free = held() - before;
	ta_collect();
	after_collect = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB freed, %lld MiB after ta_collect",
	       MIB(used), MIB(after_free), MIB(after_collect));
	ASSERT_GE(used, (long long)sz);
	ASSERT_LT(used - after_free, (long long)sz / 4);
	ASSERT_GT(after_free - after_collect, (long long)sz * 3 / 4);
}

TEST(shrunk_large_block_gives_its_tail_back)
{
	const size_t big = 16u << 20, small = 2u << 20;
	long long before, used, after;
	struct ta_lib_stats st;
	char *p, *q;

	TH_LOG("checks a 16 MiB block shrunk to 2 MiB by ta_realloc keeps its data and gives "
	       "its tail back (in place on the user backend, where growing back does not copy; "
	       "on the kernel backend, after ta_collect())");
	ta_init();
	ASSERT_EQ(0, ta_get_stats(&st));
	before = held();
	p = ta_alloc(big, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	tt_fill(p, small, 5);
	memset(p + small, 9, big - small);
	used = held() - before;
	q = ta_realloc(p, small);
	ASSERT_NE(NULL, q);
	/*
	 * Kernel regions count whole against their tier's cap: the block is
	 * copied to a smaller one and the old region waits in the large cache.
	 */
	if (st.backend != TA_BACKEND_USER)
		ta_collect();
	after = held() - before;
	TH_LOG("held over the start: %lld MiB in use, %lld MiB after the shrink; block %s",
	       MIB(used), MIB(after), q == p ? "in place" : "moved");
	ASSERT_TRUE(tt_check(q, small, 5));
	ASSERT_GE(used, (long long)big);
	ASSERT_GT(used - after, (long long)(big - small) * 3 / 4);
	if (st.backend == TA_BACKEND_USER) {
		ASSERT_EQ(p, q);
		p = ta_realloc(q, big);
		ASSERT_EQ(q, p);
		ASSERT_TRUE(tt_check(p, small, 5));
		memset(p + small, 7, big - small);
		q = p;
	}
	ta_free(q);
}

TEST(cached_block_serves_a_smaller_request_without_its_excess)
{
	const size_t big = 16u << 20, small = 2u << 20;
	long long before, after_free, after_take;
	struct ta_lib_stats st;
	char *p, *q;

	ta_init();
	ASSERT_EQ(0, ta_get_stats(&st));
	if (st.backend != TA_BACKEND_USER)
		SKIP(return, "kernel regions count whole against caps: reused only at about the "
			     "size asked");
	TH_LOG("checks a freed 16 MiB block is reused for a 2 MiB request and its other 14 MiB "
	       "given back (MADV_FREE), and the block grows back in place");
	before = held();
	p = ta_alloc(big, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	memset(p, 1, big);
	ta_free(p);
	after_free = held() - before;
	q = ta_alloc(small, TA_HINT_COLD);
	ASSERT_NE(NULL, q);
	after_take = held() - before;
	TH_LOG("held over the start: %lld MiB freed and cached, %lld MiB with the 2 MiB block; "
	       "%s block",
	       MIB(after_free), MIB(after_take), q == p ? "the same" : "another");
	ASSERT_EQ(p, q);
	ASSERT_GT(after_free - after_take, (long long)(big - small) * 3 / 4);
	ASSERT_EQ(q, ta_realloc(q, big));
	ta_free(q);
}

TEST(capped_tier_does_not_lend_a_big_cached_block)
{
	const size_t big = 16u << 20, small = 2u << 20;
	struct ta_lib_stats st;
	char *p, *q;

	setenv("TA_SLOW_HARD", "1G", 1);
	ta_init();
	ASSERT_EQ(0, ta_get_stats(&st));
	if (st.backend != TA_BACKEND_USER)
		SKIP(return, "TA_SLOW_HARD applies to the user backend");
	TH_LOG("checks with a hard cap on SLOW, a freed 16 MiB block is not lent to a 2 MiB "
	       "request, where it would hold 16 MiB of the cap");
	p = ta_alloc(big, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	ta_free(p);
	q = ta_alloc(small, TA_HINT_COLD);
	ASSERT_NE(NULL, q);
	ASSERT_LT(ta_usable_size(q), small + small / 4);
	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_LT(st.tier[TA_TIER_SLOW].large_bytes, small + small / 4);
	ta_free(q);
}

TEST_HARNESS_MAIN
