/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * TierAlloc user/kernel ABI: memory tiers, placement hints and the ioctls of
 * /dev/tieralloc.  This header is the single source of truth for these
 * values; the module, libta, the preload library and the tools include it.
 *
 * Model: a process opens /dev/tieralloc and creates regions.  Each region has
 * a unique, fixed mmap offset (TA_REGION_OFFSET(handle)); mmap(MAP_SHARED) of
 * the device fd at that offset maps it.  Pages come from the NUMA node of the
 * region's tier, on first touch or at creation (TA_REGION_POPULATE).  A region
 * lives while its handle is open (TA_IOC_REGION_FREE drops it) or any mapping
 * of it exists.
 *
 * All structs are naturally aligned with explicit padding; every reserved
 * field must be zero on input and is zero on output.
 */
#ifndef _UAPI_LINUX_TIERALLOC_H
#define _UAPI_LINUX_TIERALLOC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define TIERALLOC_ABI_VERSION	1
#define TIERALLOC_DEVICE	"/dev/tieralloc"

/* Memory tiers, fastest first. */
enum ta_tier {
	TA_TIER_FAST	= 0,
	TA_TIER_NORMAL	= 1,
	TA_TIER_SLOW	= 2,
};

#define TA_NR_TIERS	3

/*
 * Names.  Each list of this header is named once, here, as an array
 * initializer indexed by value, for the module (messages, sysfs), libta
 * (ta_tier_name() and the others), the preload and tierallocctl:
 *	static const char * const names[TA_NR_TIERS] = TA_TIER_NAMES;
 */
#define TA_TIER_NAMES {					\
	[TA_TIER_FAST]		= "fast",		\
	[TA_TIER_NORMAL]	= "normal",		\
	[TA_TIER_SLOW]		= "slow",		\
}

/* Placement hints; resolved to a tier by the kernel (or by libta's user backend). */
enum ta_hint {
	TA_HINT_HOT		= 0,	/* FAST, rerouted slower over its hard cap */
	TA_HINT_WARM		= 1,	/* NORMAL */
	TA_HINT_COLD		= 2,	/* SLOW */
	TA_HINT_PIN_FAST	= 3,	/* FAST only: fails at FAST's hard cap */
	TA_HINT_PREFER_FAST	= 4,	/* FAST under its soft cap, else NORMAL */
	/*
	 * The module decides (TA_FEAT_AUTO): the region is created as
	 * TA_REGION_AUTO, starting where PREFER_FAST would.
	 */
	TA_HINT_AUTO		= 5,
};

#define TA_NR_HINTS	6

#define TA_HINT_NAMES {					\
	[TA_HINT_HOT]		= "hot",		\
	[TA_HINT_WARM]		= "warm",		\
	[TA_HINT_COLD]		= "cold",		\
	[TA_HINT_PIN_FAST]	= "pin_fast",		\
	[TA_HINT_PREFER_FAST]	= "prefer_fast",	\
	[TA_HINT_AUTO]		= "auto",		\
}

/* What happens to a request that would exceed a tier's hard cap. */
enum ta_cap_policy {
	TA_POLICY_ROUTE_SLOW	= 0,	/* try the next slower tier */
	TA_POLICY_FAIL		= 1,	/* fail with ENOMEM */
};

#define TA_NR_POLICIES	2
#define TA_POLICY_NAMES {				\
	[TA_POLICY_ROUTE_SLOW]	= "route_slow",		\
	[TA_POLICY_FAIL]	= "fail",		\
}

/* Token bucket mode of a tier. */
enum ta_throttle_mode {
	TA_THROTTLE_ACCOUNT	= 0,	/* never delay; count simulated wait */
	TA_THROTTLE_ENFORCE	= 1,	/* really wait for tokens */
};

#define TA_NR_THROTTLE_MODES	2
#define TA_THROTTLE_MODE_NAMES {			\
	[TA_THROTTLE_ACCOUNT]	= "account",		\
	[TA_THROTTLE_ENFORCE]	= "enforce",		\
}

#define TA_PAGE_SHIFT		12
#define TA_HUGE_SHIFT		21
#define TA_HUGE_SIZE		_BITULL(TA_HUGE_SHIFT)	/* 2 MiB */

