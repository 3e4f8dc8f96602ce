// SPDX-License-Identifier: MIT
/*
 * Which NUMA node backs each tier, decided by the module's rules
 * (kmod/ta_policy.h: the HMAT and distance rankings, and which ranked node
 * each tier takes) over what sysfs says of the nodes.
 *
 * Reads sysfs with open/read only (no stdio, no malloc).
 */
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define NODE_DIR  "/sys/devices/system/node"
#define MAX_NODES 256

static ssize_t read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r, total = 0;

	if (fd < 0)
		return -1;
	/* A sysfs attribute comes whole in one read, ending in a newline. */
	while ((size_t)total < n - 1 && (r = read(fd, buf + total, n - 1 - (size_t)total)) > 0) {
		total += r;
		if (buf[total - 1] == '\n')
			break;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static void fmt_path(char *out, size_t n, int nid, const char *leaf)
{
	char num[12];
	int i = (int)sizeof(num) - 1;
	unsigned v = (unsigned)nid;

	num[i] = '\0';
	do
		num[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	out[0] = '\0';
	strncat(out, NODE_DIR "/node", n - 1);
	strncat(out, num + i, n - strlen(out) - 1);
	strncat(out, "/", n - strlen(out) - 1);
	strncat(out, leaf, n - strlen(out) - 1);
}

static const char *parse_uint(const char *s, unsigned long *v)
{
	if (*s < '0' || *s > '9')
		return NULL;
	*v = 0;
	while (*s >= '0' && *s <= '9')
		*v = *v * 10 + (unsigned long)(*s++ - '0');
	return s;
}

/* Parse a sysfs node list ("0-2,4") into a bitmap of MAX_NODES. */
static int parse_list(const char *s, uint64_t *bits)
{
	memset(bits, 0, MAX_NODES / 8);
	while (*s && *s != '\n') {
		unsigned long a, b;

		s = parse_uint(s, &a);
		if (!s)
			return -1;
		b = a;
		if (*s == '-') {
			s = parse_uint(s + 1, &b);
			if (!s)
				return -1;
		}
		for (unsigned long i = a; i <= b && i < MAX_NODES; i++)
			bits[i / 64] |= 1ull << (i % 64);
		if (*s == ',')
			s++;
	}
	return 0;
}

static bool bit(const uint64_t *bits, int i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static int read_list(const char *leaf, uint64_t *bits)
{
	char path[128], buf[1024];

	path[0] = '\0';
	strncat(path, NODE_DIR "/", sizeof(path) - 1);
	strncat(path, leaf, sizeof(path) - strlen(path) - 1);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return parse_list(buf, bits);
}

bool lt_node_has_memory(int node)
{
	uint64_t mem[MAX_NODES / 64];

	if (node < 0 || node >= MAX_NODES || read_list("has_memory", mem))
		return node == 0;
	return bit(mem, node);
}

static uint32_t read_u32(int nid, const char *leaf, bool *ok)
{
	char path[160], buf[32];
	unsigned long v;

	fmt_path(path, sizeof(path), nid, leaf);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !parse_uint(buf, &v)) {
		*ok = false;
		return 0;
	}
	return (uint32_t)v;
}

/* Distance from @from to every online node, in online-node order. */
static int read_distances(int from, const uint64_t *online, int *dist)
{
	char path[160], buf[4096];
	const char *s = buf;

	fmt_path(path, sizeof(path), from, "distance");
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (int n = 0; n < MAX_NODES; n++) {
		unsigned long v;

		dist[n] = 1 << 30;
		if (!bit(online, n))
			continue;
		while (*s == ' ')
			s++;
		s = parse_uint(s, &v);
		if (!s)
			return -1;
		dist[n] = (int)v;
	}
	return 0;
}

/*
 * The one node this process may place memory on, or -1 when there are
 * several (or the kernel will not say): one system call where the sysfs
 * probe below takes several files, which every process pays for at start.
 */
static int only_allowed_node(void)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = { 0 };
	int mode, node = -1;

	/* maxnode counts one more than the bits, as for mbind(2) (backend_user.c). */
	if (syscall(SYS_get_mempolicy, &mode, mask, 1025ul, NULL,
		    (unsigned long)MPOL_F_MEMS_ALLOWED))
		return -1;
	for (unsigned i = 0; i < sizeof(mask) / sizeof(mask[0]); i++) {
		if (!mask[i])
			continue;
		if (node >= 0 || (mask[i] & (mask[i] - 1)))
			return -1;
		node = (int)(i * 8 * sizeof(unsigned long)) + __builtin_ctzl(mask[i]);
	}
	return node;
}

/*
 * Fill conf[].node and the HMAT fields.  Returns the number of memory nodes,
 * or 0 when the machine shows no NUMA topology (every tier then says node 0).
 */
int lt_topology_probe(struct lt_tier_conf conf[TA_NR_TIERS])
{
	static TA_BIG_BSS struct tapol_node rank[MAX_NODES];
	static TA_BIG_BSS int dist[MAX_NODES];
	uint64_t online[MAX_NODES / 64], mem[MAX_NODES / 64], cpu[MAX_NODES / 64];
	bool hmat = true;
	int n = 0;

	int only = only_allowed_node();

	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		conf[t].node = only >= 0 ? only : 0;
		conf[t].info_flags = 0;
	}
	/* Nothing to rank: every tier is on that node, as the distance rule below would say. */
	if (only >= 0) {
		for (unsigned t = 0; t < TA_NR_TIERS; t++)
			conf[t].info_flags = TA_TIER_INFO_DISTANCE;
		return 1;
	}
	if (read_list("has_memory", mem))
		return 0;
	for (int nid = 0; nid < MAX_NODES; nid++) {
		struct tapol_node *r;
		bool ok = true;

		if (!bit(mem, nid))
			continue;
		r = &rank[n++];
		r->nid = nid;
		r->has_cpus = 0;
		r->distance = 1 << 30;
		r->latency = read_u32(nid, "access0/initiators/read_latency", &ok);
		/* No latency, no HMAT: the bandwidth file is not there either. */
		r->bandwidth = ok ? read_u32(nid, "access0/initiators/read_bandwidth", &ok) : 0;
		if (!ok || !r->latency)
			hmat = false;
	}
	if (n == 0)
		return 0;
	/* Every process pays for this at start: with one memory node there is nothing to rank. */
	if (n > 1 && !read_list("online", online)) {
		if (read_list("has_cpu", cpu))
			memset(cpu, 0, sizeof(cpu));
		for (int i = 0; i < n; i++)
			rank[i].has_cpus = bit(cpu, rank[i].nid);
		for (int c = 0; c < MAX_NODES; c++) {
			if (!bit(cpu, c) || read_distances(c, online, dist))
				continue;
			for (int i = 0; i < n; i++)
				if (dist[rank[i].nid] < rank[i].distance)
					rank[i].distance = dist[rank[i].nid];
		}
	}
	/* Insertion sort: a handful of nodes. */
	for (int i = 1; i < n; i++) {
		struct tapol_node key = rank[i];
		int j = i - 1;

		while (j >= 0 && (hmat ? tapol_rank_cmp_hmat(&rank[j], &key)
				       : tapol_rank_cmp_distance(&rank[j], &key)) > 0) {
			rank[j + 1] = rank[j];
			j--;
		}
		rank[j + 1] = key;
	}
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		const struct tapol_node *r = &rank[tapol_tier_rank(t, n)];

		conf[t].node = r->nid;
		conf[t].info_flags = hmat ? TA_TIER_INFO_HMAT : TA_TIER_INFO_DISTANCE;
		conf[t].read_latency_ns = hmat ? r->latency : 0;
		conf[t].read_bandwidth_mbps = hmat ? r->bandwidth : 0;
	}
	return n;
}
