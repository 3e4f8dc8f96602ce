/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TierAlloc internals shared by the module's files.
 *
 * tier.c     tier topology, configuration, capacity reservation
 * throttle.c per-tier token buckets
 * region.c   regions: lifetime, page allocation, mmap and faults
 * migrate.c  moving a region's pages to another tier
 * autotier.c automatic tiering of TA_REGION_AUTO regions
 * hotplug.c  tier nodes whose memory is ZONE_MOVABLE (CXL, hot-plugged)
 * stats.c    per-CPU counters and the stats snapshot
 * sysfs.c    /sys/class/misc/tieralloc/
 * main.c     the misc device, its files and ioctls
 */
#ifndef _TA_H
#define _TA_H

#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/tieralloc.h>

#define TA_HUGE_ORDER		(TA_HUGE_SHIFT - PAGE_SHIFT)
#define TA_HUGE_NR		BIT(TA_HUGE_ORDER)

struct mem_cgroup;
struct ta_auto;

/* Token bucket, kept as a GCRA "theoretical arrival time" (see throttle.c). */
struct ta_bucket {
	atomic64_t tat;		/* ns; the bucket is full again at tat - tol */
	u64 rate;		/* bytes/s; 0 = unlimited */
	u64 burst;		/* bytes */
	u32 mode;		/* enum ta_throttle_mode */
};

/*
 * A tier.  Configuration fields change only under ta_config_lock and are
 * read locklessly with READ_ONCE(); @reserved and the caps are checked
 * together under @cap_lock.
 */
struct ta_tier_state {
	int node;
	u32 info_flags;
	u32 read_latency_ns;
	u32 read_bandwidth_mbps;
	u32 policy;
	spinlock_t cap_lock;	/* soft_cap, hard_cap vs reserved */
	u64 soft_cap;
	u64 hard_cap;
	u64 reserved;
	struct ta_bucket bucket;
};

extern struct ta_tier_state ta_tiers[TA_NR_TIERS];
extern struct mutex ta_config_lock;
extern const char * const ta_tier_names[TA_NR_TIERS];

