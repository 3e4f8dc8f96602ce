// SPDX-License-Identifier: GPL-2.0
/*
 * tieralloc.ko automatic tiering (TA_REGION_AUTO): hot 2 MiB units are
 * promoted to FAST, cold ones demoted from it above a watermark, caps
 * hold, other regions never move, the scanner lets go of freed regions
 * and stops when asked, and it runs next to faults, moves, discards,
 * forks and clones.  The scan interval is shortened through the module's
 * auto_* parameters; placement is checked with move_pages(2) after the
 * scanner is stopped (auto_enabled=0) and the pages touched again, since a
 * page the scanner unmapped is in no page table until its next access.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ta_test.h"

#define AT_PARAMS      "/sys/module/tieralloc/parameters/"
#define AT_INTERVAL_MS 100

static const char *const at_names[] = {
	"auto_enabled",	      "auto_interval_ms",    "auto_budget",	      "auto_max_moves",
	"auto_hot_intervals", "auto_cold_intervals", "auto_min_residence_ms", "auto_promote_wmark",
	"auto_demote_wmark",  "auto_demote_tier",    "auto_max_split",
};

#define AT_NR_PARAMS (sizeof(at_names) / sizeof(at_names[0]))

static int at_set(const char *name, long v)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), AT_PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%ld", v);
	return ta_write_file(path, buf);
}

static long at_get(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), AT_PARAMS "%s", name);
	return ta_read_file(path, buf, sizeof(buf)) < 0 ? -1 : strtol(buf, NULL, 10);
}

static void at_sleep_intervals(int n)
{
	usleep((useconds_t)n * AT_INTERVAL_MS * 1000);
}

/* Stop the scanner and let a pass under way end. */
static void at_stop(void)
{
	at_set("auto_enabled", 0);
	at_sleep_intervals(3);
}

static uint64_t at_stat_sum(int fd, size_t field)
{
	struct ta_stats st;
	uint64_t sum = 0;

	if (ta_get_stats(fd, &st))
		return 0;
	for (int t = 0; t < TA_NR_TIERS; t++)
		sum += ((uint64_t *)&st.tier[t])[field];
	return sum;
}

#define AT_STAT(fd, f) at_stat_sum(fd, offsetof(struct ta_tier_stats, f) / sizeof(__u64))

static int at_info(int fd, uint32_t handle, struct ta_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ioctl(fd, TA_IOC_REGION_INFO, info) ? -errno : 0;
}

FIXTURE(at)
{
	bool ready;
	int fd, kmsg;
	int fast, normal, slow;
	long saved[AT_NR_PARAMS];
	struct ta_saved_cfg cfg;
	struct ta_stats start;
};

FIXTURE_SETUP(at)
{
	struct ta_version v = { 0 };

	self->fd = ta_open_dev();
	self->kmsg = -1;
	if (self->fd < 0)
		SKIP(return, "%s: %s (tieralloc.ko not loaded)", TIERALLOC_DEVICE, strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_VERSION, &v));
	if (!(v.features & TA_FEAT_AUTO))
		SKIP(return, "the module has no TA_FEAT_AUTO");
	if (ta_memory_nodes() < 3 || getuid())
		SKIP(return, "needs root and the 3-node VM");
	self->fast = ta_tier_node(self->fd, TA_TIER_FAST);
	self->normal = ta_tier_node(self->fd, TA_TIER_NORMAL);
	self->slow = ta_tier_node(self->fd, TA_TIER_SLOW);
	for (size_t i = 0; i < AT_NR_PARAMS; i++) {
		self->saved[i] = at_get(at_names[i]);
		ASSERT_LE(0, self->saved[i]) TH_LOG("%s", at_names[i]);
	}
	ta_save_cfg(self->fd, &self->cfg);
	ta_get_stats(self->fd, &self->start);
	self->kmsg = ta_kmsg_open();
	/* Fast and deterministic: every unit every interval, 100 ms apart. */
	ASSERT_EQ(0, at_set("auto_interval_ms", AT_INTERVAL_MS));
	ASSERT_EQ(0, at_set("auto_budget", 4096));
	ASSERT_EQ(0, at_set("auto_max_moves", 64));
	ASSERT_EQ(0, at_set("auto_hot_intervals", 2));
	ASSERT_EQ(0, at_set("auto_cold_intervals", 3));
	ASSERT_EQ(0, at_set("auto_min_residence_ms", 500));
	ASSERT_EQ(0, at_set("auto_promote_wmark", 95));
	ASSERT_EQ(0, at_set("auto_demote_wmark", 90));
	ASSERT_EQ(0, at_set("auto_demote_tier", TA_TIER_SLOW));
	ASSERT_EQ(0, at_set("auto_max_split", 16));
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	self->ready = true;
}

FIXTURE_TEARDOWN(at)
{
	if (self->fd < 0)
		return;
	if (self->ready) {
		at_set("auto_enabled", 0);
		for (size_t i = 0; i < AT_NR_PARAMS; i++)
			at_set(at_names[i], self->saved[i]);
		ta_restore_cfg(self->fd, &self->cfg);
	}
	if (self->kmsg >= 0) {
		EXPECT_EQ(0, ta_kmsg_reports(self->kmsg));
		close(self->kmsg);
	}
	close(self->fd);
}

