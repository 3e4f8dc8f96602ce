// SPDX-License-Identifier: MIT
/*
 * The classic interposer checks, under libta_preload.so: fork from a
 * multithreaded program, threads created and destroyed in large numbers,
 * frees and allocations in thread-exit destructors, malloc in constructors,
 * destructors and atexit handlers, dlopen'd libraries with dynamic TLS, and
 * pointers the preload did not hand out (glibc's own malloc, ld.so's).
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pl_test.h"

#pragma GCC diagnostic ignored "-Wuse-after-free"

/* Less work in the VM (TCG is ~20x slower). */
static unsigned scale(unsigned n)
{
	return pl_in_vm() ? (n / 8 ? n / 8 : 1) : n;
}

/* ---- allocated before main: the program's constructor ---- */

static char *ctor_block, *ctor_big;

__attribute__((constructor(102))) static void early_ctor(void)
{
	ctor_block = strdup("allocated in a constructor");
	ctor_big = malloc(3 << 20);
	if (ctor_big)
		memset(ctor_big, 7, 3 << 20);
}

static int child_dtor_main(void);

static int pl_child_main(const char *mode)
{
	if (!strcmp(mode, "dtor"))
		return child_dtor_main();
	return 99;
}

TEST(constructor_blocks)
{
	ASSERT_NE(NULL, ctor_block);
	ASSERT_NE(NULL, ctor_big);
	EXPECT_EQ(1, pl_owns(ctor_block));
	EXPECT_EQ(1, pl_owns(ctor_big));
	EXPECT_STREQ("allocated in a constructor", ctor_block);
	EXPECT_EQ(7, ctor_big[(3 << 20) - 1]);
	ctor_block = realloc(ctor_block, 10000);
	ASSERT_NE(NULL, ctor_block);
	EXPECT_STREQ("allocated in a constructor", ctor_block);
	free(ctor_block);
	free(ctor_big);
}

/* ---- destructors and atexit handlers that allocate ---- */

static void *dtor_keep;

static void at_exit_handler(void)
{
	void *p = malloc(5000), *q = calloc(10, 1 << 20);

	free(dtor_keep);
	free(p);
	free(q);
	dtor_keep = malloc(77); /* freed by the destructor below */
}

static void late_dtor(void)
{
	free(dtor_keep);
	dtor_keep = malloc(100); /* never freed: exit goes on */
}

static int child_dtor_main(void)
{
	dtor_keep = malloc(1234);
	atexit(at_exit_handler);
	/* A destructor registered at run time (like a C++ static object's). */
	extern void *__dso_handle;
	extern int __cxa_atexit(void (*)(void *), void *, void *);

	__cxa_atexit((void (*)(void *))late_dtor, NULL, __dso_handle);
	return 0; /* exit(): atexit handlers, destructors, the preload's own */
}

TEST(exit_handlers_allocate)
{
	ASSERT_EQ(0, pl_run_child("dtor", NULL));
}

/* ---- fork from a multithreaded program ---- */

static atomic_bool stop;

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void *slot[64] = { 0 };

	while (!atomic_load(&stop)) {
		unsigned i = (unsigned)rand_r(&seed) % 64;
		size_t n = (size_t)rand_r(&seed) % 4096;

		if (rand_r(&seed) % 64 == 0)
			n = (size_t)(rand_r(&seed) % 4 + 1) << 20;
		free(slot[i]);
		slot[i] = malloc(n);
		if (slot[i])
			memset(slot[i], (int)i, n < 64 ? n : 64);
	}
	for (unsigned i = 0; i < 64; i++)
		free(slot[i]);
	return NULL;
}

