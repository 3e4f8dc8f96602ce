// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc sysfs: /sys/class/misc/tieralloc/{fast,normal,slow}/ hold each
 * tier's configuration (writable with CAP_SYS_ADMIN), topology and counters;
 * see Documentation/ABI/testing/sysfs-class-misc-tieralloc.
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "ta.h"

enum ta_attr_kind { TA_ATTR_CFG, TA_ATTR_INFO, TA_ATTR_STAT };

/* Configuration and topology files, in the order of struct ta_tier_config. */
enum ta_cfg_field {
	TA_F_NODE, TA_F_SOFT_CAP, TA_F_HARD_CAP, TA_F_POLICY,
	TA_F_THROTTLE_MODE, TA_F_RATE, TA_F_BURST,
	/* read-only */
	TA_F_READ_LATENCY, TA_F_READ_BANDWIDTH, TA_F_NODE_CAPACITY,
	TA_F_NODE_FREE, TA_F_INFO_FLAGS, TA_F_NR
};

#define TA_F_NR_WRITABLE	TA_F_READ_LATENCY

static const char * const ta_cfg_names[TA_F_NR] = {
	"node", "soft_cap", "hard_cap", "policy", "throttle_mode", "rate",
	"burst", "read_latency_ns", "read_bandwidth_mbps", "node_capacity",
	"node_free", "info_flags",
};

/* TA_F_* of a writable file -> TA_CFG_* bit, for struct ta_tier_config. */
static const u32 ta_cfg_valid[TA_F_NR_WRITABLE] = {
	TA_CFG_NODE, TA_CFG_SOFT_CAP, TA_CFG_HARD_CAP, TA_CFG_POLICY,
	TA_CFG_THROTTLE_MODE, TA_CFG_RATE, TA_CFG_BURST,
};

static const char * const ta_policy_names[TA_NR_POLICIES] = TA_POLICY_NAMES;
static const char * const ta_mode_names[TA_NR_THROTTLE_MODES] =
	TA_THROTTLE_MODE_NAMES;

struct ta_attr {
	struct device_attribute da;
	u32 tier;
	u32 field;
};

#define TA_ATTRS_PER_TIER	(TA_F_NR + TA_STAT_NR)

static struct ta_attr *ta_attrs;
static struct attribute **ta_attr_ptrs;
static struct attribute_group ta_tier_groups[TA_NR_TIERS];

static u64 ta_cfg_value(const struct ta_tier_config *c, u32 f)
{
	switch (f) {
	case TA_F_NODE:			return c->node;
	case TA_F_SOFT_CAP:		return c->soft_cap;
	case TA_F_HARD_CAP:		return c->hard_cap;
	case TA_F_POLICY:		return c->policy;
	case TA_F_THROTTLE_MODE:	return c->throttle_mode;
	case TA_F_RATE:			return c->rate;
	case TA_F_BURST:		return c->burst;
	case TA_F_READ_LATENCY:		return c->read_latency_ns;
	case TA_F_READ_BANDWIDTH:	return c->read_bandwidth_mbps;
	case TA_F_NODE_CAPACITY:	return c->node_capacity;
	case TA_F_NODE_FREE:		return c->node_free;
	default:			return c->info_flags;
	}
}

static ssize_t ta_cfg_show(struct device *dev, struct device_attribute *da,
			   char *buf)
{
	struct ta_attr *a = container_of(da, struct ta_attr, da);
	struct ta_tier_config cfg;

	ta_tier_get(a->tier, &cfg);
	if (a->field == TA_F_POLICY)
		return sysfs_emit(buf, "%s\n", ta_policy_names[cfg.policy]);
	if (a->field == TA_F_THROTTLE_MODE)
		return sysfs_emit(buf, "%s\n", ta_mode_names[cfg.throttle_mode]);
	if (a->field == TA_F_NODE)
		return sysfs_emit(buf, "%d\n", cfg.node);
	return sysfs_emit(buf, "%llu\n", ta_cfg_value(&cfg, a->field));
}

/*
 * A size or rate: decimal digits with an optional K, M, G, T, P or E
 * (binary multiples), then nothing but whitespace.  -EINVAL for anything
 * else, -ERANGE past 2^64 - 1; memparse() would wrap or stop silently.
 */
