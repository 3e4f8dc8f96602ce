// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc counters.
 *
 * Every counter is a per-CPU u64 so the fault path never bounces a shared
 * cache line; a snapshot sums the CPUs.  Gauges (resident bytes, regions)
 * are kept the same way: one CPU may go "negative" when another CPU frees
 * what it allocated, and the wrapping u64 sum is still exact.
 */
#include <linux/build_bug.h>
#include <linux/percpu.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "ta.h"

struct ta_pcpu_stats __percpu *ta_pcpu_stats;
atomic64_t ta_live_regions = ATOMIC64_INIT(0);
atomic64_t ta_open_files = ATOMIC64_INIT(0);

const char * const ta_stat_names[TA_STAT_NR] = TA_TIER_STAT_NAMES;

/* The UAPI struct is read as an array indexed by enum ta_stat. */
static_assert(TA_NR_TIER_STATS == TA_STAT_NR);
static_assert(sizeof(struct ta_tier_stats) == TA_STAT_NR * sizeof(__u64));
static_assert(offsetof(struct ta_tier_stats, migrate_ns) ==
	      TA_STAT_MIGRATE_NS * sizeof(__u64));
static_assert(offsetof(struct ta_tier_stats, huge_pages) ==
	      TA_STAT_HUGE_PAGES * sizeof(__u64));

int ta_stats_init(void)
{
	ta_pcpu_stats = alloc_percpu(struct ta_pcpu_stats);
	return ta_pcpu_stats ? 0 : -ENOMEM;
}

void ta_stats_exit(void)
{
	free_percpu(ta_pcpu_stats);
}

u64 ta_stat_read(u32 tier, enum ta_stat stat)
{
	u64 sum = 0;
	int cpu;

	/* The reservation is exact under cap_lock; report that. */
	if (stat == TA_STAT_RESERVED_BYTES)
		return READ_ONCE(ta_tiers[tier].reserved);

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(ta_pcpu_stats, cpu)->v[tier][stat]);
	return sum;
}

void ta_stats_fill(struct ta_stats *out)
{
	u32 t;
	int s;

	memset(out, 0, sizeof(*out));
	out->live_regions = atomic64_read(&ta_live_regions);
	out->open_files = atomic64_read(&ta_open_files);
	for (t = 0; t < TA_NR_TIERS; t++) {
		u64 *v = (u64 *)&out->tier[t];

		for (s = 0; s < TA_STAT_NR; s++)
			v[s] = ta_stat_read(t, s);
	}
}
