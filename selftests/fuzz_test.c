// SPDX-License-Identifier: GPL-2.0
/*
 * A UAPI-aware fuzzer for /dev/tieralloc: random and boundary values for
 * every ioctl field, wrong struct sizes and numbers, random regions mapped,
 * touched, split, remapped, advised, moved, freed and inherited by forked
 * children, in several processes at once.  Seeded and reproducible:
 *
 *   TA_FUZZ_SEED  base seed (default: 1); worker i uses seed + i
 *   TA_FUZZ_OPS   total operations over all workers (default: 400000)
 *   TA_FUZZ_PROCS worker processes (default: 4)
 *
 * What it checks: every call returns (no oops, no hang), errors are the
 * documented ones, and when everything is closed the module's accounting is
 * back to where it started.  The debug lane runs it on a KASAN/lockdep
 * kernel, where any report fails the run.
 *
 * fuzz_shared_unprivileged does the same as nobody, in a memory cgroup,
 * with several processes and threads sharing one open file, arguments in
 * pages that fault, and a FAST hard cap to respect; see its comment.  It
 * runs TA_FUZZ_PROCS processes of three threads; thread j of process i
 * uses seed + 3 * i + j.
 *
 *   TA_FUZZ_SHARED_OPS  its operations over all threads (default: half of
 *                       TA_FUZZ_OPS, i.e. 200000: about 50 s under TCG)
 */
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/magic.h>

#include "kselftest_harness.h"
#include "ta_test.h"

/* A million operations on the debug kernel take a while under TCG. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 3000

#define MAX_REGIONS 16
#define MAX_MAPS    32

struct fz {
	uint64_t rng;
	int fd;
	uint32_t handles[MAX_REGIONS];
	uint64_t sizes[MAX_REGIONS];
	int nh;
	struct {
		char *p;
		size_t len;
	} maps[MAX_MAPS];
	int nm;
	unsigned long ops, unexpected;
};

static uint64_t rnd(struct fz *f)
{
	/* xorshift64*: small, fast, reproducible. */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t pick(struct fz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

/* Values a careless or hostile caller would pass. */
static uint64_t boundary(struct fz *f)
{
	static const uint64_t v[] = {
		0,
		1,
		2,
		3,
		4095,
		4096,
		4097,
		(2 << 20) - 1,
		2 << 20,
		(2 << 20) + 1,
		1ULL << 30,
		TA_REGION_MAX_SIZE - 1,
		TA_REGION_MAX_SIZE,
		TA_REGION_MAX_SIZE + 1,
		1ULL << 62,
		(1ULL << 63) - 1,
		1ULL << 63,
		~0ULL,
		~0ULL - 4095,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		TA_NR_TIERS,
		TA_NR_HINTS,
		TA_NR_TIERS - 1,
		TA_NR_HINTS - 1,
	};

	return pick(f, 4) ? v[pick(f, sizeof(v) / sizeof(v[0]))] : rnd(f);
}

static void fill_random(struct fz *f, void *buf, size_t n)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = pick(f, 2) ? boundary(f) : rnd(f);
}

/* The errors uapi/linux/tieralloc.h documents. */
static bool documented_errno(unsigned long cmd, int e)
{
	switch (e) {
	case EINVAL:
	case ENOTTY:
	case EFAULT:
	case ENOENT:
	case ENOMEM:
	case EPERM:
	case ENODEV:
	case EINTR:
	case EDQUOT:
	case ENOSPC:
		return true;
	case EBADF:
		return cmd == TA_IOC_REGION_CLONE;
	default:
		return false;
	}
}

static sigjmp_buf jb;
static volatile sig_atomic_t in_touch;

