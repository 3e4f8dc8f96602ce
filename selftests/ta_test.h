/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the TierAlloc selftests: the device, regions, tier
 * configuration, and independent views of where pages are (move_pages(2),
 * /proc/self/numa_maps, pagemap) and of each node's free memory; other
 * users, memory cgroups and the kernel's own reports (/dev/kmsg).
 */
#ifndef TA_SELFTEST_H
#define TA_SELFTEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/tieralloc.h>

/*
 * The harness gives each test 30 s.  Under QEMU's TCG, and ten times more
 * so on the KASAN/lockdep debug kernel, honest tests need longer; a hung
 * test still ends, just later.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600
#endif

#define TA_PAGE 4096UL
#define TA_MIB	(1UL << 20)

/*
 * A new file of the device, or -1 with errno (ENOENT: the module is not
 * loaded; the VM rig loads it): callers SKIP or fail as they need.
 */
static inline int ta_open_dev(void)
{
	return open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
}

struct ta_map {
	struct ta_region_create req;
	void *addr;
};

static inline int ta_create(int fd, uint64_t size, uint32_t placement, uint32_t flags,
			    struct ta_region_create *req)
{
	memset(req, 0, sizeof(*req));
	req->size = size;
	req->placement = placement;
	req->flags = flags;
	return ioctl(fd, TA_IOC_REGION_CREATE, req) ? -errno : 0;
}

/* Create and map a region; returns MAP_FAILED-style NULL on error (errno set). */
static inline void *ta_create_map(int fd, uint64_t size, uint32_t placement, uint32_t flags,
				  struct ta_region_create *req)
{
	void *p;
	int ret = ta_create(fd, size, placement, flags, req);

	if (ret) {
		errno = -ret;
		return NULL;
	}
	p = mmap(NULL, req->granted_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, req->offset);
	return p == MAP_FAILED ? NULL : p;
}

static inline int ta_free_handle(int fd, uint32_t handle)
{
	struct ta_region_free f = { .handle = handle };

	return ioctl(fd, TA_IOC_REGION_FREE, &f) ? -errno : 0;
}

static inline int ta_get_tier(int fd, uint32_t tier, struct ta_tier_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tier = tier;
	return ioctl(fd, TA_IOC_GET_TIER, c) ? -errno : 0;
}

static inline int ta_set_tier(int fd, struct ta_tier_config *c)
{
	return ioctl(fd, TA_IOC_SET_TIER, c) ? -errno : 0;
}

static inline int ta_get_stats(int fd, struct ta_stats *st)
{
	struct ta_stats_query q = { .stats_ptr = (uintptr_t)st, .size = sizeof(*st) };

	memset(st, 0, sizeof(*st));
	return ioctl(fd, TA_IOC_GET_STATS, &q) ? -errno : 0;
}

/* Saved configuration of every tier, restored by tests that change it. */
struct ta_saved_cfg {
	struct ta_tier_config c[TA_NR_TIERS];
};

static inline void ta_save_cfg(int fd, struct ta_saved_cfg *s)
{
	for (uint32_t t = 0; t < TA_NR_TIERS; t++)
		ta_get_tier(fd, t, &s->c[t]);
}

static inline void ta_restore_cfg(int fd, struct ta_saved_cfg *s)
{
	for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
		struct ta_tier_config c = s->c[t];

		c.valid = TA_CFG_ALL;
		ta_set_tier(fd, &c);
	}
}

static inline int ta_set_caps(int fd, uint32_t tier, uint64_t soft, uint64_t hard, uint32_t policy)
{
	struct ta_tier_config c = {
		.tier = tier,
		.valid = TA_CFG_SOFT_CAP | TA_CFG_HARD_CAP | TA_CFG_POLICY,
		.soft_cap = soft,
		.hard_cap = hard,
		.policy = policy,
	};

	return ta_set_tier(fd, &c);
}

