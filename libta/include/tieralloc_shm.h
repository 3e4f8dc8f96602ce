/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per-process statistics that libta_preload.so publishes in shared memory,
 * read by `tierallocctl stats --pid PID`.
 *
 * The file /dev/shm/tieralloc.<pid> holds one struct ta_shm_stats at offset
 * 0.  The process creates it at its first refresh, refreshes it from
 * allocation slow paths (page refills, allocations of 256 KiB or more) at
 * most every TA_STATS_INTERVAL_MS, or at once after 1 MiB of large
 * allocations (preload/src/publish.c), and removes it at exit.  A process that is killed
 * or exec()s a program without the preload leaves a stale file behind: a
 * reader checks that /proc/<pid>/maps still maps the file.
 *
 * Consistency: a seqlock.  The writer makes @seq odd, updates the fields,
 * then makes it even again; a reader copies the struct and retries while
 * @seq was odd or changed during the copy.
 *
 * Compatibility: readers check @magic and @version; fields are only ever
 * appended, with @size the number of bytes the writer knows.
 */
#ifndef TIERALLOC_SHM_H
#define TIERALLOC_SHM_H

#include <stdint.h>

#include "tieralloc.h"

#define TA_SHM_DIR	"/dev/shm"
#define TA_SHM_PREFIX	"tieralloc." /* + decimal pid */
#define TA_SHM_MAGIC	0x54414c53u  /* "TALS" */
#define TA_SHM_VERSION	1
#define TA_SHM_NR_TIERS TA_NR_TIERS

/*
 * Per tier, as libta sees it in this process: struct ta_lib_tier_stats,
 * field for field (its counters are TA_LIB_TIER_COUNTERS).  A counter added
 * there changes this record: TA_SHM_VERSION goes up with it (the static
 * assertion in publish.c says when).
 */
struct ta_shm_tier {
	int32_t node;	   /* NUMA node backing the tier; -1 simulated */
	uint32_t policy;   /* enum ta_cap_policy */
	uint64_t soft_cap; /* bytes, 0 = none */
	uint64_t hard_cap; /* bytes, 0 = none */
	TA_LIB_TIER_COUNTERS(TA_LIB_COUNTER_FIELD_)
};

/* struct ta_shm_stats: flags */
#define TA_SHM_F_TIERED	   (1u << 0) /* TA_INTERPOSE: malloc is tiered */
#define TA_SHM_F_DISABLED  (1u << 1) /* TA_DISABLE: plain allocator */
#define TA_SHM_F_SIMULATED (1u << 2) /* user backend without NUMA placement */
#define TA_SHM_F_EXITED	   (1u << 3) /* final update at exit */

struct ta_shm_stats {
	uint32_t magic;		     /* TA_SHM_MAGIC */
	uint32_t version;	     /* TA_SHM_VERSION */
	uint32_t size;		     /* sizeof(struct ta_shm_stats) of the writer */
	int32_t pid;		     /* the publishing process */
	uint64_t seq;		     /* seqlock: odd while being written */
	uint64_t updates;	     /* number of updates so far */
	uint64_t update_realtime_ns; /* CLOCK_REALTIME of the last update */
	uint64_t start_realtime_ns;  /* when the process started publishing */
	uint32_t backend;	     /* enum ta_backend_kind: 0 user, 1 kernel */
	uint32_t flags;		     /* TA_SHM_F_* */
	int32_t default_hint;	     /* enum ta_hint of plain malloc */
	int32_t large_hint;	     /* TA_LARGE_HINT, -1 = none */
	uint64_t large_min;	     /* TA_LARGE_MIN in bytes */
	uint64_t heaps;		     /* thread heaps created */
	uint64_t heaps_in_use;
	uint64_t segments; /* live arenas of small blocks */
	uint64_t large_cached;
	uint64_t foreign_frees;	   /* frees of pointers libta did not allocate */
	uint64_t foreign_to_glibc; /* ... handed to glibc's free */
	char comm[16];		   /* program name (NUL-terminated) */
	struct ta_shm_tier tier[TA_SHM_NR_TIERS];
};

#endif /* TIERALLOC_SHM_H */
