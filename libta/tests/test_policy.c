// SPDX-License-Identifier: MIT
/*
 * Hint policy, caps and throttle of the user backend (forced with
 * TA_BACKEND=user; caps come from the environment, each test is its own
 * process): soft and hard caps, both hard-cap policies, PIN_FAST,
 * PREFER_FAST, refusal on the slowest tier, ta_move over a hard cap, caps
 * released by free, and the token bucket in account and enforce modes.
 * Caps are charged per region: 3 MiB blocks (own region each) and 4032 KiB
 * arenas of small blocks.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#define MB (1u << 20)

static void env(const char *k, const char *v)
{
	setenv(k, v, 1);
}

static void user_backend(void)
{
	env("TA_BACKEND", "user");
}

static struct ta_lib_stats stats(void)
{
	struct ta_lib_stats st;

	ta_get_stats(&st);
	return st;
}

TEST(route_slow_over_hard_cap)
{
	void *p[3];

	TH_LOG("checks HOT past FAST's 8M hard cap goes to NORMAL under route_slow");
	user_backend();
	env("TA_FAST_HARD", "8M");
	for (int i = 0; i < 3; i++)
		ASSERT_NE(NULL, p[i] = ta_alloc(3 * MB, TA_HINT_HOT));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p[0]));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p[1]));
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p[2]));
	struct ta_lib_stats st = stats();

	ASSERT_EQ(8 * MB, st.tier[TA_TIER_FAST].hard_cap);
	ASSERT_GE(st.tier[TA_TIER_FAST].hard_violations, 1);
	ASSERT_GE(st.tier[TA_TIER_FAST].reroutes, 1);
	ASSERT_LE(st.tier[TA_TIER_FAST].reserved_bytes, 8 * MB);
}

TEST(small_blocks_respect_hard_cap)
{
	size_t fast = 0;
	int rerouted = 0;

	TH_LOG("checks small HOT blocks fill FAST up to its hard cap, then go to NORMAL");
	user_backend();
	env("TA_FAST_HARD", "9M");
	for (int i = 0; i < 2000; i++) {
		void *p = ta_alloc(20000, TA_HINT_HOT);

		ASSERT_NE(NULL, p);
		if (ta_tier_of(p) == TA_TIER_FAST)
			fast += 20000;
		else
			rerouted++;
	}
	ASSERT_GT(fast, 6 * MB);
	ASSERT_LE(fast, 9 * MB);
	ASSERT_GT(rerouted, 0);
	ASSERT_LE(stats().tier[TA_TIER_FAST].reserved_bytes, 9 * MB);
}

TEST(fail_policy)
{
	void *p;

	TH_LOG("checks TA_ON_HARDCAP=fail: HOT past FAST's hard cap fails with ENOMEM");
	user_backend();
	env("TA_FAST_HARD", "8M");
	env("TA_ON_HARDCAP", "fail");
	ASSERT_NE(NULL, ta_alloc(3 * MB, TA_HINT_HOT));
	ASSERT_NE(NULL, ta_alloc(3 * MB, TA_HINT_HOT));
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(3 * MB, TA_HINT_HOT));
	ASSERT_EQ(ENOMEM, errno);
	for (int i = 0; i < 1000 && (p = ta_alloc(50000, TA_HINT_HOT)); i++)
		ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p));
	ASSERT_EQ(NULL, p) TH_LOG("small HOT blocks must fail too once FAST is full");
	ASSERT_EQ(TA_POLICY_FAIL, stats().tier[TA_TIER_FAST].policy);
	p = ta_alloc(3 * MB, TA_HINT_WARM);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
}

TEST(pin_fast_never_rerouted)
{
	TH_LOG("checks PIN_FAST fails at FAST's hard cap even under route_slow, HOT reroutes");
	user_backend();
	env("TA_FAST_HARD", "8M");
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(ta_alloc(3 * MB, TA_HINT_PIN_FAST)));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(ta_alloc(3 * MB, TA_HINT_PIN_FAST)));
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(3 * MB, TA_HINT_PIN_FAST));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(ta_alloc(3 * MB, TA_HINT_HOT)));
}

TEST(prefer_fast_and_soft_cap)
{
	struct ta_lib_stats st;

	TH_LOG("checks PREFER_FAST leaves FAST at its 8M soft cap; HOT goes beyond it (soft "
	       "violation)");
	user_backend();
	env("TA_FAST_SOFT", "8M");
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(ta_alloc(3 * MB, TA_HINT_PREFER_FAST)));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(ta_alloc(3 * MB, TA_HINT_PREFER_FAST)));
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(ta_alloc(3 * MB, TA_HINT_PREFER_FAST)));
	st = stats();
	ASSERT_EQ(0, st.tier[TA_TIER_FAST].soft_violations);
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(ta_alloc(3 * MB, TA_HINT_HOT)));
	st = stats();
	ASSERT_GE(st.tier[TA_TIER_FAST].soft_violations, 1);
	ASSERT_GT(st.tier[TA_TIER_FAST].reserved_bytes, 8 * MB);
}

TEST(slowest_tier_refuses)
{
	TH_LOG("checks COLD past SLOW's hard cap fails: there is no slower tier");
	user_backend();
	env("TA_SLOW_HARD", "4M");
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(ta_alloc(3 * MB, TA_HINT_COLD)));
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(3 * MB, TA_HINT_COLD));
	ASSERT_EQ(ENOMEM, errno);
}

TEST(move_over_hard_cap)
{
	char *p, *q;

	TH_LOG("checks ta_move into a full tier fails with ENOMEM and leaves the block intact");
	user_backend();
	env("TA_FAST_HARD", "4M");
	p = ta_alloc(6 * MB, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	tt_fill(p, 6 * MB, 5);
	errno = 0;
	ASSERT_EQ(NULL, ta_move(p, TA_TIER_FAST));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(p));
	ASSERT_TRUE(tt_check(p, 6 * MB, 5));
	ASSERT_GE(stats().tier[TA_TIER_FAST].move_failures, 1);
	q = ta_alloc(3000, TA_HINT_COLD);
	tt_fill(q, 3000, 6);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(p, ta_move(p, TA_TIER_NORMAL));
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ASSERT_TRUE(tt_check(p, 6 * MB, 5));
}

TEST(free_releases_capacity)
{
	void *a, *b, *c;

	TH_LOG("checks freed blocks give FAST's capacity back (cached regions included)");
	user_backend();
	env("TA_FAST_HARD", "8M");
	env("TA_ON_HARDCAP", "fail");
	a = ta_alloc(3 * MB, TA_HINT_HOT);
	b = ta_alloc(3 * MB, TA_HINT_HOT);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ta_free(a);
	ta_free(b);
	c = ta_alloc(7 * MB, TA_HINT_HOT);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(c));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TEST(throttle_account)
{
	double t0 = now();
	uint64_t w;

	TH_LOG("checks account mode: 5 MiB at 1 MiB/s with a 1 MiB burst models ~4 s, waits none");
	user_backend();
	env("TA_FAST_RATE", "1M");
	env("TA_FAST_BURST", "1M");
	ASSERT_NE(NULL, ta_alloc(5 * MB, TA_HINT_HOT));
	w = stats().tier[TA_TIER_FAST].sim_wait_ns;
	ASSERT_GT(w, 3500000000ull);
	ASSERT_LT(w, 4100000000ull);
	ASSERT_LT(now() - t0, 1.0);
	ASSERT_EQ(0, stats().tier[TA_TIER_FAST].throttle_wait_ns);
}

TEST(throttle_enforce)
{
	double t0 = now(), dt;

	TH_LOG("checks enforce mode: 5 MiB at 16 MiB/s with a 1 MiB burst waits ~0.25 s");
	user_backend();
	env("TA_THROTTLE", "enforce");
	env("TA_FAST_RATE", "16M");
	env("TA_FAST_BURST", "1M");
	ASSERT_NE(NULL, ta_alloc(5 * MB, TA_HINT_HOT));
	dt = now() - t0;
	ASSERT_GT(dt, 0.2);
	ASSERT_GT(stats().tier[TA_TIER_FAST].throttle_wait_ns, 200000000ull);
}

TEST_HARNESS_MAIN
