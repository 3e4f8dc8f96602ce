/* SPDX-License-Identifier: MIT */
/*
 * Every TA_* environment variable of libta and the preload, in one table
 * (as mimalloc's options.c): LT_OPTIONS gives each its name, type, who
 * reads it, default, range (or words) and what it does.  libta's env.c and
 * the preload's config.c read them with lt_opt_get(), which refuses a bad
 * value with one message on stderr naming the variable, what was expected
 * and the default kept.  libta/tests/test_options.c checks every row (its
 * default, range and words parsed, bad values refused, each variable read
 * at start-up) and that preload/README.md's table of variables is the one
 * it prints from here (`build/libta/tests/libta-options --markdown`).
 *
 * Free of libta's internals: the preload and the tests include it.
 */
#ifndef TA_OPTIONS_H
#define TA_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/tieralloc.h>
#include "tieralloc.h"

enum lt_opt_type {
	LT_OPT_BOOL, /* lt_parse_bool(): 0/1, no/yes, false/true, off/on */
	LT_OPT_UINT, /* decimal digits, from min to max */
	LT_OPT_SIZE, /* lt_parse_size(): digits with an optional K, M, G or T suffix */
	LT_OPT_WORD, /* one of words[0 .. max] (either case): its index */
};

/* Who reads a variable (one of the first three), and how. */
#define LT_OPT_LIBTA   1u  /* libta, at start-up */
#define LT_OPT_USER    2u  /* libta's user backend; the kernel backend's are the kernel's */
#define LT_OPT_PRELOAD 4u  /* libta_preload.so, at start-up */
#define LT_OPT_ZERO    8u  /* 0 ("none") is valid besides min .. max */
#define LT_OPT_NODEF   16u /* no value when unset: def_doc says what then */

/* Defaults the code needs before (or without) reading the environment. */
#define LT_PURGE_DELAY_MS_DEFAULT    10
#define LT_STATS_INTERVAL_MS_DEFAULT 200
/* TA_BACKEND's words: TA_BACKEND_USER, TA_BACKEND_KERNEL, then this. */
#define LT_BACKEND_AUTO 2

/*
 * X(id, name, type, who, default, min, max, words, default as documented, doc):
 * the variables of one tier T, then all of them.  For LT_OPT_WORD, max is
 * the last word's index.
 */
