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
 * sleeps until its deficit is repaid: a real bandwidth limit, with two
 * bounds that keep it from being turned against other users of the tier:
 * no single wait is longer than TA_THROTTLE_MAX_WAIT_NS (a backlog beyond
 * it is forgiven), and tokens charged for work that was then not done are
 * refunded.  Faults wait with no lock held (see ta_vm_fault()).
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

/* Modelled backlog kept in account mode: a day, far from any overflow. */
#define TA_THROTTLE_MAX_MODEL_NS	(86400ULL * NSEC_PER_SEC)

/*
 * Charge @bytes to @tier's bucket and return how long the charging task
 * must wait for them: 0 in account mode (the deficit is counted as
 * simulated wait instead), at most TA_THROTTLE_MAX_WAIT_NS in enforce mode.
 * The mode is read once.  The TAT never runs more than the longest wait
 * (enforce) or a day (account) past the burst, so it cannot overflow and
 * nobody can pile up a backlog that others would pay for.  Callers keep
 * @bytes at most TA_REGION_MAX_SIZE; with rate >= 4096 the products below
 * then fit in 64 bits.
 */
u64 ta_throttle_charge(u32 tier, u64 bytes)
{
	struct ta_bucket *b = &ta_tiers[tier].bucket;
	u64 rate = READ_ONCE(b->rate);
	bool enforce = READ_ONCE(b->mode) == TA_THROTTLE_ENFORCE;
	u64 cost, tol, now, limit, before, after;
	s64 old, new;

	if (!rate || !bytes)
		return 0;
	cost = mul_u64_u64_div_u64(bytes, NSEC_PER_SEC, rate);
	tol = mul_u64_u64_div_u64(READ_ONCE(b->burst), NSEC_PER_SEC, rate);
	now = ktime_get_ns();
	limit = now + tol +
		(enforce ? TA_THROTTLE_MAX_WAIT_NS : TA_THROTTLE_MAX_MODEL_NS);

	old = atomic64_read(&b->tat);
	do {
		new = min_t(u64, max_t(u64, old, now) + cost, limit);
	} while (!atomic64_try_cmpxchg(&b->tat, &old, new));

	before = ta_deficit(max_t(u64, old, now), now, tol);
	after = ta_deficit(new, now, tol);
	if (!enforce) {
		ta_stat_add(tier, TA_STAT_SIM_WAIT_NS,
			    after > before ? after - before : 0);
		return 0;
	}
	return after;
}

/*
 * Give back the tokens of @bytes charged for work that was not done (a
 * failed allocation, a page left in place, an interrupted populate).
 */
void ta_throttle_refund(u32 tier, u64 bytes)
{
	struct ta_bucket *b = &ta_tiers[tier].bucket;
	u64 rate = READ_ONCE(b->rate);
	u64 cost;
	s64 old, new;

	if (!rate || !bytes)
		return;
	cost = mul_u64_u64_div_u64(bytes, NSEC_PER_SEC, rate);
	old = atomic64_read(&b->tat);
	do {
		new = old > cost ? old - cost : 0;
	} while (!atomic64_try_cmpxchg(&b->tat, &old, new));
}

/*
 * Sleep @wait_ns (at most TA_THROTTLE_MAX_WAIT_NS), killable, or also
 * interruptible by any signal.  Returns 0 or -EINTR.  Never called with
 * mmap_lock or a region's move_lock held.
 */
int ta_throttle_wait(u32 tier, u64 wait_ns, bool interruptible)
{
	u64 start = ktime_get_ns();
	ktime_t until;
	int ret;

	if (!wait_ns)
		return 0;
	until = ns_to_ktime(start + min_t(u64, wait_ns, TA_THROTTLE_MAX_WAIT_NS));
	__set_current_state(interruptible ? TASK_INTERRUPTIBLE : TASK_KILLABLE);
	ret = schedule_hrtimeout_range(&until, 0, HRTIMER_MODE_ABS);
	__set_current_state(TASK_RUNNING);
	ta_stat_add(tier, TA_STAT_THROTTLE_WAIT_NS,
		    min_t(u64, ktime_get_ns() - start, wait_ns));
	return ret ? -EINTR : 0;
}

/* Charge @bytes and wait for them; on -EINTR the tokens are given back. */
int ta_throttle(u32 tier, u64 bytes, bool interruptible)
{
	int ret = ta_throttle_wait(tier, ta_throttle_charge(tier, bytes),
				   interruptible);

	if (ret)
		ta_throttle_refund(tier, bytes);
	return ret;
}
