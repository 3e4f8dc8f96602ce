// SPDX-License-Identifier: MIT
/*
 * User backend placement policy: the kernel's ta_tier_grant() loop over the
 * rules both include from kmod/ta_policy.h (which tier a key asks for,
 * PREFER_FAST and FAST's soft cap, what happens at a hard cap).
 *
 * Caps are charged per region (a 4 MiB arena or a large block), never per
 * object, so the lock here is off the allocation fast path.
 */
#include <errno.h>

#include "internal.h"

static pthread_mutex_t pol_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t reserved[TA_NR_TIERS];

/* 1: granted beyond the soft cap, 0: within it, -1: over the hard cap. */
static int try_reserve(unsigned t, uint64_t bytes)
{
	const struct lt_tier_conf *c = &lt_g.tier[t];
	__u64 sum;
	int ret = tapol_reserve(reserved[t], bytes, c->soft_cap, c->hard_cap, &sum);

	if (ret >= 0)
		reserved[t] = sum;
	return ret;
}

int lt_policy_grant(unsigned key, uint64_t bytes, unsigned *tier, uint32_t *result)
{
	int t, ret;

	*result = 0;
	pthread_mutex_lock(&pol_lock);
	t = (int)tapol_first_tier(key, bytes, lt_g.tier[TA_TIER_FAST].soft_cap,
				  reserved[TA_TIER_FAST], result);
	for (;;) {
		ret = try_reserve((unsigned)t, bytes);
		if (ret >= 0)
			break;
		lt_stat_add(&lt_g.cnt[t].hard_violations, 1);
		t = tapol_next_tier(tapol_key_pinned(key), (unsigned)t, lt_g.tier[t].policy);
		if (t < 0) {
			pthread_mutex_unlock(&pol_lock);
			return -1;
		}
		lt_stat_add(&lt_g.cnt[t - 1].reroutes, 1);
		*result |= TA_RESULT_REROUTED;
	}
	pthread_mutex_unlock(&pol_lock);
	if (ret > 0) {
		lt_stat_add(&lt_g.cnt[t].soft_violations, 1);
		*result |= TA_RESULT_SOFT_OVER;
	}
	*tier = (unsigned)t;
	return 0;
}

/* Reserve on exactly @tier (moves); -1 over its hard cap. */
int lt_policy_reserve(unsigned tier, uint64_t bytes)
{
	int ret;

	pthread_mutex_lock(&pol_lock);
	ret = try_reserve(tier, bytes);
	pthread_mutex_unlock(&pol_lock);
	if (ret < 0) {
		lt_stat_add(&lt_g.cnt[tier].hard_violations, 1);
		return -1;
	}
	if (ret > 0)
		lt_stat_add(&lt_g.cnt[tier].soft_violations, 1);
	return 0;
}

void lt_policy_release(unsigned tier, uint64_t bytes)
{
	pthread_mutex_lock(&pol_lock);
	reserved[tier] -= bytes < reserved[tier] ? bytes : reserved[tier];
	pthread_mutex_unlock(&pol_lock);
}

void lt_policy_atfork_prepare(void)
{
	pthread_mutex_lock(&pol_lock);
}

void lt_policy_atfork_parent(void)
{
	pthread_mutex_unlock(&pol_lock);
}

void lt_policy_atfork_child(void)
{
	pthread_mutex_init(&pol_lock, NULL);
}

TA_EXPORT int ta_hint_tier(ta_hint_t hint)
{
	if ((unsigned)hint >= TA_NR_HINTS) {
		errno = EINVAL;
		return -1;
	}
	return tapol_key_tier((unsigned)hint);
}

/* names[@i] of @n, or NULL + EINVAL. */
static const char *name_of(const char *const *names, unsigned n, unsigned i)
{
	if (i >= n) {
		errno = EINVAL;
		return NULL;
	}
	return names[i];
}

TA_EXPORT const char *ta_hint_name(ta_hint_t hint)
{
	static const char *const names[TA_NR_HINTS] = TA_HINT_NAMES;

	return name_of(names, TA_NR_HINTS, (unsigned)hint);
}

TA_EXPORT const char *ta_tier_name(ta_tier_t tier)
{
	static const char *const names[TA_NR_TIERS] = TA_TIER_NAMES;

	return name_of(names, TA_NR_TIERS, (unsigned)tier);
}