/* clang-format off */
#define LT_TIER_OPTIONS(X, T)								\
	X(NODE_##T, "TA_NODE_" #T, UINT, LT_OPT_USER | LT_OPT_NODEF, 0, 0, 1023, NULL,	\
	  "from the topology", "NUMA node of tier " #T " (a node with memory)")	\
	X(T##_SOFT, "TA_" #T "_SOFT", SIZE, LT_OPT_USER, 0, 0, UINT64_MAX, NULL, "0",	\
	  "soft cap of tier " #T " in bytes, 0: none (past it: soft violations; PREFER_FAST takes NORMAL past FAST's)") \
	X(T##_HARD, "TA_" #T "_HARD", SIZE, LT_OPT_USER, 0, 0, UINT64_MAX, NULL, "0",	\
	  "hard cap of tier " #T " in bytes, 0: none (past it TA_ON_HARDCAP decides)")	\
	X(T##_RATE, "TA_" #T "_RATE", SIZE, LT_OPT_USER | LT_OPT_ZERO | LT_OPT_NODEF,	\
	  0, 4096, UINT64_MAX, NULL, "the HMAT read bandwidth, else 0",		\
	  "token-bucket rate of tier " #T " in bytes/s, 0: none")			\
	X(T##_BURST, "TA_" #T "_BURST", SIZE, LT_OPT_USER | LT_OPT_NODEF, 0, 0,	\
	  UINT64_MAX, NULL, "64M with an HMAT rate, else 0",				\
	  "token-bucket depth of tier " #T " in bytes")

#define LT_OPTIONS(X)									\
	X(DISABLE, "TA_DISABLE", BOOL, LT_OPT_LIBTA, 0, 0, 1, NULL, "0",		\
	  "1: a plain allocator: no kernel regions, NUMA binding, caps, throttle or statistics file") \
	X(BACKEND, "TA_BACKEND", WORD, LT_OPT_LIBTA, LT_BACKEND_AUTO, 0, 2, lt_backend_words, "auto",	\
	  "kernel: /dev/tieralloc regions; user: mmap + mbind to the tiers' nodes; auto: kernel when the device opens") \
	X(USE_LIBNUMA, "TA_USE_LIBNUMA", BOOL, LT_OPT_LIBTA, 1, 0, 1, NULL, "1",	\
	  "0: the user backend's tiers are labels only (no mbind)")			\
	X(HUGE, "TA_HUGE", BOOL, LT_OPT_LIBTA, 0, 0, 1, NULL, "0",			\
	  "1: 2 MiB pages for large blocks of 2 MiB or more")				\
	X(PURGE_DELAY_MS, "TA_PURGE_DELAY_MS", UINT, LT_OPT_LIBTA,			\
	  LT_PURGE_DELAY_MS_DEFAULT, 0, 10000, NULL, "10",				\
	  "milliseconds freed pages stay resident before they go back to the kernel")	\
	X(DEFAULT_HINT, "TA_DEFAULT_HINT", WORD, LT_OPT_LIBTA, TA_HINT_WARM, 0,	\
	  TA_NR_HINTS - 1, lt_hint_words,	\
	  "warm", "hint of ta_malloc() and of the preload's malloc()")			\
	X(ON_HARDCAP, "TA_ON_HARDCAP", WORD, LT_OPT_USER, TA_POLICY_ROUTE_SLOW, 0,	\
	  TA_NR_POLICIES - 1, lt_policy_words,	\
	  "route_slow", "every tier's policy at its hard cap")				\
	X(THROTTLE, "TA_THROTTLE", WORD, LT_OPT_USER, TA_THROTTLE_ACCOUNT, 0,	\
	  TA_NR_THROTTLE_MODES - 1, lt_mode_words,		\
	  "account", "every tier's throttle: count only, or delay allocations")		\
	LT_TIER_OPTIONS(X, FAST)							\
	LT_TIER_OPTIONS(X, NORMAL)							\
	LT_TIER_OPTIONS(X, SLOW)							\
	X(INTERPOSE, "TA_INTERPOSE", BOOL, LT_OPT_PRELOAD, 1, 0, 1, NULL, "1",		\
	  "1: malloc and co. are tiered (default hint, size rule); 0: every block is warm") \
	X(LARGE_HINT, "TA_LARGE_HINT", WORD, LT_OPT_PRELOAD | LT_OPT_NODEF, 0, 0,	\
	  TA_NR_HINTS - 1,	\
	  lt_hint_words, "none",							\
	  "hint of blocks of TA_LARGE_MIN bytes or more (also when realloc grows one past it)") \
	X(LARGE_MIN, "TA_LARGE_MIN", SIZE, LT_OPT_PRELOAD, TA_LARGE_MIN, 1, PTRDIFF_MAX,	\
	  NULL, "1M", "threshold of TA_LARGE_HINT")					\
	X(STATS_SHM, "TA_STATS_SHM", BOOL, LT_OPT_PRELOAD, 1, 0, 1, NULL, "1",		\
	  "publish statistics in /dev/shm/tieralloc.PID")				\
	X(STATS_INTERVAL_MS, "TA_STATS_INTERVAL_MS", UINT, LT_OPT_PRELOAD,		\
	  LT_STATS_INTERVAL_MS_DEFAULT, 1, 3600000, NULL, "200",			\
	  "at most one refresh of that file per interval, in milliseconds")
/* clang-format on */

#define LT_OPT_ENUM_(id, ...) LT_OPT_##id,
enum lt_opt { LT_OPTIONS(LT_OPT_ENUM_) LT_NR_OPTIONS };
#undef LT_OPT_ENUM_

/* Tier @t's variable of the kind of FAST's @fast_id (LT_OPT_FAST_HARD, ...). */
#define LT_OPT_PER_TIER (LT_OPT_NODE_NORMAL - LT_OPT_NODE_FAST)
_Static_assert(LT_OPT_SLOW_BURST - LT_OPT_NORMAL_BURST == LT_OPT_PER_TIER,
	       "every tier has the same variables, in the same order");
static inline enum lt_opt lt_opt_tier(enum lt_opt fast_id, unsigned t)
{
	return (enum lt_opt)(fast_id + t * LT_OPT_PER_TIER);
}

struct lt_option {
	const char *name;	  /* TA_... */
	const char *const *words; /* LT_OPT_WORD: max + 1 of them */
	const char *def_doc;	  /* the default, as the documentation says it */
	const char *doc;
	uint64_t def, min, max;
	unsigned type, flags;
};

extern const struct lt_option lt_options[LT_NR_OPTIONS] __attribute__((visibility("hidden")));

/* Parse @s for @o: 0 and *@out, or -1. */
int lt_opt_parse(const struct lt_option *o, const char *s, uint64_t *out)
	__attribute__((visibility("hidden")));
/* What @o takes, for a message: "a number from 0 to 10000", "hot, warm, ... or prefer_fast". */
void lt_opt_expect(const struct lt_option *o, char *buf, size_t len)
	__attribute__((visibility("hidden")));
/*
 * Option @id from the environment (env.c): 1 and its value in *@out when
 * its variable is set to a valid value; else 0 and *@out its default (a bad
 * value also gets one message on stderr).  No memory is allocated.
 */
int lt_opt_get(enum lt_opt id, uint64_t *out) __attribute__((visibility("hidden")));
/* Whether @id's variable is set (not empty). */
bool lt_opt_is_set(enum lt_opt id) __attribute__((visibility("hidden")));

#endif /* TA_OPTIONS_H */
