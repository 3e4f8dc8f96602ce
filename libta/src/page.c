// SPDX-License-Identifier: MIT
/*
 * Pages: the per-bin page queues of a sub-heap, carving blocks, collecting
 * freed blocks, the full list, and the slow paths of alloc and free.
 *
 * Remote (cross-thread) frees push onto page->xfree.  When the owner parks a
 * page with no free block on the full list it sets xfree to TA_XFREE_FULL; the
 * first remote free then clears the mark and hands its block to the owner
 * heap's "delayed" list instead, so the owner learns the page has room again
 * without any thread touching a page it does not own after the page could
 * have been released.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define TA_EXTEND_BYTES (4u << 10) /* carve at most this much of a page at once */

static void pq_push_front(struct lt_pageq *q, struct lt_page *pg)
{
	lt_page_list_push_front(&q->first, &q->last, pg);
}

static void pq_remove(struct lt_pageq *q, struct lt_page *pg)
{
	lt_page_list_del(&q->first, &q->last, pg);
}

static void pq_push_back(struct lt_pageq *q, struct lt_page *pg)
{
	lt_page_list_push_back(&q->first, &q->last, pg);
}

static void full_push(struct lt_sub *sub, struct lt_page *pg)
{
	lt_page_list_push_front(&sub->full, NULL, pg);
}

static void full_remove(struct lt_sub *sub, struct lt_page *pg)
{
	lt_page_list_del(&sub->full, NULL, pg);
}

static inline struct lt_segment *seg_of_page(struct lt_page *pg)
{
	return (struct lt_segment *)((uintptr_t)pg & ~(uintptr_t)TA_SEG_MASK);
}

void *lt_block_start(const struct lt_page *pg, const void *p)
{
	size_t off = (size_t)((const uint8_t *)p - pg->start);

	return pg->start + off / pg->block_size * pg->block_size;
}

static void page_extend(struct lt_page *pg)
{
	size_t bs = pg->block_size;
	uint32_t n = pg->reserved - pg->capacity, max = (uint32_t)(TA_EXTEND_BYTES / bs);
	uint8_t *p;

	if (max == 0)
		max = 1;
	if (n > max)
		n = max;
	if (n == 0)
		return;
	p = pg->start + (size_t)pg->capacity * bs;
	for (uint32_t i = 0; i + 1 < n; i++, p += bs)
		((struct lt_block *)p)->next = (struct lt_block *)(p + bs);
	((struct lt_block *)p)->next = pg->free;
	pg->free = (struct lt_block *)(pg->start + (size_t)pg->capacity * bs);
	pg->capacity += n;
}

/* Move locally and remotely freed blocks onto pg->free. */
static void page_collect(struct lt_page *pg)
{
	uintptr_t x;

	if (pg->local_free) {
		struct lt_block *b = pg->local_free;

		if (pg->free) {
			while (b->next)
				b = b->next;
			b->next = pg->free;
		}
		pg->free = pg->local_free;
		pg->local_free = NULL;
	}
	x = atomic_load_explicit(&pg->xfree, memory_order_relaxed);
	if (x && x != TA_XFREE_FULL) {
		struct lt_block *head, *b;
		uint32_t n = 1;

		x = atomic_exchange_explicit(&pg->xfree, 0, memory_order_acquire);
		head = (struct lt_block *)x;
		for (b = head; b->next; b = b->next)
			n++;
		b->next = pg->free;
		pg->free = head;
		pg->used -= n;
	}
}

static void process_delayed(struct lt_heap *h)
{
	struct lt_block *b, *next;

	if (!atomic_load_explicit(&h->delayed, memory_order_relaxed))
		return;
	b = atomic_exchange_explicit(&h->delayed, NULL, memory_order_acquire);
	for (; b; b = next) {
		struct lt_segment *seg = lt_map_lookup(b);

		next = b->next;
		lt_free_local_slow(h, seg, lt_page_of(seg, b), b);
	}
}

/* Park @pg on the full list unless remote frees arrived; true if parked. */
static bool page_park_full(struct lt_sub *sub, struct lt_pageq *q, struct lt_page *pg)
{
	uintptr_t expect = 0;

	if (!atomic_compare_exchange_strong_explicit(&pg->xfree, &expect, TA_XFREE_FULL,
						     memory_order_acq_rel, memory_order_relaxed))
		return false;
	pq_remove(q, pg);
	pg->flags |= TA_PF_FULL;
	full_push(sub, pg);
	return true;
}

