// SPDX-License-Identifier: GPL-2.0
/*
 * TierAlloc migration: move a range of a region to another tier's node,
 * in place for every process that maps it.
 *
 * A batch (one 2 MiB chunk, or up to 512 pages of a 4 KiB region) moves
 * under move_lock held for write, so no fault can map a page meanwhile:
 *
 *   1. zap every mapping of the batch in every process
 *      (unmap_mapping_range() on the shared address_space);
 *   2. freeze each old page's refcount at 1 -- the region's own reference;
 *      a 2 MiB folio is frozen whole.  A page someone else still holds
 *      (get_user_pages() pin, in-flight I/O) cannot be frozen; it is
 *      skipped and reported, never copied behind its user's back, and a
 *      folio with a pinned page stays whole where it is.  A frozen page
 *      cannot be grabbed by GUP-fast either, as the kernel's own migration
 *      relies on;
 *   3. copy it to a page (a 2 MiB folio to a folio) on the destination
 *      node and swap the pointers.
 *
 * Accesses during the move fault, wait on move_lock, and map the new page.
 * The destination's capacity is reserved before anything is copied, and
 * its token bucket is charged for every byte copied (enforce mode sleeps
 * here, interruptibly).
 */
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "ta.h"

#define TA_MOVE_BATCH	TA_HUGE_NR

struct ta_move_ctx {
	struct ta_region *r;
	u32 dst;
	int nid;
	u64 pool;		/* bytes reserved on dst up front, not yet used */
	bool partial;
	u64 moved;		/* bytes now on dst */
	u64 copied;		/* pages copied to dst by this batch */
	u64 skipped;		/* pages left in place */
	u64 fallbacks;		/* huge chunks moved as 4 KiB pages */
	struct page **scratch;	/* TA_HUGE_NR new pages, for such a chunk */
	u64 out_pages[TA_NR_TIERS];
	u64 out_bytes[TA_NR_TIERS];	/* reservation leaving each tier */
};

/* Take @bytes of dst reservation: from the up-front pool, else anew. */
static int ta_move_take(struct ta_move_ctx *c, u64 bytes)
{
	u64 from_pool = min(c->pool, bytes);

	if (bytes > from_pool && ta_tier_reserve(c->dst, bytes - from_pool))
		return -ENOMEM;
	c->pool -= from_pool;
	return 0;
}

static unsigned long ta_batch_need(struct ta_region *r, unsigned long first,
				   unsigned long n, u32 dst, unsigned long *res)
{
	unsigned long i, need = 0;

	*res = 0;
	for (i = first; i < first + n; i++) {
		if (r->page_tier[i] == dst)
			continue;
		need++;
		if (READ_ONCE(r->pages[i]))
			(*res)++;
	}
	return need;
}

/* Page @i now counts on dst: its reservation, and its bytes if @resident. */
static void ta_move_commit(struct ta_move_ctx *c, unsigned long i,
			   bool resident)
{
	struct ta_region *r = c->r;
	u32 src = r->page_tier[i];

	if (resident) {
		ta_stat_add(src, TA_STAT_RESIDENT_BYTES, -(s64)PAGE_SIZE);
		ta_stat_add(c->dst, TA_STAT_RESIDENT_BYTES, PAGE_SIZE);
		c->out_pages[src]++;
		c->copied++;
	}
	r->page_tier[i] = c->dst;
	r->reserved[src] -= PAGE_SIZE;
	r->reserved[c->dst] += PAGE_SIZE;
	c->out_bytes[src] += PAGE_SIZE;
	c->moved += PAGE_SIZE;
}

/*
 * Move page @i onto @newp (already on dst's node).  Returns true if moved,
 * false if the old page is held by someone else.
 */
static bool ta_move_page(struct ta_region *r, unsigned long i,
			 struct page *newp)
{
	struct page *old = r->pages[i];

	if (!page_ref_freeze(old, 1))
		return false;
	copy_highpage(newp, old);
	WRITE_ONCE(r->pages[i], newp);
	page_ref_unfreeze(old, 1);
	put_page(old);
	return true;
}

