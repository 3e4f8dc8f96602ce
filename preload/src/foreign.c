// SPDX-License-Identifier: MIT
/*
 * Pointers libta did not allocate.
 *
 * With the preload in place from the first instruction, every malloc call
 * of the process reaches libta, so a foreign pointer is one of:
 *
 *  - memory of ld.so's minimal malloc, used while the program is loaded and
 *    before libc's malloc symbols are bound (link maps, the initial thread's
 *    TLS and dtv, search paths).  glibc itself never frees these with
 *    free(), but a program might: they are left alone (leaked);
 *  - a chunk of glibc's own malloc, reached by a program that looked the
 *    real malloc up through a libc handle (dlopen("libc.so.6") + dlsym).
 *    Such chunks go back to glibc's free, found with dlsym(RTLD_NEXT).
 *
 * Telling them apart without trusting either: glibc's chunk header is read
 * with process_vm_readv(), which fails instead of faulting on unmapped or
 * protected memory, and must describe a chunk of glibc's main heap (between
 * the program break at start-up and the current one), of one of its
 * mmap()ed chunks (page-aligned mapping, size a whole number of pages) or of
 * a thread arena (the heap_info at the 64 MiB-aligned heap start points back
 * at an arena and spans the chunk).
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

#define CHUNK_MMAPPED  2u
#define CHUNK_NON_MAIN 4u
#define CHUNK_FLAGS    7u
#define GLIBC_HEAP_MAX ((uintptr_t)64 << 20) /* HEAP_MAX_SIZE on 64-bit */

static uintptr_t brk0;
static void *_Atomic real_free_fn, *_Atomic real_usable_fn;

TA_HIDDEN _Atomic uint64_t pl_foreign_frees, pl_foreign_to_glibc;

void pl_foreign_init(void)
{
	long b = syscall(SYS_brk, 0);

	brk0 = b > 0 ? (uintptr_t)b : 0;
}

/* Copy @n bytes at @src without faulting; false if any of it is unreadable. */
static bool safe_read(const void *src, void *dst, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n;
}

static bool is_glibc_chunk(const void *p)
{
	uintptr_t u = (uintptr_t)p, ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	size_t hdr[2], size;

	if ((u & 15) || u < 4096 || !safe_read((const char *)p - 16, hdr, sizeof(hdr)))
		return false;
	size = hdr[1] & ~(size_t)CHUNK_FLAGS;
	if (size < 32 || (size & 15))
		return false;
	if (hdr[1] & CHUNK_MMAPPED) {
		size_t off = hdr[0];
		uintptr_t base = u - 16 - off;

		return off < ps && base % ps == 0 && (off + size) % ps == 0;
	}
	if (hdr[1] & CHUNK_NON_MAIN) {
		uintptr_t heap = u & ~(GLIBC_HEAP_MAX - 1);
		struct {
			void *arena, *prev;
			size_t size, mprotect_size;
		} hi;

		return safe_read((void *)heap, &hi, sizeof(hi)) && hi.arena &&
		       hi.size <= GLIBC_HEAP_MAX && hi.size % ps == 0 &&
		       u - 16 + size <= heap + hi.size;
	}
	uintptr_t brk = (uintptr_t)syscall(SYS_brk, 0);

	return brk0 && u - 16 >= brk0 && u - 16 + size <= brk;
}

static void *real(const char *name, void *_Atomic *cache)
{
	void *f = atomic_load_explicit(cache, memory_order_acquire);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		atomic_store_explicit(cache, f, memory_order_release);
	}
	return f;
}

static void (*real_free(void))(void *)
{
	return (void (*)(void *))real("free", &real_free_fn);
}

static size_t (*real_usable(void))(void *)
{
	return (size_t(*)(void *))real("malloc_usable_size", &real_usable_fn);
}

void pl_foreign_free(void *p)
{
	int e = errno;
	void (*f)(void *);

	atomic_fetch_add_explicit(&pl_foreign_frees, 1, memory_order_relaxed);
	if (is_glibc_chunk(p) && (f = real_free()) && f != free) {
		atomic_fetch_add_explicit(&pl_foreign_to_glibc, 1, memory_order_relaxed);
		f(p);
	}
	errno = e;
}

size_t pl_foreign_usable_size(void *p)
{
	int e = errno;
	size_t (*f)(void *);
	size_t n = 0;

	if (is_glibc_chunk(p) && (f = real_usable()) && f != malloc_usable_size)
		n = f(p);
	errno = e;
	return n;
}

void *pl_foreign_realloc(void *p, size_t n)
{
	size_t old, done = 0;
	void *q;
	int e;

	if (n == 0) {
		pl_foreign_free(p);
		return NULL;
	}
	q = pl_malloc(n);
	if (!q)
		return NULL;
	e = errno;
	old = pl_foreign_usable_size(p);
	if (old) {
		memcpy(q, p, old < n ? old : n);
	} else {
		/* Size unknown (ld.so): copy what is readable, page by page, up to @n. */
		while (done < n) {
			uintptr_t a = (uintptr_t)p + done;
			size_t chunk = 4096 - (a & 4095);

			if (chunk > n - done)
				chunk = n - done;
			if (!safe_read((void *)a, (char *)q + done, chunk))
				break;
			done += chunk;
		}
	}
	errno = e;
	pl_foreign_free(p);
	return q;
}
