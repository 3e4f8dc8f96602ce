// SPDX-License-Identifier: MIT
/* ta_get_stats(): this process's counters, and the kernel's when it is the backend. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static uint64_t rd(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

TA_EXPORT int ta_get_stats(struct ta_lib_stats *out)
{
	if (!out) {
		errno = EINVAL;
		return -1;
	}
	if (!lt_ready())
		lt_init_slow();
	memset(out, 0, sizeof(*out));
	out->backend = (uint32_t)lt_g.backend;
	out->simulated = lt_g.backend == TA_BACKEND_USER && !lt_g.use_numa;
	out->disabled = lt_g.disabled;
	out->heaps = rd(&lt_g.heaps);
	out->heaps_in_use = rd(&lt_g.heaps_in_use);
	out->segments = rd(&lt_g.segments);
	out->large_cached = rd(&lt_g.large_cached);
	out->foreign_frees = rd(&lt_g.foreign_frees);
	struct lt_tier_conf conf[TA_NR_TIERS];

	memcpy(conf, lt_g.tier, sizeof(conf));
	if (lt_g.backend == TA_BACKEND_KERNEL) {
		lt_kernel_read_tiers(conf); /* caps may have changed since */
		out->kernel_valid = lt_kernel_stats(&out->kernel) == 0;
	}
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		const struct lt_tier_conf *c = &conf[t];
		struct lt_tier_counters *n = &lt_g.cnt[t];
		struct ta_lib_tier_stats *o = &out->tier[t];

		o->node = out->simulated ? -1 : c->node;
		o->policy = c->policy;
		o->soft_cap = c->soft_cap;
		o->hard_cap = c->hard_cap;
#define COPY(f) o->f = rd(&n->f);
		TA_LIB_TIER_COUNTERS(COPY)
#undef COPY
	}
	return 0;
}
