// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl: strict parsing of sizes and "set" arguments, and the small
 * formatters shared by the table output.  No module or json-c dependency.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

const char *const ctl_stat_names[TA_NR_TIER_STATS] = TA_TIER_STAT_NAMES;

enum ctl_kind ctl_stat_kind(size_t i)
{
	const char *n = ctl_stat_names[i];
	size_t len = strlen(n);

	if (!strncmp(n, "bytes_", 6) || (len > 6 && !strcmp(n + len - 6, "_bytes")))
		return CTL_BYTES;
	if (len > 3 && !strcmp(n + len - 3, "_ns"))
		return CTL_NS;
	return CTL_COUNT;
}

uint64_t ctl_stat(const struct ta_tier_stats *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + i * sizeof(__u64), sizeof(v));
	return v;
}

void ctl_stat_set(struct ta_tier_stats *s, size_t i, uint64_t v)
{
	memcpy((char *)s + i * sizeof(__u64), &v, sizeof(v));
}

int ctl_stat_index(const char *name)
{
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++)
		if (ctl_stat_names[i] && !strcmp(name, ctl_stat_names[i]))
			return (int)i;
	return -1;
}

static const char *const tier_names[TA_NR_TIERS] = TA_TIER_NAMES;
static const char *const policy_names[TA_NR_POLICIES] = TA_POLICY_NAMES;
static const char *const mode_names[TA_NR_THROTTLE_MODES] = TA_THROTTLE_MODE_NAMES;

int ctl_tier_from_name(const char *s)
{
	for (int t = 0; t < TA_NR_TIERS; t++)
		if (!strcasecmp(s, tier_names[t]))
			return t;
	return -1;
}

const char *ctl_tier_name(unsigned int tier)
{
	return tier < TA_NR_TIERS ? tier_names[tier] : "?";
}

const char *ctl_policy_name(uint32_t policy)
{
	return policy < TA_NR_POLICIES ? policy_names[policy] : "?";
}

const char *ctl_mode_name(uint32_t mode)
{
	return mode < TA_NR_THROTTLE_MODES ? mode_names[mode] : "?";
}

int ctl_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

#define CTL_MAX_DECIMALS 6

int ctl_parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t ip = 0, frac = 0, pow10 = 1, mult = 1;
	const char *p = s;
	int ndig = 0;

	*why = NULL;
	if (!strcasecmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*p)) {
		*why = *p ? "not a number" : "empty";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (ip > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*why = "too large";
			return -1;
		}
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++) {
			if (++ndig > CTL_MAX_DECIMALS) {
				*why = "too many decimals";
				return -1;
			}
			frac = frac * 10 + (uint64_t)(*p - '0');
			pow10 *= 10;
		}
		if (!ndig) {
			*why = "no digits after '.'";
			return -1;
		}
	}
	switch (toupper((unsigned char)*p)) {
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	}
	if (mult > 1) {
		p++;
		if (!strcasecmp(p, "ib"))
			p += 2;
	}
	if (!strcasecmp(p, "b"))
		p++;
	if (*p) {
		*why = "unknown suffix (use K, M, G or T)";
		return -1;
	}
	if (ip > UINT64_MAX / mult) {
		*why = "too large";
		return -1;
	}
	/* frac < 10^6 and mult <= 2^40: no overflow. */
	if ((frac * mult) % pow10) {
		*why = "not a whole number of bytes";
		return -1;
	}
	if (ip * mult > UINT64_MAX - frac * mult / pow10) {
		*why = "too large";
		return -1;
	}
	*out = ip * mult + frac * mult / pow10;
	return 0;
}

int ctl_parse_rate(const char *s, uint64_t *out, const char **why)
{
	size_t n = strlen(s);
	char buf[64];

	if (n >= 2 && !strcasecmp(s + n - 2, "/s")) {
		if (n - 2 >= sizeof(buf)) {
			*why = "too long";
			return -1;
		}
		memcpy(buf, s, n - 2);
		buf[n - 2] = '\0';
		return ctl_parse_size(buf, out, why);
	}
	return ctl_parse_size(s, out, why);
}

void ctl_set_init(struct ctl_set *set)
{
	memset(set, 0, sizeof(*set));
	for (int t = 0; t < TA_NR_TIERS; t++)
		set->cfg[t].tier = (__u32)t;
}

