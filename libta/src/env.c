// SPDX-License-Identifier: MIT
/*
 * Environment settings.  A bad value gets exactly one message on stderr
 * naming the variable, and the default stays; nothing here aborts.
 *
 *   TA_DISABLE=0|1             plain allocator: no placement, caps or throttle
 *   TA_BACKEND=auto|kernel|user
 *   TA_USE_LIBNUMA=0|1         0: user backend tiers are labels only
 *   TA_HUGE=0|1                huge pages for large blocks (>= 2 MiB)
 *   TA_PURGE_DELAY_MS=<ms>     freed pages stay resident this long (0..10000)
 *   TA_DEFAULT_HINT=hot|warm|cold|pin_fast|prefer_fast
 *   TA_ON_HARDCAP=fail|route_slow
 *   TA_THROTTLE=account|enforce
 *   TA_NODE_{FAST,NORMAL,SLOW}=<node>
 *   TA_{FAST,NORMAL,SLOW}_{SOFT,HARD,RATE,BURST}=<size>[K|M|G|T]   (RATE: bytes/s)
 *
 * Caps, policy and throttle variables apply to the user backend; with the
 * kernel backend they are the kernel's (set by the administrator).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* The tiers' names in upper case, as in TA_FAST_SOFT. */
static const char *const tier_env[TA_NR_TIERS] = { "FAST", "NORMAL", "SLOW" };

static int parse_bool(const char *name, const char *s, bool *out)
{
	if (!lt_parse_bool(s, out))
		return 0;
	lt_msg("%s='%s': expected 0 or 1; keeping the default", name, s);
	return -1;
}

/* A decimal number up to @max: 0 and *out, or -1 after one message. */
static int parse_uint(const char *name, const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s[strspn(s, "0123456789")] != '\0' || lt_parse_size(s, &v) || v > max) {
		lt_msg("%s='%s': expected a number from 0 to %llu; keeping the default", name, s,
		       (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Index of @s in @words, or -1 after one message. */
static int parse_word(const char *name, const char *s, const char *const *words, int n,
		      const char *expect)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(s, words[i]))
			return i;
	lt_msg("%s='%s': expected %s; keeping the default", name, s, expect);
	return -1;
}

static const char *get(const char *name)
{
	const char *s = getenv(name);

	return s && *s ? s : NULL;
}

static void env_name(char *out, const char *a, const char *b, const char *c)
{
	out[0] = '\0';
	strcat(out, a);
	strcat(out, b);
	strcat(out, c);
}

static void mark_shared(void)
{
	for (unsigned i = 0; i < TA_NR_TIERS; i++) {
		lt_g.tier[i].info_flags &= ~TA_TIER_INFO_SHARED;
		for (unsigned j = 0; j < TA_NR_TIERS; j++)
			if (i != j && lt_g.tier[i].node == lt_g.tier[j].node)
				lt_g.tier[i].info_flags |= TA_TIER_INFO_SHARED;
	}
}

/* Tier-shaping variables; only meaningful for the user backend. */
static void parse_tiers(bool kernel)
{
	static const char *const pol[TA_NR_POLICIES] = TA_POLICY_NAMES;
	static const char *const thr[TA_NR_THROTTLE_MODES] = TA_THROTTLE_MODE_NAMES;
	const char *s;
	char name[32];
	int i;

	if ((s = get("TA_ON_HARDCAP"))) {
		if (kernel)
			lt_msg("TA_ON_HARDCAP: ignored, the kernel backend's policy is the "
			       "kernel's");
		else if ((i = parse_word("TA_ON_HARDCAP", s, pol, TA_NR_POLICIES,
					 "fail or route_slow")) >= 0)
			for (unsigned t = 0; t < TA_NR_TIERS; t++)
				lt_g.tier[t].policy = (uint32_t)i;
	}
	if ((s = get("TA_THROTTLE"))) {
		if (kernel)
			lt_msg("TA_THROTTLE: ignored, the kernel backend's throttle is the "
			       "kernel's");
		else if ((i = parse_word("TA_THROTTLE", s, thr, TA_NR_THROTTLE_MODES,
					 "account or enforce")) >= 0)
			for (unsigned t = 0; t < TA_NR_TIERS; t++)
				lt_g.tier[t].throttle_mode = (uint32_t)i;
	}
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		static const char *const what[] = { "_SOFT", "_HARD", "_RATE", "_BURST" };
		uint64_t v[4];
		bool set[4] = { false };

		for (unsigned w = 0; w < 4; w++) {
			env_name(name, "TA_", tier_env[t], what[w]);
			if (!(s = get(name)))
				continue;
			if (kernel) {
				lt_msg("%s: ignored, the kernel backend's caps and throttle are "
				       "the kernel's",
				       name);
				continue;
			}
			if (lt_parse_size(s, &v[w])) {
				lt_msg("%s='%s': expected a size (digits with an optional K, M, G "
				       "or T suffix); keeping the default",
				       name, s);
				continue;
			}
			if (w == 2 && v[w] && v[w] < TAPOL_MIN_RATE) {
				lt_msg("%s='%s': a rate below 4K bytes/s is not supported; keeping "
				       "the default",
				       name, s);
				continue;
			}
			set[w] = true;
		}
		if (set[1])
			lt_g.tier[t].hard_cap = v[1];
		if (set[0]) {
			uint64_t hard = lt_g.tier[t].hard_cap;

			if (hard && v[0] > hard) {
				env_name(name, "TA_", tier_env[t], "_SOFT");
				lt_msg("%s=%s exceeds the hard cap (%llu bytes); keeping the "
				       "default",
				       name, getenv(name), (unsigned long long)hard);
			} else {
				lt_g.tier[t].soft_cap = v[0];
			}
		}
		if (set[2])
			lt_g.tier[t].rate = v[2];
		if (set[3])
			lt_g.tier[t].burst = v[3];
	}
}

