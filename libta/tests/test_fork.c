// SPDX-License-Identifier: MIT
/*
 * fork() in a multithreaded program: while other threads allocate and free
 * at full speed, the main thread forks repeatedly; each child must see the
 * parent's blocks as of the fork, own a private copy of them (its writes
 * invisible to the parent), and allocate, free and start threads itself.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#ifdef __SANITIZE_THREAD__
/* TSan refuses threads in a child of a multithreaded parent unless told. */
const char *__tsan_default_options(void)
{
	return "die_after_fork=0";
}
#endif

static _Atomic int stop;

static void *churn(void *arg)
{
	void *p[32] = { 0 };
	unsigned k = (unsigned)(uintptr_t)arg;

	for (unsigned n = 0; !atomic_load(&stop); n++) {
		if (n % 256 == 0)
			sched_yield(); /* leave the children some CPU on small machines */
		k = k * 1103515245u + 12345u;
		ta_free(p[k % 32]);
		p[k % 32] = ta_alloc((k >> 8) % 5000, (ta_hint_t)(k % TA_NR_HINTS));
	}
	for (int i = 0; i < 32; i++)
		ta_free(p[i]);
	return NULL;
}

static void *child_thread(void *arg)
{
	void *p = ta_alloc(1000, TA_HINT_COLD);

	(void)arg;
	if (p)
		memset(p, 3, 1000);
	ta_free(p);
	return p;
}

static int child_main(char *small, char *large)
{
	pthread_t t;
	void *r;

	if (!tt_check(small, 200, 1) || !tt_check(large, 3 << 20, 2))
		return 10;
	memset(small, 0, 200); /* must stay invisible to the parent */
	memset(large, 0, 3 << 20);
	for (int i = 0; i < 3000; i++) {
		void *p = ta_alloc((size_t)i % 3000, (ta_hint_t)(i % TA_NR_HINTS));

		if (!p)
			return 11;
		memset(p, 1, (size_t)i % 3000);
		ta_free(p);
	}
#if !TT_SAN /* sanitizer runtimes cannot start threads after a multithreaded fork */
	if (pthread_create(&t, NULL, child_thread, NULL) || pthread_join(t, &r) || !r)
		return 12;
#else
	(void)t;
	(void)r;
	(void)child_thread;
#endif
	ta_free(small);
	return 0;
}

TEST(fork_while_threads_allocate)
{
	pthread_t t[4];
	char *small = ta_alloc(200, TA_HINT_HOT), *large = ta_alloc(3 << 20, TA_HINT_WARM);

	TH_LOG("checks 12 forks amid 4 allocating threads: child sees a private copy and can "
	       "allocate");
	ASSERT_NE(NULL, small);
	ASSERT_NE(NULL, large);
	tt_fill(small, 200, 1);
	tt_fill(large, 3 << 20, 2);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)));
	for (int i = 0; i < (TT_SAN ? 6 : 12); i++) {
		int status;
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0)
			_exit(child_main(small, large));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("child died with signal %d", WTERMSIG(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		ASSERT_TRUE(tt_check(small, 200, 1)) TH_LOG("child's write reached the parent");
		ASSERT_TRUE(tt_check(large, 3 << 20, 2)) TH_LOG("child's write reached the parent");
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ta_free(small);
	ta_free(large);
}

TEST_HARNESS_MAIN
