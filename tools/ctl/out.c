// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl: table and JSON output.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"

#define TBL_MAX_ROWS 40
#define TBL_MAX_COLS 16
#define TBL_CELL     32

/* The stats table: a header row and one row per field. */
_Static_assert(TA_NR_TIER_STATS + 1 <= TBL_MAX_ROWS, "TBL_MAX_ROWS is too small for the stats");

struct table {
	int rows, cols;
	bool left[TBL_MAX_COLS]; /* left-aligned column */
	char cell[TBL_MAX_ROWS][TBL_MAX_COLS][TBL_CELL];
};

static void tbl_set(struct table *t, int r, int c, const char *s)
{
	snprintf(t->cell[r][c], TBL_CELL, "%s", s);
	if (r >= t->rows)
		t->rows = r + 1;
	if (c >= t->cols)
		t->cols = c + 1;
}

static void tbl_print(FILE *f, const struct table *t)
{
	size_t w[TBL_MAX_COLS] = { 0 };

	for (int r = 0; r < t->rows; r++)
		for (int c = 0; c < t->cols; c++)
			if (strlen(t->cell[r][c]) > w[c])
				w[c] = strlen(t->cell[r][c]);
	for (int r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->cols; c++) {
			const char *sep = c ? "  " : "";

			if (c == t->cols - 1 && t->left[c])
				fprintf(f, "%s%s", sep, t->cell[r][c]);
			else
				fprintf(f, t->left[c] ? "%s%-*s" : "%s%*s", sep, (int)w[c],
					t->cell[r][c]);
		}
		fputc('\n', f);
	}
}

static const char *cap_str(uint64_t v, char *buf, size_t len)
{
	return v ? ctl_fmt_size(v, buf, len) : "none";
}

void ctl_print_tiers(FILE *f, const struct ta_tier_config *cfg, const struct ta_stats *st)
{
	static const char *const head[] = {
		"TIER",	  "NODE",     "LAT_NS",	  "BW_MB/s",  "CAPACITY",
		"FREE",	  "SOFT_CAP", "HARD_CAP", "POLICY",   "THROTTLE",
		"RATE/s", "BURST",    "RESERVED", "RESIDENT", "INFO",
	};
	struct table *t = calloc(1, sizeof(*t));
	char b[TBL_CELL];

	if (!t)
		return;
	for (int c = 0; c < (int)(sizeof(head) / sizeof(head[0])); c++)
		tbl_set(t, 0, c, head[c]);
	t->left[0] = t->left[8] = t->left[9] = t->left[14] = true;
	for (int i = 0; i < TA_NR_TIERS; i++) {
		const struct ta_tier_config *c = &cfg[i];
		int r = i + 1;

		tbl_set(t, r, 0, ctl_tier_name(c->tier));
		if (c->node < 0)
			tbl_set(t, r, 1, "-");
		else {
			snprintf(b, sizeof(b), "%d", c->node);
			tbl_set(t, r, 1, b);
		}
		snprintf(b, sizeof(b), "%u", c->read_latency_ns);
		tbl_set(t, r, 2, c->read_latency_ns ? b : "-");
		snprintf(b, sizeof(b), "%u", c->read_bandwidth_mbps);
		tbl_set(t, r, 3, c->read_bandwidth_mbps ? b : "-");
		tbl_set(t, r, 4, ctl_fmt_size(c->node_capacity, b, sizeof(b)));
		tbl_set(t, r, 5, ctl_fmt_size(c->node_free, b, sizeof(b)));
		tbl_set(t, r, 6, cap_str(c->soft_cap, b, sizeof(b)));
		tbl_set(t, r, 7, cap_str(c->hard_cap, b, sizeof(b)));
		tbl_set(t, r, 8, ctl_policy_name(c->policy));
		tbl_set(t, r, 9, ctl_mode_name(c->throttle_mode));
		tbl_set(t, r, 10, cap_str(c->rate, b, sizeof(b)));
		tbl_set(t, r, 11, ctl_fmt_size(c->burst, b, sizeof(b)));
		tbl_set(t, r, 12, ctl_fmt_size(st->tier[i].reserved_bytes, b, sizeof(b)));
		tbl_set(t, r, 13, ctl_fmt_size(st->tier[i].resident_bytes, b, sizeof(b)));
		tbl_set(t, r, 14, ctl_fmt_info(c->info_flags, b, sizeof(b)));
	}
	tbl_print(f, t);
	free(t);
}

static void totals(const struct ta_stats *st, struct ta_tier_stats *tot)
{
	memset(tot, 0, sizeof(*tot));
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		uint64_t sum = 0;

		for (int t = 0; t < TA_NR_TIERS; t++)
			sum += ctl_stat(&st->tier[t], i);
		ctl_stat_set(tot, i, sum);
	}
}

