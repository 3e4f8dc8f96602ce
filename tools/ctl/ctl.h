/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tierallocctl internals: argument parsing, device access and output.
 *
 * parse.c has no dependency on the module or json-c, so host tests link it
 * directly; dev.c talks to /dev/tieralloc (sysfs fallback for reads); out.c
 * renders tables and JSON.
 */
#ifndef TIERALLOCCTL_CTL_H
#define TIERALLOCCTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/tieralloc.h>

/* Exit codes (documented in tierallocctl --help). */
#define CTL_EXIT_OK    0
#define CTL_EXIT_ERR   1 /* operation failed */
#define CTL_EXIT_USAGE 2 /* bad command line */
#define CTL_EXIT_NODEV 3 /* module not loaded */
#define CTL_EXIT_PERM  4 /* permission denied */

/* Environment overrides, for tests and unusual setups. */
#define CTL_ENV_DEVICE	   "TIERALLOCCTL_DEVICE"
#define CTL_ENV_SYSFS	   "TIERALLOCCTL_SYSFS"
#define CTL_SYSFS_DEFAULT  "/sys/class/misc/tieralloc"
#define CTL_ENV_PARAMS	   "TIERALLOCCTL_PARAMS"
#define CTL_PARAMS_DEFAULT "/sys/module/tieralloc/parameters"

/*
 * The module's tunables of automatic tiering: its parameters named auto_*
 * (tieralloc(4)).  Their names are read from CTL_PARAMS_DEFAULT, never
 * listed here, and their ranges are the module's: a value outside one is
 * refused when written (apply then puts back what it had changed).
 */
#define CTL_PARAM_PREFIX   "auto_"
#define CTL_MAX_PARAMS	   32
#define CTL_PARAM_NAME_MAX 48

struct ctl_param {
	char name[CTL_PARAM_NAME_MAX];
	uint32_t value;
};

/*
 * The statistics of a tier: struct ta_tier_stats read as an array of __u64,
 * field i named ctl_stat_names[i] -- the UAPI's TA_TIER_STAT_NAMES, so a
 * field added there is printed, summed, exported as JSON and Prometheus and
 * read from sysfs with nothing to change here.  What a field counts follows
 * from its name, as the UAPI documents: *_bytes and bytes_* bytes, *_ns
 * nanoseconds, the others events or objects.
 */
enum ctl_kind { CTL_BYTES, CTL_NS, CTL_COUNT };

extern const char *const ctl_stat_names[TA_NR_TIER_STATS];
enum ctl_kind ctl_stat_kind(size_t i);
uint64_t ctl_stat(const struct ta_tier_stats *s, size_t i);
void ctl_stat_set(struct ta_tier_stats *s, size_t i, uint64_t v);
/* The index of the field named @name, or -1. */
int ctl_stat_index(const char *name);

/* ---- parse.c ---- */

/* "fast"/"normal"/"slow" (case-insensitive) -> tier, or -1. */
int ctl_tier_from_name(const char *s);
const char *ctl_tier_name(unsigned int tier);
const char *ctl_policy_name(uint32_t policy);
const char *ctl_mode_name(uint32_t mode);

/*
 * Parse a size: decimal digits with an optional fraction, an optional
 * suffix K/M/G/T (powers of 1024, case-insensitive, optionally followed by
 * "B" or "iB"), or "none" (= 0).  "1.5G" is fine, "1.3K" (not a whole
 * number of bytes) and "-1", "4X", "" are not.  Returns 0 or -1 with a
 * reason in @why.
 */
int ctl_parse_size(const char *s, uint64_t *out, const char **why);

/* A rate: a size optionally followed by "/s". */
int ctl_parse_rate(const char *s, uint64_t *out, const char **why);

/* Strict unsigned decimal that fits in @max; returns 0 or -1. */
int ctl_parse_uint(const char *s, uint64_t max, uint64_t *out);

/*
 * "set" arguments, accumulated into one struct ta_tier_config per tier with
 * the TA_CFG_* bits of what was named.  Accepted forms:
 *   TIER.soft_cap=SIZE  TIER.hard_cap=SIZE  TIER.node=N
 *   TIER.policy=fail|route_slow            policy=fail|route_slow (all tiers)
 *   throttle.TIER.rate=SIZE[/s]  throttle.TIER.burst=SIZE
 *   throttle.TIER.mode=account|enforce     throttle.mode=... (all tiers)
 *   TIER.rate=  TIER.burst=  TIER.throttle_mode=  (sysfs attribute names)
 *   auto_NAME=N   a module parameter auto_NAME (whole number; which names
 *                 exist and their ranges are the module's, checked on apply)
 * Naming the same setting twice is an error.
 */