enum set_field {
	F_NODE,
	F_SOFT_CAP,
	F_HARD_CAP,
	F_POLICY,
	F_MODE,
	F_RATE,
	F_BURST,
};

static const struct {
	const char *name;  /* TIER.<name> */
	const char *tname; /* throttle.TIER.<tname>, or NULL */
	enum set_field f;
	uint32_t bit;
} set_fields[] = {
	{ "node", NULL, F_NODE, TA_CFG_NODE },
	{ "soft_cap", NULL, F_SOFT_CAP, TA_CFG_SOFT_CAP },
	{ "hard_cap", NULL, F_HARD_CAP, TA_CFG_HARD_CAP },
	{ "policy", NULL, F_POLICY, TA_CFG_POLICY },
	{ "throttle_mode", "mode", F_MODE, TA_CFG_THROTTLE_MODE },
	{ "rate", "rate", F_RATE, TA_CFG_RATE },
	{ "burst", "burst", F_BURST, TA_CFG_BURST },
};

#define NR_SET_FIELDS (sizeof(set_fields) / sizeof(set_fields[0]))

/* Parse @val for field @i into @cfg (no valid bit yet). */
static int set_value(struct ta_tier_config *cfg, size_t i, const char *key, const char *val,
		     char *err, size_t errlen)
{
	const char *why = NULL;
	uint64_t v;

	switch (set_fields[i].f) {
	case F_NODE:
		if (ctl_parse_uint(val, INT32_MAX, &v)) {
			snprintf(err, errlen, "bad NUMA node '%s' for %s: expected a node number",
				 val, key);
			return -1;
		}
		cfg->node = (__s32)v;
		return 0;
	case F_POLICY:
		if (!strcasecmp(val, "fail")) {
			cfg->policy = TA_POLICY_FAIL;
		} else if (!strcasecmp(val, "route_slow")) {
			cfg->policy = TA_POLICY_ROUTE_SLOW;
		} else {
			snprintf(err, errlen, "bad policy '%s' for %s: expected fail or route_slow",
				 val, key);
			return -1;
		}
		return 0;
	case F_MODE:
		if (!strcasecmp(val, "account")) {
			cfg->throttle_mode = TA_THROTTLE_ACCOUNT;
		} else if (!strcasecmp(val, "enforce")) {
			cfg->throttle_mode = TA_THROTTLE_ENFORCE;
		} else {
			snprintf(err, errlen,
				 "bad throttle mode '%s' for %s: expected account or enforce", val,
				 key);
			return -1;
		}
		return 0;
	case F_RATE:
		if (ctl_parse_rate(val, &v, &why))
			break;
		cfg->rate = v;
		return 0;
	case F_SOFT_CAP:
	case F_HARD_CAP:
	case F_BURST:
		if (ctl_parse_size(val, &v, &why))
			break;
		if (set_fields[i].f == F_SOFT_CAP)
			cfg->soft_cap = v;
		else if (set_fields[i].f == F_HARD_CAP)
			cfg->hard_cap = v;
		else
			cfg->burst = v;
		return 0;
	}
	snprintf(err, errlen, "bad size '%s' for %s: %s", val, key, why ? why : "invalid");
	return -1;
}

static int apply(struct ctl_set *set, int tier, size_t i, const char *key, const char *val,
		 char *err, size_t errlen)
{
	int lo = tier < 0 ? 0 : tier, hi = tier < 0 ? TA_NR_TIERS - 1 : tier;

	for (int t = lo; t <= hi; t++) {
		if (set->cfg[t].valid & set_fields[i].bit) {
			snprintf(err, errlen, "%s: %s.%s is set twice", key, tier_names[t],
				 set_fields[i].name);
			return -1;
		}
	}
	for (int t = lo; t <= hi; t++) {
		if (set_value(&set->cfg[t], i, key, val, err, errlen))
			return -1;
		set->cfg[t].valid |= set_fields[i].bit;
	}
	return 0;
}

