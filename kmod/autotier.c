// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc automatic tiering: TA_REGION_AUTO regions have their hot 2 MiB
 * units promoted to FAST and their cold ones demoted from it, in place.
 *
 * Access tracking is by hint faults, as NUMA balancing samples anonymous
 * memory, but without PROT_NONE: every region lives in one address_space
 * (region.c), so unmap_mapping_range() on a unit zaps its PTEs or its PMD
 * in every process that maps it, with no mmap_lock.  The next access
 * faults into ta_fault(), which sets the unit's bit in the region's
 * accessed bitmap (ta_auto_touch()) and maps it again.  This works alike
 * on 6.1, 6.12 (PTE-mapped, VM_MIXEDMAP) and 7.3 (PMD-mapped HUGE chunks),
 * and costs a tracked program at most one fault per unit and interval
 * (512 for a unit of a 4 KiB region that is touched all over).
 *
 * A unit is a 2 MiB chunk of a HUGE region, or 512 pages of a 4 KiB one.
 * One delayed work item per machine, queued only while an AUTO region
 * exists and auto_enabled is set, scans at most auto_budget units every
 * auto_interval_ms, round-robin over the regions: for each unit it shifts
 * the accessed bit into an 8-interval history, clears it, and zaps the
 * unit again.  Then the policy:
 *  - promote a unit with accesses in at least auto_hot_intervals of its
 *    last four scans and pages off FAST, while FAST's reservation stays
 *    under auto_promote_wmark percent of its limit (the smaller of its
 *    caps and its node's memory);
 *  - demote a unit with pages on FAST and no access in its last
 *    auto_cold_intervals scans to auto_demote_tier, while FAST is above
 *    auto_demote_wmark percent of its limit;
 *  - a unit moved stays where it is for auto_min_residence_ms, and at
 *    most auto_max_moves units move per interval.
 * Hot and cold are disjoint (no unit is both), so nothing ping-pongs.
 * Moves are ta_region_move_nowait() of the unit: the destination's cap
 * reserved first (a refusal counts in auto_skip_cap), its token bucket
 * charged, with a charge that would have to wait refunded and counted in
 * auto_skip_tokens, and pinned pages left in place (auto_skip_pinned).
 * What is coldest is "no access for auto_cold_intervals scans"; among
 * those, units are demoted in scan order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "ta.h"

/* Per unit, touched only by the scanner. */
struct ta_auto_unit {
	u8 heat;		/* bit i: accessed before the i-th last scan */
	u8 seen;		/* scans so far, saturating */
	unsigned long moved_at;	/* jiffies of the last move; 0: never */
};

/*
 * Tunables (/sys/module/tieralloc/parameters/auto_*), validated against
 * their ranges.  Defaults for the emulated machine (FAST 1 GiB, SLOW
 * 2 GiB, TCG): a 1 s interval with 1024 units (2 GiB) per scan covers
 * every region of that machine each interval; promotion after accesses
 * in 2 of the last 4 intervals puts a new hot set on FAST within about
 * 3 s of its first touch; demotion after 4 idle intervals and a residence
 * of 5 s keeps a unit that pauses briefly where it is; 32 moves (64 MiB)
 * per interval bound the copying to a few percent of a core under TCG;
 * FAST is filled to 95 % of its limit and emptied of cold units above
 * 90 %, leaving headroom for new hints and for hot units to come in.
 */
struct ta_auto_param {
	unsigned int *val;
	unsigned int min, max;
};

static unsigned int auto_enabled = 1;
static unsigned int auto_interval_ms = 1000;
static unsigned int auto_budget = 1024;
static unsigned int auto_max_moves = 32;
static unsigned int auto_hot_intervals = 2;
static unsigned int auto_cold_intervals = 4;
static unsigned int auto_min_residence_ms = 5000;
static unsigned int auto_promote_wmark = 95;
static unsigned int auto_demote_wmark = 90;
static unsigned int auto_demote_tier = TA_TIER_SLOW;

static DEFINE_MUTEX(ta_auto_lock);	/* ta_auto_regions, ta_auto_nr */
static LIST_HEAD(ta_auto_regions);
static unsigned long ta_auto_nr;
static bool ta_auto_live;		/* between init and exit */

static void ta_auto_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ta_auto_work, ta_auto_work_fn);