/*
 * Freeze the fully resident chunk at @first at the region's one reference:
 * its folio, or each of its 4 KiB pages.  False, with nothing frozen, if
 * anyone else holds a reference (a pin, a mapping being torn down).
 */
static bool ta_chunk_freeze(struct ta_region *r, unsigned long first)
{
	struct page *head = r->pages[first];
	unsigned long i;

	if (PageHead(head))
		return folio_ref_freeze(page_folio(head), 1);
	for (i = 0; i < TA_HUGE_NR; i++)
		if (!page_ref_freeze(r->pages[first + i], 1))
			break;
	if (i == TA_HUGE_NR)
		return true;
	while (i--)
		page_ref_unfreeze(r->pages[first + i], 1);
	return false;
}

/* Undo ta_chunk_freeze(). */
static void ta_chunk_thaw(struct ta_region *r, unsigned long first)
{
	struct page *head = r->pages[first];
	unsigned long i;

	if (PageHead(head)) {
		folio_ref_unfreeze(page_folio(head), 1);
		return;
	}
	for (i = 0; i < TA_HUGE_NR; i++)
		page_ref_unfreeze(r->pages[first + i], 1);
}

/*
 * Move the frozen, fully resident chunk at @first whole: into one folio on
 * dst, or 512 pages there if no 2 MiB block is free.  Returns false, the
 * chunk still frozen and untouched, if dst has neither.
 */
static bool ta_move_chunk(struct ta_move_ctx *c, unsigned long first)
{
	struct ta_region *r = c->r;
	struct page **old = &r->pages[first], **newp = c->scratch;
	struct page *head = PageHead(old[0]) ? old[0] : NULL, *folio;
	unsigned long i;

	folio = ta_alloc_chunk(r, c->nid, TA_HUGE_ORDER, false);
	if (!folio && !newp)
		return false;
	for (i = 0; !folio && i < TA_HUGE_NR; i++) {
		newp[i] = ta_alloc_chunk(r, c->nid, 0, false);
		if (!newp[i]) {
			while (i--)
				__free_page(newp[i]);
			return false;
		}
	}
	for (i = 0; i < TA_HUGE_NR; i++)
		copy_highpage(folio ? folio + i : newp[i], old[i]);
	for (i = 0; i < TA_HUGE_NR; i++) {
		struct page *prev = old[i];

		WRITE_ONCE(old[i], folio ? folio + i : newp[i]);
		ta_move_commit(c, first + i, true);
		if (!head) {
			page_ref_unfreeze(prev, 1);
			put_page(prev);
		}
	}
	if (head) {
		folio_ref_unfreeze(page_folio(head), 1);
		put_page(head);
	}
	if (folio) {
		ta_stat_add(c->dst, TA_STAT_HUGE_PAGES, 1);
	} else {
		ta_stat_add(c->dst, TA_STAT_HUGE_FALLBACKS, 1);
		c->fallbacks++;
	}
	return true;
}

/*
 * Move one batch; move_lock is held for write and the batch is unmapped.
 * A fully resident 2 MiB chunk moves whole or not at all, so that it stays
 * one folio on one tier: a pin anywhere in a folio keeps all of it in
 * place.  Anything else (a 4 KiB region, a chunk of 4 KiB pages with a
 * pinned one, pages not yet touched) moves page by page.
 */
