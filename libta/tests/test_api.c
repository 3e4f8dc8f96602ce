// SPDX-License-Identifier: MIT
/*
 * libta API semantics on whatever backend the machine offers (the user
 * backend on the build host, the kernel's in the VM): size classes and
 * usable sizes, first blocks sharing pages, alignment up to 8 MiB,
 * calloc/realloc overflow, NULL and foreign pointers, zeroing, realloc
 * keeping the tier, the per-thread default hint, malloc-like entry points,
 * and the stats (struct and JSON).
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "tt_test.h"

/* AUTO: where it starts (PREFER_FAST's tier); nothing here fills FAST's soft cap. */
static const int hint_tier[TA_NR_HINTS] = { TA_TIER_FAST, TA_TIER_NORMAL, TA_TIER_SLOW,
					    TA_TIER_FAST, TA_TIER_FAST,	  TA_TIER_FAST };

/* Every size from 0 to 4 KiB, then steps to 1.5 MiB: usable >= asked, aligned, writable. */
TEST(size_classes)
{
	TH_LOG("checks usable size (enough, at most a class over), 16-byte alignment and tier "
	       "label for sizes 0..1.5 MiB");
	for (size_t sz = 0; sz < (3u << 19); sz += sz < 4096 ? 1 : sz / 7 + 1) {
		char *p = ta_alloc(sz, TA_HINT_WARM);

		ASSERT_NE(NULL, p) TH_LOG("size %zu: %s", sz, strerror(errno));
		ASSERT_GE(ta_usable_size(p), sz);
		if (sz < TA_LARGE_MIN) /* the class is the smallest that fits: <= 25% over */
			ASSERT_LE(ta_usable_size(p), sz < 128 ? sz + 16 : sz + sz / 4)
		TH_LOG("size %zu", sz);
		ASSERT_EQ(0, (uintptr_t)p % (sz > 8 ? 16 : 8)) TH_LOG("size %zu at %p", sz, p);
		ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
		ASSERT_TRUE(ta_owns(p));
		memset(p, 0xa5, ta_usable_size(p));
		ta_free(p);
	}
}

/* Many live blocks of mixed sizes never overlap and keep their contents. */
TEST(no_overlap)
{
	enum { N = 20000 };
	static char *p[N];
	static size_t sz[N];

	TH_LOG("checks %d live blocks of random sizes keep their contents", N);
	srand(1);
	for (int i = 0; i < N; i++) {
		sz[i] = (size_t)(rand() % 3 ? rand() % 512 : rand() % 70000);
		p[i] = ta_alloc(sz[i], (ta_hint_t)(i % TA_NR_HINTS));
		ASSERT_NE(NULL, p[i]);
		tt_fill(p[i], sz[i], (uint32_t)i);
	}
	for (int i = 0; i < N; i += 2)
		ta_free(p[i]);
	for (int i = 0; i < N; i += 2) {
		p[i] = ta_alloc(sz[i], TA_HINT_COLD);
		ASSERT_NE(NULL, p[i]);
		tt_fill(p[i], sz[i], (uint32_t)i);
	}
	for (int i = 0; i < N; i++) {
		ASSERT_TRUE(tt_check(p[i], sz[i], (uint32_t)i)) TH_LOG("block %d corrupted", i);
		ta_free(p[i]);
	}
}

static void *free_blocks(void *arg)
{
	char **b = arg;

	for (int i = 0; b[i]; i++)
		if (i % 2 == 0)
			ta_free(b[i]);
	return NULL;
}

/*
 * A heap's first block of each class up to 1 KiB comes from a 1 KiB mini
 * page, so a small program's twenty-odd classes share a handful of pages
 * instead of touching one each at start.  Counted from the addresses.
 */
