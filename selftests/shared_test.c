// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko on a shared machine.  /dev/tieralloc is mode 0666, so what
 * one unprivileged user does with it must not corrupt the kernel, escape its
 * memory cgroup, take more than its share, or stall other users; and what
 * an administrator writes into sysfs is parsed strictly.
 *
 * The tests run as root and do the other user's part in a forked child that
 * drops to nobody (65534) before opening anything, inside a fresh memory
 * cgroup where the test needs one.  Every test fails if the kernel logged a
 * report (WARNING, BUG, refcount_t, Oops, KASAN, ...) while it ran, and
 * checks that the module's accounting is back to where it started once its
 * regions are gone.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "ta_test.h"

#define NOBODY	  65534
#define OTHER_UID 65533
#define MAX_KIDS  4

#define SYSFS_FAST	  "/sys/class/misc/tieralloc/fast"
#define PARAMS		  "/sys/module/tieralloc/parameters/"
#define MAX_REGIONS_PARAM PARAMS "max_regions_per_user"
#define MAX_BYTES_PARAM	  PARAMS "max_bytes_per_user"
#define RESERVE_PARAM	  PARAMS "unpriv_reserve"

/* What a child tells the test: why it failed, and some numbers. */
struct kid_report {
	char msg[512];
	long long v[16];
};

/* In a child: its own slot of the fixture's shared reports. */
static struct kid_report *kid_rep;