/* Schedule the next scan in @delay jiffies if there is anything to scan. */
static void ta_auto_kick(unsigned long delay, bool now)
{
	lockdep_assert_held(&ta_auto_lock);
	if (!ta_auto_live || !ta_auto_nr || !READ_ONCE(auto_enabled))
		return;
	if (now)
		mod_delayed_work(system_unbound_wq, &ta_auto_work, delay);
	else
		queue_delayed_work(system_unbound_wq, &ta_auto_work, delay);
}

static int ta_auto_param_set(const char *val, const struct kernel_param *kp)
{
	const struct ta_auto_param *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < p->min || v > p->max)
		return -EINVAL;
	WRITE_ONCE(*p->val, v);
	/* A new interval or switch applies now, not after the old interval. */
	mutex_lock(&ta_auto_lock);
	ta_auto_kick(0, true);
	mutex_unlock(&ta_auto_lock);
	return 0;
}

static int ta_auto_param_get(char *buf, const struct kernel_param *kp)
{
	const struct ta_auto_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops ta_auto_param_ops = {
	.set = ta_auto_param_set,
	.get = ta_auto_param_get,
};

/* The range of a tunable; a file-scope compound literal is static. */
#define TA_RANGE(v, lo, hi)						\
	(&(struct ta_auto_param){ .val = &(v), .min = (lo), .max = (hi) })

module_param_cb(auto_enabled, &ta_auto_param_ops,
		TA_RANGE(auto_enabled, 0, 1), 0644);
MODULE_PARM_DESC(auto_enabled, "Automatic tiering of TA_REGION_AUTO regions runs (1) or stops (0)");
module_param_cb(auto_interval_ms, &ta_auto_param_ops,
		TA_RANGE(auto_interval_ms, 10, 60000), 0644);
MODULE_PARM_DESC(auto_interval_ms, "Milliseconds between two scans (10-60000, default 1000)");
module_param_cb(auto_budget, &ta_auto_param_ops,
		TA_RANGE(auto_budget, 1, 1U << 20), 0644);
MODULE_PARM_DESC(auto_budget, "2 MiB units scanned per interval (default 1024)");
module_param_cb(auto_max_moves, &ta_auto_param_ops,
		TA_RANGE(auto_max_moves, 0, 65536), 0644);
MODULE_PARM_DESC(auto_max_moves, "2 MiB units moved per interval at most (default 32; 0: none)");
module_param_cb(auto_hot_intervals, &ta_auto_param_ops,
		TA_RANGE(auto_hot_intervals, 1, 4), 0644);
MODULE_PARM_DESC(auto_hot_intervals, "Hot: accessed in this many of the last 4 scans (default 2)");
module_param_cb(auto_cold_intervals, &ta_auto_param_ops,
		TA_RANGE(auto_cold_intervals, 1, 8), 0644);
MODULE_PARM_DESC(auto_cold_intervals, "Cold: not accessed in this many last scans (default 4)");
module_param_cb(auto_min_residence_ms, &ta_auto_param_ops,
		TA_RANGE(auto_min_residence_ms, 0, 3600000), 0644);
MODULE_PARM_DESC(auto_min_residence_ms, "A moved unit stays at least this long (ms, default 5000)");
module_param_cb(auto_promote_wmark, &ta_auto_param_ops,
		TA_RANGE(auto_promote_wmark, 1, 100), 0644);
MODULE_PARM_DESC(auto_promote_wmark, "Promote while FAST is under this % of its limit (default 95)");
module_param_cb(auto_demote_wmark, &ta_auto_param_ops,
		TA_RANGE(auto_demote_wmark, 1, 100), 0644);
MODULE_PARM_DESC(auto_demote_wmark, "Demote cold units while FAST is over this % of its limit (default 90)");
module_param_cb(auto_demote_tier, &ta_auto_param_ops,
		TA_RANGE(auto_demote_tier, TA_TIER_NORMAL, TA_TIER_SLOW), 0644);
MODULE_PARM_DESC(auto_demote_tier, "Tier cold units go to: 1 normal, 2 slow (default 2)");

int ta_auto_alloc(struct ta_region *r, gfp_t gfp)
{
	unsigned long nr = DIV_ROUND_UP(r->nr_pages, TA_HUGE_NR);
	struct ta_auto *a;

	a = kzalloc(sizeof(*a), gfp);
	if (!a)
		return -ENOMEM;
	INIT_LIST_HEAD(&a->node);
	a->region = r;
	a->nr_units = nr;
	a->accessed = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), gfp);
	a->units = kvcalloc(nr, sizeof(*a->units), gfp);
	r->autot = a;
	if (!a->accessed || !a->units) {
		ta_auto_release(r);
		return -ENOMEM;
	}
	return 0;
}

