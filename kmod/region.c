// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc regions: creation, page allocation on the tier's node, mmap and
 * page faults, and teardown.
 *
 * All regions live in one private address_space (an anonymous inode on a
 * pseudo filesystem, the DRM/TTM "fake offset" pattern).  Region N owns the
 * offsets [N << TA_REGION_SHIFT, +size), so every mapping of it, in any
 * process, can be found and zapped with unmap_mapping_range() when its pages
 * move.
 *
 * Pages are ordinary refcounted pages, never on the LRU and with no
 * ->mapping, so move_pages(2), numa_maps and get_user_pages() see and pin
 * them like any other page while reclaim, compaction and THP splitting
 * leave them alone; NUMA balancing, which scans the mappings where they
 * are not VM_MIXEDMAP, may take hint faults on them but cannot isolate,
 * so cannot move, them.  A 2 MiB chunk of a HUGE region is one
 * compound folio (or, when no 2 MiB block was free, 512 order-0 pages):
 * it lives on one tier, moves as a whole and is mapped by a single fault,
 * with one PMD where the kernel allows a driver to (TA_PMD_MAP, see
 * compat.h; with THP not "never"), else with 512 PTEs.  The region holds
 * one reference per folio, taken on behalf of all its entries in @pages.
 */
#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "ta.h"

#define TA_FS_MAGIC	0x7461616c	/* "taal" */

static struct vfsmount *ta_mnt;
static int ta_mnt_count;
static struct inode *ta_inode;
struct address_space *ta_mapping;

/* Handles are small integers; the mmap offset is handle << TA_REGION_SHIFT. */
static DEFINE_IDA(ta_handle_ida);
#define TA_MAX_HANDLE	((1U << (63 - TA_REGION_SHIFT)) - 1)

/* Every region with metadata, for memory offline (ta_regions_evacuate()). */
static LIST_HEAD(ta_region_list);
static DEFINE_MUTEX(ta_region_list_lock);

static int ta_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, TA_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the internal mount lives from module init to exit, and a
 * module reference from it would make the module impossible to unload.
 */
static struct file_system_type ta_fs_type = {
	.name		 = "tieralloc",
	.init_fs_context = ta_fs_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

int ta_regions_init(void)
{
	int ret;

	ret = simple_pin_fs(&ta_fs_type, &ta_mnt, &ta_mnt_count);
	if (ret)
		return ret;
	ta_inode = alloc_anon_inode(ta_mnt->mnt_sb);
	if (IS_ERR(ta_inode)) {
		simple_release_fs(&ta_mnt, &ta_mnt_count);
		return PTR_ERR(ta_inode);
	}
	ta_mapping = ta_inode->i_mapping;
	return 0;
}

void ta_regions_exit(void)
{
	iput(ta_inode);
	simple_release_fs(&ta_mnt, &ta_mnt_count);
}

/*
 * Allocate 2^@order pages of @r on @nid and nowhere else, as one folio,
 * zeroed unless the caller overwrites them whole, and charged to @r's
 * memory cgroup whoever runs this.
 *
 * Over memory.max this reclaims and then fails: never an OOM kill, in the
 * cgroup (__GFP_RETRY_MAYFAIL) or machine-wide (__GFP_THISNODE).  The OOM
 * killer ranks tasks by what they map, and a region's pages may be held
 * unmapped: it would pick a bystander.  So a fault gets SIGBUS and an
 * ioctl -ENOMEM instead, as hugetlbfs does.  Huge chunks do not retry
 * hard: a 4 KiB fallback beats a long compaction stall in a page fault.
 */
struct page *ta_alloc_chunk(struct ta_region *r, int nid, unsigned int order,
			    bool zero)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_THISNODE | __GFP_NOWARN |
		    ta_hotplug_gfp(nid);	/* GFP flags: see ta.h */
	struct mem_cgroup *old;
	struct page *page;

	if (zero)
		gfp |= __GFP_ZERO;
	gfp |= order ? __GFP_COMP | __GFP_NORETRY : __GFP_RETRY_MAYFAIL;
	old = set_active_memcg(r->memcg);
	page = alloc_pages_node(nid, gfp, order);
	set_active_memcg(old);
	return page;
}

/*
 * Drop the region's references to the pages at [first, last) and clear
 * their entries.  A 2 MiB folio's one reference goes with its first entry,
 * which covers the folio's other entries: no page is looked at after its
 * put.  move_lock is held for write, or the region is dead.
 */
