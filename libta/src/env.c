// SPDX-License-Identifier: MIT
/*
 * The environment: the TA_* variables of options.h's table, read with
 * lt_opt_get().  A bad value gets exactly one message on stderr naming the
 * variable, and the default stays; nothing here aborts.
 *
 * Caps, policy, throttle and node variables (LT_OPT_USER) apply to the
 * user backend; with the kernel backend they are the kernel's (set by the
 * administrator), and a set one gets a message saying it is ignored, or
 * the bad-value message if its value is bad: one line either way.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *get(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? s : NULL;
}

bool lt_opt_is_set(enum lt_opt id)
{
	return get(lt_options[id].name) != NULL;
}

int lt_opt_get(enum lt_opt id, uint64_t *out)
{
	const struct lt_option *o = &lt_options[id];
	const char *s = get(o->name);
	char expect[160];

	*out = o->def;
	if (!s)
		return 0;
	if (!lt_opt_parse(o, s, out))
		return 1;
	lt_opt_expect(o, expect, sizeof(expect));
	lt_msg("%s='%s': expected %s; keeping the default (%s)", o->name, s, expect, o->def_doc);
	return 0;
}

static void mark_shared(void)
{
	int nodes[TA_NR_TIERS];

	for (unsigned t = 0; t < TA_NR_TIERS; t++)
		nodes[t] = lt_g.tier[t].node;
	for (unsigned t = 0; t < TA_NR_TIERS; t++)
		lt_g.tier[t].info_flags = tapol_shared_flags(nodes, t, lt_g.tier[t].info_flags);
}

/* Policy, throttle and caps: the user backend's. */
static void parse_tiers(void)
{
	uint64_t v;

	if (lt_opt_get(LT_OPT_ON_HARDCAP, &v))
		for (unsigned t = 0; t < TA_NR_TIERS; t++)
			lt_g.tier[t].policy = (uint32_t)v;
	if (lt_opt_get(LT_OPT_THROTTLE, &v))
		for (unsigned t = 0; t < TA_NR_TIERS; t++)
			lt_g.tier[t].throttle_mode = (uint32_t)v;
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		struct lt_tier_conf *c = &lt_g.tier[t];
		enum lt_opt soft = lt_opt_tier(LT_OPT_FAST_SOFT, t);

		if (lt_opt_get(lt_opt_tier(LT_OPT_FAST_HARD, t), &v))
			c->hard_cap = v;
		if (lt_opt_get(soft, &v)) {
			if (c->hard_cap && v > c->hard_cap)
				lt_msg("%s=%s exceeds the hard cap (%llu bytes); keeping the "
				       "default",
				       lt_options[soft].name, getenv(lt_options[soft].name),
				       (unsigned long long)c->hard_cap);
			else
				c->soft_cap = v;
		}
		if (lt_opt_get(lt_opt_tier(LT_OPT_FAST_RATE, t), &v))
			c->rate = v;
		if (lt_opt_get(lt_opt_tier(LT_OPT_FAST_BURST, t), &v))
			c->burst = v;
	}
}

static void parse_nodes(void)
{
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		enum lt_opt id = lt_opt_tier(LT_OPT_NODE_FAST, t);
		uint64_t v;

		if (!lt_opt_get(id, &v))
			continue;
		if (!lt_node_has_memory((int)v)) {
			lt_msg("%s=%llu: node has no memory or does not exist; keeping node %d",
			       lt_options[id].name, (unsigned long long)v, lt_g.tier[t].node);
			continue;
		}
		lt_g.tier[t].node = (int)v;
		TAPOL_SET_OVERRIDE(&lt_g.tier[t]);
		lt_g.tier[t].rate = 0;
		lt_g.tier[t].burst = 0;
	}
	mark_shared();
}

/* Before the backend is chosen: switches.  Returns the TA_BACKEND choice (-1 auto). */
int lt_env_parse_early(void)
{
	uint64_t v;

	if (lt_opt_get(LT_OPT_DISABLE, &v))
		lt_g.disabled = v;
	if (lt_opt_get(LT_OPT_USE_LIBNUMA, &v) && !v)
		lt_g.use_numa = false;
	if (lt_opt_get(LT_OPT_HUGE, &v))
		lt_g.huge = v;
	lt_opt_get(LT_OPT_PURGE_DELAY_MS, &v);
	lt_g.purge_delay_ns = v * 1000000ull;
	lt_opt_get(LT_OPT_DEFAULT_HINT, &v);
	lt_g.default_hint = (ta_hint_t)v;
	lt_opt_get(LT_OPT_BACKEND, &v);
	return v == LT_BACKEND_AUTO ? -1 : (int)v;
}

/* After the backend is chosen: nodes and tier shaping (user backend). */
void lt_env_parse(void)
{
	if (lt_g.disabled)
		return;
	if (lt_g.backend == TA_BACKEND_USER) {
		parse_nodes();
		parse_tiers();
		return;
	}
	for (unsigned i = 0; i < LT_NR_OPTIONS; i++) {
		uint64_t v;

		/* A bad value gets lt_opt_get()'s message instead. */
		if ((lt_options[i].flags & LT_OPT_USER) && lt_opt_get(i, &v))
			lt_msg("%s=%s: ignored, the kernel backend's tiers (nodes, caps, policy, "
			       "throttle) are the kernel's",
			       lt_options[i].name, get(lt_options[i].name));
	}
}
