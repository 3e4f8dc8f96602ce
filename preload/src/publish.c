// SPDX-License-Identifier: MIT
/*
 * Per-process statistics in /dev/shm/tieralloc.<pid> (struct ta_shm_stats,
 * tieralloc_shm.h) for `tierallocctl stats --pid`.
 *
 * Created at the first refresh, removed at exit.  Refreshed from the
 * allocation slow paths: when a thread refills a page of small blocks
 * (every 64th refill looks at the clock) or allocates, or grows by realloc,
 * PL_TICK_BYTES (256 KiB) or more, once TA_STATS_INTERVAL_MS have passed
 * since the last refresh; and at once when such big allocations add up to
 * PL_PUBLISH_BYTES (1 MiB), as the program may go idle after them.
 * Short-lived processes that never get there (shells, coreutils) never pay
 * for the file.  One thread writes at a time (the others skip); a forked
 * child drops the parent's mapping and publishes under its own pid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"
#include "tieralloc_shm.h"

#define SHM_BYTES ((sizeof(struct ta_shm_stats) + 4095) & ~(size_t)4095)

static struct ta_shm_stats *shm;
static pid_t shm_pid, failed_pid;
static _Atomic int busy;
static _Atomic uint64_t last_ns;
static _Atomic size_t big_bytes; /* in big allocations since the last refresh */
static bool exiting;

/*
 * The record of version TA_SHM_VERSION (1): 136 bytes of header, 168 per
 * tier.  Another size is another layout: bump the version with it.
 */
_Static_assert(sizeof(struct ta_shm_tier) == 168 && sizeof(struct ta_shm_stats) == 136 + 3 * 168,
	       "struct ta_shm_stats changed: bump TA_SHM_VERSION and this assertion");

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "/dev/shm/tieralloc.<pid>" without stdio. */
static void shm_path(char *buf, pid_t pid)
{
	char digits[16];
	int n = 0;
	unsigned v = (unsigned)pid;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strcpy(buf, TA_SHM_DIR "/" TA_SHM_PREFIX);
	buf += strlen(buf);
	while (n)
		*buf++ = digits[--n];
	*buf = '\0';
}

/*
 * Files of processes that died by a signal (SIGPIPE in `prog | head`,
 * SIGKILL) stay behind: remove those of dead processes we own, once per
 * process, when we create ours.
 */
static void shm_sweep(pid_t self)
{
	size_t plen = strlen(TA_SHM_PREFIX);
	struct dirent *d;
	struct stat st;
	DIR *dir;

	dir = opendir(TA_SHM_DIR);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char *end;
		long pid;

		if (strncmp(d->d_name, TA_SHM_PREFIX, plen))
			continue;
		pid = strtol(d->d_name + plen, &end, 10);
		if (*end || pid <= 0 || pid == self || pid > INT32_MAX)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(dir), d->d_name, 0);
	}
	closedir(dir);
}

static struct ta_shm_stats *shm_create(pid_t pid)
{
	char path[64];
	struct stat st;
	void *m;
	int fd;

	shm_path(path, pid);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process with this pid, or by us before exec(). */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    unlink(path) == 0)
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return NULL;
	shm_sweep(pid);
	if (ftruncate(fd, (off_t)SHM_BYTES)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	m = mmap(NULL, SHM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		unlink(path);
		return NULL;
	}
	struct ta_shm_stats *s = m;

	s->magic = TA_SHM_MAGIC;
	s->version = TA_SHM_VERSION;
	s->size = sizeof(*s);
	s->pid = pid;
	s->start_realtime_ns = now_ns(CLOCK_REALTIME);
	strncpy(s->comm, program_invocation_short_name, sizeof(s->comm) - 1);
	return s;
}

