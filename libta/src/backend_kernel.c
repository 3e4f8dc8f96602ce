// SPDX-License-Identifier: MIT
/*
 * Kernel backend: every segment's data is a /dev/tieralloc region, created
 * with the placement key's hint (or tier, TA_REGION_TIER) and mapped
 * MAP_SHARED|MAP_FIXED into the segment's reservation.  The kernel applies
 * caps, rerouting and the throttle; the reply says which tier was granted.
 * Large blocks move in place with TA_IOC_REGION_MOVE.
 *
 * TA_HINT_AUTO is passed on as it is: the module makes the region
 * TA_REGION_AUTO and moves its 2 MiB units by itself.  A module without
 * TA_FEAT_AUTO would refuse it, so there AUTO regions are created as
 * PREFER_FAST (where AUTO starts), said once on stderr and in
 * ta_stats_json()'s "auto".
 *
 * fork(): region mappings are MAP_SHARED, so a child would share the
 * parent's heap.  The child handler therefore gives every region a private
 * copy, mapped at the same address through a new file, made by the module
 * (TA_IOC_REGION_CLONE copies only the pages that exist; every module
 * libta works with has it).  The parent's forking thread waits until the
 * child has copied, so the blocks it owns are seen as of the fork.  If a
 * clone cannot be had (no device, a limit, no memory), the child gets an
 * anonymous copy of the segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static int kfd = -1;
static int fork_pipe[2] = { -1, -1 };

int lt_kernel_open(void)
{
	struct ta_version v = { 0 };
	int fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, TA_IOC_VERSION, &v) || v.abi_version != TIERALLOC_ABI_VERSION ||
	    v.nr_tiers != TA_NR_TIERS) {
		lt_msg("%s: ABI version %u (%u tiers), libta speaks %u; using the user backend",
		       TIERALLOC_DEVICE, v.abi_version, v.nr_tiers, TIERALLOC_ABI_VERSION);
		close(fd);
		errno = EPROTO;
		return -1;
	}
	kfd = fd;
	lt_g.fd = fd;
	lt_g.kfeatures = v.features;
	lt_kernel_read_tiers(lt_g.tier);
	return 0;
}

/* The kernel's tier configuration, into @conf (lt_g.tier at init, a copy for stats). */
void lt_kernel_read_tiers(struct lt_tier_conf conf[TA_NR_TIERS])
{
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		struct ta_tier_config c = { .tier = t };

		if (ioctl(kfd, TA_IOC_GET_TIER, &c))
			continue;
		conf[t].node = c.node;
		conf[t].policy = c.policy;
		conf[t].soft_cap = c.soft_cap;
		conf[t].hard_cap = c.hard_cap;
		conf[t].rate = c.rate;
		conf[t].burst = c.burst;
		conf[t].throttle_mode = c.throttle_mode;
		conf[t].info_flags = c.info_flags;
		conf[t].read_latency_ns = c.read_latency_ns;
		conf[t].read_bandwidth_mbps = c.read_bandwidth_mbps;
	}
}

static int region_create(int fd, size_t len, unsigned placement, uint32_t flags,
			 struct ta_region_create *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->size = len;
	rc->placement = placement;
	rc->flags = flags;
	return ioctl(fd, TA_IOC_REGION_CREATE, rc);
}

static void region_free(int fd, uint32_t handle)
{
	struct ta_region_free f = { .handle = handle };

	if (ioctl(fd, TA_IOC_REGION_FREE, &f))
		lt_msg("TA_IOC_REGION_FREE(%u): %s", handle, lt_strerror(errno));
}