static void on_fault(int sig)
{
	if (in_touch)
		siglongjmp(jb, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void op_raw_ioctl(struct fz *f)
{
	static const unsigned long cmds[] = {
		TA_IOC_VERSION,	       TA_IOC_REGION_CREATE, TA_IOC_REGION_FREE, TA_IOC_REGION_INFO,
		TA_IOC_REGION_MOVE,    TA_IOC_GET_TIER,	     TA_IOC_SET_TIER,	 TA_IOC_GET_STATS,
		TA_IOC_REGION_DISCARD, TA_IOC_REGION_CLONE,
	};
	union {
		struct ta_region_create c;
		struct ta_region_move m;
		struct ta_tier_config t;
		struct ta_stats_query q;
		uint64_t w[64];
	} u;
	struct ta_stats st;
	unsigned long cmd = cmds[pick(f, sizeof(cmds) / sizeof(cmds[0]))];
	int r = (int)pick(f, 10);

	fill_random(f, &u, sizeof(u));
	if (r == 0) /* wrong size in the ioctl number */
		cmd = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) | (pick(f, 256) << _IOC_SIZESHIFT);
	else if (r == 1) /* unknown number */
		cmd = _IOC(pick(f, 4), TA_IOC_MAGIC, 10 + pick(f, 246), pick(f, 512));
	if (cmd == TA_IOC_GET_STATS && pick(f, 2))
		u.q.stats_ptr = (uintptr_t)&st;
	if (cmd == TA_IOC_SET_TIER && pick(f, 4))
		return; /* mostly leave the machine's config alone */
	if (cmd == TA_IOC_REGION_CREATE) {
		if (pick(f, 2))
			u.c.size &= (4 << 20) - 1; /* often a size that can succeed */
		/* Zeroing 2 MiB pages is slow under TCG: keep them rare. */
		if (pick(f, 8))
			u.c.flags &= ~(TA_REGION_HUGE | TA_REGION_POPULATE);
		if (ioctl(f->fd, cmd, pick(f, 20) ? (void *)&u : (void *)boundary(f)) == 0 &&
		    f->nh < MAX_REGIONS) {
			f->handles[f->nh] = u.c.handle;
			f->sizes[f->nh++] = u.c.granted_size;
		}
		return;
	}
	if (ioctl(f->fd, cmd, pick(f, 20) ? (void *)&u : (void *)boundary(f)) < 0 &&
	    !documented_errno(cmd, errno)) {
		fprintf(stderr, "# ioctl %#lx: unexpected errno %d\n", cmd, errno);
		f->unexpected++;
	}
}

static void op_create(struct fz *f)
{
	struct ta_region_create c;
	uint32_t flags = (pick(f, 2) ? TA_REGION_TIER : 0) | (pick(f, 8) ? 0 : TA_REGION_HUGE) |
			 (pick(f, 8) ? 0 : TA_REGION_POPULATE) | (pick(f, 4) ? 0 : TA_REGION_AUTO);
	uint64_t size = (pick(f, 4) + 1) * (pick(f, 2) ? TA_PAGE * (1 + pick(f, 64)) : TA_MIB / 2);

	if (f->nh == MAX_REGIONS)
		return;
	if (ta_create(f->fd, size, pick(f, flags & TA_REGION_TIER ? TA_NR_TIERS : TA_NR_HINTS),
		      flags, &c) == 0) {
		f->handles[f->nh] = c.handle;
		f->sizes[f->nh++] = c.granted_size;
	}
}

static void op_free(struct fz *f)
{
	int i;

	if (!f->nh)
		return;
	i = (int)pick(f, f->nh);
	ta_free_handle(f->fd, f->handles[i]);
	f->handles[i] = f->handles[--f->nh];
	f->sizes[i] = f->sizes[f->nh];
}

static void op_mmap(struct fz *f)
{
	int i, flags = pick(f, 8) ? MAP_SHARED : MAP_PRIVATE;
	uint64_t off, len;
	void *p;

	if (!f->nh || f->nm == MAX_MAPS)
		return;
	i = (int)pick(f, f->nh);
	off = pick(f, f->sizes[i] / TA_PAGE + 2) * TA_PAGE;
	len = (pick(f, 16) + 1) * TA_PAGE * (pick(f, 4) ? 1 : 512);
	p = mmap(NULL, len, PROT_READ | (pick(f, 8) ? PROT_WRITE : 0), flags, f->fd,
		 TA_REGION_OFFSET(f->handles[i]) + off);
	if (p != MAP_FAILED) {
		f->maps[f->nm].p = p;
		f->maps[f->nm++].len = len;
	}
}

static void op_touch(struct fz *f)
{
	int i, n;
	char *p;
	size_t len;

	if (!f->nm)
		return;
	i = (int)pick(f, f->nm);
	p = f->maps[i].p;
	len = f->maps[i].len;
	n = 1 + (int)pick(f, 64);
	if (sigsetjmp(jb, 1) == 0) {
		in_touch = 1;
		while (n--) {
			size_t o = pick(f, len);

			if (pick(f, 2))
				p[o] = (char)o;
			else
				(void)*(volatile char *)(p + o);
		}
	}
	in_touch = 0;
}

static void op_vm(struct fz *f)
{
	int i;
	char *p;
	size_t len, o, n;
	void *q;

	if (!f->nm)
		return;
	i = (int)pick(f, f->nm);
	p = f->maps[i].p;
	len = f->maps[i].len;
	o = pick(f, len / TA_PAGE) * TA_PAGE;
	n = (pick(f, (len - o) / TA_PAGE) + 1) * TA_PAGE;
	switch (pick(f, 5)) {
	case 0: /* unmap all of it */
		munmap(p, len);
		f->maps[i] = f->maps[--f->nm];
		break;
	case 1: /* punch a hole: keep the head, leak the tail's bookkeeping */
		munmap(p + o, n);
		f->maps[i].len = o;
		if (!o)
			f->maps[i] = f->maps[--f->nm];
		break;
	case 2:
		q = mremap(p, len, len + (pick(f, 2) ? TA_PAGE : 0) - (pick(f, 2) ? 0 : o),
			   MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			f->maps[i].p = q;
			f->maps[i].len = len + 0;
		}
		break;
	case 3:
		madvise(p + o, n, (int)pick(f, 24));
		break;
	default:
		mprotect(p + o, n, (int)pick(f, 8));
		break;
	}
}

static void op_move(struct fz *f)
{
	struct ta_region_move m = { 0 };
	int i;

	if (!f->nh)
		return;
	i = (int)pick(f, f->nh);
	m.handle = f->handles[i];
	m.dst_tier = pick(f, 16) ? pick(f, TA_NR_TIERS) : (uint32_t)boundary(f);
	m.offset = pick(f, 4) ? pick(f, f->sizes[i] / TA_PAGE) * TA_PAGE : boundary(f);
	m.length = pick(f, 4) ? pick(f, f->sizes[i] / TA_PAGE + 1) * TA_PAGE : boundary(f);
	m.flags = pick(f, 8) ? (uint32_t)pick(f, 2) : (uint32_t)rnd(f);
	ioctl(f->fd, TA_IOC_REGION_MOVE, &m);
}

static void op_discard(struct fz *f)
{
	struct ta_region_discard d = { 0 };
	int i;

	if (!f->nh)
		return;
	i = (int)pick(f, f->nh);
	d.handle = f->handles[i];
	d.offset = pick(f, 4) ? pick(f, f->sizes[i] / TA_PAGE) * TA_PAGE : boundary(f);
	d.length = pick(f, 4) ? pick(f, f->sizes[i] / TA_PAGE + 1) * TA_PAGE : boundary(f);
	ioctl(f->fd, TA_IOC_REGION_DISCARD, &d);
}

static void op_clone(struct fz *f)
{
	struct ta_region_clone c = { 0 };
	int i;

	if (!f->nh)
		return;
	i = (int)pick(f, f->nh);
	c.src_fd = pick(f, 8) ? f->fd : (int)boundary(f);
	c.src_handle = pick(f, 8) ? f->handles[i] : (uint32_t)boundary(f);
	c.flags = pick(f, 8) ? 0 : (uint32_t)rnd(f);
	c.reserved = pick(f, 8) ? 0 : (uint32_t)rnd(f);
	if (ioctl(f->fd, TA_IOC_REGION_CLONE, &c) == 0 && f->nh < MAX_REGIONS) {
		f->handles[f->nh] = c.handle;
		f->sizes[f->nh++] = c.size;
	}
}

static void op_fork(struct fz *f)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* The child inherits fd and mappings, pokes, and dies abruptly. */
		for (int k = 0; k < 8; k++) {
			op_touch(f);
			op_move(f);
			op_discard(f);
		}
		if (pick(f, 2))
			raise(SIGKILL);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void fuzz(struct fz *f, unsigned long ops)
{
	static void (*const table[])(struct fz *) = {
		op_raw_ioctl, op_raw_ioctl, op_raw_ioctl, op_raw_ioctl, op_create, op_create,
		op_free,      op_mmap,	    op_mmap,	  op_touch,	op_touch,  op_vm,
		op_move,      op_move,	    op_discard,	  op_clone,
	};

	for (; f->ops < ops; f->ops++) {
		if (pick(f, 512) == 0)
			op_fork(f);
		else
			table[pick(f, sizeof(table) / sizeof(table[0]))](f);
		/* Now and then start over with a new file. */
		if (pick(f, 4096) == 0) {
			close(f->fd);
			f->fd = ta_open_dev();
			f->nh = 0;
		}
	}
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

TEST(fuzz_ioctl_mmap)
{
	unsigned long seed = env_ul("TA_FUZZ_SEED", 1), ops = env_ul("TA_FUZZ_OPS", 400000);
	int procs = (int)env_ul("TA_FUZZ_PROCS", 4), fd, i, st, bad = 0;
	struct ta_saved_cfg saved;
	struct ta_stats s0, s1;

	fd = ta_open_dev();
	if (fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	ta_save_cfg(fd, &saved);
	ASSERT_EQ(0, ta_get_stats(fd, &s0));
	signal(SIGBUS, on_fault);
	signal(SIGSEGV, on_fault);

	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			struct fz f = { .rng = (seed + i) * 0x9E3779B97F4A7C15ULL | 1 };

			f.fd = ta_open_dev();
			fuzz(&f, ops / procs);
			_exit(f.unexpected ? 1 : 0);
		}
	}
	for (i = 0; i < procs; i++) {
		wait(&st);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	ta_restore_cfg(fd, &saved);
	ASSERT_EQ(0, ta_get_stats(fd, &s1));
	printf("# fuzz: seed %lu, %lu operations in %d processes\n", seed, ops, procs);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(s0.live_regions, s1.live_regions);
	for (i = 0; i < TA_NR_TIERS; i++) {
		EXPECT_EQ(s0.tier[i].reserved_bytes, s1.tier[i].reserved_bytes);
		EXPECT_EQ(s0.tier[i].resident_bytes, s1.tier[i].resident_bytes);
	}
	close(fd);
}

/*
 * ---- fuzz_shared_unprivileged ----
 *
 * The same kind of fuzzing as an unprivileged user would do it: workers run
 * as nobody inside a fresh memory cgroup (memory.max = 256 MiB).  A leader
 * opens the device once and forks the other worker processes, which inherit
 * that file; every process runs three threads on it.  The threads of all
 * processes share a small table of recently created handles in shared
 * memory, so that one thread frees, moves, discards, maps or clones a
 * region another one just created or is using.  Arguments are placed in a
 * read-only page (copy-in works, copy-out cannot) and a PROT_NONE page
 * (copy-in cannot), across page boundaries too: the ioctl must then fail
 * (EFAULT where nothing else can be wrong) and leave no region behind.  All
 * this next to mmap, munmap, partial munmap, mremap, mprotect, madvise,
 * fork (the child touches, moves, discards, maybe dies by SIGKILL with a
 * thread still touching) and exit, and next to first touches of the same
 * HUGE chunk through two VMAs of every process, starting mid-chunk.
 *
 * Root sets FAST's hard cap to 64 MiB (route_slow) first.  The workers
 * check now and then, with move_pages(2), that the distinct region pages
 * their process maps on FAST's node never add up to more than that, and
 * root watches FAST's reservation while they run.  At the end: no kernel
 * report in /dev/kmsg, every ioctl error documented, accounting back to
 * where it started.
 *
 * A cap check is only sound if no FAST reservation is given up while the
 * process's pages are counted (a region moved away and another moved in
 * meanwhile would both be counted).  So every operation that could give one
 * up (everything but touching) holds a process-shared rwlock for reading,
 * and the check holds it for writing.
 */
#define SH_NOBODY     65534
#define SH_THREADS    3
#define SH_MAX_PROCS  16
#define SH_SLOTS      16
#define SH_BIGS	      6
#define SH_BIG_SIZE   (12 * TA_MIB)
#define SH_MAPS	      4
#define SH_FAST_CAP   (64 * TA_MIB)
#define SH_FAST_SOFT  (48 * TA_MIB)
#define SH_MEMCG_MAX  (256 * TA_MIB)
#define SH_ARENA      (16 * TA_MIB)
#define SH_PREFILL    16 /* valid CREATE structs in the read-only page, then as many CLONEs */
#define SH_CHECK_NS   6000000000ULL /* a cap check per process this often */
#define SH_MAX_PRINTS 40

/* Shared by the test (root) and every worker: MAP_SHARED, made before the fork. */
struct sh_group {
	pthread_rwlock_t caplock;
	/* Recent regions, handle | huge << 32 | pages << 33; 0 = empty. */
	uint64_t slot[SH_SLOTS];
	/* The HUGE region every process maps twice into its arena. */
	uint64_t huge_round;
	uint32_t big[SH_BIGS];
	uint32_t clone_src;
	uint32_t max_handle;
	int fast_node; /* -1: no cap check */
	int procs;
	pid_t pids[SH_MAX_PROCS];
	int cap_disabled;
	unsigned long ops, unexpected, printed, fault_checks, efaults, leak_probes, cap_checks,
		cap_skipped, forks, rounds, created, rerouted;
	uint64_t fast_max; /* most bytes one process had on FAST's node in a check */
	char why[256];	   /* why the leader gave up */
	char cgwhy[256];   /* why it runs outside the memory cgroup */
	unsigned long arena_maps;
};

struct sh_map {
	char *p;
	size_t len;
};

struct sh_proc;

struct sh_thread {
	struct fz f; /* only its rng: boundary(), pick(), fill_random() */
	struct sh_proc *pr;
	unsigned long budget;
	struct sh_map maps[SH_MAPS];
	int nm;
	char *arg;	/* three pages: read-write, read-only, PROT_NONE */
	char *ro_alias; /* a writable mapping of the read-only page */
	unsigned int seen_epoch;
	pthread_t tid;
};

struct sh_proc {
	struct sh_group *g;
	int fd, idx;
	char *big[SH_BIGS];
	/* Never unmapped: region mappings are swapped in and out with MAP_FIXED. */
	char *arena;
	pthread_mutex_t arena_lock;
	uint64_t arena_h; /* the round mapped, as in huge_round */
	struct {
		size_t pos, len, roff;
	} av[2];
	unsigned int epoch;
	uint64_t go_ns;
	char *prefill;
	uint64_t next_check;
	int cap_timeouts;
	struct sh_thread th[SH_THREADS];
};

static struct sh_group *sh_g;
static __thread sigjmp_buf sh_jb;
static __thread volatile sig_atomic_t sh_in_touch;
static __thread int sh_in_child;

static void sh_on_fault(int sig)
{
	if (sh_in_touch)
		siglongjmp(sh_jb, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t sh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * An unexpected result: counted, and the first few printed.  Threads and
 * forked children print with one write(2), never through stdio's locks.
 */
static void __attribute__((format(printf, 1, 2))) sh_bad(const char *fmt, ...)
{
	char buf[640];
	va_list ap;
	int n;

	__atomic_add_fetch(&sh_g->unexpected, 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&sh_g->printed, 1, __ATOMIC_RELAXED) >= SH_MAX_PRINTS)
		return;
	n = snprintf(buf, sizeof(buf), "# fuzz-shared [pid %d%s]: ", getpid(),
		     sh_in_child ? ", forked child" : "");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, n) < 0) {
		/* nothing to do */
	}
}

static uint64_t sh_pack(uint32_t h, uint64_t size, bool huge)
{
	uint64_t pages = size / TA_PAGE;

	if (pages > (1ULL << 30) - 1)
		pages = (1ULL << 30) - 1;
	return h | (uint64_t)huge << 32 | pages << 33;
}

static uint32_t sh_unpack(uint64_t v, uint64_t *pages, bool *huge)
{
	*pages = v >> 33;
	*huge = (v >> 32) & 1;
	return (uint32_t)v;
}

static const unsigned long sh_cmds[] = {
	TA_IOC_VERSION,	       TA_IOC_REGION_CREATE, TA_IOC_REGION_FREE, TA_IOC_REGION_INFO,
	TA_IOC_REGION_MOVE,    TA_IOC_GET_TIER,	     TA_IOC_SET_TIER,	 TA_IOC_GET_STATS,
	TA_IOC_REGION_DISCARD, TA_IOC_REGION_CLONE,
};

static const char *sh_cmd_name(unsigned long cmd)
{
	static const char *const names[] = {
		"VERSION",  "REGION_CREATE", "REGION_FREE", "REGION_INFO",    "REGION_MOVE",
		"GET_TIER", "SET_TIER",	     "GET_STATS",   "REGION_DISCARD", "REGION_CLONE",
	};

	for (size_t i = 0; i < sizeof(sh_cmds) / sizeof(sh_cmds[0]); i++)
		if (cmd == sh_cmds[i])
			return names[i];
	return "unknown";
}

static bool sh_known(unsigned long cmd)
{
	/* REGION_INFO is size-versioned: any size from V1 up, 8-aligned (uapi). */
	if (_IOC_TYPE(cmd) == TA_IOC_MAGIC && _IOC_NR(cmd) == _IOC_NR(TA_IOC_REGION_INFO) &&
	    _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE) && _IOC_SIZE(cmd) >= TA_REGION_INFO_SIZE_V1 &&
	    !(_IOC_SIZE(cmd) % 8))
		return true;
	for (size_t i = 0; i < sizeof(sh_cmds) / sizeof(sh_cmds[0]); i++)
		if (cmd == sh_cmds[i])
			return true;
	return false;
}

