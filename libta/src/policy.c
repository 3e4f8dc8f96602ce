// SPDX-License-Identifier: MIT
/*
 * User backend placement policy, the same rules as the kernel's
 * ta_tier_grant(): a hint names a tier (HOT, PIN_FAST -> FAST, WARM ->
 * NORMAL, COLD -> SLOW, PREFER_FAST -> FAST while FAST stays under its soft
 * cap, else NORMAL); a request over a tier's hard cap goes on to the next
 * slower tier (TA_POLICY_ROUTE_SLOW) or fails (TA_POLICY_FAIL).  PIN_FAST and
 * exact-tier requests (ta_move, ta_realloc) are never rerouted.
 *
 * Caps are charged per region (a 4 MiB arena or a large block), never per
 * object, so the lock here is off the allocation fast path.
 */
#include "internal.h"

static pthread_mutex_t pol_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t reserved[TA_NR_TIERS];

/* 1: granted beyond the soft cap, 0: within it, -1: over the hard cap. */
static int try_reserve(unsigned t, uint64_t bytes)
{
	const struct ta_tier_conf *c = &ta_g.tier[t];
	uint64_t sum;

	if (__builtin_add_overflow(reserved[t], bytes, &sum) || (c->hard_cap && sum > c->hard_cap))
		return -1;
	reserved[t] = sum;
	return c->soft_cap && sum > c->soft_cap;
}

int ta_policy_grant(unsigned key, uint64_t bytes, unsigned *tier, uint32_t *result)
{
	bool pinned = false;
	unsigned t;
	int ret;

	*result = 0;
	pthread_mutex_lock(&pol_lock);
	switch (key) {
	case TA_HINT_HOT:
		t = TA_TIER_FAST;
		break;
	case TA_HINT_WARM:
		t = TA_TIER_NORMAL;
		break;
	case TA_HINT_COLD:
		t = TA_TIER_SLOW;
		break;
	case TA_HINT_PIN_FAST:
		t = TA_TIER_FAST;
		pinned = true;
		break;
	case TA_HINT_PREFER_FAST: {
		uint64_t soft = ta_g.tier[TA_TIER_FAST].soft_cap;

		t = TA_TIER_FAST;
		if (soft && reserved[TA_TIER_FAST] + bytes > soft) {
			t = TA_TIER_NORMAL;
			*result |= TA_RESULT_REROUTED;
		}
		break;
	}
	default:
		t = key - TA_NR_HINTS;
		pinned = true;
		break;
	}
	for (;;) {
		ret = try_reserve(t, bytes);
		if (ret >= 0)
			break;
		ta_stat_add(&ta_g.cnt[t].hard_violations, 1);
		if (pinned || t == TA_TIER_SLOW || ta_g.tier[t].policy == TA_POLICY_FAIL) {
			pthread_mutex_unlock(&pol_lock);
			return -1;
		}
		ta_stat_add(&ta_g.cnt[t].reroutes, 1);
		*result |= TA_RESULT_REROUTED;
		t++;
	}
	pthread_mutex_unlock(&pol_lock);
	if (ret > 0) {
		ta_stat_add(&ta_g.cnt[t].soft_violations, 1);
		*result |= TA_RESULT_SOFT_OVER;
	}
	*tier = t;
	return 0;
}

/* Reserve on exactly @tier (moves); -1 over its hard cap. */
int ta_policy_reserve(unsigned tier, uint64_t bytes)
{
	int ret;

	pthread_mutex_lock(&pol_lock);
	ret = try_reserve(tier, bytes);
	pthread_mutex_unlock(&pol_lock);
	if (ret < 0) {
		ta_stat_add(&ta_g.cnt[tier].hard_violations, 1);
		return -1;
	}
	if (ret > 0)
		ta_stat_add(&ta_g.cnt[tier].soft_violations, 1);
	return 0;
}

void ta_policy_release(unsigned tier, uint64_t bytes)
{
	pthread_mutex_lock(&pol_lock);
	reserved[tier] -= bytes < reserved[tier] ? bytes : reserved[tier];
	pthread_mutex_unlock(&pol_lock);
}

void ta_policy_atfork_prepare(void)
{
	pthread_mutex_lock(&pol_lock);
}

void ta_policy_atfork_parent(void)
{
	pthread_mutex_unlock(&pol_lock);
}

void ta_policy_atfork_child(void)
{
	pthread_mutex_init(&pol_lock, NULL);
}