/* The flag, its feature bit, and the combinations refused. */
TEST_F(at, flag_and_params)
{
	if (!self->ready)
		return;
	struct ta_region_create req;
	struct ta_region_info info;

	EXPECT_EQ(-EINVAL,
		  ta_create(self->fd, TA_MIB, TA_TIER_SLOW, TA_REGION_AUTO | TA_REGION_TIER, &req));
	EXPECT_EQ(-EINVAL, ta_create(self->fd, TA_MIB, TA_HINT_PIN_FAST, TA_REGION_AUTO, &req));
	ASSERT_EQ(0, ta_create(self->fd, 4 * TA_MIB, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE,
			       &req));
	ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
	EXPECT_EQ(TA_REGION_AUTO | TA_REGION_HUGE, info.flags);
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));

	/*
	 * The stats grew: a caller built for ABI 1's 24 fields per tier
	 * still gets each tier's fields where it expects them.
	 */
	uint64_t old[2 + TA_NR_TIERS * 24];
	struct ta_stats_query q = { .stats_ptr = (uintptr_t)old, .size = sizeof(old) };
	struct ta_stats now;

	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_GET_STATS, &q));
	ASSERT_EQ(sizeof(struct ta_stats), q.size);
	ASSERT_EQ(0, ta_get_stats(self->fd, &now));
	for (int t = 0; t < TA_NR_TIERS; t++) {
		EXPECT_EQ(now.tier[t].reserved_bytes, old[2 + 24 * t]);
		EXPECT_EQ(now.tier[t].regions, old[2 + 24 * t + 2]);
	}

	/* Out of range is refused and changes nothing. */
	EXPECT_EQ(-EINVAL, at_set("auto_interval_ms", 0));
	EXPECT_EQ(-EINVAL, at_set("auto_hot_intervals", 5));
	EXPECT_EQ(-EINVAL, at_set("auto_demote_tier", TA_TIER_FAST));
	EXPECT_EQ(-EINVAL, at_set("auto_promote_wmark", 101));
	EXPECT_EQ(-EINVAL, at_set("auto_max_split", 17));
	EXPECT_EQ(AT_INTERVAL_MS, at_get("auto_interval_ms"));
	EXPECT_EQ(TA_TIER_SLOW, at_get("auto_demote_tier"));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * A SLOW AUTO region of which only the first half is touched: that half
 * goes to FAST within a bounded number of intervals, the rest stays on
 * SLOW, and so does a non-AUTO SLOW region touched all along.
 */
