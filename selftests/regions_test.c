// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko regions: placement on each tier's node (checked with
 * move_pages(2) and numa_maps, not with the module's counters), huge pages,
 * caps and hints, stats, permissions, malformed requests, and lifetime
 * across fork, munmap, kill and module unload.
 */
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ta_test.h"

FIXTURE(dev)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd;
	struct ta_saved_cfg saved;
};

FIXTURE_SETUP(dev)
{
	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	ta_save_cfg(self->fd, &self->saved);
	self->ready = true;
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0) {
		ta_restore_cfg(self->fd, &self->saved);
		close(self->fd);
	}
}

/* The ABI version query answers and reports what this header expects. */
TEST_F(dev, version)
{
	if (!self->ready)
		return;
	struct ta_version v;

	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_VERSION, &v));
	ASSERT_EQ(TIERALLOC_ABI_VERSION, v.abi_version);
	ASSERT_EQ(TA_NR_TIERS, v.nr_tiers);
	ASSERT_TRUE(v.features & TA_FEAT_HUGE);
	ASSERT_TRUE(v.features & TA_FEAT_MIGRATE);
	ASSERT_TRUE(v.features & TA_FEAT_DISCARD);
	ASSERT_EQ(0, v.reserved);
}

/* On the emulated machine HMAT ranks node0 < node1 < node2. */
TEST_F(dev, discovery_maps_tiers_to_hmat_order)
{
	if (!self->ready)
		return;
	struct ta_tier_config c;
	uint32_t t;

	if (ta_memory_nodes() != 3 ||
	    access("/sys/devices/system/node/node2/access0/initiators/read_latency", R_OK))
		SKIP(return, "needs the 3-node HMAT machine of tools/vmrun");
	for (t = 0; t < TA_NR_TIERS; t++) {
		ASSERT_EQ(0, ta_get_tier(self->fd, t, &c));
		EXPECT_EQ((int)t, c.node);
		EXPECT_TRUE(c.info_flags & TA_TIER_INFO_HMAT);
		EXPECT_GT(c.read_latency_ns, 0);
		EXPECT_GT(c.node_capacity, 0);
		EXPECT_GT(c.node_free, 0);
	}
}

/* Every page of a region sits on its tier's node, by the kernel's own word. */
TEST_F(dev, placement_each_tier)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB;
	uint32_t t;

	for (t = 0; t < TA_NR_TIERS; t++) {
		struct ta_region_create req;
		int node = ta_tier_node(self->fd, t);
		char *p = ta_create_map(self->fd, len, t, TA_REGION_TIER, &req);

		ASSERT_NE(NULL, p);
		ASSERT_EQ(t, req.tier);
		ASSERT_EQ(0, req.result);
		/* Untouched pages are not allocated anywhere yet. */
		ASSERT_EQ(0, ta_pages_on_node(p, len, node));
		memset(p, 0x5a, len);
		ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, node));
		ASSERT_EQ((long)(len / TA_PAGE), ta_numa_maps_pages(p, node));
		munmap(p, len);
		ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
}

/*
 * Hints resolve in the kernel: HOT/WARM/COLD to FAST/NORMAL/SLOW; AUTO is
 * an AUTO region (and only AUTO is) starting where PREFER_FAST would.
 */
TEST_F(dev, hints_resolve)
{
	if (!self->ready)
		return;
	/* clang-format off */
	static const uint32_t want[TA_NR_HINTS] = {
		[TA_HINT_HOT] = TA_TIER_FAST,
		[TA_HINT_WARM] = TA_TIER_NORMAL,
		[TA_HINT_COLD] = TA_TIER_SLOW,
		[TA_HINT_PIN_FAST] = TA_TIER_FAST,
		[TA_HINT_PREFER_FAST] = TA_TIER_FAST,
		[TA_HINT_AUTO] = TA_TIER_FAST,
	};
	/* clang-format on */
	struct ta_region_create req;
	struct ta_region_info info;
	uint32_t h;

	for (h = 0; h < TA_NR_HINTS; h++) {
		ASSERT_EQ(0, ta_create(self->fd, TA_MIB, h, 0, &req));
		EXPECT_EQ(want[h], req.tier);
		memset(&info, 0, sizeof(info));
		info.handle = req.handle;
		ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
		EXPECT_EQ(h == TA_HINT_AUTO ? TA_REGION_AUTO : 0, info.flags & TA_REGION_AUTO)
		TH_LOG("hint %u", h);
		ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
	/* The hint and the flag together are the same; an exact tier 5 is none. */
	ASSERT_EQ(0, ta_create(self->fd, TA_MIB, TA_HINT_AUTO, TA_REGION_AUTO, &req));
	EXPECT_EQ(TA_TIER_FAST, req.tier);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_HINT_AUTO, TA_REGION_TIER, &req));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_HINT_PIN_FAST, TA_REGION_AUTO, &req));
}

