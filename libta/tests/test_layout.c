// SPDX-License-Identifier: MIT
/*
 * Structs generated from one list keep the byte layout they had when they
 * were written by hand: struct ta_lib_tier_stats (libta's ABI) and struct
 * ta_shm_tier (the preload's shared-memory record, version 1), both from
 * TA_LIB_TIER_COUNTERS, field for field against frozen copies; and
 * ta_get_stats() copies every counter (each one made different first).
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "tt_test.h"
#include "tieralloc_shm.h"

/* As written by hand before TA_LIB_TIER_COUNTERS (and in tieralloc_shm.h, version 1). */
struct frozen_tier {
	int32_t node;
	uint32_t policy;
	uint64_t soft_cap, hard_cap, reserved_bytes, regions, large_blocks, large_bytes;
	uint64_t alloc_calls, free_calls, bytes_allocated, bytes_freed, sim_wait_ns;
	uint64_t throttle_wait_ns, soft_violations, hard_violations, reroutes, moves_in;
	uint64_t moves_out, bytes_moved_in, bytes_moved_out, move_failures;
};

/* clang-format off */
#define FIELDS(X)                                                                          \
	X(node) X(policy) X(soft_cap) X(hard_cap) X(reserved_bytes) X(regions)             \
	X(large_blocks) X(large_bytes) X(alloc_calls) X(free_calls) X(bytes_allocated)     \
	X(bytes_freed) X(sim_wait_ns) X(throttle_wait_ns) X(soft_violations)               \
	X(hard_violations) X(reroutes) X(moves_in) X(moves_out) X(bytes_moved_in)          \
	X(bytes_moved_out) X(move_failures)
/* clang-format on */

#define SAME(f)                                                                                  \
	_Static_assert(offsetof(struct ta_lib_tier_stats, f) == offsetof(struct frozen_tier, f), \
		       #f);                                                                      \
	_Static_assert(offsetof(struct ta_shm_tier, f) == offsetof(struct frozen_tier, f), #f);
FIELDS(SAME)
_Static_assert(sizeof(struct ta_lib_tier_stats) == sizeof(struct frozen_tier), "size");
_Static_assert(sizeof(struct ta_shm_tier) == sizeof(struct frozen_tier), "size");

TEST(layouts)
{
	TH_LOG("checks the generated per-tier structs against the hand-written layout");
	ASSERT_EQ(168, sizeof(struct ta_lib_tier_stats));
	ASSERT_EQ(168, sizeof(struct ta_shm_tier));
	ASSERT_EQ(136, offsetof(struct ta_shm_stats, tier));
	ASSERT_EQ(1, TA_SHM_VERSION);
}

TEST(every_counter_copied)
{
	struct ta_lib_stats st;
	unsigned n = 0;

	TH_LOG("checks ta_get_stats() and ta_stats_json() carry every counter of the list");
	setenv("TA_BACKEND", "user", 1);
	/* Something on every tier, moved about: most counters leave zero. */
	for (int t = 0; t < TA_NR_TIERS; t++) {
		void *p = ta_alloc(2 << 20, (ta_hint_t)t);

		ASSERT_NE(NULL, p);
		p = ta_move(p, (ta_tier_t)((t + 1) % TA_NR_TIERS));
		ASSERT_NE(NULL, p);
		ta_free(p);
	}
	ASSERT_EQ(0, ta_get_stats(&st));
#define NONZERO(f) n += st.tier[TA_TIER_FAST].f != 0;
	TA_LIB_TIER_COUNTERS(NONZERO)
#undef NONZERO
	ASSERT_GE(n, 8) TH_LOG("%u counters of FAST are non-zero", n);
	ASSERT_EQ(1, st.tier[TA_TIER_FAST].moves_out);
	ASSERT_EQ(1, st.tier[TA_TIER_FAST].moves_in);
	ASSERT_EQ(2u << 20, st.tier[TA_TIER_FAST].bytes_moved_out);

	char buf[16384];

	ASSERT_GT(ta_stats_json(buf, sizeof(buf)), 0);
#define IN_JSON(f) ASSERT_NE(NULL, strstr(buf, "\"" #f "\":")) TH_LOG("%s", #f);
	TA_LIB_TIER_COUNTERS(IN_JSON)
#undef IN_JSON
}

TEST_HARNESS_MAIN
