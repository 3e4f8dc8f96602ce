// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VM benchmark: tieralloc.ko against the kernel's own ways of placing and
 * moving memory, same boot, same sizes, same nodes.
 *
 *   fault.4k[kmod]      MiB/s  first touch of a 4 KiB region on NORMAL's node
 *   fault.4k[mbind]     MiB/s  anonymous memory mbind()-bound to that node
 *   fault.huge[kmod]    MiB/s  first touch of a HUGE region
 *   fault.huge[thp]     MiB/s  anonymous MADV_HUGEPAGE memory bound there
 *   faults_per_mib[*]   count  minor faults per MiB touched (getrusage)
 *   migrate.4k[kmod]    MiB/s  TA_IOC_REGION_MOVE FAST -> SLOW
 *   migrate.huge[kmod]  MiB/s  the same for a HUGE region
 *   migrate[move_pages] MiB/s  move_pages(2) of anonymous memory node0 -> node2
 *   migrate[move_pages.thp]    the same for MADV_HUGEPAGE memory
 *   memcpy.fast_to_slow MiB/s  plain memcpy between the two nodes
 *   kclear.slow         MiB/s  clearing memory on SLOW's node as the kernel
 *                              clears each page a move allocates (kclear())
 *   random_read.huge[*] Macc/s random reads over 512 MiB of a HUGE region,
 *                              as mapped by default (PMDs on 6.15+) and
 *                              with THP "never" (PTEs); pmd_mapped.huge[*]
 *                              says how much smaps showed PMD-mapped
 *
 * Goals (issues): fault.4k >= 0.9x mbind, fault.huge >= 1.0x thp,
 * migrate.4k >= 1.0x move_pages, migrate.huge >= 2.0x move_pages (and the
 * THP one), and migrate >= 0.5x memcpy (the physical limit).  The
 * "/kclear" rows compare a move with the bound that clearing its
 * destination sets (booted with init_on_alloc, the default).  Exit 77
 * without the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <linux/tieralloc.h>

#include "bench_vm.h"

#define MIB  (1UL << 20)
#define PAGE 4096UL

static size_t len;
static int fd;

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static int tier_node(uint32_t tier)
{
	struct ta_tier_config c = { .tier = tier };

	return ioctl(fd, TA_IOC_GET_TIER, &c) ? -1 : c.node;
}

static void *region_of(size_t size, uint32_t tier, uint32_t flags, uint32_t *handle)
{
	struct ta_region_create r = { .size = size,
				      .placement = tier,
				      .flags = TA_REGION_TIER | flags };
	void *p;

	if (ioctl(fd, TA_IOC_REGION_CREATE, &r))
		return NULL;
	*handle = r.handle;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, r.offset);
	return p == MAP_FAILED ? NULL : p;
}

static void *region(uint32_t tier, uint32_t flags, uint32_t *handle)
{
	return region_of(len, tier, flags, handle);
}

static void unregion_of(void *p, size_t size, uint32_t handle)
{
	struct ta_region_free f = { .handle = handle };

	munmap(p, size);
	ioctl(fd, TA_IOC_REGION_FREE, &f);
}

static void unregion(void *p, uint32_t handle)
{
	unregion_of(p, len, handle);
}

static void *anon(int node, int thp)
{
	unsigned long mask = 1UL << node;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* The guest's THP default would make "4 KiB" anonymous memory huge. */
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (syscall(SYS_mbind, p, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0))
		perror("mbind");
	return p;
}

/* Touch every page once; returns MiB/s and minor faults per MiB. */
static double touch(char *p, double *fpm)
{
	long f0 = minflt();
	double t0 = now(), dt;

	for (size_t i = 0; i < len; i += PAGE)
		p[i] = 1;
	dt = now() - t0;
	*fpm = (double)(minflt() - f0) / (len / MIB);
	return len / MIB / dt;
}