static const char *fmt_value(uint64_t v, enum ctl_kind kind, bool raw, char *buf, size_t len)
{
	if (raw || kind == CTL_COUNT || v == 0)
		snprintf(buf, len, "%" PRIu64, v);
	else if (kind == CTL_BYTES)
		ctl_fmt_size(v, buf, len);
	else
		ctl_fmt_ns(v, buf, len);
	return buf;
}

void ctl_print_stats(FILE *f, const struct ta_stats *st, bool raw)
{
	struct table *t = calloc(1, sizeof(*t));
	struct ta_tier_stats tot;
	char b[TBL_CELL];

	if (!t)
		return;
	totals(st, &tot);
	fprintf(f, "live regions: %" PRIu64 "  open files: %" PRIu64 "\n",
		(uint64_t)st->live_regions, (uint64_t)st->open_files);
	tbl_set(t, 0, 0, "FIELD");
	for (int i = 0; i < TA_NR_TIERS; i++)
		tbl_set(t, 0, i + 1, ctl_tier_name((unsigned int)i));
	tbl_set(t, 0, TA_NR_TIERS + 1, "total");
	t->left[0] = true;
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		int r = (int)i + 1;
		enum ctl_kind k = ctl_stat_kind(i);

		tbl_set(t, r, 0, ctl_stat_names[i]);
		for (int c = 0; c < TA_NR_TIERS; c++)
			tbl_set(t, r, c + 1,
				fmt_value(ctl_stat(&st->tier[c], i), k, raw, b, sizeof(b)));
		tbl_set(t, r, TA_NR_TIERS + 1, fmt_value(ctl_stat(&tot, i), k, raw, b, sizeof(b)));
	}
	tbl_print(f, t);
	free(t);
}

static json_object *tier_json(const struct ta_tier_stats *s)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++)
		json_object_object_add(o, ctl_stat_names[i],
				       json_object_new_uint64(ctl_stat(s, i)));
	return o;
}

/* The text of @root (pretty when @pretty), for the caller to free; @root is put. */
static char *json_text(json_object *root, bool pretty)
{
	char *out = strdup(json_object_to_json_string_ext(
		root, (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			      : JSON_C_TO_STRING_PLAIN) |
			      JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(root);
	return out;
}

char *ctl_stats_json(const struct ta_stats *st, bool pretty)
{
	json_object *root = json_object_new_object(), *tiers;
	struct ta_tier_stats tot;

	if (!root)
		return NULL;
	totals(st, &tot);
	json_object_object_add(root, "live_regions", json_object_new_uint64(st->live_regions));
	json_object_object_add(root, "open_files", json_object_new_uint64(st->open_files));
	tiers = json_object_new_object();
	for (unsigned int t = 0; t < TA_NR_TIERS; t++)
		json_object_object_add(tiers, ctl_tier_name(t), tier_json(&st->tier[t]));
	json_object_object_add(root, "tiers", tiers);
	json_object_object_add(root, "totals", tier_json(&tot));
	return json_text(root, pretty);
}

/*
 * tiers --json: one object per tier, keyed like the sysfs directories
 * (/sys/class/misc/tieralloc/TIER/ATTR -> .TIER.ATTR), with the sysfs
 * files' names and values: numbers as numbers, policy and throttle_mode
 * as the words sysfs prints.
 */
char *ctl_tiers_json(const struct ta_tier_config *cfg, const struct ta_stats *st, bool pretty)
{
	json_object *root = json_object_new_object();

	if (!root)
		return NULL;
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_tier_config *c = &cfg[t];
		json_object *o = json_object_new_object();

		if (!o)
			break;
		json_object_object_add(o, "node", json_object_new_int(c->node));
		json_object_object_add(o, "soft_cap", json_object_new_uint64(c->soft_cap));
		json_object_object_add(o, "hard_cap", json_object_new_uint64(c->hard_cap));
		json_object_object_add(o, "policy",
				       json_object_new_string(ctl_policy_name(c->policy)));
		json_object_object_add(o, "throttle_mode",
				       json_object_new_string(ctl_mode_name(c->throttle_mode)));
		json_object_object_add(o, "rate", json_object_new_uint64(c->rate));
		json_object_object_add(o, "burst", json_object_new_uint64(c->burst));
		json_object_object_add(o, "read_latency_ns",
				       json_object_new_uint64(c->read_latency_ns));
		json_object_object_add(o, "read_bandwidth_mbps",
				       json_object_new_uint64(c->read_bandwidth_mbps));
		json_object_object_add(o, "node_capacity",
				       json_object_new_uint64(c->node_capacity));
		json_object_object_add(o, "node_free", json_object_new_uint64(c->node_free));
		json_object_object_add(o, "info_flags", json_object_new_uint64(c->info_flags));
		json_object_object_add(o, "reserved_bytes",
				       json_object_new_uint64(st->tier[t].reserved_bytes));
		json_object_object_add(o, "resident_bytes",
				       json_object_new_uint64(st->tier[t].resident_bytes));
		json_object_object_add(root, ctl_tier_name(t), o);
	}
	return json_text(root, pretty);
}

/*
 * One metric family with a tier and a node label per tier; values exact
 * (nanoseconds printed as seconds with nine decimals).
 */
static void prom_family(FILE *f, const char *name, const char *type, const char *help,
			const struct ta_tier_config *cfg, const uint64_t *v, bool ns)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		fprintf(f, "%s{tier=\"%s\",node=\"%d\"} ", name, ctl_tier_name(t), cfg[t].node);
		if (ns)
			fprintf(f, "%" PRIu64 ".%09" PRIu64 "\n", v[t] / 1000000000,
				v[t] % 1000000000);
		else
			fprintf(f, "%" PRIu64 "\n", v[t]);
	}
}