/* Regions have disjoint mmap offset windows of 2^TA_REGION_SHIFT bytes. */
#define TA_REGION_SHIFT		40
#define TA_REGION_MAX_SIZE	_BITULL(TA_REGION_SHIFT)	/* 1 TiB */
#define TA_REGION_OFFSET(handle) ((__u64)(handle) << TA_REGION_SHIFT)

/* struct ta_version: answer of TA_IOC_VERSION. */
#define TA_FEAT_HUGE		_BITUL(0)	/* 2 MiB regions */
/* HUGE chunks are PMD-mapped where THP is not "never" (else 512 PTEs) */
#define TA_FEAT_HUGE_PMD	_BITUL(1)
#define TA_FEAT_MIGRATE		_BITUL(2)	/* TA_IOC_REGION_MOVE */
#define TA_FEAT_DISCARD		_BITUL(3)	/* TA_IOC_REGION_DISCARD */
#define TA_FEAT_CLONE		_BITUL(4)	/* TA_IOC_REGION_CLONE */
#define TA_FEAT_AUTO		_BITUL(5)	/* TA_REGION_AUTO */

/* Names of the TA_FEAT_* bits, indexed by bit number. */
#define TA_NR_FEATS		6
#define TA_FEAT_NAMES { "huge", "huge_pmd", "migrate", "discard", "clone", "auto" }

struct ta_version {
	__u32 abi_version;	/* TIERALLOC_ABI_VERSION */
	__u32 nr_tiers;		/* TA_NR_TIERS */
	__u32 features;		/* TA_FEAT_* */
	__u32 reserved;
};

/* struct ta_region_create: flags (in) */
#define TA_REGION_HUGE		_BITUL(0)	/* 2 MiB physically contiguous pages */
#define TA_REGION_POPULATE	_BITUL(1)	/* allocate every page at creation */
#define TA_REGION_TIER		_BITUL(2)	/* @placement is a tier, not a hint */
/*
 * Automatic tiering (TA_FEAT_AUTO): the module watches which 2 MiB chunks
 * of the region are accessed (a HUGE region's chunks; groups of 512 pages
 * of a 4 KiB region) and moves them in place: hot chunks to FAST while
 * FAST stays under a watermark of its caps, cold ones from FAST to SLOW
 * (or NORMAL) when FAST is above one; tunables and counters in
 * tieralloc(4).  @placement is a hint, where the region starts;
 * @placement TA_HINT_AUTO (without TA_REGION_TIER) is the same as
 * TA_REGION_AUTO with the start PREFER_FAST would take, and is EINVAL on
 * a module without TA_FEAT_AUTO.  An explicit placement never moves by
 * itself: TA_REGION_AUTO with TA_REGION_TIER or with TA_HINT_PIN_FAST is
 * EINVAL.  A clone of an AUTO region is AUTO too; TA_IOC_REGION_MOVE
 * still works on it, and it stays AUTO (the scanner may move it again).
 */
#define TA_REGION_AUTO		_BITUL(3)
#define TA_REGION_FLAGS		(TA_REGION_HUGE | TA_REGION_POPULATE | TA_REGION_TIER | \
				 TA_REGION_AUTO)

/* struct ta_region_create: result (out) */
#define TA_RESULT_REROUTED	_BITUL(0)	/* granted a slower tier than asked */
#define TA_RESULT_SOFT_OVER	_BITUL(1)	/* granted tier is over its soft cap */

struct ta_region_create {
	__u64 size;		/* in: bytes; rounded up to 4 KiB or 2 MiB */
	__u32 placement;	/* in: enum ta_hint, or enum ta_tier with TA_REGION_TIER */
	__u32 flags;		/* in: TA_REGION_* */
	__u64 offset;		/* out: mmap offset of the region */
	__u64 granted_size;	/* out: size after rounding */
	__u32 handle;		/* out: region handle (> 0) */
	__u32 tier;		/* out: granted tier */
	__u32 result;		/* out: TA_RESULT_* */
	__u32 reserved;
};

struct ta_region_free {
	__u32 handle;
	__u32 reserved;
};

