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
 *   memcpy.0to2         MiB/s  plain memcpy between the two nodes: the limit
 *
 * Goals (issues): fault.4k >= 0.9x mbind, fault.huge >= 1.0x thp,
 * migrate.4k >= 1.0x move_pages, migrate.huge >= 2.0x move_pages, and
 * migrate.4k >= 0.5x memcpy (the physical limit).  Exit 77 without the module.
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

static void *region(uint32_t tier, uint32_t flags, uint32_t *handle)
{
	struct ta_region_create r = { .size = len,
				      .placement = tier,
				      .flags = TA_REGION_TIER | flags };
	void *p;

	if (ioctl(fd, TA_IOC_REGION_CREATE, &r))
		return NULL;
	*handle = r.handle;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, r.offset);
	return p == MAP_FAILED ? NULL : p;
}

static void unregion(void *p, uint32_t handle)
{
	struct ta_region_free f = { .handle = handle };

	munmap(p, len);
	ioctl(fd, TA_IOC_REGION_FREE, &f);
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

static double anon_move_pages(int from, int to)
{
	size_t n = len / PAGE;
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes)), *status = calloc(n, sizeof(*status));
	char *p = anon(from, 0);
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

int main(void)
{
	const char *s = getenv("BENCH_SCALE");
	double scale = s ? atof(s) : 1.0;

	fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tiering: %s: %s\n", TIERALLOC_DEVICE, strerror(errno));
		return 77;
	}
	len = (size_t)(128 * MIB * (scale > 0 ? scale : 1.0)) & ~(2 * MIB - 1);
	if (len < 8 * MIB)
		len = 8 * MIB;

	bench_faults();
	row("migrate[move_pages]", "MiB/s",
	    anon_move_pages(tier_node(TA_TIER_FAST), tier_node(TA_TIER_SLOW)), NULL);
	row("memcpy.fast_to_slow", "MiB/s",
	    memcpy_between(tier_node(TA_TIER_FAST), tier_node(TA_TIER_SLOW)), NULL);
	{
		double m4 = kmod_move(0), mh = kmod_move(TA_REGION_HUGE);

		row("migrate.4k[kmod]", "MiB/s", m4, "migrate[move_pages]");
		row("migrate.huge[kmod]", "MiB/s", mh, "migrate[move_pages]");
		row("migrate.4k[kmod]/memcpy", "MiB/s", m4, "memcpy.fast_to_slow");
	}
	return 0;
}
