// SPDX-License-Identifier: MIT
/*
 * Large blocks (>= TA_LARGE_MIN, or aligned beyond a slice): each lives in a
 * segment and tiered region of its own, so ta_move() migrates it in place.
 * A few freed ones are kept per tier for reuse, which saves the region
 * creation and mapping when programs free and allocate big buffers in turn.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define CACHE_MAX	8	    /* blocks per tier */
#define CACHE_MAX_BYTES (32u << 20) /* bytes used (memory, not address space) per tier */
#define CACHE_MAX_BLOCK (32u << 20) /* larger blocks are released at once */

static int lt_large_grow(struct lt_segment *seg, size_t bytes);

static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lt_segment *cache[TA_NR_TIERS];
static unsigned ncached[TA_NR_TIERS];
static size_t cached_bytes[TA_NR_TIERS];

static size_t page_round(size_t n)
{
	return (n + TA_PAGE_SIZE - 1) & ~(TA_PAGE_SIZE - 1);
}

static bool default_layout(const struct lt_segment *seg)
{
	return seg->data == seg->base + TA_SLICE_SIZE && !seg->huge;
}

/* Bytes @seg's block could grow to in place: the rest of its reservation. */
static size_t seg_room(const struct lt_segment *seg)
{
	return (size_t)(seg->base + seg->total - seg->data);
}

/*
 * A cached block for @len bytes: the smallest that holds @len, or can grow
 * to it in place.  Its pages are resident: taking it again saves faulting
 * them in anew.  It must be at most a quarter bigger than asked where a
 * hard cap counts whole blocks (kernel regions, capped user tiers), so that
 * a small request does not pin a big block against the cap.  Elsewhere any
 * will do, and lt_large_alloc() purges the excess with MADV_FREE: those
 * pages stay only until the kernel wants them, and the block can still
 * grow into them without a fault or a copy.
 */
static struct lt_segment *cache_take(int tier, size_t len)
{
	struct lt_segment *s, *best = NULL;
	bool user = lt_g.backend == TA_BACKEND_USER, any;

	if (tier < 0)
		return NULL;
	any = user && !lt_g.tier[tier].hard_cap;
	pthread_mutex_lock(&large_lock);
	for (s = cache[tier]; s; s = s->next) {
		if (!any && s->data_len > len + len / 4)
			continue;
		if (s->data_len < len && !(user && seg_room(s) >= len))
			continue;
		if (!best || s->data_len < best->data_len)
			best = s;
	}
	s = best;
	if (s) {
		lt_seg_list_del(&cache[tier], NULL, s);
		ncached[tier]--;
		cached_bytes[tier] -= s->used_len;
		lt_stat_sub(&lt_g.large_cached, 1);
	}
	pthread_mutex_unlock(&large_lock);
	return s;
}

/* Keep @seg for reuse; returns a segment to release (@seg or an evicted one) or NULL. */
static struct lt_segment *cache_put(struct lt_segment *seg)
{
	struct lt_segment *victim = NULL, *s;
	unsigned t = seg->tier;

	/* An AUTO block is no block of a tier: another hint must not get it. */
	if (seg->used_len > CACHE_MAX_BLOCK || !default_layout(seg) || seg->key == TA_HINT_AUTO)
		return seg;
	pthread_mutex_lock(&large_lock);
	if (ncached[t] >= CACHE_MAX || cached_bytes[t] + seg->used_len > CACHE_MAX_BYTES) {
		/* Evict the oldest; if that is not room enough, release @seg. */
		if (!cache[t]) {
			pthread_mutex_unlock(&large_lock);
			return seg;
		}
		for (s = cache[t]; s->next; s = s->next)
			;
		victim = s;
		lt_seg_list_del(&cache[t], NULL, s);
		ncached[t]--;
		cached_bytes[t] -= s->used_len;
		lt_stat_sub(&lt_g.large_cached, 1);
		if (cached_bytes[t] + seg->used_len > CACHE_MAX_BYTES) {
			pthread_mutex_unlock(&large_lock);
			lt_seg_free(victim);
			return seg;
		}
	}
	lt_seg_list_push_front(&cache[t], NULL, seg);
	ncached[t]++;
	cached_bytes[t] += seg->used_len;
	lt_stat_add(&lt_g.large_cached, 1);
	pthread_mutex_unlock(&large_lock);
	return victim;
}

/* Release every cached block of @tier; returns their bytes (0: there were none). */
static size_t cache_flush(int tier)
{
	struct lt_segment *s, *next;
	size_t bytes = 0;
	unsigned n;

	if (tier < 0)
		return 0;
	pthread_mutex_lock(&large_lock);
	s = cache[tier];
	cache[tier] = NULL;
	n = ncached[tier];
	ncached[tier] = 0;
	cached_bytes[tier] = 0;
	lt_stat_sub(&lt_g.large_cached, n);
	pthread_mutex_unlock(&large_lock);
	for (; s; s = next) {
		next = s->next;
		bytes += s->used_len;
		lt_seg_free(s);
	}
	return bytes;
}

