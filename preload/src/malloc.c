// SPDX-License-Identifier: MIT
/*
 * The C library's malloc family, served by libta with glibc 2.36's semantics:
 *
 *  - every block is 16-byte aligned, malloc(0) is a unique pointer;
 *  - sizes above PTRDIFF_MAX, overflowing calloc/reallocarray products and
 *    exhausted memory give NULL with errno = ENOMEM;
 *  - free() keeps errno; realloc(p, 0) frees p and returns NULL;
 *    realloc(NULL, n) is malloc(n); a failed realloc leaves p untouched;
 *  - posix_memalign: EINVAL unless the alignment is a power of two multiple
 *    of sizeof(void *), ENOMEM, *memptr untouched on error;
 *  - memalign/aligned_alloc (one function in 2.36): alignments up to 16 are
 *    malloc, others are rounded up to a power of two, above SIZE_MAX/2+1
 *    EINVAL; valloc = memalign(page size), pvalloc rounds the size up to
 *    pages;
 *  - pointers libta does not own (ld.so's early allocations, blocks from
 *    glibc's own malloc) never reach libta: see foreign.c.
 *
 * Placement: with TA_INTERPOSE (the default) a block gets the thread's
 * default hint (TA_DEFAULT_HINT, or ta_set_default_hint()), and blocks of
 * TA_LARGE_MIN bytes or more get TA_LARGE_HINT when that is set; with
 * TA_INTERPOSE=0 every block is warm (the normal tier).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

static inline size_t min_size(size_t n)
{
	return n < PL_MIN_SIZE ? PL_MIN_SIZE : n;
}

static inline bool is_pow2(size_t a)
{
	return a && !(a & (a - 1));
}

static size_t page_size(void)
{
	static size_t ps;

	if (unlikely(!ps))
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

/* The hint for a block of @n bytes, or -1 for the thread's default hint. */
static int hint_for(size_t n)
{
	if (!pl.tiered)
		return pl.disabled ? -1 : TA_HINT_WARM;
	if (pl.large_hint >= 0 && n >= pl.large_min)
		return pl.large_hint;
	return -1;
}

static TA_COLD void *alloc_slow(size_t n, bool zero)
{
	void *p;
	int h;

	if (unlikely(!pl_ready()))
		pl_init();
	if (unlikely(n > PTRDIFF_MAX)) {
		errno = ENOMEM;
		return NULL;
	}
	n = min_size(n);
	h = hint_for(n);
	if (zero)
		p = h < 0 ? ta_malloc_calloc(n, 1) : ta_calloc(n, 1, (ta_hint_t)h);
	else
		p = h < 0 ? ta_malloc(n) : ta_alloc(n, (ta_hint_t)h);
	if (p && n >= PL_TICK_BYTES)
		pl_publish_tick(n);
	return p;
}

TA_EXPORT void *malloc(size_t n)
{
	if (likely(n < pl.fast_max))
		return ta_malloc(min_size(n));
	return alloc_slow(n, false);
}

void *pl_malloc(size_t n)
{
	return malloc(n);
}

TA_EXPORT void free(void *p)
{
	p = ta_try_free(p);
	if (unlikely(p != NULL))
		pl_foreign_free(p);
}

TA_EXPORT void cfree(void *p);
TA_EXPORT void cfree(void *p)
{
	free(p);
}

TA_EXPORT void *calloc(size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	if (likely(bytes < pl.fast_max))
		return ta_malloc_calloc(min_size(bytes), 1);
	return alloc_slow(bytes, true);
}

static TA_COLD void *realloc_slow(void *p, size_t n)
{
	size_t usable;
	void *q;
	int h;

	if (unlikely(!pl_ready()))
		pl_init();
	if (n == 0) {
		free(p);
		return NULL;
	}
	if (unlikely(n > PTRDIFF_MAX)) {
		errno = ENOMEM;
		return NULL;
	}
	n = min_size(n);
	usable = ta_usable_size(p);
	h = hint_for(n);
	if (h >= 0 && pl.tiered && usable < pl.large_min) {
		/* Grown across TA_LARGE_MIN: the block now belongs to TA_LARGE_HINT. */
		q = ta_alloc(n, (ta_hint_t)h);
		if (q) {
			memcpy(q, p, usable < n ? usable : n);
			free(p);
		}
	} else {
		q = ta_realloc(p, n);
	}
	if (q && n >= PL_TICK_BYTES)
		pl_publish_tick(n > usable ? n - usable : usable - n);
	return q;
}

TA_EXPORT void *realloc(void *p, size_t n)
{
	if (likely(ta_owns(p))) {
		if (likely(n != 0 && n < pl.fast_max && n < PL_GROW_MIN))
			return ta_realloc(p, min_size(n));
		return realloc_slow(p, n);
	}
	if (!p)
		return malloc(n);
	return pl_foreign_realloc(p, n);
}

TA_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes))) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, bytes);
}

/* @align: a power of two. */
static void *aligned(size_t align, size_t n)
{
	void *p;
	int h;

	if (align <= PL_MALLOC_ALIGN)
		return malloc(n);
	if (unlikely(!pl_ready()))
		pl_init();
	if (unlikely(n > PTRDIFF_MAX || n > SIZE_MAX - align)) {
		errno = ENOMEM;
		return NULL;
	}
	n = min_size(n);
	h = hint_for(n);
	p = h < 0 ? ta_malloc_aligned(align, n) : ta_aligned_alloc(align, n, (ta_hint_t)h);
	if (p && n >= PL_TICK_BYTES)
		pl_publish_tick(n);
	return p;
}