/* POPULATE allocates every page at creation, before any access. */
TEST_F(dev, populate)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	char *p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_POPULATE,
				&req);
	struct ta_region_info info = { .handle = req.handle };
	size_t i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(len, info.resident_bytes[TA_TIER_SLOW]);
	EXPECT_EQ(len, info.reserved_bytes[TA_TIER_SLOW]);
	for (i = 0; i < len; i += TA_PAGE)
		ASSERT_EQ(0, p[i]); /* zeroed */
	ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, ta_tier_node(self->fd, 2)));
	munmap(p, len);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* HUGE: one fault maps a whole 2 MiB chunk, and the chunk is contiguous. */
TEST_F(dev, huge_one_fault_per_2m_and_contiguous)
{
	if (!self->ready)
		return;
	const size_t chunks = 8, len = chunks * TA_HUGE_SIZE;
	struct ta_region_create req;
	struct ta_stats before, after;
	volatile char *p;
	long f0, faults;
	size_t i, c;
	int node;

	ASSERT_EQ(0, ta_get_stats(self->fd, &before));
	p = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	node = ta_tier_node(self->fd, TA_TIER_NORMAL);

	f0 = minflt();
	for (i = 0; i < len; i += TA_PAGE)
		p[i] = 1;
	faults = minflt() - f0;
	TH_LOG("%zu pages touched with %ld minor faults", len / TA_PAGE, faults);
	ASSERT_GE(faults, (long)chunks);
	ASSERT_LE(faults, (long)chunks + 2);
	ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node((void *)p, len, node));

	ASSERT_EQ(0, ta_get_stats(self->fd, &after));
	/* Contiguity is checked only for chunks served huge (not fallbacks). */
	if (after.tier[TA_TIER_NORMAL].huge_fallbacks != before.tier[TA_TIER_NORMAL].huge_fallbacks)
		SKIP(return, "node %d had no free 2 MiB blocks", node);
	EXPECT_EQ(chunks,
		  after.tier[TA_TIER_NORMAL].huge_pages - before.tier[TA_TIER_NORMAL].huge_pages);
	if (!ta_pfn((void *)p))
		SKIP(return, "pagemap PFNs need CAP_SYS_ADMIN");
	for (c = 0; c < chunks; c++) {
		uint64_t base = ta_pfn((void *)(p + c * TA_HUGE_SIZE));

		ASSERT_EQ(0, base % 512);
		for (i = 1; i < 512; i++)
			ASSERT_EQ(base + i, ta_pfn((void *)(p + c * TA_HUGE_SIZE + i * TA_PAGE)));
	}
}

/* Region pages are ordinary pages: another process can read them by GUP. */
TEST_F(dev, process_vm_readv_pins_pages)
{
	if (!self->ready)
		return;
	const size_t len = 4 * TA_MIB;
	struct ta_region_create req;
	char *p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	char *buf = malloc(len);
	struct iovec local = { buf, len }, remote;
	size_t i;
	pid_t pid;
	int st;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < len; i++)
		p[i] = (char)(i * 7 + 3);
	remote.iov_base = p;
	remote.iov_len = len;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The child reads its parent's region through the kernel. */
		ssize_t n = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);

		if (n != (ssize_t)len)
			_exit(1);
		for (i = 0; i < len; i++)
			if (buf[i] != (char)(i * 7 + 3))
				_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	free(buf);
}

/* Hard cap with route_slow reroutes FAST -> NORMAL; with fail, ENOMEM. */
TEST_F(dev, hard_cap_route_and_fail)
{
	if (!self->ready)
		return;
	struct ta_region_create a, b, c;
	struct ta_stats s0, s1;

	if (geteuid())
		SKIP(return, "setting caps needs root");
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0,
				 s0.tier[TA_TIER_FAST].reserved_bytes + 16 * TA_MIB,
				 TA_POLICY_ROUTE_SLOW));
	ASSERT_EQ(0, ta_create(self->fd, 8 * TA_MIB, TA_HINT_HOT, 0, &a));
	ASSERT_EQ(TA_TIER_FAST, a.tier);
	ASSERT_EQ(0, ta_create(self->fd, 8 * TA_MIB, TA_HINT_HOT, 0, &b));
	ASSERT_EQ(TA_TIER_FAST, b.tier);
	ASSERT_EQ(0, ta_create(self->fd, 8 * TA_MIB, TA_HINT_HOT, 0, &c));
	EXPECT_EQ(TA_TIER_NORMAL, c.tier);
	EXPECT_TRUE(c.result & TA_RESULT_REROUTED);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(1, s1.tier[TA_TIER_FAST].reroutes - s0.tier[TA_TIER_FAST].reroutes);
	EXPECT_EQ(1, s1.tier[TA_TIER_FAST].hard_violations - s0.tier[TA_TIER_FAST].hard_violations);
	ASSERT_EQ(0, ta_free_handle(self->fd, c.handle));

	/* Policy fail: the same request now fails, nothing is reserved. */
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_FAST, 0,
			      s0.tier[TA_TIER_FAST].reserved_bytes + 16 * TA_MIB, TA_POLICY_FAIL));
	ASSERT_EQ(-ENOMEM, ta_create(self->fd, 8 * TA_MIB, TA_HINT_HOT, 0, &c));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.tier[TA_TIER_FAST].reserved_bytes + 16 * TA_MIB,
		  s1.tier[TA_TIER_FAST].reserved_bytes);
	EXPECT_EQ(s0.tier[TA_TIER_NORMAL].reserved_bytes, s1.tier[TA_TIER_NORMAL].reserved_bytes);
}

