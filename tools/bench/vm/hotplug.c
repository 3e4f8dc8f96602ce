// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * VM benchmark for a tier on a node whose memory is all ZONE_MOVABLE
 * (tools/vmrun --machine hotplug; tools/bench/run boots it for this file):
 *
 *   kmod.first_touch_movable[TIER]  MiB/s  first touch of a 4 KiB region
 *                                          on the node, all ZONE_MOVABLE
 *   kmod.first_touch_normal_zone[TIER] MiB/s  the same node after its
 *                                          memory was offlined and onlined
 *                                          again as ZONE_NORMAL (baseline)
 *   kmod.offline_block[4k]     s   offline a 128 MiB block full of a 4 KiB
 *                                  region's pages (the module moves them)
 *   anon.offline_block[4k]     s   the same block full of anonymous 4 KiB
 *                                  pages (MADV_NOHUGEPAGE; the kernel
 *                                  moves them; baseline)
 *   kmod.offline_block[huge], anon.offline_block[thp]  the same with a
 *                                  HUGE region and THP anonymous memory
 *
 * "Full": 112 MiB of pages, allocated while every other block of the
 * node is offline, so that they land in the one block left; one more block is
 * then onlined to receive them, and the time is that of the write to the
 * block's state file.  Exits 77 (skipped) without /dev/tieralloc or an
 * all-movable tier node.  BENCH_SCALE scales the first-touch size.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempolicy.h>
#include <linux/tieralloc.h>

#include "bench_vm.h"
#include "ta_memblock.h"

#define PAGE	 4096UL
#define MIB	 (1UL << 20)
#define MAX_BLKS TA_MAX_NODE_BLOCKS

static const char *const tier_names[TA_NR_TIERS] = TA_TIER_NAMES;

static void *kmod_map(int fd, unsigned int tier, size_t len, uint32_t flags, uint32_t *h)
{
	struct ta_region_create rc = {
		.size = len,
		.placement = tier,
		.flags = TA_REGION_TIER | flags,
	};
	void *p;

	if (ioctl(fd, TA_IOC_REGION_CREATE, &rc))
		return NULL;
	*h = rc.handle;
	p = mmap(NULL, rc.granted_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, rc.offset);
	return p == MAP_FAILED ? NULL : p;
}

static void kmod_unmap(int fd, void *p, size_t len, uint32_t h)
{
	struct ta_region_free f = { .handle = h };

	munmap(p, len);
	ioctl(fd, TA_IOC_REGION_FREE, &f);
}

static void touch(volatile unsigned char *p, size_t len)
{
	for (size_t o = 0; o < len; o += PAGE)
		p[o] = 1;
}

/* Best of three first touches of a @len region of @tier: MiB/s. */
static double first_touch(int fd, unsigned int tier, size_t len)
{
	double best = 0;

	for (int i = 0; i < 3; i++) {
		uint32_t h;
		unsigned char *p = kmod_map(fd, tier, len, 0, &h);
		double t0, v;

		if (!p)
			return 0;
		t0 = now();
		touch(p, len);
		v = len / MIB / (now() - t0);
		best = v > best ? v : best;
		kmod_unmap(fd, p, len, h);
	}
	return best;
}

/*
 * Fill block @b (the node's only online block) with @len of TierAlloc
 * pages (@kmod, region flags @flags) or anonymous ones (bound to @node,
 * THP as @advice), online @dst, and time the offline of @b: seconds, or a
 * negative value on failure.
 */
static double offline_time(int fd, unsigned int tier, int node, long b, long dst, size_t len,
			   int kmod, uint32_t flags, int advice)
{
	unsigned long mask = 1UL << node;
	unsigned char *p;
	uint32_t h = 0;
	double t0, t = -1;

	if (kmod) {
		p = kmod_map(fd, tier, len, flags, &h);
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		if (p && (madvise(p, len, advice) ||
			  syscall(SYS_mbind, p, len, MPOL_BIND, &mask, 64, 0))) {
			munmap(p, len);
			p = NULL;
		}
	}
	if (!p)
		return -1;
	touch(p, len);
	if (!block_set(dst, "online_movable", 60)) {
		t0 = now();
		if (!block_set(b, "offline", 120))
			t = now() - t0;
	}
	if (kmod)
		kmod_unmap(fd, p, len, h);
	else
		munmap(p, len);
	return t;
}

