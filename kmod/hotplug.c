// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc on memory that can be hot-removed: a tier's node whose memory
 * is all ZONE_MOVABLE, as CXL memory is once daxctl/kmem onlined it.
 *
 * ZONE_MOVABLE serves only __GFP_MOVABLE allocations, so the tier's pages
 * are asked for with it on such a node, and only there (see "GFP flags" in
 * ta.h).
 *
 * The kernel cannot migrate those pages itself when the memory goes
 * offline (they are not on the LRU and have no movable_operations; 7.3
 * keeps those for balloon and zsmalloc pages), so a memory notifier does
 * it with the module's own migration: on MEM_GOING_OFFLINE every page of
 * every region in the block moves to another block of the same node
 * (ta_regions_evacuate()).  A page that finds no memory there (the node is
 * full, this is its last block, or its region's memory cgroup is at its
 * limit) goes where its tier's policy routes (TA_POLICY_ROUTE_SLOW: the
 * next slower tier on another node, counted as a reroute and a move), but
 * only once a first pass found no page held.  If one cannot move (pinned,
 * or the policy fails, or nothing slower has room), the offline fails
 * with -EBUSY in bounded time (a held page is looked at again a few times,
 * 20 ms apart, as it may be held only for a moment), instead of retrying
 * until a signal, with one line in the log saying why.  A page allocated
 * before the block was isolated is found too: the walk of each region
 * first waits for its fills in flight (move_lock, ta.h).
 *
 * Hot-remove: when a tier's node loses its last online memory it leaves
 * N_MEMORY and the tier is unavailable (TA_TIER_INFO_OFFLINE, read at
 * each use by ta_tier_online(): new regions treat it as full, first
 * touches of its pages are routed, moves into it fail); onlining any of
 * the node's memory brings it back.  MEM_OFFLINE and MEM_ONLINE only log
 * the change.
 *
 * Locking: the notifier runs under device_hotplug_lock, cpus_read_lock and
 * mem_hotplug_lock held for write, with the range isolated.  It takes the
 * region list lock to step to the next region and, not nested with it,
 * one region's move_lock (write), i_mmap_rwsem and page table locks
 * (unmap_mapping_range()), and allocates pages: the
 * kernel's own offline migration (do_migrate_range()) allocates under the
 * same locks, and no TierAlloc path takes a hotplug lock under
 * move_lock, mmap_lock or the list lock, so there is no inversion.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/memory.h>
#include <linux/mmzone.h>
#include <linux/notifier.h>
#include <linux/printk.h>

#include "ta.h"

/*
 * Is all of @nid's memory in ZONE_MOVABLE?  Read at each allocation, so
 * that memory onlined or offlined since (into whichever zone) counts at
 * once: a handful of atomic reads.
 */
static bool ta_node_all_movable(int nid)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	int z;

	if (!managed_zone(&pgdat->node_zones[ZONE_MOVABLE]))
		return false;
	for (z = 0; z < ZONE_MOVABLE; z++)
		if (managed_zone(&pgdat->node_zones[z]))
			return false;
	return true;
}

/* The GFP flags a tier page on @nid needs besides GFP_HIGHUSER's. */
gfp_t ta_hotplug_gfp(int nid)
{
	return ta_node_all_movable(nid) ? __GFP_MOVABLE : 0;
}

/*
 * Log a tier that became unavailable or available again.  @was (one bit
 * per tier) is only touched here, under the hotplug locks the notifier
 * runs with.
 */
static void ta_hotplug_report(void)
{
	static unsigned long was;
	u32 t;

	for (t = 0; t < TA_NR_TIERS; t++) {
		bool off = !ta_tier_online(t);

		if (off == test_bit(t, &was))
			continue;
		__assign_bit(t, &was, off);
		pr_info("tier %s: node %d %s\n", ta_tier_names[t],
			ta_tier_node(t), off ?
			"has no memory online: tier unavailable" :
			"has memory online again: tier available");
	}
}

static int ta_hotplug_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	static const char * const policy[TA_NR_POLICIES] = TA_POLICY_NAMES;
	const struct memory_notify *arg = data;
	unsigned long end_pfn = arg->start_pfn + arg->nr_pages;
	struct ta_evac ev = { .nomem_nid = NUMA_NO_NODE };
	int ret;

	if (action == MEM_OFFLINE || action == MEM_ONLINE)
		ta_hotplug_report();
	if (action != MEM_GOING_OFFLINE)
		return NOTIFY_OK;
	ret = ta_regions_evacuate(arg->start_pfn, end_pfn, &ev);
	if (ev.routed)
		pr_info("memory offline [%#llx-%#llx]: %lu pages of regions moved to slower tiers (no memory left on their node)\n",
			(u64)PFN_PHYS(arg->start_pfn),
			(u64)PFN_PHYS(end_pfn) - 1, ev.routed);
	if (ret)
		return notifier_from_errno(ret);
	if (ev.pinned)
		pr_info("memory offline [%#llx-%#llx] refused: %lu pages of regions are held (pinned, or in I/O)\n",
			(u64)PFN_PHYS(arg->start_pfn),
			(u64)PFN_PHYS(end_pfn) - 1, ev.pinned);
	if (ev.full)
		pr_info("memory offline [%#llx-%#llx] refused: %lu pages of regions found no memory on node %d (or in their memory cgroup), and tier %s (policy %s) has no slower tier with room\n",
			(u64)PFN_PHYS(arg->start_pfn),
			(u64)PFN_PHYS(end_pfn) - 1, ev.full,
			ta_tier_node(ev.full_tier), ta_tier_names[ev.full_tier],
			policy[READ_ONCE(ta_tiers[ev.full_tier].policy)]);
	return ev.pinned || ev.full ? notifier_from_errno(-EBUSY) : NOTIFY_OK;
}

static struct notifier_block ta_hotplug_nb = {
	.notifier_call = ta_hotplug_notify,
};

int ta_hotplug_init(void)
{
	ta_hotplug_report();
	return register_memory_notifier(&ta_hotplug_nb);
}

void ta_hotplug_exit(void)
{
	unregister_memory_notifier(&ta_hotplug_nb);
}
