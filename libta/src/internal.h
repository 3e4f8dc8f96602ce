/* SPDX-License-Identifier: MIT */
/*
 * libta internals.
 *
 * Memory layout (mimalloc-like):
 *  - A segment is a TA_SEG_SIZE-aligned reservation.  Its first slice holds
 *    the segment header (ordinary anonymous memory); the rest is one tiered
 *    mapping (a kernel region, or anonymous memory bound to the tier's node).
 *  - Arena segments (TA_SEG_ARENA) are TA_SEG_SIZE bytes of 64 KiB slices and
 *    belong to one thread heap and one placement key.  A page is a span of
 *    slices holding blocks of one size class, or a bin's first page, a
 *    1 KiB mini page of a span shared with other bins (TA_MINI_SIZE).
 *  - Large segments (TA_SEG_LARGE) hold one block of >= TA_LARGE_MIN bytes
 *    and belong to nobody; any thread frees them.
 *  - page_map.c maps every TA_SEG_SIZE unit of the address space that libta
 *    reserved to its segment: O(1) pointer -> owner and ta_owns().
 *
 * Placement keys: 0..4 are the hints of the UAPI, 5..7 an exact tier (used by
 * ta_move and ta_realloc), as in ../../kmod/ta_policy.h.  Each thread heap
 * has a sub-heap per key.
 *
 * Names: ta_* is the public API (tieralloc.h) and the UAPI, lt_* what is
 * internal to libta (the preload, which links libta in, uses a few), and
 * tapol_* the rules libta shares with the module.
 *
 * Fast paths take no lock and no atomic read-modify-write: the owner thread
 * allocates from page->free and frees onto page->local_free; other threads
 * push freed blocks onto page->xfree with one CAS.
 */
#ifndef TA_INTERNAL_H
#define TA_INTERNAL_H

/* The types and constants; the functions, variables and inline helpers follow. */
#include "types.h"

/* ---------------- lists, thread and global state ---------------- */

/* The lists of pages (bin queues, full lists) and segments (lt_sub.segs, large cache, registry). */
LT_DLIST(lt_page_list, struct lt_page, next, prev)
LT_DLIST(lt_seg_list, struct lt_segment, next, prev)
LT_DLIST(lt_registry_list, struct lt_segment, gnext, gprev)

extern TA_TLS struct lt_heap *lt_tls_heap;
/* The sub-heap of the thread's default hint in its heap, for ta_malloc(); NULL without a heap. */
extern TA_TLS struct lt_sub *lt_tls_msub;

extern struct lt_global lt_g;

/* ---------------- size classes (size_class.c) ---------------- */

/*
 * The bin of a request of @s bytes, the inverse of lt_bin_block_size(): 8
 * bytes, multiples of 16 up to 128, four classes per power of two up to
 * 1 KiB, then eight.  A macro so that the lookup table below can be built
 * from it at compile time.
 */
#define TA_MSB(x) (63u - (unsigned)__builtin_clzll(x))
/* 128..1 KiB: four classes per power of two, by the two bits below the top one. */
#define TA_BIN_LOG2(s) \
	(9u + (TA_MSB((s)-1) - 7u) * 4u + (unsigned)((((s)-1) >> (TA_MSB((s)-1) - 2u)) & 3u))
/*
 * Above 1 KiB, eight, by three bits: at most 12.5% over, not 25%, which is
 * a page fault in every few blocks of the buffers of a page and a header
 * that programs allocate (sqlite3's page cache: 4360 bytes in 4608, not 5120).
 */
#define TA_BIN_LOG3_MIN	  1024 /* above this, eight classes per power of two */
#define TA_BIN_LOG3_FIRST 21u  /* the bin of TA_BIN_LOG3_MIN + 1 */
#define TA_BIN_LOG3(s)                                    \
	(TA_BIN_LOG3_FIRST + (TA_MSB((s)-1) - 10u) * 8u + \
	 (unsigned)((((s)-1) >> (TA_MSB((s)-1) - 3u)) & 7u))
#define TA_BIN_CALC(s)                                          \
	((s) <= 8		  ? 0u                          \
	 : (s) <= 128		  ? (unsigned)(((s) + 15) >> 4) \
	 : (s) <= TA_BIN_LOG3_MIN ? TA_BIN_LOG2(s)              \
				  : TA_BIN_LOG3(s))

/* Requests up to this many bytes find their bin in a table, without branches. */
#define TA_BIN_DIRECT_MAX 1024
extern const uint8_t lt_bin_direct[TA_BIN_DIRECT_MAX / 8 + 1];

static inline unsigned lt_bin_of(size_t size)
{
	if (likely(size <= TA_BIN_DIRECT_MAX))
		return lt_bin_direct[(size + 7) >> 3];
	return TA_BIN_CALC(size);
}