/* Release every cached block; returns their bytes. */
size_t lt_large_cache_flush(void)
{
	size_t bytes = 0;

	for (int t = 0; t < TA_NR_TIERS; t++)
		bytes += cache_flush(t);
	return bytes;
}

/* A block of @bytes whose address is a multiple of @align (0: any), for @key. */
void *lt_large_alloc(size_t bytes, size_t align, unsigned key, bool *zero)
{
	struct lt_segment *seg;
	size_t len, off = TA_SLICE_SIZE, gran = TA_PAGE_SIZE;
	bool huge;

	if (!lt_ready())
		lt_init_slow();
	if (bytes > TA_MAX_ALLOC || align > TA_MAX_ALLOC) {
		errno = ENOMEM;
		return NULL;
	}
	if (bytes == 0)
		bytes = 1;
	huge = lt_g.huge && bytes >= TA_HUGE_SIZE;
	if (huge) {
		gran = TA_HUGE_SIZE;
		off = TA_HUGE_SIZE;
	}
	len = (bytes + gran - 1) & ~(gran - 1);
	if (align > off)
		off = align < TA_SEG_SIZE ? align : TA_SEG_SIZE;
	if (off == TA_SLICE_SIZE && !huge) {
		seg = cache_take(tapol_key_tier(key), len);
		if (seg && seg->data_len < len && lt_large_grow(seg, len)) {
			lt_seg_free(seg);
			seg = NULL;
		}
		if (seg) {
			seg->used_len = seg->data_len;
			if (seg->data_len > len + len / 4) {
				lt_backend_purge(seg, seg->data + len, seg->data_len - len);
				seg->used_len = len;
			}
			seg->key = (uint8_t)key;
			*zero = false;
			goto done;
		}
	}
	seg = lt_seg_new(TA_SEG_LARGE, key, off, len, align > TA_SEG_SIZE ? align : 0, huge);
	if ((!seg || (int)seg->tier != tapol_key_tier(key)) && cache_flush(tapol_key_tier(key))) {
		/* Refused or rerouted while cached blocks held the tier's capacity: retry. */
		if (seg)
			lt_seg_free(seg);
		seg = lt_seg_new(TA_SEG_LARGE, key, off, len, align > TA_SEG_SIZE ? align : 0,
				 huge);
	}
	if (!seg)
		return NULL;
	seg->used_len = seg->data_len;
	*zero = true;
done:
	seg->block = seg->data;
	lt_stat_add(&lt_g.cnt[seg->tier].large_blocks, 1);
	lt_stat_add(&lt_g.cnt[seg->tier].large_bytes, seg->data_len);
	return seg->block;
}

void lt_large_free(struct lt_segment *seg)
{
	lt_stat_sub(&lt_g.cnt[seg->tier].large_blocks, 1);
	lt_stat_sub(&lt_g.cnt[seg->tier].large_bytes, seg->data_len);
	seg = cache_put(seg);
	if (seg)
		lt_seg_free(seg);
}

/*
 * Map @seg's data up to at least @bytes, inside its reservation: half as
 * much again as it had when there is room, so that a block grown in small
 * steps costs a few system calls, not one per step.  Unused mapped tail is
 * address space only.  0, or -1 + errno (ENOSPC: no room; kernel regions
 * cannot grow) with @seg as it was.
 */
static int lt_large_grow(struct lt_segment *seg, size_t bytes)
{
	size_t len = page_round(bytes), room = seg_room(seg);
	size_t want = (seg->data_len + seg->data_len / 2) & ~(TA_PAGE_SIZE - 1), add;

	if (len > room) {
		errno = ENOSPC;
		return -1;
	}
	if (len <= seg->data_len)
		return 0;
	want = want < len ? len : want > room ? room : want;
	add = want - seg->data_len;
	if (lt_backend_expand(seg, add)) {
		/* The headroom may be over a cap that @len is not: ask for @len only. */
		add = len - seg->data_len;
		if (want == len || lt_backend_expand(seg, add))
			return -1;
	}
	lt_stat_add(&lt_g.cnt[seg->tier].reserved_bytes, add);
	lt_stat_add(&lt_g.cnt[seg->tier].bytes_allocated, add);
	seg->data_len += add;
	return 0;
}

/*
 * Grow the block of @seg to at least @bytes without moving it, when its
 * segment's reservation has room (segments are whole multiples of
 * TA_SEG_SIZE); 0, or -1 + errno and the block as it was.
 */
int lt_large_expand(struct lt_segment *seg, size_t bytes)
{
	if (seg->block != seg->data || seg->huge) {
		errno = ENOSPC;
		return -1;
	}
	size_t old = seg->data_len;

	if (lt_large_grow(seg, bytes))
		return -1;
	lt_stat_add(&lt_g.cnt[seg->tier].large_bytes, seg->data_len - old);
	return 0;
}

