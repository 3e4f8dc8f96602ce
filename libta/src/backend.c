// SPDX-License-Identifier: MIT
/* Backend dispatch: kernel regions or user mappings. */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

int lt_backend_map(void *addr, size_t len, unsigned key, bool huge, struct lt_segment *seg)
{
	if (lt_g.backend == TA_BACKEND_KERNEL)
		return lt_kernel_map(addr, len, key, huge, seg);
	return lt_user_map(addr, len, key, huge, seg);
}

/* After the mapping is gone: drop the region / the cap reservation. */
void lt_backend_unmap(struct lt_segment *seg)
{
	if (seg->handle)
		lt_kernel_unmap(seg);
	else if (lt_g.backend == TA_BACKEND_USER)
		lt_user_unmap(seg);
}

int lt_backend_move(struct lt_segment *seg, unsigned dst)
{
	if (seg->handle)
		return lt_kernel_move(seg, dst);
	return lt_user_move(seg, dst);
}

/* Grow @seg's data in place by @add bytes; kernel regions have a fixed size. */
int lt_backend_expand(struct lt_segment *seg, size_t add)
{
	if (seg->handle || lt_g.backend != TA_BACKEND_USER) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return lt_user_expand(seg, add);
}

/*
 * Give the pages of a free span back: MADV_DONTNEED for anonymous memory;
 * for a kernel region, zapping the PTEs would not release its pages, so the
 * module frees them (TA_IOC_REGION_DISCARD).
 */
void lt_backend_purge(struct lt_segment *seg, void *addr, size_t len)
{
	if (seg->handle)
		lt_kernel_purge(seg, addr, len);
	else if (lt_g.backend == TA_BACKEND_USER)
		madvise(addr, len, MADV_FREE);
}
