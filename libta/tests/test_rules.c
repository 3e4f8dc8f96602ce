// SPDX-License-Identifier: MIT
/*
 * The placement rules and GCRA arithmetic of kmod/ta_policy.h, which the
 * module and libta's user backend both compile: every key (the five hints
 * and the three exact tiers) against every state of the caps (each tier
 * full to its hard cap or not, FAST over its soft cap or not) under both
 * hard-cap policies, as a table; the node rankings; which tiers share a
 * node; and libta's exports of the names (ta_hint_name(), ta_tier_name())
 * and of the hint's tier (ta_hint_tier()).
 */
#include "kselftest_harness.h"
#include "tt_test.h"
#include "../../kmod/ta_policy.h"

#define F  TA_TIER_FAST
#define N  TA_TIER_NORMAL
#define S  TA_TIER_SLOW
#define NO (-1) /* refused */

enum { EXACT_FAST = TA_NR_HINTS + F, EXACT_NORMAL, EXACT_SLOW, NR_KEYS };

/*
 * The grant loop of ta_tier_grant() and lt_policy_grant(), on plain numbers;
 * @pinned as each decides it (libta: tapol_key_pinned(); the module: PIN_FAST
 * only, a TA_REGION_TIER request goes on like a hint).
 */
static int grant(unsigned key, int pinned, const uint64_t reserved[TA_NR_TIERS],
		 const uint64_t soft[TA_NR_TIERS], const uint64_t hard[TA_NR_TIERS],
		 uint32_t policy, uint64_t bytes, uint32_t *result)
{
	__u64 sum;
	int t;

	*result = 0;
	t = (int)tapol_first_tier(key, bytes, soft[F], reserved[F], result);
	for (;;) {
		int r = tapol_reserve(reserved[t], bytes, soft[t], hard[t], &sum);

		if (r > 0)
			*result |= TA_RESULT_SOFT_OVER;
		if (r >= 0)
			return t;
		t = tapol_next_tier(pinned, (unsigned)t, policy);
		if (t < 0)
			return NO;
		*result |= TA_RESULT_REROUTED;
	}
}

/* clang-format off */
/*
 * Granted tier per key for each state of the hard caps (bit t: tier t is
 * full) under ROUTE_SLOW and under FAIL, with FAST within its soft cap.
 */
static const int want_route[NR_KEYS][8] = {
	/* full: none  F   N   FN  S   FS  NS  FNS */
	[TA_HINT_HOT] = { F, N, F, S, F, N, F, NO },
	[TA_HINT_WARM] = { N, N, S, S, N, N, NO, NO },
	[TA_HINT_COLD] = { S, S, S, S, NO, NO, NO, NO },
	[TA_HINT_PIN_FAST] = { F, NO, F, NO, F, NO, F, NO },
	[TA_HINT_PREFER_FAST] = { F, N, F, S, F, N, F, NO },
	[TA_HINT_AUTO] = { F, N, F, S, F, N, F, NO },
	[EXACT_FAST] = { F, NO, F, NO, F, NO, F, NO },
	[EXACT_NORMAL] = { N, N, NO, NO, N, N, NO, NO },
	[EXACT_SLOW] = { S, S, S, S, NO, NO, NO, NO },
};

static const int want_fail[NR_KEYS][8] = {
	[TA_HINT_HOT] = { F, NO, F, NO, F, NO, F, NO },
	[TA_HINT_WARM] = { N, N, NO, NO, N, N, NO, NO },
	[TA_HINT_COLD] = { S, S, S, S, NO, NO, NO, NO },
	[TA_HINT_PIN_FAST] = { F, NO, F, NO, F, NO, F, NO },
	[TA_HINT_PREFER_FAST] = { F, NO, F, NO, F, NO, F, NO },
	[TA_HINT_AUTO] = { F, NO, F, NO, F, NO, F, NO },
	[EXACT_FAST] = { F, NO, F, NO, F, NO, F, NO },
	[EXACT_NORMAL] = { N, N, NO, NO, N, N, NO, NO },
	[EXACT_SLOW] = { S, S, S, S, NO, NO, NO, NO },
};