/* auto_NAME=N: the name's characters only (the module says which exist). */
static int set_param(struct ctl_set *set, const char *key, const char *val, char *err,
		     size_t errlen)
{
	struct ctl_param *p;
	uint64_t v;

	if (strlen(key) >= CTL_PARAM_NAME_MAX ||
	    key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_")]) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	for (unsigned int i = 0; i < set->nparams; i++) {
		if (!strcmp(set->param[i].name, key)) {
			snprintf(err, errlen, "%s is set twice", key);
			return -1;
		}
	}
	if (ctl_parse_uint(val, UINT32_MAX, &v)) {
		snprintf(err, errlen, "bad value '%s' for %s: expected a whole number", val, key);
		return -1;
	}
	if (set->nparams == CTL_MAX_PARAMS) {
		snprintf(err, errlen, "%s: more than %d module parameters", key, CTL_MAX_PARAMS);
		return -1;
	}
	p = &set->param[set->nparams++];
	snprintf(p->name, sizeof(p->name), "%s", key);
	p->value = (uint32_t)v;
	return 0;
}

int ctl_set_parse(struct ctl_set *set, const char *arg, char *err, size_t errlen)
{
	char key[128], orig[128], *tok[4];
	const char *eq = strchr(arg, '='), *val;
	int ntok = 0, tier;
	size_t klen;

	if (!eq) {
		snprintf(err, errlen, "bad setting '%s': expected KEY=VALUE", arg);
		return -1;
	}
	klen = (size_t)(eq - arg);
	val = eq + 1;
	if (!klen || klen >= sizeof(key)) {
		snprintf(err, errlen, "bad setting '%s': %s key", arg,
			 klen ? "overlong" : "missing");
		return -1;
	}
	memcpy(key, arg, klen);
	key[klen] = '\0';
	memcpy(orig, key, klen + 1);
	if (!*val) {
		snprintf(err, errlen, "bad setting '%s': missing value", arg);
		return -1;
	}
	/* Split at '.'; empty components ("fast..node", ".node") are errors. */
	tok[ntok++] = key;
	for (char *c = key; *c; c++) {
		if (*c != '.')
			continue;
		*c = '\0';
		if (ntok == 4 || !*tok[ntok - 1] || !c[1]) {
			snprintf(err, errlen, "unknown setting '%s'", orig);
			return -1;
		}
		tok[ntok++] = c + 1;
	}

	if (ntok == 1 && !strncmp(tok[0], CTL_PARAM_PREFIX, strlen(CTL_PARAM_PREFIX)))
		return set_param(set, tok[0], val, err, errlen);
	if (ntok == 1 && !strcasecmp(tok[0], "policy")) {
		for (size_t i = 0; i < NR_SET_FIELDS; i++)
			if (set_fields[i].f == F_POLICY)
				return apply(set, -1, i, "policy", val, err, errlen);
	}
	if (ntok == 2 && !strcasecmp(tok[0], "throttle") && !strcasecmp(tok[1], "mode")) {
		for (size_t i = 0; i < NR_SET_FIELDS; i++)
			if (set_fields[i].f == F_MODE)
				return apply(set, -1, i, "throttle.mode", val, err, errlen);
	}
	if (ntok == 3 && !strcasecmp(tok[0], "throttle")) {
		char name[160];

		tier = ctl_tier_from_name(tok[1]);
		if (tier < 0) {
			snprintf(err, errlen,
				 "unknown tier '%s' in '%s' (tiers: fast, normal, slow)", tok[1],
				 arg);
			return -1;
		}
		for (size_t i = 0; i < NR_SET_FIELDS; i++) {
			if (set_fields[i].tname && !strcasecmp(tok[2], set_fields[i].tname)) {
				snprintf(name, sizeof(name), "throttle.%s.%s", tier_names[tier],
					 set_fields[i].tname);
				return apply(set, tier, i, name, val, err, errlen);
			}
		}
		snprintf(err, errlen,
			 "unknown setting 'throttle.%s.%s' (throttle settings: rate, burst, mode)",
			 tok[1], tok[2]);
		return -1;
	}
	if (ntok == 2) {
		char name[160];

		tier = ctl_tier_from_name(tok[0]);
		if (tier < 0) {
			snprintf(err, errlen,
				 "unknown tier '%s' in '%s' (tiers: fast, normal, slow)", tok[0],
				 arg);
			return -1;
		}
		for (size_t i = 0; i < NR_SET_FIELDS; i++) {
			if (!strcasecmp(tok[1], set_fields[i].name)) {
				snprintf(name, sizeof(name), "%s.%s", tier_names[tier],
					 set_fields[i].name);
				return apply(set, tier, i, name, val, err, errlen);
			}
		}
		snprintf(err, errlen,
			 "unknown setting '%s.%s' (tier settings: node, soft_cap, hard_cap, "
			 "policy, rate, burst, throttle_mode)",
			 tok[0], tok[1]);
		return -1;
	}
	snprintf(err, errlen, "unknown setting '%s' (see 'tierallocctl help')", orig);
	return -1;
}