static void ta_move_batch_locked(struct ta_move_ctx *c, unsigned long first,
				 unsigned long n)
{
	struct ta_region *r = c->r;
	bool huge = (r->flags & TA_REGION_HUGE) && n == TA_HUGE_NR;
	unsigned long i, need, res, done = 0;

	need = ta_batch_need(r, first, n, c->dst, &res);
	if (!need)
		return;

	if (ta_move_take(c, need << PAGE_SHIFT)) {
		/* Over dst's hard cap: partial moves go page by page. */
		if (!c->partial || huge) {
			c->skipped += need;
			return;
		}
	} else {
		done = need;	/* all of it reserved */
	}

	if (huge && res == TA_HUGE_NR) {
		bool folio = PageHead(r->pages[first]);

		if (ta_chunk_freeze(r, first)) {
			if (ta_move_chunk(c, first))
				return;
			ta_chunk_thaw(r, first);
			folio = true;	/* no memory on dst: leave it whole */
		}
		if (folio) {
			c->skipped += need;
			ta_tier_unreserve(c->dst, need << PAGE_SHIFT);
			return;
		}
	}

	for (i = first; i < first + n; i++) {
		struct page *newp;

		if (r->page_tier[i] == c->dst)
			continue;
		if (!done && ta_move_take(c, PAGE_SIZE)) {
			c->skipped++;
			continue;
		}
		if (r->pages[i]) {
			newp = ta_alloc_chunk(r, c->nid, 0, false);
			if (!newp || !ta_move_page(r, i, newp)) {
				if (newp)
					__free_page(newp);
				c->skipped++;
				ta_tier_unreserve(c->dst, PAGE_SIZE);
				continue;
			}
		}
		/* Resident or not, the page's reservation changes tier. */
		ta_move_commit(c, i, !!r->pages[i]);
	}
}

/* A region wholly on dst now counts as dst's region; move_lock held. */
static void ta_move_retier(struct ta_move_ctx *c)
{
	struct ta_region *r = c->r;

	if (r->reserved[c->dst] == (u64)r->nr_pages << PAGE_SHIFT &&
	    r->tier != c->dst) {
		ta_stat_add(r->tier, TA_STAT_REGIONS, -1);
		ta_stat_add(c->dst, TA_STAT_REGIONS, 1);
		r->tier = c->dst;
	}
}

/*
 * The end of a move: the reservation that left each tier goes back to it,
 * and the counters of both sides say what moved.
 */
static void ta_move_account(struct ta_move_ctx *c)
{
	u32 t;

	for (t = 0; t < TA_NR_TIERS; t++) {
		if (!c->out_bytes[t])
			continue;
		ta_tier_unreserve(t, c->out_bytes[t]);
		ta_stat_add(t, TA_STAT_MIGRATIONS_OUT, 1);
		ta_stat_add(t, TA_STAT_PAGES_MOVED_OUT, c->out_pages[t]);
		ta_stat_add(t, TA_STAT_BYTES_MOVED_OUT,
			    c->out_pages[t] << PAGE_SHIFT);
		ta_stat_add(c->dst, TA_STAT_PAGES_MOVED_IN, c->out_pages[t]);
		ta_stat_add(c->dst, TA_STAT_BYTES_MOVED_IN,
			    c->out_pages[t] << PAGE_SHIFT);
	}
	if (c->moved)
		ta_stat_add(c->dst, TA_STAT_MIGRATIONS_IN, 1);
}

/*
 * Pay for @bytes of a batch to dst.  The automatic tiering scanner
 * (@nowait) never waits: a charge that would make it wait is refunded and
 * the move stops with -EAGAIN, to be tried at a later scan.
 */
static int ta_move_charge(u32 dst, u64 bytes, bool nowait, u64 *added)
{
	if (signal_pending(current))
		return -EINTR;
	if (nowait) {
		if (!ta_throttle_charge(dst, bytes, added))
			return 0;
		ta_throttle_refund(dst, *added);
		*added = 0;
		return -EAGAIN;
	}
	return ta_throttle(dst, bytes, true, added);
}

