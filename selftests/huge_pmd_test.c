// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko HUGE regions: a 2 MiB chunk is one folio on one tier,
 * mapped by one fault -- with a PMD where the module says it can
 * (TA_FEAT_HUGE_PMD, Linux 6.15 and later) and THP is not "never", with
 * 512 PTEs elsewhere.  What is checked, on every kernel, under each THP
 * mode the kernel offers:
 *  - the feature bit is set exactly on kernels that can PMD-map;
 *  - one minor fault per 2 MiB, and the kernel's own smaps FilePmdMapped
 *    says which mapping it is;
 *  - MADV_DONTNEED, munmap and mprotect of 4 KiB inside a mapped chunk:
 *    data intact, nothing leaked (node free memory over 32 cycles, module
 *    accounting, no "Bad rss-counter" or other report in the kernel log);
 *  - fork, GUP (vmsplice, process_vm_readv/writev);
 *  - whole and partial moves of a HUGE region: placement by move_pages(2)
 *    and numa_maps, a moved chunk is a folio again (PMD-mapped again), a
 *    chunk with a pinned page stays whole where it is;
 *  - NUMA balancing, which scans these mappings on 7.3, moves nothing.
 */
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ta_test.h"

#define TA_HUGE	 (2UL * TA_MIB)
#define THP_PATH "/sys/kernel/mm/transparent_hugepage/enabled"

/* The THP modes a test runs under; "" means the kernel has no THP at all. */
static const char *const thp_modes[] = { "always", "madvise", "never" };

FIXTURE(pmd)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd, kmsg;
	bool feature; /* TA_FEAT_HUGE_PMD */
	char thp_saved[32];
	struct ta_stats base;
};

/* Is the running kernel at least @maj.@min? */
static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > maj || (a == maj && b >= min);
}

/* The selected THP mode ("[madvise]" in the list), "" if none. */
static void thp_get(char *buf, size_t size)
{
	char line[128], *l, *r;

	buf[0] = 0;
	if (ta_read_file(THP_PATH, line, sizeof(line)) < 0)
		return;
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (l && r && (size_t)(r - l) < size) {
		memcpy(buf, l + 1, r - l - 1);
		buf[r - l - 1] = 0;
	}
}

static int thp_set(const char *mode)
{
	char now[32];

	if (ta_write_file(THP_PATH, mode))
		return -1;
	thp_get(now, sizeof(now));
	return strcmp(now, mode) ? -1 : 0;
}

FIXTURE_SETUP(pmd)
{
	struct ta_version v;

	self->kmsg = -1;
	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_VERSION, &v));
	self->feature = v.features & TA_FEAT_HUGE_PMD;
	thp_get(self->thp_saved, sizeof(self->thp_saved));
	self->kmsg = ta_kmsg_open();
	ASSERT_EQ(0, ta_get_stats(self->fd, &self->base));
	self->ready = true;
}

FIXTURE_TEARDOWN(pmd)
{
	if (self->thp_saved[0])
		thp_set(self->thp_saved);
	if (self->kmsg >= 0) {
		EXPECT_EQ(0, ta_kmsg_reports(self->kmsg));
		close(self->kmsg);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* Value in kB of @key ("FilePmdMapped:") in the smaps entry of the VMA at @p, or -1. */
static long smaps_kb(void *p, const char *key)
{
	char line[512];
	unsigned long lo, hi;
	bool in = false;
	long kb = -1, v;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, ' ') > strchr(line, '-')) {
			if (in)
				break;
			in = lo == (unsigned long)p;
			continue;
		}
		if (in && !strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), " %ld kB", &v) == 1)
			kb = v;
	}
	fclose(f);
	return kb;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Should a HUGE mapping be PMD-mapped under the current THP mode? */
static bool want_pmd(FIXTURE_DATA(pmd) * self)
{
	char mode[32];

	thp_get(mode, sizeof(mode));
	return self->feature && mode[0] && strcmp(mode, "never");
}

/*
 * TA_FEAT_HUGE_PMD is set exactly where the kernel lets a driver PMD-map
 * its own folios (vmf_insert_folio_pmd(), 6.15): never claimed on 6.1 or
 * 6.12, never missing on a newer kernel.
 */
TEST_F(pmd, feature_bit_is_true)
{
	if (!self->ready)
		return;
	TH_LOG("TA_FEAT_HUGE_PMD %s, THP mode '%s'", self->feature ? "set" : "clear",
	       self->thp_saved);
	EXPECT_EQ(kernel_at_least(6, 15), self->feature);
}