TEST(first_blocks_share_pages)
{
	static const size_t size[] = { 8,   16,	 32,  48,  64,	80,  96,  112, 128, 160, 192,
				       224, 256, 320, 384, 448, 512, 640, 768, 896, 1024 };
	enum { N = sizeof(size) / sizeof(size[0]) };
	char *b[N + 1] = { NULL };
	uintptr_t page[N];
	int pages = 0;
	pthread_t t;

	TH_LOG("checks a new heap's first blocks of %d classes up to 1 KiB lie in at most %d "
	       "pages, "
	       "keep their contents, and go back when freed by another thread",
	       N, N / 4 + 2);
	for (int i = 0; i < N; i++) {
		b[i] = ta_alloc(size[i], TA_HINT_WARM);
		ASSERT_NE(NULL, b[i]);
		tt_fill(b[i], size[i], (uint32_t)i);
		uintptr_t pg = (uintptr_t)b[i] / 4096;
		int j = 0;

		while (j < pages && page[j] != pg)
			j++;
		if (j == pages)
			page[pages++] = pg;
	}
	ASSERT_LE(pages, N / 4 + 2) TH_LOG("%d classes took %d pages", N, pages);
	for (int i = 0; i < N; i++) {
		ASSERT_TRUE(tt_check(b[i], size[i], (uint32_t)i)) TH_LOG("class %zu", size[i]);
	}
	/* Half of them freed by another thread, then the blocks come back to this one. */
	ASSERT_EQ(0, pthread_create(&t, NULL, free_blocks, b));
	ASSERT_EQ(0, pthread_join(t, NULL));
	for (int i = 1; i < N; i += 2)
		ta_free(b[i]);
	for (int i = 0; i < N; i++) {
		b[i] = ta_alloc(size[i], TA_HINT_WARM);
		ASSERT_NE(NULL, b[i]);
		tt_fill(b[i], size[i], (uint32_t)~i);
	}
	for (int i = 0; i < N; i++) {
		ASSERT_TRUE(tt_check(b[i], size[i], (uint32_t)~i)) TH_LOG("class %zu", size[i]);
		ta_free(b[i]);
	}
}

TEST(churned_size_gets_a_page_of_its_own)
{
	char *other = ta_alloc(200, TA_HINT_COLD), *a = ta_alloc(24, TA_HINT_COLD);
	uintptr_t first;

	TH_LOG("checks a small size allocated and freed over and over leaves the mini page it "
	       "first shared with another size for a 64 KiB page of its own, and keeps its data");
	ASSERT_NE(NULL, other);
	ASSERT_NE(NULL, a);
	first = (uintptr_t)a;
	ASSERT_EQ((uintptr_t)other >> 16, first >> 16) TH_LOG("the first blocks share a slice");
	ta_free(a);
	for (int i = 0; i < 1000; i++) {
		a = ta_alloc(24, TA_HINT_COLD);
		ASSERT_NE(NULL, a);
		tt_fill(a, 24, (uint32_t)i);
		ASSERT_TRUE(tt_check(a, 24, (uint32_t)i));
		ta_free(a);
	}
	a = ta_alloc(24, TA_HINT_COLD);
	ASSERT_NE(NULL, a);
	TH_LOG("first block %p, after 1000 rounds %p, the other size's %p", (void *)first,
	       (void *)a, (void *)other);
	ASSERT_NE((uintptr_t)other >> 16, (uintptr_t)a >> 16);
	ta_free(a);
	ta_free(other);
}

