// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VM benchmark: automatic tiering against the kernel's own (issue 19).
 *
 * A working set (1.5 GiB, AUTOTIER_MIB) starts on SLOW's node.  A GUPS-style
 * thread does random 8-byte updates to a hot set of a tenth of it; every
 * AUTOTIER_PERIOD seconds (10) the hot set jumps to another tenth, for
 * AUTOTIER_JUMPS jumps (3) after a first period that only warms up.  Every
 * second the sampler asks move_pages(2) where every 16th page of the hot
 * set is (after reading it, so that a page the tracker just unmapped is
 * mapped again; the hot set is being read anyway) and records the share
 * on FAST's node.  Per jump: the seconds until >= 90 % of the new hot set
 * is on FAST, the pages migrated from the jump to the next, and the share
 * at the end.  FAST gets the same budget in every variant, twice the hot
 * set, so that a new hot set can come in only if the old one goes out:
 *
 *   auto    a HUGE TA_REGION_AUTO region (hint COLD), FAST's hard cap set
 *           to the budget; migrated = auto_promoted + auto_demoted bytes,
 *           scanner CPU = auto_scan_ns (the moves themselves not included)
 *   numab   anonymous THP memory, kernel.numa_balancing=2 and
 *           demotion_enabled=1; FAST's node is filled with mlocked memory
 *           (a balloon) until only the budget is free, so a promotion needs
 *           a demotion.  migrated = pgmigrate_success.  Its scanning
 *           (task_numa_work) runs in the workload's own task and is not
 *           separable: no CPU row.  Needs FAST's and SLOW's nodes in
 *           different memory tiers (6.1 puts them in one: not run).
 *   damos   the same memory and balloon, numa_balancing=0, two kdamonds
 *           through DAMON's sysfs as samples/damon/mtier.c sets them up:
 *           migrate_hot from SLOW's node to FAST's with a node_mem_used_bp
 *           goal of 99.7 %, migrate_cold from FAST's node to SLOW's with a
 *           node_mem_free_bp goal of 0.5 %; CPU = the kdamonds' utime +
 *           stime (scanning and migrating).  Needs migrate_* actions and
 *           node quota goals (6.16+).
 *   static  the first budget's worth of the working set bound to FAST's
 *           node, the rest to SLOW's; nothing moves.
 *
 * TCG does not make a far node slower, so which node the hot set is on is
 * the score, not the update rate (printed as gups, for information).
 * AUTOTIER_CSV=FILE (make demo) writes one row a second: the variant,
 * the second, the jump, the hot set's share on FAST as the kernel sees it
 * (move_pages(2)), and for auto the module's own view of the region: its
 * MiB on FAST (TA_IOC_REGION_INFO resident_bytes) and the MiB automatic
 * tiering promoted and demoted in it so far (its per-region counters).
 * Environment: AUTOTIER_PERIOD, AUTOTIER_JUMPS, AUTOTIER_MIB,
 * AUTOTIER_VARIANTS ("auto,numab,damos,static"), AUTOTIER_4K=1 (auto on a
 * 4 KiB region, whose units may be tracked in pieces), AUTOTIER_DAMOS_WARMUP
 * (90, or the period if it is under 10 s: seconds DAMOS runs before the
 * first jump, for its quota tuning).  BENCH_SCALE < 1: 256 MiB, 5 s
 * periods, 1 jump (a smoke run).  Exit 77 without the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <linux/tieralloc.h>

#include "bench_vm.h"

#define MIB	    (1UL << 20)
#define PAGE	    4096UL
#define HUGE	    (2 * MIB)
#define PARTS	    10
#define STRIDE	    16 /* sample every 16th page of the hot set */
#define MAX_JUMPS   9
#define MAX_SAMPLES 600
#define DAMON	    "/sys/kernel/mm/damon/admin/kdamonds"
#define DAMON_STAT  "/sys/module/damon_stat/parameters/enabled"

static const int order[PARTS] = { 0, 5, 2, 7, 4, 9, 1, 6, 3, 8 };

static int fd = -1, fast_node, slow_node;
static uint32_t auto_handle; /* the auto variant's region while it runs */
static FILE *csv;	     /* AUTOTIER_CSV */
static size_t ws, hot, budget;
static int period, jumps;
static char *mem;
static _Atomic size_t hot_off;
static atomic_int stop;
static _Atomic uint64_t updates;

