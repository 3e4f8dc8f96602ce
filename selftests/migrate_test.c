// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko migration: TA_IOC_REGION_MOVE moves pages between tiers in
 * place.  Placement is checked with move_pages(2) and numa_maps, contents
 * byte for byte, under concurrent writers in threads and a forked child;
 * plus partial and huge moves, caps, pinned pages, the enforce-mode rate,
 * signal interruption and bad input.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ta_test.h"

FIXTURE(mv)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd;
	struct ta_saved_cfg saved;
	struct ta_stats start;
};

FIXTURE_SETUP(mv)
{
	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	if (ta_memory_nodes() < 2)
		SKIP(return, "migration needs at least two memory nodes");
	ta_save_cfg(self->fd, &self->saved);
	ta_get_stats(self->fd, &self->start);
	self->ready = true;
}

FIXTURE_TEARDOWN(mv)
{
	if (self->fd >= 0) {
		ta_restore_cfg(self->fd, &self->saved);
		close(self->fd);
	}
}

/* A whole region moves FAST -> SLOW -> NORMAL at the same address. */
TEST_F(mv, whole_region_in_place)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB, pages = len / TA_PAGE;
	static const uint32_t path[] = { TA_TIER_SLOW, TA_TIER_NORMAL, TA_TIER_FAST };
	struct ta_region_create req;
	struct ta_region_move m;
	struct ta_stats s0, s1;
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 1);
	ASSERT_EQ((long)pages, ta_pages_on_node(p, len, ta_tier_node(self->fd, TA_TIER_FAST)));
	for (size_t k = 0; k < 3; k++) {
		int node = ta_tier_node(self->fd, path[k]);

		ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
		ASSERT_EQ(0, ta_move(self->fd, req.handle, path[k], 0, 0, 0, &m));
		ASSERT_EQ(len, m.moved_bytes);
		ASSERT_EQ(0, m.skipped_pages);
		ASSERT_EQ(0, ta_pages_elsewhere(p, len, node));
		ta_touch(p, len);
		ASSERT_EQ((long)pages, ta_pages_on_node(p, len, node));
		ASSERT_EQ((long)pages, ta_numa_maps_pages(p, node));
		ASSERT_EQ(len, ta_mismatch(p, len, 1));
		ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
		EXPECT_EQ(pages, s1.tier[path[k]].pages_moved_in - s0.tier[path[k]].pages_moved_in);
		EXPECT_EQ(len, s1.tier[path[k]].bytes_moved_in - s0.tier[path[k]].bytes_moved_in);
		EXPECT_EQ(len, s1.tier[path[k]].reserved_bytes - s0.tier[path[k]].reserved_bytes);
	}
	/* Moving to the tier it is on is a cheap no-op. */
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_FAST, 0, 0, 0, &m));
	EXPECT_EQ(0, m.moved_bytes);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* A page-aligned range moves; the rest stays; reservations split exactly. */
