// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko under allocation failures, with the kernel's fault
 * injection (fail_page_alloc, failslab) scoped to the test task
 * (task-filter + /proc/self/make-it-fail).  Every failure must surface as a
 * clean error -- ENOMEM from ioctls, SIGBUS from a fault that finds no page
 * on the tier's node (documented), skipped pages from a move -- with the
 * accounting back to baseline and nothing leaked.  Needs a kernel with
 * CONFIG_FAULT_INJECTION_DEBUG_FS (the debug lane's); skips elsewhere.
 */
#include <setjmp.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "ta_test.h"

#define FPA "/sys/kernel/debug/fail_page_alloc/"
#define FSL "/sys/kernel/debug/failslab/"

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Arm @dir to fail every allocation of this task of at least @min_order. */
static int arm(const char *dir, int min_order)
{
	char p[128], v[16];
	static const char *const knobs[][2] = {
		{ "task-filter", "Y" },	    { "probability", "100" }, { "interval", "1" },
		{ "times", "-1" },	    { "space", "0" },	      { "verbose", "0" },
		{ "ignore-gfp-wait", "N" },
	};

	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, knobs[i][0]);
		if (put(p, knobs[i][1]))
			return -1;
	}
	if (!strcmp(dir, FPA)) {
		snprintf(v, sizeof(v), "%d", min_order);
		if (put(FPA "ignore-gfp-highmem", "N") || put(FPA "min-order", v))
			return -1;
	}
	return 0;
}

static void disarm(const char *dir)
{
	char p[128];

	snprintf(p, sizeof(p), "%sprobability", dir);
	put(p, "0");
}

/*
 * /proc/self/make-it-fail, opened once per test: reopening it (or any file)
 * while the task is marked would itself fail under failslab, leaving the
 * task marked and the knobs armed for good.
 */
static int make_it_fail_fd = -1;

static int fail_me(int on)
{
	return pwrite(make_it_fail_fd, on ? "1" : "0", 1, 0) == 1 ? 0 : -1;
}

FIXTURE(fi)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd;
	struct ta_stats start;
};

FIXTURE_SETUP(fi)
{
	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	if (access(FPA "probability", W_OK) || access(FSL "probability", W_OK) ||
	    access("/proc/self/make-it-fail", W_OK))
		SKIP(return, "no fault injection (needs CONFIG_FAULT_INJECTION_DEBUG_FS, "
			     "FAIL_PAGE_ALLOC, FAILSLAB and root: make check-debug)");
	make_it_fail_fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, make_it_fail_fd);
	ASSERT_EQ(0, ta_get_stats(self->fd, &self->start));
	self->ready = true;
}

FIXTURE_TEARDOWN(fi)
{
	if (make_it_fail_fd >= 0) {
		fail_me(0);
		close(make_it_fail_fd);
	}
	disarm(FPA);
	disarm(FSL);
	if (self->fd >= 0)
		close(self->fd);
}

/* No pages: a POPULATE region fails to create, and nothing stays reserved. */
TEST_F(fi, populate_enomem)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	long long free0 = ta_node_free(ta_tier_node(self->fd, TA_TIER_SLOW)), free1;
	int ret;

	ASSERT_EQ(0, arm(FPA, 0));
	ASSERT_EQ(0, fail_me(1));
	ret = ta_create(self->fd, 8 * TA_MIB, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_POPULATE,
			&req);
	fail_me(0);
	ASSERT_EQ(-ENOMEM, ret);
	ta_expect_baseline(self->fd, &self->start);
	ta_settle();
	free1 = ta_node_free(ta_tier_node(self->fd, TA_TIER_SLOW));
	EXPECT_GT(free1, free0 - 2 * (long long)TA_MIB);
}

/* No slab memory: creating a region fails with ENOMEM, cleanly. */
TEST_F(fi, slab_enomem)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	int ret, fails = 0;

	ASSERT_EQ(0, arm(FSL, 0));
	for (int i = 0; i < 20; i++) {
		ASSERT_EQ(0, fail_me(1));
		ret = ta_create(self->fd, TA_MIB, TA_HINT_WARM, 0, &req);
		fail_me(0);
		if (ret == 0)
			ta_free_handle(self->fd, req.handle);
		else
			fails += ret == -ENOMEM;
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM);
	}
	EXPECT_GT(fails, 0);
	ta_expect_baseline(self->fd, &self->start);
}

static sigjmp_buf jb;

static void on_bus(int sig)
{
	siglongjmp(jb, sig);
}

/*
 * While the task is marked to fail, every page allocation of it fails, its
 * own copy-on-write and stack faults included: the kernel would retry such
 * a fault for ever.  So the SIGBUS handler runs on an alternate stack whose
 * pages are written beforehand, and the stack below us is touched too.
 */
static char altstack[64 * 1024];

