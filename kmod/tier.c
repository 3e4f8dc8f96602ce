// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc tiers: which NUMA node backs FAST, NORMAL and SLOW, their caps,
 * and the capacity reservation every region makes when it is created.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/vmstat.h>

#include "ta.h"
#include "ta_policy.h"

static int node_fast = NUMA_NO_NODE;
static int node_normal = NUMA_NO_NODE;
static int node_slow = NUMA_NO_NODE;
module_param(node_fast, int, 0444);
MODULE_PARM_DESC(node_fast, "NUMA node of the FAST tier (default: discovered)");
module_param(node_normal, int, 0444);
MODULE_PARM_DESC(node_normal, "NUMA node of the NORMAL tier (default: discovered)");
module_param(node_slow, int, 0444);
MODULE_PARM_DESC(node_slow, "NUMA node of the SLOW tier (default: discovered)");

struct ta_tier_state ta_tiers[TA_NR_TIERS];
/* Serialises configuration changes (TA_IOC_SET_TIER, sysfs stores). */
DEFINE_MUTEX(ta_config_lock);

const char * const ta_tier_names[TA_NR_TIERS] = TA_TIER_NAMES;

bool ta_node_usable(int nid)
{
	return nid >= 0 && nid < MAX_NUMNODES && node_online(nid) &&
	       node_state(nid, N_MEMORY);
}

int ta_tier_node(u32 tier)
{
	return READ_ONCE(ta_tiers[tier].node);
}

/*
 * Has @tier's node memory online?  Not once all of it was offlined or
 * hot-removed (TA_TIER_INFO_OFFLINE): the node leaves N_MEMORY when its
 * last memory block goes offline and is back in it when one comes online
 * (memory hotplug updates node_states under mem_hotplug_lock).  A lockless
 * read, so a request racing an offline may still be granted the tier: it
 * then finds no memory at first touch (ta_fault()), as on a full node.
 */
bool ta_tier_online(u32 tier)
{
	return node_state(ta_tier_node(tier), N_MEMORY);
}

u64 ta_node_capacity(int nid)
{
	return (u64)node_present_pages(nid) << PAGE_SHIFT;
}

u64 ta_node_free(int nid)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	unsigned long pages = 0;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		pages += zone_page_state(&pgdat->node_zones[z], NR_FREE_PAGES);
	return (u64)pages << PAGE_SHIFT;
}

/*
 * The kernel keeps the HMAT access attributes of a node (what the firmware
 * says about its latency and bandwidth from the nearest initiator) only in
 * drivers/base/node.c, exported to nobody but sysfs.  Read them from there,
 * once, at load time.
 */
static int ta_read_hmat_attr(int nid, const char *attr, u32 *val)
{
	char path[96], buf[24];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/access0/initiators/%s",
		 nid, attr);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0)
		return n < 0 ? n : -ENODATA;
	buf[n] = '\0';
	return kstrtou32(strim(buf), 10, val);
}

/* sort() comparators over struct tapol_node: ta_policy.h ranks. */
static int ta_rank_cmp_hmat(const void *a, const void *b)
{
	return tapol_rank_cmp_hmat(a, b);
}

static int ta_rank_cmp_distance(const void *a, const void *b)
{
	return tapol_rank_cmp_distance(a, b);
}