static void ta_region_drop(struct ta_region *r, unsigned long first,
			   unsigned long last)
{
	unsigned long i, j, n;

	for (i = first; i < last; i += n) {
		struct page *page = r->pages[i];

		n = 1;
		if (!page)
			continue;
		if (PageHead(page))
			n = TA_HUGE_NR;
		for (j = i; j < i + n; j++) {
			ta_stat_add(r->page_tier[j], TA_STAT_RESIDENT_BYTES,
				    -(s64)PAGE_SIZE);
			WRITE_ONCE(r->pages[j], NULL);
		}
		put_page(page);
		if (n > 1 || (i & 511) == 511)
			cond_resched();
	}
}

/* Do the pages of the chunk [first, first + n) all belong to one tier? */
static bool ta_chunk_one_tier(const struct ta_region *r, unsigned long first,
			      unsigned long n)
{
	return !memchr_inv(&r->page_tier[first], r->page_tier[first], n);
}

static void ta_count_resident(struct ta_region *r, unsigned long first,
			      unsigned long n, s64 sign)
{
	unsigned long i;

	for (i = first; i < first + n; i++)
		ta_stat_add(r->page_tier[i], TA_STAT_RESIDENT_BYTES,
			    sign * (s64)PAGE_SIZE);
}

/*
 * Give the chunk of pages [first, first + n) its pages: zeroed, or copies
 * of @src's pages at the same indices (a clone).  Every page goes to the
 * node of its own tier: a chunk whose pages were partly moved (a pinned
 * page stayed behind) gets 4 KiB pages on each page's node, never the
 * whole chunk on one.  Called with move_lock held for read; racing faults
 * on the same chunk allocate in parallel and the loser frees its pages.
 * The chunk is published whole under pages_lock, its first entry last with
 * release semantics (see ta_chunk_present()).  Returns 1 if this call
 * published the chunk, 0 if a racing fill did, or -ENOMEM (no memory, or
 * none an unprivileged region may take: ta_reserve_allows()).
 */
static int ta_region_fill(struct ta_region *r, unsigned long first,
			  unsigned long n, struct ta_region *src)
{
	u32 tier = r->page_tier[first];
	bool one_tier = ta_chunk_one_tier(r, first, n);
	struct page **tmp = NULL;
	struct page *page = NULL;
	unsigned long i;
	bool split;

	/* Under the reserve an unprivileged region gets nothing (limits.c). */
	if (!ta_reserve_allows(r, n))
		return ta_chunk_present(r, first) ? 0 : -ENOMEM;
	if (n == 1) {
		page = ta_alloc_chunk(r, ta_tier_node(tier), 0, !src);
		if (!page)
			return -ENOMEM;
		if (src)
			copy_highpage(page, src->pages[first]);
		/* A full barrier: publishes the page's contents too. */
		if (cmpxchg(&r->pages[first], NULL, page)) {
			__free_page(page);
			return 0;
		}
		ta_count_resident(r, first, 1, 1);
		return 1;
	}

	if (one_tier)
		page = ta_alloc_chunk(r, ta_tier_node(tier), TA_HUGE_ORDER, !src);
	if (!page) {
		/* No 2 MiB block (or several tiers): 4 KiB pages, each on its node. */
		tmp = kmalloc_array(n, sizeof(*tmp),
				    GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!tmp)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			tmp[i] = ta_alloc_chunk(r, ta_tier_node(r->page_tier[first + i]),
						0, !src);
			if (!tmp[i])
				goto fail;
		}
	}
	split = !page;
	for (i = 0; src && i < n; i++)
		copy_highpage(split ? tmp[i] : page + i, src->pages[first + i]);
	/* A folio holds one reference for all its entries (ta_region_drop()). */

	spin_lock(&r->pages_lock);
	if (r->pages[first]) {
		spin_unlock(&r->pages_lock);
		i = n;
		goto fail;
	}
	for (i = n - 1; i > 0; i--)
		WRITE_ONCE(r->pages[first + i], split ? tmp[i] : page + i);
	/* Pairs with ta_chunk_present(): the first entry goes last. */
	smp_store_release(&r->pages[first], split ? tmp[0] : page);
	spin_unlock(&r->pages_lock);

	kfree(tmp);
	if (one_tier)
		ta_stat_add(tier, split ? TA_STAT_HUGE_FALLBACKS : TA_STAT_HUGE_PAGES, 1);
	ta_count_resident(r, first, n, 1);
	return 1;

fail:
	if (tmp) {
		while (i--)
			__free_page(tmp[i]);
		kfree(tmp);
		return READ_ONCE(r->pages[first]) ? 0 : -ENOMEM;
	}
	put_page(page);
	return 0;
}