static void at_first_half(struct __test_metadata *_metadata, FIXTURE_DATA(at) * self,
			  uint32_t flags)
{
	const size_t len = 32 * TA_MIB, half = len / 2, hp = half / TA_PAGE;
	const size_t blen = 8 * TA_MIB;
	struct ta_region_create req, breq;
	uint64_t ns0 = AT_STAT(self->fd, auto_scan_ns);
	double t0 = ta_now();
	long on = 0;
	char *p, *b;
	int i;

	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | flags, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_SLOW, req.tier);
	b = ta_create_map(self->fd, blen, TA_HINT_COLD, flags, &breq);
	ASSERT_NE(NULL, b);
	/*
	 * Filling is access too: a scan in the middle of it would see the
	 * unit being written in two intervals.  Fill, then start scanning.
	 */
	ASSERT_EQ(0, at_set("auto_enabled", 0));
	ta_fill(p, len, 3);
	ta_fill(b, blen, 4);
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	/*
	 * Progress from the module's view (a page the scanner has just
	 * unmapped is invisible to move_pages(2)); the verdict from
	 * move_pages(2) once the scanner is stopped.
	 */
	for (i = 1; i <= 100; i++) {
		struct ta_region_info info;

		ta_touch(p, half);
		ta_touch(b, blen);
		ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
		on = (long)(info.resident_bytes[TA_TIER_FAST] / TA_PAGE);
		if (on >= (long)(hp * 9 / 10))
			break;
		at_sleep_intervals(1);
	}
	TH_LOG("FAST holds %ld of the %zu hot pages after %d intervals (%.1f s); scanner %.1f ms",
	       on, hp, i, ta_now() - t0, (AT_STAT(self->fd, auto_scan_ns) - ns0) / 1e6);
	EXPECT_LE(i, 100);
	at_stop();
	ta_touch(p, len);
	ta_touch(b, blen);
	EXPECT_LE((long)(hp * 9 / 10), ta_pages_on_node(p, half, self->fast));
	EXPECT_EQ(0, ta_pages_on_node(p + half, half, self->fast));
	EXPECT_EQ((long)hp, ta_pages_on_node(p + half, half, self->slow));
	EXPECT_EQ((long)(blen / TA_PAGE), ta_pages_on_node(b, blen, self->slow));
	EXPECT_EQ(len, ta_mismatch(p, len, 3));
	EXPECT_EQ(blen, ta_mismatch(b, blen, 4));
	munmap(p, len);
	munmap(b, blen);
	EXPECT_EQ(0, ta_free_handle(self->fd, req.handle));
	EXPECT_EQ(0, ta_free_handle(self->fd, breq.handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

TEST_F(at, first_half_promoted_huge)
{
	if (!self->ready)
		return;
	at_first_half(_metadata, self, TA_REGION_HUGE);
}

TEST_F(at, first_half_promoted_4k)
{
	if (!self->ready)
		return;
	at_first_half(_metadata, self, 0);
}

/*
 * Wait until @handle has @want units split (REGION_INFO auto_split),
 * touching @hot bytes at @h every interval: the intervals it took, 101 if
 * it never did.
 */
static int at_split_until(int fd, uint32_t handle, uint32_t want, char *h, size_t hot)
{
	struct ta_region_info info;
	int i;

	for (i = 1; i <= 100; i++) {
		if (h)
			ta_touch(h, hot);
		if (at_info(fd, handle, &info) || info.auto_split == want)
			break;
		at_sleep_intervals(1);
	}
	return i;
}

/*
 * Touch @hot bytes at @h every interval until move_pages(2) sees 9/10 of
 * them on node @fast (right after the touch, so they are mapped): the
 * intervals it took, 101 if it never did.
 */
static int at_heat_until(char *h, size_t hot, int fast)
{
	long want = (long)(hot / TA_PAGE) * 9 / 10;
	int i;

	for (i = 1; i <= 100; i++) {
		ta_touch(h, hot);
		if (ta_pages_on_node(h, hot, fast) >= want)
			break;
		at_sleep_intervals(1);
	}
	return i;
}

/* The piece tests: a 2 MiB unit, and the 256 KiB (4 pieces) used in it. */
#define AT_UNIT (2 * TA_MIB)
#define AT_HOT	(256 * 1024)

/*
 * A 4 KiB AUTO region of @len placed by @hint and filled with @seed, the
 * scanner off meanwhile (so that the fill is one access of every unit, not
 * a spread that splits one) and left off.
 */
static char *at_filled_4k(struct __test_metadata *_metadata, FIXTURE_DATA(at) * self, size_t len,
			  uint32_t hint, int seed, struct ta_region_create *req)
{
	char *p = ta_create_map(self->fd, len, hint, TA_REGION_AUTO, req);

	EXPECT_NE(NULL, p);
	EXPECT_EQ(0, at_set("auto_enabled", 0));
	if (p)
		ta_fill(p, len, seed);
	return p;
}

/*
 * With the scanner stopped and all of @p touched again (mapped, for
 * move_pages): of the unit at @u, the hot part at @h on FAST and the rest,
 * all of it (the hot part is whole pieces), on SLOW.
 */
static void at_expect_hot_part(struct __test_metadata *_metadata, FIXTURE_DATA(at) * self, char *p,
			       size_t len, char *u, char *h)
{
	at_stop();
	ta_touch(p, len);
	TH_LOG("the unit: %ld of its %ld pages on FAST, %ld on SLOW; hot part %ld on FAST",
	       ta_pages_on_node(u, AT_UNIT, self->fast), (long)(AT_UNIT / TA_PAGE),
	       ta_pages_on_node(u, AT_UNIT, self->slow), ta_pages_on_node(h, AT_HOT, self->fast));
	EXPECT_LE((long)(AT_HOT / TA_PAGE) * 9 / 10, ta_pages_on_node(h, AT_HOT, self->fast));
	EXPECT_EQ((long)((AT_UNIT - AT_HOT) / TA_PAGE), ta_pages_on_node(u, AT_UNIT, self->slow));
}

/* Data intact, then unmapped and freed, and the module back at its baseline. */
static void at_release(struct __test_metadata *_metadata, FIXTURE_DATA(at) * self, char *p,
		       size_t len, int seed, uint32_t handle)
{
	EXPECT_EQ(len, ta_mismatch(p, len, seed));
	munmap(p, len);
	EXPECT_EQ(0, ta_free_handle(self->fd, handle));
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * A 2 MiB unit of a 4 KiB region is tracked in pieces once its accesses
 * are seen concentrated: with only 256 KiB of one unit touched, that part
 * ends on FAST and the rest of the unit stays on SLOW, also while the hot
 * part is kept busy for a while after it came (no merge drags the rest
 * along).  Tracked whole, the unit would be promoted whole.  Then
 * auto_max_split lowered to 0 makes the busy unit whole again.
 */
TEST_F(at, hot_part_of_unit_4k)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_info info;
	char *p, *u, *h;
	int i;

	p = at_filled_4k(_metadata, self, len, TA_HINT_COLD, 11, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_SLOW, req.tier);
	u = p + AT_UNIT;
	h = u + 512 * 1024;
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	i = at_heat_until(h, AT_HOT, self->fast);
	TH_LOG("the hot part on FAST after %d intervals", i);
	EXPECT_LE(i, 100);
	/* Busy a while longer: the pieces differ, so the unit stays split. */
	for (int j = 0; j < 10; j++) {
		ta_touch(h, AT_HOT);
		at_sleep_intervals(1);
	}
	ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
	EXPECT_EQ(1, info.auto_split);
	at_expect_hot_part(_metadata, self, p, len, u, h);
	EXPECT_EQ((long)(AT_UNIT / TA_PAGE), ta_pages_on_node(p, AT_UNIT, self->slow));
	EXPECT_EQ((long)(len / 2 / TA_PAGE), ta_pages_on_node(p + len / 2, len / 2, self->slow));
	/* auto_max_split lowered to 0: the busy split unit is whole again. */
	ASSERT_EQ(0, at_set("auto_max_split", 0));
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	i = at_split_until(self->fd, req.handle, 0, h, AT_HOT);
	TH_LOG("whole again %d intervals after auto_max_split=0", i);
	EXPECT_LE(i, 100);
	at_stop();
	at_release(_metadata, self, p, len, 11, req.handle);
}

/*
 * A split unit merges back once its pieces have had the same last four
 * scans, and so gives its slot back: with one slot (auto_max_split=1), a
 * unit whose hot 256 KiB went to FAST and then went idle leaves the slot
 * to a second unit with a hot 256 KiB, so only that part of the second
 * unit comes to FAST too.  With no merge the slot stays taken and the
 * second unit, tracked whole, comes whole (512 pages).
 */
TEST_F(at, merge_frees_the_slot_4k)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB;
	struct ta_region_create req;
	struct ta_region_info info;
	char *p, *u1, *u3;
	int i;

	ASSERT_EQ(0, at_set("auto_max_split", 1));
	p = at_filled_4k(_metadata, self, len, TA_HINT_COLD, 13, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_SLOW, req.tier);
	u1 = p + AT_UNIT;
	u3 = p + 3 * AT_UNIT;
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	i = at_heat_until(u1 + 512 * 1024, AT_HOT, self->fast);
	TH_LOG("first unit's hot part on FAST after %d intervals", i);
	ASSERT_LE(i, 100);
	ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
	EXPECT_EQ(1, info.auto_split);
	/* Idle for 4 scans and more: every piece alike, the unit merges. */
	i = at_split_until(self->fd, req.handle, 0, NULL, 0);
	TH_LOG("first unit merged after %d intervals", i);
	EXPECT_LE(i, 100);
	i = at_heat_until(u3 + 1024 * 1024, AT_HOT, self->fast);
	TH_LOG("second unit's hot part on FAST after %d intervals", i);
	EXPECT_LE(i, 100);
	/* Busy a while longer, as a unit tracked whole would have come by now. */
	for (int j = 0; j < 6; j++) {
		ta_touch(u3 + 1024 * 1024, AT_HOT);
		at_sleep_intervals(1);
	}
	at_expect_hot_part(_metadata, self, p, len, u3, u3 + 1024 * 1024);
	at_release(_metadata, self, p, len, 13, req.handle);
}

/*
 * The other way: a FAST 4 KiB AUTO region of which only 256 KiB of one
 * unit is touched, with FAST over its demotion watermark (1 % of a soft
 * cap of base + 32 MiB): the idle units and the idle rest of the touched
 * unit go to SLOW, the touched part stays on FAST.  Tracked whole, the
 * touched unit is never idle and stays on FAST whole.
 */
TEST_F(at, cold_part_of_unit_demoted_4k)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB, unit = AT_UNIT;
	const long hp = (long)(AT_HOT / TA_PAGE);
	uint64_t base = self->start.tier[TA_TIER_FAST].reserved_bytes;
	struct ta_region_create req;
	struct ta_region_info info;
	char *p, *u, *h;
	long on = 0;
	int i;

	ASSERT_EQ(0, at_set("auto_demote_wmark", 1));
	p = at_filled_4k(_metadata, self, len, TA_HINT_HOT, 12, &req);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(TA_TIER_FAST, req.tier);
	u = p + unit;
	h = u + 512 * 1024;
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_FAST, base + 32 * TA_MIB, 0, TA_POLICY_ROUTE_SLOW));
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	for (i = 1; i <= 100; i++) {
		ta_touch(h, AT_HOT);
		ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
		on = (long)(info.resident_bytes[TA_TIER_FAST] / TA_PAGE);
		if (on <= hp)
			break;
		at_sleep_intervals(1);
	}
	TH_LOG("FAST holds %ld pages of the region (%ld hot) after %d intervals", on, hp, i);
	EXPECT_LE(i, 100);
	at_expect_hot_part(_metadata, self, p, len, u, h);
	EXPECT_EQ((long)(unit / TA_PAGE), ta_pages_on_node(p, unit, self->slow));
	EXPECT_EQ((long)((len - 2 * unit) / TA_PAGE),
		  ta_pages_on_node(p + 2 * unit, len - 2 * unit, self->slow));
	ta_restore_cfg(self->fd, &self->cfg);
	at_release(_metadata, self, p, len, 12, req.handle);
}