/*
 * A region: a fixed-size array of pages, all reserved against tier caps at
 * creation.  Its pages live at ta_mapping offsets [pgoff, pgoff + nr_pages).
 *
 * Locking:
 *  - @move_lock: page faults hold it for read while they look a page up and
 *    map it; migration and discard hold it for write while they unmap,
 *    copy, swap or free pages, so no fault can map a page being replaced.
 *    Every fill (fault, populate, clone) holds it for read from the
 *    allocation of a chunk to its publication, so a holder for write sees
 *    no page that is allocated and not yet in @pages (memory offline
 *    relies on it: a page taken before its block was isolated is found).
 *  - @pages_lock: serialises publishing a newly allocated 2 MiB chunk into
 *    @pages (faults race each other under the read side of @move_lock; a
 *    4 KiB page is published with cmpxchg()).  A chunk is published whole:
 *    its other entries first, then its first entry with release
 *    semantics.  Lockless readers test the first entry with acquire
 *    (ta_chunk_present()); seeing it set, they see every page.
 *  - @tier, @page_tier and @reserved change only under @move_lock held for
 *    write, and so do entries of @pages that are replaced (migration) or
 *    cleared (discard).  A chunk's pages are all present or all absent.
 *
 * Lock order:
 *   mmap_lock -> move_lock -> pages_lock
 *   mmap_lock -> move_lock -> i_mmap_rwsem (unmap_mapping_range())
 *   mmap_lock -> move_lock -> ta_tier_state.cap_lock (moves, clones)
 *   mmap_lock -> ta_users_lock, cap_lock (the last put, from munmap)
 *   mmap_lock -> ta_auto_lock (the last put of an AUTO region)
 *   mmap_lock -> the file's xarray lock (mmap)
 *   ta_config_lock -> ta_tier_state.cap_lock
 *   mmap_lock -> ta_region_list_lock (the last put frees the metadata)
 *   mem_hotplug_lock -> move_lock -> i_mmap_rwsem,
 *   mem_hotplug_lock -> move_lock -> ta_tier_state.cap_lock (pages routed
 *   to a slower tier when their node has no room left), and
 *   mem_hotplug_lock -> ta_region_list_lock, never nested with move_lock
 *   (memory offline, ta_regions_evacuate(): the notifier is called with
 *   device_hotplug_lock, cpus_read_lock and mem_hotplug_lock held)
 *   a clone's source move_lock (read) -> ta_region_list_lock (the new
 *   region goes on the list, where memory offline finds it, before it is
 *   reachable from user space), and -> the new region's move_lock (read,
 *   nested: the copy fills it)
 *   mmap_lock -> move_lock (write): a first touch of a chunk whose tier has
 *   no memory online drops its read hold and moves the chunk's reservation
 *   to the tier the policy routes to (ta_fault_reroute())
 * A tier's availability (TA_TIER_INFO_OFFLINE) is node_state(N_MEMORY),
 * which memory hotplug changes under mem_hotplug_lock; TierAlloc reads it
 * without a lock (ta_tier_online()) and never takes a hotplug lock.  A
 * request racing the change is served or refused as if it came first.
 * .fault runs under mmap_lock: with no ->map_pages, a fault taken under
 * the VMA lock is retried under mmap_lock by the core.  No sleep for
 * tokens happens under move_lock or mmap_lock: the fault path drops both
 * and asks for a retry (ta_vm_fault()).
 *
 * Lifetimes:
 *  - A region is created with one reference (its "creation reference") and
 *    becomes reachable from user space only when the handle that owns that
 *    reference is stored in a file, after the ioctl's copy-out succeeded
 *    (ta_file_add()); before that no other thread can find it.
 *  - Every VMA mapping it holds a reference (ta_vm_open/close), and so does
 *    every ioctl working on it (ta_file_region()).  The last put frees the
 *    pages, returns the reservation and the per-user count, and drops
 *    @memcg; nothing touches the region after its put.
 *  - @memcg is the memory cgroup of the creating task, pinned for the
 *    region's life: its pages and its metadata are charged to it, whoever
 *    faults, moves or clones later (the file's handle slots are charged
 *    to whoever calls the ioctl, a fault's scratch array to nobody).
 *  - Pages are refcounted: the region holds one reference per 4 KiB page
 *    and one per 2 MiB folio (all of whose 512 entries point into it); a
 *    pin (GUP) or a mapping (PTE or PMD) holds its own on the folio, so a
 *    page outlives its entry when it is discarded while pinned, and a
 *    folio with any page pinned cannot be frozen, so it moves whole or
 *    not at all.
 *
 * Automatic tiering (autotier.c), for TA_REGION_AUTO regions:
 *  - @autot (NULL for other regions) is allocated with the region, before
 *    it is reachable, and freed by its release: faults may use it
 *    whenever they hold the region.  It is linked on ta_auto_regions
 *    (under ta_auto_lock, a mutex) once the region is complete, at the
 *    end of create or clone, and unlinked by the release, before anything
 *    is freed.  The list holds no reference: the scanner takes one with
 *    kref_get_unless_zero() under ta_auto_lock (a region whose count hit
 *    zero is being released and is skipped), drops the lock, and puts it
 *    when done with it, never under ta_auto_lock (the put may release).
 *  - @autot->accessed: one bit per 2 MiB unit (a chunk; 512 pages of a
 *    4 KiB region), set by ta_fault() with atomic bitops and no lock,
 *    read and cleared by the scanner with test_and_clear_bit().
 *  - @autot->pieces (4 KiB regions): one word per unit, a bit per 64 KiB
 *    piece, set by ta_fault() like @accessed (before the unit's bit) and
 *    taken whole by the scanner with xchg(), for every unit, split or not:
 *    the fault path never looks at whether a unit is split.
 *  - @autot->units, @autot->splits and @autot->cursor: heat history
 *    (per unit, and per piece of a split unit), split slots and scan
 *    position, touched only by the scanner, a single work item (never
 *    concurrent with itself).  Splits are allocated with the region and
 *    freed by its release; a unit takes a free slot when it splits and
 *    gives it back when it merges.
 *  - The scanner unmaps a unit with unmap_mapping_range() (i_mmap_rwsem,
 *    no other lock held) so that the next access faults and sets its bit;
 *    it reads page_tier under move_lock held for read, and moves through
 *    ta_region_move_nowait(), which takes move_lock itself and never
 *    waits for tokens.  It sleeps holding no lock.
 *  Lock order additions: ta_auto_lock -> nothing (kref_get_unless_zero and
 *  list operations only).
 */