static void page_unpark(struct lt_sub *sub, struct lt_page *pg)
{
	uintptr_t expect = TA_XFREE_FULL;

	/* Fails harmlessly when a remote free already cleared the mark. */
	atomic_compare_exchange_strong_explicit(&pg->xfree, &expect, 0, memory_order_acq_rel,
						memory_order_relaxed);
	full_remove(sub, pg);
	pg->flags &= (uint8_t)~TA_PF_FULL;
	/*
	 * To the back of the queue: by the time allocation reaches it, more
	 * of its blocks have been freed.  At the front, a page freed into once
	 * would hand out that one block and be parked again at once.
	 */
	pq_push_back(&sub->pq[pg->bin], pg);
}

_Static_assert(TA_MINI_PAGES == 32 && TA_MINI_PAGES * TA_MINI_SIZE <= TA_SLICE_SIZE,
	       "lt_segment.mini_free has a bit per mini page of one slice");
_Static_assert(TA_BIN_CALC(TA_MINI_BLOCK_MAX) < 64, "lt_sub.mini_bins has a bit per mini bin");

/* A mini page of @sub's mini span (see TA_MINI_SIZE), the span taken on first use; NULL if full. */
static struct lt_page *mini_new(struct lt_heap *h, unsigned key)
{
	struct lt_sub *sub = &h->sub[key];
	struct lt_page *span = sub->mini_span, *pg;
	struct lt_segment *seg;
	unsigned i;

	if (!span) {
		span = lt_span_alloc(h, key, 1);
		if (!span)
			return NULL;
		span->flags = TA_PF_MINI;
		seg_of_page(span)->mini_free = ~0u;
		sub->mini_span = span;
	}
	seg = seg_of_page(span);
	if (!seg->mini_free)
		return NULL;
	i = (unsigned)__builtin_ctz(seg->mini_free);
	seg->mini_free &= ~(1u << i);
	pg = &seg->mini[i];
	memset(pg, 0, sizeof(*pg));
	seg->mini_frees[i] = 0;
	pg->in_use = 1;
	pg->start = span->start + ((size_t)i << TA_MINI_SHIFT);
	return pg;
}

/* Give the mini page @pg back; the span goes when its last mini page does. */
static void mini_free(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg)
{
	struct lt_sub *sub = &h->sub[seg->key];
	struct lt_page *span = sub->mini_span;

	pg->in_use = 0;
	pg->free = pg->local_free = NULL;
	seg->mini_free |= 1u << (pg - seg->mini);
	if (seg->mini_free != ~0u)
		return;
	sub->mini_span = NULL;
	sub->mini_bins = ~0ull; /* never taken again */
	span->flags = 0;
	lt_span_free(h, seg, span);
}

/* Give page @pg's memory back: its span, or its slot of the mini span. */
static void page_free(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg)
{
	if (pg->slices)
		lt_span_free(h, seg, pg);
	else
		mini_free(h, seg, pg);
}

static struct lt_page *page_new(struct lt_heap *h, unsigned key, unsigned bin)
{
	struct lt_sub *sub = &h->sub[key];
	size_t bs = lt_bin_block_size(bin), len;
	struct lt_page *pg = NULL;

	/* A bin's first page: a mini page if it can. */
	if (bs <= TA_MINI_BLOCK_MAX && !(sub->mini_bins >> bin & 1))
		pg = mini_new(h, key);
	if (pg) {
		sub->mini_bins |= 1ull << bin;
		len = TA_MINI_SIZE;
	} else {
		unsigned slices = lt_bin_slices(bin);

		pg = lt_span_alloc(h, key, slices);
		if (!pg)
			return NULL;
		len = (size_t)slices << TA_SLICE_SHIFT;
	}
	pg->bin = (uint8_t)bin;
	pg->block_size = (uint32_t)bs;
	pg->reserved = (uint32_t)(len / bs);
	pq_push_front(&sub->pq[bin], pg);
	return pg;
}

