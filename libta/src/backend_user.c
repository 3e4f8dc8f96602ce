// SPDX-License-Identifier: MIT
/*
 * User backend: anonymous memory bound to the tier's NUMA node with mbind(2)
 * (MPOL_BIND), caps and token buckets kept in this process (policy.c,
 * throttle.c).  Moving a region rebinds it with MPOL_MF_MOVE, which migrates
 * the pages already there (the same address; like move_pages(2)).
 *
 * libnuma's own calls allocate with malloc and read files with stdio, which
 * an allocator must not do; libta uses the same system calls directly.
 * Simulated mode (TA_USE_LIBNUMA=0, or no NUMA support) keeps tiers as labels.
 *
 * TA_HINT_AUTO without the module: the closest honest thing is to leave the
 * memory under the process's default NUMA policy (no mbind), which is what
 * the kernel's own tiering moves: NUMA balancing in its tiering mode
 * (kernel.numa_balancing=2) promotes hot pages, demotion on reclaim
 * (/sys/kernel/mm/numa/demotion_enabled) demotes cold ones; a bound VMA
 * would pin them.  Caps are charged to the tier PREFER_FAST would take, a
 * label: where the pages are is the kernel's choice (move_pages(2)).  A
 * ta_move() of such a block moves its pages now and gives the mapping
 * back to the default policy, so it stays automatic.
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define TA_MAX_NODES 1024

long lt_sys_mbind(void *addr, size_t len, int mode, int node, unsigned flags)
{
	unsigned long mask[TA_MAX_NODES / (8 * sizeof(unsigned long))] = { 0 };

	if (node < 0 || node >= TA_MAX_NODES) {
		errno = EINVAL;
		return -1;
	}
	mask[node / (8 * sizeof(unsigned long))] |= 1ul << (node % (8 * sizeof(unsigned long)));
	return syscall(SYS_mbind, addr, len, mode, mask, (unsigned long)TA_MAX_NODES + 1, flags);
}

static bool placing(void)
{
	return lt_g.use_numa && !lt_g.disabled;
}

int lt_user_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg)
{
	unsigned tier;
	uint32_t result;
	int node;

	if (lt_policy_grant(key, len, &tier, &result)) {
		errno = ENOMEM;
		return -1;
	}
	if (lt_map_anon_fixed(addr, len)) {
		int e = errno;

		lt_policy_release(tier, len);
		errno = e;
		return -1;
	}
	if (huge)
		madvise(addr, len, MADV_HUGEPAGE);
	node = lt_g.tier[tier].node;
	if (placing() && node >= 0 && key != TA_HINT_AUTO &&
	    lt_sys_mbind(addr, len, MPOL_BIND, node, 0)) {
		static _Atomic int told;

		if (!atomic_exchange(&told, 1))
			lt_msg("mbind to node %d failed (%s); memory is not placed on tiers", node,
			       lt_strerror(errno));
	}
	lt_throttle_charge(tier, len);
	seg->tier = (uint8_t)tier;
	seg->handle = 0;
	return 0;
}

/*
 * Extend @seg's data by @add bytes mapped right after it, inside the
 * segment's reservation, on the same tier: realloc growth without a copy.
 */
int lt_user_expand(struct lt_segment *seg, size_t add)
{
	uint8_t *addr = seg->data + seg->data_len;
	int node = lt_g.tier[seg->tier].node;

	if (lt_policy_reserve(seg->tier, add)) {
		errno = ENOMEM;
		return -1;
	}
	if (lt_map_anon_fixed(addr, add)) {
		int e = errno;

		lt_policy_release(seg->tier, add);
		errno = e;
		return -1;
	}
	if (placing() && node >= 0 && seg->key != TA_HINT_AUTO)
		lt_sys_mbind(addr, add, MPOL_BIND, node, 0);
	lt_throttle_charge(seg->tier, add);
	return 0;
}

/*
 * Move @seg's data, pages and all, to @dst and make it @new_len bytes long:
 * mremap(2) moves anonymous memory without copying it, and the NUMA policy
 * goes with the mapping, so the new tail is placed on the same tier.
 */
int lt_user_remap(struct lt_segment *seg, void *dst, size_t new_len)
{
	size_t add = new_len - seg->data_len;

	if (lt_policy_reserve(seg->tier, add)) {
		errno = ENOMEM;
		return -1;
	}
	if (mremap(seg->data, seg->data_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) ==
	    MAP_FAILED) {
		int e = errno;

		lt_policy_release(seg->tier, add);
		errno = e;
		return -1;
	}
	lt_throttle_charge(seg->tier, add);
	return 0;
}

void lt_user_unmap(struct lt_segment *seg)
{
	lt_policy_release(seg->tier, seg->data_len);
}

int lt_user_move(struct lt_segment *seg, unsigned dst)
{
	int node = lt_g.tier[dst].node;

	if (lt_g.backend != TA_BACKEND_USER) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (lt_policy_reserve(dst, seg->data_len)) {
		errno = ENOMEM;
		return -1;
	}
	if (placing() && node >= 0 &&
	    lt_sys_mbind(seg->data, seg->data_len, MPOL_BIND, node,
			 MPOL_MF_MOVE | MPOL_MF_STRICT) &&
	    errno != EIO) {
		/* EIO: some pages are shared or busy and stay put; the rest moved. */
		int e = errno;

		lt_policy_release(dst, seg->data_len);
		errno = e;
		return -1;
	}
	/* Moved now; the kernel's tiering may move it again (see the top). */
	if (placing() && node >= 0 && seg->key == TA_HINT_AUTO)
		syscall(SYS_mbind, seg->data, seg->data_len, MPOL_DEFAULT, NULL, 0UL, 0U);
	lt_policy_release(seg->tier, seg->data_len);
	lt_throttle_charge(dst, seg->data_len);
	return 0;
}
