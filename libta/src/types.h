/* SPDX-License-Identifier: MIT */
/*
 * libta's types and constants: blocks, pages, segments, heaps, the global
 * state.  What they mean and how they fit together: internal.h, which
 * includes this and declares the functions and variables.
 */
#ifndef TA_TYPES_H
#define TA_TYPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/tieralloc.h>
#include "tieralloc.h"
#include "compiler.h"
#include "parse.h"
#include "options.h"
#include "list.h"
#include "once.h"
/* The placement rules and the GCRA arithmetic, shared with the module. */
#include "../../kmod/ta_policy.h"

/*
 * Big or seldom used zeroed data goes after .bss, so that the small
 * variables every process touches at start share the page of .data that
 * ld.so writes anyway: each page touched is a page fault per process.
 */
#define TA_BIG_BSS __attribute__((section(".lbss")))

#define TA_PAGE_SIZE	 ((size_t)1 << TA_PAGE_SHIFT)
#define TA_SLICE_SHIFT	 16
#define TA_SLICE_SIZE	 ((size_t)1 << TA_SLICE_SHIFT)
#define TA_SEG_SHIFT	 22
#define TA_SEG_SIZE	 ((size_t)1 << TA_SEG_SHIFT)
#define TA_SEG_MASK	 (TA_SEG_SIZE - 1)
#define TA_SEG_SLICES	 (TA_SEG_SIZE / TA_SLICE_SIZE)
#define TA_SMALL_MAX	 (16u << 10)  /* blocks up to this: 1-slice pages */
#define TA_MEDIUM_MAX	 (128u << 10) /* up to this: 8-slice pages */
#define TA_MEDIUM_SLICES 8
#define TA_GROW_MIN	 (16u << 10) /* ta_realloc growth from here gets headroom */
#define TA_NBINS	 101	     /* bins 0..100; bin 100 holds 1 MiB blocks */
#define TA_NKEYS	 (TA_NR_HINTS + TA_NR_TIERS)
#define TA_MAX_ALLOC	 (TA_REGION_MAX_SIZE - 2 * TA_SEG_SIZE)

static inline unsigned lt_key_exact(unsigned tier)
{
	return TA_NR_HINTS + tier;
}

/* ---------------- blocks, pages, segments, heaps ---------------- */

struct lt_block {
	struct lt_block *next;
};

#define TA_PF_FULL    1u /* page is on its sub-heap's full list */
#define TA_PF_ALIGNED 2u /* some blocks were handed out at an interior offset */
#define TA_PF_MINI    4u /* a span of mini pages: its frees look their page up (slow path) */

/*
 * Mini pages: a bin's first page in a sub-heap, for blocks of up to
 * TA_MINI_BLOCK_MAX bytes, is TA_MINI_SIZE bytes of the sub-heap's one mini
 * span rather than a span of its own.  A small process uses a dozen such
 * bins, each a page fault when it starts: this way they share a few pages,
 * as glibc's heap shares them.  Only the first page of a bin, and only one
 * mini span per sub-heap: frees into mini pages take the slow path, which a
 * busy bin's later pages should not.  A bin that stays busy in its mini page
 * (a program that churns a few blocks of one size) gets a page of its own
 * after TA_MINI_GRADUATE frees into it, and the mini page drains.
 */
#define TA_MINI_SHIFT	  10
#define TA_MINI_SIZE	  ((size_t)1 << TA_MINI_SHIFT)
#define TA_MINI_PAGES	  32 /* in the first 32 KiB of the span */
#define TA_MINI_BLOCK_MAX 1024
#define TA_MINI_GRADUATE  256 /* frees into a bin's mini page that earn it a page of its own */

/* page->xfree holds a block list, or exactly TA_XFREE_FULL. */
#define TA_XFREE_FULL ((uintptr_t)1)

struct lt_page {
	struct lt_block *free; /* ready to allocate */
	uint32_t used;	       /* handed out and not yet freed back to us */
	uint8_t flags;	       /* TA_PF_*: non-zero sends frees to the slow path */
	uint8_t bin;
	uint8_t slices; /* length of the span; 0 = slice not a page start, or a mini page */
	uint8_t in_use;
	struct lt_block *local_free; /* freed by the owner thread */
	_Atomic uintptr_t xfree;     /* freed by other threads */
	uint32_t block_size;
	uint16_t capacity; /* blocks carved so far */
	uint16_t reserved; /* blocks that fit: at most 64 KiB / 8 */
	uint8_t *start;
	struct lt_page *next, *prev; /* bin queue or full list */
};

/* One cache line each: a free touches the line of its page only. */
_Static_assert(sizeof(struct lt_page) == 64, "struct lt_page is one cache line");

enum lt_seg_kind { TA_SEG_ARENA = 1, TA_SEG_LARGE = 2 };

struct lt_heap;

