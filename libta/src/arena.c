// SPDX-License-Identifier: MIT
/*
 * Segments: creation and release of TA_SEG_SIZE-aligned reservations with a
 * tiered data mapping, the registry of all segments, and the span allocator
 * that hands a thread heap's arena segments out as pages.
 *
 * An arena segment has TA_SEG_SLICES slices of 64 KiB; slice 0 is the header.
 * Only the owner heap's thread touches free_mask/dirty_mask/pages, so spans
 * are allocated without locks.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/*
 * Freed spans stay "dirty" (resident) until they have been free for
 * lt_g.purge_delay_ns, 10 ms unless TA_PURGE_DELAY_MS says otherwise; then
 * they are purged (MADV_DONTNEED on kernel regions, MADV_FREE on the user
 * backend) and a segment that has been empty as long is released, but for
 * TA_KEEP_EMPTY per sub-heap.  As with mimalloc's purge delay, memory freed
 * and taken again within the delay, the common case under churn, costs
 * neither a system call nor a page fault, while memory a program is done
 * with goes back to its (capped) tier once its delay is over, at the heap's
 * next page operation.  Each slice waits for its own delay (freed_at[]):
 * were a segment's dirty slices purged together, a busy bin's span freed
 * just before would go too, and pay the faults after it (some 100 us per
 * 64 KiB on a virtual machine) when taken again.  ta_collect() and thread
 * exit purge at once; a thread that never calls in again keeps its dirty
 * spans.
 */
#define TA_KEEP_EMPTY 1 /* empty arena segments a sub-heap keeps */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lt_segment *reg_head;

void lt_registry_lock(void)
{
	pthread_mutex_lock(&reg_lock);
}

void lt_registry_unlock(void)
{
	pthread_mutex_unlock(&reg_lock);
}

void lt_registry_reinit(void)
{
	pthread_mutex_init(&reg_lock, NULL);
}

/* Caller holds the registry lock (or is the only thread, after fork). */
void lt_registry_foreach(void (*fn)(struct lt_segment *, void *), void *arg)
{
	struct lt_segment *s, *n;

	for (s = reg_head; s; s = n) {
		n = s->gnext;
		fn(s, arg);
	}
}

static void reg_add(struct lt_segment *seg)
{
	pthread_mutex_lock(&reg_lock);
	lt_registry_list_push_front(&reg_head, NULL, seg);
	pthread_mutex_unlock(&reg_lock);
}

static void reg_del(struct lt_segment *seg)
{
	pthread_mutex_lock(&reg_lock);
	lt_registry_list_del(&reg_head, NULL, seg);
	pthread_mutex_unlock(&reg_lock);
}

/* A reservation of @total bytes (see lt_reserve()) with its header page(s) mapped; NULL + errno. */
static struct lt_segment *seg_reserve(size_t total, size_t align, size_t data_off)
{
	uint8_t *base = lt_reserve(total, align, data_off);
	int e;

	if (!base) {
		errno = ENOMEM;
		return NULL;
	}
	if (lt_map_anon_fixed(base, TA_SEG_META_SIZE)) {
		e = errno;
		lt_unmap(base, total);
		errno = e;
		return NULL;
	}
	return (struct lt_segment *)base;
}

/*
 * New segment: header at the reservation's start, @data_len bytes of tiered
 * memory for placement @key at base + @data_off.  @align (> TA_SEG_SIZE, or
 * 0) aligns the data start.  NULL + errno on failure.
 */
struct lt_segment *lt_seg_new(unsigned kind, unsigned key, size_t data_off, size_t data_len,
			      size_t align, bool huge)
{
	size_t total = (data_off + data_len + TA_SEG_MASK) & ~TA_SEG_MASK;
	struct lt_segment *seg;
	uint8_t *base;
	int e;

	if (total < data_len) {
		errno = ENOMEM;
		return NULL;
	}
	seg = seg_reserve(total, align, data_off);
	if (!seg)
		return NULL;
	base = (uint8_t *)seg;
	seg->kind = kind;
	seg->key = (uint8_t)key;
	seg->huge = huge;
	seg->base = base;
	seg->total = total;
	seg->data = base + data_off;
	seg->data_len = data_len;
	if (lt_backend_map(seg->data, data_len, key, huge, seg))
		goto fail;
	if (lt_map_set(seg)) {
		lt_unmap(base, total);
		lt_backend_unmap(seg);
		errno = ENOMEM;
		return NULL;
	}
	reg_add(seg);
	struct lt_tier_counters *c = &lt_g.cnt[seg->tier];
	lt_stat_add(&c->reserved_bytes, data_len);
	lt_stat_add(&c->regions, 1);
	lt_stat_add(&c->alloc_calls, 1);
	lt_stat_add(&c->bytes_allocated, data_len);
	if (kind == TA_SEG_ARENA)
		lt_stat_add(&lt_g.segments, 1);
	return seg;
fail:
	e = errno;
	lt_unmap(base, total);
	errno = e ? e : ENOMEM;
	return NULL;
}