size_t lt_bin_block_size(unsigned bin);
unsigned lt_bin_slices(unsigned bin);

/* ---------------- os.c ---------------- */

void lt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *lt_reserve(size_t size, size_t align, size_t align_off);
int lt_map_anon_fixed(void *addr, size_t len);
void lt_unmap(void *addr, size_t len);
pid_t lt_gettid(void);
const char *lt_strerror(int e);
uint64_t lt_now_ns(void);
uint64_t lt_now_coarse_ns(void);
void *lt_meta_alloc(size_t size);

/* ---------------- page_map.c ---------------- */

#define TA_MAP_L2_BITS 13
#define TA_MAP_L1_BITS (47 - TA_SEG_SHIFT - TA_MAP_L2_BITS)

extern TA_BIG_BSS _Atomic(struct lt_segment *) *_Atomic lt_map_l1[1u << TA_MAP_L1_BITS];

/*
 * One bit per TA_SEG_SIZE unit: set while an arena segment (always exactly
 * one aligned unit) is there.  The free fast path tests it instead of
 * walking the map, then masks the pointer for the segment's header.
 */
#define TA_ARENA_UNITS ((uintptr_t)1 << (47 - TA_SEG_SHIFT))
extern TA_BIG_BSS _Atomic uint64_t lt_arena_bits[TA_ARENA_UNITS / 64];

static inline bool lt_in_arena(const void *p)
{
	uintptr_t u = (uintptr_t)p >> TA_SEG_SHIFT;

	/* Unit 0 holds no segment: free(NULL) reads no bitmap, which would be a page fault. */
	return likely(u - 1 < TA_ARENA_UNITS - 1) &&
	       (atomic_load_explicit(&lt_arena_bits[u / 64], memory_order_relaxed) >> (u % 64) & 1);
}

/* The header of the arena segment @p is in (lt_in_arena(p) must hold). */
static inline struct lt_segment *lt_arena_of(const void *p)
{
	return (struct lt_segment *)((uintptr_t)p & ~(uintptr_t)TA_SEG_MASK);
}

/* The segment @p is in, arena or large; NULL if libta did not reserve it. */
static inline struct lt_segment *lt_map_lookup(const void *p)
{
	uintptr_t u = (uintptr_t)p >> TA_SEG_SHIFT;
	uintptr_t i1 = u >> TA_MAP_L2_BITS;

	if (lt_in_arena(p))
		return lt_arena_of(p);
	/* Unit 0 (NULL) holds no segment either: realloc(NULL, n) reads no map page. */
	if (unlikely(u - 1 >= ((uintptr_t)1 << (TA_MAP_L1_BITS + TA_MAP_L2_BITS)) - 1))
		return NULL;
	_Atomic(struct lt_segment *) *l2 =
		atomic_load_explicit(&lt_map_l1[i1], memory_order_acquire);
	if (unlikely(!l2))
		return NULL;
	return atomic_load_explicit(&l2[u & ((1u << TA_MAP_L2_BITS) - 1)], memory_order_acquire);
}

int lt_map_set(struct lt_segment *seg);
void lt_map_clear(struct lt_segment *seg);

/* ---------------- segments (arena.c) ---------------- */

struct lt_segment *lt_seg_new(unsigned kind, unsigned key, size_t data_off, size_t data_len,
			      size_t align, bool huge);
void lt_seg_free(struct lt_segment *seg);
struct lt_segment *lt_seg_relocate(struct lt_segment *seg, size_t total, size_t data_len);
struct lt_page *lt_span_alloc(struct lt_heap *h, unsigned key, unsigned slices);
void lt_span_free(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg);
size_t lt_heap_purge(struct lt_heap *h, uint64_t now);
size_t lt_heap_release_empty(struct lt_heap *h);
void lt_registry_lock(void);
void lt_registry_unlock(void);
void lt_registry_reinit(void);
void lt_registry_foreach(void (*fn)(struct lt_segment *, void *), void *arg);

/*
 * Whether span page @pg is a mini span.  Any thread may ask: the block
 * size, unlike the flags, does not change while blocks are handed out, and
 * a mini span has none of its own (its mini pages have).
 */
static inline bool lt_page_is_mini_span(const struct lt_page *pg)
{
	return pg->block_size == 0;
}

/* The page of @p's block in @seg: see lt_arena_page_of() for the fast path. */
static inline struct lt_page *lt_page_of(struct lt_segment *seg, const void *p)
{
	size_t idx = (size_t)((const uint8_t *)p - seg->base) >> TA_SLICE_SHIFT;
	struct lt_page *pg = &seg->pages[idx - seg->slice_off[idx]];

	if (unlikely(lt_page_is_mini_span(pg)))
		pg = &seg->mini[(size_t)((const uint8_t *)p - pg->start) >> TA_MINI_SHIFT];
	return pg;
}

