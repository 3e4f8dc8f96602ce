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
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

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
	};

	return pick(f, 4) ? v[pick(f, sizeof(v) / sizeof(v[0]))] : rnd(f);
}

static void fill_random(struct fz *f, void *buf, size_t n)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = pick(f, 2) ? boundary(f) : rnd(f);
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
	    errno != EINVAL && errno != ENOTTY && errno != EFAULT && errno != ENOENT &&
	    errno != ENOMEM && errno != EPERM && errno != ENODEV && errno != EINTR &&
	    !(errno == EBADF && cmd == TA_IOC_REGION_CLONE)) {
		fprintf(stderr, "# ioctl %#lx: unexpected errno %d\n", cmd, errno);
		f->unexpected++;
	}
}

static void op_create(struct fz *f)
{
	struct ta_region_create c;
	uint32_t flags = (pick(f, 2) ? TA_REGION_TIER : 0) | (pick(f, 8) ? 0 : TA_REGION_HUGE) |
			 (pick(f, 8) ? 0 : TA_REGION_POPULATE);
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

TEST_HARNESS_MAIN
