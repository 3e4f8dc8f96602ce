/* SPDX-License-Identifier: MIT */
/*
 * libta: the TierAlloc userspace allocator.
 *
 * Blocks are placed on a memory tier chosen from a placement hint (the tiers,
 * hints and cap policies are those of <linux/tieralloc.h>).  Memory comes
 * from the kernel module (/dev/tieralloc regions) when it is loaded, else
 * from mmap + mbind to the tier's NUMA node ("user backend").
 *
 * Blocks of at least TA_LARGE_MIN bytes own their memory region: ta_move()
 * migrates them in place.  Smaller blocks share pages with others and are
 * moved by copying (like realloc).
 *
 * TA_HINT_AUTO lets the system decide: on the kernel backend the blocks'
 * regions are TA_REGION_AUTO, whose hot 2 MiB units the module promotes to
 * FAST and whose cold ones it demotes (a module without TA_FEAT_AUTO: they
 * are placed as PREFER_FAST and stay, said once on stderr); on the user
 * backend their memory is left under the default NUMA policy, for the
 * kernel's own tiering (numa_balancing=2, demotion) to move.  Such a block
 * starts where PREFER_FAST would; ta_tier_of() says that tier (or the one
 * ta_move() last put it on), move_pages(2) says where its pages are now.
 * ta_realloc() keeps it AUTO; ta_move() of a large one moves its pages and
 * it stays AUTO (as TA_IOC_REGION_MOVE leaves a region AUTO), a small one
 * is copied into the tier's blocks and stays there.
 *
 * Freed pages stay resident for TA_PURGE_DELAY_MS (default 10 ms), so that
 * memory freed and taken again costs no system call or page fault; then
 * the thread's next page operation gives them back (ta_collect(): at once).
 *
 * libta never calls the C library's malloc except inside ta_stats_json(),
 * which uses json-c; every other entry point is async-signal-unsafe but
 * malloc-free and safe to use as a process's malloc.
 */
#ifndef TIERALLOC_LIBTA_H
#define TIERALLOC_LIBTA_H

#include <stddef.h>
#include <stdint.h>
#include <linux/tieralloc.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ta_hint ta_hint_t;
typedef enum ta_tier ta_tier_t;

/* Blocks of this size or more get a region of their own. */
#define TA_LARGE_MIN ((size_t)1 << 20)

/* ---- hinted API ---- */

/* Allocate @bytes on the tier @hint resolves to; NULL + errno (ENOMEM, EINVAL). */
void *ta_alloc(size_t bytes, ta_hint_t hint);
/* Zeroed array; NULL + ENOMEM when n * size overflows. */
void *ta_calloc(size_t n, size_t size, ta_hint_t hint);
/* @align: a power of two (any size up to 1 TiB); NULL + EINVAL otherwise. */
void *ta_aligned_alloc(size_t align, size_t bytes, ta_hint_t hint);
/*
 * Free a libta block (any thread); NULL is ignored, foreign pointers are
 * reported once.  errno is left as it was.
 */
void ta_free(void *p);
/*
 * ta_free() @p if libta owns it and return NULL; NULL gives NULL.  Else do
 * nothing and return @p, for the caller to hand to its owner (an
 * interposer's fast path: the pointer need not be kept aside meanwhile).
 */
void *ta_try_free(void *p);
/*
 * Resize, keeping the block's tier.  NULL @p allocates with the thread's
 * default hint; @bytes == 0 frees @p and returns NULL.  On failure returns
 * NULL with errno set and leaves @p untouched.  A large block grows without
 * a copy on the user backend (in place, or its pages remapped elsewhere),
 * and shrinks in place there, its tail given back with MADV_FREE.
 */
void *ta_realloc(void *p, size_t bytes);
/* Bytes usable at @p (>= the size asked for); 0 for NULL or foreign pointers. */
size_t ta_usable_size(const void *p);
/* Tier of the block at @p, or -1 with errno = EINVAL for a foreign pointer. */
int ta_tier_of(const void *p);
/*
 * Move the block at @p to tier @dst and return its address afterwards: the
 * same address for blocks of TA_LARGE_MIN bytes or more (migrated in place),
 * a new one for smaller blocks (copied; @p is freed).  On failure returns
 * NULL with errno set (ENOMEM over @dst's hard cap, EINVAL for a foreign
 * pointer or a bad tier) and the block is untouched.
 */
void *ta_move(void *p, ta_tier_t dst);

/*
 * The tier @hint places blocks on while no cap is reached: FAST for HOT and
 * PIN_FAST, NORMAL for WARM, SLOW for COLD; -1 for PREFER_FAST and AUTO,
 * whose tier depends on FAST's soft cap (and AUTO's later on the system),
 * and -1 with errno = EINVAL for a bad hint.
 */
int ta_hint_tier(ta_hint_t hint);

/*
 * 1 when the block at @p is AUTO (allocated with TA_HINT_AUTO: the system
 * moves its pages), 0 when not, -1 with errno = EINVAL for a foreign
 * pointer.  For caches of freed blocks: an AUTO block is no block of a tier.
 */
int ta_is_auto(const void *p);

/*
 * The names of a hint ("hot", "warm", "cold", "pin_fast", "prefer_fast", "auto")
 * and of a tier ("fast", "normal", "slow"), the UAPI's TA_HINT_NAMES and
 * TA_TIER_NAMES, for bindings that cannot read C headers; NULL with
 * errno = EINVAL past the last one.
 */