TEST_F(mv, range_and_untouched_pages)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB, off = 2 * TA_MIB, n = 3 * TA_MIB + 5 * TA_PAGE;
	struct ta_region_create req;
	struct ta_region_info info;
	struct ta_region_move m;
	int fast = ta_tier_node(self->fd, TA_TIER_FAST), slow = ta_tier_node(self->fd, 2);
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len / 2, 7); /* the upper half stays untouched */
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, off, n, 0, &m));
	ASSERT_EQ(n, m.moved_bytes);
	ta_touch(p, len / 2);
	EXPECT_EQ((long)((len / 2 - off) / TA_PAGE), ta_pages_on_node(p + off, n, slow));
	EXPECT_EQ((long)(off / TA_PAGE), ta_pages_on_node(p, off, fast));
	EXPECT_EQ(len / 2, ta_mismatch(p, len / 2, 7));
	memset(&info, 0, sizeof(info));
	info.handle = req.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(n, info.reserved_bytes[TA_TIER_SLOW]);
	EXPECT_EQ(len - n, info.reserved_bytes[TA_TIER_FAST]);
	EXPECT_EQ(len / 2 - off, info.resident_bytes[TA_TIER_SLOW]);
	/* Untouched pages moved by reservation fault in on the new tier. */
	p[off + n - TA_PAGE] = 1;
	EXPECT_EQ(1, ta_pages_on_node(p + off + n - TA_PAGE, TA_PAGE, slow));
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* HUGE regions move 2 MiB at a time and stay physically contiguous. */
TEST_F(mv, huge_stays_huge)
{
	if (!self->ready)
		return;
	const size_t chunks = 4, len = chunks * TA_HUGE_SIZE;
	struct ta_region_create req;
	struct ta_region_move m;
	struct ta_stats s0, s1;
	int slow = ta_tier_node(self->fd, TA_TIER_SLOW);
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 3);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, TA_PAGE, 0, 0, &m));
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 0, &m));
	ASSERT_EQ(len, m.moved_bytes);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	ta_touch(p, len);
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, slow));
	EXPECT_EQ(len, ta_mismatch(p, len, 3));
	if (m.huge_fallbacks)
		SKIP(return, "node %d had no free 2 MiB blocks (%llu fallbacks)", slow,
			   (unsigned long long)m.huge_fallbacks);
	EXPECT_EQ(chunks, s1.tier[TA_TIER_SLOW].huge_pages - s0.tier[TA_TIER_SLOW].huge_pages);
	if (!ta_pfn(p))
		SKIP(return, "pagemap PFNs need CAP_SYS_ADMIN");
	for (size_t c = 0; c < chunks; c++) {
		uint64_t base = ta_pfn(p + c * TA_HUGE_SIZE);

		ASSERT_EQ(0, base % 512);
		for (size_t i = 1; i < 512; i++)
			ASSERT_EQ(base + i, ta_pfn(p + c * TA_HUGE_SIZE + i * TA_PAGE));
	}
}

/* Over the destination's hard cap: all-or-nothing fails cleanly; PARTIAL moves what fits. */
TEST_F(mv, cap_failure_and_partial)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_info info;
	struct ta_region_move m;
	struct ta_stats s0;
	int fast = ta_tier_node(self->fd, TA_TIER_FAST);
	char *p;

	if (geteuid())
		SKIP(return, "setting caps needs root");
	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 9);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_SLOW, 0,
			      s0.tier[TA_TIER_SLOW].reserved_bytes + 3 * TA_MIB, TA_POLICY_FAIL));
	ASSERT_EQ(-ENOMEM, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 0, &m));
	EXPECT_EQ(0, m.moved_bytes);
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, fast));
	memset(&info, 0, sizeof(info));
	info.handle = req.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(len, info.reserved_bytes[TA_TIER_FAST]);
	EXPECT_EQ(0, info.reserved_bytes[TA_TIER_SLOW]);

	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, TA_MOVE_PARTIAL, &m));
	EXPECT_EQ(3 * TA_MIB, m.moved_bytes);
	ta_touch(p, len);
	EXPECT_EQ((long)(3 * TA_MIB / TA_PAGE),
		  ta_pages_on_node(p, len, ta_tier_node(self->fd, TA_TIER_SLOW)));
	EXPECT_EQ(len, ta_mismatch(p, len, 9));
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* Pages someone holds (here: spliced into a pipe) are skipped, not corrupted. */
TEST_F(mv, pinned_pages_skipped)
{
	if (!self->ready)
		return;
	const size_t len = 4 * TA_MIB, held = 16 * TA_PAGE;
	struct ta_region_create req;
	struct ta_region_move m;
	struct iovec iov;
	int pfd[2];
	char *p, *buf;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 5);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_GE(fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20), (int)held);
	iov.iov_base = p;
	iov.iov_len = held;
	ASSERT_EQ((ssize_t)held, vmsplice(pfd[1], &iov, 1, 0));

	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, TA_MOVE_PARTIAL, &m));
	EXPECT_EQ(held / TA_PAGE, m.skipped_pages);
	EXPECT_EQ(len - held, m.moved_bytes);
	ta_touch(p, len);
	EXPECT_EQ((long)(held / TA_PAGE),
		  ta_pages_on_node(p, held, ta_tier_node(self->fd, TA_TIER_FAST)));
	EXPECT_EQ(len, ta_mismatch(p, len, 5));

	/* The pipe holds the very pages, with the right bytes. */
	buf = malloc(held);
	ASSERT_EQ((ssize_t)held, read(pfd[0], buf, held));
	EXPECT_EQ(held, ta_mismatch(buf, held, 5));
	free(buf);
	close(pfd[0]);
	close(pfd[1]);
	/* Released, they move too. */
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 0, &m));
	EXPECT_EQ(held, m.moved_bytes);
	ta_touch(p, len);
	EXPECT_EQ((long)(len / TA_PAGE),
		  ta_pages_on_node(p, len, ta_tier_node(self->fd, TA_TIER_SLOW)));
	munmap(p, len);
}

