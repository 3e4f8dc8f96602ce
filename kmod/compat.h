/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel API differences between Linux 6.1 and 6.12 that TierAlloc
 * meets, kept in one place.
 */
#ifndef _TA_COMPAT_H
#define _TA_COMPAT_H

#include <linux/mm.h>

/*
 * 6.3 made vma->vm_flags read-only behind vm_flags_set(); Kbuild defines
 * TA_HAVE_VM_FLAGS_SET when the kernel's headers have it.
 */
#ifndef TA_HAVE_VM_FLAGS_SET
static inline void ta_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void ta_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

#endif /* _TA_COMPAT_H */
