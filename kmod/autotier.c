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
 * The granularity adapts as DAMON's regions do (mm/damon/core.c splits
 * regions and merges adjacent ones whose access counts are alike), within
 * a 2 MiB unit: a HUGE chunk moves whole and is tracked whole, but a unit
 * of a 4 KiB region whose accesses since a whole re-arm fell in at most
 * half of its TA_AUTO_PIECES pieces (64 KiB) is split, and from then on
 * each piece has its own history, re-arm and moves, so that the hot part
 * goes to FAST without dragging the cold rest of the 2 MiB along.  Faults
 * record the piece touched in every unit of a 4 KiB region (one word per
 * unit, ta_auto_touch()), so the scanner learns the spread of a unit's
 * accesses for free after a whole re-arm, without sampling first.  A
 * split unit merges back when all its pieces had the same last four
 * scans (all busy, or all idle).  At most auto_max_split units of a
 * region are split at once (a slot per whole unit, at most
 * TA_AUTO_MAX_SPLIT, allocated with the region; none, and no piece bits,
 * for a region under 2 MiB), so a region's pieces are bounded; a split
 * unit costs the pass's budget one unit per unmap_mapping_range() and
 * per move it makes (adjacent pieces are unmapped, and moved to one tier,
 * in one call), at least one.
 * One delayed work item per machine, queued only while an AUTO region
 * exists and auto_enabled is set, scans at most auto_budget units every
 * auto_interval_ms, round-robin over the regions: for each unit it shifts
 * the accessed bit into an 8-interval history, clears it, and zaps the
 * unit again -- only if it was accessed since the last scan: a unit whose
 * bit is clear has no mapping left to zap, because ta_fault() sets the bit
 * again after it maps (so a mapping made after a scan's zap always leaves
 * a bit for the next scan).  Idle units cost a bit test, not a zap, and a
 * unit accessed in each of its last four scans has only a slice of
 * TA_AUTO_SLICE pages zapped (a whole zap follows a scan that finds such
 * a unit idle, since the rest is still mapped).  Then the policy:
 *  - promote a unit with pages off FAST that was accessed in the last scan
 *    and in at least auto_hot_intervals of the last four, while FAST's
 *    reservation stays under auto_promote_wmark percent of its limit (the
 *    smaller of its caps and its node's memory);
 *  - demote a unit with pages on FAST and no access in its last
 *    auto_cold_intervals scans to auto_demote_tier while hot units wait
 *    for room: as many bytes as the hot units the last pass left off FAST
 *    (refused, or beyond its moves) would take FAST over the promotion
 *    watermark are demoted in this one (as promotion failures wake kswapd
 *    to demote in the kernel's tiering); and one idle for twice as many scans
 *    (at most 8) while FAST is above auto_demote_wmark percent of its
 *    limit, which keeps room for the next hot set;
 *  - a unit moved stays where it is for auto_min_residence_ms, and at
 *    most auto_max_moves units are promoted, and as many demoted, per
 *    interval.
 * Passes start auto_interval_ms apart, however long the moves of one
 * took, but leave at least a quarter interval between them.
 * Hot needs an access in the last scan, cold none in it, so no unit is
 * both and nothing ping-pongs.
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
#include <linux/stringify.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "ta.h"

/* Per unit, touched only by the scanner. */
struct ta_auto_unit {
	u8 heat;		/* bit i: accessed before the i-th last scan */
	u8 seen;		/* scans so far, saturating */
	bool sliced;		/* the last re-arm unmapped only a slice */
	u8 split;		/* 1 + its slot in ->splits; 0: whole */
	unsigned long moved_at;	/* jiffies of the last move; 0: never */
};

/* A piece of a split unit, touched only by the scanner. */
struct ta_auto_piece {
	u8 heat;		/* as ta_auto_unit's */
	u8 seen;
	unsigned long moved_at;
};

/* A split unit's pieces; a slot is free while @used is false. */
struct ta_auto_split {
	bool used;
	struct ta_auto_piece p[TA_AUTO_PIECES];
};

/*
 * Pages of a unit accessed in each of its last four scans that the next
 * re-arm unmaps, a different slice each scan: an access anywhere in a
 * busy unit almost surely meets them within an interval, and unmapping
 * (and faulting back) 8 PTEs instead of 512 cut the scanner's time for a
 * hot 150 MiB of PTE-mapped chunks (6.1, 6.12) several times over.  A PMD
 * is unmapped whole either way.
 */
#define TA_AUTO_SLICE	8

/*
 * Tunables (/sys/module/tieralloc/parameters/auto_*), validated against
 * their ranges.  The defaults are made for the emulated machine (FAST
 * 1 GiB, SLOW 2 GiB, TCG) and measured by tools/bench/vm/autotier.c: a
 * 1.5 GiB working set whose hot tenth jumps every 10 s must be >= 90 % on
 * FAST within 5 s of a jump, with the scanner under 2 % of a core.
 */
struct ta_auto_param {
	unsigned int *val;
	unsigned int min, max;
};

/* A pass per second: a hot unit is seen within 1 s of its first access. */
#define TA_AUTO_DEF_INTERVAL_MS		1000
/* 2 GiB of units per pass: every region of that machine, every pass. */
#define TA_AUTO_DEF_BUDGET		1024
/*
 * 32 promotions and 32 demotions (64 MiB each way) per pass: a new hot
 * set of 150 MiB is in within three passes of being seen, even when as
 * much must leave first; at most 128 MiB copied per second.
 */
#define TA_AUTO_DEF_MAX_MOVES		32	/* in units' worth of pages */
/* Accessed in the last pass and one more of the last four: not a one-off. */
#define TA_AUTO_DEF_HOT_INTERVALS	2
/*
 * Idle for two passes: the hot set that just moved on is the first to make
 * room for the one that came.  Demotion only to keep FAST under its
 * watermark (nothing waits) takes twice that idleness, 4 s.
 */
#define TA_AUTO_DEF_COLD_INTERVALS	2
/* A unit moved stays 5 s: no unit moves twice in a brief pause. */
#define TA_AUTO_DEF_MIN_RESIDENCE_MS	5000
/*
 * FAST filled to 95 % of its limit by promotion (room for new explicit
 * hints), and kept at or below half of it with units idle for 4 s: room
 * for a new hot set as large as the one there now to come in without
 * waiting for demotions (which copy as much again; under TCG a unit's
 * move takes tens of milliseconds, and a demotion on the way of every
 * promotion doubled the time to 90 % of a jumped hot set, 4 s -> 7-8 s).
 */
#define TA_AUTO_DEF_PROMOTE_WMARK	95
#define TA_AUTO_DEF_DEMOTE_WMARK	50

static unsigned int auto_enabled = 1;
static unsigned int auto_interval_ms = TA_AUTO_DEF_INTERVAL_MS;
static unsigned int auto_budget = TA_AUTO_DEF_BUDGET;
static unsigned int auto_max_moves = TA_AUTO_DEF_MAX_MOVES;
static unsigned int auto_hot_intervals = TA_AUTO_DEF_HOT_INTERVALS;
static unsigned int auto_cold_intervals = TA_AUTO_DEF_COLD_INTERVALS;
static unsigned int auto_min_residence_ms = TA_AUTO_DEF_MIN_RESIDENCE_MS;
static unsigned int auto_promote_wmark = TA_AUTO_DEF_PROMOTE_WMARK;
static unsigned int auto_demote_wmark = TA_AUTO_DEF_DEMOTE_WMARK;
static unsigned int auto_demote_tier = TA_TIER_SLOW;
static unsigned int auto_max_split = TA_AUTO_MAX_SPLIT;

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
MODULE_PARM_DESC(auto_interval_ms,
		 "Milliseconds between two scans (10-60000, default "
		 __stringify(TA_AUTO_DEF_INTERVAL_MS) ")");
module_param_cb(auto_budget, &ta_auto_param_ops,
		TA_RANGE(auto_budget, 1, 1U << 20), 0644);
MODULE_PARM_DESC(auto_budget,
		 "2 MiB units scanned per interval (default "
		 __stringify(TA_AUTO_DEF_BUDGET) ")");
module_param_cb(auto_max_moves, &ta_auto_param_ops,
		TA_RANGE(auto_max_moves, 0, 65536), 0644);
MODULE_PARM_DESC(auto_max_moves,
		 "2 MiB units' worth of pages promoted, and as many demoted, per interval at most (default "
		 __stringify(TA_AUTO_DEF_MAX_MOVES) "; 0: none)");
module_param_cb(auto_hot_intervals, &ta_auto_param_ops,
		TA_RANGE(auto_hot_intervals, 1, 4), 0644);
MODULE_PARM_DESC(auto_hot_intervals,
		 "Hot: accessed in the last scan and in this many of the last 4 (default "
		 __stringify(TA_AUTO_DEF_HOT_INTERVALS) ")");
module_param_cb(auto_cold_intervals, &ta_auto_param_ops,
		TA_RANGE(auto_cold_intervals, 1, 8), 0644);
MODULE_PARM_DESC(auto_cold_intervals,
		 "Cold: not accessed in this many last scans (default "
		 __stringify(TA_AUTO_DEF_COLD_INTERVALS) ")");
module_param_cb(auto_min_residence_ms, &ta_auto_param_ops,
		TA_RANGE(auto_min_residence_ms, 0, 3600000), 0644);
MODULE_PARM_DESC(auto_min_residence_ms,
		 "A moved unit stays at least this long (ms, default "
		 __stringify(TA_AUTO_DEF_MIN_RESIDENCE_MS) ")");
module_param_cb(auto_promote_wmark, &ta_auto_param_ops,
		TA_RANGE(auto_promote_wmark, 1, 100), 0644);
MODULE_PARM_DESC(auto_promote_wmark,
		 "Promote while FAST is under this % of its limit (default "
		 __stringify(TA_AUTO_DEF_PROMOTE_WMARK) ")");
module_param_cb(auto_demote_wmark, &ta_auto_param_ops,
		TA_RANGE(auto_demote_wmark, 1, 100), 0644);
MODULE_PARM_DESC(auto_demote_wmark,
		 "Demote cold units while FAST is over this % of its limit or hot units wait (default "
		 __stringify(TA_AUTO_DEF_DEMOTE_WMARK) ")");
module_param_cb(auto_demote_tier, &ta_auto_param_ops,
		TA_RANGE(auto_demote_tier, TA_TIER_NORMAL, TA_TIER_SLOW), 0644);
MODULE_PARM_DESC(auto_demote_tier, "Tier cold units go to: 1 normal, 2 slow (default 2)");
module_param_cb(auto_max_split, &ta_auto_param_ops,
		TA_RANGE(auto_max_split, 0, TA_AUTO_MAX_SPLIT), 0644);
MODULE_PARM_DESC(auto_max_split,
		 "2 MiB units of a 4 KiB region tracked as 64 KiB pieces at once (0-"
		 __stringify(TA_AUTO_MAX_SPLIT) ", default "
		 __stringify(TA_AUTO_MAX_SPLIT) "; 0: none)");

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
	/* Only whole 2 MiB units of 4 KiB regions split: no slots for others. */
	if (r->flags & TA_REGION_HUGE)
		return 0;
	a->nr_splits = min_t(unsigned long, r->nr_pages >> TA_HUGE_ORDER,
			     TA_AUTO_MAX_SPLIT);
	if (!a->nr_splits)
		return 0;
	a->pieces = kvcalloc(nr, sizeof(*a->pieces), gfp);
	a->splits = kvcalloc(a->nr_splits, sizeof(*a->splits), gfp);
	if (!a->pieces || !a->splits) {
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
	kvfree(a->splits);
	kvfree(a->pieces);
	kvfree(a->units);
	kvfree(a->accessed);
	kfree(a);
	r->autot = NULL;
}

/* Count @v in @tier's TA_STAT_AUTO_* counter @stat and in @r's own. */
static void ta_auto_count(struct ta_region *r, u32 tier, enum ta_stat stat,
			  u64 v)
{
	u64 *c = &r->autot->stats[stat - TA_STAT_AUTO_SCANNED];

	ta_stat_add(tier, stat, v);
	WRITE_ONCE(*c, *c + v);
}

#define TA_AUTO_STAT(a, s)	READ_ONCE((a)->stats[(s) - TA_STAT_AUTO_SCANNED])

/* TA_IOC_REGION_INFO's auto_* fields; @r is referenced by the caller. */
void ta_auto_info(struct ta_region *r, struct ta_region_info *info)
{
	struct ta_auto *a = r->autot;

	if (!a)
		return;
	info->auto_scanned = TA_AUTO_STAT(a, TA_STAT_AUTO_SCANNED);
	info->auto_promoted_bytes = TA_AUTO_STAT(a, TA_STAT_AUTO_PROMOTED_BYTES);
	info->auto_demoted_bytes = TA_AUTO_STAT(a, TA_STAT_AUTO_DEMOTED_BYTES);
	info->auto_skip_cap = TA_AUTO_STAT(a, TA_STAT_AUTO_SKIP_CAP);
	info->auto_skip_tokens = TA_AUTO_STAT(a, TA_STAT_AUTO_SKIP_TOKENS);
	info->auto_skip_pinned = TA_AUTO_STAT(a, TA_STAT_AUTO_SKIP_PINNED);
	info->auto_scan_ns = TA_AUTO_STAT(a, TA_STAT_AUTO_SCAN_NS);
	info->auto_split = READ_ONCE(a->nr_split);
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

/* By how much @bytes more on FAST would exceed the promotion watermark. */
static u64 ta_auto_shortfall(u64 bytes)
{
	u64 used = READ_ONCE(ta_tiers[TA_TIER_FAST].reserved) + bytes;
	u64 room = div_u64(ta_auto_fast_limit() *
			   READ_ONCE(auto_promote_wmark), 100);

	return used > room ? used - room : 0;
}

/* What one scan may still do. */
struct ta_auto_pass {
	unsigned long budget;	/* units to scan (a split one costs more) */
	unsigned long promotes;	/* pages to promote */
	unsigned long demotes;	/* pages to demote */
	unsigned long nr;	/* passes so far: picks the slice to unmap */
	u64 want;		/* bytes to demote for hot units that wait */
	u64 refused;		/* bytes of hot units left off FAST this pass */
};

static unsigned long ta_auto_passes;	/* only the work item touches it */

/*
 * Bytes to demote in the next pass so that the hot units the last one left
 * off FAST (refused, or beyond auto_max_moves) fit under the promotion
 * watermark; under ta_auto_lock.
 */
static u64 ta_auto_want;

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
		ta_auto_count(r, dst, promote ? TA_STAT_AUTO_PROMOTED_BYTES :
			    TA_STAT_AUTO_DEMOTED_BYTES, req.moved_bytes);
	if (req.skipped_pages)
		ta_auto_count(r, dst, TA_STAT_AUTO_SKIP_PINNED, req.skipped_pages);
	if (ret == -ENOMEM) {
		ta_auto_count(r, dst, TA_STAT_AUTO_SKIP_CAP, 1);
		return false;
	}
	if (ret == -EAGAIN) {
		ta_auto_count(r, dst, TA_STAT_AUTO_SKIP_TOKENS, 1);
		return false;
	}
	return true;
}

/* Was the unit or piece moved less than auto_min_residence_ms ago? */
static bool ta_auto_resting(unsigned long moved_at)
{
	unsigned long rest = msecs_to_jiffies(READ_ONCE(auto_min_residence_ms));

	return moved_at && time_before(jiffies, moved_at + rest);
}

/*
 * May a unit or piece on FAST go?  Idle for @cold scans if hot units wait
 * (@want), for twice as many (at most the 8 of its history) if FAST is
 * only over its demotion watermark.
 */
static bool ta_auto_cold(u8 heat, u8 seen, unsigned int cold, u64 want)
{
	if (!want) {
		if (!ta_auto_fast_over(READ_ONCE(auto_demote_wmark), 0))
			return false;
		cold = min(2 * cold, 8U);
	}
	return seen >= cold && !(heat & GENMASK(cold - 1, 0));
}

/*
 * The policy for @n pages of @r (a unit, or a piece of a split one), @fast
 * of them on FAST, with access history @heat over @seen scans: the tier
 * to move them to, taken from the pass's moves, or TA_NR_TIERS to leave
 * them.  A hot range that may not come counts in the pass's refused bytes;
 * @capped is set if the promotion watermark kept it (the caller counts
 * that once per unit).  The watermark is checked piece by piece, so a run
 * of pieces may pass it by less than a unit, as a whole unit may; caps
 * hold anyway (the move reserves first).
 */
static u32 ta_auto_decide(u8 heat, u8 seen, unsigned long moved_at,
			  unsigned long n, unsigned long fast,
			  struct ta_auto_pass *pass, bool *capped)
{
	unsigned int hot = READ_ONCE(auto_hot_intervals);
	unsigned int cold = READ_ONCE(auto_cold_intervals);
	u64 bytes = (u64)(n - fast) << PAGE_SHIFT;
	u32 dst;

	if (ta_auto_resting(moved_at))
		return TA_NR_TIERS;
	if (fast < n && (heat & 1) && hweight8(heat & 0xf) >= hot) {
		if (pass->promotes < n) {
			pass->refused += bytes;
			return TA_NR_TIERS;
		}
		if (ta_auto_fast_over(READ_ONCE(auto_promote_wmark), bytes)) {
			*capped = true;
			pass->refused += bytes;
			return TA_NR_TIERS;
		}
		pass->promotes -= n;
		return TA_TIER_FAST;
	}
	if (fast && pass->demotes >= n && ta_auto_cold(heat, seen, cold, pass->want)) {
		dst = READ_ONCE(auto_demote_tier);
		if (ta_tier_node(dst) == ta_tier_node(TA_TIER_FAST))
			return TA_NR_TIERS;
		pass->demotes -= n;
		pass->want -= min_t(u64, pass->want, (u64)fast << PAGE_SHIFT);
		return dst;
	}
	return TA_NR_TIERS;
}

/*
 * Split unit @u of @r into pieces if a slot is free and auto_max_split
 * allows: each piece starts with the unit's history before this scan.
 * Lowering auto_max_split splits no more units, and split ones over the
 * new limit merge at their next scan.
 */
static bool ta_auto_split(struct ta_auto *a, unsigned long u)
{
	struct ta_auto_unit *st = &a->units[u];
	unsigned int i, slot = a->nr_splits;
	struct ta_auto_split *sp;

	if (a->nr_split >= READ_ONCE(auto_max_split))
		return false;
	for (i = 0; i < a->nr_splits && slot == a->nr_splits; i++)
		if (!a->splits[i].used)
			slot = i;
	if (slot == a->nr_splits)
		return false;
	sp = &a->splits[slot];
	sp->used = true;
	WRITE_ONCE(a->nr_split, a->nr_split + 1);
	for (i = 0; i < TA_AUTO_PIECES; i++) {
		sp->p[i].heat = st->heat >> 1;
		sp->p[i].seen = st->seen - 1;
		sp->p[i].moved_at = st->moved_at;
	}
	st->split = slot + 1;
	return true;
}

/*
 * Scan split unit @u of @r, whose pieces @bits were accessed since the
 * last scan: harvest, re-arm the pieces accessed (a run of them in one
 * unmap), move runs of pieces the policy sends to the same tier, and merge
 * the unit back when every piece has had the same last four scans (or
 * auto_max_split was lowered under the units split).  Returns the unmaps
 * and moves it made.
 *
 * Re-arming only the pieces accessed relies on every mapped piece having
 * its bit set since it was mapped, or having been unmapped since.  That
 * holds from the scan that split the unit on (ta_fault() sets the bits
 * after mapping; the scanner takes them, then unmaps), but not before it:
 * a fault whose piece bit an earlier scan took before the unit's bit was
 * set leaves a piece mapped that no bit tells of.  So the scan that split
 * the unit (@fresh) unmaps all of it once.
 */
static unsigned long ta_auto_scan_split(struct ta_region *r, unsigned long u,
					unsigned long bits, bool fresh,
					struct ta_auto_pass *pass)
{
	struct ta_auto *a = r->autot;
	struct ta_auto_unit *st = &a->units[u];
	struct ta_auto_split *sp = &a->splits[st->split - 1];
	unsigned long first = u << TA_HUGE_ORDER, start, zaps = 0;
	u8 fast[TA_AUTO_PIECES] = { 0 };
	u32 dst[TA_AUTO_PIECES];
	unsigned int i, j;
	bool equal = true, capped = false;
	u64 bytes;

	for (i = 0; i < TA_AUTO_PIECES; i++) {
		struct ta_auto_piece *pc = &sp->p[i];

		pc->heat = pc->heat << 1 | ((bits >> i) & 1);
		if (pc->seen < U8_MAX)
			pc->seen++;
		if ((pc->heat ^ sp->p[0].heat) & 0xf)
			equal = false;
	}

	down_read(&r->move_lock);
	for (i = 0; i < TA_HUGE_NR; i++)
		fast[i / TA_AUTO_PIECE_NR] += r->page_tier[first + i] == TA_TIER_FAST;
	up_read(&r->move_lock);

	if (fresh) {
		unmap_mapping_range(ta_mapping,
				    (loff_t)(r->pgoff + first) << PAGE_SHIFT,
				    (loff_t)TA_HUGE_NR << PAGE_SHIFT, 0);
		zaps++;
	}
	/* Only pieces accessed since the last scan can be mapped. */
	for (i = 0; i < TA_AUTO_PIECES && !fresh; i = j) {
		for (j = i; j < TA_AUTO_PIECES && (sp->p[j].heat & 1); j++)
			;
		if (j == i) {
			j++;
			continue;
		}
		start = r->pgoff + first + i * TA_AUTO_PIECE_NR;
		unmap_mapping_range(ta_mapping, (loff_t)start << PAGE_SHIFT,
				    (loff_t)(j - i) * TA_AUTO_PIECE_NR << PAGE_SHIFT,
				    0);
		zaps++;
	}

	for (i = 0; i < TA_AUTO_PIECES; i++)
		dst[i] = ta_auto_decide(sp->p[i].heat, sp->p[i].seen,
					sp->p[i].moved_at, TA_AUTO_PIECE_NR,
					fast[i], pass, &capped);
	if (capped)
		ta_auto_count(r, TA_TIER_FAST, TA_STAT_AUTO_SKIP_CAP, 1);
	for (i = 0; i < TA_AUTO_PIECES; i = j) {
		for (j = i + 1; j < TA_AUTO_PIECES && dst[j] == dst[i]; j++)
			;
		if (dst[i] == TA_NR_TIERS)
			continue;
		zaps++;
		if (ta_auto_move(r, first + i * TA_AUTO_PIECE_NR,
				 (j - i) * TA_AUTO_PIECE_NR, dst[i],
				 dst[i] == TA_TIER_FAST)) {
			while (i < j)
				sp->p[i++].moved_at = jiffies ?: 1;
		} else if (dst[i] == TA_TIER_FAST) {
			for (bytes = 0; i < j; i++)
				bytes += TA_AUTO_PIECE_NR - fast[i];
			pass->refused += bytes << PAGE_SHIFT;
		}
	}

	/*
	 * Equal histories, or more units split than auto_max_split allows now:
	 * one unit again, resting as long as its last move.  Every mapped page
	 * of it had the unit's bit set since it was mapped, or was unmapped in
	 * this scan, as a whole unit needs (see the top).
	 */
	if (equal || a->nr_split > READ_ONCE(auto_max_split)) {
		st->moved_at = 0;
		for (i = 0; i < TA_AUTO_PIECES; i++) {
			unsigned long m = sp->p[i].moved_at;

			if (m && (!st->moved_at || time_after(m, st->moved_at)))
				st->moved_at = m;
		}
		sp->used = false;
		WRITE_ONCE(a->nr_split, a->nr_split - 1);
		st->split = 0;
	}
	return zaps;
}

/*
 * Scan unit @u of @r: harvest its accessed bit, re-arm it, maybe move it.
 * Returns what it cost the pass's budget: 1, or the unmaps and moves of a
 * split unit.
 */
static unsigned long ta_auto_scan_unit(struct ta_region *r, unsigned long u,
				       struct ta_auto_pass *pass)
{
	struct ta_auto *a = r->autot;
	struct ta_auto_unit *st = &a->units[u];
	unsigned long first = u << TA_HUGE_ORDER, i, fast = 0, bits, cost = 1;
	unsigned long n = min_t(unsigned long, TA_HUGE_NR, r->nr_pages - first);
	u64 start = ktime_get_ns();
	bool fresh = false, capped = false;
	u32 tier, dst;

	st->heat = st->heat << 1 | test_and_clear_bit(u, a->accessed);
	if (st->seen < U8_MAX)
		st->seen++;
	bits = a->pieces ? xchg(&a->pieces[u], 0) : 0;

	/*
	 * Accessed in few pieces since a whole re-arm (so @bits tells every
	 * piece accessed since): track the pieces, not the unit, so that the
	 * cold rest of it is not dragged along to FAST.  No piece bits with
	 * the unit's bit set: a fault's bits were split across the last scan
	 * (ta_fault() sets both after mapping, the scanner takes them one
	 * after the other), so the pieces cannot be told; wait for the next.
	 */
	if (!st->split && a->pieces && !st->sliced && (st->heat & 1) && bits &&
	    n == TA_HUGE_NR && hweight_long(bits) <= TA_AUTO_PIECES / 2)
		fresh = ta_auto_split(a, u);
	down_read(&r->move_lock);
	tier = r->page_tier[first];
	for (i = first; i < first + n && !st->split; i++)
		fast += r->page_tier[i] == TA_TIER_FAST;
	up_read(&r->move_lock);
	if (st->split) {
		cost = max(1UL, ta_auto_scan_split(r, u, bits, fresh, pass));
		ta_auto_count(r, tier, TA_STAT_AUTO_SCANNED, 1);
		ta_auto_count(r, tier, TA_STAT_AUTO_SCAN_NS,
			      ktime_get_ns() - start);
		return cost;
	}

	/*
	 * Re-arm: the next access anywhere faults and sets the bit again.  No
	 * access since the last whole re-arm: nothing is mapped (see the top).
	 * A unit busy for four scans has only a slice unmapped.
	 */
	if ((st->heat & 0xf) == 0xf && n == TA_HUGE_NR) {
		unsigned long off = (pass->nr + u) % (n / TA_AUTO_SLICE) *
				    TA_AUTO_SLICE;

		unmap_mapping_range(ta_mapping,
				    (loff_t)(r->pgoff + first + off) << PAGE_SHIFT,
				    (loff_t)TA_AUTO_SLICE << PAGE_SHIFT, 0);
		st->sliced = true;
	} else if ((st->heat & 1) || st->sliced) {
		/* Not accessed since a sliced re-arm: the rest is mapped. */
		unmap_mapping_range(ta_mapping,
				    (loff_t)(r->pgoff + first) << PAGE_SHIFT,
				    (loff_t)n << PAGE_SHIFT, 0);
		st->sliced = false;
	}
	ta_auto_count(r, tier, TA_STAT_AUTO_SCANNED, 1);
	ta_auto_count(r, tier, TA_STAT_AUTO_SCAN_NS, ktime_get_ns() - start);

	dst = ta_auto_decide(st->heat, st->seen, st->moved_at, n, fast, pass,
			     &capped);
	if (capped)
		ta_auto_count(r, TA_TIER_FAST, TA_STAT_AUTO_SKIP_CAP, 1);
	if (dst == TA_NR_TIERS)
		return cost;
	if (ta_auto_move(r, first, n, dst, dst == TA_TIER_FAST))
		st->moved_at = jiffies ?: 1;
	else if (dst == TA_TIER_FAST)
		pass->refused += (u64)(n - fast) << PAGE_SHIFT;
	return cost;
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
		pass->budget -= min(pass->budget, ta_auto_scan_unit(r, u, pass));
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
		.promotes = (unsigned long)READ_ONCE(auto_max_moves) * TA_HUGE_NR,
		.demotes = (unsigned long)READ_ONCE(auto_max_moves) * TA_HUGE_NR,
		.nr = ta_auto_passes++,
	};
	unsigned long start = jiffies, ival, i, nr;
	struct ta_region *r;

	if (!READ_ONCE(auto_enabled))
		return;
	mutex_lock(&ta_auto_lock);
	nr = ta_auto_nr;
	pass.want = ta_auto_want;
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

	/* The next pass an interval after this one started, not ended. */
	ival = msecs_to_jiffies(READ_ONCE(auto_interval_ms));
	mutex_lock(&ta_auto_lock);
	ta_auto_want = ta_auto_shortfall(pass.refused);
	ta_auto_kick(max(ival - min(jiffies - start, ival), ival / 4), false);
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
