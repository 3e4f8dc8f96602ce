/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * TierAlloc's placement rules and token-bucket arithmetic, written once.
 *
 * Pure functions of their arguments, compiled into the module (tier.c,
 * throttle.c) and into libta (policy.c, throttle.c and every place that
 * needs the tier of a hint), so that the user backend decides exactly as
 * the module does.  Freestanding: nothing but <linux/types.h> and the
 * UAPI, no libc and no kernel-only type; the callers hold their own locks
 * and keep their own counters.
 *
 * A placement key is a hint (0 .. TA_NR_HINTS - 1) or, from TA_NR_HINTS
 * on, TA_NR_HINTS + an exact tier (a move, a realloc that keeps its tier,
 * or TA_REGION_TIER).
 */
#ifndef _TA_POLICY_H
#define _TA_POLICY_H

#include <linux/types.h>
#include <linux/tieralloc.h>

/* Depth of a tier's token bucket by default, when its bandwidth is known. */
#define TAPOL_DEFAULT_BURST	(64ULL << 20)
/* Lowest non-zero rate (bytes/s): keeps the bucket's ns arithmetic in 64 bits. */
#define TAPOL_MIN_RATE		4096ULL

/*
 * The tier a valid key asks for first: its exact tier, or the hint's (HOT
 * and PIN_FAST: FAST, WARM: NORMAL, COLD: SLOW, PREFER_FAST and AUTO: FAST
 * while FAST has soft room, see tapol_first_tier()).
 */
static inline __u32 tapol_key_asked(__u32 key)
{
	if (key >= TA_NR_HINTS)
		return key - TA_NR_HINTS;
	switch (key) {
	case TA_HINT_WARM:
		return TA_TIER_NORMAL;
	case TA_HINT_COLD:
		return TA_TIER_SLOW;
	default:
		return TA_TIER_FAST;
	}
}

/*
 * A pinned request fails at its tier's hard cap instead of moving on:
 * PIN_FAST, and libta's exact-tier keys.  The module pins PIN_FAST only: a
 * TA_REGION_TIER request goes on by the tier's policy like a hint (libta's
 * kernel backend frees a rerouted exact-tier region itself).
 */
static inline int tapol_key_pinned(__u32 key)
{
	return key == TA_HINT_PIN_FAST || key >= TA_NR_HINTS;
}

/*
 * Whether a valid key's first tier depends on FAST's soft cap: PREFER_FAST,
 * and AUTO, which starts where PREFER_FAST would (the module then moves
 * an AUTO region's chunks by itself).
 */
static inline int tapol_key_soft(__u32 key)
{
	return key == TA_HINT_PREFER_FAST || key == TA_HINT_AUTO;
}

/*
 * The tier a valid key is granted when no cap is reached, or -1 when that
 * depends on the caps (PREFER_FAST, AUTO).
 */
static inline int tapol_key_tier(__u32 key)
{
	return tapol_key_soft(key) ? -1 : (int)tapol_key_asked(key);
}

/*
 * The tier to try first for a valid key: PREFER_FAST and AUTO take FAST
 * only while the grant keeps FAST within its soft cap (@fast_soft, 0 =
 * none, with @fast_reserved bytes reserved there), else NORMAL, which
 * counts as a reroute (*@result |= TA_RESULT_REROUTED).
 */
static inline __u32 tapol_first_tier(__u32 key, __u64 bytes, __u64 fast_soft,
				     __u64 fast_reserved, __u32 *result)
{
	if (tapol_key_soft(key) && fast_soft &&
	    fast_reserved + bytes > fast_soft) {
		*result |= TA_RESULT_REROUTED;
		return TA_TIER_NORMAL;
	}
	return tapol_key_asked(key);
}

/*
 * Whether @bytes more fit on a tier with @reserved bytes reserved and caps
 * @soft and @hard (0 = none): -1 over the hard cap (or past 2^64), else
 * *@sum is the new reservation and the result 1 beyond the soft cap, 0
 * within it.
 */
static inline int tapol_reserve(__u64 reserved, __u64 bytes, __u64 soft,
				__u64 hard, __u64 *sum)
{
	if (__builtin_add_overflow(reserved, bytes, sum) || (hard && *sum > hard))
		return -1;
	return soft && *sum > soft;
}

/*
 * After a refusal at @tier's hard cap, the tier to try next, or -1 to fail
 * the request: pinned requests, the slowest tier and TA_POLICY_FAIL
 * (@policy, the refusing tier's) fail.
 */
