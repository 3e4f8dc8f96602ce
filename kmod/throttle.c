// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc throttle: one token bucket per tier, refilled at @rate bytes/s
 * up to @burst bytes.  Every byte first touched in a tier, and every byte
 * migrated into it, takes tokens.
 *
 * The bucket is kept as GCRA's "theoretical arrival time" (TAT): charging
 * n bytes pushes TAT forward by n/rate seconds, and the bucket is in deficit
 * by TAT - now - burst/rate.  That is a single atomic64 updated with
 * cmpxchg, exact in integer nanoseconds (no refill rounding to drift), and
 * lock-free for the fault path.
 *
 * In account mode nobody waits; the deficit a charge adds is counted as
 * simulated wait, so the totals telescope to exactly the time a tier of
 * that bandwidth would have needed.  In enforce mode the charging task
 * sleeps until its deficit is repaid: a real bandwidth limit.
 */
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/hrtimer.h>

#include "ta.h"

void ta_bucket_config(struct ta_bucket *b, u64 rate, u64 burst, u32 mode)
{
	WRITE_ONCE(b->rate, rate);
	WRITE_ONCE(b->burst, burst);
	WRITE_ONCE(b->mode, mode);
	/* Start full. */
	atomic64_set(&b->tat, ktime_get_ns());
}

static u64 ta_deficit(u64 tat, u64 now, u64 tol)
{
	return tat > now + tol ? tat - now - tol : 0;
}

/*
 * Charge @bytes to @tier's bucket.  Returns 0, or -EINTR when an enforcing
 * wait was interrupted by a signal (@interruptible) or a fatal signal.
 * Callers keep @bytes at most TA_REGION_MAX_SIZE; with rate >= 4096 the
 * products below then fit in 64 bits.
 */
int ta_throttle(u32 tier, u64 bytes, bool interruptible)
{
	struct ta_bucket *b = &ta_tiers[tier].bucket;
	u64 rate = READ_ONCE(b->rate);
	u64 cost, tol, now, before, after;
	s64 old, new;
	ktime_t until;
	int ret;

	if (!rate || !bytes)
		return 0;
	cost = mul_u64_u64_div_u64(bytes, NSEC_PER_SEC, rate);
	tol = mul_u64_u64_div_u64(READ_ONCE(b->burst), NSEC_PER_SEC, rate);
	now = ktime_get_ns();

	old = atomic64_read(&b->tat);
	do {
		new = max_t(u64, old, now) + cost;
	} while (!atomic64_try_cmpxchg(&b->tat, &old, new));

	before = ta_deficit(max_t(u64, old, now), now, tol);
	after = ta_deficit(new, now, tol);

	if (READ_ONCE(b->mode) != TA_THROTTLE_ENFORCE) {
		ta_stat_add(tier, TA_STAT_SIM_WAIT_NS, after - before);
		return 0;
	}
	if (!after)
		return 0;

	/* Sleep until our share of the deficit is repaid. */
	until = ns_to_ktime(now + after);
	__set_current_state(interruptible ? TASK_INTERRUPTIBLE : TASK_KILLABLE);
	ret = schedule_hrtimeout_range(&until, 0, HRTIMER_MODE_ABS);
	__set_current_state(TASK_RUNNING);
	ta_stat_add(tier, TA_STAT_THROTTLE_WAIT_NS,
		    min_t(u64, ktime_get_ns() - now, after));
	return ret ? -EINTR : 0;
}