struct result {
	const char *name;
	int ran;
	double t90[MAX_JUMPS + 1]; /* < 0: never within the period */
	double end_share[MAX_JUMPS + 1];
	double migrated[MAX_JUMPS + 1]; /* pages of 4 KiB */
	double cpu_pct;			/* < 0: not measured */
	int warmup;			/* s before the first jump, if > period */
	double gups;
};

/* ---- small file helpers ---- */

static int env_int(const char *name, int dflt)
{
	const char *s = getenv(name);

	return s && *s ? atoi(s) : dflt;
}

static int put(const char *path, const char *val)
{
	int f = open(path, O_WRONLY);
	ssize_t n = -1;

	if (f >= 0) {
		n = write(f, val, strlen(val));
		close(f);
	}
	if (n != (ssize_t)strlen(val)) {
		fprintf(stderr, "autotier: %s <- %s: %s\n", path, val, strerror(errno));
		return -1;
	}
	return 0;
}

static int putf(const char *val, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(const char *val, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return put(path, val);
}

static int get(const char *path, char *buf, size_t size)
{
	int f = open(path, O_RDONLY);
	ssize_t n = -1;

	if (f >= 0) {
		n = read(f, buf, size - 1);
		close(f);
	}
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? 0 : -1;
}

static long get_long(const char *path, long dflt)
{
	char buf[64];

	return get(path, buf, sizeof(buf)) ? dflt : atol(buf);
}

/* A field of /proc/vmstat, or 0. */
static uint64_t vmstat(const char *field)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[64];
	unsigned long long v;
	uint64_t r = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		if (!strcmp(name, field))
			r = v;
	fclose(f);
	return r;
}

/* MemFree of a node, bytes. */
static uint64_t node_free(int node)
{
	char path[96], line[160];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "MemFree:"))
			sscanf(strstr(line, "MemFree:") + 8, "%llu", &kb);
	fclose(f);
	return kb * 1024;
}

/* ---- the module ---- */

static int tier_get(uint32_t tier, struct ta_tier_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tier = tier;
	return ioctl(fd, TA_IOC_GET_TIER, c);
}

/* Sum of one per-tier counter over the tiers. */
static uint64_t ta_stat(size_t field)
{
	struct ta_stats st;
	struct ta_stats_query q = { .stats_ptr = (uintptr_t)&st, .size = sizeof(st) };
	uint64_t sum = 0;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, TA_IOC_GET_STATS, &q))
		return 0;
	for (int t = 0; t < TA_NR_TIERS; t++)
		sum += ((uint64_t *)&st.tier[t])[field];
	return sum;
}

#define TA_STAT(f) ta_stat(offsetof(struct ta_tier_stats, f) / sizeof(__u64))

/* ---- workload ---- */

static void *gups(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL, n = 0;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t *h =
			(uint64_t *)(mem + atomic_load_explicit(&hot_off, memory_order_relaxed));

		for (int i = 0; i < 4096; i++) {
			uint64_t r = rnd(&s);

			h[r % (hot / 8)] ^= r;
		}
		n += 4096;
		atomic_store_explicit(&updates, n, memory_order_relaxed);
	}
	return NULL;
}

/* Share of the hot set at @off on FAST's node, from move_pages(2). */
static double share_on_fast(size_t off)
{
	size_t n = hot / PAGE / STRIDE, known = 0, on = 0;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	for (size_t i = 0; i < n; i++) {
		pages[i] = mem + off + i * STRIDE * PAGE;
		(void)*(volatile char *)pages[i];
	}
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) == 0)
		for (size_t i = 0; i < n; i++) {
			known += status[i] >= 0;
			on += status[i] == fast_node;
		}
	free(pages);
	free(status);
	return known ? (double)on / known : 0;
}

/* Pages migrated so far, as the variant counts them. */
static uint64_t migrated_now(const struct result *r)
{
	if (!strcmp(r->name, "auto"))
		return (TA_STAT(auto_promoted_bytes) + TA_STAT(auto_demoted_bytes)) / PAGE;
	return vmstat("pgmigrate_success");
}

static pid_t kdamond_pid[2];

