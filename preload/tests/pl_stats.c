// SPDX-License-Identifier: MIT
/*
 * The preload's environment and its statistics in /dev/shm: bad settings
 * (every variable of libta/src/options.h the preload reads) get exactly
 * one warning each, the file appears, follows the process's
 * allocations, is read by `tierallocctl stats --pid`, belongs to one
 * process across fork(), and goes away at exit (or, after a kill, when
 * tierallocctl or the next preloaded process finds it stale).
 */
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pl_test.h"
#include "tieralloc_shm.h"
/* The table of TA_* variables (libta-internal): its source, compiled in. */
#include "../../libta/src/parse.c"
#include "../../libta/src/options.c"

#define MiB (1ul << 20)

/* Make the next big allocation refresh the file (at most one per 5 ms). */
static void *big_alloc(size_t n)
{
	void *p;

	usleep(10000);
	p = malloc(n);
	if (p)
		memset(p, 1, n);
	return p;
}

/* A consistent snapshot of @pid's file; 0 or -errno. */
static int read_shm(pid_t pid, struct ta_shm_stats *out)
{
	const struct ta_shm_stats *m;
	int fd = open(pl_shm_path(pid), O_RDONLY);

	if (fd < 0)
		return -errno;
	m = mmap(NULL, sizeof(*m), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	for (int i = 0; i < 1000; i++) {
		uint64_t seq = atomic_load((const _Atomic uint64_t *)&m->seq);

		if (seq & 1)
			continue;
		memcpy(out, m, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load((const _Atomic uint64_t *)&m->seq) == seq) {
			munmap((void *)m, sizeof(*m));
			return 0;
		}
	}
	munmap((void *)m, sizeof(*m));
	return -EAGAIN;
}

/*
 * TA_DEFAULT_HINT=auto: malloc's blocks are AUTO (the system moves them),
 * published as such; on the user backend they are not bound to a node.
 */
static int child_auto(void)
{
	ta_hint_t (*get_hint)(void) = (ta_hint_t(*)(void))pl_sym("ta_get_default_hint");
	int (*is_auto)(const void *) = (int (*)(const void *))pl_sym("ta_is_auto");
	struct ta_shm_stats s;
	int mode = -1;
	char *p;

	if (!get_hint || !is_auto)
		return 20;
	if (get_hint() != TA_HINT_AUTO)
		return 21;
	p = big_alloc(8 * MiB);
	if (!p)
		return 22;
	memset(p, 1, 8 * MiB);
	if (is_auto(p) != 1)
		return 23;
	if (access(TIERALLOC_DEVICE, F_OK) &&
	    (get_mempolicy(&mode, NULL, 0, p, MPOL_F_ADDR) || mode != MPOL_DEFAULT))
		return 24;
	if (read_shm(getpid(), &s) || s.default_hint != TA_HINT_AUTO)
		return 25;
	free(p);
	return 0;
}

static int pl_child_main(const char *mode)
{
	void *p = big_alloc(2 * MiB);

	if (!p)
		return 10;
	if (!strcmp(mode, "exit"))
		exit(0);
	if (!strcmp(mode, "_exit"))
		_exit(0);
	if (!strcmp(mode, "kill"))
		raise(SIGKILL);
	if (!strcmp(mode, "noshm"))
		return access(pl_shm_path(getpid()), F_OK) == 0 ? 1 : 0;
	if (!strcmp(mode, "run"))
		return 0;
	if (!strcmp(mode, "auto"))
		return child_auto();
	return 99;
}

/* Runs @cmd, returns its stdout (static buffer) and exit status in *rc. */
static const char *run_ctl(const char *args, int *rc)
{
	static char out[16384];
	char cmd[PATH_MAX + 256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", pl_ctl_path(), args);
	f = popen(cmd, "r");
	if (!f) {
		*rc = -1;
		return "";
	}
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	*rc = pclose(f);
	*rc = WIFEXITED(*rc) ? WEXITSTATUS(*rc) : -1;
	return out;
}

/* "reserved_bytes" of @tier in tierallocctl's JSON, or -1. */
static long long json_reserved(const char *json, const char *tier)
{
	char key[32];
	const char *t, *r;

	snprintf(key, sizeof(key), "\"%s\"", tier);
	t = strstr(json, "\"tiers\"");
	if (!t || !(t = strstr(t, key)) || !(r = strstr(t, "\"reserved_bytes\"")))
		return -1;
	r = strchr(r, ':');
	return r ? strtoll(r + 1, NULL, 10) : -1;
}

/*
 * Every variable the preload reads (its rows of libta/src/options.h), and
 * one of libta's, set to garbage: one warning each, naming it.
 */
TEST(bad_settings_warn_once)
{
	static char env_buf[LT_NR_OPTIONS][64];
	const char *env[LT_NR_OPTIONS + 2];
	char errfile[] = "/tmp/pl_stats.err.XXXXXX", buf[8192];
	int fd = mkstemp(errfile), lines = 0;
	unsigned n = 0;
	ssize_t len;

	ASSERT_LE(0, fd);
	for (unsigned i = 0; i < LT_NR_OPTIONS; i++) {
		if (!(lt_options[i].flags & LT_OPT_PRELOAD))
			continue;
		snprintf(env_buf[i], sizeof(env_buf[i]), "%s=x", lt_options[i].name);
		env[n++] = env_buf[i];
	}
	ASSERT_LT(0, n);
	env[n++] = "TA_DEFAULT_HINT=tepid";
	env[n] = NULL;
	/* The program still runs, with the defaults. */
	ASSERT_EQ(0, pl_run_child_ex("run", env, errfile, NULL));
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(errfile);
	ASSERT_LT(0, len);
	buf[len] = '\0';
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	EXPECT_EQ(n, lines) TH_LOG("stderr:\n%.1500s", buf);
	for (unsigned i = 0; i < n; i++) {
		char key[64];
		const char *first;

		snprintf(key, sizeof(key), "%.*s='", (int)strcspn(env[i], "="), env[i]);
		first = strstr(buf, key);
		EXPECT_NE(NULL, first) TH_LOG("no warning for %s:\n%.1500s", key, buf);
		if (first)
			EXPECT_EQ(NULL, strstr(first + 1, key));
	}
}

/* The child's @what under @env succeeds and writes nothing to stderr. */
static void expect_quiet_child(struct __test_metadata *_metadata, const char *what,
			       const char *const *env)
{
	char errfile[] = "/tmp/pl_stats.err.XXXXXX";
	int fd = mkstemp(errfile);
	struct stat st;

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pl_run_child_ex(what, env, errfile, NULL));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	close(fd);
	unlink(errfile);
}

TEST(good_settings_are_quiet)
{
	static const char *const env[] = { "TA_INTERPOSE=1",
					   "TA_LARGE_HINT=cold",
					   "TA_LARGE_MIN=256K",
					   "TA_STATS_SHM=on",
					   "TA_STATS_INTERVAL_MS=50",
					   "TA_DEFAULT_HINT=prefer_fast",
					   NULL };
	expect_quiet_child(_metadata, "run", env);
}

TEST(default_hint_auto)
{
	static const char *const env[] = { "TA_DEFAULT_HINT=auto", NULL };
	TH_LOG("checks TA_DEFAULT_HINT=auto: accepted quietly, malloc's blocks AUTO (unbound on "
	       "the user backend), published in the statistics file");
	expect_quiet_child(_metadata, "auto", env);
}

TEST(file_follows_allocations)
{
	int (*set_hint)(ta_hint_t) = (int (*)(ta_hint_t))pl_sym("ta_set_default_hint");
	struct ta_shm_stats s;
	void *p;

	ASSERT_NE(NULL, set_hint);
	ASSERT_EQ(0, set_hint(TA_HINT_COLD));
	p = big_alloc(32 * MiB);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, read_shm(getpid(), &s));
	EXPECT_EQ(TA_SHM_MAGIC, s.magic);
	EXPECT_EQ(TA_SHM_VERSION, s.version);
	EXPECT_EQ(sizeof(s), s.size);
	EXPECT_EQ(getpid(), s.pid);
	EXPECT_STREQ("pl_stats", s.comm);
	EXPECT_TRUE(s.flags & TA_SHM_F_TIERED);
	EXPECT_EQ(access(TIERALLOC_DEVICE, F_OK) == 0 ? 1 : 0, s.backend);
	EXPECT_GE(s.tier[TA_TIER_SLOW].reserved_bytes, 32 * MiB);
	EXPECT_GE(s.tier[TA_TIER_SLOW].large_blocks, 1);
	free(p);
	/* Freed: the next refresh shows it gone (large blocks may stay cached). */
	set_hint(TA_HINT_WARM);
	free(big_alloc(2 * MiB));
	ASSERT_EQ(0, read_shm(getpid(), &s));
	EXPECT_EQ(0, s.tier[TA_TIER_SLOW].large_blocks);
}

