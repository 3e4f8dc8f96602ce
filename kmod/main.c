// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc: tiered memory regions for user space.
 *
 * /dev/tieralloc hands out regions whose pages live on the NUMA node of a
 * chosen memory tier, enforces per-tier capacity caps machine-wide, accounts
 * (or enforces) per-tier bandwidth with token buckets, and moves regions
 * between tiers in place.  This file is the device: its files and ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "ta.h"

static int ta_open(struct inode *inode, struct file *file)
{
	struct ta_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL_ACCOUNT);

	if (!tf)
		return -ENOMEM;
	xa_init(&tf->regions);
	file->private_data = tf;
	/* All regions share one address_space: see region.c. */
	file->f_mapping = ta_mapping;
	atomic64_inc(&ta_open_files);
	return 0;
}

static int ta_release(struct inode *inode, struct file *file)
{
	struct ta_file *tf = file->private_data;
	struct ta_region *r;
	unsigned long handle;

	/* Regions still mapped somewhere live on until their last munmap. */
	xa_for_each(&tf->regions, handle, r) {
		xa_erase(&tf->regions, handle);
		ta_region_put(r);
	}
	xa_destroy(&tf->regions);
	kfree(tf);
	atomic64_dec(&ta_open_files);
	return 0;
}

static int ta_mmap(struct file *file, struct vm_area_struct *vma)
{
	return ta_region_mmap(file->private_data, vma);
}

static struct ta_region *ta_file_region(struct ta_file *tf, u32 handle)
{
	struct ta_region *r;

	xa_lock(&tf->regions);
	r = xa_load(&tf->regions, handle);
	if (r)
		kref_get(&r->kref);
	xa_unlock(&tf->regions);
	return r;
}

static const struct file_operations ta_fops;

/*
 * Give @r, which holds its creation reference, a handle in @tf and copy @req
 * out.  The handle's slot is reserved first and filled only after the copy
 * succeeded: until then no other thread can look @r up or free it (a FREE of
 * the reserved handle finds nothing), so the error path still owns the only
 * reference.  Once stored, @r belongs to the file and is not touched again.
 */
static long ta_file_add(struct ta_file *tf, struct ta_region *r,
			void __user *argp, const void *req, size_t size)
{
	u32 handle = r->handle;
	int ret;

	ret = xa_reserve(&tf->regions, handle,
			 GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (ret)
		goto err_put;
	if (copy_to_user(argp, req, size)) {
		ret = -EFAULT;
		goto err_release;
	}
	/* A FREE of the reserved handle may have dropped the reservation. */
	ret = xa_err(xa_store(&tf->regions, handle, r,
			      GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL));
	if (ret)
		goto err_release;
	return 0;

err_release:
	xa_release(&tf->regions, handle);
err_put:
	ta_region_put(r);
	return ret;
}

static long ta_ioc_region_create(struct ta_file *tf, void __user *argp)
{
	struct ta_region_create req;
	struct ta_region *r;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if ((req.flags & ~TA_REGION_FLAGS) || req.reserved)
		return -EINVAL;

	r = ta_region_create(&req);
	if (IS_ERR(r))
		return PTR_ERR(r);
	return ta_file_add(tf, r, argp, &req, sizeof(req));
}

static long ta_ioc_region_clone(struct ta_file *tf, void __user *argp)
{
	struct ta_region_clone req;
	struct ta_region *src, *r;
	struct file *sf;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved)
		return -EINVAL;
	sf = fget(req.src_fd);
	if (!sf)
		return -EBADF;
	src = sf->f_op == &ta_fops ?
	      ta_file_region(sf->private_data, req.src_handle) : NULL;
	fput(sf);
	if (!src)
		return -ENOENT;
	r = ta_region_clone(src, &req);
	ta_region_put(src);
	if (IS_ERR(r))
		return PTR_ERR(r);
	return ta_file_add(tf, r, argp, &req, sizeof(req));
}