TEST(fork_from_threads)
{
	unsigned nthreads = 4, forks = scale(60);
	pthread_t t[4];

	atomic_store(&stop, false);
	for (unsigned i = 0; i < nthreads; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)));
	for (unsigned f = 0; f < forks; f++) {
		pid_t pid = fork();
		int st;

		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* A deadlocked allocator would hang here: the alarm ends it. */
			alarm(20);
			void *p = malloc(100), *q = malloc(2 << 20), *r = memalign(4096, 10000);

			if (!p || !q || !r)
				_exit(2);
			memset(q, 1, 2 << 20);
			free(p);
			free(q);
			free(r);
			if (f % 2) {
				/* The child may create threads and fork again. */
				pthread_t c;

				if (pthread_create(&c, NULL, churn, (void *)1))
					_exit(3);
				usleep(1000);
				atomic_store(&stop, true);
				pthread_join(c, NULL);
			}
			exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_TRUE(WIFEXITED(st))
		TH_LOG("fork %u: child killed by signal %d", f, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		ASSERT_EQ(0, WEXITSTATUS(st));
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

/* ---- threads in large numbers, blocks passed between them ---- */

static void *short_lived(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	void *keep = NULL;

	for (unsigned i = 0; i < 50; i++) {
		void *p = malloc(16 + (i * 37 + k) % 3000);

		if (!p)
			return NULL;
		memset(p, 1, 16);
		if (i == 25)
			keep = p;
		else
			free(p);
	}
	return keep; /* freed by the main thread */
}

TEST(thread_churn)
{
	unsigned rounds = scale(400);
	struct ta_lib_stats st;

	for (unsigned r = 0; r < rounds; r++) {
		pthread_t t[8];

		for (unsigned i = 0; i < 8; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, short_lived,
						    (void *)(uintptr_t)(r * 8 + i)));
		for (unsigned i = 0; i < 8; i++) {
			void *p;

			ASSERT_EQ(0, pthread_join(t[i], &p));
			ASSERT_NE(NULL, p);
			free(p);
		}
	}
	/* Exited threads hand their heaps back: they do not pile up. */
	ASSERT_EQ(0, pl_get_stats(&st));
	EXPECT_LE(st.heaps, 16)
	TH_LOG("%llu heaps after %u threads", (unsigned long long)st.heaps, rounds * 8);
	EXPECT_LE(st.heaps_in_use, 2);
}

/* ---- thread-exit destructors that free and allocate ---- */

static pthread_key_t key_a, key_b;
static __thread void *tls_block;

static void dtor_a(void *p)
{
	free(p);
	/* A destructor that allocates again: it runs in a later round. */
	pthread_setspecific(key_b, malloc(200));
	free(tls_block);
	tls_block = NULL;
}

static void dtor_b(void *p)
{
	free(p);
	void *q = malloc(64 << 10);

	free(q);
}

static void *with_destructors(void *arg)
{
	(void)arg;
	tls_block = malloc(1000);
	pthread_setspecific(key_a, malloc(500));
	pthread_setspecific(key_b, malloc(5 << 20));
	return NULL;
}

TEST(thread_exit_destructors)
{
	struct ta_lib_stats st;

	ASSERT_EQ(0, pthread_key_create(&key_a, dtor_a));
	ASSERT_EQ(0, pthread_key_create(&key_b, dtor_b));
	for (unsigned r = 0; r < scale(200); r++) {
		pthread_t t[4];

		for (unsigned i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, with_destructors, NULL));
		for (unsigned i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_join(t[i], NULL));
	}
	/* Detached threads free their own stacks and TLS at exit. */
	for (unsigned r = 0; r < scale(200); r++) {
		pthread_attr_t a;
		pthread_t t;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		ASSERT_EQ(0, pthread_create(&t, &a, with_destructors, NULL));
		pthread_attr_destroy(&a);
	}
	/* The detached threads are gone (or about to be): only main's heap is in use. */
	for (int i = 0; i < 200; i++) {
		ASSERT_EQ(0, pl_get_stats(&st));
		if (st.heaps_in_use <= 2)
			break;
		usleep(50000);
	}
	EXPECT_LE(st.heaps_in_use, 2)
	TH_LOG("%llu heaps still in use", (unsigned long long)st.heaps_in_use);
}

/* ---- errno across every kind of free, from any thread ---- */

static void *free_with_errno(void *arg)
{
	void **v = arg;

	for (unsigned i = 0; v[i]; i++) {
		errno = 4321;
		free(v[i]);
		if (errno != 4321)
			return (void *)1;
	}
	return NULL;
}

TEST(errno_cross_thread_free)
{
	static const size_t sizes[] = { 1, 100, 1000, 20000, 200000, 1 << 20, 6 << 20 };
	void *v[8 * 16 + 1] = { 0 };
	unsigned n = 0;
	pthread_t t;
	void *ret;

	for (unsigned r = 0; r < 16; r++)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			v[n++] = r % 2 ? malloc(sizes[i]) : memalign(256, sizes[i]);
	ASSERT_EQ(0, pthread_create(&t, NULL, free_with_errno, v));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(NULL, ret);
}

/* ---- dlopen'd library: constructor allocations, dynamic TLS, dlclose ---- */

struct dl_api {
	void *h;
	void *(*alloc)(size_t);
	void (*free)(void *);
	char *(*tls)(void);
	const char *(*ctor_block)(void);
	size_t (*tls_bytes)(void);
};

static int dl_load(struct dl_api *d)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/libpl_dl.so", pl_test_exe_dir);
	d->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!d->h)
		return -1;
	d->alloc = (void *(*)(size_t))dlsym(d->h, "pl_dl_alloc");
	d->free = (void (*)(void *))dlsym(d->h, "pl_dl_free");
	d->tls = (char *(*)(void))dlsym(d->h, "pl_dl_tls");
	d->ctor_block = (const char *(*)(void))dlsym(d->h, "pl_dl_ctor_block");
	d->tls_bytes = (size_t(*)(void))dlsym(d->h, "pl_dl_tls_bytes");
	return d->alloc && d->free && d->tls && d->ctor_block && d->tls_bytes ? 0 : -1;
}