/* PIN_FAST is never rerouted, even when the policy would route. */
TEST_F(dev, pin_fast_fails_at_hard_cap)
{
	if (!self->ready)
		return;
	struct ta_region_create a;
	struct ta_stats s0;

	if (geteuid())
		SKIP(return, "setting caps needs root");
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0,
				 s0.tier[TA_TIER_FAST].reserved_bytes + 4 * TA_MIB,
				 TA_POLICY_ROUTE_SLOW));
	ASSERT_EQ(0, ta_create(self->fd, 4 * TA_MIB, TA_HINT_PIN_FAST, 0, &a));
	ASSERT_EQ(TA_TIER_FAST, a.tier);
	ASSERT_EQ(-ENOMEM, ta_create(self->fd, TA_MIB, TA_HINT_PIN_FAST, 0, &a));
	/* HOT at the same cap is rerouted instead. */
	ASSERT_EQ(0, ta_create(self->fd, TA_MIB, TA_HINT_HOT, 0, &a));
	ASSERT_EQ(TA_TIER_NORMAL, a.tier);
}

/*
 * PREFER_FAST (and AUTO) use FAST under its soft cap, NORMAL beyond; HOT
 * counts soft violations.
 */
TEST_F(dev, prefer_fast_and_soft_cap)
{
	if (!self->ready)
		return;
	struct ta_region_create a;
	struct ta_stats s0, s1;
	uint64_t base;

	if (geteuid())
		SKIP(return, "setting caps needs root");
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	base = s0.tier[TA_TIER_FAST].reserved_bytes;
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_FAST, base + 8 * TA_MIB, 0, TA_POLICY_ROUTE_SLOW));
	ASSERT_EQ(0, ta_create(self->fd, 6 * TA_MIB, TA_HINT_PREFER_FAST, 0, &a));
	EXPECT_EQ(TA_TIER_FAST, a.tier);
	EXPECT_EQ(0, a.result);
	ASSERT_EQ(0, ta_create(self->fd, 6 * TA_MIB, TA_HINT_PREFER_FAST, 0, &a));
	EXPECT_EQ(TA_TIER_NORMAL, a.tier);
	EXPECT_TRUE(a.result & TA_RESULT_REROUTED);
	/* AUTO starts where PREFER_FAST would. */
	ASSERT_EQ(0, ta_create(self->fd, 6 * TA_MIB, TA_HINT_AUTO, 0, &a));
	EXPECT_EQ(TA_TIER_NORMAL, a.tier);
	EXPECT_TRUE(a.result & TA_RESULT_REROUTED);
	/* HOT goes over the soft cap: granted, flagged and counted. */
	ASSERT_EQ(0, ta_create(self->fd, 6 * TA_MIB, TA_HINT_HOT, 0, &a));
	EXPECT_EQ(TA_TIER_FAST, a.tier);
	EXPECT_TRUE(a.result & TA_RESULT_SOFT_OVER);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(1, s1.tier[TA_TIER_FAST].soft_violations - s0.tier[TA_TIER_FAST].soft_violations);
}

/* The hard cap holds machine-wide when many processes race for it. */
TEST_F(dev, hard_cap_across_processes)
{
	if (!self->ready)
		return;
	const int procs = 6, per = 8;
	const uint64_t sz = TA_MIB, cap = 20 * TA_MIB;
	struct ta_stats s0;
	int i, st, granted = 0;
	int pipefd[2], release[2];

	if (geteuid())
		SKIP(return, "setting caps needs root");
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0,
				 s0.tier[TA_TIER_FAST].reserved_bytes + cap, TA_POLICY_FAIL));
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pipe(release));
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			int fd = ta_open_dev(), n = 0, j;
			struct ta_region_create r;
			char c;

			for (j = 0; j < per; j++)
				n += ta_create(fd, sz, TA_HINT_PIN_FAST, 0, &r) == 0;
			/* Hold the regions until the parent has counted. */
			if (write(pipefd[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			close(release[1]);
			if (read(release[0], &c, 1) < 0)
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < procs; i++) {
		int n;

		ASSERT_EQ(sizeof(n), read(pipefd[0], &n, sizeof(n)));
		granted += n;
	}
	EXPECT_EQ(cap / sz, (uint64_t)granted);
	close(release[1]);
	for (i = 0; i < procs; i++)
		wait(&st);
	close(release[0]);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Stats follow what was done: calls, bytes reserved, resident, freed. */
TEST_F(dev, stats_match_work)
{
	if (!self->ready)
		return;
	const size_t len = 6 * TA_MIB;
	struct ta_region_create req;
	struct ta_stats s0, s1, s2;
	struct ta_tier_stats *a, *b;
	char *p;

	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	memset(p, 1, len / 2);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	a = &s0.tier[TA_TIER_SLOW];
	b = &s1.tier[TA_TIER_SLOW];
	EXPECT_EQ(1, b->alloc_calls - a->alloc_calls);
	EXPECT_EQ(len, b->bytes_allocated - a->bytes_allocated);
	EXPECT_EQ(len, b->reserved_bytes - a->reserved_bytes);
	EXPECT_EQ(len / 2, b->resident_bytes - a->resident_bytes);
	EXPECT_EQ(1, b->regions - a->regions);
	EXPECT_EQ(s0.live_regions + 1, s1.live_regions);

	/* Freeing the handle alone keeps the mapped region alive... */
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s2));
	EXPECT_EQ(b->reserved_bytes, s2.tier[TA_TIER_SLOW].reserved_bytes);
	EXPECT_EQ(1, p[0]);
	/* ...the last munmap frees it. */
	munmap(p, len);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s2));
	EXPECT_EQ(a->reserved_bytes, s2.tier[TA_TIER_SLOW].reserved_bytes);
	EXPECT_EQ(a->resident_bytes, s2.tier[TA_TIER_SLOW].resident_bytes);
	EXPECT_EQ(1, s2.tier[TA_TIER_SLOW].free_calls - a->free_calls);
	EXPECT_EQ(len, s2.tier[TA_TIER_SLOW].bytes_freed - a->bytes_freed);
	EXPECT_EQ(s0.live_regions, s2.live_regions);
}