static unsigned long ta_chunk_pages(const struct ta_region *r)
{
	return r->flags & TA_REGION_HUGE ? TA_HUGE_NR : 1;
}

/*
 * The region's metadata, once its creator holds a reservation and a
 * per-user count for it: charged to the creator's memory cgroup, whose
 * reference the region keeps to charge its pages later.
 */
static struct ta_region *ta_region_alloc(unsigned long nr_pages, u32 flags,
					 kuid_t owner, bool privileged)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
	struct ta_region *r;
	int ret;

	r = kzalloc(sizeof(*r), gfp);
	if (!r)
		return ERR_PTR(-ENOMEM);
	kref_init(&r->kref);
	init_rwsem(&r->move_lock);
	spin_lock_init(&r->pages_lock);
	r->flags = flags;
	r->nr_pages = nr_pages;
	r->owner = owner;
	r->privileged = privileged;
	r->pages = kvcalloc(r->nr_pages, sizeof(*r->pages), gfp);
	r->page_tier = kvmalloc(r->nr_pages, gfp);
	ret = -ENOMEM;
	if (!r->pages || !r->page_tier)
		goto err_free;
	if (flags & TA_REGION_AUTO) {
		ret = ta_auto_alloc(r, gfp);
		if (ret)
			goto err_free;
	}

	ret = ida_alloc_range(&ta_handle_ida, 1, TA_MAX_HANDLE, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	r->handle = ret;
	r->pgoff = (pgoff_t)r->handle << (TA_REGION_SHIFT - PAGE_SHIFT);
	r->memcg = get_mem_cgroup_from_mm(current->mm);
	ta_limits_check_memcg(r->memcg);
	mutex_lock(&ta_region_list_lock);
	list_add_tail(&r->list, &ta_region_list);
	mutex_unlock(&ta_region_list_lock);
	return r;

err_free:
	ta_auto_release(r);
	kvfree(r->page_tier);
	kvfree(r->pages);
	kfree(r);
	return ERR_PTR(ret);
}

/* Free what ta_region_alloc() made; the region holds no page any more. */
static void ta_region_free_meta(struct ta_region *r)
{
	ta_auto_release(r);
	mutex_lock(&ta_region_list_lock);
	list_del(&r->list);
	mutex_unlock(&ta_region_list_lock);
	mem_cgroup_put(r->memcg);
	ida_free(&ta_handle_ida, r->handle);
	kvfree(r->page_tier);
	kvfree(r->pages);
	kfree(r);
}

/* Give back a reservation of @res[t] bytes on each tier t. */
static void ta_unreserve_all(const u64 *res)
{
	u32 t;

	for (t = 0; t < TA_NR_TIERS; t++)
		if (res[t])
			ta_tier_unreserve(t, res[t]);
}

static void ta_region_release(struct kref *kref)
{
	struct ta_region *r = container_of(kref, struct ta_region, kref);
	u64 size = (u64)r->nr_pages << PAGE_SHIFT;

	/* No mapping is left: only pins may still hold pages. */
	ta_region_drop(r, 0, r->nr_pages);
	ta_unreserve_all(r->reserved);

	ta_stat_add(r->tier, TA_STAT_REGIONS, -1);
	ta_stat_add(r->tier, TA_STAT_FREE_CALLS, 1);
	ta_stat_add(r->tier, TA_STAT_BYTES_FREED, size);
	atomic64_dec(&ta_live_regions);
	ta_user_uncharge(r->owner, size);
	ta_region_free_meta(r);
}

void ta_region_put(struct ta_region *r)
{
	kref_put(&r->kref, ta_region_release);
}

/*
 * One pass of memory offline over every live region (ta_regions_evacuate()).
 * The list lock is held only to step from one region to the next: each
 * region is worked on with a reference of its own, dropped once the next
 * one is held, so that the last put (which takes the list lock) never runs
 * under it.  A region whose last reference is gone is being freed, pages
 * and all: skipped.
 */
static int ta_regions_walk(unsigned long start_pfn, unsigned long end_pfn,
			   struct page **scratch, struct ta_evac *ev)
{
	struct ta_region *r, *prev = NULL;
	int ret = 0;

