// SPDX-License-Identifier: GPL-2.0
/*
 * ta-demo: TierAlloc on the emulated three-tier machine.
 *
 *  1. the tiers the module discovered (with TA_DEMO_TIERS set; make demo
 *     shows them with tierallocctl);
 *  2. a region in each tier, with TierAlloc's own accounting next to where
 *     the kernel says the pages are (move_pages(2) and numa_maps);
 *  3. a working set that cools while it runs: its coldest slices are
 *     demoted FAST -> SLOW in place while a thread keeps using the hot part.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/tieralloc.h>

#define MIB  (1UL << 20)
#define PAGE 4096UL

static const char *const tier_name[TA_NR_TIERS] = TA_TIER_NAMES;

static void die(const char *what)
{
	fprintf(stderr, "ta-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Count the pages of [p, p+len) per node, as move_pages(2) reports them. */
static void kernel_view(void *p, size_t len, long *per_node, int nodes)
{
	size_t n = len / PAGE, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status)
		die("calloc");
	for (i = 0; i < n; i++)
		pages[i] = (char *)p + i * PAGE;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		die("move_pages");
	memset(per_node, 0, nodes * sizeof(*per_node));
	for (i = 0; i < n; i++)
		if (status[i] >= 0 && status[i] < nodes)
			per_node[status[i]]++;
	free(pages);
	free(status);
}

static void numa_maps_line(void *p, char *out, size_t n)
{
	char line[1024], key[32];
	FILE *f = fopen("/proc/self/numa_maps", "r");

	snprintf(out, n, "?");
	if (!f)
		return;
	snprintf(key, sizeof(key), "%lx ", (unsigned long)p);
	while (fgets(line, sizeof(line), f)) {
		char *s;

		if (strncmp(line, key, strlen(key)))
			continue;
		out[0] = 0;
		for (s = strtok(line, " \n"); s; s = strtok(NULL, " \n"))
			if (s[0] == 'N' && strchr(s, '='))
				snprintf(out + strlen(out), n - strlen(out), "%s ", s);
		break;
	}
	fclose(f);
}

static void show_tiers(int fd)
{
	printf("\n== Tiers the module sees\n");
	printf("%-7s %4s %9s %11s %10s %10s %10s %10s  %s\n", "tier", "node", "latency",
	       "bandwidth", "capacity", "free", "soft cap", "hard cap", "ranked by");
	for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
		struct ta_tier_config c = { .tier = t };
		char soft[32] = "-", hard[32] = "-";

		if (ioctl(fd, TA_IOC_GET_TIER, &c))
			die("TA_IOC_GET_TIER");
		if (c.soft_cap)
			snprintf(soft, sizeof(soft), "%llu MiB",
				 (unsigned long long)c.soft_cap >> 20);
		if (c.hard_cap)
			snprintf(hard, sizeof(hard), "%llu MiB",
				 (unsigned long long)c.hard_cap >> 20);
		printf("%-7s %4d %6u ns %6.1f GB/s %6llu MiB %6llu MiB %10s %10s  %s%s\n",
		       tier_name[t], c.node, c.read_latency_ns, c.read_bandwidth_mbps / 1000.0,
		       (unsigned long long)c.node_capacity >> 20,
		       (unsigned long long)c.node_free >> 20, soft, hard,
		       c.info_flags & TA_TIER_INFO_HMAT	      ? "HMAT"
		       : c.info_flags & TA_TIER_INFO_OVERRIDE ? "override"
							      : "distance",
		       c.info_flags & TA_TIER_INFO_SHARED ? ", shared node" : "");
	}
}

static void *create_map(int fd, size_t len, uint32_t tier, uint32_t flags,
			struct ta_region_create *req)
{
	void *p;

	memset(req, 0, sizeof(*req));
	req->size = len;
	req->placement = tier;
	req->flags = TA_REGION_TIER | flags;
	if (ioctl(fd, TA_IOC_REGION_CREATE, req))
		die("TA_IOC_REGION_CREATE");
	p = mmap(NULL, req->granted_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, req->offset);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void regions_per_tier(int fd)
{
	const size_t len = 64 * MIB;
	struct ta_region_create req[TA_NR_TIERS];
	void *p[TA_NR_TIERS];
	long nodes[8];

	printf("\n== One 64 MiB region per tier (FAST/NORMAL in 4 KiB pages, SLOW in 2 MiB "
	       "pages)\n");
	for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
		p[t] = create_map(fd, len, t, t == TA_TIER_SLOW ? TA_REGION_HUGE : 0, &req[t]);
		memset(p[t], 0xab, len);
	}
	printf("%-7s %-22s | %-28s | %s\n", "region", "TierAlloc: resident",
	       "move_pages(2): pages on node", "numa_maps");
	for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
		struct ta_region_info info = { .handle = req[t].handle };
		char nm[128];