void *lt_alloc_slow(struct lt_heap *h, unsigned key, unsigned bin)
{
	struct lt_sub *sub = &h->sub[key];
	struct lt_pageq *q = &sub->pq[bin];
	struct lt_page *pg, *next;
	struct lt_block *b;
	void (*hook)(void) = atomic_load_explicit(&lt_g.refill_hook, memory_order_relaxed);

	if (hook)
		hook();
	process_delayed(h);
	for (pg = q->first; pg; pg = next) {
		next = pg->next;
		page_collect(pg);
		if (!pg->free && pg->capacity < pg->reserved)
			page_extend(pg);
		if (!pg->free && !page_park_full(sub, q, pg))
			page_collect(pg);
		if (pg->free) {
			if (pg != q->first) {
				pq_remove(q, pg);
				pq_push_front(q, pg);
			}
			goto take;
		}
	}
	pg = page_new(h, key, bin);
	if (!pg) {
		errno = ENOMEM;
		return NULL;
	}
	page_extend(pg);
take:
	b = pg->free;
	pg->free = b->next;
	pg->used++;
	return b;
}

/*
 * Count an owner's free into the mini page @pg; the TA_MINI_GRADUATE-th
 * gives its bin, when the mini page is still the bin's current page, a
 * page of its own in front: allocations move there and their frees take
 * the fast path, while the mini page drains and goes (lt_page_retire).
 */
static void mini_count_free(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg)
{
	unsigned i = (unsigned)(pg - seg->mini);

	if (++seg->mini_frees[i] < TA_MINI_GRADUATE)
		return;
	seg->mini_frees[i] = 0;
	if (h->sub[seg->key].pq[pg->bin].first == pg)
		page_new(h, seg->key, pg->bin); /* no memory: the mini page serves on */
}

/* Free by the owner when the page has flags (full, aligned blocks, mini) or from the delayed list. */
void lt_free_local_slow(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg, void *p)
{
	struct lt_block *b;

	if (!pg->slices)
		mini_count_free(h, seg, pg);
	if (pg->flags & TA_PF_ALIGNED)
		p = lt_block_start(pg, p);
	b = p;
	b->next = pg->local_free;
	pg->local_free = b;
	if (pg->flags & TA_PF_FULL)
		page_unpark(&h->sub[seg->key], pg);
	if (--pg->used == 0)
		lt_page_retire(h, seg, pg);
}

void lt_free_remote(struct lt_segment *seg, struct lt_page *pg, void *p)
{
	struct lt_block *b = lt_block_start(pg, p);
	struct lt_heap *h = seg->heap;
	uintptr_t old = atomic_load_explicit(&pg->xfree, memory_order_relaxed);

	for (;;) {
		if (old == TA_XFREE_FULL) {
			if (!atomic_compare_exchange_weak_explicit(&pg->xfree, &old, 0,
								   memory_order_acq_rel,
								   memory_order_relaxed))
				continue;
			struct lt_block *top =
				atomic_load_explicit(&h->delayed, memory_order_relaxed);

			do
				b->next = top;
			while (!atomic_compare_exchange_weak_explicit(
				&h->delayed, &top, b, memory_order_release, memory_order_relaxed));
			return;
		}
		b->next = (struct lt_block *)old;
		if (atomic_compare_exchange_weak_explicit(&pg->xfree, &old, (uintptr_t)b,
							  memory_order_release,
							  memory_order_relaxed))
			return;
	}
}

/* @pg has no block in use: give its span back unless it is its bin's only page. */
void lt_page_retire(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg)
{
	struct lt_pageq *q = &h->sub[seg->key].pq[pg->bin];

	if (q->first == pg && !pg->next)
		return;
	pq_remove(q, pg);
	page_free(h, seg, pg);
}

/*
 * Collect every page of @h and free the empty ones (@all: even bins' last
 * pages, then purge and release at once; returns the bytes that gives back).
 */
size_t lt_heap_collect(struct lt_heap *h, bool all)
{
	process_delayed(h);
	for (unsigned k = 0; k < TA_NKEYS; k++) {
		struct lt_sub *sub = &h->sub[k];
		struct lt_page *pg, *next;

		for (pg = sub->full; pg; pg = next) {
			next = pg->next;
			page_collect(pg);
			if (pg->free)
				page_unpark(sub, pg);
		}
		for (unsigned bin = 0; bin < TA_NBINS; bin++) {
			struct lt_pageq *q = &sub->pq[bin];

			for (pg = q->first; pg; pg = next) {
				next = pg->next;
				page_collect(pg);
				if (pg->used == 0 && (all || pg != q->first || pg->next)) {
					pq_remove(q, pg);
					page_free(h, seg_of_page(pg), pg);
				}
			}
		}
	}
	return all ? lt_heap_release_empty(h) : 0;
}