static long ta_ioc_region_free(struct ta_file *tf, void __user *argp)
{
	struct ta_region_free req;
	struct ta_region *r;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved)
		return -EINVAL;
	r = xa_erase(&tf->regions, req.handle);
	if (!r)
		return -ENOENT;
	ta_region_put(r);
	return 0;
}

/*
 * REGION_INFO with the caller's struct size @usize (the ioctl number's):
 * the first min(@usize, ours) bytes of our answer, a longer tail zeroed.
 */
static long ta_ioc_region_info(struct ta_file *tf, void __user *argp,
			       size_t usize)
{
	struct ta_region_info info;
	size_t n = min(usize, sizeof(info));
	struct ta_region *r;
	u32 handle;

	if (usize < TA_REGION_INFO_SIZE_V1 || usize % sizeof(u64))
		return -ENOTTY;
	if (get_user(handle, (u32 __user *)argp))
		return -EFAULT;
	r = ta_file_region(tf, handle);
	if (!r)
		return -ENOENT;
	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ta_region_info(r, &info);
	ta_auto_info(r, &info);
	ta_region_put(r);
	if (copy_to_user(argp, &info, n))
		return -EFAULT;
	return clear_user(argp + n, usize - n) ? -EFAULT : 0;
}

static long ta_ioc_region_move(struct ta_file *tf, void __user *argp)
{
	struct ta_region_move req;
	struct ta_region *r;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	r = ta_file_region(tf, req.handle);
	if (!r)
		return -ENOENT;
	req.moved_bytes = 0;
	req.skipped_pages = 0;
	req.huge_fallbacks = 0;
	ret = ta_region_move(r, &req);
	ta_region_put(r);
	/* An interrupted move still reports how far it got. */
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return ret;
}

static long ta_ioc_region_discard(struct ta_file *tf, void __user *argp)
{
	struct ta_region_discard req;
	struct ta_region *r;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	r = ta_file_region(tf, req.handle);
	if (!r)
		return -ENOENT;
	ret = ta_region_discard(r, &req);
	ta_region_put(r);
	return ret;
}

static long ta_ioc_get_tier(void __user *argp)
{
	struct ta_tier_config cfg;
	u32 tier;

	if (get_user(tier, (u32 __user *)argp))
		return -EFAULT;
	if (tier >= TA_NR_TIERS)
		return -EINVAL;
	ta_tier_get(tier, &cfg);
	return copy_to_user(argp, &cfg, sizeof(cfg)) ? -EFAULT : 0;
}

static long ta_ioc_set_tier(void __user *argp)
{
	struct ta_tier_config cfg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	return ta_tier_set(&cfg);
}

/*
 * A caller built for an older struct ta_stats, with k fields per tier
 * (24 <= k < TA_STAT_NR, see the UAPI), gets that layout: each tier's
 * first k fields.  Returns how many bytes to copy out.
 */
static size_t ta_stats_layout(struct ta_stats *st, u32 size)
{
	const size_t row = TA_NR_TIERS * sizeof(u64);
	u64 *v = (u64 *)st->tier;
	size_t k;
	u32 t;

	if (size < TA_STATS_SIZE(24) || size >= sizeof(*st) ||
	    (size - TA_STATS_SIZE(0)) % row)
		return min_t(size_t, size, sizeof(*st));
	k = (size - TA_STATS_SIZE(0)) / row;
	for (t = 1; t < TA_NR_TIERS; t++)
		memmove(v + t * k, v + t * TA_STAT_NR, k * sizeof(u64));
	return size;
}

static long ta_ioc_get_stats(void __user *argp)
{
	struct ta_stats_query q;
	struct ta_stats *st;
	long ret = 0;

	if (copy_from_user(&q, argp, sizeof(q)))
		return -EFAULT;
	if (q.reserved)
		return -EINVAL;
	if (q.size) {
		st = kmalloc(sizeof(*st), GFP_KERNEL);
		if (!st)
			return -ENOMEM;
		ta_stats_fill(st);
		if (copy_to_user(u64_to_user_ptr(q.stats_ptr), st,
				 ta_stats_layout(st, q.size)))
			ret = -EFAULT;
		kfree(st);
		if (ret)
			return ret;
	}
	q.size = sizeof(struct ta_stats);
	return copy_to_user(argp, &q, sizeof(q)) ? -EFAULT : 0;
}

