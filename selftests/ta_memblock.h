/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Memory blocks and zones through sysfs and procfs, for the programs that
 * take memory offline and online again: hotplug_test and the hotplug
 * benchmark (tools/bench/vm/hotplug.c).  C11, POSIX and ta_test.h; no
 * harness.
 *
 * Offlining a block retries inside the kernel until a signal while
 * anything in it cannot move, so block_set() bounds each write with an
 * alarm; the caller keeps no SIGALRM handler of its own meanwhile.
 */
#ifndef TA_MEMBLOCK_H
#define TA_MEMBLOCK_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ta_test.h"

#define MEM_SYSFS "/sys/devices/system/memory"
/* Most memory blocks of one node these helpers look at. */
#define TA_MAX_NODE_BLOCKS 256

/*
 * Pages managed in ZONE_MOVABLE and in the node's other zones, from
 * /proc/zoneinfo; 0, or -1 if the node is not there.
 */
static inline int zone_pages(int node, long long *movable, long long *other)
{
	char line[256], zone[32];
	long long v;
	int n, in_node = 0, found = 0, is_movable = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	*movable = *other = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &n, zone) == 2) {
			in_node = n == node;
			found |= in_node;
			is_movable = !strcmp(zone, "Movable");
		} else if (in_node && sscanf(line, " managed %lld", &v) == 1) {
			*(is_movable ? movable : other) += v;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The memory blocks of @node, online or not (at most @max); -1 on error. */
static inline int node_blocks(int node, long *blk, int max)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		if (!strncmp(e->d_name, "memory", 6) && isdigit((unsigned char)e->d_name[6]))
			blk[n++] = atol(e->d_name + 6);
	closedir(d);
	return n;
}

/* Bytes of one memory block, or 0. */
static inline unsigned long long block_bytes(void)
{
	char buf[64];

	if (ta_read_file(MEM_SYSFS "/block_size_bytes", buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 16);
}

static inline void memblock_on_alarm(int sig)
{
	(void)sig;
}

/*
 * Write @state ("offline", "online_movable", "online_kernel") to memory
 * block @blk's state: 0 or -errno, -EINTR once @secs have passed.
 */
static inline int block_set(long blk, const char *state, unsigned int secs)
{
	struct sigaction sa = { .sa_handler = memblock_on_alarm }, old;
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", blk);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART: the write returns EINTR */
	alarm(secs);
	if (write(fd, state, strlen(state)) < 0)
		ret = -errno;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	close(fd);
	return ret;
}

static inline bool block_online(long blk)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", blk);
	return ta_read_file(path, buf, sizeof(buf)) > 0 && !strncmp(buf, "online", 6);
}

/* Offline every online block of @node but @keep0 and @keep1: 0 or -errno. */
static inline int node_offline(int node, long keep0, long keep1)
{
	long blk[TA_MAX_NODE_BLOCKS];
	int i, n = node_blocks(node, blk, TA_MAX_NODE_BLOCKS), ret;

	if (n <= 0)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		if (blk[i] == keep0 || blk[i] == keep1 || !block_online(blk[i]))
			continue;
		ret = block_set(blk[i], "offline", 120);
		if (ret)
			return ret;
	}
	return 0;
}

/* Online every offline block of @node as @how ("online_movable"...): 0 or -errno. */
static inline int node_online(int node, const char *how)
{
	long blk[TA_MAX_NODE_BLOCKS];
	int i, n = node_blocks(node, blk, TA_MAX_NODE_BLOCKS), ret;

	for (i = 0; i < n; i++) {
		if (block_online(blk[i]))
			continue;
		ret = block_set(blk[i], how, 60);
		if (ret)
			return ret;
	}
	return n > 0 ? 0 : -ENOENT;
}

#endif /* TA_MEMBLOCK_H */