/*
 * FAST over its demotion watermark: an untouched FAST AUTO region goes to
 * SLOW, a touched one stays, and an untouched non-AUTO one never moves.
 * With the soft cap at base + 32 MiB and the watermark at 50 %, FAST is
 * over it until it holds base + 16 MiB: the hot and the non-AUTO regions'
 * 16 MiB, so all of the cold region is demoted.
 */
TEST_F(at, cold_fast_demoted)
{
	if (!self->ready)
		return;
	const size_t clen = 16 * TA_MIB, hlen = 8 * TA_MIB, nlen = 8 * TA_MIB;
	struct ta_region_create c, h, n;
	struct ta_region_info info;
	uint64_t base = self->start.tier[TA_TIER_FAST].reserved_bytes;
	char *cp, *hp, *np;
	int i;

	ASSERT_EQ(0, at_set("auto_demote_wmark", 50));
	/* The hot one first: the scanner meets it first, so it must tell. */
	hp = ta_create_map(self->fd, hlen, TA_HINT_HOT, TA_REGION_AUTO | TA_REGION_HUGE, &h);
	cp = ta_create_map(self->fd, clen, TA_HINT_HOT, TA_REGION_AUTO | TA_REGION_HUGE, &c);
	np = ta_create_map(self->fd, nlen, TA_HINT_HOT, TA_REGION_HUGE, &n);
	ASSERT_NE(NULL, cp);
	ASSERT_NE(NULL, hp);
	ASSERT_NE(NULL, np);
	ASSERT_EQ(TA_TIER_FAST, c.tier);
	ta_fill(cp, clen, 5);
	ta_fill(hp, hlen, 6);
	ta_fill(np, nlen, 7);
	ASSERT_EQ(0,
		  ta_set_caps(self->fd, TA_TIER_FAST, base + 32 * TA_MIB, 0, TA_POLICY_ROUTE_SLOW));
	/* Progress from the module's view; the verdict from move_pages(2). */
	for (i = 1; i <= 100; i++) {
		ta_touch(hp, hlen);
		at_sleep_intervals(1);
		ASSERT_EQ(0, at_info(self->fd, c.handle, &info));
		if (!info.resident_bytes[TA_TIER_FAST])
			break;
	}
	TH_LOG("cold region off FAST after %d intervals", i);
	at_stop();
	ta_touch(cp, clen);
	ta_touch(hp, hlen);
	ta_touch(np, nlen);
	EXPECT_EQ((long)(clen / TA_PAGE), ta_pages_on_node(cp, clen, self->slow));
	EXPECT_EQ((long)(hlen / TA_PAGE), ta_pages_on_node(hp, hlen, self->fast));
	EXPECT_EQ((long)(nlen / TA_PAGE), ta_pages_on_node(np, nlen, self->fast));
	EXPECT_EQ(clen, ta_mismatch(cp, clen, 5));
	EXPECT_EQ(hlen, ta_mismatch(hp, hlen, 6));
	EXPECT_EQ(nlen, ta_mismatch(np, nlen, 7));
	munmap(cp, clen);
	munmap(hp, hlen);
	munmap(np, nlen);
	ta_free_handle(self->fd, c.handle);
	ta_free_handle(self->fd, h.handle);
	ta_free_handle(self->fd, n.handle);
	ta_restore_cfg(self->fd, &self->cfg);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * Promotion never takes FAST over its hard cap: a 64 MiB hot SLOW region
 * with 16 MiB of room on FAST gets exactly that much promoted, and the
 * rest is counted as skipped for the cap.
 */
TEST_F(at, hard_cap_holds)
{
	if (!self->ready)
		return;
	const size_t len = 64 * TA_MIB, room = 16 * TA_MIB;
	uint64_t base = self->start.tier[TA_TIER_FAST].reserved_bytes;
	uint64_t skip0 = AT_STAT(self->fd, auto_skip_cap), peak = 0;
	struct ta_region_create req;
	struct ta_stats st;
	long on;
	char *p;

	ASSERT_EQ(0, at_set("auto_promote_wmark", 100));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0, base + room, TA_POLICY_ROUTE_SLOW));
	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 8);
	for (int i = 0; i < 30; i++) {
		ta_touch(p, len);
		ASSERT_EQ(0, ta_get_stats(self->fd, &st));
		if (st.tier[TA_TIER_FAST].reserved_bytes > peak)
			peak = st.tier[TA_TIER_FAST].reserved_bytes;
		at_sleep_intervals(1);
	}
	at_stop();
	ta_touch(p, len);
	on = ta_pages_on_node(p, len, self->fast);
	TH_LOG("FAST peak %lu MiB of a %lu MiB cap; %ld pages promoted",
	       (unsigned long)(peak >> 20), (unsigned long)((base + room) >> 20), on);
	EXPECT_LE(peak, base + room);
	EXPECT_EQ((long)(room / TA_PAGE), on);
	EXPECT_LT(skip0, AT_STAT(self->fd, auto_skip_cap));
	EXPECT_EQ(len, ta_mismatch(p, len, 8));
	munmap(p, len);
	ta_free_handle(self->fd, req.handle);
	ta_restore_cfg(self->fd, &self->cfg);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * The hot set jumps: 8 MiB at the start of a SLOW region is touched until
 * it is on FAST, then only another 8 MiB of it, which had been idle (and
 * so not unmapped again) for many scans.  FAST has room for 12 MiB and no
 * demotion watermark (100 %), so only the hot units that wait for room can
 * make cold ones leave: the second part ends on FAST, all of it, and at
 * least the 4 MiB it needed of the first on SLOW.
 */