/*
 * The span page @p is in, for an arena segment (one aligned TA_SEG_SIZE
 * unit: no load of its base).  A mini span's page has TA_PF_MINI set, which
 * sends the free to the slow path; lt_page_of() finds the mini page.
 */
static inline struct lt_page *lt_arena_page_of(struct lt_segment *seg, const void *p)
{
	size_t idx = ((uintptr_t)p & TA_SEG_MASK) >> TA_SLICE_SHIFT;

	return &seg->pages[idx - seg->slice_off[idx]];
}

/* ---------------- pages (page.c) ---------------- */

void *lt_alloc_slow(struct lt_heap *h, unsigned key, unsigned bin);
void lt_free_local_slow(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg, void *p);
void lt_free_remote(struct lt_segment *seg, struct lt_page *pg, void *p);
void lt_page_retire(struct lt_heap *h, struct lt_segment *seg, struct lt_page *pg);
size_t lt_heap_collect(struct lt_heap *h, bool all);
void *lt_block_start(const struct lt_page *pg, const void *p);

/* ---------------- thread heaps (tcache.c) ---------------- */

struct lt_heap *lt_heap_init_thread(void);
unsigned lt_thread_default_key(void);
void lt_heaps_atfork_prepare(void);
void lt_heaps_atfork_parent(void);
void lt_heaps_atfork_child(void);

/* ---------------- large blocks (large.c) ---------------- */

void *lt_large_alloc(size_t bytes, size_t align, unsigned key, bool *zero);
void lt_large_free(struct lt_segment *seg);
size_t lt_large_cache_flush(void);
int lt_large_expand(struct lt_segment *seg, size_t bytes);
void *lt_large_realloc(struct lt_segment *seg, size_t bytes);
bool lt_large_resize(struct lt_segment *seg, const void *p, size_t bytes);
int lt_large_move(struct lt_segment *seg, unsigned dst);
void lt_large_atfork_prepare(void);
void lt_large_atfork_parent(void);
void lt_large_atfork_child(void);

/* ---------------- backends ---------------- */

/* Map @len bytes of tiered memory for @key at @addr (MAP_FIXED). */
int lt_backend_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg);
void lt_backend_unmap(struct lt_segment *seg);
int lt_backend_move(struct lt_segment *seg, unsigned dst);
int lt_backend_expand(struct lt_segment *seg, size_t add);
void lt_backend_purge(struct lt_segment *seg, void *addr, size_t len);

int lt_kernel_open(void);
void lt_kernel_read_tiers(struct lt_tier_conf conf[TA_NR_TIERS]);
int lt_kernel_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg);
void lt_kernel_unmap(struct lt_segment *seg);
void lt_kernel_purge(struct lt_segment *seg, void *addr, size_t len);
int lt_kernel_move(struct lt_segment *seg, unsigned dst);
int lt_kernel_stats(struct ta_stats *out);
void lt_kernel_atfork_prepare(void);
void lt_kernel_atfork_parent(void);
void lt_kernel_atfork_child(void);

int lt_user_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg);
void lt_user_unmap(struct lt_segment *seg);
int lt_user_move(struct lt_segment *seg, unsigned dst);
int lt_user_expand(struct lt_segment *seg, size_t add);
int lt_user_remap(struct lt_segment *seg, void *dst, size_t new_len);
long lt_sys_mbind(void *addr, size_t len, int mode, int node, unsigned flags);

/* ---------------- topology, policy, throttle, env ---------------- */

int lt_topology_probe(struct lt_tier_conf conf[TA_NR_TIERS]);
bool lt_node_has_memory(int node);

int lt_policy_grant(unsigned key, uint64_t bytes, unsigned *tier, uint32_t *result);
int lt_policy_reserve(unsigned tier, uint64_t bytes);
void lt_policy_release(unsigned tier, uint64_t bytes);
void lt_policy_atfork_prepare(void);
void lt_policy_atfork_parent(void);
void lt_policy_atfork_child(void);

void lt_throttle_charge(unsigned tier, uint64_t bytes);

int lt_env_parse_early(void);
void lt_env_parse(void);

/* ---------------- init ---------------- */

void lt_init_slow(void);

static inline bool lt_ready(void)
{
	return lt_once_done(&lt_g.init);
}

static inline void lt_stat_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline void lt_stat_sub(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_sub_explicit(c, v, memory_order_relaxed);
}

#endif /* TA_INTERNAL_H */