/*
 * Grow the block of @seg to at least @bytes without copying it: in place
 * when its reservation has room, else (user backend) by moving its pages to
 * a reservation with half as much room again, as glibc moves its mmapped
 * chunks with mremap().  The moved mapping takes the whole new reservation
 * at once (address space; pages come when touched): a moved mapping never
 * merges with one mapped next to it later, and mremap() moves one mapping
 * only.  Returns the block's address, or NULL + errno with the block as it
 * was (then the caller copies).
 */
void *lt_large_realloc(struct lt_segment *seg, size_t bytes)
{
	size_t len, total, old = seg->data_len;
	struct lt_segment *n;

	len = page_round(bytes);
	if (!lt_large_expand(seg, bytes)) {
		seg->used_len = len;
		return seg->block;
	}
	if (errno != ENOSPC || seg->block != seg->data || seg->huge || !default_layout(seg))
		return NULL;
	total = (TA_SLICE_SIZE + len + len / 2 + TA_SEG_MASK) & ~TA_SEG_MASK;
	n = lt_seg_relocate(seg, total, total - TA_SLICE_SIZE);
	if (!n && errno == ENOMEM) /* the room may be over a cap that @len is not */
		n = lt_seg_relocate(seg, total, len);
	if (!n)
		return NULL;
	lt_stat_add(&lt_g.cnt[n->tier].large_bytes, n->data_len - old);
	n->used_len = len;
	return n->block;
}

/*
 * Resize the block @p of @seg in place to @bytes, at most its usable size,
 * on the user backend: well under what the block has used, its tail is
 * purged with MADV_FREE, so the memory goes back while the block can grow
 * back into it without a copy (and with a fault only where the kernel took
 * a page).  @seg->used_len tells a shrink from regrowth within the block.
 * False when the block must be resized by the caller (kernel regions are
 * discarded, not freed lazily; aligned and huge blocks are not resized).
 */
bool lt_large_resize(struct lt_segment *seg, const void *p, size_t bytes)
{
	size_t keep = page_round(bytes);

	if (lt_g.backend != TA_BACKEND_USER || p != seg->data || seg->huge)
		return false;
	if (keep > seg->used_len) {
		seg->used_len = keep;
	} else if (keep < seg->used_len / 2) {
		lt_backend_purge(seg, seg->data + keep, seg->used_len - keep);
		seg->used_len = keep;
	}
	return true;
}

/*
 * Migrate in place; 0 or -1 + errno with the block where it was.  The block
 * then has @dst's exact key, as a small block that ta_move() copies: it is
 * pinned to @dst from now on, its hint (or earlier tier) forgotten, so that
 * ta_realloc() keeps it there.  An AUTO block stays AUTO: its region (or
 * mapping) is one the system tiers, which a move does not change (the
 * module's TA_IOC_REGION_MOVE leaves a region AUTO), so it may move again.
 */
int lt_large_move(struct lt_segment *seg, unsigned dst)
{
	unsigned src = seg->tier;

	if (src == dst && seg->key != TA_HINT_AUTO)
		return 0;
	if (lt_backend_move(seg, dst)) {
		lt_stat_add(&lt_g.cnt[dst].move_failures, 1);
		return -1;
	}
	if (src == dst)
		return 0;
	lt_stat_sub(&lt_g.cnt[src].reserved_bytes, seg->data_len);
	lt_stat_sub(&lt_g.cnt[src].regions, 1);
	lt_stat_sub(&lt_g.cnt[src].large_blocks, 1);
	lt_stat_sub(&lt_g.cnt[src].large_bytes, seg->data_len);
	lt_stat_add(&lt_g.cnt[dst].reserved_bytes, seg->data_len);
	lt_stat_add(&lt_g.cnt[dst].regions, 1);
	lt_stat_add(&lt_g.cnt[dst].large_blocks, 1);
	lt_stat_add(&lt_g.cnt[dst].large_bytes, seg->data_len);
	lt_stat_add(&lt_g.cnt[src].moves_out, 1);
	lt_stat_add(&lt_g.cnt[src].bytes_moved_out, seg->data_len);
	lt_stat_add(&lt_g.cnt[dst].moves_in, 1);
	lt_stat_add(&lt_g.cnt[dst].bytes_moved_in, seg->data_len);
	seg->tier = (uint8_t)dst;
	if (seg->key != TA_HINT_AUTO)
		seg->key = (uint8_t)lt_key_exact(dst);
	return 0;
}

void lt_large_atfork_prepare(void)
{
	pthread_mutex_lock(&large_lock);
}

void lt_large_atfork_parent(void)
{
	pthread_mutex_unlock(&large_lock);
}

void lt_large_atfork_child(void)
{
	pthread_mutex_init(&large_lock, NULL);
}