/* CPU seconds of the kdamonds started here. */
static double kdamond_cpu(void)
{
	double sum = 0;

	for (int i = 0; i < 2; i++) {
		char path[64], buf[1024], *p;
		unsigned long long ut, st;

		if (kdamond_pid[i] <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", kdamond_pid[i]);
		if (get(path, buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
			continue;
		/* after ")": state ppid pgrp session tty tpgid flags minflt
		 * cminflt majflt cmajflt utime stime */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			   &st) == 2)
			sum += (double)(ut + st) / sysconf(_SC_CLK_TCK);
	}
	return sum;
}

static double cpu_now(const struct result *r)
{
	if (!strcmp(r->name, "auto"))
		return TA_STAT(auto_scan_ns) / 1e9;
	if (!strcmp(r->name, "damos"))
		return kdamond_cpu();
	return 0;
}

/* One AUTOTIER_CSV row: the kernel's view, and the module's for auto. */
static void csv_row(const struct result *r, double t, int jump, double share)
{
	struct ta_region_info ri = { .handle = auto_handle };
	int mod = auto_handle && !ioctl(fd, TA_IOC_REGION_INFO, &ri);

	fprintf(csv, "%s,%.1f,%d,%.1f,", r->name, t, jump, 100 * share);
	if (mod)
		fprintf(csv, "%.1f,%.1f,%.1f\n", (double)ri.resident_bytes[TA_TIER_FAST] / MIB,
			(double)ri.auto_promoted_bytes / MIB, (double)ri.auto_demoted_bytes / MIB);
	else
		fprintf(csv, ",,\n");
	fflush(csv);
}

/* Run the workload over mem: warm-up period, then the jumps. */
static void run_phases(struct result *r)
{
	pthread_t th;
	double t0 = now(), c0 = 0, tj, start = t0;
	uint64_t u0 = 0;

	atomic_store(&stop, 0);
	atomic_store(&hot_off, 0);
	pthread_create(&th, NULL, gups, NULL);
	for (int j = 0; j <= jumps; j++) {
		size_t off = (size_t)order[j % PARTS] * hot;
		uint64_t mj;

		atomic_store(&hot_off, off);
		tj = now();
		if (j == 1) {
			t0 = tj;
			c0 = cpu_now(r);
			u0 = atomic_load(&updates);
		}
		mj = migrated_now(r);
		r->t90[j] = -1;
		for (int s = 1; s <= (j ? period : r->warmup > period ? r->warmup : period); s++) {
			double sh, due = tj + s;

			while (now() < due)
				usleep((useconds_t)((due - now()) * 1e6) + 1000);
			sh = share_on_fast(off);
			if (r->t90[j] < 0 && sh >= 0.9)
				r->t90[j] = now() - tj;
			r->end_share[j] = sh;
			fprintf(stderr, "%s jump %d t=%2d s: %5.1f %% of the hot set on FAST\n",
				r->name, j, s, 100 * sh);
			if (csv)
				csv_row(r, now() - start, j, sh);
		}
		r->migrated[j] = (double)(migrated_now(r) - mj);
	}
	r->cpu_pct = 100 * (cpu_now(r) - c0) / (now() - t0);
	r->gups = (atomic_load(&updates) - u0) / (now() - t0) / 1e6;
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	r->ran = 1;
}

/* Fill every page of mem (first touch where the policy says). */
static void populate(void)
{
	for (size_t i = 0; i < ws; i += PAGE)
		mem[i] = 1;
}

/* ---- variants ---- */

static void variant_auto(struct result *r)
{
	struct ta_version v;
	struct ta_tier_config fast, c;
	struct ta_region_create rc = { .size = ws,
				       .placement = TA_HINT_COLD,
				       .flags = (env_int("AUTOTIER_4K", 0) ? 0 : TA_REGION_HUGE) |
						TA_REGION_AUTO };
	struct ta_region_free f;

	if (ioctl(fd, TA_IOC_VERSION, &v) || !(v.features & TA_FEAT_AUTO)) {
		fprintf(stderr, "autotier: auto: the module has no TA_FEAT_AUTO\n");
		return;
	}
	if (tier_get(TA_TIER_FAST, &fast))
		return;
	c = fast;
	c.valid = TA_CFG_HARD_CAP;
	c.hard_cap = budget;
	if (ioctl(fd, TA_IOC_SET_TIER, &c)) {
		perror("autotier: SET_TIER hard_cap");
		return;
	}
	if (ioctl(fd, TA_IOC_REGION_CREATE, &rc)) {
		perror("autotier: REGION_CREATE");
		goto out;
	}
	mem = mmap(NULL, ws, PROT_READ | PROT_WRITE, MAP_SHARED, fd, rc.offset);
	if (mem == MAP_FAILED) {
		perror("autotier: mmap");
	} else {
		populate();
		auto_handle = rc.handle;
		run_phases(r);
		auto_handle = 0;
		munmap(mem, ws);
	}
	f = (struct ta_region_free){ .handle = rc.handle };
	ioctl(fd, TA_IOC_REGION_FREE, &f);
out:
	c = fast;
	c.valid = TA_CFG_HARD_CAP;
	ioctl(fd, TA_IOC_SET_TIER, &c);
}

static int mpol(void *p, size_t len, int node, int mode)
{
	unsigned long mask = 1UL << node;

	if (mode == MPOL_DEFAULT)
		return syscall(SYS_mbind, p, len, MPOL_DEFAULT, NULL, 0, 0);
	return syscall(SYS_mbind, p, len, mode, &mask, sizeof(mask) * 8, 0);
}

/* Anonymous THP memory, populated on SLOW's node, then left unbound. */
static int anon_ws(void)
{
	mem = mmap(NULL, ws, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -1;
	madvise(mem, ws, MADV_HUGEPAGE);
	mpol(mem, ws, slow_node, MPOL_BIND);
	populate();
	mpol(mem, ws, 0, MPOL_DEFAULT);
	return 0;
}

static void *balloon;
static size_t balloon_len;

/* Fill FAST's node with mlocked memory until only the budget is free. */
static void balloon_inflate(void)
{
	uint64_t free = node_free(fast_node);

	balloon_len = free > budget ? (free - budget) & ~(HUGE - 1) : 0;
	if (!balloon_len)
		return;
	balloon =
		mmap(NULL, balloon_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (balloon == MAP_FAILED) {
		balloon = NULL;
		return;
	}
	mpol(balloon, balloon_len, fast_node, MPOL_BIND);
	if (mlock(balloon, balloon_len))
		perror("autotier: mlock balloon");
	fprintf(stderr, "autotier: balloon %zu MiB on node %d, %llu MiB free there\n",
		balloon_len / MIB, fast_node, (unsigned long long)node_free(fast_node) / MIB);
}

static void balloon_deflate(void)
{
	if (balloon)
		munmap(balloon, balloon_len);
	balloon = NULL;
}

/* FAST's and SLOW's nodes in different memory tiers? */
static int tiers_differ(void)
{
	char path[128], buf[256];
	int tier_of[2] = { -1, -1 }, nodes[2] = { fast_node, slow_node };

	for (int t = 0; t < 1024; t++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/virtual/memory_tiering/memory_tier%d/nodelist", t);
		if (get(path, buf, sizeof(buf)))
			continue;
		for (int i = 0; i < 2; i++) {
			char *p = buf;

			/* nodelist: "0", "1-2", "0,2" */
			while (*p) {
				int a = strtol(p, &p, 10), b = a;

				if (*p == '-')
					b = strtol(p + 1, &p, 10);
				if (nodes[i] >= a && nodes[i] <= b)
					tier_of[i] = t;
				while (*p == ',' || *p == '\n')
					p++;
				if (*p && (*p < '0' || *p > '9'))
					break;
			}
		}
	}
	return tier_of[0] >= 0 && tier_of[1] >= 0 && tier_of[0] != tier_of[1];
}

static void variant_numab(struct result *r)
{
	char saved_nb[16], saved_de[16];

	if (access("/sys/kernel/mm/numa/demotion_enabled", W_OK) ||
	    access("/proc/sys/kernel/numa_balancing", W_OK)) {
		fprintf(stderr, "autotier: numab: no numa_balancing or demotion_enabled\n");
		return;
	}
	if (!tiers_differ()) {
		fprintf(stderr,
			"autotier: numab: nodes %d and %d are in one memory tier "
			"(no HMAT-based tiers on this kernel): NUMA balancing's tiering "
			"mode has nothing to promote, not run\n",
			fast_node, slow_node);
		return;
	}
	get("/proc/sys/kernel/numa_balancing", saved_nb, sizeof(saved_nb));
	get("/sys/kernel/mm/numa/demotion_enabled", saved_de, sizeof(saved_de));
	if (anon_ws())
		return;
	balloon_inflate();
	if (!put("/proc/sys/kernel/numa_balancing", "2") &&
	    !put("/sys/kernel/mm/numa/demotion_enabled", "1"))
		run_phases(r);
	put("/proc/sys/kernel/numa_balancing", saved_nb);
	put("/sys/kernel/mm/numa/demotion_enabled", saved_de);
	balloon_deflate();
	munmap(mem, ws);
}

/* Physical address range of a node's memory blocks: [*start, *end). */
static int node_range(int node, uint64_t *start, uint64_t *end)
{
	char buf[64];
	uint64_t bs;
	long lo = -1, hi = -1;
	char path[96];

	if (get("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf)))
		return -1;
	bs = strtoull(buf, NULL, 16);
	for (long b = 0; b < 65536; b++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/memory%ld", node, b);
		if (access(path, F_OK))
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
	}
	if (lo < 0)
		return -1;
	*start = lo * bs;
	*end = (hi + 1) * bs;
	return 0;
}

static void damon_off(void)
{
	if (get_long(DAMON "/nr_kdamonds", 0) > 0) {
		putf("off", DAMON "/0/state");
		putf("off", DAMON "/1/state");
	}
	putf("0", DAMON "/nr_kdamonds");
}

/* One kdamond: monitor @from, migrate to @to; hot (promote) or cold. */
static int damon_setup(int k, int from, int to, int promote)
{
	char v[64];
	uint64_t s, e;
	const char *c = DAMON "/%d/contexts/0%s", *sc = DAMON "/%d/contexts/0/schemes/0%s";

	if (node_range(from, &s, &e))
		return -1;
	if (putf("1", DAMON "/%d/contexts/nr_contexts", k) || putf("paddr", c, k, "/operations") ||
	    putf("5000", c, k, "/monitoring_attrs/intervals/sample_us") ||
	    putf("100000", c, k, "/monitoring_attrs/intervals/aggr_us") ||
	    putf("1", c, k, "/targets/nr_targets") ||
	    putf("1", c, k, "/targets/0/regions/nr_regions"))
		return -1;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)s);
	putf(v, c, k, "/targets/0/regions/0/start");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)e);
	if (putf(v, c, k, "/targets/0/regions/0/end"))
		return -1;
	snprintf(v, sizeof(v), "%d", to);
	if (putf("1", c, k, "/schemes/nr_schemes") ||
	    putf(promote ? "migrate_hot" : "migrate_cold", sc, k, "/action") ||
	    putf(v, sc, k, "/target_nid") || putf("1000000", sc, k, "/apply_interval_us") ||
	    /* sysfs ranges start as [0, 0]: open them as the sample does */
	    putf("4096", sc, k, "/access_pattern/sz/min") ||
	    putf("18446744073709551615", sc, k, "/access_pattern/sz/max") ||
	    putf("0", sc, k, "/access_pattern/age/min") ||
	    putf("4294967295", sc, k, "/access_pattern/age/max") ||
	    putf(promote ? "1" : "0", sc, k, "/access_pattern/nr_accesses/min") ||
	    putf(promote ? "4294967295" : "0", sc, k, "/access_pattern/nr_accesses/max") ||
	    putf("209715200", sc, k, "/quotas/bytes") ||
	    putf("1000", sc, k, "/quotas/reset_interval_ms") ||
	    putf("0", sc, k, "/quotas/weights/sz_permil") ||
	    putf("100", sc, k, "/quotas/weights/nr_accesses_permil") ||
	    putf("100", sc, k, "/quotas/weights/age_permil") ||
	    putf("1", sc, k, "/quotas/goals/nr_goals") ||
	    putf(promote ? "node_mem_used_bp" : "node_mem_free_bp", sc, k,
		 "/quotas/goals/0/target_metric") ||
	    putf(promote ? "9970" : "50", sc, k, "/quotas/goals/0/target_value"))
		return -1;
	snprintf(v, sizeof(v), "%d", fast_node);
	if (putf(v, sc, k, "/quotas/goals/0/nid"))
		return -1;
	/* Promote young pages only, demote only pages that are not young. */
	if (!putf("1", sc, k, "/ops_filters/nr_filters")) {
		putf("young", sc, k, "/ops_filters/0/type");
		putf("Y", sc, k, "/ops_filters/0/matching");
		putf(promote ? "Y" : "N", sc, k, "/ops_filters/0/allow");
	}
	return 0;
}

/* What each scheme did (stderr): if DAMOS moved nothing, why. */
static void damon_report(void)
{
	static const char *const f[] = { "stats/nr_tried",
					 "stats/sz_tried",
					 "stats/nr_applied",
					 "stats/sz_applied",
					 "stats/qt_exceeds",
					 "quotas/effective_bytes",
					 "quotas/goals/0/current_value" };

	for (int k = 0; k < 2; k++) {
		char path[256], buf[64];

		putf("update_schemes_stats", DAMON "/%d/state", k);
		putf("update_schemes_effective_quotas", DAMON "/%d/state", k);
		fprintf(stderr, "autotier: damos kdamond %d:", k);
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			snprintf(path, sizeof(path), DAMON "/%d/contexts/0/schemes/0/%s", k, f[i]);
			if (get(path, buf, sizeof(buf)))
				strcpy(buf, "?\n");
			buf[strcspn(buf, "\n")] = 0;
			fprintf(stderr, " %s=%s", strrchr(f[i], '/') + 1, buf);
		}
		fprintf(stderr, "\n");
	}
}