/*
 * The same, with FAST over its soft cap: only PREFER_FAST and AUTO (which
 * starts where PREFER_FAST would) change, they ask NORMAL first.
 */
static const int want_prefer_over_soft[2][8] = {
	{ N, N, S, S, N, N, NO, NO }, /* ROUTE_SLOW */
	{ N, N, NO, NO, N, N, NO, NO }, /* FAIL */
};
/* clang-format on */

#define MB (1ull << 20)

TEST(grant_table)
{
	TH_LOG("checks every key x hard-cap state x policy x FAST soft state against the table");
	for (unsigned i = 0; i < NR_KEYS * 8 * 2 * 2; i++) {
		unsigned key = i % NR_KEYS, full = i / NR_KEYS % 8;
		uint32_t pol = i / NR_KEYS / 8 % 2, over_soft = i / NR_KEYS / 16;
		uint64_t reserved[TA_NR_TIERS], soft[TA_NR_TIERS] = { 0 }, hard[TA_NR_TIERS];
		uint32_t result;
		int want, got;

		for (int t = 0; t < TA_NR_TIERS; t++) {
			hard[t] = 64 * MB;
			reserved[t] = full >> t & 1 ? 63 * MB : 0;
		}
		/* FAST's soft cap: room for the 2 MiB asked, or not. */
		soft[F] = reserved[F] + (over_soft ? 1 : 3) * MB;
		want = pol == TA_POLICY_FAIL ? want_fail[key][full] : want_route[key][full];
		if ((key == TA_HINT_PREFER_FAST || key == TA_HINT_AUTO) && over_soft)
			want = want_prefer_over_soft[pol][full];
		got = grant(key, tapol_key_pinned(key), reserved, soft, hard, pol, 2 * MB, &result);
		ASSERT_EQ(want, got)
		TH_LOG("key %u full %#x policy %u over_soft %u", key, full, pol, over_soft);
		if (got < 0)
			continue;
		/* Rerouted exactly when granted another tier than the key asks for. */
		ASSERT_EQ(
			got != (int)tapol_key_asked(key) ||
				((key == TA_HINT_PREFER_FAST || key == TA_HINT_AUTO) && over_soft),
			!!(result & TA_RESULT_REROUTED))
		TH_LOG("key %u full %#x: result %#x", key, full, result);
		/* Over the soft cap only on FAST, when FAST was granted past it. */
		ASSERT_EQ(got == F && over_soft, !!(result & TA_RESULT_SOFT_OVER));
	}
}

TEST(module_region_tier_routes)
{
	static const unsigned hint_of[TA_NR_TIERS] = { TA_HINT_HOT, TA_HINT_WARM, TA_HINT_COLD };

	TH_LOG("checks a TA_REGION_TIER request in the module starts at its tier and goes on as a "
	       "hint");
	for (unsigned i = 0; i < TA_NR_TIERS * 8 * 2; i++) {
		unsigned tier = i % TA_NR_TIERS, full = i / TA_NR_TIERS % 8,
			 key = TA_NR_HINTS + tier;
		uint32_t pol = i / TA_NR_TIERS / 8, result;
		uint64_t reserved[TA_NR_TIERS], soft[TA_NR_TIERS] = { 0 }, hard[TA_NR_TIERS];
		const int(*want)[8] = pol == TA_POLICY_FAIL ? want_fail : want_route;

		for (int t = 0; t < TA_NR_TIERS; t++) {
			hard[t] = 64 * MB;
			reserved[t] = full >> t & 1 ? 63 * MB : 0;
		}
		ASSERT_EQ(want[hint_of[tier]][full],
			  grant(key, 0, reserved, soft, hard, pol, 2 * MB, &result))
		TH_LOG("tier %u full %#x policy %u", tier, full, pol);
	}
}