TEST(alignment)
{
	static const size_t sizes[] = { 1, 24, 100, 4096, 70000, 1 << 20, 3 << 20 };

	TH_LOG("checks ta_aligned_alloc for alignments 1 B .. 8 MiB and sizes 1 B .. 3 MiB");
	for (size_t align = 1; align <= (8u << 20); align <<= 1) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char *p = ta_aligned_alloc(align, sizes[i], TA_HINT_HOT);

			ASSERT_NE(NULL, p) TH_LOG("align %zu size %zu", align, sizes[i]);
			ASSERT_EQ(0, (uintptr_t)p % align)
			TH_LOG("align %zu size %zu: %p", align, sizes[i], p);
			ASSERT_GE(ta_usable_size(p), sizes[i]);
			ASSERT_EQ(TA_TIER_FAST, ta_tier_of(p));
			memset(p, 1, sizes[i]);
			ta_free(p);
		}
	}
	errno = 0;
	ASSERT_EQ(NULL, ta_aligned_alloc(3, 10, TA_HINT_HOT));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_aligned_alloc(0, 10, TA_HINT_HOT));
	ASSERT_EQ(EINVAL, errno);

	void *q = NULL;

	ASSERT_EQ(EINVAL, ta_posix_memalign(&q, 4, 10));
	ASSERT_EQ(0, ta_posix_memalign(&q, 1 << 16, 10));
	ASSERT_EQ(0, (uintptr_t)q % (1 << 16));
	ta_free(q);
	q = ta_malloc_aligned(256, 1000);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, (uintptr_t)q % 256);
	ta_free(q);
}

TEST(overflow)
{
	char *p = ta_alloc(64, TA_HINT_WARM);

	TH_LOG("checks that impossible sizes fail with ENOMEM and leave blocks alone");
	errno = 0;
	ASSERT_EQ(NULL, ta_calloc(SIZE_MAX / 2, 3, TA_HINT_WARM));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_malloc_calloc((SIZE_MAX >> 4) + 2, 16));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(SIZE_MAX, TA_HINT_WARM));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(SIZE_MAX - 4096, TA_HINT_COLD));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_aligned_alloc((size_t)1 << 62, 16, TA_HINT_WARM));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_NE(NULL, p);
	strcpy(p, "keep me");
	errno = 0;
	ASSERT_EQ(NULL, ta_realloc(p, SIZE_MAX - 10));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_STREQ("keep me", p);
	ta_free(p);
}

TEST(null_and_foreign)
{
	int stack_var = 0;
	char *m = malloc(100);
	struct ta_lib_stats st;

	TH_LOG("checks NULL and pointers libta does not own: no crash, recognised in O(1); "
	       "ta_try_free hands them back");
	ta_free(NULL);
	ASSERT_EQ(0, ta_usable_size(NULL));
	ASSERT_EQ(-1, ta_tier_of(NULL));
	ASSERT_FALSE(ta_owns(NULL));
	ASSERT_FALSE(ta_owns(&stack_var));
	ASSERT_FALSE(ta_owns(m));
	ASSERT_FALSE(ta_owns((void *)-4096L));
	ASSERT_EQ(0, ta_usable_size(m));
	errno = 0;
	ASSERT_EQ(-1, ta_tier_of(m));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_move(m, TA_TIER_FAST));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, ta_realloc(m, 10));
	ASSERT_EQ(EINVAL, errno);
	ta_free(m); /* reported once on stderr, ignored */
	ta_free(&stack_var);
	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_EQ(2, st.foreign_frees);
	/* ta_try_free hands foreign pointers back, uncounted; frees its own (small and large). */
	ASSERT_EQ(m, ta_try_free(m));
	ASSERT_EQ((void *)&stack_var, ta_try_free(&stack_var));
	ASSERT_EQ(NULL, ta_try_free(NULL));
	for (size_t sz = 16; sz <= (4u << 20); sz *= 64) {
		void *own = ta_alloc(sz, TA_HINT_COLD);
		struct ta_lib_stats before, after;

		ASSERT_NE(NULL, own);
		ASSERT_EQ(0, ta_get_stats(&before));
		ASSERT_EQ(NULL, ta_try_free(own));
		ASSERT_EQ(0, ta_get_stats(&after));
		if (sz >= TA_LARGE_MIN)
			ASSERT_EQ(before.tier[TA_TIER_SLOW].large_blocks - 1,
				  after.tier[TA_TIER_SLOW].large_blocks);
	}
	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_EQ(2, st.foreign_frees);
	free(m);
	errno = 0;
	ASSERT_EQ(NULL, ta_alloc(10, (ta_hint_t)TA_NR_HINTS));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ta_get_stats(NULL));
}

