// SPDX-License-Identifier: MIT
/* Sizes and switches of the environment (parse.h). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

int lt_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *unit;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	unit = *s ? strchr("kmgt", tolower((unsigned char)*s)) : NULL;
	if (unit) {
		mul = 1ull << (10 * (unit - "kmgt" + 1)); /* 2^10, 2^20, 2^30, 2^40 */
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B") || !strcmp(s, "b"))
			s += strlen(s);
	}
	if (*s)
		return -1;
	return __builtin_mul_overflow(v, mul, out) ? -1 : 0;
}

int lt_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return -1;
}