int lt_kernel_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg)
{
	struct ta_region_create rc;
	uint32_t flags = 0;
	unsigned placement = key;
	void *m;
	int e;

	if (key >= TA_NR_HINTS) {
		placement = key - TA_NR_HINTS;
		flags |= TA_REGION_TIER;
	} else if (key == TA_HINT_AUTO && !(lt_g.kfeatures & TA_FEAT_AUTO)) {
		static _Atomic int told;

		placement = TA_HINT_PREFER_FAST;
		if (!atomic_exchange(&told, 1))
			lt_msg("%s has no automatic tiering (feature auto): %s", TIERALLOC_DEVICE,
			       "TA_HINT_AUTO blocks are placed as prefer_fast and stay there");
	}
	if (huge && (lt_g.kfeatures & TA_FEAT_HUGE))
		flags |= TA_REGION_HUGE;
	if (region_create(kfd, len, placement, flags, &rc)) {
		if (errno == ENOMEM)
			lt_stat_add(&lt_g.cnt[tapol_key_asked(key)].hard_violations, 1);
		return -1;
	}
	if ((flags & TA_REGION_TIER) && rc.tier != placement) {
		/* Exact-tier requests (moves, reallocs) must not be rerouted. */
		region_free(kfd, rc.handle);
		lt_stat_add(&lt_g.cnt[placement].hard_violations, 1);
		errno = ENOMEM;
		return -1;
	}
	if (rc.tier >= TA_NR_TIERS || rc.granted_size < len) {
		region_free(kfd, rc.handle);
		errno = EPROTO;
		return -1;
	}
	m = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, kfd, (off_t)rc.offset);
	if (m == MAP_FAILED) {
		e = errno;
		region_free(kfd, rc.handle);
		errno = e;
		return -1;
	}
	if (rc.result & TA_RESULT_REROUTED)
		lt_stat_add(&lt_g.cnt[tapol_key_asked(key)].reroutes, 1);
	if (rc.result & TA_RESULT_SOFT_OVER)
		lt_stat_add(&lt_g.cnt[rc.tier].soft_violations, 1);
	seg->handle = rc.handle;
	seg->tier = (uint8_t)rc.tier;
	return 0;
}

/*
 * Free the pages under [addr, addr + len) of @seg's region.  Ranges outside
 * the region, and the parts of a HUGE region's 2 MiB chunks that are not
 * free whole, keep their pages.
 */
void lt_kernel_purge(struct lt_segment *seg, void *addr, size_t len)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + len;
	uintptr_t d0 = (uintptr_t)seg->data, d1 = d0 + seg->data_len;
	uintptr_t unit = seg->huge ? TA_HUGE_SIZE : 4096;
	struct ta_region_discard d = { .handle = seg->handle };

	if (!(lt_g.kfeatures & TA_FEAT_DISCARD))
		return;
	lo = lo < d0 ? d0 : lo;
	hi = hi > d1 ? d1 : hi;
	lo = d0 + ((lo - d0 + unit - 1) & ~(unit - 1));
	hi = d0 + ((hi - d0) & ~(unit - 1));
	if (hi <= lo)
		return;
	d.offset = lo - d0;
	d.length = hi - lo;
	if (ioctl(kfd, TA_IOC_REGION_DISCARD, &d))
		lt_msg("TA_IOC_REGION_DISCARD(%u): %s", seg->handle, lt_strerror(errno));
}

void lt_kernel_unmap(struct lt_segment *seg)
{
	region_free(kfd, seg->handle);
}

int lt_kernel_move(struct lt_segment *seg, unsigned dst)
{
	struct ta_region_move mv = { .handle = seg->handle, .dst_tier = dst };

	if (ioctl(kfd, TA_IOC_REGION_MOVE, &mv))
		return -1;
	return 0;
}

int lt_kernel_stats(struct ta_stats *out)
{
	struct ta_stats_query q = { .stats_ptr = (uintptr_t)out, .size = sizeof(*out) };

	memset(out, 0, sizeof(*out));
	return ioctl(kfd, TA_IOC_GET_STATS, &q);
}

void lt_kernel_atfork_prepare(void)
{
	if (lt_g.backend != TA_BACKEND_KERNEL || pipe2(fork_pipe, O_CLOEXEC))
		fork_pipe[0] = fork_pipe[1] = -1;
}