/* @r is complete: let the scanner find it. */
void ta_auto_register(struct ta_region *r)
{
	if (!r->autot)
		return;
	mutex_lock(&ta_auto_lock);
	list_add_tail(&r->autot->node, &ta_auto_regions);
	ta_auto_nr++;
	ta_auto_kick(msecs_to_jiffies(READ_ONCE(auto_interval_ms)), false);
	mutex_unlock(&ta_auto_lock);
}

/* From the region's release (no reference is left) or a failed creation. */
void ta_auto_release(struct ta_region *r)
{
	struct ta_auto *a = r->autot;

	if (!a)
		return;
	mutex_lock(&ta_auto_lock);
	if (!list_empty(&a->node)) {
		list_del_init(&a->node);
		ta_auto_nr--;
	}
	mutex_unlock(&ta_auto_lock);
	kvfree(a->units);
	kvfree(a->accessed);
	kfree(a);
	r->autot = NULL;
}

/* Bytes FAST may hold: the smaller of its caps and its node's memory. */
static u64 ta_auto_fast_limit(void)
{
	struct ta_tier_state *t = &ta_tiers[TA_TIER_FAST];
	u64 lim = ta_node_capacity(ta_tier_node(TA_TIER_FAST));
	u64 soft = READ_ONCE(t->soft_cap), hard = READ_ONCE(t->hard_cap);

	if (soft && soft < lim)
		lim = soft;
	if (hard && hard < lim)
		lim = hard;
	return lim;
}

static bool ta_auto_fast_over(unsigned int pct, u64 extra)
{
	u64 used = READ_ONCE(ta_tiers[TA_TIER_FAST].reserved) + extra;

	return used > div_u64(ta_auto_fast_limit() * pct, 100);
}

/* What one scan may still do. */
struct ta_auto_pass {
	unsigned long budget;	/* units to scan */
	unsigned long moves;	/* units to move */
};

/*
 * Move the unit [first, first + n) of @r to @dst; @promote says which
 * counter the moved bytes go to.  Returns true if the unit counts as moved
 * (its residence starts), false if it should be tried again later.
 */
static bool ta_auto_move(struct ta_region *r, unsigned long first,
			 unsigned long n, u32 dst, bool promote)
{
	struct ta_region_move req = {
		.handle = r->handle,
		.dst_tier = dst,
		.offset = (u64)first << PAGE_SHIFT,
		.length = (u64)n << PAGE_SHIFT,
	};
	int ret = ta_region_move_nowait(r, &req);

	if (req.moved_bytes)
		ta_stat_add(dst, promote ? TA_STAT_AUTO_PROMOTED_BYTES :
			    TA_STAT_AUTO_DEMOTED_BYTES, req.moved_bytes);
	if (req.skipped_pages)
		ta_stat_add(dst, TA_STAT_AUTO_SKIP_PINNED, req.skipped_pages);
	if (ret == -ENOMEM) {
		ta_stat_add(dst, TA_STAT_AUTO_SKIP_CAP, 1);
		return false;
	}
	if (ret == -EAGAIN) {
		ta_stat_add(dst, TA_STAT_AUTO_SKIP_TOKENS, 1);
		return false;
	}
	return true;
}

/* Was the unit moved less than auto_min_residence_ms ago? */
static bool ta_auto_resting(const struct ta_auto_unit *st)
{
	unsigned long rest = msecs_to_jiffies(READ_ONCE(auto_min_residence_ms));

	return st->moved_at && time_before(jiffies, st->moved_at + rest);
}

/* Scan unit @u of @r: harvest its accessed bit, re-arm it, maybe move it. */
static void ta_auto_scan_unit(struct ta_region *r, unsigned long u,
			      struct ta_auto_pass *pass)
{
	struct ta_auto *a = r->autot;
	struct ta_auto_unit *st = &a->units[u];
	unsigned long first = u << TA_HUGE_ORDER, i, fast = 0;
	unsigned long n = min_t(unsigned long, TA_HUGE_NR, r->nr_pages - first);
	unsigned int hot = READ_ONCE(auto_hot_intervals);
	unsigned int cold = READ_ONCE(auto_cold_intervals);
	u64 start = ktime_get_ns();
	u32 tier, dst;

	st->heat = st->heat << 1 | test_and_clear_bit(u, a->accessed);
	if (st->seen < U8_MAX)
		st->seen++;