TEST(key_tiers)
{
	TH_LOG("checks the tier each key asks for, the fixed tier and pinning");
	static const int asked[NR_KEYS] = { F, N, S, F, F, F, F, N, S };
	static const int fixed[NR_KEYS] = { F, N, S, F, -1, -1, F, N, S };
	static const int pinned[NR_KEYS] = { 0, 0, 0, 1, 0, 0, 1, 1, 1 };

	for (unsigned k = 0; k < NR_KEYS; k++) {
		ASSERT_EQ(asked[k], (int)tapol_key_asked(k));
		ASSERT_EQ(fixed[k], tapol_key_tier(k));
		ASSERT_EQ(pinned[k], tapol_key_pinned(k));
	}
}

TEST(reserve_caps)
{
	__u64 sum = 0;

	TH_LOG("checks the soft and hard cap edges, no cap, and overflow");
	ASSERT_EQ(0, tapol_reserve(0, 10, 0, 0, &sum));
	ASSERT_EQ(10, sum);
	ASSERT_EQ(0, tapol_reserve(5, 5, 10, 20, &sum)); /* at the soft cap: within */
	ASSERT_EQ(1, tapol_reserve(5, 6, 10, 20, &sum));
	ASSERT_EQ(11, sum);
	ASSERT_EQ(1, tapol_reserve(10, 10, 10, 20, &sum)); /* at the hard cap: granted */
	ASSERT_EQ(-1, tapol_reserve(10, 11, 10, 20, &sum));
	ASSERT_EQ(-1, tapol_reserve(UINT64_MAX, 1, 0, 0, &sum)); /* past 2^64 */
	ASSERT_EQ(0, tapol_reserve(UINT64_MAX - 1, 1, 0, 0, &sum));
}

TEST(gcra)
{
	TH_LOG("checks the bucket's deficit and the next TAT, with and without a limit");
	/* A TAT in the past counts as now. */
	ASSERT_EQ(1100, tapol_gcra_next(0, 1000, 100, UINT64_MAX));
	ASSERT_EQ(2100, tapol_gcra_next(2000, 1000, 100, UINT64_MAX));
	/* Clipped at the limit, never moved back. */
	ASSERT_EQ(1500, tapol_gcra_next(1000, 1000, 900, 1500));
	ASSERT_EQ(3000, tapol_gcra_next(3000, 1000, 900, 1500));
	/* Within the burst tolerance: no deficit. */
	ASSERT_EQ(0, tapol_gcra_deficit(1500, 1000, 500));
	ASSERT_EQ(1, tapol_gcra_deficit(1501, 1000, 500));
	ASSERT_EQ(0, tapol_gcra_deficit(0, 1000, 0));
	ASSERT_GE(TAPOL_MIN_RATE, 4096);
	ASSERT_EQ(64 * MB, TAPOL_DEFAULT_BURST);
}

/* Sort @n nodes with @cmp (insertion sort, as libta does) and return their ids in order. */
static void rank_nodes(struct tapol_node *v, int n,
		       int (*cmp)(const struct tapol_node *, const struct tapol_node *), int *ids)
{
	for (int i = 1; i < n; i++) {
		struct tapol_node key = v[i];
		int j = i - 1;

		for (; j >= 0 && cmp(&v[j], &key) > 0; j--)
			v[j + 1] = v[j];
		v[j + 1] = key;
	}
	for (int i = 0; i < n; i++)
		ids[i] = v[i].nid;
}