static int __ta_region_move(struct ta_region *r, struct ta_region_move *req,
			    bool nowait)
{
	struct ta_move_ctx c = {
		.r = r,
		.dst = req->dst_tier,
		.partial = req->flags & TA_MOVE_PARTIAL,
	};
	unsigned long first, last, i, n, need, res;
	u64 start = ktime_get_ns(), added;
	int ret;

	if (req->dst_tier >= TA_NR_TIERS || (req->flags & ~TA_MOVE_FLAGS) ||
	    req->reserved)
		return -EINVAL;
	ret = ta_region_range(r, req->offset, req->length, &first, &last);
	if (ret)
		return ret;
	/* A tier without memory online is full (TA_TIER_INFO_OFFLINE). */
	if (!ta_tier_online(c.dst)) {
		ta_stat_add(c.dst, TA_STAT_MIGRATE_FAILURES, 1);
		return -ENOMEM;
	}
	c.nid = ta_tier_node(c.dst);

	/* All or nothing: reserve the whole move before copying a byte. */
	down_read(&r->move_lock);
	need = ta_batch_need(r, first, last - first, c.dst, &res);
	up_read(&r->move_lock);
	if (!need)
		return 0;	/* already there */
	if (!c.partial) {
		ret = ta_tier_reserve(c.dst, (u64)need << PAGE_SHIFT);
		if (ret) {
			ta_stat_add(c.dst, TA_STAT_MIGRATE_FAILURES, 1);
			return ret;
		}
		c.pool = (u64)need << PAGE_SHIFT;
	}

	/* Transient, charged to the caller; without it no 4 KiB fallback. */
	if (r->flags & TA_REGION_HUGE)
		c.scratch = kmalloc_array(TA_HUGE_NR, sizeof(*c.scratch),
					  GFP_KERNEL_ACCOUNT | __GFP_NOWARN |
					  __GFP_RETRY_MAYFAIL);
	for (i = first; i < last; i += n) {
		n = min_t(unsigned long, TA_MOVE_BATCH, last - i);

		/*
		 * Pay for the bytes to copy before blocking anyone; what the
		 * batch then does not copy (pinned, over the cap, discarded
		 * meanwhile) is refunded.
		 */
		down_read(&r->move_lock);
		ta_batch_need(r, i, n, c.dst, &res);
		up_read(&r->move_lock);
		ret = ta_move_charge(c.dst, (u64)res << PAGE_SHIFT, nowait,
				     &added);
		if (ret)
			break;
		c.copied = 0;

		down_write(&r->move_lock);
		unmap_mapping_range(ta_mapping,
				    (loff_t)(r->pgoff + i) << PAGE_SHIFT,
				    (loff_t)n << PAGE_SHIFT, 1);
		ta_move_batch_locked(&c, i, n);
		ta_move_retier(&c);
		up_write(&r->move_lock);
		if (res > c.copied)
			ta_throttle_refund(c.dst, div64_u64(added * (res - c.copied),
							    res));
		cond_resched();
	}

	kfree(c.scratch);
	if (c.pool)
		ta_tier_unreserve(c.dst, c.pool);
	ta_move_account(&c);
	if (c.skipped)
		ta_stat_add(c.dst, TA_STAT_MIGRATE_SKIPPED, c.skipped);
	if (ret || (c.skipped && !c.partial))
		ta_stat_add(c.dst, TA_STAT_MIGRATE_FAILURES, 1);
	ta_stat_add(c.dst, TA_STAT_MIGRATE_NS, ktime_get_ns() - start);

	req->moved_bytes = c.moved;
	req->skipped_pages = c.skipped;
	req->huge_fallbacks = c.fallbacks;
	return ret;
}

int ta_region_move(struct ta_region *r, struct ta_region_move *req)
{
	return __ta_region_move(r, req, false);
}

/* The same, for the automatic tiering scanner: -EAGAIN instead of a wait. */
int ta_region_move_nowait(struct ta_region *r, struct ta_region_move *req)
{
	return __ta_region_move(r, req, true);
}

static bool ta_pfn_in(struct page *page, unsigned long start_pfn,
		      unsigned long end_pfn)
{
	unsigned long pfn = page_to_pfn(page);

	return pfn >= start_pfn && pfn < end_pfn;
}

/* Does the batch at @first have a page in the range?  move_lock held. */
static bool ta_batch_in(struct ta_region *r, unsigned long first,
			unsigned long n, unsigned long start_pfn,
			unsigned long end_pfn)
{
	unsigned long i;

	for (i = first; i < first + n; i++) {
		struct page *page = READ_ONCE(r->pages[i]);

		if (page && ta_pfn_in(page, start_pfn, end_pfn))
			return true;
	}
	return false;
}

