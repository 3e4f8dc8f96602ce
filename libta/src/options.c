// SPDX-License-Identifier: MIT
/*
 * The table of TA_* environment variables (options.h) and its parser.
 * Pure: no environment, no message (env.c reads and reports), so that the
 * tests compile it in as it is.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "parse.h"

static const char *const lt_backend_words[] = {
	[TA_BACKEND_USER] = "user", [TA_BACKEND_KERNEL] = "kernel", [LT_BACKEND_AUTO] = "auto"
};
static const char *const lt_hint_words[TA_NR_HINTS] = TA_HINT_NAMES;
static const char *const lt_policy_words[TA_NR_POLICIES] = TA_POLICY_NAMES;
static const char *const lt_mode_words[TA_NR_THROTTLE_MODES] = TA_THROTTLE_MODE_NAMES;

#define LT_OPT_ROW_(id, nm, ty, who, d, lo, hi, w, dd, text) \
	[LT_OPT_##id] = { .name = nm,                        \
			  .words = w,                        \
			  .def_doc = dd,                     \
			  .doc = text,                       \
			  .def = (d),                        \
			  .min = (lo),                       \
			  .max = (hi),                       \
			  .type = LT_OPT_##ty,               \
			  .flags = (who) },

const struct lt_option lt_options[LT_NR_OPTIONS] = { LT_OPTIONS(LT_OPT_ROW_) };

int lt_opt_parse(const struct lt_option *o, const char *s, uint64_t *out)
{
	uint64_t v;
	bool b;

	switch (o->type) {
	case LT_OPT_BOOL:
		if (lt_parse_bool(s, &b))
			return -1;
		*out = b;
		return 0;
	case LT_OPT_WORD:
		for (uint64_t i = 0; i <= o->max; i++) {
			if (!strcasecmp(s, o->words[i])) {
				*out = i;
				return 0;
			}
		}
		return -1;
	case LT_OPT_UINT:
		if (s[strspn(s, "0123456789")] != '\0')
			return -1;
		break;
	}
	if (lt_parse_size(s, &v))
		return -1;
	if ((v < o->min || v > o->max) && !(v == 0 && (o->flags & LT_OPT_ZERO)))
		return -1;
	*out = v;
	return 0;
}

void lt_opt_expect(const struct lt_option *o, char *buf, size_t len)
{
	const char *what = o->type == LT_OPT_UINT
				   ? "a number"
				   : "a size (digits with an optional K, M, G or T suffix)";
	size_t n = 0;

	buf[0] = '\0';
	switch (o->type) {
	case LT_OPT_BOOL:
		snprintf(buf, len, "0 or 1");
		return;
	case LT_OPT_WORD:
		for (uint64_t i = 0; i <= o->max && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      i == 0	    ? ""
					      : i == o->max ? " or "
							    : ", ",
					      o->words[i]);
		return;
	}
	if (o->max == UINT64_MAX && o->min == 0)
		snprintf(buf, len, "%s", what);
	else if (o->max == UINT64_MAX)
		snprintf(buf, len, "%s%s of at least %llu", o->flags & LT_OPT_ZERO ? "0 or " : "",
			 what, (unsigned long long)o->min);
	else
		snprintf(buf, len, "%s%s from %llu to %llu", o->flags & LT_OPT_ZERO ? "0 or " : "",
			 what, (unsigned long long)o->min, (unsigned long long)o->max);
}