const char *ta_hint_name(ta_hint_t hint);
const char *ta_tier_name(ta_tier_t tier);

/* ---- per-thread default hint, for code that cannot pass one ---- */

/* Default: TA_HINT_WARM, or $TA_DEFAULT_HINT.  Returns -1 + EINVAL for a bad hint. */
int ta_set_default_hint(ta_hint_t hint);
ta_hint_t ta_get_default_hint(void);

/* ---- malloc-like entry set (thread default hint), for the LD_PRELOAD interposer ---- */

void *ta_malloc(size_t bytes);
void *ta_malloc_calloc(size_t n, size_t size);
void *ta_malloc_aligned(size_t align, size_t bytes);
/*
 * Run @fn (NULL: nothing) on allocation slow paths: when a thread refills a
 * page of small blocks, i.e. every few dozen to few thousand allocations,
 * never on the fast path.  For an interposer's periodic work (the preload
 * publishes its statistics from here).  @fn must not allocate with libta.
 */
void ta_set_refill_hook(void (*fn)(void));
/*
 * Give back now what would go after the purge delay (TA_PURGE_DELAY_MS):
 * the calling thread's free pages and the freed large blocks kept for
 * reuse.  Returns the bytes given back to their tiers.
 */
size_t ta_collect(void);
/* posix_memalign semantics: returns 0, EINVAL or ENOMEM; errno untouched. */
int ta_posix_memalign(void **out, size_t align, size_t bytes);
/* O(1): does @p point into memory libta manages (any block, even interior)? */
int ta_owns(const void *p);
/*
 * Initialise now (otherwise done on first use).  Returns 0, or 1 when
 * TA_DISABLE is set: libta then works as a plain allocator without tiers.
 */
int ta_init(void);

/* ---- statistics ---- */

enum ta_backend_kind {
	TA_BACKEND_USER = 0,   /* mmap + mbind (or labels only, "simulated") */
	TA_BACKEND_KERNEL = 1, /* /dev/tieralloc regions */
};

/*
 * The counters of struct ta_lib_tier_stats, in order, written once:
 * X(field) for the struct below, libta's own counters, ta_stats_json(), the
 * preload's shared-memory record (libta/include/tieralloc_shm.h) and its readers.
 * Gauges say so; the others only grow.
 */
/* clang-format off */
#define TA_LIB_TIER_COUNTERS(X)                                                  \
	X(reserved_bytes)   /* gauge: bytes of live regions on this tier */      \
	X(regions)          /* gauge: live regions (arenas and large blocks) */  \
	X(large_blocks)     /* gauge: live blocks >= TA_LARGE_MIN */             \
	X(large_bytes)      /* gauge: their bytes */                             \
	X(alloc_calls)      /* regions created */                                \
	X(free_calls)       /* regions released */                               \
	X(bytes_allocated)  /* bytes of regions created */                       \
	X(bytes_freed)      /* bytes of regions released */                      \
	X(sim_wait_ns)      /* token bucket, account mode: modelled wait */      \
	X(throttle_wait_ns) /* token bucket, enforce mode: real wait */          \
	X(soft_violations)  /* grants beyond the soft cap */                     \
	X(hard_violations)  /* requests refused by the hard cap */               \
	X(reroutes)         /* requests sent on to a slower tier */              \
	X(moves_in)         /* ta_move calls that moved a block here */          \
	X(moves_out)        /* ... and away from here */                         \
	X(bytes_moved_in)                                                        \
	X(bytes_moved_out)                                                       \
	X(move_failures)    /* ta_move calls to this tier that failed */
/* clang-format on */

#define TA_LIB_COUNTER_FIELD_(f) uint64_t f;

/* Per tier, as seen by this process (region counters mirror struct ta_tier_stats). */
struct ta_lib_tier_stats {
	int32_t node;	   /* NUMA node backing the tier; -1 when simulated */
	uint32_t policy;   /* enum ta_cap_policy */
	uint64_t soft_cap; /* bytes, 0 = none */
	uint64_t hard_cap; /* bytes, 0 = none */
	TA_LIB_TIER_COUNTERS(TA_LIB_COUNTER_FIELD_)
};

struct ta_lib_stats {
	uint32_t backend;	/* enum ta_backend_kind */
	uint32_t simulated;	/* user backend without NUMA placement */
	uint32_t disabled;	/* TA_DISABLE */
	uint32_t kernel_valid;	/* @kernel holds TA_IOC_GET_STATS */
	uint64_t heaps;		/* thread heaps created */
	uint64_t heaps_in_use;	/* ... owned by a live thread */
	uint64_t segments;	/* live arenas of small blocks */
	uint64_t large_cached;	/* freed large regions kept for reuse */
	uint64_t foreign_frees; /* ta_free() of pointers libta does not own */
	struct ta_lib_tier_stats tier[TA_NR_TIERS];
	struct ta_stats kernel; /* machine-wide, kernel backend only */
};

/* Snapshot; 0, or -1 + EINVAL for NULL. */
int ta_get_stats(struct ta_lib_stats *out);
/*
 * The same as JSON, snprintf-style: writes at most @n bytes (NUL included)
 * and returns the length the whole document needs, or -1 + errno.
 */
int ta_stats_json(char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TIERALLOC_LIBTA_H */