/* Where an ioctl argument lives. */
enum { AT_STACK, AT_RO, AT_RW_RO, AT_RO_NONE, AT_NONE, AT_WILD };

static const char *const sh_at_name[] = {
	"on the stack",
	"in a read-only page",
	"across a read-write/read-only page boundary",
	"across a read-only/PROT_NONE page boundary",
	"in a PROT_NONE page",
	"at a wild address",
};

/* Write @n bytes at @p, the read-only page's through its writable alias. */
static void sh_write_arg(struct sh_thread *t, char *p, const void *src, size_t n)
{
	char *ro = t->arg + TA_PAGE, *d;

	for (size_t i = 0; i < n; i++) {
		d = p + i;
		if (d >= ro && d < ro + TA_PAGE)
			d = t->ro_alias + (d - ro);
		*d = ((const char *)src)[i];
	}
}

/*
 * Put @size bytes of @src where @where says and return the address.  Only
 * the readable part of an argument that runs into the PROT_NONE page is
 * written.
 */
static void *sh_place(struct sh_thread *t, int where, const void *src, size_t size, void *stack)
{
	char *ro = t->arg + TA_PAGE, *none = t->arg + 2 * TA_PAGE, *p;
	size_t n = size;

	switch (where) {
	case AT_STACK:
		memcpy(stack, src, size);
		return stack;
	case AT_RO:
		p = ro + pick(&t->f, (TA_PAGE - size) / 8 + 1) * 8;
		break;
	case AT_RW_RO:
		p = ro - 1 - pick(&t->f, size - 1);
		break;
	case AT_RO_NONE:
		p = none - 1 - pick(&t->f, size - 1);
		n = none - p;
		break;
	case AT_NONE:
		return none + pick(&t->f, (TA_PAGE - size) / 8 + 1) * 8;
	default:
		return (void *)(uintptr_t)boundary(&t->f);
	}
	sh_write_arg(t, p, src, n);
	return p;
}

/*
 * What any ioctl may answer, given where its argument was: an error from
 * the documented list; never success for nobody's SET_TIER, for an argument
 * that cannot be read whole, or for a result that cannot be copied out;
 * ENOTTY for numbers that are not TierAlloc's; EFAULT (EPERM for SET_TIER)
 * for an argument wholly in a PROT_NONE page.
 */
static void sh_check(unsigned long cmd, int where, long ret, int err, const char *what)
{
	bool known = sh_known(cmd), out = known && (_IOC_DIR(cmd) & _IOC_READ);
	const char *name = sh_cmd_name(cmd), *at = sh_at_name[where];

	if (ret == 0) {
		if (!known)
			sh_bad("%s ioctl %#lx succeeded", what, cmd);
		else if (cmd == TA_IOC_SET_TIER)
			sh_bad("%s SET_TIER succeeded without CAP_SYS_ADMIN", what);
		else if (where == AT_NONE || where == AT_RO_NONE)
			sh_bad("%s %s succeeded with its argument %s", what, name, at);
		else if (out && (where == AT_RO || where == AT_RW_RO))
			sh_bad("%s %s succeeded with its argument %s: no copy-out possible", what,
			       name, at);
		return;
	}
	if (ret != -1)
		sh_bad("%s %s returned %ld", what, name, ret);
	else if (!documented_errno(cmd, err))
		sh_bad("%s %s (argument %s): undocumented errno %d (%s)", what, name, at, err,
		       strerror(err));
	else if (!known && err != ENOTTY)
		sh_bad("%s ioctl %#lx (not TierAlloc's): errno %d (%s), not ENOTTY", what, cmd, err,
		       strerror(err));
	else if (cmd == TA_IOC_SET_TIER && err != EPERM && err != EFAULT)
		sh_bad("%s SET_TIER without CAP_SYS_ADMIN: errno %d (%s), not EPERM", what, err,
		       strerror(err));
	else if (known && where == AT_NONE && err != EFAULT && cmd != TA_IOC_SET_TIER)
		sh_bad("%s %s with its argument %s: errno %d (%s), not EFAULT", what, name, at, err,
		       strerror(err));
}

