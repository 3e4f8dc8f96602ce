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

/*
 * The UAPI struct is read as an array indexed by enum ta_stat, and the names
 * (TA_TIER_STAT_NAMES) are indexed by field: each enum value is its field.
 */
#define TA_STAT_IS(e, f) \
	static_assert(offsetof(struct ta_tier_stats, f) == (e) * sizeof(__u64))
static_assert(TA_NR_TIER_STATS == TA_STAT_NR);
TA_STAT_IS(TA_STAT_RESERVED_BYTES, reserved_bytes);
TA_STAT_IS(TA_STAT_RESIDENT_BYTES, resident_bytes);
TA_STAT_IS(TA_STAT_REGIONS, regions);
TA_STAT_IS(TA_STAT_ALLOC_CALLS, alloc_calls);
TA_STAT_IS(TA_STAT_FREE_CALLS, free_calls);
TA_STAT_IS(TA_STAT_BYTES_ALLOCATED, bytes_allocated);
TA_STAT_IS(TA_STAT_BYTES_FREED, bytes_freed);
TA_STAT_IS(TA_STAT_SIM_WAIT_NS, sim_wait_ns);
TA_STAT_IS(TA_STAT_THROTTLE_WAIT_NS, throttle_wait_ns);
TA_STAT_IS(TA_STAT_SOFT_VIOLATIONS, soft_violations);
TA_STAT_IS(TA_STAT_HARD_VIOLATIONS, hard_violations);
TA_STAT_IS(TA_STAT_REROUTES, reroutes);
TA_STAT_IS(TA_STAT_FAULT_FAILURES, fault_failures);
TA_STAT_IS(TA_STAT_HUGE_PAGES, huge_pages);
TA_STAT_IS(TA_STAT_HUGE_FALLBACKS, huge_fallbacks);
TA_STAT_IS(TA_STAT_MIGRATIONS_IN, migrations_in);
TA_STAT_IS(TA_STAT_MIGRATIONS_OUT, migrations_out);
TA_STAT_IS(TA_STAT_PAGES_MOVED_IN, pages_moved_in);
TA_STAT_IS(TA_STAT_PAGES_MOVED_OUT, pages_moved_out);
TA_STAT_IS(TA_STAT_BYTES_MOVED_IN, bytes_moved_in);
TA_STAT_IS(TA_STAT_BYTES_MOVED_OUT, bytes_moved_out);
TA_STAT_IS(TA_STAT_MIGRATE_SKIPPED, migrate_skipped);
TA_STAT_IS(TA_STAT_MIGRATE_FAILURES, migrate_failures);
TA_STAT_IS(TA_STAT_MIGRATE_NS, migrate_ns);
TA_STAT_IS(TA_STAT_AUTO_SCANNED, auto_scanned);
TA_STAT_IS(TA_STAT_AUTO_PROMOTED_BYTES, auto_promoted_bytes);
TA_STAT_IS(TA_STAT_AUTO_DEMOTED_BYTES, auto_demoted_bytes);
TA_STAT_IS(TA_STAT_AUTO_SKIP_CAP, auto_skip_cap);
TA_STAT_IS(TA_STAT_AUTO_SKIP_TOKENS, auto_skip_tokens);
TA_STAT_IS(TA_STAT_AUTO_SKIP_PINNED, auto_skip_pinned);
TA_STAT_IS(TA_STAT_AUTO_SCAN_NS, auto_scan_ns);

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
