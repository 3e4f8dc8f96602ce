// SPDX-License-Identifier: MIT
/* Backend dispatch: kernel regions or user mappings. */
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

/*
 * Give the pages of a free span back.  Kernel regions keep their pages until
 * the region is freed (zapping the PTEs would not release them), so only
 * user mappings are purged.
 */
void ta_backend_purge(void *addr, size_t len)
{
	if (ta_g.backend == TA_BACKEND_USER)
		madvise(addr, len, MADV_DONTNEED);
}