static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[32 * 1024];

	memset((char *)pad, 0, sizeof(pad));
}

static int catch_sigbus_safely(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_handler = on_bus, .sa_flags = SA_ONSTACK };

	memset(altstack, 0, sizeof(altstack));
	touch_stack();
	sigemptyset(&sa.sa_mask);
	if (sigaltstack(&ss, NULL))
		return -1;
	return sigaction(SIGBUS, &sa, NULL);
}

/* A fault that finds no page on the tier's node gets SIGBUS, and is counted. */
TEST_F(fi, fault_sigbus)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	struct ta_stats s0, s1;
	volatile char *p;
	int sig;

	p = ta_create_map(self->fd, 4 * TA_MIB, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	p[0] = 1; /* the page tables exist before failures start */
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, catch_sigbus_safely());
	ASSERT_EQ(0, arm(FPA, 0));
	sig = sigsetjmp(jb, 1);
	if (!sig) {
		fail_me(1);
		p[TA_PAGE] = 1;
	}
	fail_me(0);
	disarm(FPA);
	EXPECT_EQ(SIGBUS, sig);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(1,
		  s1.tier[TA_TIER_NORMAL].fault_failures - s0.tier[TA_TIER_NORMAL].fault_failures);
	/* Memory back: the same access now works. */
	p[TA_PAGE] = 2;
	EXPECT_EQ(2, p[TA_PAGE]);
	munmap((void *)p, 4 * TA_MIB);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* No 2 MiB block: a HUGE region falls back to 4 KiB pages on the same node. */
TEST_F(fi, huge_fallback)
{
	if (!self->ready)
		return;
	const size_t len = 4 * TA_HUGE_SIZE;
	struct ta_region_create req;
	struct ta_stats s0, s1;
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, arm(FPA, 9)); /* only order >= 9 fails */
	fail_me(1);
	memset(p, 3, len);
	fail_me(0);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(4, s1.tier[TA_TIER_SLOW].huge_fallbacks - s0.tier[TA_TIER_SLOW].huge_fallbacks);
	EXPECT_EQ(0, s1.tier[TA_TIER_SLOW].huge_pages - s0.tier[TA_TIER_SLOW].huge_pages);
	EXPECT_EQ((long)(len / TA_PAGE),
		  ta_pages_on_node(p, len, ta_tier_node(self->fd, TA_TIER_SLOW)));
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* No pages on the destination: a move skips, keeps the data, stays consistent. */
TEST_F(fi, move_without_memory)
{
	if (!self->ready)
		return;
	const size_t len = 4 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_move m = { .dst_tier = TA_TIER_SLOW, .flags = TA_MOVE_PARTIAL };
	struct ta_region_info info;
	char *p;
	int ret;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	memset(p, 0x5c, len);
	m.handle = req.handle;
	ASSERT_EQ(0, arm(FPA, 0));
	fail_me(1);
	ret = ioctl(self->fd, TA_IOC_REGION_MOVE, &m);
	fail_me(0);
	disarm(FPA);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(len / TA_PAGE, m.skipped_pages);
	EXPECT_EQ(0, m.moved_bytes);
	for (size_t i = 0; i < len; i += 512)
		ASSERT_EQ(0x5c, p[i]);
	memset(&info, 0, sizeof(info));
	info.handle = req.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(len, info.reserved_bytes[TA_TIER_FAST]);
	EXPECT_EQ(0, info.reserved_bytes[TA_TIER_SLOW]);
	/* With memory back the move completes. */
	m.skipped_pages = m.moved_bytes = 0;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_MOVE, &m));
	EXPECT_EQ(len, m.moved_bytes);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * No pages, then no slab: a clone fails with ENOMEM either way, the source
 * is intact and every reservation of the half-made clone is undone.
 */
TEST_F(fi, clone_without_memory)
{
	if (!self->ready)
		return;
	const size_t len = 4 * TA_MIB;
	static const char *const dirs[] = { FPA, FSL };
	struct ta_region_create req;
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	memset(p, 0x3d, len);
	for (int k = 0; k < 2; k++) {
		struct ta_region_clone c = { .src_fd = self->fd, .src_handle = req.handle };
		struct ta_stats before;
		int ret, err;

		ASSERT_EQ(0, ta_get_stats(self->fd, &before));
		ASSERT_EQ(0, arm(dirs[k], 0));
		fail_me(1);
		ret = ioctl(self->fd, TA_IOC_REGION_CLONE, &c);
		err = errno;
		fail_me(0);
		disarm(dirs[k]);
		EXPECT_EQ(-1, ret) TH_LOG("%s", dirs[k]);
		EXPECT_EQ(ENOMEM, err);
		ta_expect_baseline(self->fd, &before);
	}
	for (size_t i = 0; i < len; i += 512)
		ASSERT_EQ(0x3d, p[i]);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

TEST_HARNESS_MAIN
