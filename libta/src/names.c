// SPDX-License-Identifier: MIT
/* What the tiers, hints, policies and modes are called and how they map, for every caller. */
#include <errno.h>

#include "internal.h"

TA_EXPORT int ta_hint_tier(ta_hint_t hint)
{
	if ((unsigned)hint >= TA_NR_HINTS) {
		errno = EINVAL;
		return -1;
	}
	return tapol_key_tier((unsigned)hint);
}