void lt_seg_free(struct lt_segment *seg)
{
	struct lt_segment copy;
	struct lt_tier_counters *c = &lt_g.cnt[seg->tier];

	lt_map_clear(seg);
	reg_del(seg);
	lt_stat_sub(&c->reserved_bytes, seg->data_len);
	lt_stat_sub(&c->regions, 1);
	lt_stat_add(&c->free_calls, 1);
	lt_stat_add(&c->bytes_freed, seg->data_len);
	if (seg->kind == TA_SEG_ARENA)
		lt_stat_sub(&lt_g.segments, 1);
	/* The header goes away with the reservation: keep what the backend needs. */
	memcpy(&copy, seg, offsetof(struct lt_segment, slice_off));
	lt_unmap(seg->base, seg->total);
	lt_backend_unmap(&copy);
}

/*
 * Move @seg to a new reservation of @total bytes, its data grown to
 * @data_len bytes on the way, without copying: user backend only (the pages
 * are remapped, see lt_user_remap()).  Returns the new segment, which
 * replaces @seg everywhere, or NULL + errno with @seg as it was.  The
 * caller owns the segment's block, so no other thread looks it up meanwhile.
 */
struct lt_segment *lt_seg_relocate(struct lt_segment *seg, size_t total, size_t data_len)
{
	size_t off = (size_t)(seg->data - seg->base), add = data_len - seg->data_len;
	struct lt_segment *n;
	uint8_t *base;
	int e;

	if (seg->handle || lt_g.backend != TA_BACKEND_USER) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	n = seg_reserve(total, 0, off);
	if (!n)
		return NULL;
	base = (uint8_t *)n;
	memcpy(n, seg, sizeof(*n));
	n->base = base;
	n->total = total;
	n->data = base + off;
	n->block = seg->block ? n->data + (seg->block - seg->data) : NULL;
	if (lt_map_set(n)) {
		errno = ENOMEM;
		goto fail;
	}
	if (lt_user_remap(seg, n->data, data_len)) {
		e = errno;
		lt_map_clear(n);
		errno = e;
		goto fail;
	}
	n->data_len = data_len;
	lt_map_clear(seg);
	reg_del(seg);
	reg_add(n);
	lt_stat_add(&lt_g.cnt[n->tier].reserved_bytes, add);
	lt_stat_add(&lt_g.cnt[n->tier].bytes_allocated, add);
	lt_unmap(seg->base, seg->total);
	return n;
fail:
	e = errno;
	lt_unmap(base, total);
	errno = e ? e : ENOMEM;
	return NULL;
}

/* Lowest index of @n consecutive set bits of @m, or -1. */
static int find_run(uint64_t m, unsigned n)
{
	uint64_t x = m;

	for (unsigned k = 1; k < n && x; k++)
		x &= m >> k;
	return x ? __builtin_ctzll(x) : -1;
}

static uint64_t run_mask(unsigned idx, unsigned n)
{
	return (n >= 64 ? ~0ull : ((1ull << n) - 1)) << idx;
}

/* Purge @seg's free dirty slices of @mask; returns the bytes given back. */
static size_t seg_purge(struct lt_segment *seg, uint64_t mask)
{
	uint64_t d = seg->dirty_mask & seg->free_mask & mask;
	size_t bytes = (size_t)__builtin_popcountll(d) << TA_SLICE_SHIFT;

	while (d) {
		unsigned i = (unsigned)__builtin_ctzll(d), n = 0;

		while (i + n < 64 && (d >> (i + n) & 1))
			n++;
		lt_backend_purge(seg, seg->base + ((size_t)i << TA_SLICE_SHIFT),
				 (size_t)n << TA_SLICE_SHIFT);
		d &= ~run_mask(i, n);
	}
	seg->dirty_mask &= ~mask;
	return bytes;
}

/*
 * The dirty slices of @seg that have been free for a delay at @now (all of
 * them when @now is UINT64_MAX); *@next is when the first of the others
 * will have been, 0 when there are none.
 */
static uint64_t seg_old_slices(const struct lt_segment *seg, uint64_t now, uint64_t *next)
{
	uint64_t delay = lt_g.purge_delay_ns, old = 0;

	*next = 0;
	for (uint64_t d = seg->dirty_mask; d; d &= d - 1) {
		unsigned i = (unsigned)__builtin_ctzll(d);
		uint64_t due = seg->freed_at[i] + delay;

		if (now - seg->freed_at[i] >= delay)
			old |= 1ull << i;
		else if (!*next || due < *next)
			*next = due;
	}
	return old;
}

static void sub_seg_link(struct lt_sub *sub, struct lt_segment *seg)
{
	lt_seg_list_push_front(&sub->segs, NULL, seg);
	sub->nsegs++;
}

static void sub_seg_unlink(struct lt_sub *sub, struct lt_segment *seg)
{
	lt_seg_list_del(&sub->segs, NULL, seg);
	sub->nsegs--;
}

/* Release the empty segment @seg of @sub; returns the resident bytes that go with it. */
static size_t sub_seg_release(struct lt_sub *sub, struct lt_segment *seg)
{
	size_t bytes = (size_t)__builtin_popcountll(seg->dirty_mask) << TA_SLICE_SHIFT;

	sub_seg_unlink(sub, seg);
	sub->nempty--;
	lt_seg_free(seg);
	return bytes;
}