/* struct ta_region_info: per-region state (TA_IOC_REGION_INFO). */
struct ta_region_info {
	__u32 handle;		/* in */
	__u32 flags;		/* out: TA_REGION_HUGE | POPULATE | AUTO */
	__u64 size;		/* out */
	__u64 offset;		/* out: mmap offset */
	__u32 tier;		/* out: tier holding most of the region */
	/*
	 * out: 2 MiB units of a 4 KiB AUTO region tracked in 64 KiB pieces
	 * now (at most auto_max_split, tieralloc(4)); 0 from a module that
	 * has no auto_max_split parameter, which tracks every unit whole.
	 */
	__u32 auto_split;
	__u64 reserved_bytes[TA_NR_TIERS];	/* out: reservation per tier */
	__u64 resident_bytes[TA_NR_TIERS];	/* out: allocated pages per tier */
	/*
	 * Since TA_REGION_INFO_SIZE_AUTO: what automatic tiering did to this
	 * region (all 0 for one without TA_REGION_AUTO); meanings as in
	 * struct ta_tier_stats, counted per region instead of per tier.
	 */
	__u64 auto_scanned;		/* out: 2 MiB units scanned */
	__u64 auto_promoted_bytes;	/* out */
	__u64 auto_demoted_bytes;	/* out */
	__u64 auto_skip_cap;		/* out */
	__u64 auto_skip_tokens;		/* out */
	__u64 auto_skip_pinned;		/* out */
	__u64 auto_scan_ns;		/* out */
};

/*
 * TA_IOC_REGION_INFO is size-versioned: the ioctl number carries the
 * caller's struct size (_IOC_SIZE), and the module answers with the first
 * that many bytes of its own struct (zeroing any tail it does not know).
 * A caller built before the auto_* fields asks with the size
 * TA_REGION_INFO_SIZE_V1 and gets that layout; one built with them asks
 * with sizeof(struct ta_region_info) and, from a module that predates
 * them, gets ENOTTY: it may retry with TA_IOC_REGION_INFO_V1.
 */
#define TA_REGION_INFO_SIZE_V1	 __builtin_offsetof(struct ta_region_info, auto_scanned)
#define TA_REGION_INFO_SIZE_AUTO sizeof(struct ta_region_info)

/*
 * A private copy of a region, for a forked child whose regions (MAP_SHARED)
 * would otherwise be its parent's: issued on the child's own open file, it
 * creates a region with the source's size, flags and per-page tiers and
 * copies every page the source has; pages the source never allocated stay
 * unallocated.  The reservation is taken on exactly the source's tiers:
 * -ENOMEM over a hard cap, nothing rerouted.
 */
struct ta_region_clone {
	__s32 src_fd;		/* in: an open /dev/tieralloc file (or this one) */
	__u32 src_handle;	/* in: a region of that file */
	__u32 flags;		/* in: 0 */
	__u32 handle;		/* out: the new region's handle, in this file */
	__u64 offset;		/* out: its mmap offset */
	__u64 size;		/* out: bytes */
	__u64 copied_bytes;	/* out: bytes of pages copied */
	__u32 tier;		/* out: tier of the source */
	__u32 reserved;		/* in: 0 */
};

/* struct ta_region_move: flags (in) */
#define TA_MOVE_PARTIAL		_BITUL(0)	/* over the hard cap: move what fits */
#define TA_MOVE_FLAGS		(TA_MOVE_PARTIAL)

struct ta_region_move {
	__u32 handle;		/* in */
	__u32 dst_tier;		/* in: enum ta_tier */
	__u64 offset;		/* in: byte offset in the region, page aligned */
	__u64 length;		/* in: bytes, page aligned; 0 = to the end */
	__u32 flags;		/* in: TA_MOVE_* */
	__u32 reserved;
	__u64 moved_bytes;	/* out: bytes now on dst_tier's node */
	__u64 skipped_pages;	/* out: pinned or busy pages left in place */
	__u64 huge_fallbacks;	/* out: 2 MiB chunks moved as 4 KiB pages */
};

/*
 * Give back the pages of a range (like MADV_REMOVE on shmem): every mapping
 * of it is zapped and its pages freed; the next access faults in zeroed
 * pages.  The region keeps its size and its capacity reservation.  The range
 * is page aligned (2 MiB aligned for HUGE regions); length 0 = to the end.
 */
struct ta_region_discard {
	__u32 handle;
	__u32 reserved;
	__u64 offset;
	__u64 length;
};

