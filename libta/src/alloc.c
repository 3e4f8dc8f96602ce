// SPDX-License-Identifier: MIT
/*
 * The fast paths of the public API, whole: ta_alloc(), ta_malloc() and
 * ta_free() (fast.h holds the inline parts).  Larger requests, empty
 * pages, remote frees and the other entry points: alloc_slow.c; ta_realloc()
 * and ta_move(): realloc.c.
 */
#include <errno.h>

#include "fast.h"

static TA_COLD void *alloc_bad_hint(void)
{
	errno = EINVAL;
	return NULL;
}

TA_EXPORT void *ta_alloc(size_t bytes, ta_hint_t hint)
{
	if (unlikely((unsigned)hint >= TA_NR_HINTS))
		return alloc_bad_hint();
	return lt_alloc_key(bytes, hint);
}

/* Larger requests, empty pages, and a thread without a heap. */
static TA_COLD void *malloc_generic(size_t bytes)
{
	return lt_alloc_generic(lt_tls_heap, bytes, lt_default_key());
}

/*
 * The default hint's sub-heap is thread-local itself: the fast path loads
 * it instead of the heap, then pops as ta_alloc() does.
 */
TA_EXPORT void *ta_malloc(size_t bytes)
{
	struct lt_sub *s = lt_tls_msub;

	if (likely(bytes <= TA_BIN_DIRECT_MAX && s != NULL)) {
		void *b = lt_bin_pop(s, bytes);

		if (likely(b != NULL))
			return b;
	}
	return malloc_generic(bytes);
}

TA_EXPORT void ta_free(void *p)
{
	if (likely(lt_in_arena(p))) {
		lt_free_arena(lt_arena_of(p), p);
		return;
	}
	lt_free_other_or_foreign(p);
}

/* Inlined into the preload's free() (link-time optimisation): it is its fast path. */
TA_EXPORT __attribute__((always_inline)) inline void *ta_try_free(void *p)
{
	if (likely(lt_in_arena(p))) {
		lt_free_arena(lt_arena_of(p), p);
		return NULL;
	}
	return lt_free_other(p);
}