static void *dl_thread(void *arg)
{
	struct dl_api *d = arg;
	char *t = d->tls();
	void *p = d->alloc(300);

	memset(t, 3, d->tls_bytes());
	free(p); /* library's block, freed by the program */
	p = malloc(500);
	d->free(p); /* and the other way round */
	return pl_owns(t) == 1 ? NULL : (void *)1;
}

TEST(dlopen_tls_threads)
{
	for (unsigned r = 0; r < scale(20); r++) {
		struct dl_api d;
		pthread_t t[4];
		void *ret;

		ASSERT_EQ(0, dl_load(&d)) TH_LOG("dlopen: %s", dlerror());
		ASSERT_NE(NULL, d.ctor_block());
		EXPECT_EQ(1, pl_owns(d.ctor_block()));
		EXPECT_EQ(0x42, d.ctor_block()[999]);
		for (unsigned i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, dl_thread, &d));
		for (unsigned i = 0; i < 4; i++) {
			ASSERT_EQ(0, pthread_join(t[i], &ret));
			/* The dynamic TLS block came from the preload. */
			EXPECT_EQ(NULL, ret);
		}
		/* The main thread's dynamic TLS too. */
		EXPECT_EQ(1, pl_owns(d.tls()));
		ASSERT_EQ(0, dlclose(d.h));
	}
}

/* ---- foreign pointers: glibc's own malloc ---- */

struct glibc_api {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
};

static int glibc_load(struct glibc_api *g)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	if (!h)
		return -1;
	/* Looked up in libc itself: glibc's malloc, not the preload's. */
	g->malloc = (void *(*)(size_t))dlsym(h, "malloc");
	g->free = (void (*)(void *))dlsym(h, "free");
	g->memalign = (void *(*)(size_t, size_t))dlsym(h, "memalign");
	dlclose(h);
	return g->malloc && g->free && g->memalign && g->malloc != malloc ? 0 : -1;
}

static void *glibc_thread(void *arg)
{
	struct glibc_api *g = arg;
	unsigned char *p = g->malloc(300), *q;

	/* A thread arena chunk (NON_MAIN_ARENA). */
	if (!p || pl_owns(p) != 0 || malloc_usable_size(p) < 300)
		return (void *)1;
	memset(p, 9, 300);
	q = realloc(p, 5000);
	if (!q || pl_owns(q) != 1 || q[299] != 9)
		return (void *)2;
	free(q);
	p = g->malloc(100);
	free(p);
	return NULL;
}

TEST(foreign_glibc_pointers)
{
	static const size_t sizes[] = { 1, 24, 100, 5000, 100000, 1 << 20, 5 << 20 };
	struct glibc_api g;
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, glibc_load(&g));
	for (unsigned r = 0; r < 3; r++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n = sizes[i];
			unsigned char *p = g.malloc(n), *q;

			ASSERT_NE(NULL, p);
			ASSERT_EQ(0, pl_owns(p));
			/* glibc's usable size, from glibc. */
			ASSERT_GE(malloc_usable_size(p), n);
			memset(p, 0x5c, n);
			errno = 555;
			free(p); /* to glibc's free */
			ASSERT_EQ(555, errno);

			p = g.malloc(n);
			ASSERT_NE(NULL, p);
			memset(p, 0x3d, n);
			q = realloc(p, n * 2 + 10);
			ASSERT_NE(NULL, q);
			ASSERT_EQ(1, pl_owns(q));
			for (size_t j = 0; j < n; j += (j < 1024 ? 1 : 997)) {
				ASSERT_EQ(0x3d, q[j]);
			}
			free(q);

			p = g.memalign(4096, n);
			ASSERT_NE(NULL, p);
			EXPECT_EQ(NULL, realloc(p, 0)); /* frees, like glibc */
		}
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, glibc_thread, &g));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(NULL, ret);
	/* glibc's heap still works after all that. */
	void *p = g.malloc(123);

	ASSERT_NE(NULL, p);
	g.free(p);
}

/* ---- foreign pointers: ld.so's minimal malloc (link maps) ---- */

TEST(foreign_ldso_pointers)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	struct link_map *lm = h;
	unsigned char copy[64], *q;

	ASSERT_NE(NULL, h);
	/* libc's link map was allocated by ld.so before any malloc was bound. */
	ASSERT_EQ(0, pl_owns(lm));
	EXPECT_EQ(0, malloc_usable_size(lm));
	memcpy(copy, lm, sizeof(copy));
	/* realloc of it copies what is there into a new block... */
	q = realloc(lm, sizeof(copy));
	ASSERT_NE(NULL, q);
	EXPECT_EQ(1, pl_owns(q));
	EXPECT_EQ(0, memcmp(q, copy, sizeof(copy)));
	free(q);
	/* ... and the old one, like a free() of it, is left alone. */
	errno = 99;
	free(lm);
	EXPECT_EQ(99, errno);
	EXPECT_EQ(0, memcmp(lm, copy, sizeof(copy)));
	/* The dynamic linker did not notice. */
	EXPECT_NE(NULL, dlsym(h, "puts"));
	dlclose(h);
}

TEST_HARNESS_MAIN
