// SPDX-License-Identifier: MIT
/*
 * What the fast paths of alloc.c hand on (larger requests, empty pages,
 * the thread's first allocation, frees of flagged pages, of other threads'
 * blocks, of large and foreign blocks), and the entry points that are no
 * fast path: zeroed and aligned allocation, the default hint, block
 * queries, the refill hook and ta_collect().
 */
#include <errno.h>
#include <string.h>

#include "fast.h"

TA_TLS int lt_tls_hint = -1; /* -1: the process default */

/* Larger requests, empty pages, and the thread's first allocation. */
TA_COLD void *lt_alloc_generic(struct lt_heap *h, size_t size, unsigned key)
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
		return lt_page_pop(pg);
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
bool lt_user_large(size_t size)
{
	return size > TA_MEDIUM_MAX && lt_ready() && lt_g.backend == TA_BACKEND_USER;
}

static void *zalloc_key(size_t size, unsigned key)
{
	if (size < TA_LARGE_MIN && !lt_user_large(size)) {
		void *p = lt_alloc_key(size, key);

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

void *lt_aligned_key(size_t align, size_t size, unsigned key)
{
	if (align <= 8 || (align <= 16 && size > 8))
		return lt_alloc_key(size, key);
	if (align <= TA_SLICE_SIZE) {
		/* Power-of-two classes up to a slice are naturally aligned. */
		if (size <= align)
			return lt_alloc_key(align, key);
		if (size + align - 1 < TA_LARGE_MIN) {
			uint8_t *p = lt_alloc_key(size + align - 1, key);
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
TA_COLD unsigned lt_default_key_init(void)
{
	if (!lt_ready())
		lt_init_slow();
	lt_tls_hint = (int)lt_g.default_hint; /* fixed once libta is initialised */
	return lt_g.default_hint;
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
	return lt_aligned_key(align, bytes, hint);
}

/*
 * The rest of an arena free.  @pushed: the fast path already put the block
 * on its own page's list and the page is now empty; else the flagged-page
 * and remote (or heap-less thread) cases.
 */
TA_COLD void lt_free_arena_slow(void *p, struct lt_segment *seg, struct lt_page *pg, bool pushed)
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

/* Not in an arena segment: a large block, NULL or foreign (returned). */
TA_COLD void *lt_free_other(void *p)
{
	struct lt_segment *seg;

	if (!p)
		return NULL;
	seg = lt_map_lookup(p);
	if (!seg)
		return p;
	if (seg->kind == TA_SEG_ARENA)
		lt_free_arena(seg, p);
	else
		free_large(seg, p);
	return NULL;
}

TA_COLD void lt_free_other_or_foreign(void *p)
{
	p = lt_free_other(p);
	if (p)
		free_foreign(p);
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

TA_EXPORT int ta_is_auto(const void *p)
{
	struct lt_segment *seg = lt_map_lookup(p);

	if (!seg) {
		errno = EINVAL;
		return -1;
	}
	return seg->key == TA_HINT_AUTO;
}

TA_EXPORT int ta_owns(const void *p)
{
	return lt_map_lookup(p) != NULL;
}

TA_EXPORT int ta_set_default_hint(ta_hint_t hint)
{
	if (!valid_hint(hint))
		return -1;
	lt_tls_hint = (int)hint;
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
	return lt_default_key();
}

TA_EXPORT ta_hint_t ta_get_default_hint(void)
{
	return (ta_hint_t)lt_default_key();
}

TA_EXPORT void *ta_malloc_calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return zalloc_key(bytes, lt_default_key());
}

TA_EXPORT void *ta_malloc_aligned(size_t align, size_t bytes)
{
	return ta_aligned_alloc(align, bytes, (ta_hint_t)lt_default_key());
}

TA_EXPORT int ta_posix_memalign(void **out, size_t align, size_t bytes)
{
	int e = errno;
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = ta_aligned_alloc(align, bytes, (ta_hint_t)lt_default_key());
	if (!p) {
		int r = errno;

		errno = e;
		return r;
	}
	*out = p;
	return 0;
}