/*
 * Concurrent writers.  Each writer owns a slice of the region and sweeps it
 * forever, writing into every page a record (writer, sequence, pattern) and
 * reading it straight back.  Meanwhile the region moves back and forth.  A
 * write lost to a stale page, or a stale page still mapped after a move,
 * shows up as a read-back mismatch or as a final page older than the last
 * sequence its writer wrote there.
 */
#define WRITERS		 3
#define PAGES_PER_WRITER 256

struct rec {
	uint64_t writer, seq, check[6];
};

static void write_rec(char *page, uint64_t w, uint64_t seq)
{
	struct rec *r = (struct rec *)page;

	r->writer = w;
	r->seq = seq;
	for (int i = 0; i < 6; i++)
		r->check[i] = seq * 0x100000001b3ULL + w + i;
	/* The tail of the page too: a half-copied page would differ. */
	*(uint64_t *)(page + TA_PAGE - 8) = ~seq;
}

static int rec_ok(const char *page, uint64_t w, uint64_t seq)
{
	const struct rec *r = (const struct rec *)page;

	if (r->writer != w || r->seq != seq || *(const uint64_t *)(page + TA_PAGE - 8) != ~seq)
		return 0;
	for (int i = 0; i < 6; i++)
		if (r->check[i] != seq * 0x100000001b3ULL + w + i)
			return 0;
	return 1;
}

struct writer {
	char *base;
	uint64_t id, sweeps, errors;
	atomic_int *stop;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *slice = w->base + w->id * PAGES_PER_WRITER * TA_PAGE;

	while (!atomic_load(w->stop)) {
		w->sweeps++;
		for (size_t i = 0; i < PAGES_PER_WRITER; i++) {
			char *pg = slice + i * TA_PAGE;

			write_rec(pg, w->id, w->sweeps);
			if (!rec_ok(pg, w->id, w->sweeps))
				w->errors++;
		}
	}
	return NULL;
}

/* Every page of writer @id's slice holds its last sweep's record. */
static int slice_final_ok(char *base, uint64_t id, uint64_t sweeps)
{
	char *slice = base + id * PAGES_PER_WRITER * TA_PAGE;

	for (size_t i = 0; i < PAGES_PER_WRITER; i++)
		if (!rec_ok(slice + i * TA_PAGE, id, sweeps))
			return 0;
	return 1;
}