/* In a child: record why it failed and exit 1. */
#define KID_FAIL(fmt, ...)                                                              \
	do {                                                                            \
		snprintf(kid_rep->msg, sizeof(kid_rep->msg), "line %d: " fmt, __LINE__, \
			 ##__VA_ARGS__);                                                \
		_exit(1);                                                               \
	} while (0)

#define KID_CHECK(cond, fmt, ...)                                   \
	do {                                                        \
		if (!(cond))                                        \
			KID_FAIL("%s: " fmt, #cond, ##__VA_ARGS__); \
	} while (0)

FIXTURE(shared)
{
	bool ready; /* setup did not SKIP (the 6.1 harness runs the body anyway) */
	int fd;
	int kmsg;
	struct ta_saved_cfg saved;
	bool cfg_changed;
	struct ta_stats base;
	struct ta_cgroup cg;
	pid_t kids[MAX_KIDS];
	struct kid_report *rep; /* MAX_KIDS slots, shared with the children */
	const char *param;	/* the module parameter the test changed, */
	char param_saved[32];	/* and its value before */
	int kernel_reports;	/* kernel reports seen so far */
};

/* Kernel reports (WARNING, BUG, ...) logged since the test began; printed as they are read. */
static int kernel_reports(FIXTURE_DATA(shared) * self)
{
	if (self->kmsg >= 0)
		self->kernel_reports += ta_kmsg_reports(self->kmsg);
	return self->kernel_reports;
}

FIXTURE_SETUP(shared)
{
	self->fd = -1;
	self->kmsg = -1;
	self->rep = MAP_FAILED;
	self->fd = ta_open_dev();
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	if (geteuid())
		SKIP(return, "needs root: the tests make the other users themselves");
	self->rep = mmap(NULL, MAX_KIDS * sizeof(*self->rep), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rep);
	memset(self->rep, 0, MAX_KIDS * sizeof(*self->rep));
	ta_save_cfg(self->fd, &self->saved);
	self->kmsg = ta_kmsg_open();
	ASSERT_LE(0, self->kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	ta_settle();
	ASSERT_EQ(0, ta_get_stats(self->fd, &self->base));
	self->ready = true;
}

FIXTURE_TEARDOWN(shared)
{
	int i, bad;

	for (i = 0; i < MAX_KIDS; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	ta_cg_remove(&self->cg);
	if (self->param)
		ta_write_file(self->param, self->param_saved);
	if (self->fd >= 0) {
		if (self->cfg_changed)
			ta_restore_cfg(self->fd, &self->saved);
		close(self->fd);
	}
	if (self->kmsg >= 0) {
		bad = kernel_reports(self);
		EXPECT_EQ(0, bad)
		TH_LOG("the kernel logged %d report(s) during this test (above)", bad);
		close(self->kmsg);
	}
	if (self->rep != MAP_FAILED)
		munmap(self->rep, MAX_KIDS * sizeof(*self->rep));
}

/*
 * Fork the test's child in @slot.  The child leaves the fixture's device
 * and /dev/kmsg behind, joins the fixture's cgroup if @in_cg, becomes @uid
 * for good and dies with the test.  Returns 0 in the child, the pid (or -1)
 * in the parent.
 */
static pid_t kid_fork(FIXTURE_DATA(shared) * self, int slot, uid_t uid, bool in_cg)
{
	pid_t parent = getpid(), pid;
	int ret;

	memset(&self->rep[slot], 0, sizeof(self->rep[slot]));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid) {
		if (pid > 0)
			self->kids[slot] = pid;
		return pid;
	}
	kid_rep = &self->rep[slot];
	close(self->fd);
	close(self->kmsg);
	if (in_cg) {
		ret = ta_cg_enter(&self->cg, getpid());
		KID_CHECK(!ret, "joining %s: %s", self->cg.path, strerror(-ret));
	}
	ret = ta_become_user(uid, uid);
	KID_CHECK(!ret, "becoming uid %u: %s", uid, strerror(-ret));
	/* Set after the ID change, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	return 0;
}

/* Wait up to @secs for the child in @slot: its wait status, or -1 if it still runs. */
static int kid_wait(FIXTURE_DATA(shared) * self, int slot, double secs)
{
	double end = ta_now() + secs;
	pid_t r;
	int st;

	if (self->kids[slot] <= 0)
		return -1;
	for (;;) {
		r = waitpid(self->kids[slot], &st, WNOHANG);
		if (r == self->kids[slot] || r < 0) {
			self->kids[slot] = 0;
			return r < 0 ? -1 : st;
		}
		if (ta_now() > end)
			return -1;
		usleep(10 * 1000);
	}
}

static const char *kid_how(int st, char *buf, size_t size)
{
	if (st == -1)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(st))
		snprintf(buf, size, "exited with %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, size, "status %#x", st);
	return buf;
}

static bool kid_ok(int st)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int send_byte(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

/* A byte from @fd within @secs: the byte, or -1 (timeout, EOF, error). */
static int recv_byte(int fd, double secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, (int)(secs * 1000)) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

/* The child in @slot's next handshake byte must be @want; else fail, saying why. */
static void kid_expect(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self, int slot,
		       int rfd, char want, double secs)
{
	int c = recv_byte(rfd, secs), st;
	char how[64];

	if (c == want)
		return;
	st = kid_wait(self, slot, 5);
	ASSERT_EQ(want, c)
	TH_LOG("child %s: %s", kid_how(st, how, sizeof(how)), self->rep[slot].msg);
}

/* Free memory of all nodes together, bytes. */
static long long all_nodes_free(void)
{
	long long sum = 0, f;
	int n;

	for (n = 0; n < 64; n++) {
		f = ta_node_free(n);
		if (f > 0)
			sum += f;
	}
	return sum;
}

/* ---- sysfs input ---- */

static long long sysfs_u64(const char *path)
{
	char buf[64];

	return ta_read_file(path, buf, sizeof(buf)) > 0 ? (long long)strtoull(buf, NULL, 10) : -1;
}

/* write(2) of @s in one call to a fresh open of @path: its result, errno kept. */
static ssize_t sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return -2;
	n = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	errno = err;
	return n;
}

/*
 * Set the module parameter @path to @val, keeping its old value for
 * param_restore() (or the teardown).  0, or -1 with errno set.
 */
static int param_set(FIXTURE_DATA(shared) * self, const char *path, const char *val)
{
	char buf[sizeof(self->param_saved)];
	int ret;

	ret = ta_read_file(path, buf, sizeof(buf));
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	buf[strcspn(buf, "\n")] = 0;
	strcpy(self->param_saved, buf);
	self->param = path;
	printf("# %s was %s, now %s\n", path, buf, val);
	ret = ta_write_file(path, val);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static int param_restore(FIXTURE_DATA(shared) * self)
{
	int ret = ta_write_file(self->param, self->param_saved);

	self->param = NULL;
	return ret;
}

/*
 * Size and rate files take a number with an optional K/M/G/T/P/E suffix
 * and nothing else: overflow ("16384P", 2^64) and junk after the number
 * ("64M junk", "64MM", "-1") are refused -- write() fails -- and leave the
 * value as it was; "64M" and "64M\n" set 64 MiB.
 */
TEST_F(shared, sysfs_sizes_reject_overflow_and_junk)
{
	if (!self->ready)
		return;
	static const char *const junk[] = { "16384P", "64M junk", "18446744073709551616", "-1",
					    "64MM" };
	static const char *const file[] = { "soft_cap", "rate" };
	struct ta_tier_config c = {
		.tier = TA_TIER_FAST,
		.valid = TA_CFG_SOFT_CAP | TA_CFG_HARD_CAP | TA_CFG_RATE,
		.soft_cap = 32 * TA_MIB,
		.hard_cap = 0,
		.rate = 32 * TA_MIB,
	};
	char path[128];
	long long before, after;
	ssize_t n;
	size_t f, j;

	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	self->cfg_changed = true;
	for (f = 0; f < 2; f++) {
		snprintf(path, sizeof(path), SYSFS_FAST "/%s", file[f]);
		before = sysfs_u64(path);
		ASSERT_EQ(32 * TA_MIB, before) TH_LOG("%s", path);
		for (j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			n = sysfs_write(path, junk[j]);
			after = sysfs_u64(path);
			EXPECT_EQ(-1, n)
			TH_LOG("%s accepted \"%s\" (write returned %zd; reads %lld now)", path,
			       junk[j], n, after);
			EXPECT_EQ(before, after) TH_LOG("%s changed by \"%s\"", path, junk[j]);
			if (after != before) { /* for the next string */
				ASSERT_EQ(0, ta_set_tier(self->fd, &c));
			}
		}
		n = sysfs_write(path, "64M\n");
		EXPECT_EQ(4, n) TH_LOG("\"64M\\n\": %s", strerror(errno));
		EXPECT_EQ(64 * TA_MIB, sysfs_u64(path));
		ASSERT_EQ(0, ta_set_tier(self->fd, &c));
		n = sysfs_write(path, "64M");
		EXPECT_EQ(3, n) TH_LOG("\"64M\": %s", strerror(errno));
		EXPECT_EQ(64 * TA_MIB, sysfs_u64(path));
	}
	ta_restore_cfg(self->fd, &self->saved);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* ---- regions per user ---- */

/* In a child: create one 4 KiB region and exit 0. */
static void kid_one_region(uint64_t size)
{
	struct ta_region_create req;
	int fd = ta_open_dev(), ret;

	KID_CHECK(fd >= 0, "%s", strerror(errno));
	ret = ta_create(fd, size, TA_HINT_COLD, 0, &req);
	KID_CHECK(!ret, "a region of %llu bytes of uid %u: %s", (unsigned long long)size, getuid(),
		  strerror(-ret));
	_exit(0);
}

/*
 * While nobody (slot 0) sits at a limit: another user still gets a region
 * of @size, and root one of @root_size.
 */
static void others_unaffected(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self,
			      uint64_t size, uint64_t root_size)
{
	struct ta_region_create req;
	char how[64];
	pid_t pid;
	int st;

	pid = kid_fork(self, 1, OTHER_UID, false);
	ASSERT_LE(0, pid);
	if (pid == 0)
		kid_one_region(size);
	st = kid_wait(self, 1, 60);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("uid %d %s: %s", OTHER_UID, kid_how(st, how, sizeof(how)), self->rep[1].msg);
	EXPECT_EQ(0, ta_create(self->fd, root_size, TA_HINT_COLD, 0, &req)) TH_LOG("root");
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
}

/*
 * Let nobody (slot 0, waiting for a 'g' on @p2k) finish, check that it did,
 * put the module parameter back and check the accounting is at baseline.
 */
static void kid_release(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self, int p2k,
			int k2p)
{
	char how[64];
	int st;

	ASSERT_EQ(0, send_byte(p2k, 'g'));
	st = kid_wait(self, 0, 120);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("nobody %s: %s", kid_how(st, how, sizeof(how)), self->rep[0].msg);
	close(p2k);
	close(k2p);
	if (self->param)
		EXPECT_EQ(0, param_restore(self));
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * One user cannot take every region handle of the machine: the module
 * parameter max_regions_per_user (root-writable, default 65536) bounds the
 * live regions of a uid.  With it at 200, nobody creates 4 KiB regions on
 * two files until refused: exactly 200 succeed, the 201st fails with
 * EDQUOT; meanwhile another user (65533) and root can still create
 * regions; once nobody's regions are freed it can create again.
 */
TEST_F(shared, region_limit_per_user)
{
	if (!self->ready)
		return;
	const int limit = 200;
	struct ta_region_create req;
	int p2k[2], k2p[2];
	char buf[32];
	pid_t pid;

	snprintf(buf, sizeof(buf), "%d", limit);
	ASSERT_EQ(0, param_set(self, MAX_REGIONS_PARAM, buf))
	TH_LOG("%s: %s -- the per-user region limit is part of the design", MAX_REGIONS_PARAM,
	       strerror(errno));

	ASSERT_EQ(0, pipe(p2k));
	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static uint32_t handles[1024];
		int fd[2] = { ta_open_dev(), ta_open_dev() }, n = 0, ret = 0;

		KID_CHECK(fd[0] >= 0 && fd[1] >= 0, "%s", strerror(errno));
		while (n < 1000) {
			ret = ta_create(fd[n % 2], TA_PAGE, TA_HINT_COLD, 0, &req);
			if (ret)
				break;
			handles[n++] = req.handle;
		}
		kid_rep->v[0] = n;
		kid_rep->v[1] = ret;
		send_byte(k2p[1], 'h');
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		/* Free half by handle, the rest by closing its file. */
		for (int i = 0; i < n; i += 2)
			KID_CHECK(!ta_free_handle(fd[0], handles[i]), "%s", strerror(errno));
		close(fd[1]);
		ret = ta_create(fd[0], TA_PAGE, TA_HINT_COLD, 0, &req);
		KID_CHECK(!ret, "after freeing its regions: %s", strerror(-ret));
		_exit(0);
	}
	close(p2k[0]);
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 'h', 300);
	TH_LOG("nobody: %lld regions, then %s", self->rep[0].v[0],
	       self->rep[0].v[1] ? strerror(-self->rep[0].v[1]) : "stopped at 1000");
	EXPECT_EQ(limit, self->rep[0].v[0]);
	EXPECT_EQ(-EDQUOT, self->rep[0].v[1]);

	/* Another user, and root, are not affected by nobody's regions. */
	others_unaffected(_metadata, self, TA_PAGE, TA_PAGE);
	kid_release(_metadata, self, p2k[1], k2p[0]);
}

/*
 * max_bytes_per_user (root-writable, 0 = no limit) bounds the sizes of one
 * user's live regions, populated or not: at 64M nobody gets exactly four
 * regions of 16 MiB, then EDQUOT for any size, and one more after freeing
 * one.  Another user and root are not affected; the value takes the strict
 * size syntax ("64M junk" refused, value kept).
 */
TEST_F(shared, byte_limit_per_user)
{
	if (!self->ready)
		return;
	const uint64_t part = 16 * TA_MIB;
	struct ta_region_create req;
	int p2k[2], k2p[2];
	pid_t pid;

	ASSERT_EQ(0, param_set(self, MAX_BYTES_PARAM, "64M"))
	TH_LOG("%s: %s -- a per-user byte limit is part of the design", MAX_BYTES_PARAM,
	       strerror(errno));
	EXPECT_EQ(64LL << 20, sysfs_u64(MAX_BYTES_PARAM));
	EXPECT_EQ(-1, sysfs_write(MAX_BYTES_PARAM, "64M junk"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sysfs_write(MAX_BYTES_PARAM, "16384P"));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(64LL << 20, sysfs_u64(MAX_BYTES_PARAM));

	ASSERT_EQ(0, pipe(p2k));
	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint32_t handles[8];
		int fd = ta_open_dev(), n = 0, ret = 0;

		KID_CHECK(fd >= 0, "%s", strerror(errno));
		while (n < 8) {
			ret = ta_create(fd, part, TA_HINT_COLD, n % 2 ? TA_REGION_HUGE : 0, &req);
			if (ret)
				break;
			handles[n++] = req.handle;
		}
		kid_rep->v[0] = n;
		kid_rep->v[1] = ret;
		kid_rep->v[2] = ta_create(fd, TA_PAGE, TA_HINT_COLD, 0, &req);
		send_byte(k2p[1], 'h');
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		KID_CHECK(n > 0 && !ta_free_handle(fd, handles[0]), "%s", strerror(errno));
		ret = ta_create(fd, part, TA_HINT_COLD, 0, &req);
		KID_CHECK(!ret, "after freeing 16 MiB: %s", strerror(-ret));
		ret = ta_create(fd, TA_PAGE, TA_HINT_COLD, 0, &req);
		KID_CHECK(ret == -EDQUOT, "a page over the limit: %s", strerror(-ret));
		_exit(0);
	}
	close(p2k[0]);
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 'h', 300);
	TH_LOG("nobody: %lld regions of 16 MiB, then %s; one page: %s", self->rep[0].v[0],
	       strerror(-self->rep[0].v[1]), strerror(-self->rep[0].v[2]));
	EXPECT_EQ(4, self->rep[0].v[0]);
	EXPECT_EQ(-EDQUOT, self->rep[0].v[1]);
	EXPECT_EQ(-EDQUOT, self->rep[0].v[2]);

	/* Another user holds its own 64 MiB; root is not limited. */
	others_unaffected(_metadata, self, 64 * TA_MIB, 128 * TA_MIB);
	kid_release(_metadata, self, p2k[1], k2p[0]);
}

/* A /proc/meminfo field, bytes; -1 if missing. */
static long long meminfo(const char *field)
{
	char line[128];
	long long kb = -1;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtoll(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb < 0 ? -1 : kb << 10;
}

/*
 * Outside any memory cgroup, an unprivileged user populating regions
 * (never mapped, so in no process's RSS and invisible to the OOM killer)
 * until refused is refused with ENOMEM while unpriv_reserve is still
 * available (MemAvailable), and a bystander can then take half of it
 * without anyone being killed.  Before the reserve, the holder took the
 * machine down to its watermarks and a bystander's allocation went to the
 * OOM killer, which cannot see the holder.
 */
TEST_F_TIMEOUT(shared, unprivileged_regions_leave_reserve, 300)
{
	if (!self->ready)
		return;
	const long long reserve = 512LL << 20, slack = 48LL << 20;
	const uint64_t part = 64 * TA_MIB;
	long long total = meminfo("MemTotal"), before, at_stop;
	int p2k[2], k2p[2], st;
	char how[64];
	pid_t pid;

	ASSERT_LT(0, total);
	if (param_set(self, RESERVE_PARAM, "512M"))
		TH_LOG("%s: %s -- the reserve is part of the design; testing without it",
		       RESERVE_PARAM, strerror(errno));
	before = meminfo("MemAvailable");
	TH_LOG("MemTotal %lld MiB, MemAvailable %lld MiB, reserve %lld MiB", total >> 20,
	       before >> 20, reserve >> 20);
	ASSERT_LT(reserve + (256LL << 20), before) TH_LOG("too little memory for this test");

	ASSERT_EQ(0, pipe(p2k));
	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create req;
		const uint32_t hints[] = { TA_HINT_HOT, TA_HINT_WARM, TA_HINT_COLD };
		int fd = ta_open_dev(), ret, live = 3, err[3] = { 0 };
		long long made = 0;

		KID_CHECK(fd >= 0, "%s", strerror(errno));
		/* 2 MiB chunks on every tier, round robin, until each is refused. */
		for (int i = 0; live && made < total; i = (i + 1) % 3) {
			if (err[i])
				continue;
			ret = ta_create(fd, part, hints[i], TA_REGION_HUGE | TA_REGION_POPULATE,
					&req);
			if (ret) {
				err[i] = ret;
				live--;
				continue;
			}
			made += part;
		}
		kid_rep->v[0] = made;
		for (int i = 0; i < 3; i++)
			kid_rep->v[1 + i] = err[i];
		send_byte(k2p[1], 'h');
		/* Hold the regions, unmapped, until the test is done. */
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		_exit(0);
	}
	close(p2k[0]);
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 'h', 240);
	at_stop = meminfo("MemAvailable");
	TH_LOG("nobody populated %lld MiB; refused with %s/%s/%s; MemAvailable then %lld MiB",
	       self->rep[0].v[0] >> 20, strerror(-self->rep[0].v[1]), strerror(-self->rep[0].v[2]),
	       strerror(-self->rep[0].v[3]), at_stop >> 20);
	for (int i = 1; i <= 3; i++)
		EXPECT_EQ(-ENOMEM, self->rep[0].v[i]);
	/* It did populate down to the reserve: the reserve, not chance, stopped it. */
	EXPECT_LT(before - reserve - 4 * part, self->rep[0].v[0]);
	ASSERT_LE(reserve - slack, at_stop)
	TH_LOG("the holder of unmapped regions left less than the reserve");

	/* A bystander takes half the reserve: nobody is killed. */
	pid = kid_fork(self, 1, OTHER_UID, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t len = (size_t)reserve / 2;
		char *p =
			mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		KID_CHECK(p != MAP_FAILED, "%s", strerror(errno));
		memset(p, 0x5a, len);
		_exit(0);
	}
	st = kid_wait(self, 1, 120);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("bystander %s: %s", kid_how(st, how, sizeof(how)), self->rep[1].msg);
	EXPECT_EQ(-1, kid_wait(self, 0, 0)) TH_LOG("the holder died");

	kid_release(_metadata, self, p2k[1], k2p[0]);
}

/* ---- memory cgroups ---- */

/* Make the fixture's cgroup with memory.max = @max, or SKIP saying why. */
#define MAKE_CGROUP(max)                                                         \
	do {                                                                     \
		char __name[64], __why[256];                                     \
                                                                                 \
		snprintf(__name, sizeof(__name), "ta-shared-%d", (int)getpid()); \
		if (ta_cg_make(&self->cg, __name, (max), __why, sizeof(__why)))  \
			SKIP(return, "no memory cgroup: %s", __why);             \
	} while (0)

/*
 * Pages of a region are charged to the memory cgroup of the process that
 * allocates them, and a cgroup at its memory.max is refused more, with an
 * error and not a kill: a nobody child in a cgroup of memory.max = 64 MiB
 * populates a 32 MiB HUGE region (2 MiB folios; memory.current grows by
 * it), then 8 MiB populated regions, HUGE and 4 KiB in turn, until 1 GiB:
 * refused with ENOMEM before memory.max, and it is still alive.  The nodes
 * lose no more than memory.max.
 */
TEST_F(shared, memcg_charges_region_pages)
{
	if (!self->ready)
		return;
	const long long max = 64 * TA_MIB, slack = 16 * TA_MIB;
	long long cur0, cur1, cur2, free0, free1, total;
	int p2k[2], k2p[2], st;
	char how[64];
	pid_t pid;

	MAKE_CGROUP(max);
	ASSERT_EQ(0, pipe(p2k));
	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, true);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create req;
		int fd = ta_open_dev(), ret, n = 0;
		long long sum = 0;

		KID_CHECK(fd >= 0, "%s", strerror(errno));
		send_byte(k2p[1], 'r');
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		ret = ta_create(fd, 32 * TA_MIB, TA_HINT_COLD, TA_REGION_POPULATE | TA_REGION_HUGE,
				&req);
		kid_rep->v[0] = ret;
		sum = ret ? 0 : 32 * TA_MIB;
		send_byte(k2p[1], 'p');
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		while (sum < 1024 * (long long)TA_MIB) {
			ret = ta_create(fd, 8 * TA_MIB, TA_HINT_COLD,
					TA_REGION_POPULATE | (n % 2 ? 0 : TA_REGION_HUGE), &req);
			if (ret)
				break;
			sum += 8 * TA_MIB;
			n++;
		}
		kid_rep->v[1] = n;
		kid_rep->v[2] = ret;
		kid_rep->v[3] = sum;
		send_byte(k2p[1], 'f');
		/* Hold it all until the test has looked. */
		KID_CHECK(recv_byte(p2k[0], 600) == 'g', "no go from the test");
		_exit(0);
	}
	close(p2k[0]);
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 'r', 60);
	ta_settle();
	cur0 = ta_cg_get(&self->cg, "memory.current");
	free0 = all_nodes_free();
	ASSERT_LE(0, cur0);

	ASSERT_EQ(0, send_byte(p2k[1], 'g'));
	kid_expect(_metadata, self, 0, k2p[0], 'p', 300);
	cur1 = ta_cg_get(&self->cg, "memory.current");
	TH_LOG("32 MiB populated: memory.current %lld -> %lld KiB", cur0 >> 10, cur1 >> 10);
	EXPECT_EQ(0, self->rep[0].v[0])
	TH_LOG("populating 32 MiB under memory.max 64 MiB: %s", strerror(-self->rep[0].v[0]));
	EXPECT_LE(cur0 + 30 * (long long)TA_MIB, cur1)
	TH_LOG("the region's pages are not charged to the cgroup that allocated them");

	ASSERT_EQ(0, send_byte(p2k[1], 'g'));
	kid_expect(_metadata, self, 0, k2p[0], 'f', 600);
	cur2 = ta_cg_get(&self->cg, "memory.current");
	ta_settle();
	free1 = all_nodes_free();
	total = self->rep[0].v[3];
	TH_LOG("then %lld regions of 8 MiB: %lld MiB populated in all, stopped by %s; "
	       "memory.current %lld KiB; free memory of the nodes %lld -> %lld MiB",
	       self->rep[0].v[1], total >> 20,
	       self->rep[0].v[2] ? strerror(-self->rep[0].v[2]) : "nothing (1 GiB reached)",
	       cur2 >> 10, free0 >> 20, free1 >> 20);
	EXPECT_EQ(-ENOMEM, self->rep[0].v[2])
	TH_LOG("populating past memory.max must fail, ENOMEM");
	EXPECT_LE(total, max) TH_LOG("populated more than memory.max");
	EXPECT_LE(free0 - free1, max + slack) TH_LOG("more than memory.max left the nodes");
	EXPECT_LE(cur2, max);

	ASSERT_EQ(0, send_byte(p2k[1], 'g'));
	st = kid_wait(self, 0, 120);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("the refused child must live on: it %s: %s", kid_how(st, how, sizeof(how)),
	       self->rep[0].msg);
	close(p2k[1]);
	close(k2p[0]);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/*
 * Pages a region gets at fault time are charged too: a nobody child in a
 * cgroup of memory.max = 32 MiB maps a 256 MiB region and touches every
 * page.  It must be stopped at the limit -- killed (SIGKILL by the memcg
 * OOM killer, or SIGBUS) having touched no more than memory.max but at
 * least half of it, with memory.current never above memory.max (but for
 * what the kernel itself charges by force) and memory.events counting
 * "max" or "oom" -- and the test process outside the cgroup keeps its own
 * region and can allocate more.
 */
TEST_F(shared, memcg_fault_stays_in_cgroup)
{
	if (!self->ready)
		return;
	const long long max = 32 * TA_MIB, over = TA_MIB;
	const size_t len = 256 * TA_MIB, mine = 8 * TA_MIB;
	long long cur, seen = 0, peak, ev0[3], ev1[3], touched;
	static const char *const ev[3] = { "max", "oom", "oom_kill" };
	struct ta_region_create req, req2;
	int k2p[2], st = -1, i;
	char how[64], *p, *q;
	double end;
	size_t j;
	pid_t pid;

	MAKE_CGROUP(max);
	/* The bystander's memory, outside the cgroup. */
	p = ta_create_map(self->fd, mine, TA_HINT_COLD, 0, &req);
	ASSERT_NE(NULL, p);
	memset(p, 0x5c, mine);
	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, true);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create r;
		char *m;
		size_t n;

		m = ta_create_map(ta_open_dev(), len, TA_HINT_COLD, 0, &r);
		KID_CHECK(m, "%s", strerror(errno));
		send_byte(k2p[1], 'r');
		for (n = 0; n < len / TA_PAGE; n++) {
			m[n * TA_PAGE] = 1;
			/* Stored each time: a SIGBUS may end the loop at any page. */
			*(volatile long long *)&kid_rep->v[0] = n + 1;
		}
		_exit(0);
	}
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 'r', 60);
	for (i = 0; i < 3; i++)
		ev0[i] = ta_cg_event(&self->cg, ev[i]);
	for (end = ta_now() + 300; ta_now() < end;) {
		cur = ta_cg_get(&self->cg, "memory.current");
		if (cur > seen)
			seen = cur;
		st = kid_wait(self, 0, 0);
		if (st != -1)
			break;
		usleep(5 * 1000);
	}
	ASSERT_NE(-1, st) TH_LOG("the child still runs after 300 s");
	peak = ta_cg_get(&self->cg, "memory.peak"); /* since 5.19; -1 if missing */
	for (i = 0; i < 3; i++)
		ev1[i] = ta_cg_event(&self->cg, ev[i]);
	touched = self->rep[0].v[0] * (long long)TA_PAGE;
	TH_LOG("child %s after touching %lld KiB of %zu MiB; memory.peak %lld KiB, highest "
	       "memory.current seen %lld KiB; memory.events max %lld -> %lld, oom %lld -> %lld, "
	       "oom_kill %lld -> %lld",
	       kid_how(st, how, sizeof(how)), touched >> 10, len >> 20, peak >> 10, seen >> 10,
	       ev0[0], ev1[0], ev0[1], ev1[1], ev0[2], ev1[2]);
	EXPECT_TRUE(WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL || WTERMSIG(st) == SIGBUS))
	TH_LOG("touching 256 MiB under memory.max 32 MiB must end in SIGKILL or SIGBUS: %s",
	       self->rep[0].msg);
	EXPECT_LE(touched, max) TH_LOG("the child got more pages than memory.max");
	EXPECT_GE(touched, max / 2) TH_LOG("the child was stopped long before memory.max");
	/*
	 * The kernel itself goes a little over memory.max: atomic allocations
	 * are charged by force (the SIGBUS's own sigqueue is one), and a charge
	 * adds a batch of up to 64 pages to the counter before it compares it
	 * with the limit and takes the batch back.  Region pages over the limit
	 * would be megabytes: touched above.
	 */
	EXPECT_LE(peak, max + over);
	EXPECT_LE(seen, max + over);
	EXPECT_TRUE(ev1[0] > ev0[0] || ev1[1] > ev0[1]) TH_LOG("memory.events saw no limit hit");

	/* The bystander outside the cgroup: its pages intact, more granted. */
	for (j = 0; j < mine; j += TA_PAGE)
		if (p[j] != 0x5c)
			break;
	EXPECT_EQ(mine, j) TH_LOG("the test's own region changed at byte %zu", j);
	q = ta_create_map(self->fd, mine, TA_HINT_COLD, 0, &req2);
	ASSERT_NE(NULL, q);
	memset(q, 0x3a, mine);
	EXPECT_EQ(0x3a, q[mine - 1]);
	munmap(q, mine);
	EXPECT_EQ(0, ta_free_handle(self->fd, req2.handle));
	munmap(p, mine);
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	close(k2p[0]);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* ---- a pinned page in a HUGE chunk ---- */