/* A short stats buffer gets a prefix; the kernel reports its own size. */
TEST_F(dev, stats_versioned_size)
{
	if (!self->ready)
		return;
	struct ta_stats st;
	struct ta_stats_query q = { .stats_ptr = (uintptr_t)&st, .size = 8 };

	memset(&st, 0xee, sizeof(st));
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_GET_STATS, &q));
	EXPECT_EQ(sizeof(struct ta_stats), q.size);
	EXPECT_EQ((char)0xee, ((char *)&st)[8]); /* nothing beyond what was asked */
	q.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_GET_STATS, &q));
	EXPECT_EQ(EINVAL, errno);
}

/* Config writes need CAP_SYS_ADMIN; reads and allocation do not. */
TEST_F(dev, unprivileged_config_write_eperm)
{
	if (!self->ready)
		return;
	pid_t pid;
	int st;

	if (geteuid())
		SKIP(return, "needs root to drop to nobody");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct ta_tier_config c;
		struct ta_region_create r;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = ta_open_dev();
		if (fd < 0)
			_exit(11);
		if (ta_get_tier(fd, TA_TIER_FAST, &c))
			_exit(12);
		c.valid = TA_CFG_HARD_CAP;
		c.hard_cap = TA_MIB;
		if (ta_set_tier(fd, &c) != -EPERM)
			_exit(13);
		if (ta_create(fd, TA_MIB, TA_HINT_COLD, 0, &r))
			_exit(14);
		/* sysfs config files are root-only too. */
		if (open("/sys/class/misc/tieralloc/fast/hard_cap", O_WRONLY) >= 0)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
}

/* sysfs shows the same configuration as the ioctl and accepts suffixes. */
TEST_F(dev, sysfs_config_roundtrip)
{
	if (!self->ready)
		return;
	char buf[64];
	struct ta_tier_config c;
	int f;
	ssize_t n;

	if (geteuid())
		SKIP(return, "needs root");
	f = open("/sys/class/misc/tieralloc/slow/soft_cap", O_WRONLY);
	ASSERT_GE(f, 0);
	ASSERT_EQ(3, write(f, "64M", 3));
	close(f);
	ASSERT_EQ(0, ta_get_tier(self->fd, TA_TIER_SLOW, &c));
	EXPECT_EQ(64 * TA_MIB, c.soft_cap);
	f = open("/sys/class/misc/tieralloc/slow/policy", O_RDWR);
	ASSERT_GE(f, 0);
	ASSERT_EQ(5, write(f, "fail\n", 5));
	n = pread(f, buf, sizeof(buf) - 1, 0);
	ASSERT_GT(n, 0);
	buf[n] = 0;
	EXPECT_STREQ("fail\n", buf);
	EXPECT_EQ(-1, write(f, "bogus", 5));
	EXPECT_EQ(EINVAL, errno);
	close(f);
	f = open("/sys/class/misc/tieralloc/normal/node", O_WRONLY);
	ASSERT_GE(f, 0);
	EXPECT_EQ(-1, write(f, "63", 2)); /* no such node: refused */
	close(f);
}

