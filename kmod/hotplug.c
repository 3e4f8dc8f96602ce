// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc on memory that can be hot-removed: a tier's node whose memory
 * is all ZONE_MOVABLE, as CXL memory is once daxctl/kmem onlined it.
 *
 * ZONE_MOVABLE serves only __GFP_MOVABLE allocations, so the tier's pages
 * are asked for with it on such a node, and only there (see "GFP flags" in
 * ta.h).
 */
#include <linux/gfp.h>
#include <linux/mmzone.h>

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
