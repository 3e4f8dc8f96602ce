// SPDX-License-Identifier: MIT
/*
 * libta under threads: a multithreaded stress with checksummed blocks that
 * are handed to other threads to verify and free (cross-thread frees), frees
 * into pages their owner parked as full, and thread exit returning a
 * thread's heap for reuse instead of leaking it.
 */
#include <pthread.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#define NTHREADS 8
#define ROUNDS	 20000
#define QLEN	 256

struct item {
	void *p;
	size_t n;
	uint32_t seed;
};

static struct queue {
	pthread_mutex_t lock;
	struct item it[QLEN];
	unsigned head, tail;
} q[NTHREADS];

static _Atomic int bad;

static int q_put(struct queue *qq, struct item it)
{
	int ok = 0;

	pthread_mutex_lock(&qq->lock);
	if (qq->tail - qq->head < QLEN) {
		qq->it[qq->tail++ % QLEN] = it;
		ok = 1;
	}
	pthread_mutex_unlock(&qq->lock);
	return ok;
}

static int q_get(struct queue *qq, struct item *it)
{
	int ok = 0;

	pthread_mutex_lock(&qq->lock);
	if (qq->head != qq->tail) {
		*it = qq->it[qq->head++ % QLEN];
		ok = 1;
	}
	pthread_mutex_unlock(&qq->lock);
	return ok;
}

static void check_free(struct item *it)
{
	if (!tt_check(it->p, it->n, it->seed))
		atomic_fetch_add(&bad, 1);
	ta_free(it->p);
}

static void *stress(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, seed = id * 7919u + 1;
	struct item local[64] = { 0 }, it;

	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned k = (seed = seed * 1103515245u + 12345u) >> 8;
		size_t n = k % 16 ? k % 600 : k % 300000;
		struct item *slot = &local[k % 64];

		if (slot->p)
			check_free(slot);
		slot->n = n;
		slot->seed = k;
		slot->p = ta_alloc(n, (ta_hint_t)(k % TA_NR_HINTS));
		if (!slot->p) {
			atomic_fetch_add(&bad, 1);
			return NULL;
		}
		tt_fill(slot->p, n, k);
		/* Hand every third block to the next thread. */
		if (k % 3 == 0 && q_put(&q[(id + 1) % NTHREADS], *slot))
			slot->p = NULL;
		while (q_get(&q[id], &it))
			check_free(&it);
	}
	for (int i = 0; i < 64; i++)
		if (local[i].p)
			check_free(&local[i]);
	return NULL;
}

TEST(stress_cross_thread)
{
	pthread_t t[NTHREADS];
	struct item it;

	TH_LOG("checks %d threads x %d checksummed blocks, a third freed by another thread",
	       NTHREADS, ROUNDS);
	for (int i = 0; i < NTHREADS; i++)
		pthread_mutex_init(&q[i].lock, NULL);
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress, (void *)(uintptr_t)i));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		while (q_get(&q[i], &it))
			check_free(&it);
	ASSERT_EQ(0, atomic_load(&bad));
}

#define NFULL 50000
static void *full_blocks[NFULL];

static void *free_all(void *arg)
{
	(void)arg;
	for (int i = 0; i < NFULL; i++)
		ta_free(full_blocks[i]);
	return NULL;
}

TEST(remote_free_into_full_pages)
{
	struct ta_lib_stats a, b;
	pthread_t t;

	TH_LOG("checks blocks freed by another thread into full pages are reused by the owner");
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < NFULL; i++) {
			full_blocks[i] = ta_alloc(48, TA_HINT_HOT);
			ASSERT_NE(NULL, full_blocks[i]);
			tt_fill(full_blocks[i], 48, (uint32_t)i);
		}
		for (int i = 0; i < NFULL; i++)
			ASSERT_TRUE(tt_check(full_blocks[i], 48, (uint32_t)i));
		ASSERT_EQ(0, pthread_create(&t, NULL, free_all, NULL));
		pthread_join(t, NULL);
		ASSERT_EQ(0, ta_get_stats(round ? &b : &a));
	}
	ASSERT_LE(b.tier[TA_TIER_FAST].reserved_bytes, a.tier[TA_TIER_FAST].reserved_bytes)
	TH_LOG("FAST grew from %llu to %llu bytes: remote frees not reused",
	       (unsigned long long)a.tier[TA_TIER_FAST].reserved_bytes,
	       (unsigned long long)b.tier[TA_TIER_FAST].reserved_bytes);
}

static void *short_lived(void *arg)
{
	void *p[1000];

	(void)arg;
	for (int i = 0; i < 1000; i++)
		p[i] = ta_alloc((size_t)(i % 200) * 8, TA_HINT_WARM);
	for (int i = 0; i < 1000; i++)
		ta_free(p[i]);
	return ta_alloc(100, TA_HINT_COLD); /* outlives its thread */
}

TEST(thread_exit_returns_heap)
{
	struct ta_lib_stats st;
	void *leftover[100];
	pthread_t t;

	TH_LOG("checks 100 short-lived threads reuse heaps and leave no empty arenas behind");
	ASSERT_NE(NULL, ta_alloc(1, TA_HINT_WARM)); /* this thread's heap */
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(0, pthread_create(&t, NULL, short_lived, NULL));
		ASSERT_EQ(0, pthread_join(t, &leftover[i]));
		ASSERT_NE(NULL, leftover[i]);
	}
	ASSERT_EQ(0, ta_get_stats(&st));
	ASSERT_EQ(1, st.heaps_in_use);
	ASSERT_LE(st.heaps, 2)
	TH_LOG("%llu heaps for 100 sequential threads", (unsigned long long)st.heaps);
	/* WARM arenas were emptied at exit; the one COLD arena holds the leftovers. */
	ASSERT_LE(st.tier[TA_TIER_NORMAL].regions, 1);
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(leftover[i]));
		ta_free(leftover[i]);
	}
}

TEST_HARNESS_MAIN