/* Malformed requests: clear errors, no side effects. */
TEST_F(dev, malformed_ioctls)
{
	if (!self->ready)
		return;
	struct ta_region_create r;
	struct ta_region_free fr = { .handle = 0x7fffff };
	struct ta_tier_config c;
	struct ta_stats s0, s1;

	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, 0, TA_HINT_HOT, 0, &r));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_REGION_MAX_SIZE + 1, TA_HINT_HOT, 0, &r));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, ~0ULL, TA_HINT_HOT, TA_REGION_HUGE, &r));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_NR_HINTS, 0, &r));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_NR_TIERS, TA_REGION_TIER, &r));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_HINT_HOT, 1U << 31, &r));
	memset(&r, 0, sizeof(r));
	r.size = TA_MIB;
	r.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_CREATE, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_FREE, &fr));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_CREATE, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(TA_IOC_MAGIC, 0x7f, struct ta_version), &r));
	EXPECT_EQ(ENOTTY, errno);
	/* Wrong struct size is a different ioctl number. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(TA_IOC_MAGIC, 0x01, struct ta_version), &r));
	EXPECT_EQ(ENOTTY, errno);
	memset(&c, 0, sizeof(c));
	c.tier = TA_NR_TIERS;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_GET_TIER, &c));
	EXPECT_EQ(EINVAL, errno);
	if (!geteuid()) {
		c.tier = TA_TIER_FAST;
		c.valid = 1U << 30;
		EXPECT_EQ(-EINVAL, ta_set_tier(self->fd, &c));
		c.valid = TA_CFG_NODE;
		c.node = 63;
		EXPECT_EQ(-ENODEV, ta_set_tier(self->fd, &c));
		c.valid = TA_CFG_POLICY;
		c.policy = 9;
		EXPECT_EQ(-EINVAL, ta_set_tier(self->fd, &c));
		c.valid = TA_CFG_SOFT_CAP | TA_CFG_HARD_CAP;
		c.soft_cap = 2 * TA_MIB;
		c.hard_cap = TA_MIB;
		EXPECT_EQ(-EINVAL, ta_set_tier(self->fd, &c));
		c.valid = TA_CFG_RATE;
		c.rate = 1;
		EXPECT_EQ(-EINVAL, ta_set_tier(self->fd, &c));
	}
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.live_regions, s1.live_regions);
	EXPECT_EQ(s0.tier[0].reserved_bytes, s1.tier[0].reserved_bytes);
}

/* mmap rules: shared only, inside the region, only the owner file, no growth. */
TEST_F(dev, mmap_rules)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	void *p, *q;
	int other;

	ASSERT_EQ(0, ta_create(self->fd, 4 * TA_MIB, TA_HINT_WARM, 0, &req));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4 * TA_MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
				   req.offset));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 8 * TA_MIB, PROT_READ, MAP_SHARED, self->fd, req.offset));
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, TA_PAGE, PROT_READ, MAP_SHARED, self->fd, req.offset + 4 * TA_MIB));
	EXPECT_EQ(MAP_FAILED,
		  mmap(NULL, TA_PAGE, PROT_READ, MAP_SHARED, self->fd, TA_REGION_OFFSET(0x7ffff)));
	/* Another open file cannot map this file's region by its offset. */
	other = ta_open_dev();
	ASSERT_GE(other, 0);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, TA_PAGE, PROT_READ, MAP_SHARED, other, req.offset));
	close(other);

	/* A window into the middle of the region maps the right pages. */
	p = mmap(NULL, 4 * TA_MIB, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, req.offset);
	ASSERT_NE(MAP_FAILED, p);
	q = mmap(NULL, TA_MIB, PROT_READ, MAP_SHARED, self->fd, req.offset + 2 * TA_MIB);
	ASSERT_NE(MAP_FAILED, q);
	((char *)p)[2 * TA_MIB + 5] = 42;
	EXPECT_EQ(42, ((char *)q)[5]);
	EXPECT_EQ(MAP_FAILED, mremap(p, 4 * TA_MIB, 8 * TA_MIB, MREMAP_MAYMOVE));
	munmap(q, TA_MIB);
	munmap(p, 4 * TA_MIB);
}

/* Fork shares the region; partial munmap keeps the rest valid. */
TEST_F(dev, fork_and_partial_munmap)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	char *p =
		ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER | TA_REGION_HUGE, &req);
	pid_t pid;
	int st;
	size_t i;

	ASSERT_NE(NULL, p);
	memset(p, 0x11, len);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (i = 0; i < len; i += TA_PAGE)
			if (p[i] != 0x11)
				_exit(1);
		memset(p, 0x22, len);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	for (i = 0; i < len; i += TA_PAGE)
		ASSERT_EQ(0x22, p[i]);
	/* Punch out the middle (splitting a 2 MiB chunk), keep both ends. */
	ASSERT_EQ(0, munmap(p + 3 * TA_MIB, 2 * TA_MIB));
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	for (i = 0; i < 3 * TA_MIB; i += TA_PAGE)
		ASSERT_EQ(0x22, p[i]);
	for (i = 5 * TA_MIB; i < len; i += TA_PAGE)
		ASSERT_EQ(0x22, p[i]);
	/* MADV_DONTNEED drops the PTEs; the shared contents stay. */
	ASSERT_EQ(0, madvise(p, TA_MIB, MADV_DONTNEED));
	ASSERT_EQ(0x22, p[100]);
	munmap(p, 3 * TA_MIB);
	munmap(p + 5 * TA_MIB, 3 * TA_MIB);
}

