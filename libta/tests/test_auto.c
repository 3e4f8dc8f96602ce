// SPDX-License-Identifier: MIT
/*
 * TA_HINT_AUTO: the system decides where a block's pages go.
 *
 * User backend (host and VM): AUTO memory is left under the default NUMA
 * policy (get_mempolicy(2) on the block says MPOL_DEFAULT) while other
 * hints are bound; it starts where PREFER_FAST would; ta_realloc() keeps it
 * AUTO; ta_move() moves it and gives it back to the default policy; a freed
 * AUTO block is never handed to another hint.
 *
 * Kernel backend (VM, with /dev/tieralloc; SKIPs elsewhere): an AUTO block
 * that ta_move() put on SLOW and that is then used is promoted to FAST by
 * the module (auto_interval_ms shortened through its parameter), seen with
 * move_pages(2); a COLD block used the same way stays on SLOW.
 */
#include <sys/ioctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "tt_test.h"

#define LEN  (4u << 20)
#define PARM "/sys/module/tieralloc/parameters/"

static int policy_of(void *p)
{
	int mode = -1;

	if (get_mempolicy(&mode, NULL, 0, p, MPOL_F_ADDR))
		return -errno;
	return mode;
}

static int json_has(const char *needle)
{
	char buf[16384];

	if (ta_stats_json(buf, sizeof(buf)) < 0)
		return -1;
	return strstr(buf, needle) != NULL;
}

TEST(user_backend_default_policy)
{
	struct ta_lib_stats st;
	char *l, *s, *h;

	setenv("TA_BACKEND", "user", 1);
	TH_LOG("checks AUTO blocks on the user backend: default NUMA policy (others bound), "
	       "starting tier FAST, realloc keeps AUTO, ta_move moves and keeps AUTO");
	ASSERT_EQ(-1, ta_hint_tier(TA_HINT_AUTO));
	ASSERT_STREQ("auto", ta_hint_name(TA_HINT_AUTO));
	l = ta_alloc(LEN, TA_HINT_AUTO);
	s = ta_alloc(3000, TA_HINT_AUTO);
	h = ta_alloc(LEN, TA_HINT_HOT);
	ASSERT_NE(NULL, l);
	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, h);
	ta_get_stats(&st);
	ASSERT_EQ(TA_BACKEND_USER, st.backend);
	tt_fill(l, LEN, 3);
	memset(s, 4, 3000);
	memset(h, 5, LEN);
	ASSERT_EQ(1, ta_is_auto(l));
	ASSERT_EQ(1, ta_is_auto(s));
	ASSERT_EQ(0, ta_is_auto(h));
	ASSERT_EQ(-1, ta_is_auto(&st));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(l));
	ASSERT_EQ(TA_TIER_FAST, ta_tier_of(s));
	ASSERT_EQ(MPOL_DEFAULT, policy_of(l));
	ASSERT_EQ(MPOL_DEFAULT, policy_of(s));
	if (st.simulated) {
		TH_LOG("simulated tiers (no NUMA placement): bound hints NOT VERIFIED here");
		ASSERT_EQ(1, json_has("\"auto\":\"none\""));
	} else {
		ASSERT_EQ(MPOL_BIND, policy_of(h));
		ASSERT_EQ(1, json_has("\"auto\":\"kernel\""));
	}
	/* Grown (a copy, or its pages remapped): still AUTO, still unbound. */
	l = ta_realloc(l, 3 * LEN);
	ASSERT_NE(NULL, l);
	ASSERT_TRUE(tt_check(l, LEN, 3));
	ASSERT_EQ(1, ta_is_auto(l));
	memset(l + LEN, 6, 2 * LEN);
	ASSERT_EQ(MPOL_DEFAULT, policy_of(l));
	ASSERT_EQ(MPOL_DEFAULT, policy_of(l + 2 * LEN));
	/* Moved now, automatic again afterwards. */
	ASSERT_EQ(l, ta_move(l, TA_TIER_SLOW));
	ASSERT_EQ(TA_TIER_SLOW, ta_tier_of(l));
	ASSERT_EQ(1, ta_is_auto(l));
	ASSERT_EQ(MPOL_DEFAULT, policy_of(l));
	if (!st.simulated)
		ASSERT_EQ(st.tier[TA_TIER_SLOW].node,
			  tt_range_node(l, 3 * LEN, st.tier[TA_TIER_SLOW].node));
	ASSERT_TRUE(tt_check(l, LEN, 3));
	ta_free(l);
	ta_free(s);
	ta_free(h);
}

TEST(freed_auto_block_not_reused_by_other_hints)
{
	struct ta_lib_stats a, b;
	char *p;

	setenv("TA_BACKEND", "user", 1);
	TH_LOG("checks a freed AUTO large block is not handed to a HOT request (a new region is)");
	p = ta_alloc(LEN, TA_HINT_AUTO);
	ASSERT_NE(NULL, p);
	memset(p, 1, LEN);
	ta_free(p);
	ta_get_stats(&a);
	p = ta_alloc(LEN, TA_HINT_HOT);
	ASSERT_NE(NULL, p);
	ta_get_stats(&b);
	ASSERT_EQ(a.tier[TA_TIER_FAST].alloc_calls + 1, b.tier[TA_TIER_FAST].alloc_calls);
	ASSERT_EQ(0, ta_is_auto(p));
	if (!a.simulated)
		ASSERT_EQ(MPOL_BIND, policy_of(p));
	ta_free(p);
}

