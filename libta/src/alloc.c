// SPDX-License-Identifier: MIT
/*
 * The public allocation API.  ta_alloc/ta_free fast paths: a thread-local
 * heap pointer, a size-class computation, the current page of the bin, and
 * a pop from (or push onto) its free list.  No lock, no atomic RMW.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static TA_TLS int tls_hint = -1; /* -1: the process default */

static void *alloc_generic(struct lt_heap *h, size_t size, unsigned key);

/* Take the first free block of @pg, which has one. */
static inline void *page_pop(struct lt_page *pg)
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
static inline void *bin_pop(struct lt_sub *s, size_t size)
{
	struct lt_page *pg = s->pq[lt_bin_direct[(size + 7) >> 3]].first;

	if (likely(pg != NULL && pg->free != NULL))
		return page_pop(pg);
	return NULL;
}

/* ta_alloc() and friends: everything but bin_pop() is one tail call, so it needs no frame. */
static inline void *alloc_in(struct lt_heap *h, size_t size, unsigned key)
{
	if (likely(size <= TA_BIN_DIRECT_MAX && h != NULL)) {
		void *b = bin_pop(&h->sub[key], size);

		if (likely(b != NULL))
			return b;
	}
	return alloc_generic(h, size, key);
}

static inline void *alloc_key(size_t size, unsigned key)
{
	return alloc_in(lt_tls_heap, size, key);
}

/* Larger requests, empty pages, and the thread's first allocation. */
static TA_COLD void *alloc_generic(struct lt_heap *h, size_t size, unsigned key)
{
	bool zero;

	if (size >= TA_LARGE_MIN)
		return lt_large_alloc(size, 0, key, &zero);
	if (!h) {
		h = lt_heap_init_thread();
		if (!h)
			return NULL;
	}
	unsigned bin = lt_bin_of(size);
	struct lt_page *pg = h->sub[key].pq[bin].first;

	if (pg && pg->free)
		return page_pop(pg);
	return lt_alloc_slow(h, key, bin);
}

/*
 * On the user backend, blocks past the medium classes that are to be zeroed
 * or grown are large blocks, as glibc serves such a calloc() or realloc()
 * from a mapping of its own: fresh pages are zero already, so a big table
 * a program touches sparsely costs no fault for the pages it never touches,
 * and a buffer grown by doubling grows in place (lt_large_realloc) rather
 * than by a copy into fresh pages at every step.  Kernel regions cost an
 * ioctl each, and do not grow.
 */
static bool user_large(size_t size)
{
	return size > TA_MEDIUM_MAX && lt_ready() && lt_g.backend == TA_BACKEND_USER;
}

static void *zalloc_key(size_t size, unsigned key)
{
	if (size < TA_LARGE_MIN && !user_large(size)) {
		void *p = alloc_key(size, key);

		if (p)
			memset(p, 0, size);
		return p;
	}
	bool zero;
	void *p = lt_large_alloc(size, 0, key, &zero);

	if (p && !zero)
		memset(p, 0, size);
	return p;
}

static void *aligned_key(size_t align, size_t size, unsigned key)
{
	if (align <= 8 || (align <= 16 && size > 8))
		return alloc_key(size, key);
	if (align <= TA_SLICE_SIZE) {
		/* Power-of-two classes up to a slice are naturally aligned. */
		if (size <= align)
			return alloc_key(align, key);
		if (size + align - 1 < TA_LARGE_MIN) {
			uint8_t *p = alloc_key(size + align - 1, key);
			uintptr_t a;

			if (!p || ((uintptr_t)p & (align - 1)) == 0)
				return p;
			a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
			struct lt_segment *seg = lt_map_lookup(p);

			lt_page_of(seg, p)->flags |= TA_PF_ALIGNED;
			return (void *)a;
		}
	}
	bool zero;

	return lt_large_alloc(size, align, key, &zero);
}

static TA_COLD bool bad_hint(void)
{
	errno = EINVAL;
	return false;
}

static inline bool valid_hint(ta_hint_t hint)
{
	if (likely((unsigned)hint < TA_NR_HINTS))
		return true;
	return bad_hint();
}

