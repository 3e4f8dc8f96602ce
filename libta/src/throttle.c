// SPDX-License-Identifier: MIT
/*
 * User backend token buckets, one per tier, refilled at rate bytes/s up to
 * burst bytes, kept like the kernel's as a GCRA "theoretical arrival time"
 * with the arithmetic of kmod/ta_policy.h: charging n bytes pushes TAT
 * forward by n/rate; the bucket is in deficit by TAT - now - burst/rate.  Account mode counts the deficit a charge adds as
 * simulated wait; enforce mode sleeps it off.  Charged per region (bulk).
 */
#include <time.h>

#include "internal.h"

/*
 * A TAT in the past counts as now (see lt_throttle_charge), so 0 is a full
 * bucket and needs no clock read at start-up: a process that never maps a
 * region never reads the clock.
 */
static _Atomic uint64_t tat[TA_NR_TIERS];

static uint64_t ns_for(uint64_t bytes, uint64_t rate)
{
	unsigned __int128 v = (unsigned __int128)bytes * 1000000000u / rate;

	return v > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)v;
}

void lt_throttle_charge(unsigned tier, uint64_t bytes)
{
	const struct lt_tier_conf *c = &lt_g.tier[tier];
	uint64_t rate = c->rate, cost, tol, now, old, nw, before, after;

	if (!rate || !bytes || lt_g.disabled)
		return;
	cost = ns_for(bytes, rate);
	tol = ns_for(c->burst, rate);
	now = lt_now_ns();
	old = atomic_load_explicit(&tat[tier], memory_order_relaxed);
	do
		nw = tapol_gcra_next(old, now, cost, UINT64_MAX);
	while (!atomic_compare_exchange_weak_explicit(&tat[tier], &old, nw, memory_order_relaxed,
						      memory_order_relaxed));
	before = tapol_gcra_deficit(old > now ? old : now, now, tol);
	after = tapol_gcra_deficit(nw, now, tol);
	if (c->throttle_mode != TA_THROTTLE_ENFORCE) {
		lt_stat_add(&lt_g.cnt[tier].sim_wait_ns, after - before);
		return;
	}
	if (!after)
		return;
	struct timespec ts = { .tv_sec = (time_t)(after / 1000000000u),
			       .tv_nsec = (long)(after % 1000000000u) };

	while (nanosleep(&ts, &ts))
		;
	lt_stat_add(&lt_g.cnt[tier].throttle_wait_ns, lt_now_ns() - now);
}