		if (ioctl(fd, TA_IOC_REGION_INFO, &info))
			die("TA_IOC_REGION_INFO");
		kernel_view(p[t], len, nodes, 8);
		numa_maps_line(p[t], nm, sizeof(nm));
		printf("%-7s %-6s %6llu MiB        | n0=%-6ld n1=%-6ld n2=%-6ld | %s\n",
		       tier_name[t], tier_name[info.tier],
		       (unsigned long long)info.resident_bytes[info.tier] >> 20, nodes[0], nodes[1],
		       nodes[2], nm);
	}
	for (uint32_t t = 0; t < TA_NR_TIERS; t++)
		munmap(p[t], len);
	for (uint32_t t = 0; t < TA_NR_TIERS; t++) {
		struct ta_region_free f = { .handle = req[t].handle };

		ioctl(fd, TA_IOC_REGION_FREE, &f);
	}
}

struct toucher {
	volatile char *base;
	atomic_size_t hot_start; /* [hot_start, len) is still in use */
	size_t len;
	atomic_int stop;
	uint64_t passes;
};

static void *touch_hot(void *arg)
{
	struct toucher *t = arg;

	while (!atomic_load(&t->stop)) {
		for (size_t i = atomic_load(&t->hot_start); i < t->len; i += PAGE)
			t->base[i]++;
		t->passes++;
	}
	return NULL;
}

static void cooling_working_set(int fd)
{
	const size_t len = 96 * MIB, slice = 16 * MIB;
	struct ta_region_create req;
	struct toucher t = { 0 };
	pthread_t th;
	long nodes[8];

	printf("\n== A cooling working set: 96 MiB on FAST; every step the coldest 16 MiB\n"
	       "   is demoted to SLOW in place while a thread keeps using the rest\n");
	t.base = create_map(fd, len, TA_TIER_FAST, 0, &req);
	t.len = len;
	memset((void *)t.base, 1, len);
	if (pthread_create(&th, NULL, touch_hot, &t))
		die("pthread_create");
	printf("%4s %12s | %-30s | %s\n", "step", "hot part", "move_pages(2): MiB on node",
	       "moved this step");
	for (size_t step = 0; step <= len / slice - 2; step++) {
		struct ta_region_move m = {
			.handle = req.handle,
			.dst_tier = TA_TIER_SLOW,
			.offset = step * slice,
			.length = slice,
		};
		struct timespec t0, t1;

		if (step) {
			/* The oldest slice has cooled: stop using it, then demote it. */
			atomic_store(&t.hot_start, step * slice);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			m.offset = (step - 1) * slice;
			if (ioctl(fd, TA_IOC_REGION_MOVE, &m))
				die("TA_IOC_REGION_MOVE");
			clock_gettime(CLOCK_MONOTONIC, &t1);
			/* Moved pages map again on their next access; make one. */
			for (size_t i = m.offset; i < m.offset + m.length; i += PAGE)
				(void)t.base[i];
		}
		kernel_view((void *)t.base, len, nodes, 8);
		printf("%4zu %5zu-%3zu MiB | n0=%-5ld n1=%-5ld n2=%-5ld       | ", step,
		       atomic_load(&t.hot_start) >> 20, len >> 20, nodes[0] * PAGE >> 20,
		       nodes[1] * PAGE >> 20, nodes[2] * PAGE >> 20);
		if (step)
			printf("%llu MiB in %.1f ms\n", (unsigned long long)m.moved_bytes >> 20,
			       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		else
			printf("-\n");
	}
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	printf("the hot thread made %llu passes over its pages during the demotions\n",
	       (unsigned long long)t.passes);
	munmap((void *)t.base, len);
}

int main(void)
{
	int fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fd < 0)
		die(TIERALLOC_DEVICE " (is tieralloc.ko loaded?)");
	if (getenv("TA_DEMO_TIERS"))
		show_tiers(fd);
	regions_per_tier(fd);
	cooling_working_set(fd);
	close(fd);
	return 0;
}