/* DISCARD frees a range's pages (reservation kept); it refaults zeroed. */
TEST_F(dev, discard_frees_pages)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_discard d = { 0 };
	struct ta_stats s0, s1;
	int node = ta_tier_node(self->fd, TA_TIER_NORMAL);
	long long free0, free1;
	char *p, *q;

	p = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	/* A second mapping of the same range is zapped too. */
	q = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, req.offset);
	ASSERT_NE(MAP_FAILED, q);
	memset(p, 0x77, len);
	ASSERT_EQ(0x77, q[5 * TA_MIB]);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ta_settle();
	free0 = ta_node_free(node);
	d.handle = req.handle;
	d.offset = 4 * TA_MIB;
	d.length = 8 * TA_MIB;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	ta_settle();
	free1 = ta_node_free(node);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(8 * TA_MIB, s0.tier[1].resident_bytes - s1.tier[1].resident_bytes);
	EXPECT_EQ(s0.tier[1].reserved_bytes, s1.tier[1].reserved_bytes);
	TH_LOG("node %d free: %lld -> %lld MiB", node, free0 >> 20, free1 >> 20);
	EXPECT_GT(free1, free0 + 6 * (long long)TA_MIB);
	EXPECT_EQ(0, ta_pages_on_node(q + 4 * TA_MIB, 8 * TA_MIB, node)); /* unmapped */
	EXPECT_EQ(0, q[4 * TA_MIB]);
	EXPECT_EQ(0, p[12 * TA_MIB - 1]);
	EXPECT_EQ(0x77, p[4 * TA_MIB - 1]);
	EXPECT_EQ(0x77, p[12 * TA_MIB]);
	d.offset = 100;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	EXPECT_EQ(EINVAL, errno);
	d.offset = 0;
	d.length = len + TA_PAGE;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	EXPECT_EQ(EINVAL, errno);
	munmap(q, len);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	/* HUGE regions discard whole 2 MiB chunks only. */
	ASSERT_EQ(0, ta_create(self->fd, 4 * TA_MIB, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_HUGE,
			       &req));
	d.handle = req.handle;
	d.offset = TA_PAGE;
	d.length = 0;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	EXPECT_EQ(EINVAL, errno);
	d.offset = TA_HUGE_SIZE;
	EXPECT_EQ(0, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
}

/*
 * TA_IOC_REGION_CLONE copies exactly the pages a region has, onto the
 * source's tier, into a private region of the calling file; bad requests
 * fail cleanly, and over the hard cap it fails without leaking anything.
 */