/*
 * The node of the page at @i (a frozen 2 MiB chunk if @chunk) has no
 * memory left for it: move it to the tier its policy routes to, as
 * ta_region_move() would, reservation, counters and all (a reroute of its
 * tier), but without charging tokens: the offline does not wait.  False,
 * with nothing changed, if there is no such tier, it is over its hard cap
 * or it has no memory either, or the region is PIN_FAST's.
 */
static bool ta_evacuate_route(struct ta_move_ctx *c, unsigned long i,
			      bool chunk, struct ta_evac *ev)
{
	struct ta_region *r = c->r;
	u32 src = r->page_tier[i];
	u64 bytes = chunk ? TA_HUGE_SIZE : PAGE_SIZE;
	struct ta_move_ctx rc = { .r = r, .scratch = c->scratch };
	struct page *newp = NULL;
	int dst = r->pin_fast ? -1 : ta_tier_route(src, page_to_nid(r->pages[i]));
	bool ok;

	if (dst < 0 || ta_tier_reserve(dst, bytes))
		return false;
	rc.dst = dst;
	rc.nid = ta_tier_node(dst);
	if (chunk) {
		ok = ta_move_chunk(&rc, i);
	} else {
		newp = ta_alloc_chunk(r, rc.nid, 0, false);
		ok = newp && ta_move_page(r, i, newp);
		if (ok)
			ta_move_commit(&rc, i, true);
		else if (newp)
			__free_page(newp);
	}
	if (!ok) {
		ta_tier_unreserve(dst, bytes);
		return false;
	}
	ta_move_retier(&rc);
	ta_move_account(&rc);
	ta_stat_add(src, TA_STAT_REROUTES, 1);
	ev->routed += bytes >> PAGE_SHIFT;
	return true;
}

/* A page of tier @tier in the range stays: it is held, or has nowhere to go. */
static void ta_evacuate_left(struct ta_evac *ev, u32 tier, bool pinned,
			     unsigned long n)
{
	if (pinned) {
		ev->pinned += n;
	} else {
		ev->full += n;
		ev->full_tier = tier;
	}
}

/*
 * Is @nid known to have no room for this region's pages?  Its own failure
 * counts for the rest of the region; any region's, in a retry pass (which
 * is about the held pages: the others found no room a moment ago).
 */
static bool ta_evac_nomem_known(const struct ta_evac *ev, int nid)
{
	return nid == ev->nomem_nid ||
	       (ev->retry && node_isset(nid, ev->nomem_nodes));
}

static void ta_evac_nomem_seen(struct ta_evac *ev, int nid)
{
	ev->nomem_nid = nid;
	node_set(nid, ev->nomem_nodes);
}

/*
 * A page (or folio) of tier @tier at @i found no memory on its node: in the
 * first pass it stays and is counted; in the second it goes to a slower
 * tier if the policy routes (ta_evacuate_route()).  False if it stays.
 */
static bool ta_evacuate_nomem(struct ta_move_ctx *c, unsigned long i,
			      bool chunk, struct ta_evac *ev)
{
	u32 tier = c->r->page_tier[i];
	unsigned long n = chunk ? TA_HUGE_NR : 1;

	if (!ev->route) {
		ev->unplaced += n;
		return false;
	}
	if (ta_evacuate_route(c, i, chunk, ev))
		return true;
	ta_evacuate_left(ev, tier, false, n);
	return false;
}

/*
 * Evacuate one batch; move_lock is held for write and the batch is
 * unmapped.  A 2 MiB folio (it lies in one memory block) moves whole, to a
 * folio or 512 pages on its node, or stays; 4 KiB pages move one by one.
 * What finds no memory on its node is left for the second pass, which
 * routes it (ta_evacuate_nomem()); so is everything after it of this
 * region from that node (@ev->nomem_nid), without another round of
 * reclaim per page.  The failure may be the region's memory cgroup's,
 * which is why it is not carried over to other regions.
 */