int ta_parse_size(const char *buf, u64 *out)
{
	static const char units[] = "KMGTPE";
	const char *s = buf, *u;
	unsigned int shift = 0;
	u64 v = 0;

	if (!isdigit(*s))
		return -EINVAL;
	for (; isdigit(*s); s++)
		if (check_mul_overflow(v, 10ULL, &v) ||
		    check_add_overflow(v, (u64)(*s - '0'), &v))
			return -ERANGE;
	u = *s ? strchr(units, toupper(*s)) : NULL;
	if (u) {
		shift = 10 * (u - units + 1);
		s++;
	}
	if (*skip_spaces(s))
		return -EINVAL;
	if (shift && v > (U64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static ssize_t ta_cfg_store(struct device *dev, struct device_attribute *da,
			    const char *buf, size_t count)
{
	struct ta_attr *a = container_of(da, struct ta_attr, da);
	struct ta_tier_config cfg = {
		.tier = a->tier,
		.valid = ta_cfg_valid[a->field],
	};
	u64 v;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (a->field) {
	case TA_F_POLICY:
		ret = sysfs_match_string(ta_policy_names, buf);
		if (ret < 0)
			return ret;
		cfg.policy = ret;
		break;
	case TA_F_THROTTLE_MODE:
		ret = sysfs_match_string(ta_mode_names, buf);
		if (ret < 0)
			return ret;
		cfg.throttle_mode = ret;
		break;
	case TA_F_NODE:
		ret = kstrtoint(buf, 0, &cfg.node);
		if (ret)
			return ret;
		break;
	default:
		ret = ta_parse_size(buf, &v);
		if (ret)
			return ret;
		if (a->field == TA_F_SOFT_CAP)
			cfg.soft_cap = v;
		else if (a->field == TA_F_HARD_CAP)
			cfg.hard_cap = v;
		else if (a->field == TA_F_RATE)
			cfg.rate = v;
		else
			cfg.burst = v;
	}
	ret = ta_tier_set(&cfg);
	return ret ? ret : count;
}

static ssize_t ta_stat_show(struct device *dev, struct device_attribute *da,
			    char *buf)
{
	struct ta_attr *a = container_of(da, struct ta_attr, da);

	return sysfs_emit(buf, "%llu\n", ta_stat_read(a->tier, a->field));
}

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", TIERALLOC_ABI_VERSION);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t live_regions_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&ta_live_regions));
}
static DEVICE_ATTR_RO(live_regions);

static ssize_t open_files_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&ta_open_files));
}
static DEVICE_ATTR_RO(open_files);

static struct attribute *ta_top_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_live_regions.attr,
	&dev_attr_open_files.attr,
	NULL
};

static const struct attribute_group ta_top_group = {
	.attrs = ta_top_attrs,
};

const struct attribute_group *ta_sysfs_groups[TA_NR_TIERS + 2] = {
	&ta_top_group,
	&ta_tier_groups[TA_TIER_FAST],
	&ta_tier_groups[TA_TIER_NORMAL],
	&ta_tier_groups[TA_TIER_SLOW],
	NULL
};

static void ta_attr_init(struct ta_attr *a, struct attribute **slot, u32 tier,
			 u32 field, const char *name, umode_t mode,
			 enum ta_attr_kind kind)
{
	sysfs_attr_init(&a->da.attr);
	a->da.attr.name = name;
	a->da.attr.mode = mode;
	a->tier = tier;
	a->field = field;
	if (kind == TA_ATTR_STAT) {
		a->da.show = ta_stat_show;
	} else {
		a->da.show = ta_cfg_show;
		if (kind == TA_ATTR_CFG)
			a->da.store = ta_cfg_store;
	}
	*slot = &a->da.attr;
}

/* Build the per-tier groups; must run before the misc device registers. */
int ta_sysfs_init(void)
{
	u32 t, f;

	ta_attrs = kcalloc(TA_NR_TIERS * TA_ATTRS_PER_TIER, sizeof(*ta_attrs),
			   GFP_KERNEL);
	ta_attr_ptrs = kcalloc(TA_NR_TIERS * (TA_ATTRS_PER_TIER + 1),
			       sizeof(*ta_attr_ptrs), GFP_KERNEL);
	if (!ta_attrs || !ta_attr_ptrs) {
		ta_sysfs_exit();
		return -ENOMEM;
	}

	for (t = 0; t < TA_NR_TIERS; t++) {
		struct ta_attr *a = &ta_attrs[t * TA_ATTRS_PER_TIER];
		struct attribute **p = &ta_attr_ptrs[t * (TA_ATTRS_PER_TIER + 1)];

		for (f = 0; f < TA_F_NR; f++)
			ta_attr_init(a++, p++, t, f, ta_cfg_names[f],
				     f < TA_F_NR_WRITABLE ? 0644 : 0444,
				     f < TA_F_NR_WRITABLE ? TA_ATTR_CFG :
							    TA_ATTR_INFO);
		for (f = 0; f < TA_STAT_NR; f++)
			ta_attr_init(a++, p++, t, f, ta_stat_names[f], 0444,
				     TA_ATTR_STAT);
		*p = NULL;
		ta_tier_groups[t].name = ta_tier_names[t];
		ta_tier_groups[t].attrs =
			&ta_attr_ptrs[t * (TA_ATTRS_PER_TIER + 1)];
	}
	return 0;
}

void ta_sysfs_exit(void)
{
	kfree(ta_attr_ptrs);
	kfree(ta_attrs);
	ta_attr_ptrs = NULL;
	ta_attrs = NULL;
}