static inline int ta_tier_node(int fd, uint32_t tier)
{
	struct ta_tier_config c;

	return ta_get_tier(fd, tier, &c) ? -1 : c.node;
}

/*
 * Where the kernel says each page of [p, p + len) is: move_pages(2) with
 * nodes == NULL.  Counts the pages on @node into *@on and the pages mapped
 * on any other node into *@elsewhere; pages not mapped (never touched, or
 * moved and not yet touched again) count in neither.  0, or -1 on error.
 */
static inline int ta_page_nodes(void *p, size_t len, int node, long *on, long *elsewhere)
{
	size_t n = len / TA_PAGE, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	int ret = -1;

	*on = *elsewhere = 0;
	if (pages && status) {
		for (i = 0; i < n; i++)
			pages[i] = (char *)p + i * TA_PAGE;
		ret = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) ? -1 : 0;
		for (i = 0; !ret && i < n; i++) {
			*on += status[i] == node;
			*elsewhere += status[i] >= 0 && status[i] != node;
		}
	}
	free(pages);
	free(status);
	return ret;
}

/* Pages of [p, p + len) on @node, or -1. */
static inline long ta_pages_on_node(void *p, size_t len, int node)
{
	long on, off;

	return ta_page_nodes(p, len, node, &on, &off) ? -1 : on;
}

/* Pages of [p, p + len) mapped, but NOT on @node (after a move: must be 0), or -1. */
static inline long ta_pages_elsewhere(void *p, size_t len, int node)
{
	long on, off;

	return ta_page_nodes(p, len, node, &on, &off) ? -1 : off;
}

/* TA_IOC_REGION_MOVE of [off, off + len) of @handle to @dst; 0 or -errno. */
static inline int ta_move(int fd, uint32_t handle, uint32_t dst, uint64_t off, uint64_t len,
			  uint32_t flags, struct ta_region_move *m)
{
	memset(m, 0, sizeof(*m));
	m->handle = handle;
	m->dst_tier = dst;
	m->offset = off;
	m->length = len;
	m->flags = flags;
	return ioctl(fd, TA_IOC_REGION_MOVE, m) ? -errno : 0;
}

/* Fill [p + off, p + off + len) with words made of @seed and their offset from @p. */
static inline void ta_fill_at(char *p, size_t off, size_t len, unsigned int seed)
{
	for (size_t i = off; i < off + len; i += sizeof(uint64_t))
		*(uint64_t *)(p + i) = (i * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/*
 * Offset from @p of the first word of [p + off, p + off + len) that
 * ta_fill_at(p, ..., @seed) did not write; off + len if none.
 */
static inline size_t ta_mismatch_at(const char *p, size_t off, size_t len, unsigned int seed)
{
	for (size_t i = off; i < off + len; i += sizeof(uint64_t))
		if (*(const uint64_t *)(p + i) != ((i * 0x9e3779b97f4a7c15ULL) ^ seed))
			return i;
	return off + len;
}

static inline void ta_fill(char *p, size_t len, unsigned int seed)
{
	ta_fill_at(p, 0, len, seed);
}

static inline size_t ta_mismatch(const char *p, size_t len, unsigned int seed)
{
	return ta_mismatch_at(p, 0, len, seed);
}

static inline double ta_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read every page of [p, p + len) so that it is mapped again. */
static inline void ta_touch(const void *p, size_t len)
{
	for (size_t i = 0; i < len; i += TA_PAGE)
		(void)*(const volatile char *)((const char *)p + i);
}

/* Pages of the mapping at @p on @node, as /proc/self/numa_maps reports them. */
static inline long ta_numa_maps_pages(void *p, int node)
{
	char line[4096], key[16], start[32];
	FILE *f = fopen("/proc/self/numa_maps", "r");
	long pages = -1;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx ", (unsigned long)p);
	snprintf(key, sizeof(key), " N%d=", node);
	while (fgets(line, sizeof(line), f)) {
		char *k;

		if (strncmp(line, start, strlen(start)))
			continue;
		k = strstr(line, key);
		pages = k ? strtol(k + strlen(key), NULL, 10) : 0;
		break;
	}
	fclose(f);
	return pages;
}

/* Physical frame of the page at @p (needs CAP_SYS_ADMIN), 0 if unknown. */
static inline uint64_t ta_pfn(void *p)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), ((uintptr_t)p / TA_PAGE) * 8) != sizeof(ent))
		ent = 0;
	close(fd);
	return (ent & (1ULL << 63)) ? ent & ((1ULL << 55) - 1) : 0;
}

