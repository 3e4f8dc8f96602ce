// SPDX-License-Identifier: MIT
/*
 * Operating system services without malloc or stdio: messages written with
 * write(2), aligned address reservations, anonymous mappings, clocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* One line on stderr, prefixed "tieralloc: "; vsnprintf of plain formats does not allocate. */
void lt_msg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, e = errno;

	memcpy(buf, "tieralloc: ", 11);
	va_start(ap, fmt);
	n = vsnprintf(buf + 11, sizeof(buf) - 12, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	n += 11;
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	buf[n++] = '\n';
	while (write(STDERR_FILENO, buf, (size_t)n) < 0 && errno == EINTR)
		;
	errno = e;
}

/*
 * Reserve @size bytes of address space (PROT_NONE) at a TA_SEG_SIZE-aligned
 * base such that base + @off is a multiple of @align (a power of two).
 */
void *lt_reserve(size_t size, size_t align, size_t off)
{
	size_t a = align > TA_SEG_SIZE ? align : TA_SEG_SIZE;
	size_t len = size + a;
	uint8_t *raw, *base, *end;

	if (len < size)
		return NULL;
	raw = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	if (align > TA_SEG_SIZE) {
		uintptr_t d = ((uintptr_t)raw + off + align - 1) & ~(uintptr_t)(align - 1);
		base = (uint8_t *)(d - off);
	} else {
		base = (uint8_t *)(((uintptr_t)raw + TA_SEG_MASK) & ~(uintptr_t)TA_SEG_MASK);
	}
	end = base + size;
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (end < raw + len)
		munmap(end, (size_t)(raw + len - end));
	return base;
}

int lt_map_anon_fixed(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

void lt_unmap(void *addr, size_t len)
{
	if (munmap(addr, len))
		lt_msg("munmap(%p, %zu): %s", addr, len, lt_strerror(errno));
}

/* strerror() may allocate for unknown numbers; this never does. */
const char *lt_strerror(int e)
{
	const char *s = strerrordesc_np(e);

	return s ? s : "unknown error";
}

pid_t lt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

uint64_t lt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A vDSO read good to a scheduler tick (1-4 ms): enough for purge delays. */
uint64_t lt_now_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Zeroed internal memory (heaps, map levels): never returned. */
void *lt_meta_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}