	mutex_lock(&ta_region_list_lock);
	list_for_each_entry(r, &ta_region_list, list) {
		if (!kref_get_unless_zero(&r->kref))
			continue;
		mutex_unlock(&ta_region_list_lock);
		if (prev)
			ta_region_put(prev);
		prev = r;
		if (signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
		ta_region_evacuate(r, start_pfn, end_pfn, scratch, ev);
		mutex_lock(&ta_region_list_lock);
	}
	mutex_unlock(&ta_region_list_lock);
out:
	if (prev)
		ta_region_put(prev);
	return ret;
}

/*
 * A page held when offline looks may be held only for a moment: an munmap
 * drops its references after the TLB flush, a get_user_pages() copies
 * and lets go.  The first pass is tried again this often, this long apart,
 * before a held page refuses the offline (the kernel's own offline
 * migration retries likewise, but until a signal).
 */
#define TA_EVAC_RETRIES		4
#define TA_EVAC_RETRY_MS	20

/*
 * Memory offline of [start_pfn, end_pfn) (hotplug.c): move the pages every
 * live region has there elsewhere on their node.  What finds no room on its
 * node is routed to a slower tier only in a second pass, and only if the
 * first found nothing held: an offline that a pinned page refuses anyway
 * sends nobody's pages to a slower tier (a pin taken between the passes
 * still can).  @ev counts the pages left in the range (pinned, or nowhere
 * to go) and those routed to another tier.  Returns 0, or -EINTR on a
 * signal (offlining is interruptible), -ENOMEM.  Pages moved stay where
 * they went if the offline fails later on (MEM_CANCEL_OFFLINE is not
 * undone): on their node, or routed.
 */
int ta_regions_evacuate(unsigned long start_pfn, unsigned long end_pfn,
			struct ta_evac *ev)
{
	struct page **scratch;
	int pass, ret;

	/* For a 2 MiB chunk moved as 4 KiB pages when no folio is free. */
	scratch = kmalloc_array(TA_HUGE_NR, sizeof(*scratch), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	ev->route = false;
	nodes_clear(ev->nomem_nodes);
	for (pass = 0;; pass++) {
		ev->retry = pass > 0;
		ev->pinned = 0;
		ev->unplaced = 0;
		ret = ta_regions_walk(start_pfn, end_pfn, scratch, ev);
		if (ret || !ev->pinned || pass == TA_EVAC_RETRIES)
			break;
		msleep(TA_EVAC_RETRY_MS);
	}
	if (!ret && !ev->pinned && ev->unplaced) {
		ev->retry = false;
		ev->route = true;
		ret = ta_regions_walk(start_pfn, end_pfn, scratch, ev);
	}
	kfree(scratch);
	return ret;
}

/*
 * Allocate every page now.  Tokens are charged chunk by chunk for the work
 * done; a fatal signal (an OOM kill) stops it at the next chunk.
 */
static int ta_region_populate(struct ta_region *r)
{
	unsigned long n = ta_chunk_pages(r), i;
	u64 bytes = (u64)n << PAGE_SHIFT, added;
	int ret;

	for (i = 0; i < r->nr_pages; i += n) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = ta_throttle(r->tier, bytes, false, &added);
		if (ret)
			return ret;
		down_read(&r->move_lock);	/* for memory offline: see ta.h */
		ret = ta_region_fill(r, i, n, NULL);
		up_read(&r->move_lock);
		if (ret < 0) {
			ta_throttle_refund(r->tier, added);
			ta_stat_add(r->tier, TA_STAT_FAULT_FAILURES, 1);
			return ret;
		}
		cond_resched();
	}
	return 0;
}

/* @r holds its reservation: count it; ta_region_release() undoes this. */
static void ta_region_born(struct ta_region *r)
{
	ta_stat_add(r->tier, TA_STAT_REGIONS, 1);
	ta_stat_add(r->tier, TA_STAT_ALLOC_CALLS, 1);
	ta_stat_add(r->tier, TA_STAT_BYTES_ALLOCATED,
		    (u64)r->nr_pages << PAGE_SHIFT);
	atomic64_inc(&ta_live_regions);
}

/*
 * Create a region.  The order makes every step reachable only when the one
 * before it holds: the per-user count, then the capacity reservation, and
 * only then the metadata (which can be large for a large region), so a
 * request that a cap or a limit refuses allocates nothing.
 */
struct ta_region *ta_region_create(struct ta_region_create *req)
{
	u64 unit = req->flags & TA_REGION_HUGE ? TA_HUGE_SIZE : PAGE_SIZE;
	bool privileged = capable(CAP_SYS_RESOURCE);
	kuid_t uid = current_uid();
	u32 flags = req->flags;
	struct ta_region *r;
	u32 tier, result;
	u64 size;
	int ret;