struct ta_region {
	struct kref kref;
	u32 handle;
	u32 flags;		/* TA_REGION_HUGE | POPULATE | AUTO */
	u32 tier;		/* tier granted at creation, or the last full move */
	kuid_t owner;		/* counted against the per-user limits */
	bool privileged;	/* creator had CAP_SYS_RESOURCE (limits.c) */
	bool pin_fast;		/* TA_HINT_PIN_FAST: never routed to another tier */
	unsigned long nr_pages;
	pgoff_t pgoff;
	struct mem_cgroup *memcg;	/* charged for everything; may be NULL */
	struct rw_semaphore move_lock;
	spinlock_t pages_lock;	/* publishing into pages[] */
	struct list_head list;	/* on ta_region_list, under ta_region_list_lock */
	struct page **pages;
	u8 *page_tier;
	u64 reserved[TA_NR_TIERS];
	struct ta_auto *autot;	/* TA_REGION_AUTO state, else NULL */
};

/* Is the chunk starting at @first published (pairs with ta_region_fill())? */
static inline bool ta_chunk_present(struct ta_region *r, unsigned long first)
{
	/* Pairs with the release of the chunk's first entry. */
	return smp_load_acquire(&r->pages[first]);
}

/* An open /dev/tieralloc: the region handles it owns. */
struct ta_file {
	struct xarray regions;
};

/* stats.c: counters, in the field order of struct ta_tier_stats. */
enum ta_stat {
	TA_STAT_RESERVED_BYTES,
	TA_STAT_RESIDENT_BYTES,
	TA_STAT_REGIONS,
	TA_STAT_ALLOC_CALLS,
	TA_STAT_FREE_CALLS,
	TA_STAT_BYTES_ALLOCATED,
	TA_STAT_BYTES_FREED,
	TA_STAT_SIM_WAIT_NS,
	TA_STAT_THROTTLE_WAIT_NS,
	TA_STAT_SOFT_VIOLATIONS,
	TA_STAT_HARD_VIOLATIONS,
	TA_STAT_REROUTES,
	TA_STAT_FAULT_FAILURES,
	TA_STAT_HUGE_PAGES,
	TA_STAT_HUGE_FALLBACKS,
	TA_STAT_MIGRATIONS_IN,
	TA_STAT_MIGRATIONS_OUT,
	TA_STAT_PAGES_MOVED_IN,
	TA_STAT_PAGES_MOVED_OUT,
	TA_STAT_BYTES_MOVED_IN,
	TA_STAT_BYTES_MOVED_OUT,
	TA_STAT_MIGRATE_SKIPPED,
	TA_STAT_MIGRATE_FAILURES,
	TA_STAT_MIGRATE_NS,
	TA_STAT_AUTO_SCANNED,
	TA_STAT_AUTO_PROMOTED_BYTES,
	TA_STAT_AUTO_DEMOTED_BYTES,
	TA_STAT_AUTO_SKIP_CAP,
	TA_STAT_AUTO_SKIP_TOKENS,
	TA_STAT_AUTO_SKIP_PINNED,
	TA_STAT_AUTO_SCAN_NS,
	TA_STAT_NR
};

/* The TA_STAT_AUTO_* counters, last: also counted per region (ta_auto). */
#define TA_NR_AUTO_STATS	(TA_STAT_NR - TA_STAT_AUTO_SCANNED)

struct ta_pcpu_stats {
	u64 v[TA_NR_TIERS][TA_STAT_NR];
};

extern struct ta_pcpu_stats __percpu *ta_pcpu_stats;
extern atomic64_t ta_live_regions;
extern atomic64_t ta_open_files;

static inline void ta_stat_add(u32 tier, enum ta_stat stat, s64 delta)
{
	this_cpu_add(ta_pcpu_stats->v[tier][stat], delta);
}

extern const char * const ta_stat_names[TA_STAT_NR];
int ta_stats_init(void);
void ta_stats_exit(void);
u64 ta_stat_read(u32 tier, enum ta_stat stat);
void ta_stats_fill(struct ta_stats *out);

