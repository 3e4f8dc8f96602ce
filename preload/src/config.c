// SPDX-License-Identifier: MIT
/*
 * Initialisation and the preload's own environment variables, the rows of
 * libta/src/options.h read by LT_OPT_PRELOAD (libta reads its own:
 * TA_DISABLE, TA_BACKEND, TA_DEFAULT_HINT, caps, nodes, ...):
 * TA_INTERPOSE, TA_LARGE_HINT, TA_LARGE_MIN, TA_STATS_SHM and
 * TA_STATS_INTERVAL_MS.
 *
 * A bad value gets exactly one line on stderr naming the variable, and the
 * default stays.  Runs at the first allocation (or in the constructor,
 * whichever comes first), without allocating memory.
 */
#include <errno.h>

#include "preload.h"
#include "../../libta/src/options.h"

TA_HIDDEN struct pl_config pl = {
	.fast_max = 0,
	.tiered = true,
	.large_hint = -1,
	.large_min = TA_LARGE_MIN,
	.stats = true,
	.interval_ms = LT_STATS_INTERVAL_MS_DEFAULT,
};

TA_HIDDEN struct lt_once pl_once;
static TA_TLS bool initialising; /* this thread runs init_once() */

static void parse_env(void)
{
	uint64_t v;

	lt_opt_get(LT_OPT_INTERPOSE, &v);
	pl.tiered = v && !pl.disabled;
	if (lt_opt_get(LT_OPT_LARGE_HINT, &v))
		pl.large_hint = (int)v;
	lt_opt_get(LT_OPT_LARGE_MIN, &v);
	pl.large_min = (size_t)v;
	lt_opt_get(LT_OPT_STATS_SHM, &v);
	pl.stats = v && !pl.disabled;
	lt_opt_get(LT_OPT_STATS_INTERVAL_MS, &v);
	pl.interval_ms = (uint32_t)v;
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
	lt_once_run(&pl_once, &initialising, init_once);
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