static void sh_note_handle(uint32_t h)
{
	uint32_t m = __atomic_load_n(&sh_g->max_handle, __ATOMIC_RELAXED);

	while (h > m && !__atomic_compare_exchange_n(&sh_g->max_handle, &m, h, false,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void sh_free(int fd, uint32_t h, const char *what)
{
	struct ta_region_free fr = { .handle = h };
	long ret = ioctl(fd, TA_IOC_REGION_FREE, &fr);

	if (ret && errno != ENOENT)
		sh_check(TA_IOC_REGION_FREE, AT_STACK, ret, errno, what);
}

/* A new region goes into the shared table; the one it displaces is freed. */
static void sh_put(struct sh_thread *t, uint32_t h, uint64_t size, bool huge)
{
	uint64_t old;
	uint32_t oh;
	bool oldhuge;

	sh_note_handle(h);
	__atomic_add_fetch(&sh_g->created, 1, __ATOMIC_RELAXED);
	if (size > 64 * TA_MIB) {
		sh_free(t->pr->fd, h, "FREE of a big new region:");
		return;
	}
	old = __atomic_exchange_n(&sh_g->slot[pick(&t->f, SH_SLOTS)], sh_pack(h, size, huge),
				  __ATOMIC_ACQ_REL);
	oh = sh_unpack(old, &size, &oldhuge);
	if (oh)
		sh_free(t->pr->fd, oh, "FREE of a displaced region:");
}

/* A region to act on: mostly a recent one, sometimes a big one or the arena's. */
static uint32_t sh_target(struct sh_thread *t, uint64_t *pages, bool *huge)
{
	struct sh_group *g = t->pr->g;
	uint64_t r = pick(&t->f, 10), v;
	int i;

	if (r < 7) {
		v = __atomic_load_n(&g->slot[pick(&t->f, SH_SLOTS)], __ATOMIC_ACQUIRE);
	} else if (r < 9) {
		i = (int)pick(&t->f, SH_BIGS);
		*pages = SH_BIG_SIZE / TA_PAGE;
		*huge = i >= SH_BIGS - 2;
		return g->big[i];
	} else {
		v = __atomic_load_n(&g->huge_round, __ATOMIC_ACQUIRE);
	}
	return sh_unpack(v, pages, huge);
}

/* A range of a region for MOVE and DISCARD: mostly valid, sometimes not. */
static void sh_range(struct sh_thread *t, uint64_t pages, bool huge, __u64 *off, __u64 *len)
{
	uint64_t unit = huge ? TA_HUGE_SIZE / TA_PAGE : 1, units = pages / unit, u0;

	if (!units)
		units = 1;
	if (pick(&t->f, 12) == 0) {
		*off = boundary(&t->f);
		*len = boundary(&t->f);
		return;
	}
	u0 = pick(&t->f, units);
	*off = u0 * unit * TA_PAGE;
	*len = pick(&t->f, 4) ? (1 + pick(&t->f, units - u0)) * unit * TA_PAGE : 0;
	if (huge && pick(&t->f, 8) == 0)
		*off += pick(&t->f, 512) * TA_PAGE;
}

/* Touch @n bytes of [p, p + len): random, or one per page from a random start. */
static void sh_touch(struct sh_thread *t, char *p, size_t len, int n, bool seq)
{
	size_t o;

	if (!p || !len)
		return;
	o = pick(&t->f, len);
	if (sigsetjmp(sh_jb, 1) == 0) {
		sh_in_touch = 1;
		while (n-- > 0) {
			if (seq) {
				o += TA_PAGE;
				if (o >= len)
					break;
			} else {
				o = pick(&t->f, len);
			}
			if (pick(&t->f, 2))
				p[o] = (char)o;
			else
				(void)*(volatile char *)(p + o);
		}
	}
	sh_in_touch = 0;
}

/* Replace [p, p + len) by an inaccessible anonymous mapping: an unmap that leaves no hole. */
static void sh_overlay(void *p, size_t len)
{
	mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

/* ---- operations of a worker thread ---- */

/* A source for CLONE: a recent region or the clone source, never a big one (12 MiB copies). */
static uint32_t sh_clone_target(struct sh_thread *t, bool *huge)
{
	uint64_t pages;
	uint32_t h = sh_target(t, &pages, huge);

	if (pick(&t->f, 4) == 0 || pages >= SH_BIG_SIZE / TA_PAGE) {
		*huge = false;
		return sh_g->clone_src;
	}
	return h;
}

static void sh_op_create(struct sh_thread *t)
{
	struct ta_region_create c;
	bool huge = pick(&t->f, 8) == 0;
	/* AUTO regions put the scanner's unmaps and moves in the race too. */
	uint32_t flags = (pick(&t->f, 2) ? TA_REGION_TIER : 0) | (huge ? TA_REGION_HUGE : 0) |
			 (pick(&t->f, 8) ? 0 : TA_REGION_POPULATE) |
			 (pick(&t->f, 4) ? 0 : TA_REGION_AUTO);
	uint64_t size = huge ? (1 + pick(&t->f, 2)) * TA_HUGE_SIZE - (pick(&t->f, 4) ? 0 : TA_PAGE)
			     : TA_PAGE * (1 + pick(&t->f, 64));
	uint32_t placement =
		(uint32_t)pick(&t->f, flags & TA_REGION_TIER ? TA_NR_TIERS : TA_NR_HINTS);
	int ret;

	/* Zeroing 2 MiB pages is slow under TCG: few populated huge regions. */
	if (huge && pick(&t->f, 2))
		flags &= ~TA_REGION_POPULATE;
	if (pick(&t->f, 32) == 0)
		placement = (uint32_t)boundary(&t->f);
	ret = ta_create(t->pr->fd, size, placement, flags, &c);
	if (ret == 0) {
		if (c.result & TA_RESULT_REROUTED)
			__atomic_add_fetch(&sh_g->rerouted, 1, __ATOMIC_RELAXED);
		sh_put(t, c.handle, c.granted_size, huge);
	} else {
		sh_check(TA_IOC_REGION_CREATE, AT_STACK, -1, -ret, "CREATE:");
	}
}

static void sh_op_free(struct sh_thread *t)
{
	uint64_t *s = &sh_g->slot[pick(&t->f, SH_SLOTS)], v, pages;
	bool huge;
	uint32_t h;

	/* Mostly free it under the others' feet; sometimes take it out of the table. */
	v = pick(&t->f, 4) ? __atomic_load_n(s, __ATOMIC_ACQUIRE)
			   : __atomic_exchange_n(s, 0, __ATOMIC_ACQ_REL);
	h = sh_unpack(v, &pages, &huge);
	if (h)
		sh_free(t->pr->fd, h, "FREE:");
}

static void sh_unmap_own(struct sh_thread *t, int i)
{
	munmap(t->maps[i].p, t->maps[i].len);
	t->maps[i] = t->maps[--t->nm];
}

static void sh_add_map(struct sh_thread *t, char *p, size_t len)
{
	if (t->nm == SH_MAPS)
		sh_unmap_own(t, (int)pick(&t->f, t->nm));
	t->maps[t->nm].p = p;
	t->maps[t->nm++].len = len;
}

/* Map part of a region, for this thread alone to touch and unmap. */
static void sh_op_mmap(struct sh_thread *t)
{
	uint64_t pages, off, len, max;
	bool huge, priv = pick(&t->f, 16) == 0;
	uint32_t h = sh_target(t, &pages, &huge);
	void *p;

	if (!h || !pages)
		return;
	off = pick(&t->f, pages);
	max = huge ? 1024 : 64; /* at most 3 HUGE chunks, or 256 KiB */
	len = 1 + pick(&t->f, pages - off < max ? pages - off : max);
	if (pick(&t->f, 16) == 0)
		len += 1 + pick(&t->f, 4); /* past the end: EINVAL */
	if (pick(&t->f, 16) == 0)
		off = pages + pick(&t->f, 4);
	p = mmap(NULL, len * TA_PAGE, PROT_READ | (pick(&t->f, 8) ? PROT_WRITE : 0),
		 priv ? MAP_PRIVATE : MAP_SHARED, t->pr->fd, TA_REGION_OFFSET(h) + off * TA_PAGE);
	if (p == MAP_FAILED)
		return;
	sh_add_map(t, p, len * TA_PAGE);
}

static void sh_op_touch(struct sh_thread *t)
{
	int i;

	if (!t->nm)
		return;
	i = (int)pick(&t->f, t->nm);
	sh_touch(t, t->maps[i].p, t->maps[i].len, 1 + (int)pick(&t->f, 16), false);
}

/* Touch a stretch of a big region, one byte a page: what fills FAST up to its cap. */
static void sh_op_big_touch(struct sh_thread *t)
{
	int i = (int)pick(&t->f, SH_BIGS);

	sh_touch(t, t->pr->big[i], SH_BIG_SIZE, 16 + (int)pick(&t->f, 112), true);
}

static void sh_vm_range(struct sh_thread *t, size_t len, size_t *o, size_t *n)
{
	*o = pick(&t->f, len / TA_PAGE) * TA_PAGE;
	*n = (pick(&t->f, (len - *o) / TA_PAGE) + 1) * TA_PAGE;
}

/* munmap, partial munmap, mremap, madvise, mprotect: of own maps, the big maps, the arena. */
static void sh_op_vm(struct sh_thread *t)
{
	struct sh_proc *pr = t->pr;
	size_t len, o, n;
	char *p;
	void *q;
	int i;

	switch (pick(&t->f, 8)) {
	case 0: /* a big map, shared by the threads: never unmapped */
		p = pr->big[pick(&t->f, SH_BIGS)];
		if (!p)
			return;
		sh_vm_range(t, SH_BIG_SIZE, &o, &n);
		if (pick(&t->f, 2))
			madvise(p + o, n, MADV_DONTNEED);
		else
			mprotect(p + o, n, pick(&t->f, 4) ? PROT_READ | PROT_WRITE : PROT_READ);
		return;
	case 1: /* the arena: "unmap" part of a VMA by mapping nothing over it */
		i = (int)pick(&t->f, 2);
		len = __atomic_load_n(&pr->av[i].len, __ATOMIC_RELAXED);
		if (!len)
			return;
		sh_vm_range(t, len, &o, &n);
		p = pr->arena + __atomic_load_n(&pr->av[i].pos, __ATOMIC_RELAXED) + o;
		switch (pick(&t->f, 3)) {
		case 0:
			sh_overlay(p, n);
			break;
		case 1:
			madvise(p, n, MADV_DONTNEED);
			break;
		default:
			mprotect(p, n, pick(&t->f, 2) ? PROT_READ : PROT_NONE);
			break;
		}
		return;
	}
	if (!t->nm)
		return;
	i = (int)pick(&t->f, t->nm);
	p = t->maps[i].p;
	len = t->maps[i].len;
	sh_vm_range(t, len, &o, &n);
	switch (pick(&t->f, 7)) {
	case 0:
		sh_unmap_own(t, i);
		break;
	case 1: /* keep the head */
		munmap(p + o, len - o);
		t->maps[i].len = o;
		if (!o)
			sh_unmap_own(t, i);
		break;
	case 2: /* keep the tail */
		if (!o)
			break;
		munmap(p, o);
		t->maps[i].p = p + o;
		t->maps[i].len = len - o;
		break;
	case 3: /* punch a hole: head and tail stay, the tail as a map of its own if there is room */
		munmap(p + o, n);
		t->maps[i].len = o;
		if (o + n < len) {
			if (t->nm < SH_MAPS) {
				t->maps[t->nm].p = p + o + n;
				t->maps[t->nm++].len = len - o - n;
			} else {
				munmap(p + o + n, len - o - n);
			}
		}
		if (!o)
			sh_unmap_own(t, i);
		break;
	case 4: /* shrink, or try to grow (VM_DONTEXPAND refuses), maybe moving */
		q = mremap(p, len, pick(&t->f, 2) ? len + TA_PAGE : (o ? o : len), MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			t->maps[i].p = q;
			t->maps[i].len = o ? o : len;
		}
		break;
	case 5:
		madvise(p + o, n, pick(&t->f, 2) ? MADV_DONTNEED : (int)pick(&t->f, 26));
		break;
	default:
		mprotect(p + o, n, (int)pick(&t->f, 8));
		break;
	}
}

static void sh_op_move(struct sh_thread *t)
{
	struct ta_region_move m = { 0 };
	uint64_t pages;
	bool huge;
	long ret;

	m.handle = sh_target(t, &pages, &huge);
	if (!m.handle && pick(&t->f, 4))
		return;
	m.dst_tier =
		pick(&t->f, 16) ? (uint32_t)pick(&t->f, TA_NR_TIERS) : (uint32_t)boundary(&t->f);
	/* Big regions mostly to FAST: keep it at its cap. */
	if (pages == SH_BIG_SIZE / TA_PAGE && pick(&t->f, 2))
		m.dst_tier = TA_TIER_FAST;
	sh_range(t, pages, huge, &m.offset, &m.length);
	m.flags = pick(&t->f, 16) ? (uint32_t)pick(&t->f, 2) : (uint32_t)rnd(&t->f);
	ret = ioctl(t->pr->fd, TA_IOC_REGION_MOVE, &m);
	if (ret)
		sh_check(TA_IOC_REGION_MOVE, AT_STACK, ret, errno, "MOVE:");
}

static void sh_op_discard(struct sh_thread *t)
{
	struct ta_region_discard d = { 0 };
	uint64_t pages;
	bool huge;
	long ret;

	d.handle = sh_target(t, &pages, &huge);
	if (!d.handle && pick(&t->f, 4))
		return;
	sh_range(t, pages, huge, &d.offset, &d.length);
	d.reserved = pick(&t->f, 32) ? 0 : (uint32_t)rnd(&t->f);
	ret = ioctl(t->pr->fd, TA_IOC_REGION_DISCARD, &d);
	if (ret)
		sh_check(TA_IOC_REGION_DISCARD, AT_STACK, ret, errno, "DISCARD:");
}

static void sh_op_clone(struct sh_thread *t)
{
	struct ta_region_clone c = { 0 };
	bool huge;
	long ret;

	c.src_handle = sh_clone_target(t, &huge);
	c.src_fd = pick(&t->f, 16) ? t->pr->fd : (int)boundary(&t->f);
	if (pick(&t->f, 16) == 0)
		c.src_handle = (uint32_t)boundary(&t->f);
	c.flags = pick(&t->f, 16) ? 0 : (uint32_t)rnd(&t->f);
	c.reserved = pick(&t->f, 16) ? 0 : (uint32_t)rnd(&t->f);
	ret = ioctl(t->pr->fd, TA_IOC_REGION_CLONE, &c);
	if (ret == 0)
		sh_put(t, c.handle, c.size, huge);
	else
		sh_check(TA_IOC_REGION_CLONE, AT_STACK, ret, errno, "CLONE:");
}

static void sh_op_info(struct sh_thread *t)
{
	struct ta_region_info info = { 0 };
	uint64_t pages;
	bool huge;
	long ret;

	uint32_t h = sh_target(t, &pages, &huge);

	info.handle = h;
	ret = ioctl(t->pr->fd, TA_IOC_REGION_INFO, &info);
	if (ret)
		sh_check(TA_IOC_REGION_INFO, AT_STACK, ret, errno, "INFO:");
	else if (info.handle != h || info.offset != TA_REGION_OFFSET(h) || !info.size ||
		 info.size % TA_PAGE || info.size > TA_REGION_MAX_SIZE ||
		 info.auto_split > info.size / TA_HUGE_SIZE)
		sh_bad("INFO of handle %u: handle %u, offset %#llx, size %llu, split units %u", h,
		       info.handle, (unsigned long long)info.offset, (unsigned long long)info.size,
		       info.auto_split);
}

/*
 * Any ioctl with random and boundary values, wrong sizes and numbers, its
 * argument on the stack or in the pages that fault.
 */
static void sh_op_raw_ioctl(struct sh_thread *t)
{
	union {
		struct ta_region_create c;
		struct ta_region_clone cl;
		struct ta_region_move m;
		struct ta_region_discard d;
		struct ta_region_free fr;
		struct ta_region_info i;
		struct ta_tier_config tc;
		struct ta_stats_query q;
		uint64_t w[64];
	} u, stk;
	static const int places[16] = { AT_STACK, AT_STACK, AT_STACK,	AT_STACK,
					AT_STACK, AT_STACK, AT_STACK,	AT_STACK,
					AT_STACK, AT_STACK, AT_RO,	AT_RO,
					AT_RW_RO, AT_RW_RO, AT_RO_NONE, AT_NONE };
	unsigned long cmd = sh_cmds[pick(&t->f, sizeof(sh_cmds) / sizeof(sh_cmds[0]))];
	int r = (int)pick(&t->f, 10), where = places[pick(&t->f, 16)], err;
	uint64_t pages;
	struct ta_stats st;
	bool huge;
	size_t sz;
	void *p;
	long ret;

	fill_random(&t->f, &u, sizeof(u));
	if (pick(&t->f, 2)) {
		/* Often a real handle, a valid tier, zeroed reserved fields. */
		uint32_t h = sh_target(t, &pages, &huge);

		u.w[0] = h | (uint64_t)pick(&t->f, TA_NR_TIERS) << 32;
		if (cmd == TA_IOC_REGION_CLONE) {
			u.cl.src_fd = t->pr->fd;
			u.cl.src_handle = sh_clone_target(t, &huge);
			u.cl.flags = 0;
			u.cl.reserved = 0;
		} else if (cmd == TA_IOC_REGION_MOVE || cmd == TA_IOC_REGION_DISCARD) {
			sh_range(t, pages, huge, &u.m.offset, &u.m.length);
			u.d.reserved = 0;
			u.m.flags = (uint32_t)pick(&t->f, 2);
			u.m.reserved = 0;
		} else if (cmd == TA_IOC_REGION_FREE) {
			u.fr.reserved = 0;
		} else if (cmd == TA_IOC_GET_STATS) {
			u.q.stats_ptr = (uintptr_t)&st;
			u.q.size = sizeof(st);
			u.q.reserved = 0;
		}
	}
	if (r == 0) /* wrong size in the ioctl number */
		cmd = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		      (pick(&t->f, 256) << _IOC_SIZESHIFT);
	else if (r == 1) /* unknown number */
		cmd = _IOC(pick(&t->f, 4), TA_IOC_MAGIC, 10 + pick(&t->f, 246), pick(&t->f, 512));
	if (cmd == TA_IOC_REGION_CREATE) {
		if (pick(&t->f, 2))
			u.c.size &= (4 << 20) - 1; /* often a size that can succeed */
		if (pick(&t->f, 8))
			u.c.flags &= ~(TA_REGION_HUGE | TA_REGION_POPULATE);
		/* Populating is bounded: it may take up to memory.max before refusing. */
		if (u.c.flags & TA_REGION_POPULATE)
			u.c.size &= (4 << 20) - 1;
	}
	sz = _IOC_SIZE(cmd);
	sz = sz < 8 ? 8 : sz > sizeof(u) ? sizeof(u) : sz;
	if (pick(&t->f, 32) == 0)
		where = AT_WILD;
	p = sh_place(t, where, &u, sz, &stk);
	ret = ioctl(t->pr->fd, cmd, p);
	err = errno;
	if (ret == 0 && where == AT_STACK && cmd == TA_IOC_REGION_CREATE)
		sh_put(t, stk.c.handle, stk.c.granted_size, stk.c.flags & TA_REGION_HUGE);
	else if (ret == 0 && where == AT_STACK && cmd == TA_IOC_REGION_CLONE)
		sh_put(t, stk.cl.handle, stk.cl.size, false);
	if (where != AT_WILD)
		sh_check(cmd, where, ret, err, "random");
	else if (ret && !documented_errno(cmd, err))
		sh_check(cmd, AT_STACK, ret, err, "random, wild pointer:");
}

static bool sh_in(const int *set, int e)
{
	for (; *set; set++)
		if (*set == e)
			return true;
	return false;
}

/*
 * A valid request whose argument faults: in the read-only page (copy-in
 * works, copy-out cannot), or reaching into the PROT_NONE page.  It must
 * fail, and with EFAULT where nothing else can be wrong with it.
 */
static void sh_op_fault_arg(struct sh_thread *t)
{
	static const int efault[] = { EFAULT, 0 }, info_ok[] = { EFAULT, ENOENT, 0 },
			 create_ok[] = { EFAULT, ENOMEM, EDQUOT, ENOSPC, EINTR, 0 },
			 clone_ok[] = { EFAULT, ENOENT, ENOMEM, EDQUOT, ENOSPC, EINTR, 0 },
			 move_ok[] = { EFAULT, ENOENT, EINVAL, ENOMEM, EINTR, 0 };
	static const int places[8] = { AT_RO,	 AT_RO,	     AT_RO,	 AT_RW_RO,
				       AT_RW_RO, AT_RO_NONE, AT_RO_NONE, AT_NONE };
	struct sh_proc *pr = t->pr;
	union {
		struct ta_version v;
		struct ta_region_create c;
		struct ta_region_clone cl;
		struct ta_region_move m;
		struct ta_region_info i;
		struct ta_tier_config tc;
		struct ta_stats_query q;
	} u, stk;
	int where = places[pick(&t->f, 8)], err;
	const int *allowed = efault;
	unsigned long cmd;
	struct ta_stats st;
	uint64_t pages;
	size_t sz;
	bool huge;
	long ret;
	void *p = NULL;

	memset(&u, 0, sizeof(u));
	switch (pick(&t->f, 10)) {
	case 0:
		cmd = TA_IOC_VERSION;
		sz = sizeof(u.v);
		break;
	case 1:
		cmd = TA_IOC_GET_TIER;
		u.tc.tier = (uint32_t)pick(&t->f, TA_NR_TIERS);
		sz = sizeof(u.tc);
		break;
	case 2:
		cmd = TA_IOC_GET_STATS;
		u.q.size = pick(&t->f, 2) ? sizeof(st) : 1 + pick(&t->f, sizeof(st));
		u.q.stats_ptr = (uintptr_t)&st;
		sz = sizeof(u.q);
		if (pick(&t->f, 3) == 0) {
			/* The query is fine, the stats cannot be written. */
			u.q.stats_ptr = (uintptr_t)t->arg + TA_PAGE * (1 + pick(&t->f, 2));
			u.q.size = sizeof(st);
			where = AT_STACK;
		}
		break;
	case 3:
		cmd = TA_IOC_REGION_INFO;
		u.i.handle = sh_target(t, &pages, &huge);
		sz = sizeof(u.i);
		allowed = info_ok;
		break;
	case 4:
		cmd = TA_IOC_REGION_CREATE;
		u.c.size = TA_PAGE * (1 + pick(&t->f, 64));
		u.c.placement = (uint32_t)pick(&t->f, TA_NR_HINTS);
		u.c.flags = pick(&t->f, 8) ? 0 : TA_REGION_POPULATE;
		if (pick(&t->f, 16) == 0)
			u.c.flags |= TA_REGION_HUGE;
		sz = sizeof(u.c);
		allowed = create_ok;
		break;
	case 5:
		cmd = TA_IOC_REGION_CLONE;
		u.cl.src_fd = pr->fd;
		u.cl.src_handle = sh_clone_target(t, &huge);
		sz = sizeof(u.cl);
		allowed = clone_ok;
		break;
	case 6:
		cmd = TA_IOC_REGION_MOVE;
		u.m.handle = sh_target(t, &pages, &huge);
		u.m.dst_tier = (uint32_t)pick(&t->f, TA_NR_TIERS);
		u.m.flags = (uint32_t)pick(&t->f, 2);
		u.m.offset =
			pick(&t->f, pages / (huge ? 512 : 1)) * (huge ? TA_HUGE_SIZE : TA_PAGE);
		u.m.length = huge ? TA_HUGE_SIZE : TA_PAGE * (1 + pick(&t->f, 64));
		sz = sizeof(u.m);
		allowed = move_ok;
		break;
	case 7: /* the pre-filled read-only page: valid CREATEs */
	case 8:
		cmd = TA_IOC_REGION_CREATE;
		p = pr->prefill + pick(&t->f, SH_PREFILL) * sizeof(struct ta_region_create);
		where = AT_RO;
		allowed = create_ok;
		sz = 0;
		break;
	default: /* and CLONEs */
		cmd = TA_IOC_REGION_CLONE;
		p = pr->prefill + TA_PAGE / 2 +
		    pick(&t->f, SH_PREFILL) * sizeof(struct ta_region_clone);
		where = AT_RO;
		allowed = clone_ok;
		sz = 0;
		break;
	}
	if (where == AT_NONE || where == AT_RO_NONE)
		allowed = cmd == TA_IOC_REGION_INFO && where == AT_RO_NONE ? info_ok : efault;
	if (!p)
		p = sh_place(t, where, &u, sz, &stk);
	ret = ioctl(pr->fd, cmd, p);
	err = errno;
	__atomic_add_fetch(&sh_g->fault_checks, 1, __ATOMIC_RELAXED);
	if (ret == -1 && err == EFAULT)
		__atomic_add_fetch(&sh_g->efaults, 1, __ATOMIC_RELAXED);
	if (ret == 0)
		sh_bad("%s with a valid argument %s succeeded: its result could not be copied out",
		       sh_cmd_name(cmd),
		       where == AT_STACK ? "whose stats page is not writable" : sh_at_name[where]);
	else if (ret != -1 || !sh_in(allowed, err))
		sh_bad("%s with a valid argument %s: returned %ld, errno %d (%s); want EFAULT%s",
		       sh_cmd_name(cmd),
		       where == AT_STACK ? "whose stats page is not writable" : sh_at_name[where],
		       ret, err, strerror(err),
		       allowed == efault ? "" : " or an error it documents");
}

/*
 * Nothing a failed CREATE or CLONE made may stay behind: in a file of its
 * own, where every request fails for want of a writable argument, no handle
 * may answer INFO afterwards.  Handles are small integers, lowest free
 * first, so the few hundred above zero cover every one handed out.
 */
static void sh_op_leak_probe(struct sh_thread *t)
{
	struct sh_proc *pr = t->pr;
	struct ta_region_create c = { .size = TA_PAGE, .placement = TA_HINT_COLD }, stk;
	struct ta_region_info info;
	int pf = ta_open_dev(), k;
	uint32_t h, max;
	long ret;
	void *p;

	if (pf < 0)
		return;
	__atomic_add_fetch(&sh_g->leak_probes, 1, __ATOMIC_RELAXED);
	for (k = 0; k < 6; k++) {
		unsigned long cmd = k & 1 ? TA_IOC_REGION_CLONE : TA_IOC_REGION_CREATE;

		if (k == 0)
			p = pr->prefill + pick(&t->f, SH_PREFILL) * sizeof(struct ta_region_create);
		else if (k == 1)
			p = pr->prefill + TA_PAGE / 2 +
			    pick(&t->f, SH_PREFILL) * sizeof(struct ta_region_clone);
		else if (cmd == TA_IOC_REGION_CREATE)
			p = sh_place(t, k & 2 ? AT_RW_RO : AT_RO, &c, sizeof(c), &stk);
		else
			p = pr->prefill + TA_PAGE / 2;
		ret = ioctl(pf, cmd, p);
		if (ret == 0)
			sh_bad("leak probe: %s with a read-only argument succeeded",
			       sh_cmd_name(cmd));
	}
	max = __atomic_load_n(&sh_g->max_handle, __ATOMIC_RELAXED) + 256;
	for (h = 1; h <= max; h++) {
		memset(&info, 0, sizeof(info));
		info.handle = h;
		ret = ioctl(pf, TA_IOC_REGION_INFO, &info);
		if (ret == 0) {
			sh_bad("leak: handle %u (%llu bytes) is in a file whose every CREATE and "
			       "CLONE failed with EFAULT",
			       h, (unsigned long long)info.size);
		} else if (errno != ENOENT) {
			sh_check(TA_IOC_REGION_INFO, AT_STACK, ret, errno, "leak probe: INFO:");
		}
	}
	close(pf);
}

/* A private copy in a file of its own, mapped, and the file closed under the mapping. */
static void sh_op_private(struct sh_thread *t)
{
	struct ta_region_clone c = { 0 };
	bool huge;
	int pf = ta_open_dev();
	void *p;
	size_t len;

	if (pf < 0)
		return;
	c.src_fd = t->pr->fd;
	c.src_handle = sh_clone_target(t, &huge);
	if (ioctl(pf, TA_IOC_REGION_CLONE, &c) == 0) {
		sh_note_handle(c.handle);
		len = c.size < 256 * 1024 ? c.size : 256 * 1024;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, pf, c.offset);
		if (p != MAP_FAILED)
			sh_add_map(t, p, len);
	} else {
		sh_check(TA_IOC_REGION_CLONE, AT_STACK, -1, errno, "CLONE into a new file:");
	}
	close(pf);
}

/* ---- the arena: one HUGE region mapped twice by every process, first touches racing ---- */

/* Start a new round: a HUGE region of 2 or 3 chunks for every process to map. */
static void sh_new_round(struct sh_thread *t)
{
	struct ta_region_create c;
	uint32_t flags = TA_REGION_HUGE | (pick(&t->f, 2) ? TA_REGION_TIER : 0), oh;
	uint64_t old, pages;
	bool huge;
	int ret;

	ret = ta_create(t->pr->fd, (2 + pick(&t->f, 2)) * TA_HUGE_SIZE,
			(uint32_t)pick(&t->f, flags & TA_REGION_TIER ? TA_NR_TIERS : TA_NR_HINTS),
			flags, &c);
	if (ret) {
		sh_check(TA_IOC_REGION_CREATE, AT_STACK, -1, -ret, "CREATE for the arena:");
		return;
	}
	sh_note_handle(c.handle);
	__atomic_add_fetch(&sh_g->rounds, 1, __ATOMIC_RELAXED);
	old = __atomic_exchange_n(&sh_g->huge_round, sh_pack(c.handle, c.granted_size, true),
				  __ATOMIC_ACQ_REL);
	oh = sh_unpack(old, &pages, &huge);
	if (oh)
		sh_free(t->pr->fd, oh, "FREE of the last arena region:");
}

/*
 * Swap the arena's two VMAs over to the current round's region: mapped
 * elsewhere first, then moved in with mremap(), so that a failed mmap
 * never leaves a hole in the arena for some other mapping to land in
 * (the arena's threads touch it blindly).  The VMAs start mid-chunk, page
 * aligned, and mostly in the same chunk.
 */
static void sh_arena_remap(struct sh_thread *t)
{
	struct sh_proc *pr = t->pr;
	uint64_t v = __atomic_load_n(&sh_g->huge_round, __ATOMIC_ACQUIRE), pages, chunk;
	size_t roff, len, pos, maxlen = SH_ARENA / 2 - 64 * TA_PAGE;
	bool huge;
	uint32_t h = sh_unpack(v, &pages, &huge);
	void *tmp;
	int i;

	if (!h || pages < TA_HUGE_SIZE / TA_PAGE || pthread_mutex_trylock(&pr->arena_lock))
		return;
	if (v == __atomic_load_n(&pr->arena_h, __ATOMIC_RELAXED))
		goto out;
	sh_overlay(pr->arena, SH_ARENA);
	chunk = pick(&t->f, pages / (TA_HUGE_SIZE / TA_PAGE));
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&pr->av[i].len, 0, __ATOMIC_RELAXED);
		if (i == 0 || pick(&t->f, 4))
			roff = chunk * TA_HUGE_SIZE +
			       (pick(&t->f, 4) ? pick(&t->f, 512) * TA_PAGE : 0);
		else
			roff = pick(&t->f, pages) * TA_PAGE;
		len = pages * TA_PAGE - roff;
		if (pick(&t->f, 2))
			len = (1 + pick(&t->f, len / TA_PAGE)) * TA_PAGE;
		if (len > maxlen)
			len = maxlen;
		pos = i * (SH_ARENA / 2) + pick(&t->f, 64) * TA_PAGE;
		tmp = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, pr->fd,
			   TA_REGION_OFFSET(h) + roff);
		if (tmp == MAP_FAILED)
			continue;
		if (mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, pr->arena + pos) ==
		    MAP_FAILED) {
			munmap(tmp, len);
			sh_overlay(pr->arena + pos, len);
			continue;
		}
		__atomic_add_fetch(&sh_g->arena_maps, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&pr->av[i].pos, pos, __ATOMIC_RELAXED);
		__atomic_store_n(&pr->av[i].roff, roff, __ATOMIC_RELAXED);
		__atomic_store_n(&pr->av[i].len, len, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&pr->arena_h, v, __ATOMIC_RELAXED);
	/* Every thread of the process first-touches the new VMAs at this moment. */
	__atomic_store_n(&pr->go_ns, sh_now_ns() + 2000000, __ATOMIC_RELAXED);
	__atomic_add_fetch(&pr->epoch, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&pr->arena_lock);
}

