// SPDX-License-Identifier: MIT
/*
 * Thread heaps ("thread caches"): every thread allocates from its own heap,
 * a sub-heap per placement key with a page queue per size class.  Heaps are
 * never unmapped: when a thread exits, its heap returns its empty pages and
 * segments and is parked for the next new thread to adopt, together with
 * the blocks still in use (which other threads may go on freeing).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

TA_TLS struct lt_heap *lt_tls_heap;
TA_TLS struct lt_sub *lt_tls_msub;

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lt_heap *heaps;
static pthread_key_t heap_tsd;
static _Atomic int heap_tsd_state; /* 0 none, 1 creating, 2 ready, 3 failed */

#define HEAP_BYTES ((sizeof(struct lt_heap) + TA_PAGE_SIZE - 1) & ~(TA_PAGE_SIZE - 1))

/* The first thread's heap: one system call less at every process start. */
static TA_BIG_BSS struct lt_heap first_heap __attribute__((aligned(TA_PAGE_SIZE)));

static void heap_thread_exit(void *arg)
{
	struct lt_heap *h = arg;

	if (!h)
		return;
	lt_heap_collect(h, true);
	if (lt_tls_heap == h) {
		lt_tls_heap = NULL;
		lt_tls_msub = NULL;
	}
	pthread_mutex_lock(&heaps_lock);
	if (h->state == TA_HEAP_USED) {
		h->state = TA_HEAP_FREE;
		h->tid = 0;
		lt_stat_sub(&lt_g.heaps_in_use, 1);
	}
	pthread_mutex_unlock(&heaps_lock);
}

static void heap_tsd_create(void)
{
	int expect = 0;

	if (atomic_compare_exchange_strong(&heap_tsd_state, &expect, 1)) {
		int ok = pthread_key_create(&heap_tsd, heap_thread_exit) == 0;

		atomic_store_explicit(&heap_tsd_state, ok ? 2 : 3, memory_order_release);
	}
}

struct lt_heap *lt_heap_init_thread(void)
{
	struct lt_heap *h;

	if (!lt_ready())
		lt_init_slow();
	heap_tsd_create();
	pthread_mutex_lock(&heaps_lock);
	for (h = heaps; h; h = h->next)
		if (h->state == TA_HEAP_FREE)
			break;
	if (!h) {
		h = heaps ? lt_meta_alloc(HEAP_BYTES) : &first_heap;
		if (!h) {
			pthread_mutex_unlock(&heaps_lock);
			errno = ENOMEM;
			return NULL;
		}
		h->next = heaps;
		heaps = h;
		lt_stat_add(&lt_g.heaps, 1);
	}
	h->state = TA_HEAP_USED;
	h->tid = lt_gettid();
	lt_stat_add(&lt_g.heaps_in_use, 1);
	pthread_mutex_unlock(&heaps_lock);
	lt_tls_heap = h;
	lt_tls_msub = &h->sub[lt_thread_default_key()];
	if (atomic_load_explicit(&heap_tsd_state, memory_order_acquire) == 2)
		pthread_setspecific(heap_tsd, h);
	return h;
}

void lt_heaps_atfork_prepare(void)
{
	pthread_mutex_lock(&heaps_lock);
}

void lt_heaps_atfork_parent(void)
{
	pthread_mutex_unlock(&heaps_lock);
}

/*
 * In the child only the forking thread exists.  The other threads' heaps
 * may have been caught half-way through an update, so they are never used
 * again: their blocks stay valid and freeing them is harmless.
 */
void lt_heaps_atfork_child(void)
{
	struct lt_heap *h;

	pthread_mutex_init(&heaps_lock, NULL);
	for (h = heaps; h; h = h->next) {
		if (h->state == TA_HEAP_USED && h != lt_tls_heap) {
			h->state = TA_HEAP_DEAD;
			lt_stat_sub(&lt_g.heaps_in_use, 1);
		}
	}
	if (lt_tls_heap)
		lt_tls_heap->tid = lt_gettid();
}
