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

TA_TLS struct ta_heap *ta_tls_heap;
TA_TLS struct ta_sub *ta_tls_msub;

static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ta_heap *heaps;
static pthread_key_t heap_tsd;
static _Atomic int heap_tsd_state; /* 0 none, 1 creating, 2 ready, 3 failed */

#define HEAP_BYTES ((sizeof(struct ta_heap) + TA_PAGE_SIZE - 1) & ~(TA_PAGE_SIZE - 1))

/* The first thread's heap: one system call less at every process start. */
static TA_BIG_BSS struct ta_heap first_heap __attribute__((aligned(TA_PAGE_SIZE)));

static void heap_thread_exit(void *arg)
{
	struct ta_heap *h = arg;

	if (!h)
		return;
	ta_heap_collect(h, true);
	if (ta_tls_heap == h) {
		ta_tls_heap = NULL;
		ta_tls_msub = NULL;
	}
	pthread_mutex_lock(&heaps_lock);
	if (h->state == TA_HEAP_USED) {
		h->state = TA_HEAP_FREE;
		h->tid = 0;
		ta_stat_sub(&ta_g.heaps_in_use, 1);
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

struct ta_heap *ta_heap_init_thread(void)
{
	struct ta_heap *h;

	if (!ta_ready())
		ta_init_slow();
	heap_tsd_create();
	pthread_mutex_lock(&heaps_lock);
	for (h = heaps; h; h = h->next)
		if (h->state == TA_HEAP_FREE)
			break;
	if (!h) {
		h = heaps ? ta_meta_alloc(HEAP_BYTES) : &first_heap;
		if (!h) {
			pthread_mutex_unlock(&heaps_lock);
			errno = ENOMEM;
			return NULL;
		}
		h->next = heaps;
		heaps = h;
		ta_stat_add(&ta_g.heaps, 1);
	}
	h->state = TA_HEAP_USED;
	h->tid = ta_gettid();
	ta_stat_add(&ta_g.heaps_in_use, 1);
	pthread_mutex_unlock(&heaps_lock);
	ta_tls_heap = h;
	ta_tls_msub = &h->sub[ta_thread_default_key()];
	if (atomic_load_explicit(&heap_tsd_state, memory_order_acquire) == 2)
		pthread_setspecific(heap_tsd, h);
	return h;
}

void ta_heaps_atfork_prepare(void)
{
	pthread_mutex_lock(&heaps_lock);
}

void ta_heaps_atfork_parent(void)
{
	pthread_mutex_unlock(&heaps_lock);
}

/*
 * In the child only the forking thread exists.  The other threads' heaps
 * may have been caught half-way through an update, so they are never used
 * again: their blocks stay valid and freeing them is harmless.
 */
void ta_heaps_atfork_child(void)
{
	struct ta_heap *h;

	pthread_mutex_init(&heaps_lock, NULL);
	for (h = heaps; h; h = h->next) {
		if (h->state == TA_HEAP_USED && h != ta_tls_heap) {
			h->state = TA_HEAP_DEAD;
			ta_stat_sub(&ta_g.heaps_in_use, 1);
		}
	}
	if (ta_tls_heap)
		ta_tls_heap->tid = ta_gettid();
}