TEST_F(mv, concurrent_writers_threads_and_fork)
{
	if (!self->ready)
		return;
	const size_t len = (WRITERS + 1) * PAGES_PER_WRITER * TA_PAGE;
	const int rounds = 40;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct ta_region_create req;
	struct ta_region_move m;
	atomic_int *stop;
	uint64_t child_res[2];
	int pfd[2], st, i;
	pid_t pid;
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	stop = mmap(NULL, TA_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	atomic_store(stop, 0);
	ASSERT_EQ(0, pipe(pfd));

	/* The forked child is writer WRITERS, in its own address space. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct writer cw = { .base = p, .id = WRITERS, .stop = stop };

		writer_main(&cw);
		child_res[0] = cw.sweeps;
		child_res[1] = cw.errors;
		if (write(pfd[1], child_res, sizeof(child_res)) != sizeof(child_res))
			_exit(1);
		_exit(0);
	}
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .base = p, .id = i, .stop = stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, writer_main, &w[i]));
	}

	for (i = 0; i < rounds; i++) {
		uint32_t dst = (i % 2) ? TA_TIER_FAST : TA_TIER_SLOW;

		ASSERT_EQ(0, ta_move(self->fd, req.handle, dst, 0, 0, 0, &m));
		ASSERT_EQ(0, m.skipped_pages);
		ASSERT_EQ(len, m.moved_bytes);
		/* Right after a move every page mapped again is already on dst. */
		ASSERT_EQ(0, ta_pages_elsewhere(p, len, ta_tier_node(self->fd, dst)));
	}
	atomic_store(stop, 1);
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		TH_LOG("writer %d: %llu sweeps, %llu read-back errors", i,
		       (unsigned long long)w[i].sweeps, (unsigned long long)w[i].errors);
		EXPECT_EQ(0, w[i].errors);
		EXPECT_GT(w[i].sweeps, 0);
		EXPECT_TRUE(slice_final_ok(p, i, w[i].sweeps));
	}
	ASSERT_EQ(sizeof(child_res), read(pfd[0], child_res, sizeof(child_res)));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("child writer: %llu sweeps, %llu errors", (unsigned long long)child_res[0],
	       (unsigned long long)child_res[1]);
	EXPECT_EQ(0, child_res[1]);
	EXPECT_TRUE(slice_final_ok(p, WRITERS, child_res[0]));
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* Two movers on overlapping ranges, plus munmap and exit, never deadlock. */
TEST_F(mv, overlapping_movers_and_exit)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_info info;
	pid_t pid[2];
	int st, k;
	char *p;

	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 11);
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		ASSERT_GE(pid[k], 0);
		if (pid[k] == 0) {
			struct ta_region_move m;

			for (int i = 0; i < 30; i++) {
				uint32_t dst = (i + k) % TA_NR_TIERS;

				if (ta_move(self->fd, req.handle, dst, k * TA_MIB,
					    len - 2 * k * TA_MIB, 0, &m))
					_exit(1);
			}
			/* Exit with the region still mapped. */
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &st, 0));
		EXPECT_EQ(0, WEXITSTATUS(st));
	}
	EXPECT_EQ(len, ta_mismatch(p, len, 11));
	memset(&info, 0, sizeof(info));
	info.handle = req.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(len, info.reserved_bytes[0] + info.reserved_bytes[1] + info.reserved_bytes[2]);
	EXPECT_EQ(len, info.resident_bytes[0] + info.resident_bytes[1] + info.resident_bytes[2]);
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

static int set_enforce(int fd, uint32_t tier, uint64_t rate)
{
	struct ta_tier_config c = {
		.tier = tier,
		.valid = TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE,
		.rate = rate,
		.burst = TA_HUGE_SIZE,
		.throttle_mode = TA_THROTTLE_ENFORCE,
	};

	/* A bucket one move batch deep, so copy time is not charged twice. */
	return ta_set_tier(fd, &c);
}

/*
 * Enforce mode: a move proceeds at the destination's rate -- never faster
 * (within 20%), and slower only by what the copy itself takes: the same
 * move without a throttle, timed first, bounds the overhead (a loaded
 * host makes the copy slower, not the throttle wrong).
 */