/*
 * Free memory of a node in bytes, -1 if unknown: the buddy allocator's free
 * pages plus the free pages parked on per-CPU lists (/proc/zoneinfo
 * "count:"), which MemFree leaves out.  Without them a test would mistake
 * a few MiB of per-CPU caching for a leak, or miss a leak of that size.
 */
static inline long long ta_node_free(int node)
{
	char line[256];
	long long pages = 0, v;
	int in_node = 0, n, found = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &n) == 1) {
			in_node = n == node;
			found |= in_node;
		} else if (in_node && sscanf(line, " pages free %lld", &v) == 1) {
			pages += v;
		} else if (in_node && sscanf(line, " count: %lld", &v) == 1) {
			pages += v;
		}
	}
	fclose(f);
	return found ? pages * (long long)sysconf(_SC_PAGESIZE) : -1;
}

/* Number of NUMA nodes with memory, from sysfs. */
static inline int ta_memory_nodes(void)
{
	char buf[256];
	int fd = open("/sys/devices/system/node/has_memory", O_RDONLY);
	ssize_t n;
	int count = 0, a, b;
	char *s;

	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	for (s = buf; *s;) {
		if (sscanf(s, "%d-%d", &a, &b) == 2)
			count += b - a + 1;
		else if (sscanf(s, "%d", &a) == 1)
			count++;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return count;
}

/*
 * Become @uid/@gid for good: real, effective and saved IDs, and no
 * supplementary groups (root's would stay otherwise).  For the other user
 * of a test, in a forked child.  0, or -errno.
 */
static inline int ta_become_user(uid_t uid, gid_t gid)
{
	uid_t r, e, s;

	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	if (getresuid(&r, &e, &s) || r != uid || e != uid || s != uid)
		return -EPERM;
	return 0;
}

/* Whole-file helpers for sysfs, procfs and cgroupfs: 0 (bytes read), or -errno. */
static inline int ta_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

static inline int ta_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

/*
 * Kernel reports: open /dev/kmsg positioned after the last record, so that
 * ta_kmsg_reports() sees only what the kernel logs from now on.
 */
static inline int ta_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Read every record logged since ta_kmsg_open() (or the last call) and
 * count those that report a kernel bug: WARN(), BUG(), refcount and list
 * corruption, oopses, KASAN, UBSAN and lockdep.  Each is printed as a TAP
 * comment with the 40 records after it (its stack).  KCSAN data races are
 * left to the debug lane's tools/dmesg-scan, which tells the module's
 * races from the core kernel's.
 */
static inline int ta_kmsg_reports(int fd)
{
	static const char *const keys[] = {
		"WARNING:",
		"BUG:",
		"refcount_t:",
		"Oops",
		"general protection",
		"KASAN",
		"UBSAN",
		"list_add corruption",
		"list_del corruption",
		"possible circular locking",
	};
	char rec[8192], *msg, *nl;
	int bad = 0, ctx = 0;
	size_t k;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && (errno == EPIPE || errno == EINTR))
			continue; /* records overwritten before we read them: go on */
		if (n <= 0)
			break; /* EAGAIN: nothing more */
		rec[n] = 0;
		/* "prio,seq,usec,flags;message\n" and " KEY=value" lines after it. */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strstr(msg, keys[k]) && !strstr(msg, "BUG: KCSAN:"))
				break;
		if (k < sizeof(keys) / sizeof(keys[0])) {
			printf("# kernel: %s\n", msg);
			bad++;
			ctx = 40;
		} else if (ctx > 0) {
			ctx--;
			printf("# kernel:   %s\n", msg);
		}
	}
	return bad;
}