TA_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align % sizeof(void *) != 0 || !is_pow2(align))
		return EINVAL;
	p = aligned(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* glibc 2.36's _mid_memalign(): aligned_alloc and memalign are the same function. */
TA_EXPORT void *memalign(size_t align, size_t n)
{
	if (align <= PL_MALLOC_ALIGN)
		return malloc(n);
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_pow2(align)) {
		size_t a = PL_MALLOC_ALIGN * 2;

		while (a < align)
			a <<= 1;
		align = a;
	}
	return aligned(align, n);
}

TA_EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

TA_EXPORT void *valloc(size_t n)
{
	return aligned(page_size(), n);
}

TA_EXPORT void *pvalloc(size_t n)
{
	size_t ps = page_size(), r;

	if (__builtin_add_overflow(n, ps - 1, &r)) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned(ps, r & ~(ps - 1));
}

TA_EXPORT size_t malloc_usable_size(void *p)
{
	if (likely(ta_owns(p)))
		return ta_usable_size(p);
	if (!p)
		return 0;
	return pl_foreign_usable_size(p);
}

/* ---- glibc's internal names, for programs that call them directly ---- */

TA_EXPORT void *__libc_malloc(size_t n) __attribute__((alias("malloc"), copy(malloc)));
TA_EXPORT void __libc_free(void *p) __attribute__((alias("free"), copy(free)));
TA_EXPORT void *__libc_calloc(size_t n, size_t size) __attribute__((alias("calloc"), copy(calloc)));
TA_EXPORT void *__libc_realloc(void *p, size_t n) __attribute__((alias("realloc"), copy(realloc)));
TA_EXPORT void *__libc_memalign(size_t align, size_t n)
	__attribute__((alias("memalign"), copy(memalign)));
TA_EXPORT void *__libc_valloc(size_t n) __attribute__((alias("valloc"), copy(valloc)));
TA_EXPORT void *__libc_pvalloc(size_t n) __attribute__((alias("pvalloc"), copy(pvalloc)));

/* C23, glibc 2.40: harmless to offer to programs built against a newer glibc. */
TA_EXPORT void free_sized(void *p, size_t n);
TA_EXPORT void free_sized(void *p, size_t n)
{
	(void)n;
	free(p);
}

TA_EXPORT void free_aligned_sized(void *p, size_t align, size_t n);
TA_EXPORT void free_aligned_sized(void *p, size_t align, size_t n)
{
	(void)align;
	(void)n;
	free(p);
}

/* ---- tuning and introspection: accepted, answered from libta ---- */

TA_EXPORT int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}

/* Gives back the calling thread's free pages and cached large blocks, as glibc trims its arenas. */
TA_EXPORT int malloc_trim(size_t pad)
{
	(void)pad;
	return ta_collect() > 0;
}

static void totals(size_t *reserved, size_t *regions, size_t *large)
{
	struct ta_lib_stats st;

	*reserved = *regions = *large = 0;
	if (ta_get_stats(&st))
		return;
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		*reserved += st.tier[t].reserved_bytes;
		*regions += st.tier[t].regions;
		*large += st.tier[t].large_bytes;
	}
}

TA_EXPORT struct mallinfo2 mallinfo2(void)
{
	struct mallinfo2 mi = { 0 };
	size_t reserved, regions, large;

	totals(&reserved, &regions, &large);
	mi.arena = reserved - large;
	mi.hblks = regions;
	mi.hblkhd = large;
	mi.uordblks = reserved;
	return mi;
}

static int clamp_int(size_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

TA_EXPORT struct mallinfo mallinfo(void)
{
	struct mallinfo2 m2 = mallinfo2();
	struct mallinfo mi = { 0 };

	mi.arena = clamp_int(m2.arena);
	mi.hblks = clamp_int(m2.hblks);
	mi.hblkhd = clamp_int(m2.hblkhd);
	mi.uordblks = clamp_int(m2.uordblks);
	return mi;
}

TA_EXPORT void malloc_stats(void)
{
	static const char *const name[TA_NR_TIERS] = TA_TIER_NAMES;
	struct ta_lib_stats st;
	char buf[160];
	int e = errno;

	if (ta_get_stats(&st))
		return;
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		int n = snprintf(buf, sizeof(buf),
				 "tieralloc %s tier (node %d): %llu bytes in %llu regions\n",
				 name[t], (int)st.tier[t].node,
				 (unsigned long long)st.tier[t].reserved_bytes,
				 (unsigned long long)st.tier[t].regions);

		if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	}
	errno = e;
}

TA_EXPORT int malloc_info(int options, FILE *fp)
{
	size_t reserved, regions, large;

	if (options != 0) {
		errno = EINVAL;
		return -1;
	}
	totals(&reserved, &regions, &large);
	fprintf(fp,
		"<malloc version=\"1\">\n<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n"
		"<system type=\"current\" size=\"%zu\"/>\n</malloc>\n",
		regions, reserved, reserved);
	return 0;
}