static void bench_faults(void)
{
	int node = tier_node(TA_TIER_NORMAL);
	double kmod, base, fk, fb;
	uint32_t h;
	char *p;

	p = region(TA_TIER_NORMAL, 0, &h);
	kmod = touch(p, &fk);
	unregion(p, h);
	p = anon(node, 0);
	base = touch(p, &fb);
	munmap(p, len);
	row("fault.4k[mbind]", "MiB/s", base, NULL);
	row("fault.4k[kmod]", "MiB/s", kmod, "fault.4k[mbind]");
	row("faults_per_mib.4k[mbind]", "faults", fb, NULL);
	row("faults_per_mib.4k[kmod]", "faults", fk, "faults_per_mib.4k[mbind]");

	p = region(TA_TIER_NORMAL, TA_REGION_HUGE, &h);
	kmod = touch(p, &fk);
	unregion(p, h);
	p = anon(node, 1);
	base = touch(p, &fb);
	munmap(p, len);
	row("fault.huge[thp]", "MiB/s", base, NULL);
	row("fault.huge[kmod]", "MiB/s", kmod, "fault.huge[thp]");
	row("faults_per_mib.huge[thp]", "faults", fb, NULL);
	row("faults_per_mib.huge[kmod]", "faults", fk, "faults_per_mib.huge[thp]");
}

static double kmod_move(uint32_t flags)
{
	struct ta_region_move m = { .dst_tier = TA_TIER_SLOW };
	double t0, dt;
	char *p = region(TA_TIER_FAST, flags, &m.handle);

	memset(p, 7, len);
	t0 = now();
	if (ioctl(fd, TA_IOC_REGION_MOVE, &m) || m.moved_bytes != len)
		fprintf(stderr, "move: %s, %llu bytes\n", strerror(errno),
			(unsigned long long)m.moved_bytes);
	dt = now() - t0;
	unregion(p, m.handle);
	return len / MIB / dt;
}

static double anon_move_pages(int from, int to, int thp)
{
	size_t n = len / PAGE;
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes)), *status = calloc(n, sizeof(*status));
	char *p = anon(from, thp);
	double t0, dt;

	memset(p, 7, len);
	for (size_t i = 0; i < n; i++) {
		pages[i] = p + i * PAGE;
		nodes[i] = to;
	}
	/* mbind would keep the pages; allow them to go anywhere first. */
	syscall(SYS_mbind, p, len, MPOL_DEFAULT, NULL, 0, 0);
	t0 = now();
	if (syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE))
		perror("move_pages");
	dt = now() - t0;
	munmap(p, len);
	free(pages);
	free(nodes);
	free(status);
	return len / MIB / dt;
}

static double memcpy_between(int from, int to)
{
	char *a = anon(from, 0), *b = anon(to, 0);
	double t0, dt;

	memset(a, 7, len);
	memset(b, 0, len);
	t0 = now();
	memcpy(b, a, len);
	dt = now() - t0;
	munmap(a, len);
	munmap(b, len);
	return len / MIB / dt;
}

#ifdef __x86_64__
/*
 * MiB/s of clearing memory on @node with "rep stosb", the instruction of
 * x86-64's clear_page() on a CPU with ERMS (erms in /proc/cpuinfo, as the
 * guest's CPU has).  init_on_alloc (Debian's default) clears every page a
 * move allocates before the move overwrites it, so no move, move_pages(2)
 * included, can be faster than this.  QEMU's TCG runs string instructions
 * an iteration at a time: measured in the guest, about 580 MiB/s against
 * 1159-1398 for glibc's vector memcpy, which is why the moves stay below
 * 0.5x memcpy with the clearing and reach it without (the +noinit rows).
 */
static double kclear(int node)
{
	char *b = anon(node, 0);
	unsigned long n = len;
	double t0, dt;
	void *d = b;

	memset(b, 1, len);
	t0 = now();
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
	dt = now() - t0;
	if (b[len - 1])
		fprintf(stderr, "tiering: kclear left a byte\n");
	munmap(b, len);
	return len / MIB / dt;
}

/* Booted with init_on_alloc=0: the pages a move allocates are not cleared. */
static int init_on_alloc_off(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "init_on_alloc=0") != NULL;
}
#endif