/* tier.c */
int ta_tiers_init(void);
bool ta_node_usable(int nid);
int ta_tier_node(u32 tier);
bool ta_tier_online(u32 tier);
int ta_tier_route(u32 tier, int avoid);
int ta_tier_grant(u32 placement, u32 flags, u64 bytes, u32 *tier, u32 *result);
int ta_tier_reserve(u32 tier, u64 bytes);
void ta_tier_unreserve(u32 tier, u64 bytes);
void ta_tier_get(u32 tier, struct ta_tier_config *cfg);
int ta_tier_set(const struct ta_tier_config *cfg);
u64 ta_node_capacity(int nid);
u64 ta_node_free(int nid);

/* throttle.c */
/*
 * Longest single wait for tokens in enforce mode; a backlog beyond it is
 * forgiven, so no user can make another wait longer per charge.
 */
#define TA_THROTTLE_MAX_WAIT_NS	NSEC_PER_SEC
void ta_bucket_config(struct ta_bucket *b, u64 rate, u64 burst, u32 mode);
u64 ta_throttle_charge(u32 tier, u64 bytes, u64 *added);
int ta_throttle_wait(u32 tier, u64 wait_ns, bool interruptible);
void ta_throttle_refund(u32 tier, u64 added);
int ta_throttle(u32 tier, u64 bytes, bool interruptible, u64 *added);

/*
 * GFP flags.
 *  - Tier pages (ta_alloc_chunk(): faults, populate, clones, moves):
 *    GFP_HIGHUSER | __GFP_ACCOUNT (the region's memcg) | __GFP_THISNODE
 *    (the tier's node and no other: caps are per tier) | __GFP_NOWARN;
 *    __GFP_ZERO unless the caller overwrites the page whole;
 *    __GFP_COMP | __GFP_NORETRY for a 2 MiB chunk, __GFP_RETRY_MAYFAIL
 *    for a 4 KiB page; and __GFP_MOVABLE (so GFP_HIGHUSER_MOVABLE) when,
 *    and only when, all of the node's memory is ZONE_MOVABLE, as CXL
 *    memory onlined by daxctl/kmem is (ta_hotplug_gfp(), decided at each
 *    allocation): that zone serves only __GFP_MOVABLE requests, so
 *    without it every allocation there fails.  Nowhere else, because the
 *    kernel cannot move these pages itself (not on the LRU, no
 *    movable_operations): on a node with a normal zone too they would go
 *    to ZONE_MOVABLE first and pin it, and in a movable pageblock or a
 *    CMA area they would defeat compaction and contiguous allocations.
 *    On an all-movable node the module migrates its pages itself when a
 *    memory block goes offline (hotplug.c), or makes the offline fail
 *    with -EBUSY; a FOLL_LONGTERM pin of a tier page there (io_uring
 *    fixed buffers, RDMA, vfio), which the kernel would migrate out of
 *    ZONE_MOVABLE first and cannot, retries until a fatal signal.
 *  - Metadata (regions, page arrays, handle slots, scratch arrays):
 *    GFP_KERNEL, with __GFP_ACCOUNT where a user pays for it; never
 *    movable.
 */

/* hotplug.c */
/* What a memory offline did with the regions' pages in its range. */
struct ta_evac {
	bool route;		/* second pass: what finds no room may leave its node */
	bool retry;		/* a first pass again, for pages that were held */
	unsigned long pinned;	/* pages left: held by someone else */
	unsigned long unplaced;	/* first pass: pages that found no room on their node */
	unsigned long full;	/* pages left: no memory where they may go */
	u32 full_tier;		/* the tier of the last such page */
	unsigned long routed;	/* pages moved to a slower tier's node */
	int nomem_nid;		/* this region's node found full, or NUMA_NO_NODE */
	nodemask_t nomem_nodes;	/* nodes any region found full, for retries */
};

gfp_t ta_hotplug_gfp(int nid);
int ta_hotplug_init(void);
void ta_hotplug_exit(void);

/* region.c */
extern struct address_space *ta_mapping;
int ta_regions_init(void);
void ta_regions_exit(void);
struct ta_region *ta_region_create(struct ta_region_create *req);
struct ta_region *ta_region_clone(struct ta_region *src,
				  struct ta_region_clone *req);