int main(void)
{
	const char *s = getenv("BENCH_SCALE");
	double scale = s ? strtod(s, NULL) : 1.0;
	size_t ft_len = (size_t)(128 * (scale > 0 ? scale : 1.0)) * MIB;
	long blk[MAX_BLKS], b, dst;
	long long mov, oth;
	int fd, node = -1, n, ret = 0;
	unsigned int tier = 0;
	char name[96], base[96];
	struct {
		const char *tag;
		int kmod;
		uint32_t flags;
		int advice;
	} cases[] = {
		{ "4k", 1, 0, 0 },
		{ "4k", 0, 0, MADV_NOHUGEPAGE },
		{ "huge", 1, TA_REGION_HUGE, 0 },
		{ "thp", 0, 0, MADV_HUGEPAGE },
	};
	double ft_mov, ft_norm, t;

	fd = open("/dev/tieralloc", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "no /dev/tieralloc: skipped\n");
		return 77;
	}
	for (int t2 = TA_NR_TIERS - 1; t2 >= 0 && node < 0; t2--) {
		struct ta_tier_config c = { .tier = (unsigned int)t2 };

		if (!ioctl(fd, TA_IOC_GET_TIER, &c) && !zone_pages(c.node, &mov, &oth) && mov &&
		    !oth) {
			node = c.node;
			tier = (unsigned int)t2;
		}
	}
	if (node < 0) {
		fprintf(stderr,
			"no tier's node is all ZONE_MOVABLE (tools/vmrun --machine hotplug): "
			"skipped\n");
		return 77;
	}
	n = node_blocks(node, blk, MAX_BLKS);
	if (n < 3) {
		fprintf(stderr, "node %d has %d memory blocks, 3 needed: skipped\n", node, n);
		return 77;
	}
	if (ft_len < 16 * MIB)
		ft_len = 16 * MIB;

	/* First touch: movable, then the same memory as ZONE_NORMAL. */
	ft_mov = first_touch(fd, tier, ft_len);
	if (node_offline(node, -1, -1) || node_online(node, "online_kernel") ||
	    zone_pages(node, &mov, &oth) || mov) {
		fprintf(stderr, "node %d could not be onlined as ZONE_NORMAL\n", node);
		ret = 1;
		ft_norm = 0;
	} else {
		ft_norm = first_touch(fd, tier, ft_len);
	}
	if (node_offline(node, -1, -1) || node_online(node, "online_movable")) {
		fprintf(stderr, "node %d could not be onlined movable again\n", node);
		return 1;
	}
	snprintf(base, sizeof(base), "kmod.first_touch_normal_zone[%s]", tier_names[tier]);
	snprintf(name, sizeof(name), "kmod.first_touch_movable[%s]", tier_names[tier]);
	if (ft_norm > 0 && ft_mov > 0) {
		row(base, "MiB/s", ft_norm, NULL);
		row(name, "MiB/s", ft_mov, base);
	}

	/* Offline of a full 128 MiB block. */
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long long blksz = block_bytes();

		if (!blksz) {
			ret = 1;
			break;
		}
		b = blk[0];
		dst = blk[1];
		if (node_online(node, "online_movable") || node_offline(node, b, -1)) {
			fprintf(stderr, "node %d: could not keep memory%ld alone online\n", node,
				b);
			ret = 1;
			break;
		}
		/* Leave room for what else lives there; the block is then nearly all ours. */
		t = offline_time(fd, tier, node, b, dst, (size_t)blksz - 16 * MIB, cases[i].kmod,
				 cases[i].flags, cases[i].advice);
		if (t < 0) {
			fprintf(stderr, "offline of memory%ld (%s %s) failed\n", b,
				cases[i].kmod ? "kmod" : "anon", cases[i].tag);
			ret = 1;
			continue;
		}
		if (cases[i].kmod) {
			snprintf(name, sizeof(name), "kmod.offline_block[%s]", cases[i].tag);
			snprintf(base, sizeof(base), "anon.offline_block[%s]",
				 cases[i].flags ? "thp" : "4k");
			row(name, "s", t, base);
		} else {
			snprintf(name, sizeof(name), "anon.offline_block[%s]", cases[i].tag);
			row(name, "s", t, NULL);
		}
	}
	if (node_online(node, "online_movable")) {
		fprintf(stderr, "node %d: could not online everything again\n", node);
		ret = 1;
	}
	close(fd);
	return ret;
}