/* struct ta_tier_config: valid (in, for TA_IOC_SET_TIER) */
#define TA_CFG_NODE		_BITUL(0)
#define TA_CFG_SOFT_CAP		_BITUL(1)
#define TA_CFG_HARD_CAP		_BITUL(2)
#define TA_CFG_POLICY		_BITUL(3)
#define TA_CFG_THROTTLE_MODE	_BITUL(4)
#define TA_CFG_RATE		_BITUL(5)
#define TA_CFG_BURST		_BITUL(6)
#define TA_CFG_ALL		0x7fU

/* struct ta_tier_config: info_flags (out) */
#define TA_TIER_INFO_HMAT	_BITUL(0)	/* node ranked by HMAT attributes */
#define TA_TIER_INFO_DISTANCE	_BITUL(1)	/* node ranked by node distance */
#define TA_TIER_INFO_OVERRIDE	_BITUL(2)	/* node set by parameter or admin */
#define TA_TIER_INFO_SHARED	_BITUL(3)	/* node shared with another tier */
/*
 * The node has no memory online (all of it offlined or hot-removed): new
 * regions treat the tier as full (its cap policy routes them on or fails
 * them), first touches of its untouched pages go where the policy routes
 * them, and it is back as soon as memory of the node is online again.
 */
#define TA_TIER_INFO_OFFLINE	_BITUL(4)

/* Names of the TA_TIER_INFO_* bits, indexed by bit number. */
#define TA_NR_TIER_INFO		5
#define TA_TIER_INFO_NAMES { "hmat", "distance", "override", "shared", "offline" }

/*
 * Tier configuration and topology.  TA_IOC_GET_TIER fills everything for
 * @tier; TA_IOC_SET_TIER (CAP_SYS_ADMIN) applies the fields named in @valid.
 * Caps of 0 mean "no cap"; a rate of 0 means "no throttle".
 */
struct ta_tier_config {
	__u32 tier;		/* in */
	__u32 valid;		/* in (SET): TA_CFG_* */
	__s32 node;		/* NUMA node backing the tier */
	__u32 policy;		/* enum ta_cap_policy */
	__u64 soft_cap;		/* bytes */
	__u64 hard_cap;		/* bytes */
	__u32 throttle_mode;	/* enum ta_throttle_mode */
	__u32 info_flags;	/* out: TA_TIER_INFO_* */
	__u64 rate;		/* token bucket refill, bytes/s */
	__u64 burst;		/* token bucket depth, bytes */
	__u32 read_latency_ns;	/* out: HMAT, 0 if unknown */
	__u32 read_bandwidth_mbps; /* out: HMAT MB/s, 0 if unknown */
	__u64 node_capacity;	/* out: bytes of memory on the node */
	__u64 node_free;	/* out: free bytes on the node */
};

/* Per-tier counters; all monotonic except the *_bytes gauges and regions. */
struct ta_tier_stats {
	__u64 reserved_bytes;	/* gauge: capacity reserved by live regions */
	__u64 resident_bytes;	/* gauge: pages allocated in live regions */
	__u64 regions;		/* gauge: live regions granted this tier */
	__u64 alloc_calls;	/* regions created */
	__u64 free_calls;	/* regions destroyed */
	__u64 bytes_allocated;	/* bytes reserved by created regions */
	__u64 bytes_freed;	/* bytes released by destroyed regions */
	__u64 sim_wait_ns;	/* account mode: modelled token wait */
	__u64 throttle_wait_ns;	/* enforce mode: time tasks really waited */
	__u64 soft_violations;	/* grants beyond the soft cap */
	__u64 hard_violations;	/* requests refused by the hard cap */
	__u64 reroutes;		/* requests sent on to a slower tier */
	__u64 fault_failures;	/* faults that found no memory on the node */
	__u64 huge_pages;	/* 2 MiB pages allocated */
	__u64 huge_fallbacks;	/* 2 MiB chunks served with 4 KiB pages */
	__u64 migrations_in;	/* move requests that moved bytes into */
	__u64 migrations_out;	/* ... and out of this tier */
	__u64 pages_moved_in;
	__u64 pages_moved_out;
	__u64 bytes_moved_in;
	__u64 bytes_moved_out;
	__u64 migrate_skipped;	/* pages left in place (pinned or busy) */
	__u64 migrate_failures;	/* moves into this tier that failed */
	__u64 migrate_ns;	/* time spent moving into this tier */
	/* Automatic tiering (TA_REGION_AUTO), since TA_FEAT_AUTO: */
	__u64 auto_scanned;	/* 2 MiB chunks of this tier scanned */
	__u64 auto_promoted_bytes;	/* bytes promoted into this tier */
	__u64 auto_demoted_bytes;	/* bytes demoted into this tier */
	__u64 auto_skip_cap;	/* moves into it refused: cap or promote watermark */
	__u64 auto_skip_tokens;	/* ... deferred: its bucket would make them wait */
	__u64 auto_skip_pinned;	/* pages left in place (pinned, busy, no memory) */
	__u64 auto_scan_ns;	/* scanner time spent on chunks of this tier */
};