void ta_region_put(struct ta_region *r);
int ta_region_mmap(struct ta_file *tf, struct vm_area_struct *vma);
void ta_region_info(struct ta_region *r, struct ta_region_info *info);
int ta_region_range(struct ta_region *r, u64 offset, u64 length,
		    unsigned long *first, unsigned long *last);
int ta_region_discard(struct ta_region *r, struct ta_region_discard *req);
struct page *ta_alloc_chunk(struct ta_region *r, int nid, unsigned int order,
			    bool zero);
int ta_regions_evacuate(unsigned long start_pfn, unsigned long end_pfn,
			struct ta_evac *ev);

/* limits.c */
int ta_user_charge(kuid_t uid, u64 bytes, bool privileged);
void ta_user_uncharge(kuid_t uid, u64 bytes);
bool ta_reserve_allows(const struct ta_region *r, unsigned long nr_pages);
void ta_limits_check_memcg(struct mem_cgroup *memcg);
void ta_limits_init(void);
void ta_limits_exit(void);

/* migrate.c */
int ta_region_move(struct ta_region *r, struct ta_region_move *req);
int ta_region_move_nowait(struct ta_region *r, struct ta_region_move *req);
void ta_region_evacuate(struct ta_region *r, unsigned long start_pfn,
			unsigned long end_pfn, struct page **scratch,
			struct ta_evac *ev);

/* autotier.c */
/*
 * A 2 MiB unit of a 4 KiB region is tracked whole or, once its accesses
 * are seen concentrated, split into TA_AUTO_PIECES pieces of
 * TA_AUTO_PIECE_NR pages (64 KiB), each with its own history and moves.
 */
#define TA_AUTO_PIECES		32
#define TA_AUTO_PIECE_NR	(TA_HUGE_NR / TA_AUTO_PIECES)
/* Split units per region at most: its pieces are bounded, and so is a pass. */
#define TA_AUTO_MAX_SPLIT	16

struct ta_auto {
	struct list_head node;		/* on ta_auto_regions */
	struct ta_region *region;	/* whose ->autot this is */
	unsigned long nr_units;		/* 2 MiB units */
	unsigned long cursor;		/* next unit to scan */
	unsigned long *accessed;	/* bit per unit, set by faults */
	/*
	 * 4 KiB regions with a whole unit (else NULL): per unit, a bit per
	 * piece, set by faults next to @accessed, taken by the scanner with
	 * xchg().
	 */
	unsigned long *pieces;
	struct ta_auto_unit *units;	/* heat history per unit */
	struct ta_auto_split *splits;	/* @nr_splits slots, or NULL */
	unsigned int nr_splits;		/* whole units, at most TA_AUTO_MAX_SPLIT */
	/* Slots in use: written by the scanner, read by TA_IOC_REGION_INFO. */
	unsigned int nr_split;
	/*
	 * This region's share of the per-tier TA_STAT_AUTO_* counters, indexed
	 * by stat - TA_STAT_AUTO_SCANNED; written by the scanner alone, read
	 * by REGION_INFO (which holds a reference, so ->autot lives).
	 */
	u64 stats[TA_NR_AUTO_STATS];
};

/* A fault at region index @idx: the unit was accessed (see ta_region). */
static inline void ta_auto_touch(struct ta_region *r, unsigned long idx)
{
	struct ta_auto *a = r->autot;
	unsigned long u = idx >> TA_HUGE_ORDER;

	if (!a)
		return;
	if (a->pieces) {
		unsigned long *p = &a->pieces[u];
		unsigned int b = (idx & (TA_HUGE_NR - 1)) / TA_AUTO_PIECE_NR;

		if (!test_bit(b, p))
			set_bit(b, p);
	}
	if (!test_bit(u, a->accessed))
		set_bit(u, a->accessed);
}

int ta_auto_alloc(struct ta_region *r, gfp_t gfp);
void ta_auto_register(struct ta_region *r);
void ta_auto_release(struct ta_region *r);
void ta_auto_info(struct ta_region *r, struct ta_region_info *info);
void ta_auto_init(void);
void ta_auto_exit(void);

/* sysfs.c */
int ta_parse_size(const char *buf, u64 *out);
int ta_sysfs_init(void);
void ta_sysfs_exit(void);
extern const struct attribute_group *ta_sysfs_groups[];

#endif /* _TA_H */