/*
 * Under each THP mode: writing every page of 8 MiB takes 4 minor faults,
 * smaps says FilePmdMapped 8192 kB where a PMD is wanted and 0 elsewhere,
 * and the data reads back.
 */
TEST_F(pmd, one_fault_per_chunk)
{
	const size_t len = 4 * TA_HUGE;
	struct ta_region_create req;
	unsigned int m;

	if (!self->ready)
		return;
	for (m = 0; m < sizeof(thp_modes) / sizeof(thp_modes[0]); m++) {
		long before, faults, kb;
		char *p;

		if (!self->thp_saved[0] && m)
			break; /* no THP: one pass, as it is */
		if (self->thp_saved[0] && thp_set(thp_modes[m])) {
			TH_LOG("THP mode %s not offered here", thp_modes[m]);
			continue;
		}
		p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_HUGE, &req);
		ASSERT_NE(NULL, p);
		/* thp_get_unmapped_area() where a PMD can be had. */
		if (self->feature)
			EXPECT_EQ(0, (uintptr_t)p % TA_HUGE);
		before = minflt();
		ta_fill(p, len, m);
		faults = minflt() - before;
		kb = smaps_kb(p, "FilePmdMapped:");
		TH_LOG("THP %s: %ld faults, FilePmdMapped %ld kB",
		       self->thp_saved[0] ? thp_modes[m] : "none", faults, kb);
		EXPECT_EQ(4, faults);
		EXPECT_EQ(want_pmd(self) ? (long)(len >> 10) : 0, kb);
		EXPECT_EQ(len, ta_mismatch(p, len, m));
		EXPECT_EQ(0, munmap(p, len));
		EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * 4 KiB of a mapped chunk dropped with MADV_DONTNEED, 4 KiB of another
 * unmapped, 4 KiB of a third made read-only: every other byte still reads
 * back, the dropped page refaults with its data (the region keeps it),
 * the other chunks stay PMD-mapped.  32 cycles of it leave the node's free
 * memory, the module's accounting and the kernel log as they were (a
 * folio stuck by a bad PMD split would lose 2 MiB a cycle and log "Bad
 * rss-counter state").
 */
TEST_F(pmd, partial_unmap_no_leak)
{
	const size_t len = 4 * TA_HUGE;
	int node = ta_tier_node(self->fd, TA_TIER_FAST), cycle;
	struct ta_region_create req;
	long long free0, free1;

	if (!self->ready)
		return;
	ASSERT_LE(0, node);
	free0 = ta_node_free(node);
	for (cycle = 0; cycle < 32; cycle++) {
		char *p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_HUGE, &req);
		long kb;

		ASSERT_NE(NULL, p);
		ta_fill(p, len, cycle);
		ASSERT_EQ(0, madvise(p + TA_HUGE / 2, TA_PAGE, MADV_DONTNEED));
		ASSERT_EQ(0, munmap(p + TA_HUGE + 3 * TA_PAGE, TA_PAGE));
		ASSERT_EQ(0, mprotect(p + 2 * TA_HUGE + 5 * TA_PAGE, TA_PAGE, PROT_READ));
		/*
		 * The last VMA, from 6 pages into chunk 2, holds chunk 3 whole:
		 * untouched by all of it, so still PMD-mapped where wanted.
		 */
		kb = smaps_kb(p + 2 * TA_HUGE + 6 * TA_PAGE, "FilePmdMapped:");
		EXPECT_EQ(want_pmd(self) ? (long)(TA_HUGE >> 10) : 0, kb);
		EXPECT_EQ(TA_HUGE + 3 * TA_PAGE, ta_mismatch(p, TA_HUGE + 3 * TA_PAGE, cycle));
		EXPECT_EQ(len, ta_mismatch_at(p, TA_HUGE + 4 * TA_PAGE, len - TA_HUGE - 4 * TA_PAGE,
					      cycle));
		ASSERT_EQ(0, munmap(p, len));
		ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	}
	ta_settle();
	free1 = ta_node_free(node);
	TH_LOG("node %d free: %lld MiB before, %lld MiB after 32 cycles", node, free0 >> 20,
	       free1 >> 20);
	EXPECT_LT(free0 - free1, 16LL << 20);
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * A child forked after the parent mapped the region refaults it (shared,
 * PMD-mapped where wanted), sees the parent's data, and its write is seen
 * by the parent.
 */
TEST_F(pmd, fork_shares_chunks)
{
	const size_t len = 2 * TA_HUGE;
	struct ta_region_create req;
	int st;
	pid_t pid;
	char *p;

	if (!self->ready)
		return;
	p = ta_create_map(self->fd, len, TA_TIER_NORMAL, TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 7);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ta_mismatch(p, len, 7) != len)
			_exit(1);
		if (want_pmd(self) && smaps_kb(p, "FilePmdMapped:") != (long)(len >> 10))
			_exit(2);
		ta_fill(p, TA_HUGE, 8);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
	TH_LOG("child status %#x (1: data, 2: not PMD-mapped)", st);
	EXPECT_EQ(TA_HUGE, ta_mismatch(p, TA_HUGE, 8));
	EXPECT_EQ(2 * TA_HUGE, ta_mismatch_at(p, TA_HUGE, TA_HUGE, 7));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * get_user_pages() on PMD-mapped chunks: process_vm_writev() into one and
 * process_vm_readv() out of it, vmsplice() of a page read back from the
 * pipe.  Then a partial move of the whole region with that page still
 * pinned: its chunk stays whole on FAST (512 pages skipped, not 511), the
 * other chunk moves whole to SLOW and is a folio there (PMD-mapped again
 * when touched, where wanted).  With the pin gone, it moves too.
 */
TEST_F(pmd, gup_pin_keeps_chunk_whole)
{
	const size_t len = 2 * TA_HUGE;
	int fast = ta_tier_node(self->fd, TA_TIER_FAST),
	    slow = ta_tier_node(self->fd, TA_TIER_SLOW);
	struct ta_region_create req;
	struct ta_region_move m;
	char buf[TA_PAGE], held[TA_PAGE], *p;
	struct iovec local, remote;
	int pp[2];
	long on, off;

	if (!self->ready)
		return;
	if (fast == slow)
		SKIP(return, "FAST and SLOW share node %d", fast);
	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 3);

	memset(buf, 0x5a, sizeof(buf));
	local = (struct iovec){ .iov_base = buf, .iov_len = sizeof(buf) };
	remote = (struct iovec){ .iov_base = p + TA_HUGE + 9 * TA_PAGE, .iov_len = sizeof(buf) };
	ASSERT_EQ((ssize_t)sizeof(buf), process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(0x5a5a5a5a, *(int *)(p + TA_HUGE + 9 * TA_PAGE));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(0x5a, buf[100]);
	ta_fill(p + TA_HUGE + 9 * TA_PAGE, TA_PAGE, 99);

	memcpy(held, p + 17 * TA_PAGE, TA_PAGE);
	ASSERT_EQ(0, pipe(pp));
	local = (struct iovec){ .iov_base = p + 17 * TA_PAGE, .iov_len = TA_PAGE };
	ASSERT_EQ((ssize_t)TA_PAGE, vmsplice(pp[1], &local, 1, 0));

	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, TA_MOVE_PARTIAL, &m));
	EXPECT_EQ(TA_HUGE / TA_PAGE, m.skipped_pages);
	EXPECT_EQ(TA_HUGE, m.moved_bytes);
	ta_touch(p, len);
	ASSERT_EQ(0, ta_page_nodes(p, TA_HUGE, fast, &on, &off));
	EXPECT_EQ(512, on);
	EXPECT_EQ(0, off);
	EXPECT_EQ(512, ta_pages_on_node(p + TA_HUGE, TA_HUGE, slow));
	if (want_pmd(self))
		EXPECT_EQ((long)(len >> 10), smaps_kb(p, "FilePmdMapped:"));
	EXPECT_EQ(TA_HUGE, ta_mismatch(p, TA_HUGE, 3));
	EXPECT_EQ(TA_PAGE, ta_mismatch(p + TA_HUGE + 9 * TA_PAGE, TA_PAGE, 99));

	/* The pipe still holds the page as it was at vmsplice() time. */
	ASSERT_EQ((ssize_t)TA_PAGE, read(pp[0], buf, TA_PAGE));
	EXPECT_EQ(0, memcmp(buf, held, TA_PAGE));
	close(pp[0]);
	close(pp[1]);
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, TA_MOVE_PARTIAL, &m));
	EXPECT_EQ(0, m.skipped_pages);
	ta_touch(p, len);
	EXPECT_EQ(1024, ta_pages_on_node(p, len, slow));
	EXPECT_EQ(1024, ta_numa_maps_pages(p, slow));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * A whole move of a mapped 8 MiB HUGE region moves every chunk as a folio
 * (the destination's huge_pages counter grows by 4) and the chunks are
 * PMD-mapped again on the next touch; a partial move of one chunk back
 * puts exactly it on FAST.  Data checked after each move, placement by
 * move_pages(2) and numa_maps.
 */
TEST_F(pmd, move_whole_and_partial)
{
	const size_t len = 4 * TA_HUGE;
	int fast = ta_tier_node(self->fd, TA_TIER_FAST),
	    slow = ta_tier_node(self->fd, TA_TIER_SLOW);
	struct ta_region_create req;
	struct ta_region_move m;
	struct ta_stats s0, s1;
	char *p;

	if (!self->ready)
		return;
	if (fast == slow)
		SKIP(return, "FAST and SLOW share node %d", fast);
	p = ta_create_map(self->fd, len, TA_TIER_FAST, TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 11);
	ASSERT_EQ(0, ta_get_stats(self->fd, &s0));
	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_SLOW, 0, 0, TA_MOVE_PARTIAL, &m));
	ASSERT_EQ(0, ta_get_stats(self->fd, &s1));
	EXPECT_EQ(len, m.moved_bytes);
	EXPECT_EQ(0, m.skipped_pages);
	EXPECT_EQ(0, m.huge_fallbacks);
	EXPECT_EQ(4, s1.tier[TA_TIER_SLOW].huge_pages - s0.tier[TA_TIER_SLOW].huge_pages);
	EXPECT_EQ(len, ta_mismatch(p, len, 11));
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(p, len, slow));
	EXPECT_EQ((long)(len / TA_PAGE), ta_numa_maps_pages(p, slow));
	if (want_pmd(self))
		EXPECT_EQ((long)(len >> 10), smaps_kb(p, "FilePmdMapped:"));

	ASSERT_EQ(0, ta_move(self->fd, req.handle, TA_TIER_FAST, 2 * TA_HUGE, TA_HUGE,
			     TA_MOVE_PARTIAL, &m));
	EXPECT_EQ(TA_HUGE, m.moved_bytes);
	EXPECT_EQ(len, ta_mismatch(p, len, 11));
	EXPECT_EQ(512, ta_pages_on_node(p + 2 * TA_HUGE, TA_HUGE, fast));
	EXPECT_EQ(1536, ta_pages_on_node(p, len, slow));
	EXPECT_EQ(512, ta_numa_maps_pages(p, fast));
	if (want_pmd(self))
		EXPECT_EQ((long)(len >> 10), smaps_kb(p, "FilePmdMapped:"));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* A /proc/vmstat counter, or -1. */
