// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: several processes create, touch, move, discard and free TierAlloc
 * regions on every tier while stress-ng's memory stressors work the same
 * NUMA nodes.  Checks that every worker finishes without an unexpected
 * error, that the module's accounting is back to where it started, and that
 * each node's free memory (buddy + per-CPU lists) is back to its baseline.
 *
 * TA_STRESS_SECONDS (default 20) sets the length.  Skips loudly without
 * /dev/tieralloc or stress-ng.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ta_test.h"

#define WORKERS	  4
#define MAX_NODES 8
/* Per-CPU and slab caches still move a little after drop_caches. */
#define FREE_SLACK (8 * TA_MIB)

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Page cache and reclaimable slab out of the way, so free memory compares. */
static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		(void)!write(fd, "3", 1);
		close(fd);
	}
	ta_settle();
}

/* Is any stress-ng process left?  (/proc/PID/comm of every process.) */
static bool stress_ng_running(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fgets(comm, sizeof(comm), f) && !strncmp(comm, "stress-ng", 9);
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* One worker: region churn until @end; exit status = unexpected errors. */
static int churn(int id, double end)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL * (id + 1);
	int fd = ta_open_dev(), bad = 0;

	if (fd < 0)
		return 1;
	while (ta_now() < end) {
		uint32_t flags = TA_REGION_TIER | (xorshift(&s) % 8 == 0 ? TA_REGION_HUGE : 0);
		uint64_t size = (1 + xorshift(&s) % 32) * 256 * 1024;
		struct ta_region_create req;
		struct ta_region_move m = { 0 };
		struct ta_region_discard d = { 0 };
		char *p;
		int ret;

		p = ta_create_map(fd, size, (uint32_t)(xorshift(&s) % TA_NR_TIERS), flags, &req);
		if (!p) {
			/* Memory pressure may refuse a region; that is not a bug. */
			if (errno != ENOMEM)
				bad++;
			continue;
		}
		memset(p, id, req.granted_size);
		m.handle = req.handle;
		m.dst_tier = (uint32_t)(xorshift(&s) % TA_NR_TIERS);
		m.flags = TA_MOVE_PARTIAL;
		ret = ioctl(fd, TA_IOC_REGION_MOVE, &m);
		if (ret && errno != ENOMEM)
			bad++;
		if (xorshift(&s) % 2) {
			d.handle = req.handle;
			if (ioctl(fd, TA_IOC_REGION_DISCARD, &d))
				bad++;
		} else {
			for (uint64_t i = 0; i < req.granted_size; i += TA_PAGE)
				if (p[i] != (char)id) {
					bad++;
					break;
				}
		}
		munmap(p, req.granted_size);
		if (ta_free_handle(fd, req.handle))
			bad++;
	}
	close(fd);
	return bad > 255 ? 255 : bad;
}

TEST(regions_under_memory_stress)
{
	const char *env = getenv("TA_STRESS_SECONDS");
	int secs = env && atoi(env) > 0 ? atoi(env) : 20, nodes = ta_memory_nodes();
	long long free0[MAX_NODES], free1[MAX_NODES];
	pid_t workers[WORKERS], stressor;
	struct ta_stats s0;
	char arg[32];
	int fd, st, bad = 0;
	double end;

	TH_LOG("checks %d region-churning processes next to stress-ng --vm for %d s: "
	       "no errors, accounting and every node's free memory back to baseline",
	       WORKERS, secs);
	fd = ta_open_dev();
	if (fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	if (system("command -v stress-ng >/dev/null 2>&1") != 0)
		SKIP(return, "stress-ng is not installed (make deps installs it)");
	if (nodes > MAX_NODES)
		nodes = MAX_NODES;
	ASSERT_EQ(0, ta_get_stats(fd, &s0));
	drop_caches();
	for (int n = 0; n < nodes; n++)
		free0[n] = ta_node_free(n);

	end = ta_now() + secs;
	snprintf(arg, sizeof(arg), "%ds", secs);
	stressor = fork();
	ASSERT_LE(0, stressor);
	if (stressor == 0) {
		/* Interleaved over every node: the pressure lands on all tiers. */
		execlp("numactl", "numactl", "--interleave=all", "stress-ng", "--vm", "2",
		       "--vm-bytes", "15%", "--timeout", arg, "--quiet", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < WORKERS; i++) {
		workers[i] = fork();
		ASSERT_LE(0, workers[i]);
		if (workers[i] == 0)
			_exit(churn(i, end));
	}
	for (int i = 0; i < WORKERS; i++) {
		ASSERT_EQ(workers[i], waitpid(workers[i], &st, 0));
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			TH_LOG("worker %d: %s %d", i,
			       WIFEXITED(st) ? "unexpected errors" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			bad++;
		}
	}
	ASSERT_EQ(stressor, waitpid(stressor, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
	TH_LOG("stress-ng failed: status %#x", st);
	EXPECT_EQ(0, bad);
	/*
	 * stress-ng's own workers may still be exiting and freeing their
	 * memory: the baseline is compared once they are gone.
	 */
	for (int tries = 0; tries < 300 && stress_ng_running(); tries++)
		usleep(100 * 1000);
	EXPECT_FALSE(stress_ng_running());

	ta_expect_baseline(fd, &s0);
	for (int tries = 0; tries < 50; tries++) {
		int behind = 0;

		drop_caches();
		for (int n = 0; n < nodes; n++) {
			free1[n] = ta_node_free(n);
			behind |= free1[n] < free0[n] - FREE_SLACK;
		}
		if (!behind)
			break;
	}
	for (int n = 0; n < nodes; n++) {
		TH_LOG("node %d free: %lld -> %lld MiB", n, free0[n] >> 20, free1[n] >> 20);
		EXPECT_GE(free1[n], free0[n] - FREE_SLACK);
	}
	close(fd);
}

TEST_HARNESS_MAIN
