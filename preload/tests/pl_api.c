// SPDX-License-Identifier: MIT
/*
 * The malloc family's contract, glibc 2.36's to the letter.  Built twice:
 * pl_api runs under libta_preload.so, pl_api_glibc (-DPL_TEST_GLIBC) on
 * glibc's own malloc, so every expectation here is checked against glibc
 * too.  Alignments are checked as minimums (libta may align more).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pl_test.h"

/* The failures below are the point: keep the compiler from judging them. */
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="

static size_t opaque(size_t v)
{
	volatile size_t x = v;

	return x;
}

static int pl_child_main(const char *mode)
{
	(void)mode;
	return 0;
}

#define ALIGNED(p, a) (((uintptr_t)(p) & ((uintptr_t)(a)-1)) == 0)
#define SENTINEL      ((void *)0x5a5a5a5a5a5a5a5aull)

/* The preload really serves the block (glibc variant: nothing to check). */
static int served(const void *p)
{
#ifdef PL_TEST_GLIBC
	(void)p;
	return 1;
#else
	return pl_owns(p) == 1;
#endif
}

static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(i * 31 + seed);
}

static int check(const void *p, size_t n, unsigned seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(i * 31 + seed))
			return 0;
	return 1;
}

TEST(preloaded)
{
#ifdef PL_TEST_GLIBC
	ASSERT_FALSE(pl_preloaded());
#else
	void *p = malloc(1);

	ASSERT_TRUE(pl_preloaded());
	ASSERT_TRUE(served(p));
	free(p);
#endif
}

TEST(malloc_zero_unique)
{
	void *a = malloc(0), *b = malloc(0);

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_NE(a, b);
	EXPECT_TRUE(served(a));
	EXPECT_TRUE(ALIGNED(a, 16));
	free(a);
	free(b);
}

/* glibc: every block is 16-byte aligned, whatever its size. */
TEST(alignment_16)
{
	static const size_t big[] = { 1000, 4096, 65536, 100000, 1 << 20, 3 << 20, 33 << 20 };
	void *p[300];

	for (size_t n = 0; n < 300; n++) {
		p[n] = malloc(n);
		ASSERT_NE(NULL, p[n]);
		ASSERT_TRUE(ALIGNED(p[n], 16)) TH_LOG("malloc(%zu) = %p", n, p[n]);
		ASSERT_GE(malloc_usable_size(p[n]), n);
		memset(p[n], 0xab, n);
	}
	for (size_t n = 0; n < 300; n++)
		free(p[n]);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		void *q = malloc(big[i]);

		ASSERT_NE(NULL, q);
		ASSERT_TRUE(ALIGNED(q, 16));
		ASSERT_GE(malloc_usable_size(q), big[i]);
		memset(q, 1, big[i]);
		free(q);
	}
}

TEST(too_large)
{
	static const size_t sizes[] = { SIZE_MAX,    SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1,
					PTRDIFF_MAX, (size_t)1 << 44, (size_t)1 << 39 };
	void *p, *keep = malloc(100);

	ASSERT_NE(NULL, keep);
	fill(keep, 100, 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = opaque(sizes[i]);

		errno = 0;
		EXPECT_EQ(NULL, malloc(n)) TH_LOG("malloc(%zu)", n);
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, calloc(1, n));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, realloc(keep, n));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, memalign(64, n));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, aligned_alloc(4096, n));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, valloc(n));
		EXPECT_EQ(ENOMEM, errno);
		errno = 0;
		EXPECT_EQ(NULL, pvalloc(n));
		EXPECT_EQ(ENOMEM, errno);
		p = SENTINEL;
		EXPECT_EQ(ENOMEM, posix_memalign(&p, 64, n));
		EXPECT_EQ(SENTINEL, p);
	}
	/* Overflowing products. */
	errno = 0;
	EXPECT_EQ(NULL, calloc(opaque(SIZE_MAX / 2), 3));
	EXPECT_EQ(ENOMEM, errno);
	errno = 0;
	EXPECT_EQ(NULL, calloc(opaque((size_t)1 << 32), (size_t)1 << 32));
	EXPECT_EQ(ENOMEM, errno);
	errno = 0;
	EXPECT_EQ(NULL, reallocarray(keep, opaque(SIZE_MAX / 2), 3));
	EXPECT_EQ(ENOMEM, errno);
	/* The block survived every failed resize. */
	EXPECT_TRUE(check(keep, 100, 7));
	free(keep);
}

