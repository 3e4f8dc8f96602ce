// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xthread: producer/consumer with cross-thread frees.  BENCH_THREADS/2
 * pairs (default 2 pairs); each producer allocates objects of 16..512
 * bytes in batches of 256, writes them and hands each batch (itself a
 * malloc'ed array) to its consumer through a bounded queue; the consumer
 * reads and frees the objects and the batch.  Every object is freed by a
 * thread other than the one that allocated it.
 */
#include <pthread.h>

#include "bench_alloc.h"

#define BATCH  256
#define QLEN   64
#define MIN_SZ 16
#define MAX_SZ 512

struct pair {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	void **q[QLEN];
	unsigned int head, tail, count;
	uint64_t batches;
	uint64_t seed;
	uint64_t check;
};

static void push(struct pair *p, void **b)
{
	pthread_mutex_lock(&p->lock);
	while (p->count == QLEN)
		pthread_cond_wait(&p->not_full, &p->lock);
	p->q[p->tail] = b;
	p->tail = (p->tail + 1) % QLEN;
	p->count++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->lock);
}

static void **pop(struct pair *p)
{
	void **b;

	pthread_mutex_lock(&p->lock);
	while (!p->count)
		pthread_cond_wait(&p->not_empty, &p->lock);
	b = p->q[p->head];
	p->head = (p->head + 1) % QLEN;
	p->count--;
	pthread_cond_signal(&p->not_full);
	pthread_mutex_unlock(&p->lock);
	return b;
}

static void *producer(void *arg)
{
	struct pair *p = arg;
	uint64_t rng = p->seed;

	for (uint64_t n = 0; n < p->batches; n++) {
		void **b = bench_malloc(BATCH * sizeof(*b));

		if (!b)
			bench_oom();
		for (int i = 0; i < BATCH; i++) {
			size_t sz = MIN_SZ + (size_t)(bench_rand(&rng) % (MAX_SZ - MIN_SZ + 1));
			unsigned char *o = bench_malloc(sz);

			if (!o)
				bench_oom();
			o[0] = (unsigned char)i;
			o[sz - 1] = (unsigned char)n;
			b[i] = o;
		}
		push(p, b);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct pair *p = arg;
	uint64_t check = 0;

	for (uint64_t n = 0; n < p->batches; n++) {
		void **b = pop(p);

		for (int i = 0; i < BATCH; i++) {
			check += ((unsigned char *)b[i])[0];
			bench_free(b[i]);
		}
		bench_free(b);
	}
	p->check = check;
	return NULL;
}

int main(void)
{
	int npairs = bench_threads(4) / 2;
	uint64_t batches = bench_scaled(2500, 10), check = 0;
	struct pair *pairs;
	pthread_t *th;
	double t0;

	if (npairs < 1)
		npairs = 1;
	pairs = bench_array((size_t)npairs * sizeof(*pairs));
	th = bench_array(2 * (size_t)npairs * sizeof(*th));
	bench_alloc_init();
	for (int i = 0; i < npairs; i++) {
		pthread_mutex_init(&pairs[i].lock, NULL);
		pthread_cond_init(&pairs[i].not_full, NULL);
		pthread_cond_init(&pairs[i].not_empty, NULL);
		pairs[i].batches = batches;
		pairs[i].seed = 1000 + (uint64_t)i;
	}
	t0 = bench_now();
	for (int i = 0; i < npairs; i++) {
		if (pthread_create(&th[2 * i], NULL, producer, &pairs[i]) ||
		    pthread_create(&th[2 * i + 1], NULL, consumer, &pairs[i])) {
			fprintf(stderr, "xthread: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < 2 * npairs; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < npairs; i++)
		check += pairs[i].check;
	bench_report("xthread", bench_now() - t0, (uint64_t)npairs * batches * BATCH, check);
	return 0;
}