/*
 * A page of a HUGE FAST region pinned (vmsplice() into a pipe): a move of
 * the region to SLOW with TA_MOVE_PARTIAL leaves each pinned chunk whole
 * on FAST (a chunk is one folio on one tier; 512 pages skipped per chunk).
 * The original bug: the pinned page stayed behind while the rest of its
 * chunk's reservation went to SLOW, and the refill after DISCARD put the
 * whole chunk back on FAST's node while FAST counted one page of it --
 * past FAST's hard cap.  So, after DISCARD and a touch, the pages the
 * kernel shows on FAST's node (move_pages(2)) must never exceed the
 * region's FAST reservation, every chunk must lie whole on one node, and
 * every tier's resident gauge must come back to its baseline once the
 * region is gone (none wrapped below zero).  The pinned page is the
 * chunk's first page in half of the chunks and a middle one in the others;
 * 8 rounds.  (A chunk of 4 KiB pages, made when no 2 MiB block was free,
 * still moves page by page; the refill then puts each page on its own
 * tier's node.)
 */
TEST_F(shared, pinned_huge_chunk_refill_keeps_tier)
{
	if (!self->ready)
		return;
	const int rounds = 8, chunks = 8;
	const size_t len = chunks * TA_HUGE_SIZE;
	int fast = ta_tier_node(self->fd, TA_TIER_FAST),
	    slow = ta_tier_node(self->fd, TA_TIER_SLOW);
	char how[64];
	pid_t pid;
	int st;

	if (fast == slow)
		SKIP(return, "FAST and SLOW share node %d", fast);
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0,
				 self->base.tier[TA_TIER_FAST].reserved_bytes + 64 * TA_MIB,
				 TA_POLICY_FAIL));
	self->cfg_changed = true;
	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create req;
		struct ta_region_move mv;
		struct ta_region_discard d;
		struct ta_region_info info;
		int fd = ta_open_dev(), round, c, pp[2];
		long on_fast, on_slow, other, fast_pages = 0;
		char *p, msg[256] = "";

		KID_CHECK(fd >= 0, "%s", strerror(errno));
		for (round = 0; round < rounds; round++) {
			int pin[16], wrong = 0;

			p = ta_create_map(fd, len, TA_TIER_FAST, TA_REGION_TIER | TA_REGION_HUGE,
					  &req);
			KID_CHECK(p, "round %d: create: %s", round, strerror(errno));
			memset(p, 0x6b, len);
			/* The pipes stay open, and the pages pinned, until the child exits. */
			KID_CHECK(!pipe(pp), "%s", strerror(errno));
			for (c = 0; c < chunks; c++) {
				struct iovec iov;

				pin[c] = (c + round) % 2 ? 1 + (c * 37 + round * 11) % 511 : 0;
				iov.iov_base = p + c * TA_HUGE_SIZE + pin[c] * TA_PAGE;
				iov.iov_len = TA_PAGE;
				KID_CHECK(vmsplice(pp[1], &iov, 1, 0) == TA_PAGE, "vmsplice: %s",
					  strerror(errno));
			}
			memset(&mv, 0, sizeof(mv));
			mv.handle = req.handle;
			mv.dst_tier = TA_TIER_SLOW;
			mv.flags = TA_MOVE_PARTIAL;
			KID_CHECK(!ioctl(fd, TA_IOC_REGION_MOVE, &mv), "round %d: move: %s", round,
				  strerror(errno));
			KID_CHECK(mv.skipped_pages == (uint64_t)chunks * 512 && !mv.moved_bytes,
				  "round %d: %llu pages skipped and %llu bytes moved, want every "
				  "pinned chunk left whole",
				  round, (unsigned long long)mv.skipped_pages,
				  (unsigned long long)mv.moved_bytes);
			memset(&d, 0, sizeof(d));
			d.handle = req.handle;
			KID_CHECK(!ioctl(fd, TA_IOC_REGION_DISCARD, &d), "round %d: discard: %s",
				  round, strerror(errno));
			ta_touch(p, len);
			for (c = 0; c < chunks; c++) {
				char *chunk = p + c * TA_HUGE_SIZE;

				KID_CHECK(
					!ta_page_nodes(chunk, TA_HUGE_SIZE, fast, &on_fast, &other),
					"move_pages: %s", strerror(errno));
				on_slow = ta_pages_on_node(chunk, TA_HUGE_SIZE, slow);
				fast_pages += on_fast;
				if (on_fast + on_slow != 512 || (on_fast && on_slow)) {
					if (!wrong++)
						msg[0] = 0;
					snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
						 " chunk %d (page %d pinned): %ld FAST %ld SLOW;",
						 c, pin[c], on_fast, on_slow);
				}
			}
			KID_CHECK(!wrong,
				  "round %d: %d of %d refilled chunks not whole on one node:%s",
				  round, wrong, chunks, msg);
			memset(&info, 0, sizeof(info));
			info.handle = req.handle;
			KID_CHECK(!ioctl(fd, TA_IOC_REGION_INFO, &info), "info: %s",
				  strerror(errno));
			KID_CHECK((uint64_t)fast_pages * TA_PAGE <=
					  info.reserved_bytes[TA_TIER_FAST],
				  "round %d: %ld pages on FAST's node, FAST reserves %llu bytes",
				  round, fast_pages,
				  (unsigned long long)info.reserved_bytes[TA_TIER_FAST]);
			fast_pages = 0;
			munmap(p, len);
			KID_CHECK(!ta_free_handle(fd, req.handle), "%s", strerror(errno));
		}
		close(fd);
		_exit(0);
	}
	st = kid_wait(self, 0, 300);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("child %s: %s", kid_how(st, how, sizeof(how)), self->rep[0].msg);
	ta_restore_cfg(self->fd, &self->saved);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* ---- throttled populate and SIGKILL ---- */