	if (!req->size || req->size > TA_REGION_MAX_SIZE)
		return ERR_PTR(-EINVAL);
	/* The hint that lets the module decide is an AUTO region (UAPI). */
	if (!(flags & TA_REGION_TIER) && req->placement == TA_HINT_AUTO)
		flags |= TA_REGION_AUTO;
	/* An explicit placement never moves by itself (see the UAPI). */
	if ((flags & TA_REGION_AUTO) &&
	    ((flags & TA_REGION_TIER) || req->placement == TA_HINT_PIN_FAST))
		return ERR_PTR(-EINVAL);
	size = round_up(req->size, unit);
	if ((size >> PAGE_SHIFT) > totalram_pages())
		return ERR_PTR(-ENOMEM);

	ret = ta_user_charge(uid, size, privileged);
	if (ret)
		return ERR_PTR(ret);
	ret = ta_tier_grant(req->placement, flags, size, &tier, &result);
	if (ret)
		goto err_user;
	r = ta_region_alloc(size >> PAGE_SHIFT,
			    flags & (TA_REGION_HUGE | TA_REGION_POPULATE |
				     TA_REGION_AUTO),
			    uid, privileged);
	if (IS_ERR(r)) {
		ta_tier_unreserve(tier, size);
		ret = PTR_ERR(r);
		goto err_user;
	}
	r->tier = tier;
	r->pin_fast = !(req->flags & TA_REGION_TIER) &&
		    req->placement == TA_HINT_PIN_FAST;
	memset(r->page_tier, r->tier, r->nr_pages);
	r->reserved[r->tier] = size;
	ta_region_born(r);

	if (r->flags & TA_REGION_POPULATE) {
		ret = ta_region_populate(r);
		if (ret) {
			/* Release undoes the reservation and the counters. */
			ta_region_put(r);
			return ERR_PTR(ret == -EINTR ? -EINTR : -ENOMEM);
		}
	}