static void ta_tiers_discover(void)
{
	struct tapol_node *rank;
	int nid, c, n = 0, i;
	bool hmat = true;
	u32 how;

	rank = kcalloc(MAX_NUMNODES, sizeof(*rank), GFP_KERNEL);
	if (!rank) {
		/* Cannot rank: put every tier on the first memory node. */
		nid = first_node(node_states[N_MEMORY]);
		for (i = 0; i < TA_NR_TIERS; i++)
			ta_tiers[i].node = nid;
		return;
	}

	for_each_node_state(nid, N_MEMORY) {
		struct tapol_node *r = &rank[n++];

		r->nid = nid;
		r->has_cpus = node_state(nid, N_CPU);
		r->distance = INT_MAX;
		for_each_node_state(c, N_CPU)
			r->distance = min(r->distance, node_distance(c, nid));
		if (ta_read_hmat_attr(nid, "read_latency", &r->latency) ||
		    ta_read_hmat_attr(nid, "read_bandwidth", &r->bandwidth) ||
		    !r->latency)
			hmat = false;
	}

	sort(rank, n, sizeof(*rank),
	     hmat ? ta_rank_cmp_hmat : ta_rank_cmp_distance, NULL);
	how = hmat ? TA_TIER_INFO_HMAT : TA_TIER_INFO_DISTANCE;

	for (i = 0; i < TA_NR_TIERS; i++) {
		struct tapol_node *r = &rank[tapol_tier_rank(i, n)];

		ta_tiers[i].node = r->nid;
		ta_tiers[i].info_flags = how;
		if (hmat) {
			ta_tiers[i].read_latency_ns = r->latency;
			ta_tiers[i].read_bandwidth_mbps = r->bandwidth;
		}
	}
	kfree(rank);
}

/* Refresh TA_TIER_INFO_SHARED after any node change; under ta_config_lock. */
static void ta_tiers_mark_shared(void)
{
	int nodes[TA_NR_TIERS], i;

	for (i = 0; i < TA_NR_TIERS; i++)
		nodes[i] = ta_tiers[i].node;
	for (i = 0; i < TA_NR_TIERS; i++)
		ta_tiers[i].info_flags = tapol_shared_flags(nodes, i, ta_tiers[i].info_flags);
}

int ta_tiers_init(void)
{
	const int param[TA_NR_TIERS] = { node_fast, node_normal, node_slow };
	int i;

	for (i = 0; i < TA_NR_TIERS; i++) {
		if (param[i] != NUMA_NO_NODE && !ta_node_usable(param[i])) {
			pr_err("node_%s=%d: node is offline or has no memory\n",
			       ta_tier_names[i], param[i]);
			return -EINVAL;
		}
	}

	ta_tiers_discover();
	for (i = 0; i < TA_NR_TIERS; i++) {
		struct ta_tier_state *t = &ta_tiers[i];
		u64 rate = (u64)t->read_bandwidth_mbps * 1000000;

		spin_lock_init(&t->cap_lock);
		t->policy = TA_POLICY_ROUTE_SLOW;
		if (param[i] != NUMA_NO_NODE) {
			t->node = param[i];
			TAPOL_SET_OVERRIDE(t);
			rate = 0;
		}
		/* Model the tier's bandwidth by default; never delay. */
		ta_bucket_config(&t->bucket, rate, rate ? TAPOL_DEFAULT_BURST : 0,
				 TA_THROTTLE_ACCOUNT);
	}
	ta_tiers_mark_shared();

	for (i = 0; i < TA_NR_TIERS; i++)
		pr_info("tier %s: node %d%s%s\n", ta_tier_names[i],
			ta_tiers[i].node,
			ta_tiers[i].info_flags & TA_TIER_INFO_HMAT ? " (HMAT)" :
			ta_tiers[i].info_flags & TA_TIER_INFO_OVERRIDE ?
			" (parameter)" : " (distance)",
			ta_tiers[i].info_flags & TA_TIER_INFO_SHARED ?
			", shared with another tier" : "");
	return 0;
}

/*
 * Reserve @bytes on @tier if its hard cap allows.  Returns 1 if the grant
 * went beyond the soft cap, 0 if within it, -ENOMEM over the hard cap.
 */
static int ta_tier_try_reserve(struct ta_tier_state *t, u64 bytes)
{
	u64 sum;
	int ret;

	spin_lock(&t->cap_lock);
	ret = tapol_reserve(t->reserved, bytes, READ_ONCE(t->soft_cap),
			    READ_ONCE(t->hard_cap), &sum);
	if (ret >= 0)
		WRITE_ONCE(t->reserved, sum);
	spin_unlock(&t->cap_lock);
	return ret < 0 ? -ENOMEM : ret;
}

