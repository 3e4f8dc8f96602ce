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
	if (!ta_ready())
		ta_init_slow();
	memset(out, 0, sizeof(*out));
	out->backend = (uint32_t)ta_g.backend;
	out->simulated = ta_g.backend == TA_BACKEND_USER && !ta_g.use_numa;
	out->disabled = ta_g.disabled;
	out->heaps = rd(&ta_g.heaps);
	out->heaps_in_use = rd(&ta_g.heaps_in_use);
	out->segments = rd(&ta_g.segments);
	out->large_cached = rd(&ta_g.large_cached);
	out->foreign_frees = rd(&ta_g.foreign_frees);
	struct ta_tier_conf conf[TA_NR_TIERS];

	memcpy(conf, ta_g.tier, sizeof(conf));
	if (ta_g.backend == TA_BACKEND_KERNEL) {
		ta_kernel_read_tiers(conf); /* caps may have changed since */
		out->kernel_valid = ta_kernel_stats(&out->kernel) == 0;
	}
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_tier_conf *c = &conf[t];
		struct ta_tier_counters *n = &ta_g.cnt[t];
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