TEST_F(mv, enforce_rate)
{
	if (!self->ready)
		return;
	const size_t len = 32 * TA_MIB;
	const uint64_t rate = 64 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_move m;
	/* The full bucket pays for the first batch. */
	double t0, dt, free_dt, want = (double)(len - TA_HUGE_SIZE) / rate;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER | TA_REGION_POPULATE, &req);
	ASSERT_NE(NULL, p);
	t0 = ta_now();
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_NORMAL, 0, 0, 0, &m));
	free_dt = ta_now() - t0;
	ASSERT_EQ(len, m.moved_bytes);
	ASSERT_EQ(0, set_enforce(self->fd, TA_TIER_SLOW, rate));
	t0 = ta_now();
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 0, &m));
	dt = ta_now() - t0;
	TH_LOG("moved %llu MiB in %.3f s: %.1f MiB/s (limit %.1f MiB/s; unthrottled %.3f s)",
	       (unsigned long long)(m.moved_bytes >> 20), dt, m.moved_bytes / dt / TA_MIB,
	       (double)rate / TA_MIB, free_dt);
	ASSERT_EQ(len, m.moved_bytes);
	EXPECT_GT(dt, want * 0.8);
	EXPECT_LT(dt, (want + free_dt) * 1.2);
	munmap(p, len);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal interrupts an enforced move; it reports what it moved, consistently. */
TEST_F(mv, signal_interrupts_move)
{
	if (!self->ready)
		return;
	const size_t len = 32 * TA_MIB;
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct ta_region_create req;
	struct ta_region_info info;
	struct ta_region_move m;
	char *p;
	int ret;

	if (geteuid())
		SKIP(return, "needs root");
	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_TIER, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 13);
	ASSERT_EQ(0, set_enforce(self->fd, TA_TIER_SLOW, 8 * TA_MIB)); /* 4 s for all */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ualarm(600 * 1000, 0);
	ret = ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 0, &m);
	TH_LOG("interrupted after %llu bytes", (unsigned long long)m.moved_bytes);
	ASSERT_EQ(-EINTR, ret);
	EXPECT_GT(m.moved_bytes, 0);
	EXPECT_LT(m.moved_bytes, len);
	ta_touch(p, len);
	EXPECT_EQ((long)(m.moved_bytes / TA_PAGE),
		  ta_pages_on_node(p, len, ta_tier_node(self->fd, TA_TIER_SLOW)));
	memset(&info, 0, sizeof(info));
	info.handle = req.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO, &info));
	EXPECT_EQ(m.moved_bytes, info.reserved_bytes[TA_TIER_SLOW]);
	EXPECT_EQ(len - m.moved_bytes, info.reserved_bytes[TA_TIER_FAST]);
	EXPECT_EQ(len, ta_mismatch(p, len, 13));
	munmap(p, len);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

/* Bad input: clear errors, nothing moved. */
TEST_F(mv, bad_input)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	struct ta_region_move m;
	int other;

	ASSERT_EQ(0, ta_create(self->fd, 4 * TA_MIB, TA_HINT_HOT, 0, &req));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, 100, 0, 0, &m));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 100, 0, &m));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, 4 * TA_MIB, 0, 0, &m));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, TA_MIB, 4 * TA_MIB, 0, &m));
	EXPECT_EQ(-EINVAL,
		  ta_move(self->fd, req.handle, TA_TIER_SLOW, ~0ULL & ~4095ULL, TA_PAGE, 0, &m));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_NR_TIERS, 0, 0, 0, &m));
	EXPECT_EQ(-EINVAL, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, 1U << 7, &m));
	EXPECT_EQ(-ENOENT, ta_move(self->fd, req.handle + 1000, TA_TIER_SLOW, 0, 0, 0, &m));
	/* A region of another file is not this file's to move. */
	other = ta_open_dev();
	ASSERT_GE(other, 0);
	EXPECT_EQ(-ENOENT, ta_move(other, req.handle, TA_TIER_SLOW, 0, 0, 0, &m));
	close(other);
	memset(&m, 0, sizeof(m));
	m.handle = req.handle;
	m.dst_tier = TA_TIER_SLOW;
	m.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, TA_IOC_REGION_MOVE, &m));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_expect_baseline(self->fd, &self->start);
}

TEST_HARNESS_MAIN