/* A span of @slices slices for a page of heap @h, key @key; NULL + errno. */
struct lt_page *lt_span_alloc(struct lt_heap *h, unsigned key, unsigned slices)
{
	struct lt_sub *sub = &h->sub[key];
	struct lt_segment *seg;
	struct lt_page *pg;
	int idx = -1;

	if (unlikely(h->purge_due)) {
		uint64_t now = lt_now_coarse_ns();

		if (now >= h->purge_due)
			lt_heap_purge(h, now);
	}
	for (seg = sub->segs; seg; seg = seg->next) {
		if (seg->used_slices + slices > TA_SEG_SLICES - 1)
			continue;
		idx = find_run(seg->free_mask, slices);
		if (idx >= 0)
			break;
	}
	if (!seg) {
		seg = lt_seg_new(TA_SEG_ARENA, key, TA_SLICE_SIZE, TA_SEG_SIZE - TA_SLICE_SIZE, 0,
				 false);
		/* Refused by a cap while spare empty segments held some of it: retry. */
		if (!seg && lt_heap_purge(h, UINT64_MAX))
			seg = lt_seg_new(TA_SEG_ARENA, key, TA_SLICE_SIZE,
					 TA_SEG_SIZE - TA_SLICE_SIZE, 0, false);
		if (!seg)
			return NULL;
		seg->heap = h;
		seg->free_mask = ~1ull;
		sub_seg_link(sub, seg);
		sub->nempty++;
		idx = find_run(seg->free_mask, slices);
	}
	if (seg->used_slices == 0)
		sub->nempty--;
	seg->free_mask &= ~run_mask((unsigned)idx, slices);
	seg->dirty_mask &= ~run_mask((unsigned)idx, slices);
	seg->used_slices += slices;
	for (unsigned k = 0; k < slices; k++)
		seg->slice_off[idx + k] = (uint8_t)k;
	pg = &seg->pages[idx];
	memset(pg, 0, sizeof(*pg));
	pg->slices = (uint8_t)slices;
	pg->in_use = 1;
	pg->start = seg->base + ((size_t)idx << TA_SLICE_SHIFT);
	return pg;
}

/* Give page @pg's span back to its segment, to be purged after the delay. */
void lt_span_free(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg)
{
	unsigned idx = (unsigned)(pg - seg->pages), n = pg->slices;
	uint64_t now = lt_now_coarse_ns();

	pg->in_use = 0;
	pg->slices = 0;
	pg->free = pg->local_free = NULL;
	seg->free_mask |= run_mask(idx, n);
	seg->dirty_mask |= run_mask(idx, n);
	seg->used_slices -= n;
	if (seg->used_slices == 0)
		h->sub[seg->key].nempty++;
	for (unsigned k = 0; k < n; k++)
		seg->freed_at[idx + k] = now;
	if (!seg->purge_due) {
		seg->purge_due = now + lt_g.purge_delay_ns;
		if (!h->purge_due || seg->purge_due < h->purge_due)
			h->purge_due = seg->purge_due;
	}
	if (now >= h->purge_due)
		lt_heap_purge(h, now);
}

/*
 * Tick the segments of @h whose purge is due at @now (UINT64_MAX: purge
 * all) and release those that have been empty for a delay, but for @keep
 * per sub-heap.  Returns the bytes given back.
 */
static size_t heap_purge(struct lt_heap *h, uint64_t now, unsigned keep)
{
	uint64_t next = 0;
	size_t bytes = 0;

	for (unsigned k = 0; k < TA_NKEYS; k++) {
		struct lt_sub *sub = &h->sub[k];
		struct lt_segment *seg, *n;

		for (seg = sub->segs; seg; seg = n) {
			n = seg->next;
			if (seg->purge_due <= now) {
				uint64_t due, old = seg_old_slices(seg, now, &due);

				/* Empty, and no slice freed within the delay: empty as long. */
				if (seg->used_slices == 0 && !due && sub->nempty > keep) {
					bytes += sub_seg_release(sub, seg);
					continue;
				}
				seg->purge_due = due;
				if (old)
					bytes += seg_purge(seg, old);
			}
			if (seg->purge_due && (!next || seg->purge_due < next))
				next = seg->purge_due;
		}
	}
	/*
	 * One pass per quarter delay at most: under churn, a heap of many
	 * segments would otherwise walk them on every page free.
	 */
	if (next && next - now < lt_g.purge_delay_ns / 4)
		next = now + lt_g.purge_delay_ns / 4;
	h->purge_due = next;
	return bytes;
}

/* The purge of @h's segments that are due at @now (UINT64_MAX: all). */
size_t lt_heap_purge(struct lt_heap *h, uint64_t now)
{
	return heap_purge(h, now, TA_KEEP_EMPTY);
}

/* Release every empty arena segment of @h and purge the others; returns the bytes given back. */
size_t lt_heap_release_empty(struct lt_heap *h)
{
	return heap_purge(h, UINT64_MAX, 0);
}