static void sh_poke(struct sh_thread *t, char *p)
{
	if (sigsetjmp(sh_jb, 1) == 0) {
		sh_in_touch = 1;
		if (pick(&t->f, 2))
			*p = 1;
		else
			(void)*(volatile char *)p;
	}
	sh_in_touch = 0;
}

/*
 * Touch the arena's VMAs (any address in the arena is safe: it is never
 * unmapped).  @first: the pages where a chunk starts or the VMA does, which
 * every thread of the process touches at about the same time.
 */
static void sh_arena_touch(struct sh_thread *t, bool first)
{
	struct sh_proc *pr = t->pr;
	size_t pos, len, roff, next;
	char *p;
	int i;

	for (i = 0; i < 2; i++) {
		len = __atomic_load_n(&pr->av[i].len, __ATOMIC_RELAXED);
		pos = __atomic_load_n(&pr->av[i].pos, __ATOMIC_RELAXED);
		roff = __atomic_load_n(&pr->av[i].roff, __ATOMIC_RELAXED);
		if (!len || pos + len > SH_ARENA)
			continue;
		p = pr->arena + pos;
		if (!first) {
			sh_touch(t, p, len, 1 + (int)pick(&t->f, 8), false);
			continue;
		}
		next = (TA_HUGE_SIZE - roff % TA_HUGE_SIZE) % TA_HUGE_SIZE;
		sh_poke(t, p + pick(&t->f, TA_PAGE));
		if (next < len)
			sh_poke(t, p + next);
		sh_poke(t, p + pick(&t->f, len));
	}
}