/*
 * stats --prometheus: the text exposition format (for node_exporter's
 * textfile collector).  Every field of struct ta_tier_stats is a family
 * tieralloc_FIELD with tier and node labels: the *_bytes fields and
 * regions are gauges (see <linux/tieralloc.h>), the others counters named
 * ..._total; nanoseconds become seconds (_ns -> _seconds).  The tiers'
 * caps, rates and node sizes are gauges as well.
 */
void ctl_print_prometheus(FILE *f, const struct ta_tier_config *cfg, const struct ta_stats *st)
{
	/* clang-format off */
	static const struct {
		const char *name, *help;
		size_t off;
	} conf[] = {
		{ "soft_cap_bytes", "Soft cap of the tier (0: none).",
		  offsetof(struct ta_tier_config, soft_cap) },
		{ "hard_cap_bytes", "Hard cap of the tier (0: none).",
		  offsetof(struct ta_tier_config, hard_cap) },
		{ "throttle_rate_bytes_per_second", "Token bucket refill rate (0: no throttle).",
		  offsetof(struct ta_tier_config, rate) },
		{ "throttle_burst_bytes", "Token bucket depth.",
		  offsetof(struct ta_tier_config, burst) },
		{ "node_capacity_bytes", "Memory of the tier's NUMA node.",
		  offsetof(struct ta_tier_config, node_capacity) },
		{ "node_free_bytes", "Free memory of the tier's NUMA node.",
		  offsetof(struct ta_tier_config, node_free) },
	};
	/* clang-format on */
	uint64_t v[TA_NR_TIERS];
	char name[128], help[256];

	fprintf(f,
		"# HELP tieralloc_live_regions Live regions, all tiers.\n"
		"# TYPE tieralloc_live_regions gauge\n"
		"tieralloc_live_regions %" PRIu64 "\n",
		(uint64_t)st->live_regions);
	fprintf(f,
		"# HELP tieralloc_open_files Open /dev/tieralloc files.\n"
		"# TYPE tieralloc_open_files gauge\n"
		"tieralloc_open_files %" PRIu64 "\n",
		(uint64_t)st->open_files);
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		const char *fn = ctl_stat_names[i];
		size_t len = strlen(fn);
		bool ns = ctl_stat_kind(i) == CTL_NS;
		bool gauge = (len > 6 && !strcmp(fn + len - 6, "_bytes")) || !strcmp(fn, "regions");

		if (ns)
			len -= 3; /* "_ns" */
		snprintf(name, sizeof(name), "tieralloc_%.*s%s%s", (int)len, fn,
			 ns ? "_seconds" : "", gauge ? "" : "_total");
		snprintf(help, sizeof(help), "struct ta_tier_stats %s (sysfs TIER/%s)%s.", fn, fn,
			 ns ? " in seconds" : "");
		for (unsigned int t = 0; t < TA_NR_TIERS; t++)
			v[t] = ctl_stat(&st->tier[t], i);
		prom_family(f, name, gauge ? "gauge" : "counter", help, cfg, v, ns);
	}
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
		snprintf(name, sizeof(name), "tieralloc_%s", conf[i].name);
		for (unsigned int t = 0; t < TA_NR_TIERS; t++)
			memcpy(&v[t], (const char *)&cfg[t] + conf[i].off, sizeof(v[t]));
		prom_family(f, name, "gauge", conf[i].help, cfg, v, false);
	}
}
