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
 * (ta_regions_evacuate()), or, if one cannot (pinned, or the node is
 * full), the offline fails with -EBUSY instead of retrying until a signal.
 *
 * Locking: the notifier runs under device_hotplug_lock, cpus_read_lock and
 * mem_hotplug_lock held for write, with the range isolated.  It takes the
 * region list lock, then one region's move_lock (write), i_mmap_rwsem and
 * page table locks (unmap_mapping_range()), and allocates pages: the
 * kernel's own offline migration (do_migrate_range()) allocates under the
 * same locks, and no TierAlloc path takes a hotplug lock under
 * move_lock, mmap_lock or the list lock, so there is no inversion.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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

static int ta_hotplug_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	const struct memory_notify *arg = data;
	unsigned long end_pfn = arg->start_pfn + arg->nr_pages;
	long left;

	if (action != MEM_GOING_OFFLINE)
		return NOTIFY_OK;
	left = ta_regions_evacuate(arg->start_pfn, end_pfn);
	if (!left)
		return NOTIFY_OK;
	if (left > 0)
		pr_info("memory offline [%#llx-%#llx]: %ld pages of regions could not move (pinned, or no free memory on the node)\n",
			(u64)PFN_PHYS(arg->start_pfn),
			(u64)PFN_PHYS(end_pfn) - 1, left);
	return notifier_from_errno(left > 0 ? -EBUSY : (int)left);
}

static struct notifier_block ta_hotplug_nb = {
	.notifier_call = ta_hotplug_notify,
};

int ta_hotplug_init(void)
{
	return register_memory_notifier(&ta_hotplug_nb);
}

void ta_hotplug_exit(void)
{
	unregister_memory_notifier(&ta_hotplug_nb);
}