TEST(calloc_zeroes)
{
	static const size_t sizes[] = { 8, 100, 5000, 200000, 2 << 20 };

	TH_LOG("checks ta_calloc returns zeroed memory even when recycling dirty blocks");
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			char *p = ta_alloc(sizes[i], TA_HINT_WARM);

			ASSERT_NE(NULL, p);
			memset(p, 0xff, sizes[i]);
			ta_free(p);
			unsigned char *z = ta_calloc(1, sizes[i], TA_HINT_WARM);

			ASSERT_NE(NULL, z);
			for (size_t k = 0; k < sizes[i]; k++)
				ASSERT_EQ(0, z[k]);
			ta_free(z);
		}
	}
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

TEST(big_calloc_faults_only_where_touched)
{
	const size_t n = 600u << 10;
	struct ta_lib_stats st;
	long faults;
	char *p;

	ASSERT_EQ(0, ta_get_stats(&st));
	if (st.backend != TA_BACKEND_USER)
		SKIP(return, "kernel regions: a calloc() past the medium classes is zeroed there");
	TH_LOG("checks a 600 KiB calloc() is zero and costs page faults only for the 10 pages "
	       "written, not for all 150 (its pages come fresh, not memset)");
	faults = minor_faults();
	p = ta_calloc(1, n, TA_HINT_WARM);
	ASSERT_NE(NULL, p);
	for (size_t i = 0; i < 10; i++)
		p[i * 15 * 4096] = 1;
	faults = minor_faults() - faults;
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(i % (15 * 4096) == 0 && i < 10 * 15 * 4096, p[i]) TH_LOG("byte %zu", i);
	}
	TH_LOG("%ld page faults", faults);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	TH_LOG("fault count not checked: the sanitizer's shadow memory faults too");
#else
	ASSERT_LT(faults, 50);
#endif
	ta_free(p);
}

TEST(realloc_keeps_tier_and_data)
{
	TH_LOG("checks ta_realloc grows and shrinks, keeps contents and the block's tier");
	for (int h = 0; h < TA_NR_HINTS; h++) {
		char *p = ta_alloc(10, (ta_hint_t)h);

		ASSERT_NE(NULL, p);
		tt_fill(p, 10, 7);
		for (size_t sz = 20; sz < (4u << 20); sz *= 3) {
			p = ta_realloc(p, sz);
			ASSERT_NE(NULL, p);
			ASSERT_TRUE(tt_check(p, 10, 7));
			ASSERT_EQ(hint_tier[h], ta_tier_of(p)) TH_LOG("hint %d size %zu", h, sz);
		}
		p = ta_realloc(p, 5);
		ASSERT_NE(NULL, p);
		ASSERT_TRUE(tt_check(p, 5, 7));
		ASSERT_EQ(hint_tier[h], ta_tier_of(p));
		ASSERT_EQ(NULL, ta_realloc(p, 0)); /* frees */
	}
	char *q = ta_realloc(NULL, 100); /* thread default hint */

	ASSERT_NE(NULL, q);
	ta_free(q);
}

TEST(realloc_grows_large_blocks_cheaply)
{
	struct ta_lib_stats st;
	size_t sz = 1u << 20;
	char *p = ta_alloc(sz, TA_HINT_COLD);
	int moved = 0;

	TH_LOG("checks a large block grown in 64 KiB steps to 3 MiB keeps its data "
	       "and tier and moves O(log n) times (never, in place, on the user backend)");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ta_get_stats(&st));
	tt_fill(p, sz, 3);
	while (sz < (3u << 20)) {
		char *q;

		sz += 64u << 10;
		q = ta_realloc(p, sz);
		ASSERT_NE(NULL, q);
		moved += q != p;
		p = q;
		ASSERT_LE(sz, ta_usable_size(p));
		p[sz - 1] = 1;
	}
	ASSERT_TRUE(tt_check(p, 1u << 20, 3));
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(p));
	TH_LOG("%s backend: the block moved %d times in 32 steps",
	       st.backend == TA_BACKEND_USER ? "user" : "kernel", moved);
	if (st.backend == TA_BACKEND_USER)
		ASSERT_EQ(0, moved);
	ASSERT_LE(moved, 4);
	ta_free(p);
}