/* A thread's first default-hint allocation: take the process default. */
static TA_COLD unsigned default_key_init(void)
{
	if (!lt_ready())
		lt_init_slow();
	tls_hint = (int)lt_g.default_hint; /* fixed once libta is initialised */
	return lt_g.default_hint;
}

static inline unsigned default_key(void)
{
	int h = tls_hint;

	if (likely(h >= 0))
		return (unsigned)h;
	return default_key_init();
}

static TA_COLD void *alloc_bad_hint(void)
{
	bad_hint();
	return NULL;
}

TA_EXPORT void *ta_alloc(size_t bytes, ta_hint_t hint)
{
	if (unlikely((unsigned)hint >= TA_NR_HINTS))
		return alloc_bad_hint();
	return alloc_key(bytes, hint);
}

TA_EXPORT void *ta_calloc(size_t n, size_t size, ta_hint_t hint)
{
	size_t bytes;

	if (unlikely(!valid_hint(hint)))
		return NULL;
	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return zalloc_key(bytes, hint);
}

TA_EXPORT void *ta_aligned_alloc(size_t align, size_t bytes, ta_hint_t hint)
{
	if (unlikely(!valid_hint(hint)))
		return NULL;
	if (align == 0 || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned_key(align, bytes, hint);
}

/*
 * The rest of an arena free.  @pushed: the fast path already put the block
 * on its own page's list and the page is now empty; else the flagged-page
 * and remote (or heap-less thread) cases.
 */
static TA_COLD void free_arena_slow(struct lt_segment *seg, struct lt_page *pg, void *p,
				    bool pushed)
{
	struct lt_heap *h = lt_tls_heap;
	int e = errno;

	if (lt_page_is_mini_span(pg))
		pg = lt_page_of(seg, p);
	if (pushed)
		lt_page_retire(h, seg, pg);
	else if (seg->heap == h)
		lt_free_local_slow(h, seg, pg, p);
	else
		lt_free_remote(seg, pg, p);
	errno = e;
}

static TA_COLD void free_foreign(const void *p)
{
	static _Atomic int told;

	lt_stat_add(&lt_g.foreign_frees, 1);
	if (!atomic_exchange(&told, 1))
		lt_msg("ta_free(%p): not a libta pointer; ignored (reported once)", p);
}

/* A large block: @p must be its start. */
static TA_COLD void free_large(struct lt_segment *seg, void *p)
{
	int e;

	if ((uint8_t *)p != seg->block) {
		free_foreign(p);
		return;
	}
	e = errno;
	lt_large_free(seg);
	errno = e;
}

/* Free @p of arena segment @seg; errno is kept, as glibc's free() keeps it. */
static inline void free_arena(struct lt_segment *seg, void *p)
{
	struct lt_page *pg = lt_arena_page_of(seg, p);

	if (likely(seg->heap == lt_tls_heap && pg->flags == 0)) {
		struct lt_block *b = p;

		b->next = pg->local_free;
		pg->local_free = b;
		if (likely(--pg->used != 0))
			return;
		free_arena_slow(seg, pg, p, true);
		return;
	}
	free_arena_slow(seg, pg, p, false);
}

/* Not in an arena segment: a large block, NULL or foreign (returned). */
static TA_COLD void *free_other(void *p)
{
	struct lt_segment *seg;

	if (!p)
		return NULL;
	seg = lt_map_lookup(p);
	if (!seg)
		return p;
	if (seg->kind == TA_SEG_ARENA)
		free_arena(seg, p);
	else
		free_large(seg, p);
	return NULL;
}

static TA_COLD void free_other_or_foreign(void *p)
{
	p = free_other(p);
	if (p)
		free_foreign(p);
}

TA_EXPORT void ta_free(void *p)
{
	if (likely(lt_in_arena(p))) {
		free_arena(lt_arena_of(p), p);
		return;
	}
	free_other_or_foreign(p);
}

/* Inlined into the preload's free() (link-time optimisation): it is its fast path. */
TA_EXPORT __attribute__((always_inline)) inline void *ta_try_free(void *p)
{
	if (likely(lt_in_arena(p))) {
		free_arena(lt_arena_of(p), p);
		return NULL;
	}
	return free_other(p);
}

TA_EXPORT size_t ta_usable_size(const void *p)
{
	struct lt_segment *seg = lt_map_lookup(p);

	if (!seg)
		return 0;
	if (seg->kind == TA_SEG_ARENA) {
		struct lt_page *pg = lt_page_of(seg, p);
		const uint8_t *b = lt_block_start(pg, p);

		return pg->block_size - (size_t)((const uint8_t *)p - b);
	}
	return (size_t)(seg->data + seg->data_len - (const uint8_t *)p);
}

TA_EXPORT int ta_tier_of(const void *p)
{
	struct lt_segment *seg = lt_map_lookup(p);

	if (!seg) {
		errno = EINVAL;
		return -1;
	}
	return seg->tier;
}

TA_EXPORT int ta_owns(const void *p)
{
	return lt_map_lookup(p) != NULL;
}

/*
 * Key to allocate a copy of a block of @seg with: the tier the block is on
 * now.  Its key if that names this tier (a hint's fixed tier, or exact),
 * else the tier's exact key (a rerouted hint, PREFER_FAST).
 */
static unsigned same_tier_key(const struct lt_segment *seg)
{
	unsigned k = seg->key;

	if (tapol_key_tier(k) == (int)seg->tier)
		return k;
	return lt_key_exact(seg->tier);
}

/* A block of @size bytes to take over one of @copy: grown past the medium classes, a large one. */
static void *alloc_for_copy(size_t copy, size_t size, unsigned key, size_t align)
{
	if (align > 16)
		return aligned_key(align, size, key);
	if (size > copy && user_large(size)) {
		int e = errno;
		bool zero;
		void *q = lt_large_alloc(size, 0, key, &zero);

		if (q)
			return q;
		errno = e; /* over a cap, say: the arena may still have room */
	}
	return alloc_key(size, key);
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
	if (seg->tier == (unsigned)dst)
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

TA_EXPORT int ta_set_default_hint(ta_hint_t hint)
{
	if (!valid_hint(hint))
		return -1;
	tls_hint = (int)hint;
	if (lt_tls_heap)
		lt_tls_msub = &lt_tls_heap->sub[hint];
	return 0;
}

TA_EXPORT void ta_set_refill_hook(void (*fn)(void))
{
	atomic_store_explicit(&lt_g.refill_hook, fn, memory_order_relaxed);
}

TA_EXPORT size_t ta_collect(void)
{
	size_t bytes = 0;

	if (!lt_ready())
		return 0;
	if (lt_tls_heap)
		bytes = lt_heap_collect(lt_tls_heap, true);
	return bytes + lt_large_cache_flush();
}

/* For a thread's new heap: its default key (ta_malloc's sub-heap). */
unsigned lt_thread_default_key(void)
{
	return default_key();
}

TA_EXPORT ta_hint_t ta_get_default_hint(void)
{
	return (ta_hint_t)default_key();
}

/* Larger requests, empty pages, and a thread without a heap. */
static TA_COLD void *malloc_generic(size_t bytes)
{
	return alloc_generic(lt_tls_heap, bytes, default_key());
}

/*
 * The default hint's sub-heap is thread-local itself: the fast path loads
 * it instead of the heap, then pops as ta_alloc() does.
 */
TA_EXPORT void *ta_malloc(size_t bytes)
{
	struct lt_sub *s = lt_tls_msub;

	if (likely(bytes <= TA_BIN_DIRECT_MAX && s != NULL)) {
		void *b = bin_pop(s, bytes);

		if (likely(b != NULL))
			return b;
	}
	return malloc_generic(bytes);
}

TA_EXPORT void *ta_malloc_calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return zalloc_key(bytes, default_key());
}

TA_EXPORT void *ta_malloc_aligned(size_t align, size_t bytes)
{
	return ta_aligned_alloc(align, bytes, (ta_hint_t)default_key());
}

TA_EXPORT int ta_posix_memalign(void **out, size_t align, size_t bytes)
{
	int e = errno;
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = ta_aligned_alloc(align, bytes, (ta_hint_t)default_key());
	if (!p) {
		int r = errno;

		errno = e;
		return r;
	}
	*out = p;
	return 0;
}
