// SPDX-License-Identifier: MIT
/*
 * ta_stats_json(): ta_get_stats() as a JSON document built with json-c.
 * json-c allocates with malloc; no libta lock is held while it runs, so this
 * is safe even when libta is the process's malloc.
 */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

static const char *const tier_names[TA_NR_TIERS] = TA_TIER_NAMES;
static const char *const policy_names[TA_NR_POLICIES] = TA_POLICY_NAMES;

static void put_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static json_object *tier_json(const struct ta_lib_tier_stats *t)
{
	json_object *o = json_object_new_object();
	const char *policy = t->policy < TA_NR_POLICIES ? policy_names[t->policy] : "unknown";

	json_object_object_add(o, "node", json_object_new_int(t->node));
	json_object_object_add(o, "policy", json_object_new_string(policy));
	put_u64(o, "soft_cap", t->soft_cap);
	put_u64(o, "hard_cap", t->hard_cap);
#define PUT(f) put_u64(o, #f, t->f);
	TA_LIB_TIER_COUNTERS(PUT)
#undef PUT
	return o;
}

static json_object *kernel_json(const struct ta_stats *k)
{
	static const char *const stat_names[TA_NR_TIER_STATS] = TA_TIER_STAT_NAMES;
	json_object *o = json_object_new_object(), *tiers = json_object_new_object();

	put_u64(o, "live_regions", k->live_regions);
	put_u64(o, "open_files", k->open_files);
	for (unsigned i = 0; i < TA_NR_TIERS; i++) {
		const struct ta_tier_stats *s = &k->tier[i];
		json_object *t = json_object_new_object();

		for (unsigned f = 0; f < TA_NR_TIER_STATS; f++)
			put_u64(t, stat_names[f], ((const __u64 *)s)[f]);
		json_object_object_add(tiers, tier_names[i], t);
	}
	json_object_object_add(o, "tiers", tiers);
	return o;
}

/*
 * Who moves TA_HINT_AUTO blocks: "module" (TA_REGION_AUTO regions),
 * "prefer_fast" (a module without TA_FEAT_AUTO: placed as PREFER_FAST and
 * left there), "kernel" (the user backend: the default NUMA policy, for the
 * kernel's own tiering), "none" (simulated or disabled: nothing does).
 */
static const char *auto_mode(const struct ta_lib_stats *st)
{
	if (st->disabled)
		return "none";
	if (st->backend == TA_BACKEND_KERNEL)
		return lt_g.kfeatures & TA_FEAT_AUTO ? "module" : "prefer_fast";
	return st->simulated ? "none" : "kernel";
}

TA_EXPORT int ta_stats_json(char *buf, size_t n)
{
	struct ta_lib_stats st;
	json_object *root, *tiers;
	const char *s;
	size_t len;

	if (!buf && n) {
		errno = EINVAL;
		return -1;
	}
	if (ta_get_stats(&st))
		return -1;
	root = json_object_new_object();
	if (!root) {
		errno = ENOMEM;
		return -1;
	}
	json_object_object_add(
		root, "backend",
		json_object_new_string(st.backend == TA_BACKEND_KERNEL ? "kernel" : "user"));
	json_object_object_add(root, "simulated", json_object_new_boolean(st.simulated));
	json_object_object_add(root, "disabled", json_object_new_boolean(st.disabled));
	put_u64(root, "heaps", st.heaps);
	put_u64(root, "heaps_in_use", st.heaps_in_use);
	put_u64(root, "segments", st.segments);
	put_u64(root, "large_cached", st.large_cached);
	put_u64(root, "foreign_frees", st.foreign_frees);
	json_object_object_add(root, "auto", json_object_new_string(auto_mode(&st)));
	tiers = json_object_new_object();
	for (unsigned t = 0; t < TA_NR_TIERS; t++)
		json_object_object_add(tiers, tier_names[t], tier_json(&st.tier[t]));
	json_object_object_add(root, "tiers", tiers);
	if (st.kernel_valid)
		json_object_object_add(root, "kernel", kernel_json(&st.kernel));
	s = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN, &len);
	if (!s) {
		json_object_put(root);
		errno = ENOMEM;
		return -1;
	}
	if (n) {
		size_t c = len < n - 1 ? len : n - 1;

		memcpy(buf, s, c);
		buf[c] = '\0';
	}
	json_object_put(root);
	return len > INT32_MAX ? -1 : (int)len;
}