TEST(realloc_past_medium_sizes_grows_in_place)
{
	struct ta_lib_stats st, before, after;
	size_t sz = 64u << 10;
	char *p = ta_alloc(sz, TA_HINT_COLD);
	int moved = 0;

	ASSERT_EQ(0, ta_get_stats(&st));
	if (st.backend != TA_BACKEND_USER)
		SKIP(return, "kernel regions are fixed in size: growth copies there");
	TH_LOG("checks a 64 KiB block grown by doubling to 2 MiB becomes a large block when it "
	       "outgrows the 128 KiB medium classes, and grows in place from there");
	ASSERT_NE(NULL, p);
	tt_fill(p, sz, 5);
	ASSERT_EQ(0, ta_get_stats(&before));
	while (sz < (2u << 20)) {
		char *q = ta_realloc(p, sz * 2);

		ASSERT_NE(NULL, q);
		if (sz > (128u << 10))
			moved += q != p;
		p = q;
		ASSERT_TRUE(tt_check(p, 64u << 10, 5));
		memset(p + sz, 0x11, sz);
		sz *= 2;
	}
	ASSERT_EQ(0, ta_get_stats(&after));
	ASSERT_EQ(before.tier[TA_TIER_SLOW].large_blocks + 1,
		  after.tier[TA_TIER_SLOW].large_blocks);
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(p));
	TH_LOG("moves after it became large: %d", moved);
	ASSERT_EQ(0, moved);
	ta_free(p);
}

TEST(realloc_never_copies_large_blocks_on_user_backend)
{
	const size_t step = 2u << 20, end = 40u << 20;
	struct ta_lib_stats st;
	size_t sz = 4u << 20;
	char *p = ta_alloc(sz, TA_HINT_WARM);
	long faults, new_pages = (long)((end - sz) / 4096);

	ASSERT_EQ(0, ta_get_stats(&st));
	if (st.backend != TA_BACKEND_USER)
		SKIP(return, "kernel regions are fixed in size: growth copies there");
	TH_LOG("checks a 4 MiB block grown to 40 MiB by ta_realloc keeps its data and page-faults "
	       "only for its new pages (its pages are remapped, not copied)");
	ASSERT_NE(NULL, p);
	tt_fill(p, sz, 9);
	faults = minor_faults();
	while (sz < end) {
		p = ta_realloc(p, sz + step);
		ASSERT_NE(NULL, p);
		memset(p + sz, 0x5a, step);
		sz += step;
	}
	faults = minor_faults() - faults;
	TH_LOG("%ld page faults for %ld new pages", faults, new_pages);
	ASSERT_TRUE(tt_check(p, 4u << 20, 9));
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ASSERT_LE(sz, ta_usable_size(p));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	TH_LOG("fault count not checked: the sanitizer's shadow memory faults too");
#else
	/* One copy of the first 4 MiB alone would add 1024 faults. */
	ASSERT_LT(faults, new_pages + 512);
#endif
	ta_free(p);
}

static _Atomic long refills;

static void count_refill(void)
{
	refills++;
}