static inline int tapol_next_tier(int pinned, __u32 tier, __u32 policy)
{
	if (pinned || tier >= TA_TIER_SLOW ||
	    policy == TA_POLICY_FAIL)
		return -1;
	return (int)tier + 1;
}

/*
 * Node ranking.  At start the memory nodes are ranked by their HMAT read
 * latency, then read bandwidth, when every memory node has HMAT attributes;
 * otherwise by distance from the nearest node with CPUs, a node with CPUs
 * before a memory-only one at equal distance.  Ties go to the lower id.
 */
struct tapol_node {
	int nid;
	__u32 latency;		/* ns, from HMAT */
	__u32 bandwidth;	/* MB/s, from HMAT */
	int distance;		/* to the nearest node with CPUs */
	int has_cpus;
};

/* <0 when @x ranks before (is faster than) @y, >0 after. */
static inline int tapol_rank_cmp_hmat(const struct tapol_node *x,
				      const struct tapol_node *y)
{
	if (x->latency != y->latency)
		return x->latency < y->latency ? -1 : 1;
	if (x->bandwidth != y->bandwidth)
		return x->bandwidth > y->bandwidth ? -1 : 1;
	return x->nid - y->nid;
}

static inline int tapol_rank_cmp_distance(const struct tapol_node *x,
					  const struct tapol_node *y)
{
	if (x->distance != y->distance)
		return x->distance - y->distance;
	if (!x->has_cpus != !y->has_cpus)
		return x->has_cpus ? -1 : 1;
	return x->nid - y->nid;
}

/*
 * Which of @n >= 1 ranked nodes (0: the best) backs @tier: FAST the best,
 * SLOW the worst, NORMAL the second best (with two nodes NORMAL shares
 * SLOW's node, with one every tier is on it).
 */
static inline int tapol_tier_rank(__u32 tier, int n)
{
	if (tier == TA_TIER_FAST)
		return 0;
	if (tier == TA_TIER_SLOW)
		return n - 1;
	return n > 1 ? 1 : 0;
}

/*
 * Tiers may share a node (fewer nodes than tiers, or nodes set by hand):
 * the flags of tier @tier, whose node is @nodes[@tier], with
 * TA_TIER_INFO_SHARED set when another tier has the same node and clear
 * otherwise.  Call it for every tier after any node changes.
 */
static inline __u32 tapol_shared_flags(const int nodes[TA_NR_TIERS],
				       __u32 tier, __u32 flags)
{
	__u32 j;

	flags &= ~(__u32)TA_TIER_INFO_SHARED;
	for (j = 0; j < TA_NR_TIERS; j++)
		if (j != tier && nodes[j] == nodes[tier])
			flags |= TA_TIER_INFO_SHARED;
	return flags;
}

/*
 * A tier whose node was set by hand (module parameter, SET_TIER, TA_NODE_*)
 * keeps none of the attributes measured for the node discovery chose: its
 * info flags say OVERRIDE (recompute SHARED afterwards), latency and
 * bandwidth read 0.  @t is the module's struct ta_tier_state or libta's
 * struct lt_tier_conf, whose fields have these names.
 */
#define TAPOL_SET_OVERRIDE(t)						\
	do {								\
		__typeof__(t) __tp = (t);				\
									\
		__tp->info_flags = TA_TIER_INFO_OVERRIDE;		\
		__tp->read_latency_ns = 0;				\
		__tp->read_bandwidth_mbps = 0;				\
	} while (0)

/*
 * Token buckets as GCRA: a tier's bucket is its "theoretical arrival time"
 * (TAT, ns); a TAT in the past counts as now.  Charging n bytes at rate r
 * pushes the TAT n/r s forward; with a burst of b bytes the bucket is in
 * deficit (a charge must wait) by TAT - now - b/r.
 */
static inline __u64 tapol_gcra_deficit(__u64 tat, __u64 now, __u64 tol)
{
	return tat > now + tol ? tat - now - tol : 0;
}

/*
 * The TAT after charging @cost ns at @now onto a bucket whose TAT was
 * @old, never past @limit (~0ULL: no limit) and never back before @old.
 */
static inline __u64 tapol_gcra_next(__u64 old, __u64 now, __u64 cost,
				    __u64 limit)
{
	__u64 start = old > now ? old : now;
	__u64 tat = start + cost < limit ? start + cost : limit;

	return tat > old ? tat : old;
}

#endif /* _TA_POLICY_H */