static long long vmstat(const char *key)
{
	char line[128];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

/*
 * NUMA balancing scans mappings that are not VM_MIXEDMAP (7.3 here) and
 * may take hint faults on a region's pages, but the pages are not on the
 * LRU, so it cannot move them: a HUGE and a 4 KiB region on SLOW, read
 * from a CPU of FAST's node for 4 s with numa_balancing on, stay whole on
 * SLOW's node with their data.
 */
TEST_F(pmd, numa_balancing_keeps_placement)
{
	const size_t len = 2 * TA_HUGE;
	int slow = ta_tier_node(self->fd, TA_TIER_SLOW),
	    fast = ta_tier_node(self->fd, TA_TIER_FAST);
	struct ta_region_create rh, r4;
	char saved[16] = "";
	long long hints;
	double t0;
	char *h, *q;

	if (!self->ready)
		return;
	if (fast == slow)
		SKIP(return, "FAST and SLOW share node %d", fast);
	if (ta_read_file("/proc/sys/kernel/numa_balancing", saved, sizeof(saved)) < 0 ||
	    ta_write_file("/proc/sys/kernel/numa_balancing", "1"))
		SKIP(return, "no NUMA balancing to turn on");
	h = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_HUGE, &rh);
	q = ta_create_map(self->fd, len, TA_TIER_SLOW, TA_REGION_TIER, &r4);
	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, q);
	ta_fill(h, len, 21);
	ta_fill(q, len, 22);
	hints = vmstat("numa_hint_faults");
	for (t0 = ta_now(); ta_now() - t0 < 4;) {
		EXPECT_EQ(len, ta_mismatch(h, len, 21));
		EXPECT_EQ(len, ta_mismatch(q, len, 22));
	}
	TH_LOG("%lld NUMA hint faults while reading", vmstat("numa_hint_faults") - hints);
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(h, len, slow));
	EXPECT_EQ((long)(len / TA_PAGE), ta_pages_on_node(q, len, slow));
	ta_write_file("/proc/sys/kernel/numa_balancing", saved);
	EXPECT_EQ(0, munmap(h, len));
	EXPECT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, ta_free_handle(self->fd, rh.handle));
	EXPECT_EQ(0, ta_free_handle(self->fd, r4.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

TEST_HARNESS_MAIN