struct lt_segment {
	uint32_t kind;	 /* enum lt_seg_kind */
	uint32_t handle; /* kernel region, 0 = anonymous memory */
	uint8_t tier;	 /* tier the data mapping is on */
	uint8_t key;	 /* placement key it was created for */
	uint8_t huge;	 /* 2 MiB pages */
	uint8_t zero;	 /* large: the block is still all zero */
	uint32_t pad;
	struct lt_heap *heap; /* arena: owner heap; large: NULL */
	uint8_t *base;	      /* reservation start (this header) */
	size_t total;	      /* reservation bytes, multiple of TA_SEG_SIZE */
	uint8_t *data;	      /* tiered mapping */
	size_t data_len;
	struct lt_segment *next, *prev;	  /* owner sub-heap list / large cache */
	struct lt_segment *gnext, *gprev; /* registry of all segments */
	/* arena */
	uint64_t free_mask;  /* bit i: slice i is free */
	uint64_t dirty_mask; /* free slices that may hold memory */
	uint32_t used_slices;
	uint32_t pad2;
	uint64_t purge_due; /* coarse ns when the first dirty slice goes; 0: none */
	uint32_t mini_free; /* bit i: mini[i] is free (while a span here has TA_PF_MINI) */
	uint32_t pad3;
	uint16_t mini_frees[TA_MINI_PAGES]; /* owner frees into mini[i], see mini_count_free() */
	/* large */
	uint8_t *block;			  /* the block's address */
	size_t used_len;		  /* data bytes it may have dirtied; the rest is purged */
	uint8_t slice_off[TA_SEG_SLICES]; /* slice -> distance to its page start */
	/* Before pages[]: the first pages a heap uses share one page of this header. */
	struct lt_page mini[TA_MINI_PAGES] __attribute__((aligned(64)));
	struct lt_page pages[TA_SEG_SLICES];
	uint64_t freed_at[TA_SEG_SLICES]; /* coarse ns a dirty slice was freed */
};

#define TA_SEG_META_SIZE \
	(((sizeof(struct lt_segment) + TA_PAGE_SIZE - 1) / TA_PAGE_SIZE) * TA_PAGE_SIZE)

struct lt_pageq {
	struct lt_page *first, *last;
};

struct lt_sub {
	struct lt_pageq pq[TA_NBINS];
	struct lt_page *full;	 /* pages with no free block (doubly linked) */
	struct lt_segment *segs; /* arena segments of this key */
	uint32_t nsegs;
	uint32_t nempty;	   /* of them, segments with no page */
	struct lt_page *mini_span; /* NULL: none, yet or any more */
	uint64_t mini_bins;	   /* bit b: bin b had its mini page (all: the span was released) */
};

enum lt_heap_state { TA_HEAP_FREE = 0, TA_HEAP_USED = 1, TA_HEAP_DEAD = 2 };

/* The fields first: a thread that allocates with one hint touches one page of it. */
struct lt_heap {
	_Atomic(struct lt_block *) delayed; /* remote frees into full pages */
	struct lt_heap *next;		    /* all heaps */
	int state;			    /* enum lt_heap_state, under lt_heaps_lock */
	pid_t tid;
	uint64_t purge_due; /* earliest purge_due of its segments; 0: none */
	struct lt_sub sub[TA_NKEYS];
};

/* ---------------- global state ---------------- */

struct lt_tier_conf {
	int node;		     /* -1: simulated */
	uint32_t policy;	     /* enum ta_cap_policy */
	uint64_t soft_cap, hard_cap; /* 0: none */
	uint64_t rate, burst;	     /* token bucket; rate 0: none */
	uint32_t throttle_mode;
	uint32_t info_flags; /* TA_TIER_INFO_* */
	uint32_t read_latency_ns, read_bandwidth_mbps;
};

#define TA_COUNTER_ATOMIC_(f) _Atomic uint64_t f;

/* This process's counters of a tier: those of struct ta_lib_tier_stats. */
struct lt_tier_counters {
	TA_LIB_TIER_COUNTERS(TA_COUNTER_ATOMIC_)
};

struct lt_global {
	struct lt_once init; /* lt_init_slow() */
	bool disabled;
	bool use_numa; /* user backend places memory with mbind */
	bool huge;     /* huge pages for large blocks */
	int backend;   /* enum ta_backend_kind */
	int fd;	       /* /dev/tieralloc */
	uint32_t kfeatures;
	void (*_Atomic refill_hook)(void); /* ta_set_refill_hook() */
	ta_hint_t default_hint;
	uint64_t purge_delay_ns; /* TA_PURGE_DELAY_MS */
	struct lt_tier_conf tier[TA_NR_TIERS];
	struct lt_tier_counters cnt[TA_NR_TIERS];
	_Atomic uint64_t heaps, heaps_in_use, segments, large_cached, foreign_frees;
};

#endif /* TA_TYPES_H */