static void fill(struct ta_shm_stats *s, bool final)
{
	struct ta_lib_stats st;

	if (ta_get_stats(&st))
		return;
	atomic_store_explicit((_Atomic uint64_t *)&s->seq, s->seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	s->backend = st.backend;
	s->flags = (pl.tiered ? TA_SHM_F_TIERED : 0) | (st.disabled ? TA_SHM_F_DISABLED : 0) |
		   (st.simulated ? TA_SHM_F_SIMULATED : 0) | (final ? TA_SHM_F_EXITED : 0);
	s->default_hint = pl.tiered || pl.disabled ? (int32_t)ta_get_default_hint() : TA_HINT_WARM;
	s->large_hint = pl.tiered ? pl.large_hint : -1;
	s->large_min = pl.large_min;
	s->heaps = st.heaps;
	s->heaps_in_use = st.heaps_in_use;
	s->segments = st.segments;
	s->large_cached = st.large_cached;
	s->foreign_frees = atomic_load_explicit(&pl_foreign_frees, memory_order_relaxed);
	s->foreign_to_glibc = atomic_load_explicit(&pl_foreign_to_glibc, memory_order_relaxed);
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_lib_tier_stats *i = &st.tier[t];
		struct ta_shm_tier *o = &s->tier[t];

		o->node = i->node;
		o->policy = i->policy;
		o->soft_cap = i->soft_cap;
		o->hard_cap = i->hard_cap;
#define COPY(f) o->f = i->f;
		TA_LIB_TIER_COUNTERS(COPY)
#undef COPY
	}
	s->updates++;
	s->update_realtime_ns = now_ns(CLOCK_REALTIME);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit((_Atomic uint64_t *)&s->seq, s->seq + 1, memory_order_relaxed);
}

static void publish(bool final)
{
	pid_t pid;
	int e;

	if (!pl.stats || exiting || atomic_exchange_explicit(&busy, 1, memory_order_acquire))
		return;
	e = errno;
	pid = getpid();
	if (shm && shm_pid != pid) {
		/* A forked child: the mapping is the parent's file. */
		munmap(shm, SHM_BYTES);
		shm = NULL;
	}
	if (!shm && failed_pid != pid) {
		shm = shm_create(pid);
		if (shm)
			shm_pid = pid;
		else
			failed_pid = pid;
	}
	if (shm)
		fill(shm, final);
	atomic_store_explicit(&last_ns, now_ns(CLOCK_MONOTONIC), memory_order_relaxed);
	atomic_store_explicit(&big_bytes, 0, memory_order_relaxed);
	atomic_store_explicit(&busy, 0, memory_order_release);
	errno = e;
}

void pl_publish_tick(size_t big)
{
	uint64_t now;

	if (!pl.stats || !pl_ready())
		return;
	/*
	 * Big blocks change the tiers' totals: once 1 MiB of them gathered,
	 * show them at once, as nothing may follow (the program may go idle).
	 */
	if (big && atomic_fetch_add_explicit(&big_bytes, big, memory_order_relaxed) + big >=
			   PL_PUBLISH_BYTES) {
		publish(false);
		return;
	}
	now = now_ns(CLOCK_MONOTONIC);
	if (now - atomic_load_explicit(&last_ns, memory_order_relaxed) <
	    (uint64_t)pl.interval_ms * 1000000u)
		return;
	publish(false);
}

static void atfork_child(void)
{
	atomic_store(&busy, 0);
	/* A child publishes once it has lived an interval, or allocates big: not on its way to exec. */
	atomic_store(&last_ns, now_ns(CLOCK_MONOTONIC));
	atomic_store(&big_bytes, 0);
}

/*
 * libta's refill hook: a thread refilled a page of small blocks.  Under
 * churn that is every few allocations, so only every 64th looks at the clock.
 */
static void refill_tick(void)
{
	static TA_TLS unsigned refills;

	if ((++refills & 63) == 0)
		pl_publish_tick(0);
}

void pl_publish_init(void)
{
	static bool once;

	if (once || !pl.stats)
		return;
	once = true;
	pthread_atfork(NULL, NULL, atfork_child);
	ta_set_refill_hook(refill_tick);
}

void pl_publish_exit(void)
{
	char path[64];

	if (!shm || shm_pid != getpid())
		return;
	/* Other threads may still run: leave the mapping, stop writing, remove the name. */
	publish(true);
	exiting = true;
	shm_path(path, shm_pid);
	unlink(path);
}

/*
 * Programs that end with _exit() (shells, forked children, test harnesses)
 * skip the destructors: remove the statistics file here too.  A vfork()ed
 * or fork()ed child has another pid and leaves its parent's file alone.
 */
TA_EXPORT void _exit(int status)
{
	pl_publish_exit();
	for (;;)
		syscall(SYS_exit_group, status);
}

TA_EXPORT void _Exit(int status) __attribute__((alias("_exit"), copy(_exit)));