static void sh_op_arena(struct sh_thread *t)
{
	if (pick(&t->f, 128) == 0)
		sh_new_round(t);
	sh_arena_remap(t);
}

static void sh_op_arena_touch(struct sh_thread *t)
{
	sh_arena_touch(t, false);
}

/* ---- fork ---- */

static void *sh_kid_toucher(void *arg)
{
	struct sh_thread *t = arg;

	sh_in_child = 1;
	for (;;) {
		sh_op_touch(t);
		sh_arena_touch(t, false);
		sh_touch(t, t->pr->big[pick(&t->f, SH_BIGS)], SH_BIG_SIZE, 16, true);
	}
	return NULL;
}

/*
 * The child has the forking thread's maps, the arena and the big maps;
 * it touches them, moves and discards, maybe with a second thread still
 * touching when it exits or is killed.
 */
static void __attribute__((noreturn)) sh_child(struct sh_thread *t)
{
	static struct sh_thread copy;
	pthread_t tid;
	int k;

	sh_in_child = 1;
	copy = *t;
	copy.f.rng = rnd(&t->f) | 1;
	if (pick(&t->f, 2))
		pthread_create(&tid, NULL, sh_kid_toucher, &copy);
	for (k = 0; k < 4; k++) {
		sh_op_touch(t);
		sh_arena_touch(t, false);
		sh_op_move(t);
		sh_op_discard(t);
	}
	if (pick(&t->f, 2))
		raise(SIGKILL);
	_exit(0);
}

static void sh_op_fork(struct sh_thread *t)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		sh_child(t);
	if (pid < 0)
		return;
	__atomic_add_fetch(&sh_g->forks, 1, __ATOMIC_RELAXED);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return;
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
	    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
		sh_bad("a forked child ended with wait status %#x", st);
}

/* ---- the hard-cap check ---- */

static int sh_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Bytes of distinct region pages this process maps on @node, as
 * move_pages(2) reports them, or -1.  A page mapped twice (the arena, two
 * threads' maps of one region) counts once: it is known by its region's
 * handle and its index there, from the VMA's offset in /proc/self/maps.
 */
static long long sh_node_bytes(int node)
{
	struct vma {
		unsigned long s, e, off;
	} *v = NULL, *nv;
	uint64_t *keys = NULL, *nk;
	size_t n = 0, vcap = 0, k = 0, kcap = 0, i, j, b, uniq;
	char line[512], path[256];
	void *pages[1024];
	int status[1024];
	unsigned long s, e, off;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &s, &e, &off, path) < 3 ||
		    !strstr(path, "tieralloc"))
			continue;
		if (n == vcap) {
			vcap = vcap ? 2 * vcap : 64;
			nv = realloc(v, vcap * sizeof(*v));
			if (!nv)
				goto fail;
			v = nv;
		}
		v[n].s = s;
		v[n].e = e;
		v[n++].off = off;
	}
	fclose(f);
	f = NULL;
	for (i = 0; i < n; i++) {
		for (s = v[i].s; s < v[i].e; s += b * TA_PAGE) {
			b = (v[i].e - s) / TA_PAGE;
			if (b > 1024)
				b = 1024;
			for (j = 0; j < b; j++)
				pages[j] = (void *)(s + j * TA_PAGE);
			if (syscall(SYS_move_pages, 0, b, pages, NULL, status, 0))
				continue;
			for (j = 0; j < b; j++) {
				if (status[j] != node)
					continue;
				if (k == kcap) {
					kcap = kcap ? 2 * kcap : 4096;
					nk = realloc(keys, kcap * sizeof(*keys));
					if (!nk)
						goto fail;
					keys = nk;
				}
				keys[k++] =
					(v[i].off >> TA_REGION_SHIFT) << 32 |
					(((v[i].off & (TA_REGION_MAX_SIZE - 1)) + (s - v[i].s)) /
						 TA_PAGE +
					 j);
			}
		}
	}
	qsort(keys, k, sizeof(*keys), sh_cmp_u64);
	for (i = 0, uniq = 0; i < k; i++)
		uniq += !i || keys[i] != keys[i - 1];
	free(v);
	free(keys);
	return (long long)uniq * TA_PAGE;
fail:
	if (f)
		fclose(f);
	free(v);
	free(keys);
	return -1;
}

/* Read every page of [p, p + len), past the ones that fault. */
static void sh_read_all(char *p, size_t len)
{
	volatile size_t o = 0;

	while (o < len) {
		if (sigsetjmp(sh_jb, 1) == 0) {
			sh_in_touch = 1;
			for (; o < len; o += TA_PAGE)
				(void)*(volatile char *)(p + o);
		} else {
			o += TA_PAGE;
		}
		sh_in_touch = 0;
	}
}

