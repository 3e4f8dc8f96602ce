// SPDX-License-Identifier: MIT
/* Backend dispatch: kernel regions or user mappings. */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

int ta_backend_map(void *addr, size_t len, unsigned key, bool huge, struct ta_segment *seg)
{
	if (ta_g.backend == TA_BACKEND_KERNEL)
		return ta_kernel_map(addr, len, key, huge, seg);
	return ta_user_map(addr, len, key, huge, seg);
}

/* After the mapping is gone: drop the region / the cap reservation. */
void ta_backend_unmap(struct ta_segment *seg)
{
	if (seg->handle)
		ta_kernel_unmap(seg);
	else if (ta_g.backend == TA_BACKEND_USER)
		ta_user_unmap(seg);
}

int ta_backend_move(struct ta_segment *seg, unsigned dst)
{
	if (seg->handle)
		return ta_kernel_move(seg, dst);
	return ta_user_move(seg, dst);
}

/* Grow @seg's data in place by @add bytes; kernel regions have a fixed size. */
int ta_backend_expand(struct ta_segment *seg, size_t add)
{
	if (seg->handle || ta_g.backend != TA_BACKEND_USER) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return ta_user_expand(seg, add);
}

/*
 * Give the pages of a free span back: MADV_DONTNEED for anonymous memory;
 * for a kernel region, zapping the PTEs would not release its pages, so the
 * module frees them (TA_IOC_REGION_DISCARD).
 */
void ta_backend_purge(struct ta_segment *seg, void *addr, size_t len)
{
	if (seg->handle)
		ta_kernel_purge(seg, addr, len);
	else if (ta_g.backend == TA_BACKEND_USER)
		madvise(addr, len, MADV_FREE);
}