static void parse_nodes(void)
{
	for (unsigned t = 0; t < TA_NR_TIERS; t++) {
		char name[32];
		const char *s;
		char *end;
		long v;

		env_name(name, "TA_NODE_", tier_env[t], "");
		if (!(s = get(name)))
			continue;
		v = strtol(s, &end, 10);
		if (*end || v < 0 || v > 1023) {
			lt_msg("%s='%s': expected a NUMA node number; keeping node %d", name, s,
			       lt_g.tier[t].node);
			continue;
		}
		if (!lt_node_has_memory((int)v)) {
			lt_msg("%s=%ld: node has no memory or does not exist; keeping node %d",
			       name, v, lt_g.tier[t].node);
			continue;
		}
		lt_g.tier[t].node = (int)v;
		lt_g.tier[t].info_flags = TA_TIER_INFO_OVERRIDE;
		lt_g.tier[t].read_latency_ns = 0;
		lt_g.tier[t].read_bandwidth_mbps = 0;
		lt_g.tier[t].rate = 0;
		lt_g.tier[t].burst = 0;
	}
	mark_shared();
}

/* Before the backend is chosen: switches.  Returns the TA_BACKEND choice (-1 auto). */
int lt_env_parse_early(void)
{
	static const char *const be[] = { "user", "kernel", "auto" };
	static const char *const hints[TA_NR_HINTS] = TA_HINT_NAMES;
	const char *s;
	uint64_t v;
	bool b;
	int i, backend = -1;

	if ((s = get("TA_DISABLE")) && !parse_bool("TA_DISABLE", s, &b))
		lt_g.disabled = b;
	if ((s = get("TA_USE_LIBNUMA")) && !parse_bool("TA_USE_LIBNUMA", s, &b) && !b)
		lt_g.use_numa = false;
	if ((s = get("TA_HUGE")) && !parse_bool("TA_HUGE", s, &b))
		lt_g.huge = b;
	if ((s = get("TA_PURGE_DELAY_MS")) && !parse_uint("TA_PURGE_DELAY_MS", s, 10000, &v))
		lt_g.purge_delay_ns = v * 1000000ull;
	if ((s = get("TA_DEFAULT_HINT")) &&
	    (i = parse_word("TA_DEFAULT_HINT", s, hints, TA_NR_HINTS,
			    "hot, warm, cold, pin_fast or prefer_fast")) >= 0)
		lt_g.default_hint = (ta_hint_t)i;
	if ((s = get("TA_BACKEND")) &&
	    (i = parse_word("TA_BACKEND", s, be, 3, "auto, kernel or user")) >= 0)
		backend = i == 2 ? -1 : i;
	return backend;
}

/* After the backend is chosen: nodes (user backend) and tier shaping. */
void lt_env_parse(void)
{
	if (lt_g.disabled)
		return;
	if (lt_g.backend == TA_BACKEND_USER)
		parse_nodes();
	else if (get("TA_NODE_FAST") || get("TA_NODE_NORMAL") || get("TA_NODE_SLOW"))
		lt_msg("TA_NODE_*: ignored, the kernel backend's tier nodes are the kernel's");
	parse_tiers(lt_g.backend == TA_BACKEND_KERNEL);
}