char *ctl_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;
	uint64_t div = 1;

	while (u < 5 && v >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v % div == 0)
		snprintf(buf, len, "%" PRIu64 "%c", v / div, units[u]);
	else
		snprintf(buf, len, "%.1f%c", (double)v / (double)div, units[u]);
	return buf;
}

char *ctl_fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	return buf;
}

char *ctl_fmt_info(uint32_t flags, char *buf, size_t len)
{
	static const char *const names[TA_NR_TIER_INFO] = TA_TIER_INFO_NAMES;
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < TA_NR_TIER_INFO; i++) {
		if (!(flags & (1U << i)))
			continue;
		flags &= ~(1U << i);
		pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0, "%s%s",
					pos ? "," : "", names[i]);
	}
	if (flags)
		pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0, "%s0x%x",
					pos ? "," : "", flags);
	if (!pos)
		snprintf(buf, len, "-");
	return buf;
}

char *ctl_fmt_exact(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && !(v & ((1ULL << (10 * (u + 2))) - 1)))
		u++;
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v >> (10 * (u + 1)), units[u]);
	return buf;
}

int ctl_set_parse_file(struct ctl_set *set, FILE *f, const char *name, char *err, size_t errlen)
{
	char *line = NULL, *save, *word, why[256];
	size_t cap = 0;
	unsigned int lineno = 0;
	int ret = 0;

	while (!ret && getline(&line, &cap, f) >= 0) {
		lineno++;
		line[strcspn(line, "#")] = '\0';
		for (word = strtok_r(line, " \t\r\n", &save); word && !ret;
		     word = strtok_r(NULL, " \t\r\n", &save)) {
			if (ctl_set_parse(set, word, why, sizeof(why))) {
				snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
				ret = -1;
			}
		}
	}
	if (!ret && ferror(f)) {
		snprintf(err, errlen, "%s: read error", name);
		ret = -1;
	}
	free(line);
	return ret;
}

/* "none" for 0, else the exact size. */
static char *cap_exact(uint64_t v, char *buf, size_t len)
{
	if (!v) {
		snprintf(buf, len, "none");
		return buf;
	}
	return ctl_fmt_exact(v, buf, len);
}

void ctl_print_config(FILE *f, const struct ta_tier_config *cfg)
{
	char b[32];

	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_tier_config *c = &cfg[t];
		const char *tn = ctl_tier_name(t);

		/* A node the module chose itself is left to it. */
		if (c->info_flags & TA_TIER_INFO_OVERRIDE)
			fprintf(f, "%s.node=%d\n", tn, c->node);
		else
			fprintf(f, "# %s.node=%d (discovered)\n", tn, c->node);
		fprintf(f, "%s.soft_cap=%s\n", tn, cap_exact(c->soft_cap, b, sizeof(b)));
		fprintf(f, "%s.hard_cap=%s\n", tn, cap_exact(c->hard_cap, b, sizeof(b)));
		fprintf(f, "%s.policy=%s\n", tn, ctl_policy_name(c->policy));
		fprintf(f, "throttle.%s.mode=%s\n", tn, ctl_mode_name(c->throttle_mode));
		fprintf(f, "throttle.%s.rate=%s\n", tn, cap_exact(c->rate, b, sizeof(b)));
		fprintf(f, "throttle.%s.burst=%s\n", tn, ctl_fmt_exact(c->burst, b, sizeof(b)));
	}
}

void ctl_print_params(FILE *f, const struct ctl_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s=%u\n", p[i].name, p[i].value);
}
