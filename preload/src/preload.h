/* SPDX-License-Identifier: MIT */
/*
 * libta_preload.so internals: the malloc family of the C library served by
 * libta (linked in statically), with glibc's semantics.
 *
 *   malloc.c   the interposed entry points
 *   config.c   initialisation and the environment
 *   foreign.c  pointers libta did not allocate (ld.so, glibc)
 *   publish.c  per-process statistics in /dev/shm (tieralloc_shm.h)
 */
#ifndef TA_PRELOAD_H
#define TA_PRELOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tieralloc.h"
#include "../../libta/src/compiler.h"
#include "../../libta/src/once.h"

/* glibc: every block is 16-byte aligned, so no block is smaller than 16 bytes. */
#define PL_MIN_SIZE	16
#define PL_MALLOC_ALIGN 16
/* Blocks from this size on own a region in libta. */
#define PL_REGION_MIN TA_LARGE_MIN
/* realloc to this size or more takes realloc_slow (tier change, stats tick). */
#define PL_GROW_MIN ((size_t)16 << 10)
/*
 * The published statistics are refreshed after allocations (and realloc
 * growth) of PL_TICK_BYTES or more once they add up to PL_PUBLISH_BYTES,
 * and otherwise, on those and on a thread's refill of a page of small
 * blocks (ta_set_refill_hook), when TA_STATS_INTERVAL_MS have passed.
 */
#define PL_TICK_BYTES	 ((size_t)256 << 10)
#define PL_PUBLISH_BYTES ((size_t)1 << 20)

struct pl_config {
	/*
	 * Requests below this size take the fast path: ta_malloc() with the
	 * thread's default hint.  0 until initialised, or when every request
	 * needs a look (TA_INTERPOSE=0, TA_DISABLE=1).
	 */
	size_t fast_max;
	bool tiered;	      /* TA_INTERPOSE: hints and size rules apply */
	bool disabled;	      /* TA_DISABLE: libta is a plain allocator */
	int large_hint;	      /* TA_LARGE_HINT, -1: none */
	size_t large_min;     /* TA_LARGE_MIN */
	bool stats;	      /* TA_STATS_SHM */
	uint32_t interval_ms; /* TA_STATS_INTERVAL_MS */
};

extern struct pl_config pl;
extern struct lt_once pl_once; /* pl_init() */

void pl_init(void);
/* libta's one-line stderr message (libta.a is linked in); no allocation. */
void lt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline bool pl_ready(void)
{
	return lt_once_done(&pl_once);
}

/* foreign.c: @p is not libta's and not NULL. */
void pl_foreign_init(void);
void pl_foreign_free(void *p);
size_t pl_foreign_usable_size(void *p);
void *pl_foreign_realloc(void *p, size_t n);

/* publish.c */
void pl_publish_init(void);
/* @big: bytes of a big allocation (or growth), 0 for a periodic tick. */
void pl_publish_tick(size_t big);
void pl_publish_exit(void);
extern _Atomic uint64_t pl_foreign_frees, pl_foreign_to_glibc;

/* malloc.c */
void *pl_malloc(size_t n);

#endif /* TA_PRELOAD_H */