struct ctl_set {
	struct ta_tier_config cfg[TA_NR_TIERS];
	struct ctl_param param[CTL_MAX_PARAMS];
	unsigned int nparams;
};

void ctl_set_init(struct ctl_set *set);
/* Returns 0, or -1 after writing a one-line reason to @err. */
int ctl_set_parse(struct ctl_set *set, const char *arg, char *err, size_t errlen);

/*
 * A configuration file (tierallocctl apply): settings of ctl_set_parse(),
 * any number a line, separated by blanks; "#" starts a comment.  Returns 0,
 * or -1 after writing "NAME:LINE: reason" to @err.
 */
int ctl_set_parse_file(struct ctl_set *set, FILE *f, const char *name, char *err, size_t errlen);
/*
 * The settings of the three tiers in that syntax (tierallocctl
 * show-config), exact sizes; a node the module discovered is a comment.
 */
void ctl_print_config(FILE *f, const struct ta_tier_config *cfg);
/* "auto_NAME=VALUE" lines. */
void ctl_print_params(FILE *f, const struct ctl_param *p, size_t n);
/* Exact size with the largest unit that divides it: "4096" -> "4K", "1536M". */
char *ctl_fmt_exact(uint64_t v, char *buf, size_t len);

/* Human size: "0", "512", "4K", "1.5G" (binary units). */
char *ctl_fmt_size(uint64_t v, char *buf, size_t len);
/* Human duration from nanoseconds: "0", "850ns", "12.3us", "1.20s". */
char *ctl_fmt_ns(uint64_t ns, char *buf, size_t len);
/* info_flags as "hmat,override" or "-". */
char *ctl_fmt_info(uint32_t flags, char *buf, size_t len);

/* ---- dev.c ---- */

struct ctl_dev {
	int fd;		   /* -1 when reading from sysfs */
	const char *path;  /* device path */
	const char *sysfs; /* sysfs directory */
	bool use_sysfs;	   /* the device answered ENOTTY: not tieralloc */
};

/*
 * Open the device.  On failure prints the reason (module missing,
 * permission) to stderr and returns a CTL_EXIT_* code; 0 on success.
 * @write asks for a descriptor suited to TA_IOC_SET_TIER.
 */
int ctl_dev_open(struct ctl_dev *dev, bool write);
void ctl_dev_close(struct ctl_dev *dev);

/* These return 0 or a negative errno; sysfs is used after ENOTTY. */
int ctl_get_version(struct ctl_dev *dev, struct ta_version *v);
int ctl_get_tier(struct ctl_dev *dev, unsigned int tier, struct ta_tier_config *cfg);
int ctl_get_stats(struct ctl_dev *dev, struct ta_stats *st);
int ctl_set_tier(struct ctl_dev *dev, const struct ta_tier_config *cfg);

/*
 * The module's auto_* parameters and their values, sorted by name, from
 * $TIERALLOCCTL_PARAMS or CTL_PARAMS_DEFAULT: how many (at most @max), or
 * a negative errno (-ENOENT: no module, or one without automatic tiering).
 */
int ctl_params_read(struct ctl_param *p, size_t max);
/* Write one; 0 or a negative errno (-EINVAL: outside the module's range). */
int ctl_param_write(const char *name, uint32_t value);

/* ---- out.c ---- */

void ctl_print_tiers(FILE *f, const struct ta_tier_config *cfg, const struct ta_stats *st);
void ctl_print_stats(FILE *f, const struct ta_stats *st, bool raw);
/* JSON text (pretty when @pretty), caller frees; NULL on allocation failure. */
char *ctl_stats_json(const struct ta_stats *st, bool pretty);
/* tiers --json: {"fast": {sysfs attribute: value, ...}, ...}; caller frees. */
char *ctl_tiers_json(const struct ta_tier_config *cfg, const struct ta_stats *st, bool pretty);
/* stats --prometheus: text exposition format, tier and node labels. */
void ctl_print_prometheus(FILE *f, const struct ta_tier_config *cfg, const struct ta_stats *st);

#endif /* TIERALLOCCTL_CTL_H */
