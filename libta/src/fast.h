/* SPDX-License-Identifier: MIT */
/*
 * The allocation and free fast paths, inline: alloc.c's entry points are
 * made of them, and the slower entry points (alloc_slow.c, realloc.c) reuse
 * them.  A thread-local heap pointer, a size-class lookup, the first page
 * of the bin, and a pop from (or a push onto) its free list: no lock, no
 * atomic read-modify-write.  Everything else is one call to a cold function.
 */
#ifndef TA_FAST_H
#define TA_FAST_H

#include "internal.h"

/* The thread's default hint; -1: not taken from the process default yet. */
extern TA_TLS int lt_tls_hint;

/* alloc_slow.c: what the fast paths hand on, and what realloc.c shares. */
void *lt_alloc_generic(struct lt_heap *h, size_t size, unsigned key);
unsigned lt_default_key_init(void);
void lt_free_arena_slow(void *p, struct lt_segment *seg, struct lt_page *pg, bool pushed);
void *lt_free_other(void *p);
void lt_free_other_or_foreign(void *p);
void *lt_aligned_key(size_t align, size_t size, unsigned key);
bool lt_user_large(size_t size);

/* Take the first free block of @pg, which has one. */
static inline void *lt_page_pop(struct lt_page *pg)
{
	struct lt_block *b = pg->free;

	pg->free = b->next;
	pg->used++;
	return b;
}

/*
 * The fast path of both entry sets: a pop from the first page of the bin
 * of @size (at most TA_BIN_DIRECT_MAX) in sub-heap @s; NULL when that page
 * is missing or full.
 */
static inline void *lt_bin_pop(struct lt_sub *s, size_t size)
{
	struct lt_page *pg = s->pq[lt_bin_direct[(size + 7) >> 3]].first;

	if (likely(pg != NULL && pg->free != NULL))
		return lt_page_pop(pg);
	return NULL;
}

/* ta_alloc() and friends: everything but lt_bin_pop() is one tail call, so it needs no frame. */
static inline void *lt_alloc_key(size_t size, unsigned key)
{
	struct lt_heap *h = lt_tls_heap;

	if (likely(size <= TA_BIN_DIRECT_MAX && h != NULL)) {
		void *b = lt_bin_pop(&h->sub[key], size);

		if (likely(b != NULL))
			return b;
	}
	return lt_alloc_generic(h, size, key);
}

static inline unsigned lt_default_key(void)
{
	int h = lt_tls_hint;

	if (likely(h >= 0))
		return (unsigned)h;
	return lt_default_key_init();
}

/* Free @p of arena segment @seg; errno is kept, as glibc's free() keeps it. */
static inline void lt_free_arena(struct lt_segment *seg, void *p)
{
	struct lt_page *pg = lt_arena_page_of(seg, p);

	if (likely(seg->heap == lt_tls_heap && pg->flags == 0)) {
		struct lt_block *b = p;

		b->next = pg->local_free;
		pg->local_free = b;
		if (likely(--pg->used != 0))
			return;
		lt_free_arena_slow(p, seg, pg, true);
		return;
	}
	lt_free_arena_slow(p, seg, pg, false);
}

#endif /* TA_FAST_H */
