// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VM benchmark: cost of /dev/tieralloc regions against anonymous memory.
 *
 *   kmod.region_cycle[TIER]  us       create + mmap + touch + munmap + free
 *                                     of a 2 MiB region (512 x 4 KiB pages)
 *   anon.region_cycle        us       the same with mmap(MAP_ANONYMOUS)
 *   kmod.fault_4k[TIER]      ns/page  first touch of a 64 MiB region
 *   anon.fault_4k            ns/page  the same for anonymous memory
 *
 * Each kmod row has its anon row as baseline.  Exits 77 (skipped) without
 * /dev/tieralloc.  BENCH_SCALE scales the iteration counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/tieralloc.h>

#include "bench_vm.h"

#define CYCLE_BYTES (2UL << 20)
#define FAULT_BYTES (64UL << 20)
#define PAGE	    4096UL

static const char *const tier_names[TA_NR_TIERS] = TA_TIER_NAMES;

static double scale(void)
{
	const char *s = getenv("BENCH_SCALE");
	double v = s ? strtod(s, NULL) : 1.0;

	return v > 0 ? v : 1.0;
}

static void touch(volatile unsigned char *p, size_t len)
{
	for (size_t o = 0; o < len; o += PAGE)
		p[o] = 1;
}

/* Map a region of @tier; returns the mapping or NULL, handle in @h. */
static void *kmod_map(int fd, unsigned int tier, size_t len, uint32_t *h)
{
	struct ta_region_create rc = {
		.size = len,
		.placement = tier,
		.flags = TA_REGION_TIER,
	};
	void *p;

	if (ioctl(fd, TA_IOC_REGION_CREATE, &rc))
		return NULL;
	*h = rc.handle;
	p = mmap(NULL, rc.granted_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)rc.offset);
	if (p == MAP_FAILED) {
		struct ta_region_free rf = { .handle = rc.handle };

		ioctl(fd, TA_IOC_REGION_FREE, &rf);
		return NULL;
	}
	return p;
}

static void kmod_unmap(int fd, void *p, size_t len, uint32_t h)
{
	struct ta_region_free rf = { .handle = h };

	munmap(p, len);
	ioctl(fd, TA_IOC_REGION_FREE, &rf);
}

static void *anon_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Microseconds per cycle; tier < 0 = anonymous.  -1 on failure. */
static double cycle_us(int fd, int tier, long iters)
{
	double t0 = now();

	for (long i = 0; i < iters; i++) {
		uint32_t h = 0;
		void *p = tier < 0 ? anon_map(CYCLE_BYTES)
				   : kmod_map(fd, (unsigned int)tier, CYCLE_BYTES, &h);

		if (!p)
			return -1;
		touch(p, CYCLE_BYTES);
		if (tier < 0)
			munmap(p, CYCLE_BYTES);
		else
			kmod_unmap(fd, p, CYCLE_BYTES, h);
	}
	return (now() - t0) * 1e6 / (double)iters;
}

/* Best nanoseconds per first-touch fault over @reps; -1 on failure. */
static double fault_ns(int fd, int tier, int reps)
{
	double best = -1;

	for (int r = 0; r < reps; r++) {
		uint32_t h = 0;
		void *p = tier < 0 ? anon_map(FAULT_BYTES)
				   : kmod_map(fd, (unsigned int)tier, FAULT_BYTES, &h);
		double t0, ns;

		if (!p)
			return -1;
		t0 = now();
		touch(p, FAULT_BYTES);
		ns = (now() - t0) * 1e9 / (double)(FAULT_BYTES / PAGE);
		if (tier < 0)
			munmap(p, FAULT_BYTES);
		else
			kmod_unmap(fd, p, FAULT_BYTES, h);
		if (best < 0 || ns < best)
			best = ns;
	}
	return best;
}

int main(void)
{
	long iters = (long)(40 * scale());
	int reps = (int)(2 * scale()), fd, failed = 0;
	double v;

	if (iters < 5)
		iters = 5;
	if (reps < 1)
		reps = 1;
	fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "region: %s: %s; skipped\n", TIERALLOC_DEVICE, strerror(errno));
		return 77;
	}

	printf("{\"name\": \"anon.region_cycle\", \"unit\": \"us\", \"value\": %.3f}\n",
	       cycle_us(fd, -1, iters));
	printf("{\"name\": \"anon.fault_4k\", \"unit\": \"ns/page\", \"value\": %.1f}\n",
	       fault_ns(fd, -1, reps));
	for (int t = 0; t < TA_NR_TIERS; t++) {
		v = cycle_us(fd, t, iters);
		if (v < 0) {
			fprintf(stderr, "region: %s: region cycle failed: %s\n", tier_names[t],
				strerror(errno));
			failed = 1;
		} else {
			printf("{\"name\": \"kmod.region_cycle[%s]\", \"unit\": \"us\", "
			       "\"value\": %.3f, \"baseline\": \"anon.region_cycle\"}\n",
			       tier_names[t], v);
		}
		v = fault_ns(fd, t, reps);
		if (v < 0) {
			fprintf(stderr, "region: %s: 64 MiB region failed: %s\n", tier_names[t],
				strerror(errno));
			failed = 1;
		} else {
			printf("{\"name\": \"kmod.fault_4k[%s]\", \"unit\": \"ns/page\", "
			       "\"value\": %.1f, \"baseline\": \"anon.fault_4k\"}\n",
			       tier_names[t], v);
		}
		fflush(stdout);
	}
	close(fd);
	return failed;
}