/* FilePmdMapped of the VMA at @p, in MiB (smaps), or -1. */
static double pmd_mapped_mib(void *p)
{
	char line[256], start[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;
	long kb = -1;

	if (!f)
		return -1;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, start, strlen(start)))
			in = 1;
		else if (in && sscanf(line, "FilePmdMapped: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb / 1024.0;
}

/* Million random 8-byte reads per second over [p, p + size). */
static double random_reads(const char *p, size_t size, size_t n)
{
	uint64_t s = 88172645463325252ULL, sum = 0;
	double t0 = now(), dt;

	for (size_t i = 0; i < n; i++)
		sum += *(const volatile uint64_t *)(p + (rnd(&s) % (size / 8)) * 8);
	dt = now() - t0;
	if (sum == 1)
		fprintf(stderr, "(never)\n");
	return n / dt / 1e6;
}

static int thp_write(const char *mode)
{
	int f = open("/sys/kernel/mm/transparent_hugepage/enabled", O_WRONLY);
	int ok = f >= 0 && write(f, mode, strlen(mode)) == (ssize_t)strlen(mode);

	if (f >= 0)
		close(f);
	return ok ? 0 : -1;
}

/*
 * A random-read loop over a 512 MiB HUGE region as the kernel maps it by
 * default (PMDs where TA_FEAT_HUGE_PMD, 6.15+) against the same with THP
 * "never" (512 PTEs per chunk), with the MiB each had PMD-mapped (smaps).
 * Under TCG the guest's TLB is QEMU's software TLB, not a real one: the
 * ratio says little about hardware.
 */
static void bench_pmd(double scale)
{
	size_t size = (size_t)(512 * MIB * (scale > 0 && scale < 1 ? scale : 1.0)) & ~(2 * MIB - 1);
	size_t n = (size_t)(4e6 * (scale > 0 ? scale : 1.0));
	char saved[64] = "", *l, *r;
	double v[2], mapped[2];
	uint32_t h;
	int f, i;

	f = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	if (f >= 0) {
		ssize_t got = read(f, saved, sizeof(saved) - 1);

		saved[got > 0 ? got : 0] = 0;
		close(f);
	}
	l = strchr(saved, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r) {
		fprintf(stderr, "tiering: no THP modes, no PMD row\n");
		return;
	}
	*r = 0;
	for (i = 0; i < 2; i++) {
		char *p;

		if (i && thp_write("never"))
			return;
		p = region_of(size, TA_TIER_SLOW, TA_REGION_HUGE, &h);
		if (!p)
			break;
		memset(p, 3, size);
		mapped[i] = pmd_mapped_mib(p);
		v[i] = random_reads(p, size, n);
		unregion_of(p, size, h);
	}
	thp_write(l + 1);
	if (i < 2)
		return;
	row("random_read.huge[thp_never]", "Macc/s", v[1], NULL);
	row("random_read.huge[default]", "Macc/s", v[0], "random_read.huge[thp_never]");
	row("pmd_mapped.huge[thp_never]", "MiB", mapped[1], NULL);
	row("pmd_mapped.huge[default]", "MiB", mapped[0], NULL);
}

int main(void)
{
	const char *s = getenv("BENCH_SCALE");
	double scale = s ? atof(s) : 1.0, mp;

	fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tiering: %s: %s\n", TIERALLOC_DEVICE, strerror(errno));
		return 77;
	}
	len = (size_t)(128 * MIB * (scale > 0 ? scale : 1.0)) & ~(2 * MIB - 1);
	if (len < 8 * MIB)
		len = 8 * MIB;

	bench_faults();
	mp = anon_move_pages(tier_node(TA_TIER_FAST), tier_node(TA_TIER_SLOW), 0);
	row("migrate[move_pages]", "MiB/s", mp, NULL);
	row("migrate[move_pages.thp]", "MiB/s",
	    anon_move_pages(tier_node(TA_TIER_FAST), tier_node(TA_TIER_SLOW), 1), NULL);
	row("memcpy.fast_to_slow", "MiB/s",
	    memcpy_between(tier_node(TA_TIER_FAST), tier_node(TA_TIER_SLOW)), NULL);
	{
		double m4 = kmod_move(0), mh = kmod_move(TA_REGION_HUGE);

		row("migrate.4k[kmod]", "MiB/s", m4, "migrate[move_pages]");
		row("migrate.huge[kmod]", "MiB/s", mh, "migrate[move_pages]");
		row("migrate.huge[kmod]/thp", "MiB/s", mh, "migrate[move_pages.thp]");
		row("migrate.4k[kmod]/memcpy", "MiB/s", m4, "memcpy.fast_to_slow");
		row("migrate.huge[kmod]/memcpy", "MiB/s", mh, "memcpy.fast_to_slow");
#ifdef __x86_64__
		if (!init_on_alloc_off()) {
			row("kclear.slow", "MiB/s", kclear(tier_node(TA_TIER_SLOW)), NULL);
			row("migrate[move_pages]/kclear", "MiB/s", mp, "kclear.slow");
			row("migrate.4k[kmod]/kclear", "MiB/s", m4, "kclear.slow");
			row("migrate.huge[kmod]/kclear", "MiB/s", mh, "kclear.slow");
		}
#endif
	}
	bench_pmd(scale);
	return 0;
}