TEST_F(at, hot_set_jump)
{
	if (!self->ready)
		return;
	const size_t len = 32 * TA_MIB, part = 8 * TA_MIB, room = 12 * TA_MIB;
	uint64_t base = self->start.tier[TA_TIER_FAST].reserved_bytes, peak = 0;
	const long pp = (long)(part / TA_PAGE);
	struct ta_region_create req;
	struct ta_stats st;
	long a = 0, b = 0;
	char *p, *q;
	int i, j;

	ASSERT_EQ(0, at_set("auto_promote_wmark", 100));
	ASSERT_EQ(0, at_set("auto_demote_wmark", 100));
	ASSERT_EQ(0, ta_set_caps(self->fd, TA_TIER_FAST, 0, base + room, TA_POLICY_ROUTE_SLOW));
	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	q = p + len / 2;
	ASSERT_EQ(0, at_set("auto_enabled", 0));
	ta_fill(p, len, 9);
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	for (i = 1; i <= 100 && a < pp; i++) {
		ta_touch(p, part);
		a = ta_pages_on_node(p, part, self->fast);
		at_sleep_intervals(1);
	}
	for (j = 1; j <= 100 && b < pp; j++) {
		ta_touch(q, part);
		b = ta_pages_on_node(q, part, self->fast);
		ASSERT_EQ(0, ta_get_stats(self->fd, &st));
		if (st.tier[TA_TIER_FAST].reserved_bytes > peak)
			peak = st.tier[TA_TIER_FAST].reserved_bytes;
		at_sleep_intervals(1);
	}
	TH_LOG("first part on FAST after %d intervals, second after %d more; FAST peak %lu MiB",
	       i - 1, j - 1, (unsigned long)(peak >> 20));
	at_stop();
	ta_touch(p, len);
	EXPECT_EQ(pp, ta_pages_on_node(q, part, self->fast));
	EXPECT_LE((long)((2 * part - room) / TA_PAGE), ta_pages_on_node(p, part, self->slow));
	EXPECT_LE(peak, base + room);
	EXPECT_EQ(len, ta_mismatch(p, len, 9));
	munmap(p, len);
	ta_free_handle(self->fd, req.handle);
	ta_restore_cfg(self->fd, &self->cfg);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * Per-region counters in TA_IOC_REGION_INFO: a touched AUTO region has its
 * promotions counted (the bytes move_pages(2) finds on FAST), an untouched
 * one only its scans, a plain region nothing.  The answer is
 * size-versioned: the ABI-1 size gets the old layout and not a byte more,
 * a larger size than the module's gets a zeroed tail, a smaller one or
 * one that is not a multiple of 8 is ENOTTY.
 */
TEST_F(at, region_info_stats)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB;
	struct ta_region_create h, c, n;
	struct ta_region_info hi, ci, ni;
	struct {
		struct ta_region_info info;
		uint64_t tail[4];
	} big;
	union {
		struct ta_region_info info;
		unsigned char b[sizeof(struct ta_region_info)];
	} old;
	long on = 0, written = 0;
	char *hp, *cp, *np;
	int i;

	hp = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &h);
	cp = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &c);
	np = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_HUGE, &n);
	ASSERT_NE(NULL, hp);
	ASSERT_NE(NULL, cp);
	ASSERT_NE(NULL, np);
	ASSERT_EQ(0, at_set("auto_enabled", 0));
	ta_fill(hp, len, 1);
	ta_fill(cp, len, 2);
	ta_fill(np, len, 3);
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	for (i = 1; i <= 100 && on < (long)(len / TA_PAGE); i++) {
		ta_touch(hp, len);
		ta_touch(np, len);
		on = ta_pages_on_node(hp, len, self->fast);
		at_sleep_intervals(1);
	}
	at_stop();
	ta_touch(hp, len);
	ta_touch(cp, len);
	on = ta_pages_on_node(hp, len, self->fast);
	ASSERT_EQ(0, at_info(self->fd, h.handle, &hi));
	ASSERT_EQ(0, at_info(self->fd, c.handle, &ci));
	ASSERT_EQ(0, at_info(self->fd, n.handle, &ni));
	TH_LOG("touched: %llu units scanned, %llu bytes promoted, %.1f ms; untouched: %llu scanned",
	       (unsigned long long)hi.auto_scanned, (unsigned long long)hi.auto_promoted_bytes,
	       hi.auto_scan_ns / 1e6, (unsigned long long)ci.auto_scanned);
	EXPECT_EQ((long)(len / TA_PAGE), on);
	EXPECT_EQ(len, hi.auto_promoted_bytes);
	EXPECT_EQ(0, hi.auto_demoted_bytes);
	EXPECT_LE(len / (2 * TA_MIB) * 2, hi.auto_scanned);
	EXPECT_LT(0, hi.auto_scan_ns);
	EXPECT_LE(len / (2 * TA_MIB) * 2, ci.auto_scanned);
	EXPECT_EQ(0, ci.auto_promoted_bytes);
	EXPECT_EQ(len / TA_PAGE, ta_pages_on_node(cp, len, self->slow));
	EXPECT_EQ(0, ni.auto_scanned);
	EXPECT_EQ(0, ni.auto_promoted_bytes);
	EXPECT_EQ(0, ni.auto_scan_ns);

	/* The ABI-1 layout: its bytes equal the new answer's, nothing after. */
	memset(&old, 0xa5, sizeof(old));
	old.info.handle = h.handle;
	ASSERT_EQ(0, ioctl(self->fd, TA_IOC_REGION_INFO_V1, &old.info));
	EXPECT_EQ(0, memcmp(&old.info, &hi, TA_REGION_INFO_SIZE_V1));
	for (size_t b = TA_REGION_INFO_SIZE_V1; b < sizeof(old); b++)
		written += old.b[b] != 0xa5;
	EXPECT_EQ(0, written);
	/* A caller newer than the module: a zeroed tail. */
	memset(&big, 0xa5, sizeof(big));
	big.info.handle = h.handle;
	ASSERT_EQ(0, ioctl(self->fd, _IOWR(TA_IOC_MAGIC, 0x03, big), &big));
	EXPECT_EQ(hi.auto_scanned, big.info.auto_scanned);
	EXPECT_EQ(hi.auto_promoted_bytes, big.info.auto_promoted_bytes);
	for (size_t k = 0; k < 4; k++)
		EXPECT_EQ(0, big.tail[k]);
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOC(_IOC_READ | _IOC_WRITE, TA_IOC_MAGIC, 0x03,
				 TA_REGION_INFO_SIZE_V1 - 8),
			    &big));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOC(_IOC_READ | _IOC_WRITE, TA_IOC_MAGIC, 0x03,
				 TA_REGION_INFO_SIZE_V1 + 4),
			    &big));
	EXPECT_EQ(ENOTTY, errno);

	EXPECT_EQ(len, ta_mismatch(hp, len, 1));
	munmap(hp, len);
	munmap(cp, len);
	munmap(np, len);
	ta_free_handle(self->fd, h.handle);
	ta_free_handle(self->fd, c.handle);
	ta_free_handle(self->fd, n.handle);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * A chunk with a pinned page (spliced into a pipe) stays where it is, all
 * of it, and is counted; the other hot chunks are promoted.
 */