void lt_kernel_atfork_parent(void)
{
	char c;

	if (fork_pipe[0] < 0)
		return;
	close(fork_pipe[1]);
	/* EOF when the child finished copying, exited or exec'd. */
	while (read(fork_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	close(fork_pipe[0]);
	fork_pipe[0] = fork_pipe[1] = -1;
}

struct remap {
	int fd;
	void *tmp;
	size_t tmp_len;
	unsigned failed;
};

/* The module copies the region's pages itself (TA_IOC_REGION_CLONE). */
static bool clone_one(struct lt_segment *seg, int fd)
{
	struct ta_region_clone c = { .src_fd = kfd, .src_handle = seg->handle };

	if (ioctl(fd, TA_IOC_REGION_CLONE, &c))
		return false;
	if (mmap(seg->data, seg->data_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)c.offset) == MAP_FAILED) {
		region_free(fd, c.handle);
		return false;
	}
	seg->handle = c.handle;
	return true;
}

/*
 * Give the child a private copy of @seg's region, at the same address: a
 * clone by the module, or, if that cannot be had (no device, a limit), an
 * anonymous copy, untiered but private.
 */
static void remap_one(struct lt_segment *seg, void *arg)
{
	struct remap *r = arg;
	uint64_t used = ~0ull;

	if (!seg->handle)
		return;
	if (r->fd >= 0 && clone_one(seg, r->fd))
		return;
	r->failed++;
	seg->handle = 0;
	if (seg->kind == TA_SEG_ARENA)
		used = ~seg->free_mask & ~1ull;
	if (r->tmp_len < seg->data_len) {
		if (r->tmp)
			munmap(r->tmp, r->tmp_len);
		r->tmp_len = seg->data_len;
		r->tmp = mmap(NULL, r->tmp_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->tmp == MAP_FAILED) {
			r->tmp = NULL;
			r->tmp_len = 0;
			/* No room to copy through: the child loses this segment's data. */
			lt_map_anon_fixed(seg->data, seg->data_len);
			return;
		}
	}
	/* Arenas: copy the slices in use only (the others are not worth faulting in). */
#define FOR_USED(body)                                                                             \
	do {                                                                                       \
		if (seg->kind != TA_SEG_ARENA) {                                                   \
			size_t off = 0, n = seg->data_len;                                         \
			body;                                                                      \
		} else {                                                                           \
			for (unsigned i = 1; i < TA_SEG_SLICES; i++) {                             \
				if (!(used >> i & 1))                                              \
					continue;                                                  \
				size_t off = (size_t)(i - 1) << TA_SLICE_SHIFT, n = TA_SLICE_SIZE; \
				body;                                                              \
			}                                                                          \
		}                                                                                  \
	} while (0)
	FOR_USED(memcpy((uint8_t *)r->tmp + off, seg->data + off, n));
	lt_map_anon_fixed(seg->data, seg->data_len);
	FOR_USED(memcpy(seg->data + off, (uint8_t *)r->tmp + off, n));
#undef FOR_USED
}

void lt_kernel_atfork_child(void)
{
	struct remap r = { .fd = -1 };

	if (lt_g.backend != TA_BACKEND_KERNEL)
		return;
	r.fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	lt_registry_foreach(remap_one, &r);
	if (r.tmp)
		munmap(r.tmp, r.tmp_len);
	if (r.failed)
		lt_msg("fork: %u regions of the parent got anonymous (untiered) copies", r.failed);
	close(kfd);
	kfd = r.fd;
	lt_g.fd = r.fd;
	if (kfd < 0) {
		lt_msg("fork: cannot reopen %s; the child uses the user backend", TIERALLOC_DEVICE);
		lt_g.backend = TA_BACKEND_USER;
	}
	if (fork_pipe[1] >= 0) {
		close(fork_pipe[0]);
		close(fork_pipe[1]);
		fork_pipe[0] = fork_pipe[1] = -1;
	}
}