TEST(refill_hook)
{
	enum { N = 100000 };
	static void *blk[N];
	long n;

	TH_LOG("checks the refill hook runs on slow paths only, and not once unset");
	ta_set_refill_hook(count_refill);
	for (int i = 0; i < N; i++) {
		blk[i] = ta_alloc(64, TA_HINT_HOT);
		ASSERT_NE(NULL, blk[i]);
	}
	n = refills;
	TH_LOG("%ld refills for %d allocations of 64 bytes", n, N);
	ASSERT_GT(n, 0);
	ASSERT_LT(n, N / 16); /* a 4 KiB carve holds 64 such blocks */
	ta_set_refill_hook(NULL);
	for (int i = 0; i < N; i++)
		ta_free(blk[i]);
	for (int i = 0; i < N; i++)
		blk[i] = ta_alloc(64, TA_HINT_HOT);
	ASSERT_EQ(n, refills);
	for (int i = 0; i < N; i++)
		ta_free(blk[i]);
}

static void *default_hint_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)ta_get_default_hint();
}

TEST(default_hint)
{
	pthread_t t;
	void *ret;

	TH_LOG("checks the per-thread default hint used by ta_malloc and friends");
	ASSERT_EQ(TA_HINT_WARM, ta_get_default_hint());
	ASSERT_EQ(0, ta_set_default_hint(TA_HINT_COLD));
	ASSERT_EQ(TA_HINT_COLD, ta_get_default_hint());
	void *p = ta_malloc(100), *c = ta_malloc_calloc(10, 10), *l = ta_malloc(3 << 20);

	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(p));
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(c));
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(l));
	ta_free(p);
	ta_free(c);
	ta_free(l);
	ASSERT_EQ(0, pthread_create(&t, NULL, default_hint_thread, NULL));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(TA_HINT_WARM, (int)(intptr_t)ret) TH_LOG("the default is per thread");
	errno = 0;
	ASSERT_EQ(-1, ta_set_default_hint((ta_hint_t)17));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(TA_HINT_COLD, ta_get_default_hint());
}

TEST(hints_to_tiers)
{
	TH_LOG("checks each hint's tier without caps: HOT/PIN_FAST/PREFER_FAST->FAST, "
	       "WARM->NORMAL, COLD->SLOW");
	for (int h = 0; h < TA_NR_HINTS; h++) {
		void *s = ta_alloc(64, (ta_hint_t)h), *l = ta_alloc(2 << 20, (ta_hint_t)h);

		ASSERT_EQ(hint_tier[h], ta_tier_of(s)) TH_LOG("hint %d small", h);
		ASSERT_EQ(hint_tier[h], ta_tier_of(l)) TH_LOG("hint %d large", h);
		ta_free(s);
		ta_free(l);
	}
}

TEST(stats)
{
	struct ta_lib_stats st;
	char small[16], *buf;
	int n, m;

	TH_LOG("checks ta_get_stats gauges and ta_stats_json's snprintf contract and JSON");
	void *l = ta_alloc(3 << 20, TA_HINT_COLD);

	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_GE(st.tier[TA_TIER_SLOW].large_blocks, 1);
	ASSERT_GE(st.tier[TA_TIER_SLOW].large_bytes, 3 << 20);
	ASSERT_GE(st.tier[TA_TIER_SLOW].reserved_bytes, 3 << 20);
	ASSERT_GE(st.heaps_in_use, 0);
	n = ta_stats_json(small, sizeof(small));
	ASSERT_GT(n, (int)sizeof(small));
	ASSERT_EQ(sizeof(small) - 1, strlen(small));
	ASSERT_EQ(n, ta_stats_json(NULL, 0));
	buf = malloc((size_t)n + 100);
	m = ta_stats_json(buf, (size_t)n + 100);
	ASSERT_GE(m, n - 40);
	ASSERT_EQ((size_t)m, strlen(buf));
	json_object *o = json_tokener_parse(buf), *v;

	ASSERT_NE(NULL, o) TH_LOG("not JSON: %s", buf);
	ASSERT_TRUE(json_object_object_get_ex(o, "tiers", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "slow", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "large_blocks", &v));
	ASSERT_GE(json_object_get_uint64(v), 1);
	json_object_put(o);
	free(buf);
	ta_free(l);
}

TEST_HARNESS_MAIN