TEST_F(at, pinned_skipped)
{
	if (!self->ready)
		return;
	const size_t len = 8 * TA_MIB, held = 16 * TA_PAGE, chunk = TA_HUGE_SIZE;
	uint64_t skip0 = AT_STAT(self->fd, auto_skip_pinned);
	struct ta_region_create req;
	struct ta_region_info info;
	struct iovec iov;
	int pfd[2], i;
	char *p, *buf;

	ASSERT_EQ(0, at_set("auto_enabled", 0));
	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 12);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_GE(fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20), (int)held);
	iov.iov_base = p;
	iov.iov_len = held;
	ASSERT_EQ((ssize_t)held, vmsplice(pfd[1], &iov, 1, 0));
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	for (i = 1; i <= 100; i++) {
		ta_touch(p, len);
		ASSERT_EQ(0, at_info(self->fd, req.handle, &info));
		if (info.resident_bytes[TA_TIER_FAST] == len - chunk &&
		    AT_STAT(self->fd, auto_skip_pinned) > skip0)
			break;
		at_sleep_intervals(1);
	}
	TH_LOG("%d intervals; %lu pinned pages skipped", i,
	       (unsigned long)(AT_STAT(self->fd, auto_skip_pinned) - skip0));
	at_stop();
	ta_touch(p, len);
	EXPECT_EQ((long)(chunk / TA_PAGE), ta_pages_on_node(p, chunk, self->slow));
	EXPECT_EQ((long)((len - chunk) / TA_PAGE),
		  ta_pages_on_node(p + chunk, len - chunk, self->fast));
	EXPECT_LE(skip0 + chunk / TA_PAGE, AT_STAT(self->fd, auto_skip_pinned));
	EXPECT_EQ(len, ta_mismatch(p, len, 12));
	buf = malloc(held);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)held, read(pfd[0], buf, held));
	EXPECT_EQ(held, ta_mismatch(buf, held, 12));
	free(buf);
	close(pfd[0]);
	close(pfd[1]);
	munmap(p, len);
	ta_free_handle(self->fd, req.handle);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * Promotion is traffic into FAST: with FAST's bucket enforcing 8 MiB/s
 * (burst 2 MiB) the promoted bytes stay within rate x time + burst, and
 * the moves the bucket would have made wait are counted as deferred.
 */