TEST_F(dev, clone_copies_present_pages)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB, touched = 3 * TA_MIB;
	int node = ta_tier_node(self->fd, TA_TIER_SLOW), fd2 = ta_open_dev(), nul;
	struct ta_region_create req;
	struct ta_region_clone c = { 0 };
	struct ta_region_info info = { 0 };
	struct ta_stats s0, s1, s2;
	char *p, *q;

	ASSERT_LE(0, fd2);
	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	for (size_t i = 0; i < touched; i++)
		p[i] = (char)(i * 7 + 1);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));

	c.src_fd = self->fd;
	c.src_handle = req.handle;
	ASSERT_EQ(0, ioctl(fd2, TA_IOC_REGION_CLONE, &c)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(len, c.size);
	EXPECT_EQ(touched, c.copied_bytes);
	EXPECT_EQ(TA_TIER_SLOW, c.tier);
	info.handle = c.handle;
	ASSERT_EQ(0, ioctl(fd2, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(touched, info.resident_bytes[TA_TIER_SLOW]) TH_LOG("only present pages");
	EXPECT_EQ(len, info.reserved_bytes[TA_TIER_SLOW]);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(len, s1.tier[TA_TIER_SLOW].reserved_bytes - s0.tier[TA_TIER_SLOW].reserved_bytes);

	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, c.offset);
	ASSERT_NE(MAP_FAILED, q);
	for (size_t i = 0; i < touched; i++)
		if (q[i] != (char)(i * 7 + 1)) {
			ASSERT_EQ((char)(i * 7 + 1), q[i]) TH_LOG("byte %zu", i);
		}
	EXPECT_EQ(touched / TA_PAGE, ta_pages_on_node(q, touched, node));
	EXPECT_EQ(0, q[len - 1]);
	q[0] = 0x55; /* private: the source does not see it */
	EXPECT_EQ(1, p[0]);
	munmap(q, len);

	/* Bad requests. */
	c.src_handle = 0xfffff;
	EXPECT_EQ(-1, ioctl(fd2, TA_IOC_REGION_CLONE, &c));
	EXPECT_EQ(ENOENT, errno);
	c.src_handle = req.handle;
	c.flags = 1;
	EXPECT_EQ(-1, ioctl(fd2, TA_IOC_REGION_CLONE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0;
	c.src_fd = -1;
	EXPECT_EQ(-1, ioctl(fd2, TA_IOC_REGION_CLONE, &c));
	EXPECT_EQ(EBADF, errno);
	nul = open("/dev/null", O_RDWR);
	c.src_fd = nul;
	EXPECT_EQ(-1, ioctl(fd2, TA_IOC_REGION_CLONE, &c)) TH_LOG("not a tieralloc file");
	EXPECT_EQ(ENOENT, errno);
	close(nul);

	/* Over the SLOW tier's hard cap: -ENOMEM, nothing reserved or leaked. */
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_SLOW, 0,
			      s1.tier[TA_TIER_SLOW].reserved_bytes + TA_MIB, TA_POLICY_ROUTE_SLOW));
	c.src_fd = self->fd;
	EXPECT_EQ(-1, ioctl(fd2, TA_IOC_REGION_CLONE, &c));
	EXPECT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s2));
	EXPECT_EQ(s1.tier[TA_TIER_SLOW].reserved_bytes, s2.tier[TA_TIER_SLOW].reserved_bytes);
	EXPECT_EQ(s1.tier[TA_TIER_SLOW].resident_bytes, s2.tier[TA_TIER_SLOW].resident_bytes);
	EXPECT_EQ(s1.tier[TA_TIER_SLOW].regions, s2.tier[TA_TIER_SLOW].regions);

	/* HUGE: present 2 MiB chunks are copied whole, into contiguous chunks. */
	ta_set_caps(self->fd, TA_TIER_SLOW, 0, 0, TA_POLICY_ROUTE_SLOW);
	{
		struct ta_region_create hr;
		char *h = ta_create_map(self->fd, 2 * TA_HUGE_SIZE, TA_TIER_SLOW,
					TA_REGION_TIER | TA_REGION_HUGE, &hr);
		char *hq;

		ASSERT_NE(NULL, h);
		memset(h + TA_HUGE_SIZE, 0x21, TA_HUGE_SIZE);
		memset(&c, 0, sizeof(c));
		c.src_fd = self->fd;
		c.src_handle = hr.handle;
		ASSERT_EQ(0, ioctl(fd2, TA_IOC_REGION_CLONE, &c));
		EXPECT_EQ(TA_HUGE_SIZE, c.copied_bytes);
		hq = mmap(NULL, 2 * TA_HUGE_SIZE, PROT_READ, MAP_SHARED, fd2, c.offset);
		ASSERT_NE(MAP_FAILED, hq);
		EXPECT_EQ(0x21, hq[TA_HUGE_SIZE]);
		EXPECT_EQ(0x21, hq[2 * TA_HUGE_SIZE - 1]);
		EXPECT_EQ(ta_pfn(hq + TA_HUGE_SIZE) + 511, ta_pfn(hq + 2 * TA_HUGE_SIZE - TA_PAGE))
		TH_LOG("the cloned chunk is contiguous");
		munmap(hq, 2 * TA_HUGE_SIZE);
		munmap(h, 2 * TA_HUGE_SIZE);
		ASSERT_EQ(0, ta_free_handle(self->fd, hr.handle));
	}

	/* Closing the cloning file releases the clones. */
	close(fd2);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s2));
	EXPECT_EQ(s0.tier[TA_TIER_SLOW].reserved_bytes, s2.tier[TA_TIER_SLOW].reserved_bytes);
	EXPECT_EQ(s0.tier[TA_TIER_SLOW].resident_bytes, s2.tier[TA_TIER_SLOW].resident_bytes);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
}

/* A process killed with live, touched regions leaves nothing behind. */
TEST_F(dev, killed_process_leaks_nothing)
{
	if (!self->ready)
		return;
	const size_t len = 48 * TA_MIB;
	long long free0[TA_NR_TIERS], free1;
	struct ta_stats s0, s1;
	int pipefd[2], t, st;
	pid_t pid;
	char c;

	ta_settle();
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	for (t = 0; t < TA_NR_TIERS; t++)
		free0[t] = ta_node_free(ta_tier_node(self->fd, t));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = ta_open_dev();
		struct ta_region_create r;

		for (t = 0; t < TA_NR_TIERS; t++) {
			char *p = ta_create_map(fd, len, t,
						TA_REGION_TIER | (t == 1 ? TA_REGION_HUGE : 0), &r);

			if (!p)
				_exit(1);
			memset(p, 0x33, len);
		}
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.tier[0].resident_bytes + len, s1.tier[0].resident_bytes);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st));
	ta_settle();
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	for (t = 0; t < TA_NR_TIERS; t++) {
		EXPECT_EQ(s0.tier[t].reserved_bytes, s1.tier[t].reserved_bytes);
		EXPECT_EQ(s0.tier[t].resident_bytes, s1.tier[t].resident_bytes);
		free1 = ta_node_free(ta_tier_node(self->fd, t));
		TH_LOG("node %d free: %lld -> %lld MiB", ta_tier_node(self->fd, t), free0[t] >> 20,
		       free1 >> 20);
		/* 48 MiB were taken per tier; it all comes back, give or take noise. */
		EXPECT_GT(free1, free0[t] - 2 * (long long)TA_MIB);
	}
	EXPECT_EQ(s0.live_regions, s1.live_regions);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* The module cannot be unloaded while a region (or the device) is in use. */