TEST(node_ranking)
{
	/* nid, latency, bandwidth, distance, has_cpus */
	struct tapol_node hmat[] = {
		{ 3, 250, 25000, 30, 0 }, { 1, 140, 50000, 20, 0 }, { 0, 80, 100000, 10, 1 },
		{ 2, 140, 60000, 20, 0 }, /* NORMAL's latency, more bandwidth */
		{ 4, 80, 100000, 10, 0 }, /* ties with node 0: the lower id first */
	};
	struct tapol_node dist[] = {
		{ 2, 0, 0, 20, 0 },
		{ 3, 0, 0, 10, 0 }, /* memory-only, as near as node 1 */
		{ 1, 0, 0, 10, 1 },
		{ 0, 0, 0, 30, 1 },
	};
	static const int want_hmat[] = { 0, 4, 2, 1, 3 }, want_dist[] = { 1, 3, 2, 0 };
	int ids[5];

	TH_LOG("checks the HMAT and distance rankings and which ranked node each tier takes");
	rank_nodes(hmat, 5, tapol_rank_cmp_hmat, ids);
	ASSERT_EQ(0, memcmp(want_hmat, ids, sizeof(want_hmat)));
	rank_nodes(dist, 4, tapol_rank_cmp_distance, ids);
	ASSERT_EQ(0, memcmp(want_dist, ids, sizeof(want_dist)));
	/* FAST the best, SLOW the worst, NORMAL the second best. */
	for (int n = 1; n <= 4; n++) {
		ASSERT_EQ(0, tapol_tier_rank(F, n));
		ASSERT_EQ(n > 1 ? 1 : 0, tapol_tier_rank(N, n));
		ASSERT_EQ(n - 1, tapol_tier_rank(S, n));
	}
}

TEST(shared_nodes)
{
	static const struct {
		int nodes[TA_NR_TIERS];
		uint32_t shared; /* bit t: tier t is flagged */
	} cases[] = {
		{ { 0, 1, 2 }, 0 }, { { 0, 1, 1 }, 6 }, { { 0, 0, 1 }, 3 },
		{ { 2, 1, 2 }, 5 }, { { 0, 0, 0 }, 7 }, { { -1, -1, 3 }, 3 },
	};

	TH_LOG("checks tapol_shared_flags(): a tier is flagged iff another has its node, other "
	       "flags kept");
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
			uint32_t want = cases[c].shared >> t & 1 ? TA_TIER_INFO_SHARED : 0;

			ASSERT_EQ(want, tapol_shared_flags(cases[c].nodes, t, 0))
			TH_LOG("case %u tier %u", c, t);
			ASSERT_EQ(want | TA_TIER_INFO_HMAT,
				  tapol_shared_flags(cases[c].nodes, t,
						     TA_TIER_INFO_HMAT | TA_TIER_INFO_SHARED))
			TH_LOG("case %u tier %u", c, t);
		}
	}
}

TEST(name_exports)
{
	static const char *const hints[TA_NR_HINTS] = TA_HINT_NAMES;
	static const char *const tiers[TA_NR_TIERS] = TA_TIER_NAMES;

	TH_LOG("checks ta_hint_name() and ta_tier_name() are the UAPI's names, NULL past them");
	for (int h = 0; h < TA_NR_HINTS; h++)
		ASSERT_STREQ(hints[h], ta_hint_name((ta_hint_t)h));
	for (int t = 0; t < TA_NR_TIERS; t++)
		ASSERT_STREQ(tiers[t], ta_tier_name((ta_tier_t)t));
	errno = 0;
	ASSERT_EQ(NULL, ta_hint_name((ta_hint_t)TA_NR_HINTS));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_tier_name((ta_tier_t)-1));
	ASSERT_EQ(EINVAL, errno);
}

TEST(hint_tier_export)
{
	static const int want[TA_NR_HINTS] = { F, N, S, F, -1, -1 };

	TH_LOG("checks ta_hint_tier() for every hint and a bad one");
	for (int h = 0; h < TA_NR_HINTS; h++)
		ASSERT_EQ(want[h], ta_hint_tier((ta_hint_t)h));
	errno = 0;
	ASSERT_EQ(-1, ta_hint_tier((ta_hint_t)TA_NR_HINTS));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