/*
 * With every operation of the group that could give up a FAST reservation
 * held off (the rwlock), this process's pages on FAST's node can only be
 * pages of live reservations: at most the hard cap.  The big regions are
 * read whole first, so that most of what they hold on FAST is mapped here
 * and counted (moves, discards and MADV_DONTNEED keep unmapping it).
 */
static void sh_cap_check(struct sh_proc *pr)
{
	struct sh_group *g = pr->g;
	struct timespec ts;
	long long bytes;
	uint64_t m;
	int i;

	if (__atomic_load_n(&g->cap_disabled, __ATOMIC_RELAXED))
		return;
	for (i = 0; i < SH_BIGS; i++)
		if (pr->big[i])
			sh_read_all(pr->big[i], SH_BIG_SIZE);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	if (pthread_rwlock_timedwrlock(&g->caplock, &ts)) {
		/*
		 * Slow readers (a fork on a debug kernel), or one killed while
		 * holding it (an OOM kill), which blocks it for good.
		 */
		__atomic_add_fetch(&g->cap_skipped, 1, __ATOMIC_RELAXED);
		if (++pr->cap_timeouts >= 3)
			__atomic_store_n(&g->cap_disabled, 1, __ATOMIC_RELAXED);
		return;
	}
	pr->cap_timeouts = 0;
	bytes = sh_node_bytes(g->fast_node);
	pthread_rwlock_unlock(&g->caplock);
	if (bytes < 0) {
		__atomic_add_fetch(&g->cap_skipped, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&g->cap_checks, 1, __ATOMIC_RELAXED);
	m = __atomic_load_n(&g->fast_max, __ATOMIC_RELAXED);
	while ((uint64_t)bytes > m &&
	       !__atomic_compare_exchange_n(&g->fast_max, &m, bytes, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	if (bytes > (long long)SH_FAST_CAP)
		sh_bad("hard cap: this process maps %lld KiB of region pages on FAST's node %d, "
		       "over FAST's hard cap of %lu KiB",
		       bytes >> 10, g->fast_node, SH_FAST_CAP >> 10);
}

/* ---- threads, processes ---- */

struct sh_op {
	void (*fn)(struct sh_thread *t);
	bool lock; /* may give up a FAST reservation: not during a cap check */
};

static const struct sh_op sh_ops[] = {
	{ sh_op_raw_ioctl, true },    { sh_op_raw_ioctl, true },  { sh_op_raw_ioctl, true },
	{ sh_op_raw_ioctl, true },    { sh_op_fault_arg, true },  { sh_op_fault_arg, true },
	{ sh_op_fault_arg, true },    { sh_op_create, true },	  { sh_op_create, true },
	{ sh_op_create, true },	      { sh_op_free, true },	  { sh_op_mmap, true },
	{ sh_op_mmap, true },	      { sh_op_touch, false },	  { sh_op_touch, false },
	{ sh_op_touch, false },	      { sh_op_big_touch, false }, { sh_op_big_touch, false },
	{ sh_op_vm, true },	      { sh_op_vm, true },	  { sh_op_move, true },
	{ sh_op_move, true },	      { sh_op_discard, true },	  { sh_op_clone, true },
	{ sh_op_info, false },	      { sh_op_arena, true },	  { sh_op_arena_touch, false },
	{ sh_op_arena_touch, false },
};

static void sh_locked(struct sh_thread *t, void (*fn)(struct sh_thread *t))
{
	pthread_rwlock_rdlock(&sh_g->caplock);
	fn(t);
	pthread_rwlock_unlock(&sh_g->caplock);
}

static void *sh_thread_main(void *arg)
{
	struct sh_thread *t = arg;
	struct sh_proc *pr = t->pr;
	unsigned long ops;
	uint64_t now, next, go;
	unsigned int e;
	const struct sh_op *op;
	int mfd;

	/*
	 * The argument pages: read-write, read-only (a memfd page, written
	 * through a second, writable mapping: no mprotect() per request),
	 * PROT_NONE.
	 */
	mfd = memfd_create("ta-fuzz-arg", MFD_CLOEXEC);
	t->arg =
		mmap(NULL, 3 * TA_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mfd < 0 || ftruncate(mfd, TA_PAGE) || t->arg == MAP_FAILED ||
	    mmap(t->arg + TA_PAGE, TA_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, mfd, 0) ==
		    MAP_FAILED ||
	    mprotect(t->arg + 2 * TA_PAGE, TA_PAGE, PROT_NONE) ||
	    (t->ro_alias = mmap(NULL, TA_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0)) ==
		    MAP_FAILED) {
		sh_bad("the argument pages: %s", strerror(errno));
		return NULL;
	}
	close(mfd);
	for (ops = 0; ops < t->budget; ops++) {
		e = __atomic_load_n(&pr->epoch, __ATOMIC_ACQUIRE);
		if (e != t->seen_epoch) {
			t->seen_epoch = e;
			go = __atomic_load_n(&pr->go_ns, __ATOMIC_RELAXED);
			while (sh_now_ns() < go)
				sched_yield();
			sh_arena_touch(t, true);
		}
		if (!(ops & 15) && sh_g->fast_node >= 0) {
			now = sh_now_ns();
			next = __atomic_load_n(&pr->next_check, __ATOMIC_RELAXED);
			if (now >= next &&
			    __atomic_compare_exchange_n(&pr->next_check, &next, now + SH_CHECK_NS,
							false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				sh_cap_check(pr);
		}
		switch (pick(&t->f, 1024)) {
		case 0:
			sh_locked(t, sh_op_fork); /* the child's exit too */
			break;
		case 1:
			sh_locked(t, sh_op_leak_probe);
			break;
		case 2:
		case 3:
		case 4:
			sh_locked(t, sh_op_private);
			break;
		default:
			op = &sh_ops[pick(&t->f, sizeof(sh_ops) / sizeof(sh_ops[0]))];
			if (op->lock)
				sh_locked(t, op->fn);
			else
				op->fn(t);
			break;
		}
	}
	__atomic_add_fetch(&sh_g->ops, ops, __ATOMIC_RELAXED);
	return NULL;
}

static char *sh_prefill_page;

static void __attribute__((noreturn))
sh_process(struct sh_group *g, int fd, int idx, unsigned long seed, unsigned long budget)
{
	struct sigaction sa = { .sa_handler = sh_on_fault };
	struct sh_proc *pr = calloc(1, sizeof(*pr));
	int i, j;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (!pr)
		_exit(4);
	pr->g = g;
	pr->fd = fd;
	pr->idx = idx;
	pr->prefill = sh_prefill_page;
	pr->next_check = sh_now_ns() + SH_CHECK_NS / 4 + idx * (SH_CHECK_NS / 8);
	for (i = 0; i < SH_BIGS; i++) {
		pr->big[i] = mmap(NULL, SH_BIG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				  TA_REGION_OFFSET(g->big[i]));
		if (pr->big[i] == MAP_FAILED)
			pr->big[i] = NULL;
	}
	pr->arena =
		mmap(NULL, SH_ARENA, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pr->arena == MAP_FAILED) {
		sh_bad("arena: %s", strerror(errno));
		_exit(4);
	}
	pthread_mutex_init(&pr->arena_lock, NULL);
	for (i = 0; i < SH_THREADS; i++) {
		struct sh_thread *t = &pr->th[i];

		t->pr = pr;
		t->f.rng = (seed + idx * SH_THREADS + i) * 0x9E3779B97F4A7C15ULL | 1;
		t->budget = budget;
		if (pthread_create(&t->tid, NULL, sh_thread_main, t)) {
			sh_bad("pthread_create: %s", strerror(errno));
			t->tid = 0;
		}
	}
	for (i = 0; i < SH_THREADS; i++)
		if (pr->th[i].tid)
			pthread_join(pr->th[i].tid, NULL);
	/* Exit without mappings: their end may give up FAST reservations. */
	pthread_rwlock_rdlock(&g->caplock);
	for (i = 0; i < SH_THREADS; i++)
		for (j = 0; j < pr->th[i].nm; j++)
			munmap(pr->th[i].maps[j].p, pr->th[i].maps[j].len);
	for (i = 0; i < SH_BIGS; i++)
		if (pr->big[i])
			munmap(pr->big[i], SH_BIG_SIZE);
	munmap(pr->arena, SH_ARENA);
	close(fd);
	pthread_rwlock_unlock(&g->caplock);
	_exit(0);
}

/*
 * The first worker: joins the cgroup while still root, becomes nobody for
 * good, opens the device for everybody, makes the big regions, the clone
 * source and the pre-filled read-only page, forks the other workers and
 * works itself.
 */
static void __attribute__((noreturn))
sh_leader(struct sh_group *g, const char *cg, unsigned long seed, unsigned long ops)
{
	unsigned long budget = ops / (g->procs * SH_THREADS);
	struct ta_region_create c, *pc;
	struct ta_region_clone *pl;
	char file[192], buf[32];
	int fd, i, ret;
	pid_t pid;

	if (cg[0]) {
		snprintf(file, sizeof(file), "%s/cgroup.procs", cg);
		snprintf(buf, sizeof(buf), "%d", (int)getpid());
		ret = open(file, O_WRONLY | O_CLOEXEC);
		if (ret < 0 || write(ret, buf, strlen(buf)) != (ssize_t)strlen(buf))
			snprintf(g->cgwhy, sizeof(g->cgwhy), "joining %s: %s", cg, strerror(errno));
		if (ret >= 0)
			close(ret);
	}
	if (setgroups(0, NULL) || setresgid(SH_NOBODY, SH_NOBODY, SH_NOBODY) ||
	    setresuid(SH_NOBODY, SH_NOBODY, SH_NOBODY) || getuid() != SH_NOBODY ||
	    geteuid() != SH_NOBODY) {
		snprintf(g->why, sizeof(g->why), "becoming nobody: %s", strerror(errno));
		_exit(3);
	}
	prctl(PR_SET_DUMPABLE, 1);
	sh_g = g;
	fd = ta_open_dev();
	if (fd < 0) {
		snprintf(g->why, sizeof(g->why), "open %s as nobody: %s", TIERALLOC_DEVICE,
			 strerror(errno));
		_exit(3);
	}
	/* HOT until FAST is full, then rerouted; the last one asks for FAST itself. */
	for (i = 0; i < SH_BIGS; i++) {
		ret = ta_create(fd, SH_BIG_SIZE, i == SH_BIGS - 1 ? TA_TIER_FAST : TA_HINT_HOT,
				(i >= SH_BIGS - 2 ? TA_REGION_HUGE : 0) |
					(i == SH_BIGS - 1 ? TA_REGION_TIER : 0),
				&c);
		if (ret) {
			snprintf(g->why, sizeof(g->why), "big region %d: %s", i, strerror(-ret));
			_exit(3);
		}
		g->big[i] = c.handle;
		sh_note_handle(c.handle);
	}
	ret = ta_create(fd, 32 * TA_PAGE, TA_HINT_WARM, TA_REGION_POPULATE, &c);
	if (ret) {
		snprintf(g->why, sizeof(g->why), "clone source: %s", strerror(-ret));
		_exit(3);
	}
	g->clone_src = c.handle;
	sh_note_handle(c.handle);

	/* Valid CREATE and CLONE requests in a page that is read-only for good. */
	sh_prefill_page =
		mmap(NULL, TA_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh_prefill_page == MAP_FAILED) {
		snprintf(g->why, sizeof(g->why), "mmap: %s", strerror(errno));
		_exit(3);
	}
	for (i = 0; i < SH_PREFILL; i++) {
		pc = (struct ta_region_create *)sh_prefill_page + i;
		pc->size = TA_PAGE * (1 + 3 * i);
		pc->placement = i % TA_NR_HINTS;
		pc->flags = (i % 5 == 4 ? TA_REGION_POPULATE : 0) | (i == 7 ? TA_REGION_HUGE : 0);
		pl = (struct ta_region_clone *)(sh_prefill_page + TA_PAGE / 2) + i;
		pl->src_fd = fd;
		pl->src_handle = g->clone_src;
	}
	mprotect(sh_prefill_page, TA_PAGE, PROT_READ);

	for (i = 1; i < g->procs; i++) {
		pid = fork();
		if (pid == 0)
			sh_process(g, fd, i, seed, budget);
		__atomic_store_n(&g->pids[i], pid, __ATOMIC_RELEASE);
	}
	sh_process(g, fd, 0, seed, budget);
}

/* ---- the test, as root ---- */

/* cgroup2 with a memory controller: make @path with memory.max, or say why not. */
static int sh_cg_make(char *path, size_t size, char *why, size_t whylen)
{
	char buf[256], file[256];
	struct statfs sfs;
	ssize_t n;
	int fd;

	path[0] = 0;
	if (statfs("/sys/fs/cgroup", &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, whylen, "cgroup2 is not mounted at /sys/fs/cgroup");
		return -1;
	}
	fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (!strstr(buf, "memory")) {
		snprintf(why, whylen, "no memory controller in /sys/fs/cgroup/cgroup.controllers");
		return -1;
	}
	fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "+memory", 7) != 7) {
		snprintf(why, whylen, "enabling +memory in cgroup.subtree_control: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	snprintf(path, size, "/sys/fs/cgroup/ta-fuzz-%d", (int)getpid());
	if (mkdir(path, 0755)) {
		snprintf(why, whylen, "mkdir %s: %s", path, strerror(errno));
		path[0] = 0;
		return -1;
	}
	snprintf(file, sizeof(file), "%s/memory.max", path);
	snprintf(buf, sizeof(buf), "%lu", SH_MEMCG_MAX);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
		snprintf(why, whylen, "%.180s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		rmdir(path);
		path[0] = 0;
		return -1;
	}
	close(fd);
	return 0;
}

/* A number in a cgroup file ("memory.peak"), or after @key in one ("memory.events"); -1. */
static long long sh_cg_value(const char *cg, const char *name, const char *key)
{
	char file[256], buf[1024], *s;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/%s", cg, name);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (s = buf; s; s = strchr(s, '\n'), s = s ? s + 1 : s)
		if (!strncmp(s, key, strlen(key)) && s[strlen(key)] == ' ')
			return strtoll(s + strlen(key) + 1, NULL, 10);
	return -1;
}

static bool sh_at_baseline(const struct ta_stats *a, const struct ta_stats *b)
{
	for (int t = 0; t < TA_NR_TIERS; t++)
		if (a->tier[t].reserved_bytes != b->tier[t].reserved_bytes ||
		    a->tier[t].resident_bytes != b->tier[t].resident_bytes)
			return false;
	return a->live_regions == b->live_regions;
}

TEST(fuzz_shared_unprivileged)
{
	unsigned long seed = env_ul("TA_FUZZ_SEED", 1);
	unsigned long ops = env_ul("TA_FUZZ_SHARED_OPS", env_ul("TA_FUZZ_OPS", 400000) / 2);
	int procs = (int)env_ul("TA_FUZZ_PROCS", 4), fd, kmsg, i, st, bad = 0, killed = 0, reports;
	long long oom_kills = -1, peak = -1;
	uint64_t t0, fast_reserved_max = 0;
	struct ta_saved_cfg saved;
	struct ta_tier_config fast;
	struct ta_stats s0, s1;
	pthread_rwlockattr_t ra;
	char cg[128], why[256];
	struct sh_group *g;
	double secs;
	pid_t pid;

	procs = procs < 1 ? 1 : procs > SH_MAX_PROCS ? SH_MAX_PROCS : procs;
	fd = ta_open_dev();
	if (fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	if (geteuid())
		SKIP(return, "needs root: it sets FAST's hard cap and drops to nobody itself");
	kmsg = ta_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g);
	memset(g, 0, sizeof(*g));
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	/* A waiting cap check holds new readers back, or it would wait for ever. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ASSERT_EQ(0, pthread_rwlock_init(&g->caplock, &ra));
	g->procs = procs;
	sh_g = g;

	ta_save_cfg(fd, &saved);
	ASSERT_EQ(0, ta_get_stats(fd, &s0));
	ASSERT_EQ(0,
		  ta_set_caps(fd, TA_TIER_FAST, SH_FAST_SOFT, SH_FAST_CAP, TA_POLICY_ROUTE_SLOW));
	g->fast_node = ta_get_tier(fd, TA_TIER_FAST, &fast) ? -1 : fast.node;
	if (g->fast_node >= 0 && (fast.info_flags & TA_TIER_INFO_SHARED)) {
		printf("# fuzz-shared: FAST shares node %d with another tier: no move_pages cap "
		       "check\n",
		       fast.node);
		g->fast_node = -1;
	}
	if (sh_cg_make(cg, sizeof(cg), why, sizeof(why)))
		printf("# no memory cgroup: %s; the workers run as nobody without one\n", why);

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(stdout);
	fflush(stderr);
	t0 = sh_now_ns();
	pid = fork();
	if (pid == 0)
		sh_leader(g, cg, seed, ops);
	if (pid < 0)
		bad++;
	g->pids[0] = pid;
	/*
	 * Reap every worker, and whatever they leave behind (we are their
	 * subreaper), watching FAST's reservation meanwhile.
	 */
	for (;;) {
		struct ta_stats now;
		char how[64];
		pid_t w = waitpid(-1, &st, WNOHANG);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == 0) {
			if (!ta_get_stats(fd, &now) &&
			    now.tier[TA_TIER_FAST].reserved_bytes > fast_reserved_max)
				fast_reserved_max = now.tier[TA_TIER_FAST].reserved_bytes;
			usleep(100 * 1000);
			continue;
		}
		for (i = 0; i < procs; i++)
			if (w == __atomic_load_n(&g->pids[i], __ATOMIC_ACQUIRE))
				break;
		if (i == procs || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
			continue;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			killed++;
			continue;
		}
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(st),
				 strsignal(WTERMSIG(st)));
		else
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
		printf("# fuzz-shared: worker %d (process %d) ended: %s\n", (int)w, i, how);
		bad++;
	}
	secs = (sh_now_ns() - t0) / 1e9;
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	if (cg[0]) {
		oom_kills = sh_cg_value(cg, "memory.events", "oom_kill");
		peak = sh_cg_value(cg, "memory.peak", NULL);
		for (i = 0; i < 200 && rmdir(cg) && errno == EBUSY; i++)
			usleep(10 * 1000);
	}
	ta_restore_cfg(fd, &saved);
	if (g->cgwhy[0])
		printf("# no memory cgroup: %s; the workers ran as nobody without one\n", g->cgwhy);
	if (g->why[0]) {
		printf("# fuzz-shared: the first worker gave up: %s\n", g->why);
		bad++;
	}
	/* Regions die with their last mapping and file; give deferred puts a moment. */
	for (i = 0; i < 30; i++) {
		ASSERT_EQ(0, ta_get_stats(fd, &s1));
		if (sh_at_baseline(&s0, &s1))
			break;
		usleep(100 * 1000);
	}

	printf("# fuzz-shared: seed %lu, %lu operations, %d threads in %d processes, %.0f ops/s\n",
	       seed, g->ops, procs * SH_THREADS, procs, secs > 0 ? g->ops / secs : 0.0);
	printf("# fuzz-shared: %.1f s; %lu regions made, %lu rerouted; %lu forks; %lu arena "
	       "rounds, %lu arena VMAs; %lu faulting arguments (%lu EFAULT); %lu leak probes\n",
	       secs, g->created, g->rerouted, g->forks, g->rounds, g->arena_maps, g->fault_checks,
	       g->efaults, g->leak_probes);
	printf("# fuzz-shared: FAST hard cap %lu MiB: %lu move_pages checks (%lu skipped%s), at "
	       "most %llu KiB on FAST's node in one process; FAST reserved at most %llu KiB\n",
	       SH_FAST_CAP >> 20, g->cap_checks, g->cap_skipped,
	       g->cap_disabled ? ", then stopped: the lock stayed taken" : "",
	       (unsigned long long)g->fast_max >> 10, (unsigned long long)fast_reserved_max >> 10);
	if (cg[0])
		printf("# fuzz-shared: memory cgroup: memory.max %lu MiB, peak %lld MiB, %lld OOM "
		       "kills\n",
		       SH_MEMCG_MAX >> 20, peak < 0 ? -1 : peak >> 20, oom_kills);
	if (killed)
		printf("# fuzz-shared: %d worker(s) killed by SIGKILL (%lld OOM kills in the "
		       "cgroup)\n",
		       killed, oom_kills);
	reports = ta_kmsg_reports(kmsg);
	fflush(stdout);
	EXPECT_EQ(0, reports) TH_LOG("the kernel logged reports during the test (above)");
	EXPECT_EQ(0, bad);
	/*
	 * The cgroup's OOM killer may take a worker for its ordinary memory
	 * (never for region pages: those faults get SIGBUS); nothing else may.
	 */
	EXPECT_LE(killed, oom_kills > 0 ? oom_kills : 0);
	EXPECT_EQ(0, g->unexpected);
	EXPECT_LE(fast_reserved_max, SH_FAST_CAP);
	EXPECT_EQ(s0.live_regions, s1.live_regions);
	for (i = 0; i < TA_NR_TIERS; i++) {
		EXPECT_EQ(s0.tier[i].reserved_bytes, s1.tier[i].reserved_bytes);
		EXPECT_EQ(s0.tier[i].resident_bytes, s1.tier[i].resident_bytes);
	}
	pthread_rwlock_destroy(&g->caplock);
	munmap(g, sizeof(*g));
	close(kmsg);
	close(fd);
}

TEST_HARNESS_MAIN
