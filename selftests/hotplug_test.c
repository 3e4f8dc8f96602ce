// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko on a tier node whose memory is all ZONE_MOVABLE, as CXL
 * memory is once daxctl/kmem onlined it (tools/vmrun --machine hotplug or
 * cxl): 4 KiB and HUGE regions are served there (a fault gets a page, not
 * SIGBUS), placement checked with move_pages(2), regions move into and out
 * of the node, a memory block holding a region's pages goes offline under a
 * process writing them (the pages move to another block of the node, data
 * intact) or, while one is held, fails with EBUSY; blocks go offline
 * under fills in flight (faults, populate, clone); a fork shares and a
 * clone copies a region there; all of the node goes offline (hot-remove):
 * the tier is flagged TA_TIER_INFO_OFFLINE, its pages and its allocations
 * follow the cap policy (routed to the next slower tier, or refused), and
 * it is back once the memory is onlined; a block offline on a full node
 * routes its pages to the slower tier, but routes nothing while a page is
 * held; and memory and accounting return to where they were.
 * Every test SKIPs on a machine where no tier's node is all movable.  The
 * last two set NORMAL's node to the movable one and SLOW's to another
 * (restored at the end, with TA_TIER_INFO_OVERRIDE left set: run them
 * after any test that reads the discovered topology).
 */
#include <ctype.h>
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"
#include "ta_test.h"
#include "ta_memblock.h"

static sigjmp_buf bus_jb;

static void on_bus(int sig)
{
	siglongjmp(bus_jb, sig);
}

/*
 * Write @seed's pattern over [p, p + len) page by page; SIGBUS (a fault
 * that found no page) returns the offset it hit, else @len.
 */
static size_t fill_or_bus(char *p, size_t len, unsigned int seed)
{
	struct sigaction sa = { .sa_handler = on_bus }, old;
	volatile size_t off = 0;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jb, 1)) {
		for (; off < len; off += TA_PAGE)
			ta_fill_at(p, off, TA_PAGE, seed);
	}
	sigaction(SIGBUS, &old, NULL);
	return off;
}

FIXTURE(movable)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd;
	int node;	/* the all-movable node */
	uint32_t tier;	/* a tier on it */
	uint32_t other; /* a tier on another node, or tier */
	struct ta_saved_cfg saved;
	struct ta_stats start;
	long long free_start;
};

FIXTURE_SETUP(movable)
{
	long long mov, oth;
	int t;

	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	ta_save_cfg(self->fd, &self->saved);
	self->node = -1;
	for (t = TA_NR_TIERS - 1; t >= 0; t--) {
		int nid = ta_tier_node(self->fd, t);

		if (self->node < 0 && nid >= 0 && !zone_pages(nid, &mov, &oth) && mov && !oth) {
			self->node = nid;
			self->tier = t;
		}
	}
	if (self->node < 0)
		SKIP(return, "no tier's node has all its memory in ZONE_MOVABLE "
			     "(tools/vmrun --machine hotplug or cxl makes one)");
	self->other = self->tier;
	for (t = 0; t < TA_NR_TIERS; t++)
		if (ta_tier_node(self->fd, t) != self->node) {
			self->other = t;
			break;
		}
	ta_settle();
	ASSERT_EQ(0, ta_get_stats(self->fd, &self->start));
	self->free_start = ta_node_free(self->node);
	TH_LOG("tier %u on node %d: %lld MiB in ZONE_MOVABLE, nothing elsewhere", self->tier,
	       self->node, mov * 4 / 1024);
	self->ready = true;
}

static int node_blocks(int node, long *blk, int max);
static int block_set(long blk, const char *state, unsigned int secs);
static bool block_online(long blk);

FIXTURE_TEARDOWN(movable)
{
	long blk[256];
	int i, n;

	/* A test that failed with the node's memory offline: online it again. */
	n = self->ready ? node_blocks(self->node, blk, 256) : 0;
	for (i = 0; i < n; i++)
		if (!block_online(blk[i]))
			block_set(blk[i], "online_movable", 60);
	if (self->fd >= 0) {
		ta_restore_cfg(self->fd, &self->saved);
		close(self->fd);
	}
}

/* Node free memory is back within @slack of where the test began. */
static void expect_free_back(struct __test_metadata *_metadata, int node, long long start)
{
	long long now = 0;
	int i;

	/* Freed pages reach the buddy lists through per-CPU lists: a bounded wait. */
	for (i = 0; i < 20; i++) {
		ta_settle();
		now = ta_node_free(node);
		if (now >= start - 4 * (long long)TA_MIB)
			break;
	}
	EXPECT_GE(now, start - 4 * (long long)TA_MIB)
	TH_LOG("node %d free %lld MiB, was %lld MiB", node, now >> 20, start >> 20);
}