static void variant_damos(struct result *r)
{
	char saved_nb[16] = "", saved_stat[8] = "";

	if (access(DAMON "/nr_kdamonds", W_OK)) {
		fprintf(stderr, "autotier: damos: no DAMON sysfs interface\n");
		return;
	}
	/* DAMON_STAT's context runs exclusively: sysfs ones would be EBUSY. */
	get(DAMON_STAT, saved_stat, sizeof(saved_stat));
	if (saved_stat[0] == 'Y')
		put(DAMON_STAT, "N");
	damon_off();
	if (putf("2", DAMON "/nr_kdamonds") || damon_setup(0, slow_node, fast_node, 1) ||
	    damon_setup(1, fast_node, slow_node, 0)) {
		fprintf(stderr, "autotier: damos: this kernel's DAMON has no migrate_hot/"
				"migrate_cold or node_mem_*_bp quota goals, not run\n");
		goto out;
	}
	get("/proc/sys/kernel/numa_balancing", saved_nb, sizeof(saved_nb));
	put("/proc/sys/kernel/numa_balancing", "0");
	if (anon_ws())
		goto out;
	balloon_inflate();
	if (!putf("on", DAMON "/0/state") && !putf("on", DAMON "/1/state")) {
		kdamond_pid[0] = get_long(DAMON "/0/pid", -1);
		kdamond_pid[1] = get_long(DAMON "/1/pid", -1);
		/*
		 * The quota goals tune the quotas from 1 byte up, by at most
		 * a third per second while under the goal: about 70 s to
		 * reach a hot set's size per second.  Give them that first.
		 */
		r->warmup = env_int("AUTOTIER_DAMOS_WARMUP", period < 10 ? period : 90);
		run_phases(r);
		damon_report();
	}
	balloon_deflate();
	munmap(mem, ws);
out:
	damon_off();
	if (saved_nb[0])
		put("/proc/sys/kernel/numa_balancing", saved_nb);
	if (saved_stat[0] == 'Y')
		put(DAMON_STAT, "Y");
}

