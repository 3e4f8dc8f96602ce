// SPDX-License-Identifier: MIT
/*
 * ta_realloc() and ta_move(): a block resized or moved in place where it
 * can be (large blocks), else copied into a block of the tier it is on (or
 * is to be on) and freed.
 */
#include <errno.h>
#include <string.h>

#include "fast.h"

/*
 * Key to allocate a copy of a block of @seg with: the tier the block is on
 * now.  Its key if that names this tier (a hint's fixed tier, or exact),
 * else the tier's exact key (a rerouted hint, PREFER_FAST).  An AUTO block
 * stays AUTO: its tier is the system's to choose.
 */
static unsigned same_tier_key(const struct lt_segment *seg)
{
	unsigned k = seg->key;

	if (tapol_key_tier(k) == (int)seg->tier || k == TA_HINT_AUTO)
		return k;
	return lt_key_exact(seg->tier);
}

/* A block of @size bytes to take over one of @copy: grown past the medium classes, a large one. */
static void *alloc_for_copy(size_t copy, size_t size, unsigned key, size_t align)
{
	if (align > 16)
		return lt_aligned_key(align, size, key);
	if (size > copy && lt_user_large(size)) {
		int e = errno;
		bool zero;
		void *q = lt_large_alloc(size, 0, key, &zero);

		if (q)
			return q;
		errno = e; /* over a cap, say: the arena may still have room */
	}
	return lt_alloc_key(size, key);
}

static void *copy_to(void *p, size_t copy, size_t size, unsigned key, size_t align)
{
	void *q = alloc_for_copy(copy, size, key, align);

	if (!q)
		return NULL;
	memcpy(q, p, copy < size ? copy : size);
	ta_free(p);
	return q;
}

TA_EXPORT void *ta_realloc(void *p, size_t bytes)
{
	struct lt_segment *seg;
	size_t usable;
	unsigned key;
	void *q;

	if (!p)
		return ta_malloc(bytes);
	if (bytes == 0) {
		ta_free(p);
		return NULL;
	}
	seg = lt_map_lookup(p);
	if (!seg) {
		errno = EINVAL;
		return NULL;
	}
	usable = ta_usable_size(p);
	if (bytes <= usable &&
	    (bytes >= usable / 2 || (seg->kind == TA_SEG_LARGE && lt_large_resize(seg, p, bytes))))
		return p;
	if (bytes > TA_MAX_ALLOC) {
		errno = ENOMEM;
		return NULL;
	}
	if (bytes > usable && seg->kind == TA_SEG_LARGE && p == seg->block) {
		int e = errno;

		q = lt_large_realloc(seg, bytes);
		if (q)
			return q;
		errno = e;
	}
	key = same_tier_key(seg);
	/*
	 * Growing blocks of TA_GROW_MIN bytes or more get 50% headroom, like
	 * a vector: glibc often grows in place (into the top chunk, or with
	 * mremap), libta copies, so a buffer grown in small steps is copied
	 * O(log n) times only.  Unused headroom is address space, not memory:
	 * pages are only backed when touched.
	 */
	if (bytes > usable && bytes >= TA_GROW_MIN && usable + usable / 2 > bytes) {
		int e = errno;

		q = copy_to(p, usable, usable + usable / 2, key, 0);
		if (q)
			return q;
		errno = e;
	}
	q = copy_to(p, usable, bytes, key, 0);
	if (!q && key >= TA_NR_HINTS && seg->key < TA_NR_HINTS && seg->key != TA_HINT_PIN_FAST) {
		/* The tier is full: let the block's own hint reroute it like a new block. */
		q = copy_to(p, usable, bytes, seg->key, 0);
	}
	return q;
}

TA_EXPORT void *ta_move(void *p, ta_tier_t dst)
{
	struct lt_segment *seg = lt_map_lookup(p);
	size_t usable, align = 0;
	void *q;

	if (!seg || (unsigned)dst >= TA_NR_TIERS) {
		errno = EINVAL;
		return NULL;
	}
	/* An AUTO block's tier is where it started: its pages may be elsewhere now. */
	if (seg->tier == (unsigned)dst && !(seg->key == TA_HINT_AUTO && seg->kind == TA_SEG_LARGE))
		return p;
	if (seg->kind == TA_SEG_LARGE) {
		if ((uint8_t *)p != seg->block) {
			errno = EINVAL;
			return NULL;
		}
		return lt_large_move(seg, dst) ? NULL : p;
	}
	usable = ta_usable_size(p);
	if (lt_page_of(seg, p)->flags & TA_PF_ALIGNED) {
		align = (uintptr_t)p & -(uintptr_t)p;
		if (align > TA_SLICE_SIZE)
			align = TA_SLICE_SIZE;
	}
	unsigned src = seg->tier;

	q = copy_to(p, usable, usable, lt_key_exact(dst), align);
	if (!q) {
		lt_stat_add(&lt_g.cnt[dst].move_failures, 1);
		return NULL;
	}
	lt_stat_add(&lt_g.cnt[src].moves_out, 1);
	lt_stat_add(&lt_g.cnt[src].bytes_moved_out, usable);
	lt_stat_add(&lt_g.cnt[dst].moves_in, 1);
	lt_stat_add(&lt_g.cnt[dst].bytes_moved_in, usable);
	return q;
}
