// SPDX-License-Identifier: MIT
/*
 * Environment parsing: good values take effect (sizes with K/M/G/T
 * suffixes, policies, switches); each bad value gives exactly one message
 * on stderr naming its variable and keeps the default; nothing aborts.
 */
#include "kselftest_harness.h"
#include "tt_test.h"

static char out[8192];

static void do_init(void)
{
	ta_init();
	void *p = ta_alloc(100, TA_HINT_HOT); /* still works */

	ta_free(p);
}

static struct ta_lib_stats stats(void)
{
	struct ta_lib_stats st;

	ta_get_stats(&st);
	return st;
}

TEST(good_values)
{
	struct ta_lib_stats st;

	TH_LOG("checks sizes with suffixes, TA_ON_HARDCAP and TA_DEFAULT_HINT take effect "
	       "silently");
	setenv("TA_BACKEND", "user", 1);
	setenv("TA_FAST_SOFT", "512KiB", 1);
	setenv("TA_FAST_HARD", "64M", 1);
	setenv("TA_NORMAL_HARD", "2g", 1);
	setenv("TA_SLOW_SOFT", "12345", 1);
	setenv("TA_SLOW_HARD", "1T", 1);
	setenv("TA_ON_HARDCAP", "fail", 1);
	setenv("TA_DEFAULT_HINT", "cold", 1);
	setenv("TA_NODE_FAST", "0", 1);
	setenv("TA_PURGE_DELAY_MS", "250", 1);
	tt_capture_stderr(do_init, out, sizeof(out));
	ASSERT_STREQ("", out);
	st = stats();
	ASSERT_EQ(512u << 10, st.tier[TA_TIER_FAST].soft_cap);
	ASSERT_EQ(64u << 20, st.tier[TA_TIER_FAST].hard_cap);
	ASSERT_EQ(2ull << 30, st.tier[TA_TIER_NORMAL].hard_cap);
	ASSERT_EQ(1ull << 40, st.tier[TA_TIER_SLOW].hard_cap);
	ASSERT_EQ(12345, st.tier[TA_TIER_SLOW].soft_cap);
	ASSERT_EQ(TA_POLICY_FAIL, st.tier[TA_TIER_NORMAL].policy);
	ASSERT_EQ(TA_HINT_COLD, ta_get_default_hint());
}

TEST(bad_values_one_message_each)
{
	static const char *const vars[][2] = {
		{ "TA_FAST_HARD", "12Q" },
		{ "TA_FAST_SOFT", "-5" },
		{ "TA_NORMAL_HARD", "99999999999999999999T" },
		{ "TA_SLOW_SOFT", "" /* empty: unset */ },
		{ "TA_NORMAL_SOFT", "1.5G" },
		{ "TA_ON_HARDCAP", "maybe" },
		{ "TA_BACKEND", "gpu" },
		{ "TA_USE_LIBNUMA", "2" },
		{ "TA_NODE_SLOW", "999" },
		{ "TA_NODE_NORMAL", "x" },
		{ "TA_DISABLE", "perhaps" },
		{ "TA_DEFAULT_HINT", "lukewarm" },
		{ "TA_THROTTLE", "sometimes" },
		{ "TA_FAST_RATE", "10" },
		{ "TA_PURGE_DELAY_MS", "99999" },
	};
	struct ta_lib_stats st;

	TH_LOG("checks every bad variable gets exactly one stderr line naming it, defaults kept");
	for (unsigned i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i][0], vars[i][1], 1);
	tt_capture_stderr(do_init, out, sizeof(out));
	for (unsigned i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s=", vars[i][0]);
		ASSERT_EQ(vars[i][1][0] ? 1 : 0, tt_count(out, name))
		TH_LOG("%s: stderr was:\n%s", vars[i][0], out);
	}
	ASSERT_EQ(14, tt_count(out, "tieralloc: ")) TH_LOG("stderr was:\n%s", out);
	st = stats();
	for (int t = 0; t < TA_NR_TIERS; t++) {
		ASSERT_EQ(0, st.tier[t].soft_cap);
		ASSERT_EQ(0, st.tier[t].hard_cap);
		ASSERT_EQ(TA_POLICY_ROUTE_SLOW, st.tier[t].policy);
	}
	ASSERT_EQ(0, st.disabled);
	ASSERT_EQ(TA_HINT_WARM, ta_get_default_hint());
}

TEST(soft_above_hard)
{
	TH_LOG("checks TA_FAST_SOFT above TA_FAST_HARD is refused with one message");
	setenv("TA_BACKEND", "user", 1);
	setenv("TA_FAST_SOFT", "2G", 1);
	setenv("TA_FAST_HARD", "1G", 1);
	tt_capture_stderr(do_init, out, sizeof(out));
	ASSERT_EQ(1, tt_count(out, "TA_FAST_SOFT")) TH_LOG("stderr was:\n%s", out);
	ASSERT_EQ(1, tt_count(out, "tieralloc: "));
	ASSERT_EQ(0, stats().tier[TA_TIER_FAST].soft_cap);
	ASSERT_EQ(1ull << 30, stats().tier[TA_TIER_FAST].hard_cap);
}

TEST(simulated_mode)
{
	struct ta_lib_stats st;
	void *p;

	TH_LOG("checks TA_USE_LIBNUMA=0: user backend with tiers as labels only");
	setenv("TA_BACKEND", "user", 1);
	setenv("TA_USE_LIBNUMA", "0", 1);
	p = ta_alloc(1000, TA_HINT_COLD);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(p));
	st = stats();
	ASSERT_EQ(TA_BACKEND_USER, st.backend);
	ASSERT_EQ(1, st.simulated);
	ASSERT_EQ(-1, st.tier[TA_TIER_SLOW].node);
}

TEST(disabled)
{
	void *p;

	TH_LOG("checks TA_DISABLE=1: a plain allocator (no caps, no placement) that still works");
	setenv("TA_DISABLE", "1", 1);
	setenv("TA_FAST_HARD", "1M", 1);
	setenv("TA_ON_HARDCAP", "fail", 1);
	ASSERT_EQ(1, ta_init());
	p = ta_alloc(3 << 20, TA_HINT_PIN_FAST);
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, ta_alloc(3 << 20, TA_HINT_PIN_FAST));
	ASSERT_EQ(1, stats().disabled);
	ASSERT_EQ(0, stats().tier[TA_TIER_FAST].hard_cap);
}

TEST(kernel_requested_without_device)
{
	TH_LOG("checks TA_BACKEND=kernel without /dev/tieralloc: one message, user backend");
	if (tt_have_device())
		SKIP(return, "/dev/tieralloc exists here; this checks the fallback");
	setenv("TA_BACKEND", "kernel", 1);
	tt_capture_stderr(do_init, out, sizeof(out));
	ASSERT_EQ(1, tt_count(out, "TA_BACKEND")) TH_LOG("stderr was:\n%s", out);
	ASSERT_EQ(TA_BACKEND_USER, stats().backend);
}

TEST_HARNESS_MAIN
