// SPDX-License-Identifier: MIT
/*
 * libta/src/once.h, the run-once initialisation of libta and the preload:
 * among racing threads the function runs exactly once and every caller
 * returns after it finished; a call from inside the function (re-entered,
 * as malloc during initialisation) returns at once without waiting.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "tt_test.h"
#include "../src/once.h"

static struct lt_once once;
static TA_TLS bool running;
static _Atomic int runs, finished, reentered, late;

static void slow_init(void)
{
	atomic_fetch_add(&runs, 1);
	lt_once_run(&once, &running, slow_init); /* re-entered: must not wait for itself */
	atomic_fetch_add(&reentered, 1);
	usleep(20000);
	atomic_store(&finished, 1);
}

static void *racer(void *arg)
{
	(void)arg;
	lt_once_run(&once, &running, slow_init);
	if (!atomic_load(&finished) || !lt_once_done(&once))
		atomic_fetch_add(&late, 1);
	return NULL;
}

TEST(runs_once_and_waits)
{
	pthread_t t[8];

	TH_LOG("checks 8 racing threads: one run, re-entry returns at once, all wait for the end");
	ASSERT_FALSE(lt_once_done(&once));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, racer, NULL));
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	ASSERT_EQ(1, runs);
	ASSERT_EQ(1, reentered);
	ASSERT_EQ(0, late) TH_LOG("a caller returned before the function finished");
	ASSERT_TRUE(lt_once_done(&once));
	lt_once_run(&once, &running, slow_init);
	ASSERT_EQ(1, runs);
}

TEST_HARNESS_MAIN