/*
 * A memory cgroup of its own for a test: cgroup2 at /sys/fs/cgroup with the
 * memory controller enabled for the root's children.
 */
#define TA_CGROUP_ROOT "/sys/fs/cgroup"

struct ta_cgroup {
	char path[128];
};

/*
 * Make TA_CGROUP_ROOT/@name with memory.max = @max.  0; or -1 with the
 * reason in @why (cgroup2 not mounted, no memory controller, ...).
 */
static inline int ta_cg_make(struct ta_cgroup *cg, const char *name, uint64_t max, char *why,
			     size_t whylen)
{
	char buf[512], file[192];
	struct statfs sfs;
	int ret;

	cg->path[0] = 0;
	if (statfs(TA_CGROUP_ROOT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, whylen, "cgroup2 is not mounted at " TA_CGROUP_ROOT);
		return -1;
	}
	ret = ta_read_file(TA_CGROUP_ROOT "/cgroup.controllers", buf, sizeof(buf));
	if (ret < 0 || !strstr(buf, "memory")) {
		snprintf(why, whylen,
			 "no memory controller in " TA_CGROUP_ROOT "/cgroup.controllers (%s)",
			 ret < 0 ? strerror(-ret) : buf);
		return -1;
	}
	ret = ta_write_file(TA_CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret) {
		snprintf(why, whylen, "cannot enable +memory in cgroup.subtree_control: %s",
			 strerror(-ret));
		return -1;
	}
	snprintf(cg->path, sizeof(cg->path), TA_CGROUP_ROOT "/%s", name);
	rmdir(cg->path); /* left over from a killed run */
	if (mkdir(cg->path, 0755)) {
		snprintf(why, whylen, "mkdir %s: %s", cg->path, strerror(errno));
		cg->path[0] = 0;
		return -1;
	}
	snprintf(file, sizeof(file), "%s/memory.max", cg->path);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)max);
	ret = ta_write_file(file, buf);
	if (ret) {
		snprintf(why, whylen, "%s: %s", file, strerror(-ret));
		rmdir(cg->path);
		cg->path[0] = 0;
		return -1;
	}
	return 0;
}

/* Move @pid into the group.  0 or -errno. */
static inline int ta_cg_enter(const struct ta_cgroup *cg, pid_t pid)
{
	char file[192], buf[32];

	snprintf(file, sizeof(file), "%s/cgroup.procs", cg->path);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return ta_write_file(file, buf);
}