TEST(starts_where_prefer_fast_would)
{
	char *p;

	setenv("TA_BACKEND", "user", 1);
	setenv("TA_FAST_SOFT", "1M", 1);
	TH_LOG("checks AUTO starts on NORMAL when FAST's soft cap has no room, as PREFER_FAST");
	p = ta_alloc(LEN, TA_HINT_AUTO);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ASSERT_EQ(1, ta_is_auto(p));
	ta_free(p);
	p = ta_alloc(LEN, TA_HINT_PREFER_FAST);
	ASSERT_EQ(TA_TIER_NORMAL, ta_tier_of(p));
	ta_free(p);
}

/* ---- kernel backend ---- */

static int read_parm(const char *name, char *buf, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARM "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)n, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_parm(const char *name, const char *val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARM "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fputs(val, f) < 0;
	ret |= fclose(f) != 0;
	return ret ? -1 : 0;
}

static int kernel_node[TA_NR_TIERS];

static int kernel_setup(void)
{
	return tt_kernel_setup(kernel_node, TA_FEAT_AUTO);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pages of [p, p + len) on @node, each read first (tt_touch_node()). */
static size_t pages_on(const char *p, size_t len, int node)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += 4096)
		n += tt_touch_node(p + off) == node;
	return n;
}

TEST(kernel_backend_auto_block_promoted)
{
	char old_iv[32], old_res[32], old_en[32];
	struct ta_lib_stats st;
	size_t want = LEN / 4096, fast = 0;
	char *a, *c;
	double t0;

	if (!kernel_setup())
		SKIP(return, "no %s with feature auto: kernel backend NOT TESTED here",
			   TIERALLOC_DEVICE);
	if (geteuid())
		SKIP(return, "shortening auto_interval_ms needs root: NOT TESTED");
	ASSERT_EQ(0, read_parm("auto_interval_ms", old_iv, sizeof(old_iv)));
	ASSERT_EQ(0, read_parm("auto_min_residence_ms", old_res, sizeof(old_res)));
	ASSERT_EQ(0, read_parm("auto_enabled", old_en, sizeof(old_en)));
	TH_LOG("checks a TA_HINT_AUTO block moved to SLOW and then used is promoted to FAST by "
	       "the module (move_pages), and a COLD block used alike stays on SLOW");
	a = ta_alloc(LEN, TA_HINT_AUTO);
	c = ta_alloc(LEN, TA_HINT_COLD);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, c);
	ta_get_stats(&st);
	ASSERT_EQ(TA_BACKEND_KERNEL, st.backend);
	ASSERT_EQ(1, json_has("\"auto\":\"module\""));
	tt_fill(a, LEN, 9);
	memset(c, 7, LEN);
	ASSERT_EQ(kernel_node[TA_TIER_FAST], tt_range_node(a, LEN, kernel_node[TA_TIER_FAST]))
	TH_LOG("AUTO starts where PREFER_FAST would: FAST");
	ASSERT_EQ(a, ta_move(a, TA_TIER_SLOW));
	ASSERT_EQ(1, ta_is_auto(a));
	ASSERT_EQ(kernel_node[TA_TIER_SLOW], tt_range_node(a, LEN, kernel_node[TA_TIER_SLOW]));
	ASSERT_EQ(0, write_parm("auto_min_residence_ms", "0"));
	ASSERT_EQ(0, write_parm("auto_interval_ms", "50"));
	ASSERT_EQ(0, write_parm("auto_enabled", "1"));
	/* Use both blocks until the AUTO one is on FAST, for at most 15 s. */
	t0 = now_s();
	while (now_s() - t0 < 15) {
		fast = pages_on(a, LEN, kernel_node[TA_TIER_FAST]);
		(void)pages_on(c, LEN, kernel_node[TA_TIER_FAST]);
		if (fast == want)
			break;
		usleep(20000);
	}
	write_parm("auto_interval_ms", old_iv);
	write_parm("auto_min_residence_ms", old_res);
	write_parm("auto_enabled", old_en);
	TH_LOG("%zu of %zu pages on FAST after %.1f s", fast, want, now_s() - t0);
	ASSERT_EQ(want, fast);
	ASSERT_TRUE(tt_check(a, LEN, 9));
	/* The module's counters reach libta's statistics and its JSON. */
	ta_get_stats(&st);
	ASSERT_TRUE(st.kernel_valid);
	ASSERT_GE(st.kernel.tier[TA_TIER_FAST].auto_promoted_bytes, LEN);
	ASSERT_EQ(1, json_has("\"auto_promoted_bytes\""));
	ASSERT_EQ(kernel_node[TA_TIER_SLOW], tt_range_node(c, LEN, kernel_node[TA_TIER_SLOW]))
	TH_LOG("the COLD block moved by itself");
	ta_free(a);
	ta_free(c);
}

TEST_HARNESS_MAIN
