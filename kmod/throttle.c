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
#include "ta_policy.h"

void ta_bucket_config(struct ta_bucket *b, u64 rate, u64 burst, u32 mode)
{
	WRITE_ONCE(b->rate, rate);
	WRITE_ONCE(b->burst, burst);
	WRITE_ONCE(b->mode, mode);
	/* Start full. */
	atomic64_set(&b->tat, ktime_get_ns());
}

/* Modelled backlog kept in account mode: a day, far from any overflow. */
#define TA_THROTTLE_MAX_MODEL_NS	(86400ULL * NSEC_PER_SEC)

/*
 * Charge @bytes to @tier's bucket.  Returns how long the charging task must
 * wait for them: 0 in account mode (the deficit is counted as simulated
 * wait instead), at most TA_THROTTLE_MAX_WAIT_NS in enforce mode.  *@added
 * is what the charge really added to the bucket, in ns: all that a refund
 * may give back.  The mode is read once.  The TAT never runs more than the
 * longest wait (enforce) or a day (account) past the burst, so it cannot
 * overflow and nobody can pile up a backlog that others would pay for.
 * Callers keep @bytes at most TA_REGION_MAX_SIZE; with rate >= 4096 the
 * products below then fit in 64 bits.
 */
u64 ta_throttle_charge(u32 tier, u64 bytes, u64 *added)
{
	struct ta_bucket *b = &ta_tiers[tier].bucket;
	u64 rate = READ_ONCE(b->rate);
	bool enforce = READ_ONCE(b->mode) == TA_THROTTLE_ENFORCE;
	u64 cost, tol, now, limit, before, after;
	s64 old, new;

	*added = 0;
	if (!rate || !bytes)
		return 0;
	cost = mul_u64_u64_div_u64(bytes, NSEC_PER_SEC, rate);
	tol = mul_u64_u64_div_u64(READ_ONCE(b->burst), NSEC_PER_SEC, rate);
	now = ktime_get_ns();
	limit = now + tol +
		(enforce ? TA_THROTTLE_MAX_WAIT_NS : TA_THROTTLE_MAX_MODEL_NS);

	old = atomic64_read(&b->tat);
	do {
		new = tapol_gcra_next(old, now, cost, limit);
	} while (!atomic64_try_cmpxchg(&b->tat, &old, new));

	*added = new - max_t(u64, old, now);
	before = tapol_gcra_deficit(max_t(u64, old, now), now, tol);
	after = tapol_gcra_deficit(new, now, tol);
	if (!enforce) {
		ta_stat_add(tier, TA_STAT_SIM_WAIT_NS, after - before);
		return 0;
	}
	return min_t(u64, after, TA_THROTTLE_MAX_WAIT_NS);
}

/*
 * Give back @added ns that a charge put into @tier's bucket for work that
 * was then not done (a failed allocation, a page left in place, an
 * interrupted wait).  Never more than the charge added: a charge clipped
 * at the limit refunds only what it pushed.
 */
void ta_throttle_refund(u32 tier, u64 added)
{
	struct ta_bucket *b = &ta_tiers[tier].bucket;
	s64 old, new;

	if (!added)
		return;
	old = atomic64_read(&b->tat);
	do {
		new = old > added ? old - added : 0;
	} while (!atomic64_try_cmpxchg(&b->tat, &old, new));
}

/*
 * Sleep @wait_ns (at most TA_THROTTLE_MAX_WAIT_NS): killable, or stopped by
 * any signal if @interruptible.  Returns 0, or -EINTR for a signal (never
 * for a spurious wakeup).  Never called with mmap_lock or a region's
 * move_lock held.
 */
int ta_throttle_wait(u32 tier, u64 wait_ns, bool interruptible)
{
	u64 start = ktime_get_ns();
	ktime_t until;
	int ret = 0;

	if (!wait_ns)
		return 0;
	until = ns_to_ktime(start + min_t(u64, wait_ns, TA_THROTTLE_MAX_WAIT_NS));
	do {
		set_current_state(interruptible ? TASK_INTERRUPTIBLE :
						  TASK_KILLABLE);
		if (!schedule_hrtimeout_range(&until, 0, HRTIMER_MODE_ABS))
			break;
		if (interruptible ? signal_pending(current) :
				    fatal_signal_pending(current))
			ret = -EINTR;
	} while (!ret);
	__set_current_state(TASK_RUNNING);
	ta_stat_add(tier, TA_STAT_THROTTLE_WAIT_NS,
		    min_t(u64, ktime_get_ns() - start, wait_ns));
	return ret;
}

/*
 * Charge @bytes and wait for them.  *@added is as for ta_throttle_charge();
 * on -EINTR it has been refunded already and is 0.
 */
int ta_throttle(u32 tier, u64 bytes, bool interruptible, u64 *added)
{
	int ret = ta_throttle_wait(tier, ta_throttle_charge(tier, bytes, added),
				   interruptible);

	if (ret) {
		ta_throttle_refund(tier, *added);
		*added = 0;
	}
	return ret;
}