	down_read(&r->move_lock);
	tier = r->page_tier[first];
	for (i = first; i < first + n; i++)
		fast += r->page_tier[i] == TA_TIER_FAST;
	up_read(&r->move_lock);

	/* Re-arm: the next access anywhere faults and sets the bit again. */
	unmap_mapping_range(ta_mapping, (loff_t)(r->pgoff + first) << PAGE_SHIFT,
			    (loff_t)n << PAGE_SHIFT, 0);
	ta_stat_add(tier, TA_STAT_AUTO_SCANNED, 1);
	ta_stat_add(tier, TA_STAT_AUTO_SCAN_NS, ktime_get_ns() - start);

	if (!pass->moves || ta_auto_resting(st))
		return;
	if (fast < n && hweight8(st->heat & 0xf) >= hot) {
		if (ta_auto_fast_over(READ_ONCE(auto_promote_wmark),
				      (n - fast) << PAGE_SHIFT)) {
			ta_stat_add(TA_TIER_FAST, TA_STAT_AUTO_SKIP_CAP, 1);
			return;
		}
		dst = TA_TIER_FAST;
	} else if (fast && st->seen >= cold &&
		   !(st->heat & GENMASK(cold - 1, 0)) &&
		   ta_auto_fast_over(READ_ONCE(auto_demote_wmark), 0)) {
		dst = READ_ONCE(auto_demote_tier);
		if (ta_tier_node(dst) == ta_tier_node(TA_TIER_FAST))
			return;
	} else {
		return;
	}
	pass->moves--;
	if (ta_auto_move(r, first, n, dst, dst == TA_TIER_FAST))
		st->moved_at = jiffies ?: 1;
}

/*
 * Scan @r from its cursor while the pass has budget.  True if the region
 * was scanned to its end (the cursor wrapped).
 */
static bool ta_auto_scan_region(struct ta_region *r, struct ta_auto_pass *pass)
{
	struct ta_auto *a = r->autot;
	unsigned long u;

	for (u = a->cursor; u < a->nr_units && pass->budget; u++) {
		pass->budget--;
		ta_auto_scan_unit(r, u, pass);
		cond_resched();
	}
	a->cursor = u < a->nr_units ? u : 0;
	return !a->cursor;
}

/* The first region of the list that is not being released, with a ref. */
static struct ta_region *ta_auto_first(void)
{
	struct ta_auto *a;

	list_for_each_entry(a, &ta_auto_regions, node)
		if (kref_get_unless_zero(&a->region->kref))
			return a->region;
	return NULL;
}

static void ta_auto_work_fn(struct work_struct *work)
{
	struct ta_auto_pass pass = {
		.budget = READ_ONCE(auto_budget),
		.moves = READ_ONCE(auto_max_moves),
	};
	struct ta_region *r;
	unsigned long i, nr;

	if (!READ_ONCE(auto_enabled))
		return;
	mutex_lock(&ta_auto_lock);
	nr = ta_auto_nr;
	mutex_unlock(&ta_auto_lock);

	/*
	 * Round robin: the head region is scanned from its cursor; once it
	 * is scanned to its end it goes to the tail.  Each region at most
	 * once per pass.
	 */
	for (i = 0; i < nr && pass.budget && READ_ONCE(auto_enabled); i++) {
		bool wrapped;

		mutex_lock(&ta_auto_lock);
		r = ta_auto_first();
		mutex_unlock(&ta_auto_lock);
		if (!r)
			break;
		wrapped = ta_auto_scan_region(r, &pass);
		mutex_lock(&ta_auto_lock);
		if (wrapped)
			list_move_tail(&r->autot->node, &ta_auto_regions);
		mutex_unlock(&ta_auto_lock);
		/* Maybe the last reference: never under ta_auto_lock. */
		ta_region_put(r);
	}

	mutex_lock(&ta_auto_lock);
	ta_auto_kick(msecs_to_jiffies(READ_ONCE(auto_interval_ms)), false);
	mutex_unlock(&ta_auto_lock);
}

void ta_auto_init(void)
{
	mutex_lock(&ta_auto_lock);
	ta_auto_live = true;
	mutex_unlock(&ta_auto_lock);
}

/*
 * Module exit: no region is left (every file and mapping pins the
 * module), so nothing queues the work again; wait for a pass under way.
 */
void ta_auto_exit(void)
{
	mutex_lock(&ta_auto_lock);
	ta_auto_live = false;
	mutex_unlock(&ta_auto_lock);
	cancel_delayed_work_sync(&ta_auto_work);
}