TEST_F(at, tokens_limit_promotion)
{
	if (!self->ready)
		return;
	const size_t len = 32 * TA_MIB;
	const double rate = 8.0 * TA_MIB, burst = 2.0 * TA_MIB;
	struct ta_tier_config c = {
		.tier = TA_TIER_FAST,
		.valid = TA_CFG_THROTTLE_MODE | TA_CFG_RATE | TA_CFG_BURST,
		.throttle_mode = TA_THROTTLE_ENFORCE,
		.rate = (uint64_t)rate,
		.burst = (uint64_t)burst,
	};
	uint64_t pro0 = AT_STAT(self->fd, auto_promoted_bytes);
	uint64_t tok0 = AT_STAT(self->fd, auto_skip_tokens), pro = 0;
	struct ta_region_create req;
	double t0;
	char *p;

	ASSERT_EQ(0, at_set("auto_enabled", 0));
	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 13);
	ASSERT_EQ(0, ta_set_tier(self->fd, &c));
	t0 = ta_now();
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	for (int i = 0; i < 20; i++) {
		ta_touch(p, len);
		at_sleep_intervals(1);
		pro = AT_STAT(self->fd, auto_promoted_bytes) - pro0;
		/* One chunk of slack: a charge that fits is made before it is counted. */
		EXPECT_GE(rate * (ta_now() - t0) + burst + TA_HUGE_SIZE, (double)pro);
	}
	at_stop();
	TH_LOG("%lu MiB promoted in %.1f s at 8 MiB/s; %lu moves deferred for tokens",
	       (unsigned long)(pro >> 20), ta_now() - t0,
	       (unsigned long)(AT_STAT(self->fd, auto_skip_tokens) - tok0));
	EXPECT_LT(0, pro);
	EXPECT_LT(tok0, AT_STAT(self->fd, auto_skip_tokens));
	EXPECT_EQ(len, ta_mismatch(p, len, 13));
	munmap(p, len);
	ta_free_handle(self->fd, req.handle);
	ta_restore_cfg(self->fd, &self->cfg);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/*
 * The scanner stops when asked, and lets go of regions: once the last
 * AUTO region is gone (freed, or its process exited) it does no more
 * work, and the accounting is back at its baseline.
 */