/*
 * Names of the fields of struct ta_tier_stats, for a program that reads it
 * as an array of __u64 (as the module and tierallocctl do): indexed by
 * field, each name tied to its field by offsetof.  Fields named *_bytes or
 * bytes_* count bytes, *_ns nanoseconds, the others events or objects.
 */
#define TA_STAT_NAME_(f)						\
	[__builtin_offsetof(struct ta_tier_stats, f) / sizeof(__u64)] = #f
#define TA_NR_TIER_STATS (sizeof(struct ta_tier_stats) / sizeof(__u64))
#define TA_TIER_STAT_NAMES {						\
	TA_STAT_NAME_(reserved_bytes),	TA_STAT_NAME_(resident_bytes),	\
	TA_STAT_NAME_(regions),		TA_STAT_NAME_(alloc_calls),	\
	TA_STAT_NAME_(free_calls),	TA_STAT_NAME_(bytes_allocated),	\
	TA_STAT_NAME_(bytes_freed),	TA_STAT_NAME_(sim_wait_ns),	\
	TA_STAT_NAME_(throttle_wait_ns), TA_STAT_NAME_(soft_violations), \
	TA_STAT_NAME_(hard_violations),	TA_STAT_NAME_(reroutes),	\
	TA_STAT_NAME_(fault_failures),	TA_STAT_NAME_(huge_pages),	\
	TA_STAT_NAME_(huge_fallbacks),	TA_STAT_NAME_(migrations_in),	\
	TA_STAT_NAME_(migrations_out),	TA_STAT_NAME_(pages_moved_in),	\
	TA_STAT_NAME_(pages_moved_out),	TA_STAT_NAME_(bytes_moved_in),	\
	TA_STAT_NAME_(bytes_moved_out),	TA_STAT_NAME_(migrate_skipped),	\
	TA_STAT_NAME_(migrate_failures), TA_STAT_NAME_(migrate_ns),	\
	TA_STAT_NAME_(auto_scanned),	TA_STAT_NAME_(auto_promoted_bytes), \
	TA_STAT_NAME_(auto_demoted_bytes), TA_STAT_NAME_(auto_skip_cap), \
	TA_STAT_NAME_(auto_skip_tokens), TA_STAT_NAME_(auto_skip_pinned), \
	TA_STAT_NAME_(auto_scan_ns),					\
}

struct ta_stats {
	__u64 live_regions;	/* all tiers */
	__u64 open_files;	/* open /dev/tieralloc files */
	struct ta_tier_stats tier[TA_NR_TIERS];
};

/*
 * TA_IOC_GET_STATS: the kernel writes min(@size, sizeof(struct ta_stats))
 * bytes of its struct ta_stats to @stats_ptr and returns its own size in
 * @size, so old and new callers keep working as the struct grows.
 * struct ta_tier_stats grows at its end, which moves tier[1] and tier[2]:
 * a caller whose @size is exactly that of an older struct ta_stats, with
 * k fields per tier (TA_STATS_SIZE(k), k >= 24, ABI 1's first count), gets
 * that layout, each tier's first k fields.  A caller newer than the
 * kernel learns the kernel's field count from the @size returned
 * ((size - TA_STATS_SIZE(0)) / TA_NR_TIERS / 8).
 */
#define TA_STATS_SIZE(k)	(2 * sizeof(__u64) + TA_NR_TIERS * (k) * sizeof(__u64))
struct ta_stats_query {
	__u64 stats_ptr;	/* in: user pointer to struct ta_stats */
	__u32 size;		/* in: caller's buffer size; out: kernel's */
	__u32 reserved;
};