/*
 * Choose and reserve the tier for a new region of @bytes.  @placement is a
 * hint, or a tier with TA_REGION_TIER.  The rules are ta_policy.h's: over
 * a tier's hard cap the tier's policy decides whether the request goes on
 * to the next slower tier or fails; PIN_FAST fails.  A TA_REGION_TIER
 * request starts at its tier and goes on like a hint.  A tier whose node
 * has no memory online (TA_TIER_INFO_OFFLINE) is treated as full: counted
 * as a hard violation, then routed or failed by the same rules.
 */
int ta_tier_grant(u32 placement, u32 flags, u64 bytes, u32 *tier, u32 *result)
{
	struct ta_tier_state *fast = &ta_tiers[TA_TIER_FAST];
	u32 key = placement;
	bool pinned;
	int t, ret;

	*result = 0;
	if (flags & TA_REGION_TIER) {
		if (placement >= TA_NR_TIERS)
			return -EINVAL;
		key = TA_NR_HINTS + placement;
	} else if (placement >= TA_NR_HINTS) {
		return -EINVAL;
	}
	/* A TA_REGION_TIER request starts at its tier, not pinned there. */
	pinned = !(flags & TA_REGION_TIER) && tapol_key_pinned(key);
	t = tapol_first_tier(key, bytes, READ_ONCE(fast->soft_cap),
			     READ_ONCE(fast->reserved), result);
	for (;;) {
		/* A tier without memory online counts as full. */
		ret = ta_tier_online(t) ?
		      ta_tier_try_reserve(&ta_tiers[t], bytes) : -ENOMEM;
		if (ret >= 0)
			break;
		ta_stat_add(t, TA_STAT_HARD_VIOLATIONS, 1);
		t = tapol_next_tier(pinned, t, READ_ONCE(ta_tiers[t].policy));
		if (t < 0)
			return -ENOMEM;
		ta_stat_add(t - 1, TA_STAT_REROUTES, 1);
		*result |= TA_RESULT_REROUTED;
	}
	if (ret > 0) {
		ta_stat_add(t, TA_STAT_SOFT_VIOLATIONS, 1);
		*result |= TA_RESULT_SOFT_OVER;
	}
	*tier = t;
	return 0;
}

/*
 * Where what @tier cannot take goes once it is there already (first
 * touches on an offline tier, pages of an offline node): the next slower
 * tier with memory online, and not on node @avoid (NUMA_NO_NODE: any), by
 * the policies of @tier and of the tiers passed on the way, as
 * ta_tier_grant() routes; -1 if they fail (TA_POLICY_FAIL) or nothing
 * slower is left.
 */
int ta_tier_route(u32 tier, int avoid)
{
	int t = tier;

	do {
		t = tapol_next_tier(false, t, READ_ONCE(ta_tiers[t].policy));
	} while (t >= 0 && (ta_tier_node(t) == avoid || !ta_tier_online(t)));
	return t;
}

/* Reserve on exactly @tier (migration): -ENOMEM over its hard cap. */
int ta_tier_reserve(u32 tier, u64 bytes)
{
	int ret = ta_tier_try_reserve(&ta_tiers[tier], bytes);

	if (ret < 0) {
		ta_stat_add(tier, TA_STAT_HARD_VIOLATIONS, 1);
		return ret;
	}
	if (ret > 0)
		ta_stat_add(tier, TA_STAT_SOFT_VIOLATIONS, 1);
	return 0;
}