static void check_region(struct __test_metadata *_metadata, FIXTURE_DATA(movable) * self,
			 uint32_t flags, size_t len)
{
	struct ta_region_create req;
	struct ta_stats st;
	char *p;
	size_t hit;

	p = ta_create_map(self->fd, len, self->tier, TA_REGION_TIER | flags, &req);
	ASSERT_NE(NULL, p) TH_LOG("create on tier %u: %s", self->tier, strerror(errno));
	ASSERT_EQ(self->tier, req.tier);

	hit = fill_or_bus(p, len, 7);
	ASSERT_EQ(len, hit)
	TH_LOG("SIGBUS at +%zu KiB of a region on node %d", hit >> 10, self->node);
	EXPECT_EQ(len, ta_mismatch(p, len, 7));
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, self->node));
	EXPECT_EQ(0, ta_pages_elsewhere(p, len, self->node));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st));
	EXPECT_EQ(self->start.tier[self->tier].resident_bytes + len,
		  st.tier[self->tier].resident_bytes);
	if (flags & TA_REGION_HUGE) {
		/* ZONE_MOVABLE is not fragmented by anything unmovable: folios. */
		EXPECT_EQ(self->start.tier[self->tier].huge_pages + len / (2 * TA_MIB),
			  st.tier[self->tier].huge_pages);
	}

	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/* First touches of a 4 KiB region on the movable node get pages there. */
TEST_F(movable, small_pages)
{
	if (!self->ready)
		return;
	check_region(_metadata, self, 0, 64 * TA_MIB);
}

/* A HUGE region: 2 MiB folios on the movable node. */
TEST_F(movable, huge_pages)
{
	if (!self->ready)
		return;
	check_region(_metadata, self, TA_REGION_HUGE, 64 * TA_MIB);
}

/* TA_REGION_POPULATE allocates there too. */
TEST_F(movable, populate)
{
	if (!self->ready)
		return;
	check_region(_metadata, self, TA_REGION_POPULATE | TA_REGION_HUGE, 32 * TA_MIB);
}

/* A region moves into the movable node and out of it again, data intact. */
TEST_F(movable, move_in_and_out)
{
	const size_t len = 32 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_move m;
	int onode = ta_tier_node(self->fd, self->other);
	uint32_t flags;
	char *p;

	if (!self->ready)
		return;
	if (self->other == self->tier)
		SKIP(return, "every tier is on node %d", self->node);
	for (flags = 0; flags <= TA_REGION_HUGE; flags += TA_REGION_HUGE) {
		p = ta_create_map(self->fd, len, self->other, TA_REGION_TIER | flags, &req);
		ASSERT_NE(NULL, p);
		ta_fill(p, len, 11);
		ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, onode));

		ASSERT_EQ(0, ta_move(self->fd, req.handle, self->tier, 0, len, 0, &m));
		EXPECT_EQ(len, m.moved_bytes);
		EXPECT_EQ(0, m.skipped_pages);
		ta_touch(p, len);
		EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, self->node));
		EXPECT_EQ(len, ta_mismatch(p, len, 11));

		ASSERT_EQ(0, ta_move(self->fd, req.handle, self->other, 0, len, 0, &m));
		EXPECT_EQ(len, m.moved_bytes);
		ta_touch(p, len);
		EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, onode));
		EXPECT_EQ(len, ta_mismatch(p, len, 11));

		EXPECT_EQ(0, munmap(p, len));
		EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * A long-term pin (io_uring's registered buffers: pin_user_pages() with
 * FOLL_LONGTERM) of a page in ZONE_MOVABLE makes GUP migrate it out of
 * the zone first.  It cannot: the page is not on the LRU, so GUP unpins
 * and retries for as long as the caller lives (6.1, 6.12, 7.3 alike; see
 * "GFP flags" in kmod/ta.h).  What is checked: the caller stays killable
 * (a fatal signal ends the retries), the region's data is intact, and
 * the region is freed whole.  A kernel that refuses or allows the pin
 * passes too, and says so.
 */
TEST_F(movable, longterm_pin)
{
	const size_t len = 2 * TA_MIB;
	struct ta_region_create req;
	struct io_uring_params up;
	int status = 0, i, ring;
	pid_t pid;
	char *p;

	if (!self->ready)
		return;
	p = ta_create_map(self->fd, len, self->tier, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 3);
	ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, self->node));
	memset(&up, 0, sizeof(up));
	ring = syscall(__NR_io_uring_setup, 4, &up);
	if (ring < 0) {
		munmap(p, len);
		ta_free_handle(self->fd, req.handle);
		SKIP(return, "io_uring_setup: %s", strerror(errno));
	}

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		int ret;

		alarm(5); /* its default action kills: a fatal signal */
		ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1);
		printf("# IORING_REGISTER_BUFFERS on node %d: %s\n", self->node,
		       ret ? strerror(errno) : "pinned");
		_exit(0);
	}
	for (i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100 * 1000);
	ASSERT_LT(i, 300) TH_LOG("the pinning task did not die of its SIGALRM in 30 s");
	if (WIFSIGNALED(status))
		TH_LOG("the long-term pin retried until the task was killed (%s)",
		       strsignal(WTERMSIG(status)));
	EXPECT_TRUE(WIFEXITED(status) || WTERMSIG(status) == SIGALRM);
	EXPECT_EQ(len, ta_mismatch(p, len, 3));
	EXPECT_EQ(0, close(ring));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/* The memory block of the page at @p, or -1. */
static long block_of(void *p, unsigned long long bs)
{
	uint64_t pfn = ta_pfn(p);

	return pfn && bs ? (long)(pfn * TA_PAGE / bs) : -1;
}