#define BACKLOG_THREADS 64

struct backlog {
	char *p;
	pthread_barrier_t go;
};

struct backlog_thread {
	struct backlog *b;
	int i;
};

static void *backlog_touch(void *arg)
{
	struct backlog_thread *t = arg;

	pthread_barrier_wait(&t->b->go);
	t->b->p[t->i * TA_HUGE_SIZE] = 1;
	return NULL;
}

/*
 * In a child: BACKLOG_THREADS threads first-touch one 2 MiB chunk each of a
 * HUGE SLOW region at once, charging the SLOW bucket for all of them before
 * any has waited its turn; says 's' on @wfd once they are off.  Never ends.
 */
static void kid_backlog(int wfd)
{
	static struct backlog_thread th[BACKLOG_THREADS];
	struct backlog b;
	struct ta_region_create req;
	pthread_t tid;
	int i;

	b.p = ta_create_map(ta_open_dev(), BACKLOG_THREADS * TA_HUGE_SIZE, TA_TIER_SLOW,
			    TA_REGION_TIER | TA_REGION_HUGE, &req);
	KID_CHECK(b.p, "%s", strerror(errno));
	pthread_barrier_init(&b.go, NULL, BACKLOG_THREADS + 1);
	for (i = 0; i < BACKLOG_THREADS; i++) {
		th[i].b = &b;
		th[i].i = i;
		KID_CHECK(!pthread_create(&tid, NULL, backlog_touch, &th[i]), "thread %d", i);
	}
	pthread_barrier_wait(&b.go);
	send_byte(wfd, 's');
	for (;;)
		pause();
}

