// SPDX-License-Identifier: MIT
/*
 * Where the pages really are, asked of the kernel with move_pages(2) and not
 * of libta: blocks of every hint land on their tier's node, ta_move of a
 * large block moves its pages (same address), and small blocks moved by copy
 * land on the destination node, and a large block grown by ta_realloc far
 * past its reservation stays on its node.  Needs two or more NUMA nodes: SKIPs on a
 * single-node host.  In the VM (3 nodes) the default map is checked too:
 * node 0 FAST, node 1 NORMAL, node 2 SLOW.
 */
#include "kselftest_harness.h"
#include "tt_test.h"

#define LEN (4u << 20)

static int nodes;
static int node_of[TA_NR_TIERS];

/* AUTO: where it starts (PREFER_FAST's tier); nothing here fills FAST's soft cap. */
static const int hint_tier[TA_NR_HINTS] = { TA_TIER_FAST, TA_TIER_NORMAL, TA_TIER_SLOW,
					    TA_TIER_FAST, TA_TIER_FAST,	  TA_TIER_FAST };

/* The test's own expectation; libta's stats are only compared, not trusted. */
static int setup(struct __test_metadata *_metadata, bool explicit_nodes)
{
	nodes = tt_mem_nodes();
	if (nodes < 2)
		return 0;
	if (explicit_nodes) {
		/* Reverse order: FAST on the last node, SLOW on node 0. */
		char v[16];

		node_of[TA_TIER_FAST] = numa_max_node();
		node_of[TA_TIER_NORMAL] = nodes > 2 ? 1 : 0;
		node_of[TA_TIER_SLOW] = 0;
		setenv("TA_BACKEND", "user", 1);
		snprintf(v, sizeof(v), "%d", node_of[TA_TIER_FAST]);
		setenv("TA_NODE_FAST", v, 1);
		snprintf(v, sizeof(v), "%d", node_of[TA_TIER_NORMAL]);
		setenv("TA_NODE_NORMAL", v, 1);
		setenv("TA_NODE_SLOW", "0", 1);
	} else {
		node_of[TA_TIER_FAST] = 0;
		node_of[TA_TIER_NORMAL] = 1;
		node_of[TA_TIER_SLOW] = 2;
	}
	struct ta_lib_stats st;

	ta_get_stats(&st);
	TH_LOG("backend %s; libta reports nodes %d/%d/%d",
	       st.backend == TA_BACKEND_KERNEL ? "kernel" : "user", st.tier[0].node,
	       st.tier[1].node, st.tier[2].node);
	return !st.simulated;
}

static void check_hints(struct __test_metadata *_metadata)
{
	struct ta_lib_stats st;

	ta_get_stats(&st);
	for (int h = 0; h < TA_NR_HINTS; h++) {
		int want = node_of[hint_tier[h]];

		/* The user backend leaves AUTO to the kernel's policy: test_auto.c. */
		if (h == TA_HINT_AUTO && st.backend == TA_BACKEND_USER)
			continue;
		char *l = ta_alloc(LEN, (ta_hint_t)h), *s = ta_alloc(3000, (ta_hint_t)h);
		char *t = ta_alloc(64, (ta_hint_t)h); /* on a mini page (internal.h) */

		ASSERT_NE(NULL, l);
		ASSERT_NE(NULL, s);
		ASSERT_NE(NULL, t);
		memset(l, 1, LEN);
		memset(s, 1, 3000);
		memset(t, 1, 64);
		ASSERT_EQ(want, tt_range_node(l, LEN, want)) TH_LOG("hint %d large block", h);
		ASSERT_EQ(want, tt_touch_node(s)) TH_LOG("hint %d small block", h);
		ASSERT_EQ(want, tt_touch_node(t)) TH_LOG("hint %d 64-byte block", h);
		ta_free(l);
		ta_free(s);
		ta_free(t);
	}
}

static void check_moves(struct __test_metadata *_metadata)
{
	char *l = ta_alloc(LEN, TA_HINT_COLD), *s = ta_alloc(3000, TA_HINT_COLD), *s2;

	ASSERT_NE(NULL, l);
	tt_fill(l, LEN, 1);
	tt_fill(s, 3000, 2);
	ASSERT_EQ(node_of[TA_TIER_SLOW], tt_range_node(l, LEN, node_of[TA_TIER_SLOW]));
	ASSERT_EQ(l, ta_move(l, TA_TIER_FAST)) TH_LOG("large blocks move in place");
	ASSERT_EQ(node_of[TA_TIER_FAST], tt_range_node(l, LEN, node_of[TA_TIER_FAST]))
	TH_LOG("pages of the moved block are not on the FAST node");
	ASSERT_TRUE(tt_check(l, LEN, 1));
	s2 = ta_move(s, TA_TIER_FAST);
	ASSERT_NE(NULL, s2);
	ASSERT_EQ(node_of[TA_TIER_FAST], tt_page_node(s2));
	ASSERT_TRUE(tt_check(s2, 3000, 2));
	ta_free(l);
	ta_free(s2);
}

/* A large block grown far past its reservation (moved by mremap on the user backend). */
static void check_growth(struct __test_metadata *_metadata)
{
	char *l = ta_alloc(LEN, TA_HINT_COLD);
	size_t len = LEN;
	int want = node_of[TA_TIER_SLOW];

	ASSERT_NE(NULL, l);
	tt_fill(l, LEN, 4);
	while (len < 4 * LEN) {
		len += LEN / 2;
		l = ta_realloc(l, len);
		ASSERT_NE(NULL, l);
		memset(l + len - LEN / 2, 5, LEN / 2);
	}
	ASSERT_TRUE(tt_check(l, LEN, 4));
	ASSERT_EQ(want, tt_range_node(l, len, want)) TH_LOG("grown block left the SLOW node");
	ta_free(l);
}

TEST(default_map_in_vm)
{
	if (!setup(_metadata, false))
		SKIP(return,
			   "placement needs 2+ NUMA nodes and NUMA placement: this machine has %d "
			   "node(s); NOT VERIFIED here",
			   nodes);
	if (nodes != 3)
		SKIP(return, "the default map is known for the 3-node VM only (%d nodes here)",
			   nodes);
	TH_LOG("checks with move_pages(2) that hints land on nodes 0/1/2 and ta_move moves pages");
	check_hints(_metadata);
	check_moves(_metadata);
	check_growth(_metadata);
}

TEST(explicit_nodes)
{
	if (!setup(_metadata, true))
		SKIP(return,
			   "placement needs 2+ NUMA nodes and NUMA placement: this machine has %d "
			   "node(s); NOT VERIFIED here",
			   nodes);
	TH_LOG("checks with move_pages(2) the user backend honours TA_NODE_* (FAST=%d NORMAL=%d "
	       "SLOW=%d)",
	       node_of[0], node_of[1], node_of[2]);
	check_hints(_metadata);
	check_moves(_metadata);
	check_growth(_metadata);
}

TEST_HARNESS_MAIN