void ta_tier_unreserve(u32 tier, u64 bytes)
{
	struct ta_tier_state *t = &ta_tiers[tier];

	spin_lock(&t->cap_lock);
	WARN_ON_ONCE(t->reserved < bytes);
	WRITE_ONCE(t->reserved, t->reserved - min(t->reserved, bytes));
	spin_unlock(&t->cap_lock);
}

void ta_tier_get(u32 tier, struct ta_tier_config *cfg)
{
	struct ta_tier_state *t = &ta_tiers[tier];

	memset(cfg, 0, sizeof(*cfg));
	mutex_lock(&ta_config_lock);
	cfg->tier = tier;
	cfg->node = t->node;
	cfg->policy = t->policy;
	cfg->soft_cap = t->soft_cap;
	cfg->hard_cap = t->hard_cap;
	cfg->throttle_mode = t->bucket.mode;
	cfg->rate = t->bucket.rate;
	cfg->burst = t->bucket.burst;
	cfg->info_flags = t->info_flags;
	if (!ta_tier_online(tier))
		cfg->info_flags |= TA_TIER_INFO_OFFLINE;
	cfg->read_latency_ns = t->read_latency_ns;
	cfg->read_bandwidth_mbps = t->read_bandwidth_mbps;
	mutex_unlock(&ta_config_lock);
	cfg->node_capacity = ta_node_capacity(cfg->node);
	cfg->node_free = ta_node_free(cfg->node);
}

/*
 * Apply the fields of @cfg named in cfg->valid, all or nothing.  Output-only
 * fields are ignored.  Caller has checked CAP_SYS_ADMIN.
 */
int ta_tier_set(const struct ta_tier_config *cfg)
{
	struct ta_tier_state *t;
	u64 soft, hard, rate, burst;
	u32 mode;

	if (cfg->tier >= TA_NR_TIERS || (cfg->valid & ~TA_CFG_ALL))
		return -EINVAL;
	if ((cfg->valid & TA_CFG_NODE) && !ta_node_usable(cfg->node))
		return -ENODEV;
	if ((cfg->valid & TA_CFG_POLICY) && cfg->policy > TA_POLICY_FAIL)
		return -EINVAL;
	if ((cfg->valid & TA_CFG_THROTTLE_MODE) &&
	    cfg->throttle_mode > TA_THROTTLE_ENFORCE)
		return -EINVAL;

	t = &ta_tiers[cfg->tier];
	mutex_lock(&ta_config_lock);
	soft = cfg->valid & TA_CFG_SOFT_CAP ? cfg->soft_cap : t->soft_cap;
	hard = cfg->valid & TA_CFG_HARD_CAP ? cfg->hard_cap : t->hard_cap;
	rate = cfg->valid & TA_CFG_RATE ? cfg->rate : t->bucket.rate;
	burst = cfg->valid & TA_CFG_BURST ? cfg->burst : t->bucket.burst;
	mode = cfg->valid & TA_CFG_THROTTLE_MODE ? cfg->throttle_mode :
						   t->bucket.mode;
	if ((soft && hard && soft > hard) ||
	    (rate && rate < TAPOL_MIN_RATE) || burst > TA_REGION_MAX_SIZE) {
		mutex_unlock(&ta_config_lock);
		return -EINVAL;
	}

	spin_lock(&t->cap_lock);
	WRITE_ONCE(t->soft_cap, soft);
	WRITE_ONCE(t->hard_cap, hard);
	spin_unlock(&t->cap_lock);
	if (cfg->valid & TA_CFG_POLICY)
		WRITE_ONCE(t->policy, cfg->policy);
	if (cfg->valid & (TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE))
		ta_bucket_config(&t->bucket, rate, burst, mode);
	if (cfg->valid & TA_CFG_NODE && cfg->node != t->node) {
		/* Pages already allocated stay where they are. */
		WRITE_ONCE(t->node, cfg->node);
		TAPOL_SET_OVERRIDE(t);
		ta_tiers_mark_shared();
	}
	mutex_unlock(&ta_config_lock);
	return 0;
}