static void ta_evacuate_locked(struct ta_move_ctx *c, unsigned long first,
			       unsigned long n, unsigned long start_pfn,
			       unsigned long end_pfn, struct ta_evac *ev)
{
	struct ta_region *r = c->r;
	struct page *head = r->pages[first];
	unsigned long i;

	if (head && PageHead(head)) {
		if (!ta_pfn_in(head, start_pfn, end_pfn))
			return;
		/* Same tier, same node: ta_move_commit() nets to nothing. */
		c->dst = r->page_tier[first];
		c->nid = page_to_nid(head);
		if (!ta_chunk_freeze(r, first)) {
			ta_evacuate_left(ev, c->dst, true, TA_HUGE_NR);
			return;
		}
		if (!ta_evac_nomem_known(ev, c->nid) && ta_move_chunk(c, first))
			return;
		ta_evac_nomem_seen(ev, c->nid);
		if (!ta_evacuate_nomem(c, first, true, ev))
			ta_chunk_thaw(r, first);
		return;
	}
	for (i = first; i < first + n; i++) {
		struct page *old = r->pages[i], *newp;

		if (!old || !ta_pfn_in(old, start_pfn, end_pfn))
			continue;
		/*
		 * Unmapped, under move_lock: a reference besides the region's
		 * is a hold (ta_move_page() checks again, by freezing).
		 */
		if (page_count(old) != 1) {
			ta_evacuate_left(ev, r->page_tier[i], true, 1);
			continue;
		}
		newp = ta_evac_nomem_known(ev, page_to_nid(old)) ? NULL :
		       ta_alloc_chunk(r, page_to_nid(old), 0, false);
		if (newp && ta_move_page(r, i, newp))
			continue;
		if (newp) {
			/* Held: ta_move_page() could not freeze it. */
			__free_page(newp);
			ta_evacuate_left(ev, r->page_tier[i], true, 1);
			continue;
		}
		/* Each failure costs a round of reclaim: once is enough. */
		ta_evac_nomem_seen(ev, page_to_nid(old));
		ta_evacuate_nomem(c, i, false, ev);
	}
}

/*
 * Memory offline (ta_regions_evacuate()): move every page of @r whose frame
 * is in [start_pfn, end_pfn) to another page of the same node.  The kernel
 * has isolated the range, so the allocator hands out nothing in it.  The
 * tier does not change: no reservation, cap or token bucket is touched.
 * A page that finds no memory on its node (the node is full, this is
 * its last memory going, or the region's memory cgroup is at its limit)
 * goes, in the second pass (@ev->route), to the next slower tier if its
 * tier's policy routes there: that is a move, counted and reserved as
 * one.
 * Batches move as ta_region_move() moves them: unmapped and swapped under
 * move_lock held for write, pinned pages left in place.  @ev counts the
 * pages left in the range (pinned, or nowhere to go) and those routed.
 */
void ta_region_evacuate(struct ta_region *r, unsigned long start_pfn,
			unsigned long end_pfn, struct page **scratch,
			struct ta_evac *ev)
{
	struct ta_move_ctx c = { .r = r, .scratch = scratch };
	unsigned long i, n;
	bool hit;

	ev->nomem_nid = NUMA_NO_NODE;
	/*
	 * A fill in flight (move_lock held for read from allocation to
	 * publication) may hold a page it took from the range before the
	 * range was isolated.  Once move_lock has been ours for write, every
	 * such page is published, and no fill can take another from the
	 * range: looking under the read side is enough from then on.
	 */
	down_write(&r->move_lock);
	up_write(&r->move_lock);
	for (i = 0; i < r->nr_pages; i += n) {
		n = min_t(unsigned long, TA_MOVE_BATCH, r->nr_pages - i);
		down_read(&r->move_lock);
		hit = ta_batch_in(r, i, n, start_pfn, end_pfn);
		up_read(&r->move_lock);
		if (!hit)
			continue;
		down_write(&r->move_lock);
		unmap_mapping_range(ta_mapping,
				    (loff_t)(r->pgoff + i) << PAGE_SHIFT,
				    (loff_t)n << PAGE_SHIFT, 1);
		ta_evacuate_locked(&c, i, n, start_pfn, end_pfn, ev);
		up_write(&r->move_lock);
		cond_resched();
	}
}
