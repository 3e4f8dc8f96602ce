// SPDX-License-Identifier: MIT
/*
 * The one table of names (the UAPI's TA_*_NAMES): every value named, the
 * feature bits all named, every field of struct ta_tier_stats named at its
 * own index; and libta's JSON naming from them.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "tt_test.h"

TEST(value_names)
{
	static const char *const tiers[TA_NR_TIERS] = TA_TIER_NAMES;
	static const char *const hints[TA_NR_HINTS] = TA_HINT_NAMES;
	static const char *const policies[TA_NR_POLICIES] = TA_POLICY_NAMES;
	static const char *const modes[TA_NR_THROTTLE_MODES] = TA_THROTTLE_MODE_NAMES;

	TH_LOG("checks the UAPI's name tables: every value named, by its enum");
	ASSERT_STREQ("fast", tiers[TA_TIER_FAST]);
	ASSERT_STREQ("normal", tiers[TA_TIER_NORMAL]);
	ASSERT_STREQ("slow", tiers[TA_TIER_SLOW]);
	ASSERT_STREQ("hot", hints[TA_HINT_HOT]);
	ASSERT_STREQ("warm", hints[TA_HINT_WARM]);
	ASSERT_STREQ("cold", hints[TA_HINT_COLD]);
	ASSERT_STREQ("pin_fast", hints[TA_HINT_PIN_FAST]);
	ASSERT_STREQ("prefer_fast", hints[TA_HINT_PREFER_FAST]);
	ASSERT_STREQ("auto", hints[TA_HINT_AUTO]);
	ASSERT_STREQ("route_slow", policies[TA_POLICY_ROUTE_SLOW]);
	ASSERT_STREQ("fail", policies[TA_POLICY_FAIL]);
	ASSERT_STREQ("account", modes[TA_THROTTLE_ACCOUNT]);
	ASSERT_STREQ("enforce", modes[TA_THROTTLE_ENFORCE]);
}

TEST(names_in_json)
{
	char buf[16384];

	TH_LOG("checks ta_stats_json() names the tiers and policies from the tables");
	setenv("TA_BACKEND", "user", 1);
	setenv("TA_ON_HARDCAP", "fail", 1);
	ASSERT_GT(ta_stats_json(buf, sizeof(buf)), 0);
	ASSERT_LT(strlen(buf), sizeof(buf) - 1);
	ASSERT_NE(NULL, strstr(buf, "\"fast\":{\"node\""));
	ASSERT_NE(NULL, strstr(buf, "\"normal\":{\"node\""));
	ASSERT_NE(NULL, strstr(buf, "\"slow\":{\"node\""));
	ASSERT_NE(NULL, strstr(buf, "\"policy\":\"fail\""));
	ASSERT_EQ(NULL, strstr(buf, "route_slow"));
}

TEST(feature_names)
{
	static const char *const names[TA_NR_FEATS] = TA_FEAT_NAMES;
	static const struct {
		unsigned long bit;
		const char *name;
	} want[] = {
		{ TA_FEAT_HUGE, "huge" },	{ TA_FEAT_HUGE_PMD, "huge_pmd" },
		{ TA_FEAT_MIGRATE, "migrate" }, { TA_FEAT_DISCARD, "discard" },
		{ TA_FEAT_CLONE, "clone" },	{ TA_FEAT_AUTO, "auto" },
	};

	TH_LOG("checks every TA_FEAT_* bit is named, at its bit number");
	ASSERT_EQ(TA_NR_FEATS, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < TA_NR_FEATS; i++)
		ASSERT_STREQ(want[i].name, names[__builtin_ctzl(want[i].bit)]);
}

TEST(tier_stat_names)
{
	static const char *const names[TA_NR_TIER_STATS] = TA_TIER_STAT_NAMES;
#define F(f)                                          \
	{                                             \
#f, offsetof(struct ta_tier_stats, f) \
	}
	static const struct {
		const char *name;
		size_t off;
	} want[] = {
		F(reserved_bytes),  F(resident_bytes),	    F(regions),
		F(alloc_calls),	    F(free_calls),	    F(bytes_allocated),
		F(bytes_freed),	    F(sim_wait_ns),	    F(throttle_wait_ns),
		F(soft_violations), F(hard_violations),	    F(reroutes),
		F(fault_failures),  F(huge_pages),	    F(huge_fallbacks),
		F(migrations_in),   F(migrations_out),	    F(pages_moved_in),
		F(pages_moved_out), F(bytes_moved_in),	    F(bytes_moved_out),
		F(migrate_skipped), F(migrate_failures),    F(migrate_ns),
		F(auto_scanned),    F(auto_promoted_bytes), F(auto_demoted_bytes),
		F(auto_skip_cap),   F(auto_skip_tokens),    F(auto_skip_pinned),
		F(auto_scan_ns),
	};
#undef F

	TH_LOG("checks every field of struct ta_tier_stats is named at its index");
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), TA_NR_TIER_STATS);
	ASSERT_EQ(sizeof(struct ta_tier_stats), 31 * sizeof(__u64));
	for (unsigned i = 0; i < TA_NR_TIER_STATS; i++) {
		ASSERT_NE(NULL, names[want[i].off / sizeof(__u64)]);
		ASSERT_STREQ(want[i].name, names[want[i].off / sizeof(__u64)]);
	}
}

TEST_HARNESS_MAIN