TEST(tierallocctl_pid)
{
	int (*set_hint)(ta_hint_t) = (int (*)(ta_hint_t))pl_sym("ta_set_default_hint");
	char args[64];
	const char *out;
	void *p;
	int rc;

	if (access(pl_ctl_path(), X_OK))
		SKIP(return, "tierallocctl not built");
	ASSERT_EQ(0, set_hint(TA_HINT_COLD));
	p = big_alloc(24 * MiB);
	ASSERT_NE(NULL, p);
	snprintf(args, sizeof(args), "stats --json --pid %d", (int)getpid());
	out = run_ctl(args, &rc);
	ASSERT_EQ(0, rc) TH_LOG("%.900s", out);
	EXPECT_GE(json_reserved(out, "slow"), (long long)(24 * MiB)) TH_LOG("%.900s", out);
	snprintf(args, sizeof(args), "stats --pid %d", (int)getpid());
	out = run_ctl(args, &rc);
	ASSERT_EQ(0, rc) TH_LOG("%.900s", out);
	EXPECT_NE(NULL, strstr(out, "(pl_stats): libta")) TH_LOG("%.900s", out);
	EXPECT_NE(NULL, strstr(out, "default hint cold")) TH_LOG("%.900s", out);
	EXPECT_NE(NULL, strstr(out, "reserved_bytes")) TH_LOG("%.900s", out);
	free(p);
}