/* Pages of [p, p + len) whose frame lies in memory block @blk. */
static long pages_in_block(void *p, size_t len, long blk, unsigned long long bs)
{
	long n = 0;

	for (size_t off = 0; off < len; off += TA_PAGE)
		n += block_of((char *)p + off, bs) == blk;
	return n;
}

/* A thread that keeps rewriting every page, checking what it wrote last. */
struct writer {
	pthread_t thread;
	char *p;
	size_t len;
	volatile bool stop;
	unsigned long passes, bad;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	uint64_t gen;

	for (gen = 1; !w->stop; gen++) {
		for (size_t off = 0; off < w->len; off += TA_PAGE) {
			uint64_t *q = (uint64_t *)(w->p + off);

			for (int i = 0; i < 16; i++) {
				if (q[i] != (gen - 1) * 131 + off + i)
					w->bad++;
				q[i] = gen * 131 + off + i;
			}
		}
		w->passes++;
	}
	return NULL;
}

/*
 * A 4 KiB and a HUGE region on the movable node, a thread writing both;
 * the memory block of each one's first page goes offline: it succeeds,
 * no page of either is left in it, they are all still on the node, the
 * writer saw its own data throughout, and the module's counts did not move.
 * The blocks come back online and everything returns to baseline.
 */
TEST_F(movable, offline_under_writer)
{
	const size_t len = 32 * TA_MIB;
	unsigned long long bs = block_bytes();
	struct ta_region_create req[2];
	struct writer w[2] = {};
	struct ta_stats before, after;
	long blk[2] = { -1, -1 };
	char *p[2];
	int i, ret;

	if (!self->ready)
		return;
	ASSERT_NE(0, bs);
	for (i = 0; i < 2; i++) {
		p[i] = ta_create_map(self->fd, len, self->tier,
				     TA_REGION_TIER | (i ? TA_REGION_HUGE : 0), &req[i]);
		ASSERT_NE(NULL, p[i]);
		memset(p[i], 0, len);
		for (size_t off = 0; off < len; off += TA_PAGE)
			for (int j = 0; j < 16; j++)
				((uint64_t *)(p[i] + off))[j] = off + j;
		w[i].p = p[i];
		w[i].len = len;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, writer_fn, &w[i]));
	}
	ASSERT_EQ(0, ta_get_stats(self->fd, &before));

	for (i = 0; i < 2; i++) {
		double t0;
		long in;

		blk[i] = block_of(p[i], bs);
		ASSERT_GE(blk[i], 0);
		if (!block_online(blk[i]))
			continue; /* both regions began in one block */
		in = pages_in_block(p[i], len, blk[i], bs);
		t0 = ta_now();
		ret = block_set(blk[i], "offline", 120);
		ASSERT_EQ(0, ret)
		TH_LOG("offline memory%ld: %s", blk[i], strerror(-ret));
		TH_LOG("memory%ld (%lld MiB) offline in %.2f s with %ld pages of the %s region "
		       "in it, a writer running",
		       blk[i], bs >> 20, ta_now() - t0, in, i ? "HUGE" : "4 KiB");
		EXPECT_GT(in, 0);
	}
	usleep(300 * 1000);
	for (i = 0; i < 2; i++) {
		w[i].stop = true;
		pthread_join(w[i].thread, NULL);
		EXPECT_EQ(0, w[i].bad);
		EXPECT_GT(w[i].passes, 1);
		ta_touch(p[i], len);
		EXPECT_EQ(0, pages_in_block(p[i], len, blk[0], bs));
		EXPECT_EQ(0, pages_in_block(p[i], len, blk[1], bs));
		EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p[i], len, self->node));
	}
	ASSERT_EQ(0, ta_get_stats(self->fd, &after));
	for (int t = 0; t < TA_NR_TIERS; t++) {
		EXPECT_EQ(before.tier[t].reserved_bytes, after.tier[t].reserved_bytes);
		EXPECT_EQ(before.tier[t].resident_bytes, after.tier[t].resident_bytes);
	}
	EXPECT_EQ(self->start.tier[self->tier].resident_bytes + 2 * len,
		  after.tier[self->tier].resident_bytes);

	for (i = 0; i < 2; i++) {
		if (blk[i] >= 0 && !block_online(blk[i]))
			EXPECT_EQ(0, block_set(blk[i], "online_movable", 60));
		EXPECT_EQ(0, munmap(p[i], len));
		EXPECT_EQ(0, ta_free_handle(self->fd, req[i].handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * A page of a region held by someone else (here a pipe, through
 * vmsplice(2)) cannot move: offlining its block fails at once with EBUSY,
 * not after a retry loop; the held page stays where it is and nothing is
 * lost.  Once the pipe is read, the same offline succeeds.
 */
TEST_F(movable, offline_busy_while_held)
{
	const size_t len = 4 * TA_MIB;
	unsigned long long bs = block_bytes();
	struct ta_region_create req;
	struct iovec iov;
	char buf[TA_PAGE];
	int pfd[2], ret;
	double t0;
	long blk;
	char *p;

	if (!self->ready)
		return;
	p = ta_create_map(self->fd, len, self->tier, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 5);
	blk = block_of(p, bs);
	ASSERT_GE(blk, 0);
	ASSERT_EQ(0, pipe(pfd));
	iov.iov_base = p;
	iov.iov_len = TA_PAGE;
	ASSERT_EQ(TA_PAGE, vmsplice(pfd[1], &iov, 1, 0));

	t0 = ta_now();
	ret = block_set(blk, "offline", 60);
	EXPECT_EQ(-EBUSY, ret)
	TH_LOG("offline memory%ld with a page in a pipe: %s", blk, strerror(-ret));
	TH_LOG("refused in %.2f s", ta_now() - t0);
	EXPECT_TRUE(block_online(blk));
	ta_touch(p, len);
	EXPECT_EQ(blk, block_of(p, bs)); /* the held page stayed; others may have moved */
	EXPECT_EQ(len, ta_mismatch(p, len, 5));

	ASSERT_EQ(TA_PAGE, read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(TA_PAGE, ta_mismatch(buf, TA_PAGE, 5));
	close(pfd[0]);
	close(pfd[1]);
	ret = block_set(blk, "offline", 120);
	EXPECT_EQ(0, ret)
	TH_LOG("offline memory%ld once the pipe is read: %s", blk, strerror(-ret));
	EXPECT_EQ(len, ta_mismatch(p, len, 5));
	EXPECT_EQ(0, pages_in_block(p, len, blk, bs));
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, self->node));
	if (!block_online(blk))
		EXPECT_EQ(0, block_set(blk, "online_movable", 60));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * A thread that keeps filling fresh 2 MiB HUGE regions on the movable node
 * (one chunk each, so that each fill is a region's first): by a fault, or
 * (@populate) by TA_REGION_POPULATE and a clone of the region.  It stamps
 * each region and publishes the memory block of the newest.  Regions made
 * since @hold was last set are kept until it is cleared (up to FILL_KEEP,
 * then it waits), so that a page an offline missed would stay in the
 * block; the others are freed at once.
 */
#define FILL_KEEP 8

struct filler {
	pthread_t thread;
	int fd;
	uint32_t tier;
	bool populate;
	volatile bool stop;
	volatile unsigned int hold; /* 0, or the generation of the hold */
	volatile bool filling;	    /* a fill may be under way */
	volatile long blk;
	unsigned long rounds, bad;
};

struct fill_kept {
	char *p;
	uint32_t handle;
	unsigned int gen; /* hold generation it was made under, or 0 */
};

/* Free the kept regions not made under the current hold (all if @all). */
static void fill_release(struct filler *w, struct fill_kept *k, int *n, bool all)
{
	unsigned int gen = w->hold;
	int i, m = 0;

	for (i = 0; i < *n; i++) {
		if (!all && gen && k[i].gen == gen) {
			k[m++] = k[i];
			continue;
		}
		w->bad += *(uint64_t *)k[i].p != 71;
		munmap(k[i].p, 2 * TA_MIB);
		ta_free_handle(w->fd, k[i].handle);
	}
	*n = m;
}

static void *filler_fn(void *arg)
{
	unsigned long long bs = block_bytes();
	struct fill_kept kept[2 * FILL_KEEP];
	struct filler *w = arg;
	struct ta_region_create req;
	struct ta_region_clone cl;
	unsigned int gen;
	int nkept = 0;
	char *p, *q;

	while (!w->stop) {
		fill_release(w, kept, &nkept, false);
		if (nkept >= FILL_KEEP) {
			usleep(1000);
			continue;
		}
		gen = w->hold;
		w->filling = true;
		p = ta_create_map(w->fd, 2 * TA_MIB, w->tier,
				  TA_REGION_TIER | TA_REGION_HUGE |
					  (w->populate ? TA_REGION_POPULATE : 0),
				  &req);
		if (!p) {
			w->filling = false;
			w->bad++;
			continue;
		}
		*(uint64_t *)p = 71;
		kept[nkept++] = (struct fill_kept){ p, req.handle, gen };
		if (w->populate) {
			memset(&cl, 0, sizeof(cl));
			cl.src_fd = w->fd;
			cl.src_handle = req.handle;
			q = MAP_FAILED;
			if (!ioctl(w->fd, TA_IOC_REGION_CLONE, &cl)) {
				q = mmap(NULL, cl.size, PROT_READ, MAP_SHARED, w->fd, cl.offset);
				if (q == MAP_FAILED)
					ta_free_handle(w->fd, cl.handle);
			}
			if (q == MAP_FAILED)
				w->bad++;
			else
				kept[nkept++] = (struct fill_kept){ q, cl.handle, gen };
		}
		w->filling = false;
		w->blk = block_of(p, bs);
		w->rounds++;
	}
	fill_release(w, kept, &nkept, true);
	return NULL;
}

/*
 * Fills in flight while a block goes offline: a thread faults fresh HUGE
 * chunks on the movable node, a child process sharing the fd, in a memory
 * cgroup of its own where there is one, populates regions at creation and
 * clones them, and the block holding the newest chunk goes offline and
 * online again, round after round, the regions kept meanwhile.  A chunk a
 * fill took from the block before the block was isolated, and had not yet
 * published, must still be found and moved: nothing is held and the node
 * has room, so every offline succeeds.  (The module before this test
 * looked without waiting for fills in flight: the kernel then found an
 * unmovable page in the block and retried until block_set()'s bound.)
 * The fillers saw their data throughout, and memory and accounting return
 * to where they were.
 */
TEST_F(movable, offline_races_fills)
{
	struct filler *w;
	int i, done = 0, tries, ret, status;
	struct ta_cgroup cg;
	char why[256];
	double t0;
	pid_t pid;
	long blk;

	if (!self->ready)
		return;
	ASSERT_NE(0, block_bytes());
	/* Shared with the child: its flags, block and counts. */
	w = mmap(NULL, 2 * sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w);
	memset(w, 0, 2 * sizeof(*w));
	for (i = 0; i < 2; i++) {
		w[i].fd = self->fd;
		w[i].tier = self->tier;
		w[i].populate = i;
		w[i].blk = -1;
	}
	if (ta_cg_make(&cg, "ta_hotplug_fill", 1ULL << 30, why, sizeof(why)))
		TH_LOG("the child runs in this test's cgroup: %s", why);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* no filler outlives a failed test */
		if (cg.path[0] && ta_cg_enter(&cg, getpid()))
			w[1].bad++;
		filler_fn(&w[1]);
		_exit(0);
	}
	ASSERT_EQ(0, pthread_create(&w[0].thread, NULL, filler_fn, &w[0]));
	t0 = ta_now();
	for (i = 0; i < 32; i++) {
		for (tries = 0, blk = -1; tries < 100 && (blk < 0 || !block_online(blk)); tries++) {
			usleep(20 * 1000);
			blk = w[i % 2].blk;
		}
		if (blk < 0 || !block_online(blk))
			continue;
		w[0].hold = w[1].hold = i + 1;
		/* Start when a fill is likely under way (a short, bounded wait). */
		for (tries = 0; tries < 1000 && !w[i % 2].filling; tries++)
			usleep(100);
		ret = block_set(blk, "offline", 30);
		EXPECT_EQ(0, ret)
		TH_LOG("round %d: offline memory%ld under fills: %s", i, blk, strerror(-ret));
		if (!block_online(blk)) {
			EXPECT_EQ(0, block_set(blk, "online_movable", 60));
			done++;
		}
		w[0].hold = w[1].hold = 0;
	}
	w[0].stop = w[1].stop = true;
	pthread_join(w[0].thread, NULL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, w[i].bad);
		EXPECT_LT(0, w[i].rounds);
	}
	TH_LOG("%d blocks offline and online again in %.1f s; %lu and %lu regions filled", done,
	       ta_now() - t0, w[0].rounds, w[1].rounds);
	EXPECT_LE(16, done);
	munmap(w, 2 * sizeof(*w));
	ta_cg_remove(&cg);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * A fork shares a region on the movable node (the child's writes are the
 * parent's), and TA_IOC_REGION_CLONE copies it onto the same node; both
 * 4 KiB and HUGE, placement by move_pages(2).
 */
TEST_F(movable, fork_and_clone)
{
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_clone cl;
	uint32_t flags;
	int status;
	pid_t pid;
	char *p, *q;

	if (!self->ready)
		return;
	for (flags = 0; flags <= TA_REGION_HUGE; flags += TA_REGION_HUGE) {
		p = ta_create_map(self->fd, len, self->tier, TA_REGION_TIER | flags, &req);
		ASSERT_NE(NULL, p);
		ta_fill(p, len, 41);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			bool ok = ta_mismatch(p, len, 41) == len &&
				  ta_pages_on_node(p, len, self->node) == (long)(len / TA_PAGE);

			ta_fill(p, len / 2, 42);
			_exit(ok ? 0 : 1);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child did not see the region's data on node %d", self->node);
		EXPECT_EQ(len / 2, ta_mismatch(p, len / 2, 42));
		EXPECT_EQ(len, ta_mismatch_at(p, len / 2, len / 2, 41));

		memset(&cl, 0, sizeof(cl));
		cl.src_fd = self->fd;
		cl.src_handle = req.handle;
		ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_CLONE, &cl))
		TH_LOG("clone: %s", strerror(errno));
		EXPECT_EQ(len, cl.copied_bytes);
		EXPECT_EQ(self->tier, cl.tier);
		q = mmap(NULL, cl.size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, cl.offset);
		ASSERT_NE(MAP_FAILED, q);
		ta_touch(q, len);
		EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(q, len, self->node));
		EXPECT_EQ(len / 2, ta_mismatch(q, len / 2, 42));
		ta_fill(q, len, 43);
		EXPECT_EQ(len / 2, ta_mismatch(p, len / 2, 42)); /* a copy, not a share */
		EXPECT_EQ(0, munmap(q, cl.size));
		EXPECT_EQ(0, ta_free_handle(self->fd, cl.handle));
		EXPECT_EQ(0, munmap(p, len));
		EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * NORMAL on the movable node, SLOW on another one (the node discovery gave
 * NORMAL, else FAST's), both routing (ROUTE_SLOW), no caps; the teardown
 * restores them.  The node of SLOW is returned.
 */
static int movable_as_normal(struct __test_metadata *_metadata, FIXTURE_DATA(movable) * self)
{
	struct ta_tier_config c = { .valid = TA_CFG_NODE };
	int other = self->saved.c[TA_TIER_NORMAL].node;

	if (other == self->node)
		other = self->saved.c[TA_TIER_FAST].node;
	if (other == self->node)
		return -1;
	c.tier = TA_TIER_NORMAL;
	c.node = self->node;
	EXPECT_EQ(0, ta_set_tier(self->fd, &c));
	c.tier = TA_TIER_SLOW;
	c.node = other;
	EXPECT_EQ(0, ta_set_tier(self->fd, &c));
	EXPECT_EQ(0, ta_set_caps(self->fd, TA_TIER_NORMAL, 0, 0, TA_POLICY_ROUTE_SLOW));
	EXPECT_EQ(0, ta_set_caps(self->fd, TA_TIER_SLOW, 0, 0, TA_POLICY_ROUTE_SLOW));
	return other;
}

/* TA_TIER_INFO_OFFLINE of @tier, from TA_IOC_GET_TIER and from sysfs (which must agree). */
static int tier_offline(struct __test_metadata *_metadata, int fd, uint32_t tier)
{
	static const char *const names[TA_NR_TIERS] = TA_TIER_NAMES;
	struct ta_tier_config c;
	char path[96], buf[32];

	EXPECT_EQ(0, ta_get_tier(fd, tier, &c));
	snprintf(path, sizeof(path), "/sys/class/misc/tieralloc/%s/info_flags", names[tier]);
	EXPECT_LT(0, ta_read_file(path, buf, sizeof(buf)));
	EXPECT_EQ(!!(c.info_flags & TA_TIER_INFO_OFFLINE),
		  !!(strtoul(buf, NULL, 10) & TA_TIER_INFO_OFFLINE));
	return !!(c.info_flags & TA_TIER_INFO_OFFLINE);
}

/*
 * Hot-remove: every block of the movable node (NORMAL's) goes offline under
 * a 4 KiB and a HUGE region whose first halves are written.  ROUTE_SLOW:
 * the offline succeeds, their pages move to SLOW's node with their data,
 * counted as reroutes and moves; NORMAL is flagged offline (ioctl and
 * sysfs); first touches of the second halves and a new NORMAL region are
 * routed to SLOW, a move into NORMAL fails with ENOMEM; with FAST there
 * too, PIN_FAST is refused and its untouched region gets SIGBUS, while HOT
 * is routed on to SLOW.  FAIL: a new region
 * gets ENOMEM, the first touch of an untouched one SIGBUS.  Onlining the
 * memory brings NORMAL back: allocations and moves land on the node again.
 */
TEST_F(movable, node_offline)
{
	const size_t len = 16 * TA_MIB, h = len / 2;
	struct ta_region_create a[3], req, preq;
	struct ta_tier_config fcfg = {};
	struct ta_stats st0, st1;
	struct ta_region_move m;
	int onode, i, ret;
	char *p[3], *q, *pin;

	if (!self->ready)
		return;
	onode = movable_as_normal(_metadata, self);
	if (onode < 0)
		SKIP(return, "no second node for SLOW");
	/* FAST there too, for a PIN_FAST region, which is never routed. */
	fcfg.tier = TA_TIER_FAST;
	fcfg.valid = TA_CFG_NODE;
	fcfg.node = self->node;
	ASSERT_EQ(0, ta_set_tier(self->fd, &fcfg));
	pin = ta_create_map(self->fd, 2 * TA_MIB, TA_HINT_PIN_FAST, 0, &preq);
	ASSERT_NE(NULL, pin);
	for (i = 0; i < 3; i++) {
		p[i] = ta_create_map(self->fd, i == 2 ? 4 * TA_MIB : len, TA_TIER_NORMAL,
				     TA_REGION_TIER | (i == 1 ? TA_REGION_HUGE : 0), &a[i]);
		ASSERT_NE(NULL, p[i]);
		ASSERT_EQ(TA_TIER_NORMAL, a[i].tier);
	}
	for (i = 0; i < 2; i++) {
		ta_fill(p[i], h, 21 + i);
		ASSERT_EQ((long)(h / TA_PAGE), ta_pages_on_node(p[i], h, self->node));
	}
	EXPECT_EQ(0, tier_offline(_metadata, self->fd, TA_TIER_NORMAL));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st0));

	ret = node_offline(self->node, -1, -1);
	ASSERT_EQ(0, ret) TH_LOG("offline node %d: %s", self->node, strerror(-ret));
	EXPECT_EQ(1, tier_offline(_metadata, self->fd, TA_TIER_NORMAL));
	EXPECT_EQ(0, tier_offline(_metadata, self->fd, TA_TIER_SLOW));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st1));
	for (i = 0; i < 2; i++) {
		ta_touch(p[i], h);
		EXPECT_EQ((long)(h / TA_PAGE), ta_pages_on_node(p[i], h, onode));
		EXPECT_EQ(h, ta_mismatch(p[i], h, 21 + i));
	}
	EXPECT_LT(st0.tier[TA_TIER_NORMAL].reroutes, st1.tier[TA_TIER_NORMAL].reroutes);
	EXPECT_EQ(st0.tier[TA_TIER_SLOW].pages_moved_in + 2 * h / TA_PAGE,
		  st1.tier[TA_TIER_SLOW].pages_moved_in);
	EXPECT_EQ(st0.tier[TA_TIER_NORMAL].resident_bytes - 2 * h,
		  st1.tier[TA_TIER_NORMAL].resident_bytes);
	EXPECT_EQ(st0.tier[TA_TIER_SLOW].resident_bytes + 2 * h,
		  st1.tier[TA_TIER_SLOW].resident_bytes);

	/* First touches of pages still NORMAL's: routed to SLOW. */
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(h, fill_or_bus(p[i] + h, h, 31 + i));
		EXPECT_EQ((long)(h / TA_PAGE), ta_pages_on_node(p[i] + h, h, onode));
		EXPECT_EQ(h, ta_mismatch(p[i] + h, h, 31 + i));
	}
	/* A new region for NORMAL: routed, counted. */
	ASSERT_EQ(0, ta_get_stats(self->fd, &st0));
	q = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(TA_TIER_SLOW, req.tier);
	EXPECT_TRUE(req.result & TA_RESULT_REROUTED);
	ta_fill(q, len, 5);
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(q, len, onode));
	EXPECT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st1));
	EXPECT_EQ(st0.tier[TA_TIER_NORMAL].reroutes + 1, st1.tier[TA_TIER_NORMAL].reroutes);
	EXPECT_EQ(-ENOMEM, ta_move(self->fd, a[0].handle, TA_TIER_NORMAL, 0, len, 0, &m));
	/* PIN_FAST: refused, SIGBUS at a first touch; HOT goes on to SLOW. */
	EXPECT_EQ(1, tier_offline(_metadata, self->fd, TA_TIER_FAST));
	EXPECT_EQ(-ENOMEM, ta_create(self->fd, len, TA_HINT_PIN_FAST, 0, &req));
	EXPECT_EQ(0, fill_or_bus(pin, TA_PAGE, 8));
	ASSERT_EQ(0, ta_create(self->fd, len, TA_HINT_HOT, 0, &req));
	EXPECT_EQ(TA_TIER_SLOW, req.tier);
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));

	/* FAIL: refused, and an untouched NORMAL page gets SIGBUS. */
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_NORMAL, 0, 0, TA_POLICY_FAIL));
	EXPECT_EQ(-ENOMEM, ta_create(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER, &req));
	EXPECT_EQ(0, fill_or_bus(p[2], TA_PAGE, 9));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_NORMAL, 0, 0, TA_POLICY_ROUTE_SLOW));

	/* Online again: NORMAL is back. */
	ret = node_online(self->node, "online_movable");
	ASSERT_EQ(0, ret) TH_LOG("online node %d: %s", self->node, strerror(-ret));
	EXPECT_EQ(0, tier_offline(_metadata, self->fd, TA_TIER_NORMAL));
	EXPECT_EQ(4 * TA_MIB, fill_or_bus(p[2], 4 * TA_MIB, 9));
	EXPECT_EQ((long)(4 * TA_MIB / TA_PAGE), ta_pages_on_node(p[2], 4 * TA_MIB, self->node));
	q = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(TA_TIER_NORMAL, req.tier);
	ta_fill(q, len, 6);
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(q, len, self->node));
	EXPECT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, ta_move(self->fd, a[i].handle, TA_TIER_NORMAL, 0, len, 0, &m));
		EXPECT_EQ(len, m.moved_bytes);
		ta_touch(p[i], len);
		EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p[i], len, self->node));
		EXPECT_EQ(h, ta_mismatch(p[i], h, 21 + i));
		EXPECT_EQ(h, ta_mismatch(p[i] + h, h, 31 + i));
	}
	EXPECT_EQ(2 * TA_MIB, fill_or_bus(pin, 2 * TA_MIB, 8));
	EXPECT_EQ((long)(2 * TA_MIB / TA_PAGE), ta_pages_on_node(pin, 2 * TA_MIB, self->node));
	EXPECT_EQ(0, munmap(pin, 2 * TA_MIB));
	EXPECT_EQ(0, ta_free_handle(self->fd, preq.handle));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, munmap(p[i], i == 2 ? 4 * TA_MIB : len));
		EXPECT_EQ(0, ta_free_handle(self->fd, a[i].handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

/*
 * A block goes offline while the rest of the node is full: NORMAL on the
 * movable node keeps two blocks online, a region fills them until a fault
 * finds no page, then the block holding a 4 KiB and a HUGE region's first
 * pages goes offline.  First with a page of the 4 KiB region in a pipe:
 * refused with EBUSY, and nobody's pages went to SLOW (an offline that a
 * held page refuses anyway routes nothing; the module before this check
 * routed first).  Then, the pipe read, ROUTE_SLOW: it succeeds, what found
 * no room on the node went to SLOW's node (counted as reroutes and moves),
 * nothing is left in the block and every byte is intact.
 */
TEST_F(movable, block_offline_node_full)
{
	const size_t len = 8 * TA_MIB;
	unsigned long long bs = block_bytes();
	struct ta_region_create a[2], fr;
	long blk[256], keep0, keep1 = -1, on_slow = 0;
	struct ta_stats st0, st1;
	size_t flen, fhit;
	int onode, i, n, ret, pfd[2];
	struct iovec iov;
	char *p[2], *f;
	char buf[TA_PAGE];

	if (!self->ready)
		return;
	onode = movable_as_normal(_metadata, self);
	if (onode < 0)
		SKIP(return, "no second node for SLOW");
	ASSERT_NE(0, bs);
	for (i = 0; i < 2; i++) {
		p[i] = ta_create_map(self->fd, len, TA_TIER_NORMAL,
				     TA_REGION_TIER | (i ? TA_REGION_HUGE : 0), &a[i]);
		ASSERT_NE(NULL, p[i]);
		ta_fill(p[i], len, 51 + i);
		ASSERT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p[i], len, self->node));
	}
	keep0 = block_of(p[0], bs);
	n = node_blocks(self->node, blk, 256);
	for (i = 0; i < n && keep1 < 0; i++)
		if (blk[i] != keep0 && blk[i] != block_of(p[1], bs) && block_online(blk[i]))
			keep1 = blk[i];
	if (keep1 < 0)
		SKIP(goto out, "node %d has %d memory blocks: too few", self->node, n);
	ret = node_offline(self->node, keep0, keep1);
	ASSERT_EQ(0, ret)
	TH_LOG("offline node %d but memory%ld and %ld: %s", self->node, keep0, keep1,
	       strerror(-ret));
	ASSERT_EQ(keep0, block_of(p[0], bs));

	/* Fill what is left of the node until a fault finds nothing. */
	flen = (size_t)ta_node_free(self->node) + 64 * TA_MIB;
	f = ta_create_map(self->fd, flen, TA_TIER_NORMAL, TA_REGION_TIER, &fr);
	ASSERT_NE(NULL, f);
	fhit = fill_or_bus(f, flen, 61);
	ASSERT_LT(fhit, flen) TH_LOG("node %d never filled up", self->node);
	TH_LOG("node %d full after %zu MiB, %lld KiB free", self->node, fhit >> 20,
	       ta_node_free(self->node) >> 10);

	ASSERT_EQ(0, ta_get_stats(self->fd, &st0));
	ASSERT_EQ(0, pipe(pfd));
	iov.iov_base = p[0];
	iov.iov_len = TA_PAGE;
	ASSERT_EQ(TA_PAGE, vmsplice(pfd[1], &iov, 1, 0));
	ret = block_set(keep0, "offline", 120);
	EXPECT_EQ(-EBUSY, ret)
	TH_LOG("offline memory%ld on a full node, a page in a pipe: %s", keep0, strerror(-ret));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st1));
	EXPECT_EQ(st0.tier[TA_TIER_NORMAL].reroutes, st1.tier[TA_TIER_NORMAL].reroutes);
	for (i = 0; i < 2; i++) {
		ta_touch(p[i], len);
		EXPECT_EQ(0, ta_pages_on_node(p[i], len, onode))
		TH_LOG("region %d: pages routed to node %d by an offline that was refused", i,
		       onode);
		EXPECT_EQ(len, ta_mismatch(p[i], len, 51 + i));
	}
	ASSERT_EQ(TA_PAGE, read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(TA_PAGE, ta_mismatch(buf, TA_PAGE, 51));
	close(pfd[0]);
	close(pfd[1]);

	ASSERT_EQ(0, ta_get_stats(self->fd, &st0));
	ret = block_set(keep0, "offline", 120);
	ASSERT_EQ(0, ret) TH_LOG("offline memory%ld on a full node: %s", keep0, strerror(-ret));
	ASSERT_EQ(0, ta_get_stats(self->fd, &st1));
	for (i = 0; i < 2; i++) {
		long on, off;

		ta_touch(p[i], len);
		EXPECT_EQ(0, pages_in_block(p[i], len, keep0, bs));
		EXPECT_EQ(len, ta_mismatch(p[i], len, 51 + i));
		on = ta_pages_on_node(p[i], len, self->node);
		off = ta_pages_on_node(p[i], len, onode);
		EXPECT_EQ((long)(len / TA_PAGE), on + off);
		on_slow += off;
	}
	ta_touch(f, fhit);
	EXPECT_EQ(0, pages_in_block(f, fhit, keep0, bs));
	EXPECT_EQ(fhit, ta_mismatch(f, fhit, 61));
	EXPECT_LT(0, on_slow); /* keep0 held p[0]'s first page */
	EXPECT_LT(st0.tier[TA_TIER_NORMAL].reroutes, st1.tier[TA_TIER_NORMAL].reroutes);
	EXPECT_LT(st0.tier[TA_TIER_SLOW].pages_moved_in, st1.tier[TA_TIER_SLOW].pages_moved_in);
	TH_LOG("%llu pages routed to node %d",
	       st1.tier[TA_TIER_SLOW].pages_moved_in - st0.tier[TA_TIER_SLOW].pages_moved_in,
	       onode);
	EXPECT_EQ(0, munmap(f, flen));
	EXPECT_EQ(0, ta_free_handle(self->fd, fr.handle));
out:
	EXPECT_EQ(0, node_online(self->node, "online_movable"));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, munmap(p[i], len));
		EXPECT_EQ(0, ta_free_handle(self->fd, a[i].handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
	expect_free_back(_metadata, self->node, self->free_start);
}

TEST_HARNESS_MAIN
