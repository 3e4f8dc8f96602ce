/* SPDX-License-Identifier: MIT */
/*
 * Run-once initialisation, for libta's and the preload's: safe to reach
 * from any entry point, including re-entrantly during early process start
 * (ld.so, a constructor, malloc called by the initialisation itself).
 *
 * One thread runs the function while the others wait for it (yielding:
 * no lock that a fork or a signal could leave held); a call made by the
 * initialising thread from inside the function returns at once, to go on
 * with what is set up so far (the defaults).  No memory is allocated.
 */
#ifndef TA_ONCE_H
#define TA_ONCE_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "compiler.h"

enum { LT_ONCE_NONE = 0, LT_ONCE_RUNNING = 1, LT_ONCE_DONE = 2 };

struct lt_once {
	_Atomic int state; /* LT_ONCE_* */
};

/* The fast test: @fn has run (and what it wrote is visible). */
static inline bool lt_once_done(struct lt_once *o)
{
	return likely(atomic_load_explicit(&o->state, memory_order_acquire) == LT_ONCE_DONE);
}

/*
 * Run @fn unless it ran or runs.  *@running is the caller's thread-local
 * flag for this @o (set while this thread runs @fn).
 */
static inline void lt_once_run(struct lt_once *o, bool *running, void (*fn)(void))
{
	int expect = LT_ONCE_NONE;

	if (atomic_compare_exchange_strong(&o->state, &expect, LT_ONCE_RUNNING)) {
		*running = true;
		fn();
		atomic_store_explicit(&o->state, LT_ONCE_DONE, memory_order_release);
		*running = false;
		return;
	}
	/* Re-entered by the initialising thread: go on with the defaults. */
	if (*running)
		return;
	while (atomic_load_explicit(&o->state, memory_order_acquire) != LT_ONCE_DONE)
		sched_yield();
}

#endif /* TA_ONCE_H */