	req->result = result;
	req->tier = r->tier;
	req->handle = r->handle;
	req->offset = TA_REGION_OFFSET(r->handle);
	req->granted_size = size;
	ta_auto_register(r);
	return r;

err_user:
	ta_user_uncharge(uid, size);
	return ERR_PTR(ret);
}

/* Reserve @res[] on exactly those tiers, all or nothing. */
static int ta_reserve_all(const u64 *res)
{
	u32 t;

	for (t = 0; t < TA_NR_TIERS; t++) {
		if (res[t] && ta_tier_reserve(t, res[t])) {
			while (t--)
				if (res[t])
					ta_tier_unreserve(t, res[t]);
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Copy every page @src has into a new region (TA_IOC_REGION_CLONE), on the
 * tiers the source's pages had when the clone began.  The reservation and
 * the metadata are taken with the source's move_lock held for read, so the
 * per-tier split copied is the one reserved.  Each chunk is copied with
 * move_lock held for read too, so no migration or discard replaces or
 * frees its pages meanwhile; faults may still add some (a chunk is
 * published whole, so one seen present is present entirely).  A fatal
 * signal stops the copy at the next chunk.
 */
struct ta_region *ta_region_clone(struct ta_region *src,
				  struct ta_region_clone *req)
{
	unsigned long n = ta_chunk_pages(src), i;
	u64 bytes = (u64)n << PAGE_SHIFT, added, res[TA_NR_TIERS];
	u64 size = (u64)src->nr_pages << PAGE_SHIFT;
	bool privileged = capable(CAP_SYS_RESOURCE);
	kuid_t uid = current_uid();
	struct ta_region *r;
	u64 copied = 0;
	int ret;

	ret = ta_user_charge(uid, size, privileged);
	if (ret)
		return ERR_PTR(ret);
	down_read(&src->move_lock);
	/* The split reserved is the split copied: both under move_lock. */
	memcpy(res, src->reserved, sizeof(res));
	ret = ta_reserve_all(res);
	if (ret) {
		up_read(&src->move_lock);
		goto err_user;
	}
	r = ta_region_alloc(src->nr_pages,
			    src->flags & (TA_REGION_HUGE | TA_REGION_AUTO), uid,
			    privileged);
	if (IS_ERR(r)) {
		up_read(&src->move_lock);
		ret = PTR_ERR(r);
		ta_unreserve_all(res);
		goto err_user;
	}
	memcpy(r->reserved, res, sizeof(r->reserved));
	r->tier = src->tier;
	r->pin_fast = src->pin_fast;
	memcpy(r->page_tier, src->page_tier, r->nr_pages);
	ta_region_born(r);

	for (i = 0; i < r->nr_pages; i += n) {
		if (!ta_chunk_present(src, i))
			continue;
		/*
		 * An enforcing tier makes us wait for tokens: never with
		 * move_lock held (a waiting mover would stall every fault
		 * behind it).  The chunk may be discarded meanwhile.
		 */
		up_read(&src->move_lock);
		ret = fatal_signal_pending(current) ? -EINTR :
		      ta_throttle(r->page_tier[i], bytes, true, &added);
		down_read(&src->move_lock);
		if (ret)
			break;
		/* Still there?  If not, nothing was copied: no charge. */
		ret = -ENODATA;
		if (ta_chunk_present(src, i)) {
			/* Two regions' locks, in this order only: see ta.h. */
			down_read_nested(&r->move_lock, SINGLE_DEPTH_NESTING);
			ret = ta_region_fill(r, i, n, src);
			up_read(&r->move_lock);
		}
		if (ret < 0)
			ta_throttle_refund(r->page_tier[i], added);
		if (ret == -ENODATA) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		ret = 0;
		copied += bytes;
		cond_resched();
	}
	up_read(&src->move_lock);
	if (ret) {
		ta_region_put(r);
		return ERR_PTR(ret == -EINTR ? -EINTR : -ENOMEM);
	}

	req->handle = r->handle;
	req->offset = TA_REGION_OFFSET(r->handle);
	req->size = (u64)r->nr_pages << PAGE_SHIFT;
	req->copied_bytes = copied;
	req->tier = r->tier;
	ta_auto_register(r);
	return r;

err_user:
	ta_user_uncharge(uid, size);
	return ERR_PTR(ret);
}

/*
 * Validate a byte range of @r from user space and turn it into page
 * indices [*first, *last).  Ranges are page aligned, and 2 MiB aligned in
 * HUGE regions, whose chunks are allocated and freed whole; a length of 0
 * means "to the end".
 */
int ta_region_range(struct ta_region *r, u64 offset, u64 length,
		    unsigned long *first, unsigned long *last)
{
	u64 size = (u64)r->nr_pages << PAGE_SHIFT;
	u64 align = r->flags & TA_REGION_HUGE ? TA_HUGE_SIZE : PAGE_SIZE;
	u64 len = length ? length : size - min(offset, size);

	if (!IS_ALIGNED(offset, align) || !IS_ALIGNED(len, align) ||
	    offset >= size || len > size - offset)
		return -EINVAL;
	*first = offset >> PAGE_SHIFT;
	*last = *first + (len >> PAGE_SHIFT);
	return 0;
}

/*
 * Free the pages of a range, keeping the reservation: every mapping is
 * zapped first, so the only reference left is the region's (or a pin's,
 * which keeps its page alive on its own).
 */
int ta_region_discard(struct ta_region *r, struct ta_region_discard *req)
{
	unsigned long first, last;
	int ret;

	if (req->reserved)
		return -EINVAL;
	ret = ta_region_range(r, req->offset, req->length, &first, &last);
	if (ret)
		return ret;

	down_write(&r->move_lock);
	unmap_mapping_range(ta_mapping, (loff_t)(r->pgoff + first) << PAGE_SHIFT,
			    (loff_t)(last - first) << PAGE_SHIFT, 1);
	ta_region_drop(r, first, last);
	up_write(&r->move_lock);
	return 0;
}

void ta_region_info(struct ta_region *r, struct ta_region_info *info)
{
	unsigned long i;
	u32 t, best;

	info->flags = r->flags;
	info->size = (u64)r->nr_pages << PAGE_SHIFT;
	info->offset = TA_REGION_OFFSET(r->handle);
	down_read(&r->move_lock);
	best = r->tier;
	for (t = 0; t < TA_NR_TIERS; t++)
		info->reserved_bytes[t] = r->reserved[t];
	for (i = 0; i < r->nr_pages; i++) {
		if (READ_ONCE(r->pages[i]))
			info->resident_bytes[r->page_tier[i]] += PAGE_SIZE;
		if ((i & 4095) == 4095)
			cond_resched();
	}
	up_read(&r->move_lock);
	for (t = 0; t < TA_NR_TIERS; t++)
		if (info->reserved_bytes[t] > info->reserved_bytes[best])
			best = t;
	info->tier = best;
}

#if TA_PMD_MAP
/*
 * Without VM_MIXEDMAP, vm_insert_pages() may not be called from a fault:
 * insert page by page, each as a fault at its own address would.
 */
static int ta_insert_pages(struct vm_fault *vmf, unsigned long addr,
			   struct page **pages, unsigned long *num)
{
	unsigned long i;

	for (i = 0; i < *num; i++) {
		struct vm_fault v = {
			.vma = vmf->vma,
			.address = addr + (i << PAGE_SHIFT),
		};
		vm_fault_t ret = vmf_insert_page_mkwrite(&v, pages[i], false);

		if (ret != VM_FAULT_NOPAGE)
			return ret == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
	}
	*num = 0;
	return 0;
}

static int ta_insert_page(struct vm_fault *vmf, struct page *page)
{
	unsigned long num = 1;

	return ta_insert_pages(vmf, vmf->address & PAGE_MASK, &page, &num);
}

/* Map the 2 MiB chunk at @first with one PMD; a chunk of 4 KiB pages cannot. */
static vm_fault_t ta_map_pmd(struct vm_fault *vmf, struct ta_region *r,
			     unsigned long first)
{
	struct page *head = r->pages[first];

	if (!PageHead(head))
		return VM_FAULT_FALLBACK;
	return vmf_insert_folio_pmd(vmf, page_folio(head),
				    vmf->flags & FAULT_FLAG_WRITE);
}
#else
static int ta_insert_pages(struct vm_fault *vmf, unsigned long addr,
			   struct page **pages, unsigned long *num)
{
	return vm_insert_pages(vmf->vma, addr, pages, num);
}

static int ta_insert_page(struct vm_fault *vmf, struct page *page)
{
	return vm_insert_page(vmf->vma, vmf->address & PAGE_MASK, page);
}

static vm_fault_t ta_map_pmd(struct vm_fault *vmf, struct ta_region *r,
			     unsigned long first)
{
	return VM_FAULT_FALLBACK;
}
#endif

/*
 * Map the page at region index @idx, or for a HUGE region every page of its
 * 2 MiB chunk that lies inside this VMA, in one go, with PTEs.  move_lock
 * is held.
 */
static vm_fault_t ta_map(struct vm_fault *vmf, struct ta_region *r,
			 unsigned long idx, unsigned long first,
			 unsigned long n)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long vstart = vma->vm_pgoff - r->pgoff;
	unsigned long vend = vstart + vma_pages(vma);
	int err;

	if (n > 1) {
		unsigned long lo = max(first, vstart);
		unsigned long num = min(first + n, vend) - lo;

		err = ta_insert_pages(vmf, vma->vm_start +
				      ((lo - vstart) << PAGE_SHIFT),
				      &r->pages[lo], &num);
		if (!err)
			return VM_FAULT_NOPAGE;
		/* Part of the chunk is still mapped: map just this page. */
	}
	err = ta_insert_page(vmf, r->pages[idx]);
	if (!err || err == -EBUSY)
		return VM_FAULT_NOPAGE;
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/*
 * First touch of the chunk at @first of @tier, whose node has no memory
 * online (TA_TIER_INFO_OFFLINE): the chunk's reservation moves to the tier
 * the policy routes to (ta_tier_route()), counted as a reroute of @tier,
 * and the fault is retried to allocate there.  A tier whose policy fails
 * and a PIN_FAST region give SIGBUS, as a full node does.  mmap_lock is held: the move takes
 * move_lock after it, and nothing is copied, so no tokens are waited for.
 */
static bool ta_fault_reroute(struct ta_region *r, unsigned long first,
			     unsigned long n, u32 tier)
{
	struct ta_region_move m = {
		.offset = (u64)first << PAGE_SHIFT,
		.length = (u64)n << PAGE_SHIFT,
	};
	int t = ta_tier_online(tier) || r->pin_fast ? -1 :
		ta_tier_route(tier, NUMA_NO_NODE);

	if (t < 0)
		return false;
	m.dst_tier = t;
	if (ta_region_move_nowait(r, &m) || !m.moved_bytes)
		return false;
	ta_stat_add(tier, TA_STAT_REROUTES, 1);
	return true;
}

/*
 * Fault at region index @idx, with a PMD if @pmd (@idx starts a chunk):
 * allocate the chunk if it is absent, charge its tokens, map it.  In
 * enforce mode the toucher must then wait for its tokens, but never while
 * holding move_lock or mmap_lock (another user's munmap, mprotect or fork
 * would wait behind it): it drops both, sleeps (bounded, killable) and has
 * the fault retried, which maps the chunk now present.  A fault that may
 * not be retried (some get_user_pages() callers) maps at once.
 */
static vm_fault_t ta_fault(struct vm_fault *vmf, unsigned long idx, bool pmd)
{
	struct ta_region *r = vmf->vma->vm_private_data;
	unsigned long n = ta_chunk_pages(r);
	unsigned long first = round_down(idx, n);
	u64 bytes = (u64)n << PAGE_SHIFT, added;
	vm_fault_t ret;
	u64 wait = 0;
	u32 tier = 0;
	int filled;

	if (idx >= r->nr_pages)
		return VM_FAULT_SIGBUS;
	ta_auto_touch(r, idx);

	down_read(&r->move_lock);
	if (!ta_chunk_present(r, first)) {
		tier = r->page_tier[first];
		filled = ta_region_fill(r, first, n, NULL);
		if (filled < 0) {
			up_read(&r->move_lock);
			if (ta_fault_reroute(r, first, n, tier))
				return VM_FAULT_NOPAGE;
			ta_stat_add(tier, TA_STAT_FAULT_FAILURES, 1);
			return VM_FAULT_SIGBUS;
		}
		/* Only the fault that allocated the chunk pays for it. */
		if (filled)
			wait = ta_throttle_charge(tier, bytes, &added);
	}
	if (wait && ta_fault_may_retry(vmf)) {
		bool intr = vmf->flags & FAULT_FLAG_INTERRUPTIBLE;

		up_read(&r->move_lock);
		ta_fault_unlock(vmf);
		/* The page is ours and stays: its tokens are due either way. */
		ta_throttle_wait(tier, wait, intr);
		return VM_FAULT_RETRY;
	}
	ret = pmd ? ta_map_pmd(vmf, r, first) : ta_map(vmf, r, idx, first, n);
	/* Again once mapped: the scanner zaps only units with the bit set. */
	ta_auto_touch(r, idx);
	up_read(&r->move_lock);
	return ret;
}

static vm_fault_t ta_vm_fault(struct vm_fault *vmf)
{
	struct ta_region *r = vmf->vma->vm_private_data;

	return ta_fault(vmf, vmf->pgoff - r->pgoff, false);
}

#if TA_PMD_MAP
/*
 * The core asks for a PMD where THP allows it (not "never"; "madvise" sees
 * the VM_HUGEPAGE set at mmap) and the PMD is empty.  Only a 2 MiB chunk
 * that the VMA covers whole, at a 2 MiB aligned address, can be mapped so;
 * anything else falls back to ->fault and PTEs.
 */
static vm_fault_t ta_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ta_region *r = vma->vm_private_data;
	unsigned long haddr = vmf->address & PMD_MASK;
	unsigned long idx = vmf->pgoff - r->pgoff -
			    ((vmf->address - haddr) >> PAGE_SHIFT);

	BUILD_BUG_ON(TA_HUGE_ORDER != HPAGE_PMD_ORDER);
	if (order != HPAGE_PMD_ORDER || !(r->flags & TA_REGION_HUGE) ||
	    haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    !IS_ALIGNED(idx, TA_HUGE_NR))
		return VM_FAULT_FALLBACK;
	return ta_fault(vmf, idx, true);
}
#endif

static void ta_vm_open(struct vm_area_struct *vma)
{
	struct ta_region *r = vma->vm_private_data;

	kref_get(&r->kref);
}

static void ta_vm_close(struct vm_area_struct *vma)
{
	ta_region_put(vma->vm_private_data);
}

static const struct vm_operations_struct ta_vm_ops = {
	.open	= ta_vm_open,
	.close	= ta_vm_close,
	.fault	= ta_vm_fault,
#if TA_PMD_MAP
	.huge_fault = ta_vm_huge_fault,
#endif
};

int ta_region_mmap(struct ta_file *tf, struct vm_area_struct *vma)
{
	u32 handle = vma->vm_pgoff >> (TA_REGION_SHIFT - PAGE_SHIFT);
	struct ta_region *r;
	unsigned long start;

	/* Shared only: a private COW copy would escape the tier. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	xa_lock(&tf->regions);
	r = xa_load(&tf->regions, handle);
	if (r)
		kref_get(&r->kref);
	xa_unlock(&tf->regions);
	if (!r)
		return -ENXIO;

	start = vma->vm_pgoff - r->pgoff;
	if (start >= r->nr_pages || vma_pages(vma) > r->nr_pages - start) {
		ta_region_put(r);
		return -EINVAL;
	}

	vma->vm_private_data = r;
	vma->vm_ops = &ta_vm_ops;
	/*
	 * Pages are inserted by the fault handler; never grown by mremap
	 * (VM_DONTEXPAND also keeps the VMA out of merges).  PMD-mapped HUGE
	 * regions ask for huge faults even when THP is "madvise", as device
	 * DAX does.
	 */
#if TA_PMD_MAP
	ta_vm_flags_set(vma, VM_DONTEXPAND |
			(r->flags & TA_REGION_HUGE ? VM_HUGEPAGE : 0));
#else
	ta_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND);
#endif
	return 0;
}
