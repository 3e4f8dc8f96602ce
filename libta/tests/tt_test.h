/* SPDX-License-Identifier: MIT */
/* Helpers shared by libta's tests (kselftest harness programs), all tt_*. */
#ifndef LIBTA_TT_TEST_H
#define LIBTA_TT_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tieralloc.h"

/*
 * Sanitizer builds run 5-20x slower, and so does QEMU's TCG in the VM:
 * more time, and less work where noted.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TT_SAN 1
#else
#define TT_SAN 0
#endif

/* NUMA node holding the page at @p, asked of the kernel with move_pages(2); <0 on error. */
static inline int tt_page_node(const void *p)
{
	void *pages[1] = { (void *)((uintptr_t)p & ~(uintptr_t)4095) };
	int status[1] = { -1 };

	if (move_pages(0, 1, pages, NULL, status, 0))
		return -errno;
	return status[0];
}

/*
 * The node of the page at @p, read first: pages the kernel moved, and the
 * pages of AUTO regions that the module's scanner unmaps, are mapped again
 * on their next access, and move_pages(2) only sees mapped pages (-ENOENT:
 * unmapped again in between, so read and ask again).
 */
static inline int tt_touch_node(const void *p)
{
	int n = -ENOENT;

	for (int tries = 0; n == -ENOENT && tries < 10; tries++) {
		(void)*(const volatile char *)p;
		n = tt_page_node(p);
	}
	return n;
}

/*
 * Every page of [p, p + len) on @node?  Returns the first bad page's node,
 * or @node.  Each page is read first (tt_touch_node()).
 */
static inline int tt_range_node(const void *p, size_t len, int node)
{
	for (size_t off = 0; off < len; off += 4096) {
		int n = tt_touch_node((const char *)p + off);

		if (n != node)
			return n;
	}
	return node;
}

/* Memory nodes of this machine according to libnuma (1 when NUMA is unavailable). */
static inline int tt_mem_nodes(void)
{
	int n = 0;

	if (numa_available() < 0)
		return 1;
	for (int i = 0; i <= numa_max_node(); i++) {
		long long freep;

		if (numa_node_size64(i, &freep) > 0)
			n++;
	}
	return n ? n : 1;
}

static inline int tt_have_device(void)
{
	return access(TIERALLOC_DEVICE, R_OK | W_OK) == 0;
}

/*
 * For tests of the kernel backend: if the module is there with every
 * feature in @feats, note each tier's node in @node, make libta use the
 * module (TA_BACKEND=kernel) and return 1; else 0.
 */
static inline int tt_kernel_setup(int node[TA_NR_TIERS], __u32 feats)
{
	struct ta_version v = { 0 };
	int fd;

	if (!tt_have_device())
		return 0;
	fd = open(TIERALLOC_DEVICE, O_RDWR);
	if (fd < 0)
		return 0;
	if (ioctl(fd, TA_IOC_VERSION, &v) || (v.features & feats) != feats) {
		close(fd);
		return 0;
	}
	for (int t = 0; t < TA_NR_TIERS; t++) {
		struct ta_tier_config c = { .tier = (__u32)t };

		if (ioctl(fd, TA_IOC_GET_TIER, &c)) {
			close(fd);
			return 0;
		}
		node[t] = c.node;
	}
	close(fd);
	setenv("TA_BACKEND", "kernel", 1);
	return 1;
}

/*
 * Deterministic pattern for checksummed blocks: every byte of small blocks;
 * the first and last 256 bytes and every 61st byte of big ones (enough to
 * catch overlaps and lost copies, and quick under the sanitizers).
 */
static inline size_t tt_next(size_t i, size_t n)
{
	return n <= 1024 || i < 256 || i + 256 >= n ? i + 1 : (i + 61 < n - 256 ? i + 61 : n - 256);
}

static inline void tt_fill(void *p, size_t n, uint32_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i = tt_next(i, n))
		b[i] = (uint8_t)(seed * 31u + i * 7u);
}

static inline int tt_check(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i = tt_next(i, n))
		if (b[i] != (uint8_t)(seed * 31u + i * 7u))
			return 0;
	return 1;
}

/* Run @fn with stderr captured into @buf (NUL-terminated). */
static inline void tt_capture_stderr(void (*fn)(void), char *buf, size_t n)
{
	int fds[2], saved = dup(2);
	ssize_t r, total = 0;

	if (pipe(fds))
		abort();
	dup2(fds[1], 2);
	close(fds[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	while ((size_t)total < n - 1 && (r = read(fds[0], buf + total, n - 1 - (size_t)total)) > 0)
		total += r;
	buf[total] = '\0';
	close(fds[0]);
}

/* Open @rel, a path relative to libta/tests (where this header is), for reading; its path in @path. */
static inline FILE *tt_open_src(const char *rel, char *path, size_t len)
{
	snprintf(path, len, "%.*s/%s", (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__, rel);
	return fopen(path, "r");
}

static inline int tt_count(const char *hay, const char *needle)
{
	int c = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		c++;
	return c;
}

#endif