TEST_F(at, stops_and_lets_go)
{
	if (!self->ready)
		return;
	const size_t len = 16 * TA_MIB;
	struct ta_region_create req;
	uint64_t s0, s1;
	int status;
	pid_t pid;
	char *p;

	p = ta_create_map(self->fd, len, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &req);
	ASSERT_NE(NULL, p);
	ta_fill(p, len, 9);
	s0 = AT_STAT(self->fd, auto_scanned);
	at_sleep_intervals(5);
	EXPECT_LT(s0, AT_STAT(self->fd, auto_scanned));

	/* Asked to stop: nothing more is scanned while the region lives. */
	at_stop();
	s0 = AT_STAT(self->fd, auto_scanned);
	at_sleep_intervals(5);
	EXPECT_EQ(s0, AT_STAT(self->fd, auto_scanned));
	ASSERT_EQ(0, at_set("auto_enabled", 1));
	at_sleep_intervals(5);
	EXPECT_LT(s0, AT_STAT(self->fd, auto_scanned));

	/* Freed while mapped, then unmapped while the scanner runs. */
	ASSERT_EQ(0, ta_free_handle(self->fd, req.handle));
	at_sleep_intervals(2);
	munmap(p, len);

	/* A process that exits holding AUTO regions, mapped and not. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct ta_region_create r1, r2;
		int fd = ta_open_dev();
		char *q = ta_create_map(fd, len, TA_HINT_COLD, TA_REGION_AUTO, &r1);

		if (!q || ta_create(fd, len, TA_HINT_HOT, TA_REGION_AUTO | TA_REGION_HUGE, &r2))
			_exit(1);
		for (int i = 0; i < 10; i++) {
			ta_fill(q, len / 2, 10);
			usleep(AT_INTERVAL_MS * 1000);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	at_sleep_intervals(3);
	s0 = AT_STAT(self->fd, auto_scanned);
	at_sleep_intervals(5);
	s1 = AT_STAT(self->fd, auto_scanned);
	EXPECT_EQ(s0, s1);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

/* Concurrency: the scanner at full churn next to everything else. */
struct at_conc {
	int fd;
	char *x;
	size_t xlen;
	uint32_t xh;
	char *y;
	size_t ylen;
	uint32_t yh;
	atomic_bool stop;
	atomic_long errors, ops;
};

static void *at_verifier(void *arg)
{
	struct at_conc *c = arg;

	while (!atomic_load(&c->stop)) {
		if (ta_mismatch(c->x, c->xlen, 11) != c->xlen)
			atomic_fetch_add(&c->errors, 1);
		atomic_fetch_add(&c->ops, 1);
	}
	return NULL;
}

static void *at_mover(void *arg)
{
	struct at_conc *c = arg;
	struct ta_region_move m;
	unsigned int k = 0;

	while (!atomic_load(&c->stop)) {
		uint64_t off = (uint64_t)(k % (c->xlen / TA_HUGE_SIZE)) * TA_HUGE_SIZE;

		ta_move(c->fd, c->xh, k % TA_NR_TIERS, off, TA_HUGE_SIZE, TA_MOVE_PARTIAL, &m);
		k++;
		atomic_fetch_add(&c->ops, 1);
	}
	return NULL;
}

static void *at_discarder(void *arg)
{
	struct at_conc *c = arg;
	struct ta_region_discard d = { .handle = c->yh };
	unsigned int k = 0;

	while (!atomic_load(&c->stop)) {
		d.offset = (uint64_t)(k % (c->ylen / TA_PAGE / 64)) * 64 * TA_PAGE;
		d.length = 64 * TA_PAGE;
		ioctl(c->fd, TA_IOC_REGION_DISCARD, &d);
		memset(c->y + d.offset, 0x5a, d.length);
		/* A few pieces of each unit: the units split and merge meanwhile. */
		for (size_t off = 0; off < c->ylen; off += AT_UNIT)
			ta_touch(c->y + off, AT_HOT);
		k++;
		atomic_fetch_add(&c->ops, 1);
	}
	return NULL;
}

TEST_F(at, concurrent_churn)
{
	if (!self->ready)
		return;
	struct at_conc c = { .fd = self->fd, .xlen = 16 * TA_MIB, .ylen = 8 * TA_MIB };
	struct ta_region_create xr, yr;
	pthread_t th[3];
	int forks = 0, clones = 0;
	uint32_t split = 0;
	double t0;

	/* Everything hot promotes, everything cold demotes, at once. */
	ASSERT_EQ(0, at_set("auto_interval_ms", 10));
	ASSERT_EQ(0, at_set("auto_hot_intervals", 1));
	ASSERT_EQ(0, at_set("auto_cold_intervals", 1));
	ASSERT_EQ(0, at_set("auto_min_residence_ms", 0));
	ASSERT_EQ(0, at_set("auto_demote_wmark", 1));
	ASSERT_EQ(0, at_set("auto_promote_wmark", 100));
	c.x = ta_create_map(self->fd, c.xlen, TA_HINT_COLD, TA_REGION_AUTO | TA_REGION_HUGE, &xr);
	c.y = ta_create_map(self->fd, c.ylen, TA_HINT_HOT, TA_REGION_AUTO, &yr);
	ASSERT_NE(NULL, c.x);
	ASSERT_NE(NULL, c.y);
	c.xh = xr.handle;
	c.yh = yr.handle;
	ta_fill(c.x, c.xlen, 11);
	memset(c.y, 0x5a, c.ylen);
	ASSERT_EQ(0, pthread_create(&th[0], NULL, at_verifier, &c));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, at_mover, &c));
	ASSERT_EQ(0, pthread_create(&th[2], NULL, at_discarder, &c));
	for (t0 = ta_now(); ta_now() - t0 < 4;) {
		struct ta_region_clone cl = { .src_fd = self->fd, .src_handle = xr.handle };
		int status;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			/* The child maps X shared: check it and leave. */
			_exit(ta_mismatch(c.x, c.xlen, 11) != c.xlen);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		forks++;
		struct ta_region_info info;

		if (!at_info(self->fd, yr.handle, &info) && info.auto_split > split)
			split = info.auto_split;
		if (!ioctl(self->fd, TA_IOC_REGION_CLONE, &cl)) {
			char *q = mmap(NULL, cl.size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
				       cl.offset);

			ASSERT_NE(MAP_FAILED, q);
			EXPECT_EQ(c.xlen, ta_mismatch(q, c.xlen, 11));
			usleep(20 * 1000);
			munmap(q, cl.size);
			ta_free_handle(self->fd, cl.handle);
			clones++;
		}
	}
	atomic_store(&c.stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%ld operations, %d forks, %d clones, up to %u units split; %lu promoted, %lu "
	       "demoted bytes",
	       atomic_load(&c.ops), forks, clones, split,
	       (unsigned long)AT_STAT(self->fd, auto_promoted_bytes),
	       (unsigned long)AT_STAT(self->fd, auto_demoted_bytes));
	EXPECT_EQ(0, atomic_load(&c.errors));
	EXPECT_LT(0, clones);
	EXPECT_LT(0, split);
	at_stop();
	EXPECT_EQ(c.xlen, ta_mismatch(c.x, c.xlen, 11));
	munmap(c.x, c.xlen);
	munmap(c.y, c.ylen);
	ta_free_handle(self->fd, xr.handle);
	ta_free_handle(self->fd, yr.handle);
	ta_settle();
	ta_expect_baseline(self->fd, &self->start);
}

TEST_HARNESS_MAIN