/* A file of the group holding one number (memory.current, memory.peak), or -1. */
static inline long long ta_cg_get(const struct ta_cgroup *cg, const char *name)
{
	char file[192], buf[64];

	snprintf(file, sizeof(file), "%s/%s", cg->path, name);
	if (ta_read_file(file, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* The counter @key of the group's memory.events ("max", "oom", "oom_kill"), or -1. */
static inline long long ta_cg_event(const struct ta_cgroup *cg, const char *key)
{
	char file[192], buf[512], *s;
	size_t len = strlen(key);

	snprintf(file, sizeof(file), "%s/memory.events", cg->path);
	if (ta_read_file(file, buf, sizeof(buf)) <= 0)
		return -1;
	for (s = buf; s;) {
		if (!strncmp(s, key, len) && s[len] == ' ')
			return strtoll(s + len + 1, NULL, 10);
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return -1;
}

/* Remove the group once its processes are gone (they may take a moment). */
static inline void ta_cg_remove(struct ta_cgroup *cg)
{
	int i;

	if (!cg->path[0])
		return;
	for (i = 0; i < 100 && rmdir(cg->path) && errno == EBUSY; i++)
		usleep(10 * 1000);
	cg->path[0] = 0;
}

/* Let freed pages settle: drain per-CPU lists by compacting is overkill; wait. */
static inline void ta_settle(void)
{
	usleep(200 * 1000);
}

/*
 * Accounting is back where a test started once its regions are gone.  For
 * kselftest_harness.h users (needs the harness's EXPECT macros).
 */
#define ta_expect_baseline(fd, start)                                                   \
	do {                                                                            \
		struct ta_stats __now;                                                  \
                                                                                        \
		ASSERT_EQ(0, ta_get_stats(fd, &__now));                                 \
		for (int __t = 0; __t < TA_NR_TIERS; __t++) {                           \
			EXPECT_EQ((start)->tier[__t].reserved_bytes,                    \
				  __now.tier[__t].reserved_bytes);                      \
			EXPECT_EQ((start)->tier[__t].resident_bytes,                    \
				  __now.tier[__t].resident_bytes);                      \
			EXPECT_EQ((start)->tier[__t].regions, __now.tier[__t].regions); \
		}                                                                       \
		EXPECT_EQ((start)->live_regions, __now.live_regions);                   \
	} while (0)

#ifdef TEST_HARNESS_MAIN
/*
 * `PROG -t NAME [-t NAME ...]` runs only the tests named, as "ok N" lines
 * print them (fixture.test) or by the test's own name; so does TA_TESTS,
 * the names separated by spaces, for a run that cannot pass arguments
 * (tools/run-tests; tools/vmrun passes TA_* into the guest).  The
 * kselftest harness these tests build against (Linux 6.1's) ignores its
 * arguments; newer harnesses filter on -t themselves and still do after
 * this.  A name that matches nothing is an error, never an empty pass.
 */
static inline bool ta_test_named(const char *name, const char *full, int argc, char **argv)
{
	const char *env = getenv("TA_TESTS"), *p;
	size_t n;
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-t") &&
		    (!strcmp(argv[i + 1], full) || !strcmp(argv[i + 1], name)))
			return true;
	for (p = env; p && *p; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if ((n == strlen(full) && !strncmp(p, full, n)) ||
		    (n == strlen(name) && !strncmp(p, name, n)))
			return true;
	}
	return false;
}

static inline int ta_test_filter(int argc, char **argv)
{
	struct __fixture_metadata *f;
	const char *env = getenv("TA_TESTS");
	int i, want = 0, matched = 0;
	char full[256];

	for (i = 1; i + 1 < argc; i++)
		want += !strcmp(argv[i], "-t");
	if (!want && !(env && env[strspn(env, " ")]))
		return 0;
	for (f = __fixture_list; f; f = f->next) {
		struct __test_metadata *t = f->tests, *next, *head = NULL, *tail = NULL;

		for (; t; t = next) {
			next = t->next;
			snprintf(full, sizeof(full), "%s.%s", f->name, t->name);
			if (!ta_test_named(t->name, full, argc, argv))
				continue;
			matched++;
			t->prev = tail;
			t->next = NULL;
			if (tail)
				tail->next = t;
			else
				head = t;
			tail = t;
		}
		if (head)
			head->prev = tail; /* the harness's lists: prev of the head is the tail */
		f->tests = head;
	}
	if (!matched) {
		fprintf(stderr, "%s: no test matches the names given (-t, TA_TESTS)\n", argv[0]);
		return -1;
	}
	return 0;
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN                                                       \
	static void __attribute__((constructor)) __constructor_order_last(void) \
	{                                                                       \
		if (!__constructor_order)                                       \
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;      \
	}                                                                       \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		if (ta_test_filter(argc, argv))                                 \
			return 1;                                               \
		return test_harness_run(argc, argv);                            \
	}
#endif /* TEST_HARNESS_MAIN */

#endif /* TA_SELFTEST_H */