/* In a child: populate 512 MiB on SLOW; says 's' on @wfd first.  Should not return. */
static void kid_populate(int wfd)
{
	struct ta_region_create req;
	int fd = ta_open_dev(), ret;

	KID_CHECK(fd >= 0, "%s", strerror(errno));
	send_byte(wfd, 's');
	ret = ta_create(fd, 512 * TA_MIB, TA_TIER_SLOW, TA_REGION_TIER | TA_REGION_POPULATE, &req);
	KID_FAIL("the 512 MiB populate returned (%s) instead of being killed", strerror(-ret));
}

/*
 * Run @work as nobody, SIGKILL it 0.5 s after it says it started, and
 * expect it reaped within 5 s.  Then a fresh nobody child's first touch of
 * one 4 KiB page of a SLOW region must take no more than 3 s.
 */
static void kill_then_next_user(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self,
				const char *what, void (*work)(int wfd))
{
	int k2p[2], st;
	double t0, dt;
	char how[64];
	pid_t pid;

	ASSERT_EQ(0, pipe(k2p));
	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0)
		work(k2p[1]);
	close(k2p[1]);
	kid_expect(_metadata, self, 0, k2p[0], 's', 60);
	close(k2p[0]);
	usleep(500 * 1000);
	t0 = ta_now();
	kill(pid, SIGKILL);
	st = kid_wait(self, 0, 5);
	dt = ta_now() - t0;
	if (st == -1) {
		st = kid_wait(self, 0, 120);
		dt = ta_now() - t0;
	}
	TH_LOG("%s: reaped %.3f s after SIGKILL (%s)", what, dt, kid_how(st, how, sizeof(how)));
	EXPECT_LE(dt, 5.0);
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
	TH_LOG("%s", self->rep[0].msg);

	pid = kid_fork(self, 1, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create req;
		volatile char *p =
			ta_create_map(ta_open_dev(), TA_PAGE, TA_TIER_SLOW, TA_REGION_TIER, &req);
		double t;

		KID_CHECK(p, "%s", strerror(errno));
		t = ta_now();
		p[0] = 1;
		kid_rep->v[0] = (long long)((ta_now() - t) * 1e6);
		_exit(0);
	}
	st = kid_wait(self, 1, 120);
	EXPECT_TRUE(kid_ok(st))
	TH_LOG("child %s: %s", kid_how(st, how, sizeof(how)), self->rep[1].msg);
	TH_LOG("%s: the next user's first touch on SLOW took %.3f s", what,
	       self->rep[1].v[0] / 1e6);
	EXPECT_LE(self->rep[1].v[0], 3000000);
}