TEST(posix_memalign_matrix)
{
	static const size_t sizes[] = { 0, 1, 17, 100, 4096, 100000, 3 << 20 };

	for (size_t a = 0; a <= ((size_t)1 << 22); a = a < 64 ? a + 1 : a * 2) {
		bool valid = a && !(a & (a - 1)) && a % sizeof(void *) == 0;

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			void *p = SENTINEL;
			int e = 4321, r;

			errno = e;
			r = posix_memalign(&p, a, sizes[i]);
			if (!valid) {
				ASSERT_EQ(EINVAL, r) TH_LOG("align %zu", a);
				ASSERT_EQ(SENTINEL, p);
				ASSERT_EQ(e, errno);
				continue;
			}
			ASSERT_EQ(0, r) TH_LOG("align %zu size %zu", a, sizes[i]);
			ASSERT_TRUE(ALIGNED(p, a)) TH_LOG("align %zu size %zu: %p", a, sizes[i], p);
			ASSERT_TRUE(served(p));
			ASSERT_GE(malloc_usable_size(p), sizes[i]);
			fill(p, sizes[i], 3);
			/* realloc keeps the contents (not necessarily the alignment). */
			p = realloc(p, sizes[i] + 100);
			ASSERT_NE(NULL, p);
			ASSERT_TRUE(check(p, sizes[i], 3));
			free(p);
		}
	}
	/* Odd multiples of sizeof(void *) and non-powers of two. */
	static const size_t bad[] = { 24, 48, 96, 3 << 10, 4, 2, 1, SIZE_MAX, SIZE_MAX / 2 + 2 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = SENTINEL;

		ASSERT_EQ(EINVAL, posix_memalign(&p, bad[i], 16));
		ASSERT_EQ(SENTINEL, p);
	}
}

/* glibc 2.36: aligned_alloc is memalign; alignments <= 16 are malloc, others round up to 2^k. */
TEST(memalign_matrix)
{
	static const size_t aligns[] = { 0,	 1,	2,     3,	8,
					 16,	 17,	24,    31,	32,
					 33,	 48,	100,   1000,	4096,
					 5000,	 65536, 65537, 1 << 20, (1 << 20) + 1,
					 1 << 22 };
	static const size_t sizes[] = { 0, 1, 100, 5000, 200000, 2 << 20 };

	for (int fn = 0; fn < 2; fn++) {
		for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
			size_t a = aligns[i], want = 16;

			while (want < a)
				want <<= 1;
			for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
				void *p = fn ? aligned_alloc(a, sizes[j]) : memalign(a, sizes[j]);

				ASSERT_NE(NULL, p)
				TH_LOG("fn %d align %zu size %zu", fn, a, sizes[j]);
				ASSERT_TRUE(ALIGNED(p, want)) TH_LOG("align %zu: %p", a, p);
				ASSERT_TRUE(served(p));
				ASSERT_GE(malloc_usable_size(p), sizes[j]);
				fill(p, sizes[j], 5);
				ASSERT_TRUE(check(p, sizes[j], 5));
				free(p);
			}
		}
	}
	/* 2^63 is a power of two that cannot be had; anything above is invalid. */
	errno = 0;
	EXPECT_EQ(NULL, memalign(SIZE_MAX / 2 + 1, 10));
	EXPECT_EQ(ENOMEM, errno);
	errno = 0;
	EXPECT_EQ(NULL, memalign(SIZE_MAX / 2 + 2, 10));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(NULL, aligned_alloc(SIZE_MAX, 10));
	EXPECT_EQ(EINVAL, errno);
}

TEST(valloc_pvalloc)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 100000, 3 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], r = (n + ps - 1) & ~(ps - 1);
		void *p = valloc(n), *q = pvalloc(n);

		ASSERT_NE(NULL, p);
		ASSERT_NE(NULL, q);
		EXPECT_TRUE(ALIGNED(p, ps));
		EXPECT_TRUE(ALIGNED(q, ps));
		EXPECT_GE(malloc_usable_size(p), n);
		EXPECT_GE(malloc_usable_size(q), r);
		memset(p, 1, n);
		memset(q, 2, r);
		free(p);
		free(q);
	}
}

