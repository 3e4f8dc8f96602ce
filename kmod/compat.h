/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel API differences between Linux 6.1, 6.12 and 7.3 that
 * TierAlloc meets, kept in one place.  Kbuild defines TA_HAVE_* from probes of the
 * target kernel's headers.
 */
#ifndef _TA_COMPAT_H
#define _TA_COMPAT_H

#include <linux/memcontrol.h>
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

/*
 * May this fault drop its lock, wait and return VM_FAULT_RETRY?  Not when
 * the caller forbids it, nor when it asked for a retry without waiting, nor
 * on a retry already (fault_flag_allow_retry_first()): a second fault maps
 * at once, so no DISCARD loop can starve the toucher.
 */
static inline bool ta_fault_may_retry(const struct vm_fault *vmf)
{
	return (vmf->flags & FAULT_FLAG_ALLOW_RETRY) &&
	       !(vmf->flags & (FAULT_FLAG_RETRY_NOWAIT | FAULT_FLAG_TRIED));
}

/*
 * Drop the lock the fault holds: mmap_lock, or since 6.4 possibly only the
 * VMA's lock.  6.7 named this release_fault_lock().
 */
static inline void ta_fault_unlock(struct vm_fault *vmf)
{
#ifdef TA_HAVE_RELEASE_FAULT_LOCK
	release_fault_lock(vmf);
#else
	mmap_read_unlock(vmf->vma->vm_mm);
#endif
}

/*
 * PMD-mapping a driver's own refcounted 2 MiB folio needs
 * vmf_insert_folio_pmd() (6.15), and a VMA without VM_MIXEDMAP, whose
 * PTE path then needs vmf_insert_page_mkwrite() (6.12): with VM_MIXEDMAP
 * the kernel never splits a PMD of ours cleanly (__split_huge_pmd_locked()
 * leaves "special" mappings alone), so a partial munmap would leak the
 * folio.  Where both exist, HUGE chunks are PMD-mapped (TA_PMD_MAP);
 * elsewhere every page is PTE-mapped through VM_MIXEDMAP.
 */
#if defined(TA_HAVE_INSERT_FOLIO_PMD) && defined(TA_HAVE_INSERT_PAGE_MKWRITE) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define TA_PMD_MAP	1
#else
#define TA_PMD_MAP	0
#endif

/*
 * Is kernel memory (__GFP_ACCOUNT) charged to memory cgroups?  6.2 renamed
 * memcg_kmem_enabled() to memcg_kmem_online().
 */
static inline bool ta_memcg_kmem_online(void)
{
#ifdef TA_HAVE_MEMCG_KMEM_ONLINE
	return memcg_kmem_online();
#else
	return memcg_kmem_enabled();
#endif
}

/* Is @memcg a cgroup below the root, the only kind that is charged? */
static inline bool ta_memcg_below_root(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	return memcg && memcg->css.parent;
#else
	return false;
#endif
}

#endif /* _TA_COMPAT_H */
