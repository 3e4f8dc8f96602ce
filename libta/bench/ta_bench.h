/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The allocator workloads of tools/bench/alloc/ through libta's own API
 * (see tools/bench/alloc/bench_alloc.h): every block is WARM, the hint a
 * program without tiering needs would give.
 */
#ifndef TA_BENCH_H
#define TA_BENCH_H

#include <tieralloc.h>

#define bench_malloc(n)	    ta_alloc((n), TA_HINT_WARM)
#define bench_free(p)	    ta_free(p)
#define bench_realloc(p, n) ta_realloc((p), (n))
#define bench_alloc_init()  ((void)ta_init())

#endif