TEST(fork_child_has_its_own_file)
{
	struct ta_shm_stats s;
	pid_t parent = getpid(), pid;
	int st;

	free(big_alloc(2 * MiB));
	ASSERT_EQ(0, read_shm(parent, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ta_shm_stats c;
		void *q = big_alloc(3 * MiB);

		if (!q || read_shm(getpid(), &c) || c.pid != getpid())
			_exit(1);
		/* The parent's file still describes the parent. */
		if (read_shm(parent, &c) || c.pid != parent)
			_exit(2);
		free(q);
		exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_NE(0, access(pl_shm_path(pid), F_OK));
	ASSERT_EQ(0, read_shm(parent, &s));
	EXPECT_EQ(parent, s.pid);
}

TEST(removed_at_exit)
{
	static const char *const modes[] = { "exit", "_exit", "run" };

	for (unsigned i = 0; i < 3; i++) {
		pid_t pid = 0;

		ASSERT_EQ(0, pl_run_child_ex(modes[i], NULL, NULL, &pid));
		EXPECT_NE(0, access(pl_shm_path(pid), F_OK)) TH_LOG("after %s", modes[i]);
	}
}

TEST(stale_file_after_kill)
{
	char args[64];
	const char *out;
	pid_t pid = 0;
	int rc;

	ASSERT_EQ(128 + SIGKILL, pl_run_child_ex("kill", NULL, NULL, &pid));
	/* Nobody removed it... */
	ASSERT_EQ(0, access(pl_shm_path(pid), F_OK));
	if (access(pl_ctl_path(), X_OK))
		SKIP(return, "tierallocctl not built");
	/* ... until tierallocctl found it stale. */
	snprintf(args, sizeof(args), "stats --pid %d", (int)pid);
	out = run_ctl(args, &rc);
	EXPECT_EQ(1, rc);
	EXPECT_NE(NULL, strstr(out, "no process")) TH_LOG("%.900s", out);
	EXPECT_NE(0, access(pl_shm_path(pid), F_OK));
	/* A process that does not publish. */
	out = run_ctl("stats --pid 1", &rc);
	EXPECT_EQ(1, rc);
}

TEST(stats_shm_off)
{
	static const char *const env[] = { "TA_STATS_SHM=0", NULL };

	EXPECT_EQ(0, pl_run_child("noshm", env));
}

TEST_HARNESS_MAIN