/*
 * With the SLOW tier enforcing 16 MiB/s (burst 1 MiB), a nobody child
 * populating 512 MiB on SLOW (about 32 s of tokens) is killed after 0.5 s:
 * it must be gone within 5 s, and what it was charged must not stall the
 * next user: a fresh child's first touch of one 4 KiB page of a SLOW region
 * completes within 3 s (the module bounds a throttle wait to 1 s).  The
 * same after a child whose 64 threads first-touched a 2 MiB chunk each at
 * once (8 s of tokens charged, most of it not yet waited for).
 */
TEST_F(shared, killed_populate_stops_promptly)
{
	if (!self->ready)
		return;
	struct ta_tier_config c = {
		.tier = TA_TIER_SLOW,
		.valid = TA_CFG_THROTTLE_MODE | TA_CFG_RATE | TA_CFG_BURST,
		.throttle_mode = TA_THROTTLE_ENFORCE,
		.rate = 16 * TA_MIB,
		.burst = TA_MIB,
	};

	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	self->cfg_changed = true;
	kill_then_next_user(_metadata, self, "512 MiB populate", kid_populate);
	kill_then_next_user(_metadata, self, "64 threads' first touches", kid_backlog);
	ta_restore_cfg(self->fd, &self->saved);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* ---- the error path of a failed copy-out vs a racing FREE ---- */

#define RACE_ITERS 20000
#define RACE_SECS  10.0

struct race {
	int fd;
	unsigned long cmd; /* TA_IOC_REGION_CREATE or TA_IOC_REGION_CLONE */
	void *ro_arg;	   /* its argument, in a read-only page */
	uint32_t keep;	   /* the clone source: not for thread B */
	int stop;
	long calls, efaults, others, other_errno;
	long frees, frees_ok;
};

/* A: the request whose result cannot be copied out; -EFAULT every time. */
static void *race_copyout(void *arg)
{
	struct race *r = arg;
	double end = ta_now() + RACE_SECS;
	int ret;

	for (r->calls = 0; r->calls < RACE_ITERS; r->calls++) {
		if (!(r->calls % 64) && ta_now() > end)
			break;
		ret = ioctl(r->fd, r->cmd, r->ro_arg);
		if (ret == -1 && errno == EFAULT) {
			r->efaults++;
		} else {
			r->others++;
			r->other_errno = ret ? errno : 0;
		}
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * B: FREE the handles A's requests get.  Handles are small integers
 * handed out lowest first, so a create and free of our own shows the one
 * A is about to get; free it and the next few, whatever answers.
 */
static void *race_free(void *arg)
{
	struct race *r = arg;
	struct ta_region_create req;
	uint32_t h = 1, d;
	long i;

	for (i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
		if (!(i % 64) && !ta_create(r->fd, TA_PAGE, TA_HINT_COLD, 0, &req)) {
			h = req.handle;
			ta_free_handle(r->fd, h);
		}
		for (d = 0; d <= 8; d++) {
			if (h + d == r->keep)
				continue;
			r->frees++;
			r->frees_ok += !ta_free_handle(r->fd, h + d);
		}
	}
	return NULL;
}

/* C: keep mmap_lock busy, so that A's copy-out faults take their time. */
static void *race_mprotect(void *arg)
{
	struct race *r = arg;
	const size_t len = 64 * TA_MIB;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long i;

	if (m == MAP_FAILED)
		KID_FAIL("mmap: %s", strerror(errno));
	for (i = 0; i < (long)(len / TA_MIB); i++)
		m[i * TA_MIB] = 1;
	for (i = 0; !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE); i++) {
		/* Split and merge the VMA: the write lock is held a while. */
		mprotect(m + (i % 8) * (len / 8), len / 8, PROT_READ);
		mprotect(m, len, PROT_READ | PROT_WRITE);
	}
	munmap(m, len);
	return NULL;
}

/* One round of the race, in the child; reports into v[base..base+5]. */
static void race_round(int fd, unsigned long cmd, const void *req, size_t size, uint32_t keep,
		       int base)
{
	struct race r = { .fd = fd, .cmd = cmd, .keep = keep };
	pthread_t a, b, c;

	r.ro_arg = mmap(NULL, TA_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	KID_CHECK(r.ro_arg != MAP_FAILED, "%s", strerror(errno));
	memcpy(r.ro_arg, req, size);
	KID_CHECK(!mprotect(r.ro_arg, TA_PAGE, PROT_READ), "%s", strerror(errno));
	KID_CHECK(!pthread_create(&c, NULL, race_mprotect, &r), "thread C");
	KID_CHECK(!pthread_create(&b, NULL, race_free, &r), "thread B");
	KID_CHECK(!pthread_create(&a, NULL, race_copyout, &r), "thread A");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	kid_rep->v[base] = r.calls;
	kid_rep->v[base + 1] = r.efaults;
	kid_rep->v[base + 2] = r.others;
	kid_rep->v[base + 3] = r.other_errno;
	kid_rep->v[base + 4] = r.frees;
	kid_rep->v[base + 5] = r.frees_ok;
	munmap(r.ro_arg, TA_PAGE);
}

/*
 * TA_IOC_REGION_CREATE and TA_IOC_REGION_CLONE whose result cannot be
 * copied out (the argument is in a read-only page) fail with EFAULT, while
 * another thread of the same unprivileged process frees the handles they
 * get and a third keeps mmap_lock busy.  The failed request's region must
 * never be reachable by another thread that could free it under the error
 * path: that was a use-after-free ("refcount_t: underflow;
 * use-after-free").  Checks: every request fails with EFAULT, no kernel
 * report, accounting back to baseline.  (refcount_t warns once per boot;
 * how many of B's FREEs succeeded is logged as a second witness.)
 */
TEST_F(shared, create_copyout_fault_races_free)
{
	if (!self->ready)
		return;
	static const char *const name[] = { "CREATE", "CLONE" };
	char how[64];
	pid_t pid;
	int st, i;

	pid = kid_fork(self, 0, NOBODY, false);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_region_create cr = { .size = TA_PAGE, .placement = TA_HINT_COLD };
		struct ta_region_clone cl = { 0 };
		struct ta_region_create src;
		int fd = ta_open_dev(), ret;

		KID_CHECK(fd >= 0, "%s", strerror(errno));
		race_round(fd, TA_IOC_REGION_CREATE, &cr, sizeof(cr), 0, 0);
		ret = ta_create(fd, TA_PAGE, TA_HINT_COLD, 0, &src);
		KID_CHECK(!ret, "clone source: %s", strerror(-ret));
		cl.src_fd = fd;
		cl.src_handle = src.handle;
		race_round(fd, TA_IOC_REGION_CLONE, &cl, sizeof(cl), src.handle, 8);
		close(fd);
		_exit(0);
	}
	st = kid_wait(self, 0, 300);
	ASSERT_TRUE(kid_ok(st))
	TH_LOG("child %s: %s", kid_how(st, how, sizeof(how)), self->rep[0].msg);
	for (i = 0; i < 2; i++) {
		long long *v = &self->rep[0].v[i * 8];

		/* Only a region a failed request left reachable can be freed by B. */
		TH_LOG("%s: %lld requests, %lld EFAULT, %lld other (last errno %lld); "
		       "%lld FREEs of nearby handles, %lld succeeded",
		       name[i], v[0], v[1], v[2], v[3], v[4], v[5]);
		EXPECT_LT(0, v[0]);
		EXPECT_EQ(v[0], v[1])
		TH_LOG("%s with an unwritable argument must fail with EFAULT", name[i]);
	}
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

/* ---- first touch of one HUGE chunk through many VMAs at once ---- */

#define MV_CHUNKS 4
#define MV_PAGES  (MV_CHUNKS * TA_HUGE_SIZE / TA_PAGE)
#define MV_VMAS	  7
#define MV_ROUNDS 1000
#define MV_SECS	  30.0 /* at most: the race is timing, the more rounds the better */

/*
 * Windows of the region, in bytes: V0 checks, V1..V6 each belong to one
 * thread.  A fault maps the part of the chunk its VMA covers, starting at
 * the VMA's first page in the chunk: a VMA that starts at a chunk's last
 * page reads the last page of the chunk first.
 */
static const struct {
	size_t off, len;
} mv_win[MV_VMAS] = {
	{ 0, 8 * TA_MIB },				    /* V0: all of it */
	{ 1 * TA_MIB, 2 * TA_MIB },			    /* middle of chunk 0 .. middle of 1 */
	{ 0, 2 * TA_MIB },				    /* chunk 0 exactly */
	{ 3 * TA_MIB, 4 * TA_MIB },			    /* middle of chunk 1 .. middle of 3 */
	{ 2 * TA_MIB + TA_PAGE, 2 * TA_MIB - 2 * TA_PAGE }, /* inside chunk 1 */
	{ 2 * TA_MIB - TA_PAGE, 4 * TA_MIB + 2 * TA_PAGE }, /* last page of 0 .. first of 3 */
	{ 4 * TA_MIB - TA_PAGE, 4 * TA_MIB + TA_PAGE },	    /* last page of 1 .. the end */
};

struct mv_ctx {
	char *map[MV_VMAS];
	uint8_t cover[MV_PAGES]; /* bit k: window k (k >= 1) maps the page */
	pthread_mutex_t lock;
	pthread_cond_t go_cond, done_cond;
	int go;	      /* steps (one chunk of one round) the threads may start */
	bool stop;    /* no more steps */
	int done;     /* steps finished, summed over the threads */
	long fill_us; /* how long a fault takes to fill a chunk, before it maps it */
	long map_us;  /* how long it takes to map a whole chunk that is there */
	long early;   /* racing first touches that came before the chunk was there */
	long late;    /* ... and after */
};

/* The window (1..6) that writes page @g in @round: they take turns. */
static int mv_owner(const struct mv_ctx *m, size_t g, int round)
{
	int n = __builtin_popcount(m->cover[g]), pick = (int)((g + round) % n), k;

	for (k = 1; k < MV_VMAS; k++)
		if ((m->cover[g] & (1 << k)) && !pick--)
			return k;
	return -1;
}

static uint64_t mv_pattern(int round, int k, size_t g)
{
	return ((uint64_t)(round + 1) << 40) | ((uint64_t)k << 32) | g;
}

/* Page @g of the region, seen through window @k. */
static volatile uint64_t *mv_page(const struct mv_ctx *m, int k, size_t g)
{
	return (volatile uint64_t *)(m->map[k] + g * TA_PAGE - mv_win[k].off);
}

/* The chunk each step works on: every round visits the chunks in another order. */
static int mv_chunk(int step)
{
	return (step + step / MV_CHUNKS) % MV_CHUNKS;
}

/* The first page of chunk @c in window @k, or -1. */
static long mv_first(const struct mv_ctx *m, int k, int c)
{
	size_t g;

	for (g = c * 512; g < (size_t)(c + 1) * 512; g++)
		if (m->cover[g] & (1 << k))
			return g;
	return -1;
}

struct mv_thread {
	struct mv_ctx *m;
	int k;
};

/*
 * One step: the threads whose windows cover the chunk first-touch it (a
 * read of their first page of it), then write their pages of it.  One of
 * them starts at once and fills the chunk; the others race it.  A racer
 * aims at the moment the chunk's pages are published: it sleeps for its
 * estimate of that moment, times its own first touch -- long if it came
 * before (it allocated a chunk too), short if after (it only mapped) --
 * and moves its estimate a little later or earlier accordingly, so its
 * arrivals gather around that moment.  Every fourth round they all start
 * at once.
 */
static void *mv_toucher(void *arg)
{
	struct mv_thread *t = arg;
	struct mv_ctx *m = t->m;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (t->k + 1);
	double est = m->fill_us, nudge = m->fill_us / 16.0 + 2, t0, took, slow;
	int step, round, c, mine, n, run = 0;
	bool early, was_early = false;
	bool stop;
	long first;
	size_t g;

	prctl(PR_SET_TIMERSLACK, 1UL);
	for (step = 0; step < MV_ROUNDS * MV_CHUNKS; step++) {
		round = step / MV_CHUNKS;
		c = mv_chunk(step);
		pthread_mutex_lock(&m->lock);
		while (m->go <= step && !m->stop)
			pthread_cond_wait(&m->go_cond, &m->lock);
		stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
		first = mv_first(m, t->k, c);
		if (first >= 0) {
			/* Which of the windows covering the chunk goes first. */
			for (mine = 0, n = 1; n < t->k; n++)
				mine += mv_first(m, n, c) >= 0;
			for (n = 0, g = 1; g < MV_VMAS; g++)
				n += mv_first(m, g, c) >= 0;
			if (round % 4 == 3 || mine == round % n) {
				(void)*mv_page(m, t->k, first);
			} else {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				usleep((useconds_t)(est + seed % 5));
				t0 = ta_now();
				(void)*mv_page(m, t->k, first);
				took = (ta_now() - t0) * 1e6;
				/* Mapping our part of the chunk, plus half a fill. */
				for (n = 0, g = c * 512; g < (size_t)(c + 1) * 512; g++)
					n += !!(m->cover[g] & (1 << t->k));
				slow = m->map_us * n / 512.0 + m->fill_us / 2.0;
				early = took > slow;
				/* Smaller steps at each turn, bigger ones on a long run. */
				run = early == was_early ? run + 1 : 0;
				if (!run)
					nudge = nudge * 0.7 > 3 ? nudge * 0.7 : 3;
				else if (run >= 4)
					nudge *= 1.5;
				was_early = early;
				est += early ? nudge : -nudge;
				est = est < 0 ? 0 : est > 4 * m->fill_us ? 4 * m->fill_us : est;
				__atomic_add_fetch(early ? &m->early : &m->late, 1,
						   __ATOMIC_RELAXED);
			}
			for (g = c * 512; g < (size_t)(c + 1) * 512; g++) {
				volatile uint64_t *w;

				if (!(m->cover[g] & (1 << t->k)) || mv_owner(m, g, round) != t->k)
					continue;
				w = mv_page(m, t->k, g);
				w[0] = mv_pattern(round, t->k, g);
				w[TA_PAGE / 8 - 1] = mv_pattern(round, t->k, g);
			}
		}
		pthread_mutex_lock(&m->lock);
		m->done++;
		pthread_cond_signal(&m->done_cond);
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

/*
 * Let the threads do step @step and wait for them, watching the kernel log:
 * a thread killed by an oops never finishes.  0, or -1 (reported) if the
 * kernel reported a bug or the threads hang.
 */
static int mv_step(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self, struct mv_ctx *m,
		   int step)
{
	double deadline = ta_now() + 60;
	struct timespec ts;

	pthread_mutex_lock(&m->lock);
	m->go = step + 1;
	pthread_cond_broadcast(&m->go_cond);
	while (m->done < (MV_VMAS - 1) * (step + 1)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&m->done_cond, &m->lock, &ts) != ETIMEDOUT)
			continue;
		if (!kernel_reports(self) && ta_now() < deadline)
			continue;
		pthread_mutex_unlock(&m->lock);
		TH_LOG("step %d (round %d, chunk %d): %s; stopping", step, step / MV_CHUNKS,
		       mv_chunk(step),
		       self->kernel_reports ? "the kernel reported a bug (above)"
					    : "the threads hang");
		return -1;
	}
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* Check round @round through V0 and the other windows; the number of problems. */
static int mv_check(struct __test_metadata *_metadata, FIXTURE_DATA(shared) * self,
		    struct mv_ctx *m, int round, uint32_t handle)
{
	struct ta_region_info info = { .handle = handle };
	int k, bad = 0;
	size_t g;

	for (g = 0; g < MV_PAGES && bad < 10; g++) {
		int o = mv_owner(m, g, round);
		uint64_t want = mv_pattern(round, o, g);
		volatile uint64_t *w = mv_page(m, 0, g);

		if (w[0] != want || w[TA_PAGE / 8 - 1] != want || w[TA_PAGE / 16]) {
			TH_LOG("round %d page %zu (written through V%d): V0 reads %#llx %#llx "
			       "%#llx, "
			       "want %#llx",
			       round, g, o, (unsigned long long)w[0],
			       (unsigned long long)w[TA_PAGE / 16],
			       (unsigned long long)w[TA_PAGE / 8 - 1], (unsigned long long)want);
			bad++;
		}
		/* Every other window that maps the page sees the same. */
		for (k = 1; k < MV_VMAS; k++) {
			if (k == o || !(m->cover[g] & (1 << k)) || mv_page(m, k, g)[0] == want)
				continue;
			TH_LOG("round %d page %zu: V%d reads %#llx, V%d wrote %#llx", round, g, k,
			       (unsigned long long)mv_page(m, k, g)[0], o,
			       (unsigned long long)want);
			bad++;
		}
	}
	/* The same page in two mappings is the same physical page. */
	for (g = 256; g < MV_PAGES; g += 512) {
		int o = mv_owner(m, g, round);
		uint64_t pfn = ta_pfn((void *)mv_page(m, o, g)),
			 pfn0 = ta_pfn((void *)mv_page(m, 0, g));

		if (!pfn || pfn != pfn0) {
			TH_LOG("round %d page %zu: PFN %#llx through V%d, %#llx through V0", round,
			       g, (unsigned long long)pfn, o, (unsigned long long)pfn0);
			bad++;
		}
	}
	if (ioctl(self->fd, TA_IOC_REGION_INFO, &info) ||
	    info.resident_bytes[TA_TIER_SLOW] != MV_CHUNKS * TA_HUGE_SIZE) {
		TH_LOG("round %d: %llu bytes resident, want %llu", round,
		       (unsigned long long)info.resident_bytes[TA_TIER_SLOW],
		       MV_CHUNKS * TA_HUGE_SIZE);
		bad++;
	}
	return bad;
}

/*
 * A HUGE region mapped several times by VMAs that start and end inside its
 * 2 MiB chunks; threads first-touch the same chunk through different VMAs
 * at once, each writing a known pattern to its own pages, which are then
 * read back through other VMAs (the same page of a chunk is the same page
 * in every mapping: same contents, same PFN).  The region is discarded and
 * it all starts again, MV_ROUNDS times (for MV_SECS at most).  A fault that
 * maps a chunk while another fault is still publishing its pages oopses on
 * a NULL page: the test stops at once with the kernel's report, rather than
 * waiting for a thread that died.  (The oops leaves a page table lock held,
 * so the test process cannot exit: hence a timeout of its own.)
 */
TEST_F_TIMEOUT(shared, huge_chunk_first_touch_from_many_vmas, 240)
{
	if (!self->ready)
		return;
	struct mv_ctx *m = calloc(1, sizeof(*m));
	struct mv_thread th[MV_VMAS];
	pthread_t tid[MV_VMAS];
	struct ta_region_create req;
	struct ta_region_discard d = { 0 };
	int k, round, ci, bad = 0, i;
	double t0, t, fill = 1e9, map = 1e9;
	size_t g;

	ASSERT_NE(NULL, m);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->go_cond, NULL);
	pthread_cond_init(&m->done_cond, NULL);
	ASSERT_EQ(0, ta_create(self->fd, MV_CHUNKS * TA_HUGE_SIZE, TA_TIER_SLOW,
			       TA_REGION_TIER | TA_REGION_HUGE, &req));
	d.handle = req.handle;
	for (k = 0; k < MV_VMAS; k++) {
		m->map[k] = mmap(NULL, mv_win[k].len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
				 req.offset + mv_win[k].off);
		ASSERT_NE(MAP_FAILED, m->map[k]) TH_LOG("window %d: %s", k, strerror(errno));
		for (g = mv_win[k].off / TA_PAGE;
		     k && g < (mv_win[k].off + mv_win[k].len) / TA_PAGE; g++)
			m->cover[g] |= 1 << k;
	}
	for (g = 0; g < MV_PAGES; g++) {
		ASSERT_NE(0, m->cover[g]);
	}
	/*
	 * How long filling a chunk takes here (TCG, a debug kernel...): a first
	 * touch fills and maps it, a touch through another VMA only maps it.
	 * The quickest of a few tries: the host adds only delays.
	 */
	for (i = 0; i < 5; i++) {
		t0 = ta_now();
		(void)*mv_page(m, 0, 0);
		t = ta_now();
		(void)*mv_page(m, 2, 0);
		map = ta_now() - t < map ? ta_now() - t : map;
		fill = t - t0 < fill ? t - t0 : fill;
		ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	}
	m->map_us = (long)(map * 1e6);
	m->fill_us = fill - map > 20e-6 ? (long)((fill - map) * 1e6) : 20;
	for (k = 1; k < MV_VMAS; k++) {
		th[k].m = m;
		th[k].k = k;
		ASSERT_EQ(0, pthread_create(&tid[k], NULL, mv_toucher, &th[k]));
	}
	t0 = ta_now();
	for (round = 0; round < MV_ROUNDS && !bad && ta_now() < t0 + MV_SECS; round++) {
		for (ci = 0; ci < MV_CHUNKS; ci++) {
			ASSERT_EQ(0, mv_step(_metadata, self, m, round * MV_CHUNKS + ci));
		}
		bad = mv_check(_metadata, self, m, round, req.handle);
		ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	}
	TH_LOG("%d rounds in %.1f s; filling a chunk takes about %ld us, mapping it %ld us; "
	       "racing first touches came %ld times before the chunk was there, %ld after",
	       round, ta_now() - t0, m->fill_us, m->map_us, m->early, m->late);
	EXPECT_EQ(0, bad);
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_broadcast(&m->go_cond);
	pthread_mutex_unlock(&m->lock);
	for (k = 1; k < MV_VMAS; k++)
		pthread_join(tid[k], NULL);
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_DISCARD, &d));
	/* Discarded: zeroes everywhere. */
	for (g = 0; g < MV_PAGES; g++)
		if (mv_page(m, 0, g)[0] || mv_page(m, 0, g)[TA_PAGE / 8 - 1])
			break;
	EXPECT_EQ(MV_PAGES, g) TH_LOG("page %zu is not zero after DISCARD", g);
	for (k = 0; k < MV_VMAS; k++)
		munmap(m->map[k], mv_win[k].len);
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	free(m);
	ta_settle();
	ta_expect_baseline(self->fd, &self->base);
}

TEST_HARNESS_MAIN