static long ta_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ta_file *tf = file->private_data;
	void __user *argp = (void __user *)arg;

	/* Size-versioned: any size from TA_REGION_INFO_SIZE_V1 up (uapi). */
	if (_IOC_TYPE(cmd) == TA_IOC_MAGIC &&
	    _IOC_NR(cmd) == _IOC_NR(TA_IOC_REGION_INFO) &&
	    _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE))
		return ta_ioc_region_info(tf, argp, _IOC_SIZE(cmd));

	switch (cmd) {
	case TA_IOC_VERSION: {
		struct ta_version v = {
			.abi_version = TIERALLOC_ABI_VERSION,
			.nr_tiers = TA_NR_TIERS,
			.features = TA_FEAT_HUGE | TA_FEAT_MIGRATE |
				    TA_FEAT_DISCARD | TA_FEAT_CLONE | TA_FEAT_AUTO |
				    (TA_PMD_MAP ? TA_FEAT_HUGE_PMD : 0),
		};

		return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
	}
	case TA_IOC_REGION_CREATE:
		return ta_ioc_region_create(tf, argp);
	case TA_IOC_REGION_FREE:
		return ta_ioc_region_free(tf, argp);
	case TA_IOC_REGION_MOVE:
		return ta_ioc_region_move(tf, argp);
	case TA_IOC_GET_TIER:
		return ta_ioc_get_tier(argp);
	case TA_IOC_SET_TIER:
		return ta_ioc_set_tier(argp);
	case TA_IOC_GET_STATS:
		return ta_ioc_get_stats(argp);
	case TA_IOC_REGION_DISCARD:
		return ta_ioc_region_discard(tf, argp);
	case TA_IOC_REGION_CLONE:
		return ta_ioc_region_clone(tf, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ta_fops = {
	.owner		= THIS_MODULE,
	.open		= ta_open,
	.release	= ta_release,
	.mmap		= ta_mmap,
#if TA_PMD_MAP
	/* 2 MiB aligned addresses, so that HUGE chunks can take a PMD. */
	.get_unmapped_area = thp_get_unmapped_area,
#endif
	.unlocked_ioctl	= ta_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ta_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "tieralloc",
	.fops	= &ta_fops,
	/* Allocating within the caps and reading stats need no privilege. */
	.mode	= 0666,
	.groups	= ta_sysfs_groups,
};

static int __init ta_init(void)
{
	int ret;

	ret = ta_stats_init();
	if (ret)
		return ret;
	ret = ta_tiers_init();
	if (ret)
		goto err_stats;
	ta_limits_init();
	ret = ta_regions_init();
	if (ret)
		goto err_stats;
	ret = ta_sysfs_init();
	if (ret)
		goto err_regions;
	ta_auto_init();
	ret = ta_hotplug_init();
	if (ret)
		goto err_sysfs;
	ret = misc_register(&ta_misc);
	if (ret)
		goto err_hotplug;
	return 0;

err_hotplug:
	ta_hotplug_exit();
err_sysfs:
	ta_sysfs_exit();
err_regions:
	ta_regions_exit();
err_stats:
	ta_stats_exit();
	return ret;
}

/* Every open file and mapping pins the module, so no region is left here. */
static void __exit ta_exit(void)
{
	misc_deregister(&ta_misc);
	ta_hotplug_exit();
	/* No region is left, so the scanner is idle; wait for a last pass. */
	ta_auto_exit();
	ta_sysfs_exit();
	ta_regions_exit();
	ta_limits_exit();
	ta_stats_exit();
}

module_init(ta_init);
module_exit(ta_exit);

MODULE_DESCRIPTION("TierAlloc: tiered memory regions");
MODULE_AUTHOR("TierAlloc developers");
MODULE_LICENSE("GPL");
