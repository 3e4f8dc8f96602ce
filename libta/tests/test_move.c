// SPDX-License-Identifier: MIT
/*
 * ta_move semantics on the machine's backend: small blocks (sharing pages)
 * are copied to a new address and the old one freed; blocks of TA_LARGE_MIN
 * or more stay at the same address; contents and alignment survive; a move
 * to the block's own tier is a no-op; bad arguments fail with EINVAL and
 * leave the block alone; a moved block stays on its new tier when
 * ta_realloc copies it.  (Placement of the pages: test_placement.)
 */
#include "kselftest_harness.h"
#include "tt_test.h"

TEST(small_block_is_copied)
{
	char *p = ta_alloc(200, TA_HINT_WARM), *q;

	TH_LOG("checks a 200-byte block moves to a new address on the new tier with its data");
	ASSERT_NE(NULL, p);
	tt_fill(p, 200, 9);
	q = ta_move(p, TA_TIER_FAST);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q);
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(q));
	ASSERT_TRUE(tt_check(q, 200, 9));
	ASSERT_GE(ta_usable_size(q), 200);
	ASSERT_EQ(q, ta_move(q, TA_TIER_FAST)) TH_LOG("same tier: same block");
	q = ta_move(q, TA_TIER_SLOW);
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(q));
	ASSERT_TRUE(tt_check(q, 200, 9));
	ta_free(q);
}

TEST(large_block_moves_in_place)
{
	size_t n = TA_LARGE_MIN * 3;
	char *p = ta_alloc(n, TA_HINT_COLD);
	struct ta_lib_stats st;

	TH_LOG("checks a 3 MiB block keeps its address through moves SLOW->FAST->NORMAL");
	ASSERT_NE(NULL, p);
	tt_fill(p, n, 3);
	ASSERT_EQ(p, ta_move(p, TA_TIER_FAST));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p));
	ASSERT_TRUE(tt_check(p, n, 3));
	ASSERT_EQ(p, ta_move(p, TA_TIER_NORMAL));
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ASSERT_TRUE(tt_check(p, n, 3));
	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_GE(st.tier[TA_TIER_FAST].moves_in, 1);
	ASSERT_GE(st.tier[TA_TIER_SLOW].moves_out, 1);
	ASSERT_GE(st.tier[TA_TIER_FAST].bytes_moved_in, n);
	ASSERT_EQ(1, st.tier[TA_TIER_NORMAL].large_blocks);
	ta_free(p);
}

TEST(exactly_large_min)
{
	char *a = ta_alloc(TA_LARGE_MIN, TA_HINT_WARM),
	     *b = ta_alloc(TA_LARGE_MIN - 1, TA_HINT_WARM);
	char *c;

	TH_LOG("checks the threshold: TA_LARGE_MIN moves in place, one byte less is copied");
	ASSERT_EQ(a, ta_move(a, TA_TIER_SLOW));
	c = ta_move(b, TA_TIER_SLOW);
	ASSERT_NE(NULL, c);
	ASSERT_NE(b, c);
	ta_free(a);
	ta_free(c);
}

TEST(alignment_survives)
{
	char *p = ta_aligned_alloc(4096, 5000, TA_HINT_COLD), *q;

	TH_LOG("checks a 4 KiB-aligned small block stays 4 KiB-aligned when moved");
	ASSERT_NE(NULL, p);
	tt_fill(p, 5000, 4);
	q = ta_move(p, TA_TIER_FAST);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, (uintptr_t)q % 4096);
	ASSERT_TRUE(tt_check(q, 5000, 4));
	ta_free(q);
}

/*
 * A large block moved in place keeps its segment, and so the placement key
 * it was made with: ta_realloc must copy it onto the tier it is on now,
 * not onto its hint's (PIN_FAST) or its old exact tier's.  A 1 MiB-aligned
 * block cannot grow in place, so growing it copies on every backend.
 */
TEST(realloc_after_move_keeps_new_tier)
{
	size_t n = TA_LARGE_MIN * 2, big = (size_t)64 << 20;
	char *p = ta_aligned_alloc((size_t)1 << 20, n, TA_HINT_PIN_FAST), *q, *r;

	TH_LOG("checks ta_realloc copies a moved large block onto its new tier, twice over");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p));
	tt_fill(p, n, 5);
	ASSERT_EQ(p, ta_move(p, TA_TIER_SLOW));
	q = ta_realloc(p, big);
	ASSERT_NE(NULL, q);
	ASSERT_NE(p, q) TH_LOG("an aligned block grown this far is copied");
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(q)) TH_LOG("not back on PIN_FAST's tier");
	ASSERT_TRUE(tt_check(q, n, 5));
	/* The copy is a block of SLOW's exact key: move it, shrink it far (kernel: a copy). */
	ASSERT_EQ(q, ta_move(q, TA_TIER_NORMAL));
	r = ta_realloc(q, n);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(r)) TH_LOG("not back on the old exact tier");
	ASSERT_TRUE(tt_check(r, n, 5));
	r = ta_realloc(r, big * 2);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(r));
	ASSERT_TRUE(tt_check(r, n, 5));
	ta_free(r);
}

TEST(bad_arguments)
{
	char *p = ta_alloc(100, TA_HINT_WARM);
	int x;

	TH_LOG("checks bad tiers and foreign pointers fail with EINVAL, block untouched");
	tt_fill(p, 100, 8);
	errno = 0;
	ASSERT_EQ(NULL, ta_move(p, (ta_tier_t)3));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ASSERT_TRUE(tt_check(p, 100, 8));
	errno = 0;
	ASSERT_EQ(NULL, ta_move(&x, TA_TIER_FAST));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_move(NULL, TA_TIER_FAST));
	ASSERT_EQ(EINVAL, errno);
	ta_free(p);
}

TEST_HARNESS_MAIN