static void variant_static(struct result *r)
{
	mem = mmap(NULL, ws, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return;
	madvise(mem, ws, MADV_HUGEPAGE);
	mpol(mem, budget, fast_node, MPOL_BIND);
	mpol(mem + budget, ws - budget, slow_node, MPOL_BIND);
	populate();
	run_phases(r);
	munmap(mem, ws);
}

/* ---- output ---- */

static void emit(struct result *res, int n)
{
	const struct result *best = NULL;
	char name[96], base[96];

	/* The kernel's variant that migrated least is the baseline. */
	for (int i = 0; i < n; i++) {
		double m = 0;

		if (!res[i].ran || (strcmp(res[i].name, "numab") && strcmp(res[i].name, "damos")))
			continue;
		for (int j = 1; j <= jumps; j++)
			m += res[i].migrated[j];
		res[i].migrated[0] = m / jumps;
		if (!best || m / jumps < best->migrated[0])
			best = &res[i];
	}
	for (int i = 0; i < n; i++) {
		const struct result *r = &res[i];
		double t = 0, tmax = 0, sh = 0, m = 0;
		int missed = 0;

		if (!r->ran)
			continue;
		for (int j = 1; j <= jumps; j++) {
			double tj = r->t90[j] < 0 ? period : r->t90[j];

			missed += r->t90[j] < 0;
			t += tj;
			tmax = tj > tmax ? tj : tmax;
			sh += r->end_share[j];
			m += r->migrated[j];
		}
		snprintf(name, sizeof(name), "autotier.t90[%s]", r->name);
		row(name, "s", t / jumps, NULL);
		snprintf(name, sizeof(name), "autotier.t90_max[%s]", r->name);
		row(name, "s", tmax, NULL);
		snprintf(name, sizeof(name), "autotier.t90_missed[%s]", r->name);
		row(name, "jumps", missed, NULL);
		snprintf(name, sizeof(name), "autotier.hot_on_fast_end[%s]", r->name);
		row(name, "%", 100 * sh / jumps, NULL);
		snprintf(name, sizeof(name), "autotier.migrated_per_jump[%s]", r->name);
		if (best)
			snprintf(base, sizeof(base), "autotier.migrated_per_jump[%s]", best->name);
		row(name, "pages", m / jumps, best && best != r ? base : NULL);
		if (r->cpu_pct >= 0 && (!strcmp(r->name, "auto") || !strcmp(r->name, "damos"))) {
			snprintf(name, sizeof(name), "autotier.scan_cpu[%s]", r->name);
			row(name, "%core", r->cpu_pct, NULL);
		}
		snprintf(name, sizeof(name), "autotier.gups[%s]", r->name);
		row(name, "Mupd/s", r->gups, NULL);
	}
}

int main(void)
{
	const char *s = getenv("BENCH_SCALE"), *want = getenv("AUTOTIER_VARIANTS");
	double scale = s ? atof(s) : 1.0;
	int quick = scale > 0 && scale < 1;
	struct ta_tier_config c;
	struct result res[] = {
		{ .name = "auto" }, { .name = "numab" }, { .name = "damos" }, { .name = "static" }
	};
	void (*fn[])(struct result *) = { variant_auto, variant_numab, variant_damos,
					  variant_static };
	int n = sizeof(res) / sizeof(res[0]);

	fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "autotier: %s: %s\n", TIERALLOC_DEVICE, strerror(errno));
		return 77;
	}
	if (tier_get(TA_TIER_FAST, &c))
		return 1;
	fast_node = c.node;
	if (tier_get(TA_TIER_SLOW, &c))
		return 1;
	slow_node = c.node;
	ws = (size_t)env_int("AUTOTIER_MIB", quick ? 256 : 1536) * MIB;
	hot = ws / PARTS / HUGE * HUGE;
	ws = hot * PARTS;
	budget = 2 * hot;
	period = env_int("AUTOTIER_PERIOD", quick ? 5 : 10);
	jumps = env_int("AUTOTIER_JUMPS", quick ? 1 : 3);
	if (hot < HUGE || period < 1 || jumps < 1 || jumps > MAX_JUMPS) {
		fprintf(stderr, "autotier: bad AUTOTIER_MIB, _PERIOD or _JUMPS\n");
		return 1;
	}
	fprintf(stderr,
		"autotier: working set %zu MiB, hot set %zu MiB, FAST budget %zu MiB "
		"(node %d), SLOW node %d, %d jumps every %d s\n",
		ws / MIB, hot / MIB, budget / MIB, fast_node, slow_node, jumps, period);
	if (getenv("AUTOTIER_CSV")) {
		csv = fopen(getenv("AUTOTIER_CSV"), "w");
		if (!csv) {
			fprintf(stderr, "autotier: %s: %s\n", getenv("AUTOTIER_CSV"),
				strerror(errno));
			return 1;
		}
		fprintf(csv, "variant,second,jump,hot_on_fast_pct,module_fast_mib,"
			     "module_promoted_mib,module_demoted_mib\n");
	}
	for (int i = 0; i < n; i++) {
		res[i].cpu_pct = -1;
		if (want && *want && !strstr(want, res[i].name))
			continue;
		fprintf(stderr, "autotier: variant %s\n", res[i].name);
		fn[i](&res[i]);
	}
	emit(res, n);
	if (csv)
		fclose(csv);
	return 0;
}
