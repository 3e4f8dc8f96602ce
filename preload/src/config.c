// SPDX-License-Identifier: MIT
/*
 * Initialisation and the preload's own environment variables (libta reads
 * its own: TA_DISABLE, TA_BACKEND, TA_DEFAULT_HINT, caps, nodes, ...).
 *
 *   TA_INTERPOSE=0|1          1 (default): malloc & co. are tiered (default
 *                             hint, size rule); 0: every block is warm
 *   TA_LARGE_HINT=hot|warm|cold|pin_fast|prefer_fast
 *                             hint of blocks of TA_LARGE_MIN bytes or more
 *   TA_LARGE_MIN=<size>[K|M|G] threshold of TA_LARGE_HINT (default 1M)
 *   TA_STATS_SHM=0|1          publish statistics in /dev/shm (default 1)
 *   TA_STATS_INTERVAL_MS=<ms> at most one refresh per interval (default 200)
 *
 * A bad value gets exactly one line on stderr naming the variable, and the
 * default stays.  Runs at the first allocation (or in the constructor,
 * whichever comes first), without allocating memory.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"
#include "../../libta/src/parse.h"

TA_HIDDEN struct pl_config pl = {
	.fast_max = 0,
	.tiered = true,
	.large_hint = -1,
	.large_min = TA_LARGE_MIN,
	.stats = true,
	.interval_ms = 200,
};

TA_HIDDEN _Atomic int pl_state;
static TA_TLS bool initialising; /* this thread runs init_once() */

static const char *get(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? s : NULL;
}

static void parse_bool(const char *name, bool *out)
{
	const char *s = get(name);

	if (s && lt_parse_bool(s, out))
		lt_msg("%s='%s': expected 0 or 1; keeping the default (%d)", name, s, *out);
}

static void parse_env(void)
{
	static const char *const hints[TA_NR_HINTS] = TA_HINT_NAMES;
	bool interpose = true;
	const char *s;
	uint64_t v;

	parse_bool("TA_INTERPOSE", &interpose);
	pl.tiered = interpose && !pl.disabled;
	if ((s = get("TA_LARGE_HINT"))) {
		int h = 0;

		while (h < TA_NR_HINTS && strcasecmp(s, hints[h]))
			h++;
		if (h < TA_NR_HINTS)
			pl.large_hint = h;
		else
			lt_msg("TA_LARGE_HINT='%s': expected hot, warm, cold, pin_fast or "
			       "prefer_fast; keeping the default (none)",
			       s);
	}
	if ((s = get("TA_LARGE_MIN"))) {
		if (lt_parse_size(s, &v) || v == 0 || v > PTRDIFF_MAX)
			lt_msg("TA_LARGE_MIN='%s': expected a size of at least 1 byte (digits with "
			       "an optional K, M or G suffix); keeping the default (1M)",
			       s);
		else
			pl.large_min = (size_t)v;
	}
	parse_bool("TA_STATS_SHM", &pl.stats);
	if ((s = get("TA_STATS_INTERVAL_MS"))) {
		if (lt_parse_size(s, &v) || v == 0 || v > 3600000)
			lt_msg("TA_STATS_INTERVAL_MS='%s': expected milliseconds between 1 and "
			       "3600000; keeping the default (%u)",
			       s, pl.interval_ms);
		else
			pl.interval_ms = (uint32_t)v;
	}
	if (pl.disabled)
		pl.stats = false;
}

static void init_once(void)
{
	int e = errno;
	size_t fast = PL_REGION_MIN;

	pl.disabled = ta_init() != 0;
	parse_env();
	pl_foreign_init();
	if (pl.tiered && pl.large_hint >= 0 && pl.large_min < fast)
		fast = pl.large_min;
	/* Untiered but enabled: every block is warm, which the fast path cannot say. */
	if (!pl.tiered && !pl.disabled)
		fast = 0;
	pl.fast_max = fast;
	errno = e;
}

void pl_init(void)
{
	int expect = 0;

	if (atomic_compare_exchange_strong(&pl_state, &expect, 1)) {
		initialising = true;
		init_once();
		atomic_store_explicit(&pl_state, 2, memory_order_release);
		initialising = false;
		return;
	}
	/* Re-entered while initialising: go on with the defaults. */
	if (initialising)
		return;
	while (atomic_load_explicit(&pl_state, memory_order_acquire) != 2)
		sched_yield();
}

__attribute__((constructor(101))) static void pl_constructor(void)
{
	if (!pl_ready())
		pl_init();
	pl_publish_init();
}

__attribute__((destructor(101))) static void pl_destructor(void)
{
	pl_publish_exit();
}