TEST_F(dev, unload_refused_while_in_use)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	p = ta_create_map(self->fd, TA_MIB, TA_HINT_COLD, 0, &req);
	ASSERT_NE(NULL, p);
	p[0] = 1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "tieralloc", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	/* Even with the file closed, the mapping pins the module. */
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-1, syscall(SYS_delete_module, "tieralloc", O_NONBLOCK));
	EXPECT_EQ(1, p[0]);
	munmap(p, TA_MIB);
	self->fd = ta_open_dev();
	ASSERT_GE(self->fd, 0);
}

/* Account mode: first touch of N bytes at rate R adds N/R of simulated wait. */
TEST_F(dev, throttle_account_sim_wait)
{
	if (!self->ready)
		return;
	const size_t len = 32 * TA_MIB;
	const uint64_t rate = 256 * TA_MIB; /* bytes/s: 32 MiB -> 125 ms */
	struct ta_tier_config c = {
		.tier = TA_TIER_SLOW,
		.valid = TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE,
		.rate = rate,
		.burst = 0,
		.throttle_mode = TA_THROTTLE_ACCOUNT,
	};
	struct ta_region_create req;
	struct ta_stats s0, s1;
	uint64_t waited, expect = len * 1000000000ULL / rate;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	memset(p, 1, len);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	waited = s1.tier[TA_TIER_SLOW].sim_wait_ns - s0.tier[TA_TIER_SLOW].sim_wait_ns;
	TH_LOG("simulated wait %llu ns, model %llu ns", (unsigned long long)waited,
	       (unsigned long long)expect);
	/* The deficit can only be less by what the clock repaid meanwhile. */
	EXPECT_LE(waited, expect);
	EXPECT_GT(waited, 0);
	EXPECT_EQ(0,
		  s1.tier[TA_TIER_SLOW].throttle_wait_ns - s0.tier[TA_TIER_SLOW].throttle_wait_ns);
}

/*
 * Enforce mode: first touch really proceeds at the configured rate.  The
 * rate is set well below what this machine faults at unthrottled (TCG, and
 * the debug kernel more so, fault slowly), so the limit is what is measured.
 */
TEST_F(dev, throttle_enforce_rate)
{
	const size_t len = 16 * TA_MIB;
	const uint64_t burst = TA_MIB;
	struct ta_tier_config c = {
		.tier = TA_TIER_SLOW,
		.valid = TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE,
		.burst = burst,
		.throttle_mode = TA_THROTTLE_ENFORCE,
	};
	struct ta_region_create req;
	double t0, dt, free_speed, want;
	uint64_t rate;
	char *p;

	if (!self->ready)
		return;
	if (geteuid())
		SKIP(return, "needs root");
	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	t0 = ta_now();
	memset(p, 1, len);
	free_speed = len / (ta_now() - t0);
	munmap(p, len);
	rate = (uint64_t)(free_speed / 4) & ~4095ULL;
	if (rate > 32 * TA_MIB)
		rate = 32 * TA_MIB;
	ASSERT_GE(rate, 4096);
	c.rate = rate;

	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	/* A full bucket pays for the first MiB; the rest goes at the rate. */
	want = (double)(len - burst) / rate;
	t0 = ta_now();
	memset(p, 1, len);
	dt = ta_now() - t0;
	TH_LOG("unthrottled %.1f MiB/s; 16 MiB at %.1f MiB/s took %.3f s (model %.3f s)",
	       free_speed / TA_MIB, (double)rate / TA_MIB, dt, want);
	EXPECT_GT(dt, want * 0.8);
	EXPECT_LT(dt, want * 1.2);
	munmap(p, len);
}

/* Token arithmetic does not overflow at extreme rates and sizes. */
TEST_F(dev, throttle_extreme_rates)
{
	if (!self->ready)
		return;
	struct ta_tier_config c = {
		.tier = TA_TIER_NORMAL,
		.valid = TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE,
		.rate = ~0ULL,
		.burst = TA_REGION_MAX_SIZE,
		.throttle_mode = TA_THROTTLE_ACCOUNT,
	};
	struct ta_region_create req;
	struct ta_stats s0, s1;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	p = ta_create_map(self->fd, 4 * TA_MIB, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	memset(p, 1, 4 * TA_MIB);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(s0.tier[1].sim_wait_ns, s1.tier[1].sim_wait_ns);
	munmap(p, 4 * TA_MIB);
	/* The slowest allowed rate on a huge region: a long, finite model. */
	c.rate = 4096;
	c.burst = 0;
	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	p = ta_create_map(self->fd, 4 * TA_MIB, TA_TIER_NORMAL, TA_REGION_TIER | TA_REGION_HUGE,
			  &req);
	ASSERT_NE(NULL, p);
	memset(p, 1, 4 * TA_MIB);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	/* 4 MiB at 4 KiB/s is 1024 s of modelled wait, minus elapsed time. */
	EXPECT_GT(s1.tier[1].sim_wait_ns - s0.tier[1].sim_wait_ns, 1000ULL * 1000000000ULL);
	EXPECT_LE(s1.tier[1].sim_wait_ns - s0.tier[1].sim_wait_ns, 1024ULL * 1000000000ULL);
	munmap(p, 4 * TA_MIB);
}

TEST_HARNESS_MAIN