TEST(realloc_semantics)
{
	static const size_t steps[] = { 1,	 16,	 17,	  100,	   1000,
					5000,	 70000,	 1 << 20, 3 << 20, 20 << 20,
					2 << 20, 100000, 200,	  8,	   1 };
	void *p, *q;
	size_t have;

	/* realloc(NULL, n) is malloc(n), even for 0. */
	p = realloc(NULL, 0);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(served(p));
	free(p);
	/* realloc(p, 0) frees p and returns NULL (glibc's REALLOC_ZERO_BYTES_FREES). */
	p = malloc(50);
	errno = 0;
	EXPECT_EQ(NULL, realloc(p, 0));
	EXPECT_EQ(0, errno);
	p = malloc(5 << 20);
	EXPECT_EQ(NULL, realloc(p, 0));
	EXPECT_EQ(NULL, reallocarray(malloc(10), 0, 10));

	/* Contents survive growth and shrinking through every size range. */
	p = malloc(1);
	ASSERT_NE(NULL, p);
	fill(p, 1, 9);
	have = 1;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t n = steps[i], keep = have < n ? have : n;

		q = realloc(p, n);
		ASSERT_NE(NULL, q) TH_LOG("realloc to %zu", n);
		ASSERT_TRUE(ALIGNED(q, 16));
		ASSERT_TRUE(check(q, keep, 9)) TH_LOG("realloc %zu -> %zu lost data", have, n);
		ASSERT_GE(malloc_usable_size(q), n);
		fill(q, n, 9);
		p = q;
		have = n;
	}
	free(p);

	/* Growing a big buffer step by step (the realloc pattern of vectors). */
	p = NULL;
	for (size_t n = 4096; n <= (8u << 20); n += 96 * 1024) {
		q = realloc(p, n);
		ASSERT_NE(NULL, q);
		if (p)
			ASSERT_EQ(0xcd, ((unsigned char *)q)[n - 96 * 1024 - 1]);
		memset(q, 0xcd, n);
		p = q;
	}
	free(p);
	p = reallocarray(NULL, 10, 10);
	ASSERT_NE(NULL, p);
	EXPECT_GE(malloc_usable_size(p), 100);
	free(p);
}

/* free() keeps errno (glibc >= 2.33), whatever kind of block it frees. */
TEST(free_keeps_errno)
{
	static const size_t sizes[] = { 0, 8, 100, 4000, 70000, 1 << 20, 8 << 20, 64 << 20 };

	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			void *p = malloc(sizes[i]), *q = memalign(4096, sizes[i]);

			ASSERT_NE(NULL, p);
			ASSERT_NE(NULL, q);
			memset(p, 1, sizes[i]);
			errno = 1234;
			free(p);
			ASSERT_EQ(1234, errno) TH_LOG("free of a %zu-byte block", sizes[i]);
			free(q);
			ASSERT_EQ(1234, errno);
			free(NULL);
			ASSERT_EQ(1234, errno);
		}
	}
	errno = 77;
	EXPECT_EQ(NULL, realloc(malloc(10), 0));
	EXPECT_EQ(77, errno);
}

TEST(calloc_zeroes_recycled_memory)
{
	static const size_t sizes[] = { 16, 100, 4000, 70000, 1 << 20, 2 << 20, 9 << 20 };

	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			unsigned char *p = malloc(n), *q;

			ASSERT_NE(NULL, p);
			memset(p, 0xff, n);
			free(p);
			q = calloc(n / 4, 4);
			ASSERT_NE(NULL, q);
			for (size_t j = 0; j < n; j += (j < 4096 ? 1 : 509)) {
				ASSERT_EQ(0, q[j]) TH_LOG("calloc(%zu) byte %zu", n, j);
			}
			ASSERT_EQ(0, q[n - 1]);
			free(q);
		}
	}
	void *z = calloc(0, 10);

	EXPECT_NE(NULL, z);
	free(z);
}

TEST(usable_size)
{
	EXPECT_EQ(0, malloc_usable_size(NULL));
	for (size_t n = 1; n < (4u << 20); n = n * 3 + 1) {
		unsigned char *p = malloc(n);
		size_t u = malloc_usable_size(p);

		ASSERT_GE(u, n);
		/* All of it is ours to write. */
		memset(p, 0x11, u);
		free(p);
	}
}

TEST(tuning_calls)
{
	struct mallinfo2 mi;
	void *p = malloc(1 << 20);

	EXPECT_EQ(1, mallopt(M_ARENA_MAX, 2));
	mi = mallinfo2();
	(void)mi;
	malloc_trim(0);
	free(p);
}

TEST_HARNESS_MAIN