/*
 * Errors.  Every ioctl returns 0 or -1 with errno:
 *   EFAULT  the argument could not be read or written back; a region a
 *           CREATE or CLONE made is then freed again, never left behind
 *   EINVAL  a reserved field or unknown flag is set, a size is 0 or over
 *           TA_REGION_MAX_SIZE, a range is misaligned or outside the region
 *   ENOTTY  not a TierAlloc ioctl
 *   ENOENT  no such region handle in this file (INFO, MOVE, DISCARD, FREE,
 *           CLONE's source)
 *   EBADF   CLONE: src_fd is not an open file
 *   ENOMEM  over a hard cap (after routing, if the policy routes), more
 *           than the machine's memory, or no memory for the pages or the
 *           region's metadata -- including the caller's memory cgroup being
 *           at memory.max, and, for a region whose creator lacked
 *           CAP_SYS_RESOURCE, the machine being down to unpriv_reserve
 *           (POPULATE and CLONE are refused, never OOM-kill)
 *   EDQUOT  CREATE, CLONE: a user without CAP_SYS_RESOURCE already holds
 *           max_regions_per_user live regions, or the new one would take
 *           its regions' sizes over max_bytes_per_user (module parameters)
 *   ENOSPC  CREATE, CLONE: the machine-wide handle space is used up
 *   EINTR   stopped by a signal: MOVE (reporting how far it got) and CLONE
 *           by any signal, a POPULATE create by a fatal one
 *   EPERM   SET_TIER without CAP_SYS_ADMIN
 *   ENODEV  SET_TIER: the node is offline or has no memory
 *
 * Charging: every page of a region and its metadata are charged to the
 * memory cgroup of the task that created it, whoever touches, moves or
 * clones it later.  Over memory.max, or with no memory left on the tier's
 * node, allocation reclaims and then fails -- a page fault with SIGBUS, an
 * ioctl with ENOMEM -- and never invokes the OOM killer (which ranks tasks
 * by what they map, and a region can be held unmapped).  Regions of users
 * without CAP_SYS_RESOURCE also stop short of the last unpriv_reserve bytes
 * of available memory (module parameter, default 1/16 of RAM), so that
 * their holder is refused before any bystander runs short.
 *
 * Waits: in enforce mode a task waits at most 1 s for tokens per charge
 * (a backlog beyond that is forgiven); page faults wait with no lock held.
 *
 * Visibility: stats and tier configuration are machine-wide and readable by
 * every user of the device, like /proc/meminfo; handles are machine-wide
 * numbers, but a handle works only through the file that holds it.
 */

#define TA_IOC_MAGIC		0xB8

#define TA_IOC_VERSION		_IOR(TA_IOC_MAGIC, 0x00, struct ta_version)
#define TA_IOC_REGION_CREATE	_IOWR(TA_IOC_MAGIC, 0x01, struct ta_region_create)
#define TA_IOC_REGION_FREE	_IOW(TA_IOC_MAGIC, 0x02, struct ta_region_free)
#define TA_IOC_REGION_INFO	_IOWR(TA_IOC_MAGIC, 0x03, struct ta_region_info)
#define TA_IOC_REGION_INFO_V1	_IOC(_IOC_READ | _IOC_WRITE, TA_IOC_MAGIC, 0x03, \
				     TA_REGION_INFO_SIZE_V1)
#define TA_IOC_REGION_MOVE	_IOWR(TA_IOC_MAGIC, 0x04, struct ta_region_move)
#define TA_IOC_GET_TIER		_IOWR(TA_IOC_MAGIC, 0x05, struct ta_tier_config)
#define TA_IOC_SET_TIER		_IOW(TA_IOC_MAGIC, 0x06, struct ta_tier_config)
#define TA_IOC_GET_STATS	_IOWR(TA_IOC_MAGIC, 0x07, struct ta_stats_query)
#define TA_IOC_REGION_DISCARD	_IOW(TA_IOC_MAGIC, 0x08, struct ta_region_discard)
#define TA_IOC_REGION_CLONE	_IOWR(TA_IOC_MAGIC, 0x09, struct ta_region_clone)

#endif /* _UAPI_LINUX_TIERALLOC_H */
