// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc limits for users without CAP_SYS_RESOURCE, so that one local
 * user cannot take from the others what the module hands out:
 *
 *  max_regions_per_user  live regions of one user (real uid): the handle
 *                        space (about 8.4 M) and the metadata behind it.
 *  max_bytes_per_user    the sum of the sizes of one user's live regions,
 *                        populated or not (0: no limit).
 *  unpriv_reserve        memory their regions' pages may never take: a
 *                        page allocation that would leave less than this
 *                        available (MemAvailable, si_mem_available()) fails.
 *
 * Over the first two, creating or cloning a region fails with -EDQUOT.
 * Under the reserve, POPULATE and CLONE fail with -ENOMEM and a first
 * touch gets SIGBUS, as at memory.max.  The reserve is what keeps a
 * bystander alive on a machine without memory cgroups: the OOM killer
 * ranks tasks by what they map, and a region's pages may be held
 * unmapped, in no process's RSS (as tmpfs pages are).  TierAlloc itself
 * never OOM-kills (see ta_alloc_chunk()), so without the reserve a small
 * process holding populated regions could leave the machine short and
 * have the OOM killer pick somebody else; with it the holder is refused
 * while the rest of the machine still has the reserve.  Moves are exempt:
 * they free what they allocate.
 *
 * The sizes take the same strict syntax as the tiers' sysfs files
 * (ta_parse_size()); all three are root-writable module parameters.
 */
#include <linux/capability.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "compat.h"
#include "ta.h"

static unsigned int max_regions_per_user = 65536;
module_param(max_regions_per_user, uint, 0644);
MODULE_PARM_DESC(max_regions_per_user,
		 "Live regions one user may hold (0: no limit; default 65536)");

static u64 max_bytes_per_user;
static u64 unpriv_reserve = U64_MAX;	/* U64_MAX: not set, see below */

static int ta_param_set_size(const char *val, const struct kernel_param *kp)
{
	u64 v;
	int ret = ta_parse_size(val, &v);

	if (ret)
		return ret;
	WRITE_ONCE(*(u64 *)kp->arg, v);
	return 0;
}

static int ta_param_get_size(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(*(u64 *)kp->arg));
}

static const struct kernel_param_ops ta_param_size_ops = {
	.set = ta_param_set_size,
	.get = ta_param_get_size,
};

module_param_cb(max_bytes_per_user, &ta_param_size_ops, &max_bytes_per_user,
		0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Bytes of live regions one user may hold (0: no limit; default 0)");
module_param_cb(unpriv_reserve, &ta_param_size_ops, &unpriv_reserve, 0644);
MODULE_PARM_DESC(unpriv_reserve,
		 "Available memory unprivileged regions never take (0: none; default 1/16 of RAM)");

/* What one user holds; the entry goes when its last region does. */
struct ta_user {
	unsigned long regions;
	u64 bytes;
};

static DEFINE_MUTEX(ta_users_lock);
static DEFINE_XARRAY(ta_users);		/* uid -> struct ta_user */

/* Would @u holding one more region of @bytes go over a limit? */
static bool ta_user_over(const struct ta_user *u, u64 bytes)
{
	unsigned int max = READ_ONCE(max_regions_per_user);
	u64 max_bytes = READ_ONCE(max_bytes_per_user);

	if (max && u->regions >= max)
		return true;
	return max_bytes && (u->bytes > max_bytes || bytes > max_bytes - u->bytes);
}

/*
 * Count a region of @bytes against @uid: -EDQUOT over a limit (unless
 * @privileged), -ENOMEM if the user's entry cannot be made.
 */
int ta_user_charge(kuid_t uid, u64 bytes, bool privileged)
{
	unsigned long idx = __kuid_val(uid);
	struct ta_user *u;
	int ret = 0;

	mutex_lock(&ta_users_lock);
	u = xa_load(&ta_users, idx);
	if (!u) {
		u = kzalloc(sizeof(*u), GFP_KERNEL | __GFP_RETRY_MAYFAIL);
		ret = u ? xa_err(xa_store(&ta_users, idx, u,
					  GFP_KERNEL | __GFP_RETRY_MAYFAIL)) :
			  -ENOMEM;
		if (ret) {
			kfree(u);
			goto out;
		}
	}
	if (!privileged && ta_user_over(u, bytes)) {
		ret = -EDQUOT;
	} else {
		u->regions++;
		u->bytes += bytes;
	}
	if (!u->regions) {
		xa_erase(&ta_users, idx);
		kfree(u);
	}
out:
	mutex_unlock(&ta_users_lock);
	return ret;
}

/* Undo one ta_user_charge(@uid, @bytes) that succeeded. */
void ta_user_uncharge(kuid_t uid, u64 bytes)
{
	unsigned long idx = __kuid_val(uid);
	struct ta_user *u;

	mutex_lock(&ta_users_lock);
	u = xa_load(&ta_users, idx);
	if (!WARN_ON_ONCE(!u || !u->regions)) {
		u->regions--;
		u->bytes -= min(bytes, u->bytes);
		if (!u->regions) {
			xa_erase(&ta_users, idx);
			kfree(u);
		}
	}
	mutex_unlock(&ta_users_lock);
}

/*
 * May @r's pages grow by @nr_pages?  Always for a privileged creator's
 * region; otherwise only while that leaves unpriv_reserve available.
 * si_mem_available() is a handful of counter reads, paid once per fill.
 */
bool ta_reserve_allows(const struct ta_region *r, unsigned long nr_pages)
{
	u64 reserve = READ_ONCE(unpriv_reserve) >> PAGE_SHIFT;
	long avail;

	if (r->privileged || !reserve)
		return true;
	avail = si_mem_available();
	return avail > 0 && (u64)avail >= reserve + nr_pages;
}

/*
 * Is @memcg, which a new region will charge, charged for real?
 * __GFP_ACCOUNT charges nothing when kernel memory accounting is off
 * (cgroup.memory=nokmem): say so once, as memory.max then does not hold
 * for region pages.  Only for a cgroup below the root: the root is never
 * charged, and the kernel turns accounting on with the first cgroup.
 */
void ta_limits_check_memcg(struct mem_cgroup *memcg)
{
	if (ta_memcg_below_root(memcg) && !ta_memcg_kmem_online())
		pr_warn_once("tieralloc: kernel memory accounting is off (cgroup.memory=nokmem): region pages are not charged to memory cgroups\n");
}

void ta_limits_init(void)
{
	if (READ_ONCE(unpriv_reserve) == U64_MAX)
		WRITE_ONCE(unpriv_reserve,
			   ((u64)totalram_pages() << PAGE_SHIFT) / 16);
}

void ta_limits_exit(void)
{
	struct ta_user *u;
	unsigned long idx;

	/* Every region is gone: nothing should be left, free what is. */
	xa_for_each(&ta_users, idx, u)
		kfree(u);
	xa_destroy(&ta_users);
}
