// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl tests that need no module: size and "set" parsing, usage
 * errors, the missing-module message, and the sysfs read path against a
 * fake sysfs tree (the device is /dev/null, which answers ENOTTY).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tieralloc_shm.h"

#include "kselftest_harness.h"
#include "ctl/ctl.h"
#include "ctl_run.h"

static const struct {
	const char *in;
	uint64_t v;
} good_sizes[] = {
	{ "0", 0 },
	{ "none", 0 },
	{ "NONE", 0 },
	{ "4096", 4096 },
	{ "4k", 4096 },
	{ "4K", 4096 },
	{ "4KiB", 4096 },
	{ "4kb", 4096 },
	{ "4b", 4 },
	{ "64M", 64ULL << 20 },
	{ "64m", 64ULL << 20 },
	{ "1.5G", 3ULL << 29 },
	{ "1.5g", 3ULL << 29 },
	{ "2T", 2ULL << 40 },
	{ "0.5k", 512 },
	{ "0.25M", 256 << 10 },
	{ "007", 7 },
	{ "16777215T", 16777215ULL << 40 },
	{ "18446744073709551615", UINT64_MAX },
};

static const char *const bad_sizes[] = {
	"",
	"-1",
	"4X",
	"1.3K",
	"1.",
	".5K",
	"K",
	"1 G",
	"1G ",
	" 1G",
	"1GG",
	"1.5",
	"18446744073709551616",
	"16777216T",
	"0x10",
	"1e3",
	"4Gs",
	"1.1234567G",
	"4G/s",
	"nonee",
	"+4",
};

TEST(size_good)
{
	for (size_t i = 0; i < sizeof(good_sizes) / sizeof(good_sizes[0]); i++) {
		const char *why = NULL;
		uint64_t v = 12345;

		ASSERT_EQ(0, ctl_parse_size(good_sizes[i].in, &v, &why))
		TH_LOG("'%s' rejected: %s", good_sizes[i].in, why);
		EXPECT_EQ(good_sizes[i].v, v) TH_LOG("'%s'", good_sizes[i].in);
	}
}

TEST(size_bad)
{
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		const char *why = NULL;
		uint64_t v = 0;

		EXPECT_EQ(-1, ctl_parse_size(bad_sizes[i], &v, &why))
		TH_LOG("'%s' accepted as %llu", bad_sizes[i], (unsigned long long)v);
		EXPECT_NE(NULL, why);
	}
}

TEST(rate)
{
	const char *why;
	uint64_t v;

	ASSERT_EQ(0, ctl_parse_rate("1G/s", &v, &why));
	EXPECT_EQ(1ULL << 30, v);
	ASSERT_EQ(0, ctl_parse_rate("5m/S", &v, &why));
	EXPECT_EQ(5ULL << 20, v);
	ASSERT_EQ(0, ctl_parse_rate("none", &v, &why));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-1, ctl_parse_rate("/s", &v, &why));
	EXPECT_EQ(-1, ctl_parse_rate("1G/m", &v, &why));
}

TEST(parse_uint)
{
	uint64_t v;

	ASSERT_EQ(0, ctl_parse_uint("3", 10, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(-1, ctl_parse_uint("11", 10, &v));
	EXPECT_EQ(-1, ctl_parse_uint("", 10, &v));
	EXPECT_EQ(-1, ctl_parse_uint("-1", 10, &v));
	EXPECT_EQ(-1, ctl_parse_uint("1x", 10, &v));
}

TEST(tier_names)
{
	EXPECT_EQ(TA_TIER_FAST, ctl_tier_from_name("fast"));
	EXPECT_EQ(TA_TIER_NORMAL, ctl_tier_from_name("Normal"));
	EXPECT_EQ(TA_TIER_SLOW, ctl_tier_from_name("SLOW"));
	EXPECT_EQ(-1, ctl_tier_from_name("medium"));
	EXPECT_EQ(-1, ctl_tier_from_name(""));
	EXPECT_STREQ("slow", ctl_tier_name(TA_TIER_SLOW));
}

/*
 * The stats fields are the UAPI's TA_TIER_STAT_NAMES: one name per __u64 of
 * struct ta_tier_stats, none missing or repeated, each at its field, and
 * of the kind its name says.
 */
TEST(stat_names)
{
	struct ta_tier_stats s;

	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		ASSERT_NE(NULL, ctl_stat_names[i]) TH_LOG("field %zu has no name", i);
		EXPECT_EQ((int)i, ctl_stat_index(ctl_stat_names[i]))
		TH_LOG("%s", ctl_stat_names[i]);
	}
	EXPECT_EQ(-1, ctl_stat_index("no_such_field"));
	memset(&s, 0, sizeof(s));
	ctl_stat_set(&s, (size_t)ctl_stat_index("migrate_skipped"), 77);
	EXPECT_EQ(77, s.migrate_skipped);
	s.huge_fallbacks = 5;
	EXPECT_EQ(5, ctl_stat(&s, (size_t)ctl_stat_index("huge_fallbacks")));
	EXPECT_EQ(CTL_BYTES, ctl_stat_kind((size_t)ctl_stat_index("resident_bytes")));
	EXPECT_EQ(CTL_BYTES, ctl_stat_kind((size_t)ctl_stat_index("bytes_moved_out")));
	EXPECT_EQ(CTL_NS, ctl_stat_kind((size_t)ctl_stat_index("throttle_wait_ns")));
	EXPECT_EQ(CTL_COUNT, ctl_stat_kind((size_t)ctl_stat_index("pages_moved_in")));
	EXPECT_EQ(CTL_COUNT, ctl_stat_kind((size_t)ctl_stat_index("regions")));
}

/*
 * stats --pid reads the record libta_preload.so publishes (libta/include/tieralloc_shm.h):
 * made here by hand for this process, with every libta counter
 * (TA_LIB_TIER_COUNTERS) set to its own value.  Each shows as its field of
 * struct ta_tier_stats, except the large-block gauges, which the kernel
 * does not count; the kernel backend shows as one open file.
 */
#define LIB_COUNTER_NAME(f) #f,
static const char *const lib_counters[] = { TA_LIB_TIER_COUNTERS(LIB_COUNTER_NAME) };
#undef LIB_COUNTER_NAME
#define NR_LIB_COUNTERS (sizeof(lib_counters) / sizeof(lib_counters[0]))

static uint64_t lib_value(unsigned int t, size_t c)
{
	return 1000000 * (t + 1) + 1000 + c;
}

TEST(pid_stats_from_shm)
{
	static const char *const tiers[] = { "fast", "normal", "slow" };
	struct ta_shm_stats *m;
	json_object *root, *jt, *v;
	char path[64], pid[16];
	struct ctl_out o;
	int fd;

	snprintf(path, sizeof(path), "%s/%s%d", TA_SHM_DIR, TA_SHM_PREFIX, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, sizeof(*m)));
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, m);
	m->magic = TA_SHM_MAGIC;
	m->version = TA_SHM_VERSION;
	m->size = sizeof(*m);
	m->pid = getpid();
	m->backend = TA_BACKEND_KERNEL;
	snprintf(m->comm, sizeof(m->comm), "ctl_host_test");
	for (unsigned int t = 0; t < TA_SHM_NR_TIERS; t++) {
		size_t c = 0;

#define SET_COUNTER(f) m->tier[t].f = lib_value(t, c++);
		TA_LIB_TIER_COUNTERS(SET_COUNTER)
#undef SET_COUNTER
	}

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", "--raw", "--pid", pid, NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "libta kernel backend")) TH_LOG("%s", o.out);
	EXPECT_EQ(TA_NR_TIER_STATS, ctl_check_stats_rows(_metadata, o.out, NULL));
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", "--json", "--pid", pid, NULL))
	TH_LOG("%s", o.err);
	munmap(m, sizeof(*m));
	unlink(path);

	root = json_tokener_parse(o.out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", o.out);
	ASSERT_TRUE(json_object_object_get_ex(root, "open_files", &v));
	EXPECT_EQ(1, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(root, "tiers", &v));
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		ASSERT_TRUE(json_object_object_get_ex(v, tiers[t], &jt));
		for (size_t c = 0; c < NR_LIB_COUNTERS; c++) {
			const char *name = lib_counters[c];
			bool shown = false, large = !strncmp(name, "large_", 6);
			json_object *jv;

			/* the same name is the same field; the others are renamed */
			if (json_object_object_get_ex(jt, name, &jv))
				EXPECT_EQ(lib_value(t, c), json_object_get_uint64(jv))
			TH_LOG("%s", name);
			json_object_object_foreach(jt, key, val)
			{
				(void)key;
				shown |= json_object_get_uint64(val) == lib_value(t, c);
			}
			EXPECT_EQ(!large, shown) TH_LOG("%s.%s", tiers[t], name);
		}
	}
	json_object_put(root);
}

static int parse_all(struct ctl_set *set, const char *const *args, char *err, size_t len)
{
	ctl_set_init(set);
	for (; *args; args++)
		if (ctl_set_parse(set, *args, err, len))
			return -1;
	return 0;
}

TEST(set_every_setting)
{
	static const char *const args[] = {
		"fast.soft_cap=4G",
		"fast.hard_cap=6g",
		"fast.node=0",
		"slow.policy=fail",
		"normal.policy=route_slow",
		"throttle.slow.rate=1G/s",
		"throttle.slow.burst=64M",
		"throttle.slow.mode=enforce",
		"normal.rate=100M",
		"normal.burst=1M",
		"normal.throttle_mode=account",
		"slow.node=2",
		"slow.hard_cap=0",
		NULL,
	};
	struct ctl_set set;
	char err[256] = "";

	ASSERT_EQ(0, parse_all(&set, args, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(TA_TIER_FAST, set.cfg[0].tier);
	EXPECT_EQ(TA_CFG_SOFT_CAP | TA_CFG_HARD_CAP | TA_CFG_NODE, set.cfg[0].valid);
	EXPECT_EQ(4ULL << 30, set.cfg[0].soft_cap);
	EXPECT_EQ(6ULL << 30, set.cfg[0].hard_cap);
	EXPECT_EQ(0, set.cfg[0].node);

	EXPECT_EQ(TA_TIER_NORMAL, set.cfg[1].tier);
	EXPECT_EQ(TA_CFG_POLICY | TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE,
		  set.cfg[1].valid);
	EXPECT_EQ(TA_POLICY_ROUTE_SLOW, set.cfg[1].policy);
	EXPECT_EQ(100ULL << 20, set.cfg[1].rate);
	EXPECT_EQ(1ULL << 20, set.cfg[1].burst);
	EXPECT_EQ(TA_THROTTLE_ACCOUNT, set.cfg[1].throttle_mode);

	EXPECT_EQ(TA_TIER_SLOW, set.cfg[2].tier);
	EXPECT_EQ(TA_CFG_POLICY | TA_CFG_RATE | TA_CFG_BURST | TA_CFG_THROTTLE_MODE | TA_CFG_NODE |
			  TA_CFG_HARD_CAP,
		  set.cfg[2].valid);
	EXPECT_EQ(TA_POLICY_FAIL, set.cfg[2].policy);
	EXPECT_EQ(1ULL << 30, set.cfg[2].rate);
	EXPECT_EQ(64ULL << 20, set.cfg[2].burst);
	EXPECT_EQ(TA_THROTTLE_ENFORCE, set.cfg[2].throttle_mode);
	EXPECT_EQ(2, set.cfg[2].node);
	EXPECT_EQ(0, set.cfg[2].hard_cap);
}

TEST(set_all_tiers)
{
	static const char *const args[] = { "policy=fail", "throttle.mode=enforce", NULL };
	struct ctl_set set;
	char err[256] = "";

	ASSERT_EQ(0, parse_all(&set, args, err, sizeof(err))) TH_LOG("%s", err);
	for (int t = 0; t < TA_NR_TIERS; t++) {
		EXPECT_EQ(TA_CFG_POLICY | TA_CFG_THROTTLE_MODE, set.cfg[t].valid);
		EXPECT_EQ(TA_POLICY_FAIL, set.cfg[t].policy);
		EXPECT_EQ(TA_THROTTLE_ENFORCE, set.cfg[t].throttle_mode);
	}
}

TEST(set_errors)
{
	static const struct {
		const char *args[3];
		const char *msg;
	} cases[] = {
		{ { "fast.soft_cap=4X" }, "bad size '4X' for fast.soft_cap" },
		{ { "fast.hard_cap=" }, "missing value" },
		{ { "fast.hard_cap" }, "expected KEY=VALUE" },
		{ { "=4G" }, "missing key" },
		{ { "medium.soft_cap=1G" }, "unknown tier 'medium'" },
		{ { "fast.softcap=1G" }, "unknown setting 'fast.softcap'" },
		{ { "fast..soft_cap=1G" }, "unknown setting" },
		{ { "fast.soft_cap.x=1G" }, "unknown setting" },
		{ { "throttle.fast.speed=1G" }, "unknown setting 'throttle.fast.speed'" },
		{ { "throttle.medium.rate=1G" }, "unknown tier 'medium'" },
		{ { "fast.node=-1" }, "bad NUMA node '-1'" },
		{ { "fast.node=x" }, "bad NUMA node" },
		{ { "fast.policy=drop" }, "bad policy 'drop'" },
		{ { "policy=maybe" }, "bad policy 'maybe'" },
		{ { "throttle.fast.mode=strict" }, "bad throttle mode 'strict'" },
		{ { "throttle.fast.rate=1G/min" }, "bad size '1G/min'" },
		{ { "fast.soft_cap=1G", "fast.soft_cap=2G" }, "set twice" },
		{ { "fast.policy=fail", "policy=fail" }, "fast.policy is set twice" },
		{ { "throttle.slow.rate=1G", "slow.rate=1G" }, "set twice" },
		{ { "soft_cap=1G" }, "unknown setting 'soft_cap'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_set set;
		char err[256] = "";
		const char *args[4] = { cases[i].args[0], cases[i].args[1], cases[i].args[2],
					NULL };

		EXPECT_EQ(-1, parse_all(&set, args, err, sizeof(err)))
		TH_LOG("'%s' accepted", args[0]);
		EXPECT_NE(NULL, strstr(err, cases[i].msg))
		TH_LOG("'%s': got '%s', want '%s'", args[0], err, cases[i].msg);
	}
}

TEST(format)
{
	char b[32];

	EXPECT_STREQ("0", ctl_fmt_size(0, b, sizeof(b)));
	EXPECT_STREQ("1023", ctl_fmt_size(1023, b, sizeof(b)));
	EXPECT_STREQ("4K", ctl_fmt_size(4096, b, sizeof(b)));
	EXPECT_STREQ("1.5G", ctl_fmt_size(3ULL << 29, b, sizeof(b)));
	EXPECT_STREQ("16.0E", ctl_fmt_size(UINT64_MAX, b, sizeof(b)));
	EXPECT_STREQ("850ns", ctl_fmt_ns(850, b, sizeof(b)));
	EXPECT_STREQ("1.50s", ctl_fmt_ns(1500000000, b, sizeof(b)));
	EXPECT_STREQ("-", ctl_fmt_info(0, b, sizeof(b)));
	EXPECT_STREQ("hmat,shared",
		     ctl_fmt_info(TA_TIER_INFO_HMAT | TA_TIER_INFO_SHARED, b, sizeof(b)));
	EXPECT_STREQ(
		"override,offline,0x20",
		ctl_fmt_info(TA_TIER_INFO_OVERRIDE | TA_TIER_INFO_OFFLINE | 0x20, b, sizeof(b)));
}

/* ---- the program itself ---- */

static const char *const nodev_env[] = {
	"TIERALLOCCTL_DEVICE=/nonexistent/tieralloc",
	NULL,
};

TEST(cli_usage)
{
	struct ctl_out o;

	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, NULL));
	EXPECT_NE(NULL, strstr(o.err, "Usage: tierallocctl"));
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "help", NULL));
	EXPECT_NE(NULL, strstr(o.out, "stats --json keys"));
	/* every stats field, as a word */
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		char sp[64], nl[64];

		snprintf(sp, sizeof(sp), " %s ", ctl_stat_names[i]);
		snprintf(nl, sizeof(nl), " %s\n", ctl_stat_names[i]);
		EXPECT_TRUE(strstr(o.out, sp) || strstr(o.out, nl))
		TH_LOG("help lacks %s", ctl_stat_names[i]);
	}
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "--help", NULL));
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, "frobnicate", NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown command 'frobnicate'")) TH_LOG("%s", o.err);
}

TEST(cli_bad_arguments)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{ { "set", "fast.soft_cap=4X" }, "bad size '4X' for fast.soft_cap" },
		{ { "set", "fast.soft_cap=1G", "slow.hard_cap=12Q" },
		  "bad size '12Q' for slow.hard_cap" },
		{ { "set" }, "nothing to set" },
		{ { "set", "bogus.soft_cap=1G" }, "unknown tier 'bogus'" },
		{ { "stats", "--jsn" }, "unknown argument '--jsn'" },
		{ { "stats", "--pid" }, "needs a process id" },
		{ { "stats", "--pid", "abc" }, "bad process id 'abc'" },
		{ { "tiers", "extra" }, "unexpected argument 'extra'" },
		{ { "watch", "--interval", "0" }, "bad interval '0'" },
		{ { "watch", "--interval", "1s" }, "bad interval '1s'" },
		{ { "watch", "--count", "0" }, "bad count '0'" },
		{ { "watch", "--count" }, "needs a value" },
		{ { "version", "x" }, "unexpected argument 'x'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_out o;

		EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, nodev_env, cases[i].args[0],
				     cases[i].args[1], cases[i].args[2], cases[i].args[3], NULL))
		TH_LOG("%s %s: %s", cases[i].args[0], cases[i].args[1], o.err);
		EXPECT_NE(NULL, strstr(o.err, cases[i].msg))
		TH_LOG("got '%s', want '%s'", o.err, cases[i].msg);
	}
}

TEST(cli_missing_module)
{
	static const char *const cmds[][3] = {
		{ "tiers" },
		{ "stats" },
		{ "stats", "--json" },
		{ "set", "fast.soft_cap=1G" },
		{ "watch", "--count", "1" },
		{ "version" },
	};
	struct ctl_out o;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(3, ctl_run(&o, CTL_RUN_NOUID, nodev_env, cmds[i][0], cmds[i][1],
				     cmds[i][2], NULL))
		TH_LOG("%s: %s", cmds[i][0], o.err);
		EXPECT_NE(NULL, strstr(o.err, "/nonexistent/tieralloc not found: is tieralloc.ko "
					      "loaded? (see README)"))
		TH_LOG("%s: %s", cmds[i][0], o.err);
	}
	/* The default path, when this machine has no module. */
	if (access(TIERALLOC_DEVICE, F_OK)) {
		EXPECT_EQ(3, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", NULL));
		EXPECT_STREQ("/dev/tieralloc not found: is tieralloc.ko loaded? (see README)\n",
			     o.err);
	}
}

TEST(cli_pid_not_supported)
{
	struct ctl_out o;

	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", "--pid", "1", NULL));
	EXPECT_NE(NULL, strstr(o.err, "not supported yet"));
}

TEST(fmt_exact)
{
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {
		{ 0, "0" },
		{ 1, "1" },
		{ 1000, "1000" },
		{ 4096, "4K" },
		{ 4097, "4097" },
		{ 3ULL << 29, "1536M" },
		{ 16ULL << 30, "16G" },
		{ 1ULL << 40, "1T" },
		{ 1ULL << 50, "1024T" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char b[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why;
		uint64_t v;

		EXPECT_STREQ(cases[i].s, ctl_fmt_exact(cases[i].v, b, sizeof(b)));
		ASSERT_EQ(0, ctl_parse_size(b, &v, &why));
		EXPECT_EQ(cases[i].v, v);
	}
}

static int parse_text(struct ctl_set *set, const char *text, char *err, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ctl_set_init(set);
	ret = ctl_set_parse_file(set, f, "t.conf", err, len);
	fclose(f);
	return ret;
}

TEST(config_file)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "fast.soft_cap=1G\nfast.hard_cap=2X\n", "t.conf:2: bad size '2X'" },
		{ "# c\n\nfast.soft_cap=1G # x\nfast.soft_cap=2G\n",
		  "t.conf:4: fast.soft_cap: fast.soft_cap is set twice" },
		{ "fast.soft_cap = 1G\n", "t.conf:1: bad setting 'fast.soft_cap'" },
		{ "policy=fail\nslow.policy=fail\n",
		  "t.conf:2: slow.policy: slow.policy is set twice" },
		{ "middle.node=1\n", "t.conf:1: unknown tier 'middle'" },
		{ "auto_x=1\nauto_x=2\n", "t.conf:2: auto_x is set twice" },
		{ "auto_x/../y=1\n", "t.conf:1: unknown setting 'auto_x/../y'" },
		{ "auto_x=-1\n", "t.conf:1: bad value '-1' for auto_x: expected a whole number" },
		{ "auto_x=4294967296\n", "t.conf:1: bad value '4294967296'" },
	};
	struct ctl_set set;
	char err[512];

	ASSERT_EQ(0, parse_text(&set, "", err, sizeof(err)));
	for (int t = 0; t < TA_NR_TIERS; t++)
		EXPECT_EQ(0, set.cfg[t].valid);
	ASSERT_EQ(0, parse_text(&set,
				"# comment\n\t fast.soft_cap=1G   fast.hard_cap=2G\r\n"
				"policy=fail #fast.node=9\nthrottle.slow.rate=1G/s",
				err, sizeof(err)))
	TH_LOG("%s", err);
	EXPECT_EQ(TA_CFG_SOFT_CAP | TA_CFG_HARD_CAP | TA_CFG_POLICY, set.cfg[0].valid);
	EXPECT_EQ(1ULL << 30, set.cfg[0].soft_cap);
	EXPECT_EQ(2ULL << 30, set.cfg[0].hard_cap);
	EXPECT_EQ(TA_CFG_POLICY, set.cfg[1].valid);
	EXPECT_EQ(TA_CFG_POLICY | TA_CFG_RATE, set.cfg[2].valid);
	EXPECT_EQ(1ULL << 30, set.cfg[2].rate);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, parse_text(&set, bad[i].text, err, sizeof(err)));
		EXPECT_EQ(0, strncmp(err, bad[i].err, strlen(bad[i].err)))
		TH_LOG("want '%s', got '%s'", bad[i].err, err);
	}
}

/* show-config's text, read back by apply's parser, is the same settings. */
TEST(config_round_trip)
{
	struct ta_tier_config cfg[TA_NR_TIERS] = {
		{ .tier = 0,
		  .node = 0,
		  .policy = TA_POLICY_ROUTE_SLOW,
		  .soft_cap = 3ULL << 29,
		  .hard_cap = 16ULL << 30,
		  .info_flags = TA_TIER_INFO_HMAT,
		  .burst = 1 << 20 },
		{ .tier = 1,
		  .node = 3,
		  .policy = TA_POLICY_FAIL,
		  .throttle_mode = TA_THROTTLE_ENFORCE,
		  .info_flags = TA_TIER_INFO_OVERRIDE,
		  .rate = 12345ULL << 12,
		  .burst = 4097 },
		{ .tier = 2, .node = 2, .soft_cap = 1, .hard_cap = UINT64_MAX, .rate = 1ULL << 40 },
	};
	char *text = NULL, err[512];
	size_t len = 0;
	struct ctl_set set;
	FILE *f = open_memstream(&text, &len);

	ASSERT_NE(NULL, f);
	ctl_print_config(f, cfg);
	fclose(f);
	ASSERT_EQ(0, parse_text(&set, text, err, sizeof(err))) TH_LOG("%s\n%s", err, text);
	for (int t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_tier_config *a = &cfg[t], *b = &set.cfg[t];
		uint32_t node = a->info_flags & TA_TIER_INFO_OVERRIDE ? TA_CFG_NODE : 0;

		EXPECT_EQ((TA_CFG_ALL & ~TA_CFG_NODE) | node, b->valid) TH_LOG("%s", text);
		if (node)
			EXPECT_EQ(a->node, b->node);
		EXPECT_EQ(a->soft_cap, b->soft_cap);
		EXPECT_EQ(a->hard_cap, b->hard_cap);
		EXPECT_EQ(a->policy, b->policy);
		EXPECT_EQ(a->throttle_mode, b->throttle_mode);
		EXPECT_EQ(a->rate, b->rate);
		EXPECT_EQ(a->burst, b->burst);
	}
	EXPECT_NE(NULL, strstr(text, "# fast.node=0 (discovered)\nfast.soft_cap=1536M\n"))
	TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "\nnormal.node=3\n")) TH_LOG("%s", text);
	free(text);
}

/* ---- sysfs fallback against a fake tree ---- */

FIXTURE(fake_sysfs)
{
	char dir[64];
	char env_sysfs[128];
	char env_params[128];
	const char *env[4];
};

static void put(const char *dir, const char *tier, const char *attr, const char *val)
{
	char path[256];
	FILE *f;

	if (tier) {
		snprintf(path, sizeof(path), "%s/%s", dir, tier);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%s/%s", dir, tier, attr);
	} else {
		snprintf(path, sizeof(path), "%s/%s", dir, attr);
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", val);
		fclose(f);
	}
}

/* The value of stats field @i of tier @t in the fake tree. */
static uint64_t fake_stat(int t, size_t i)
{
	return (uint64_t)(t + 1) * 1000 + i;
}

FIXTURE_SETUP(fake_sysfs)
{
	static const char *const tiers[] = { "fast", "normal", "slow" };
	char v[32];

	strcpy(self->dir, "/tmp/tierallocctl-sysfs-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	put(self->dir, NULL, "abi_version", "1");
	for (int t = 0; t < 3; t++) {
		snprintf(v, sizeof(v), "%d", t);
		put(self->dir, tiers[t], "node", v);
		put(self->dir, tiers[t], "soft_cap", t == 0 ? "4294967296" : "0");
		put(self->dir, tiers[t], "hard_cap", t == 0 ? "8589934592" : "0");
		put(self->dir, tiers[t], "policy", t == 2 ? "fail" : "route_slow");
		put(self->dir, tiers[t], "throttle_mode", t == 2 ? "enforce" : "account");
		put(self->dir, tiers[t], "rate", t == 2 ? "1073741824" : "0");
		put(self->dir, tiers[t], "burst", t == 2 ? "67108864" : "0");
		put(self->dir, tiers[t], "read_latency_ns", t == 0 ? "80" : "0");
		put(self->dir, tiers[t], "read_bandwidth_mbps", t == 0 ? "100000" : "0");
		put(self->dir, tiers[t], "node_capacity", "17179869184");
		put(self->dir, tiers[t], "node_free", "8589934592");
		put(self->dir, tiers[t], "info_flags", t == 0 ? "1" : "12");
		for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)fake_stat(t, i));
			put(self->dir, tiers[t], ctl_stat_names[i], v);
		}
	}
	/* The module's parameters: two auto_* ones, and one that is no tunable of it. */
	put(self->dir, "parameters", "auto_interval_ms", "1000");
	put(self->dir, "parameters", "auto_enabled", "1");
	put(self->dir, "parameters", "max_regions_per_user", "65536");
	snprintf(self->env_sysfs, sizeof(self->env_sysfs), "TIERALLOCCTL_SYSFS=%s", self->dir);
	snprintf(self->env_params, sizeof(self->env_params), "TIERALLOCCTL_PARAMS=%s/parameters",
		 self->dir);
	self->env[0] = "TIERALLOCCTL_DEVICE=/dev/null";
	self->env[1] = self->env_sysfs;
	self->env[2] = self->env_params;
	self->env[3] = NULL;
}

FIXTURE_TEARDOWN(fake_sysfs)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

TEST_F(fake_sysfs, tiers)
{
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "tiers", NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "TIER")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "fast")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "4G")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "8G")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "enforce")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "hmat")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "override,shared")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "100000")) TH_LOG("%s", o.out);
}

TEST_F(fake_sysfs, stats_table)
{
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", "--raw", NULL))
	TH_LOG("%s", o.err);
	/* live regions = sum of the tiers' regions (stats field 2) */
	EXPECT_NE(NULL, strstr(o.out, "live regions: 6006  open files: 0")) TH_LOG("%s", o.out);
	/* Every field of struct ta_tier_stats, in order, with its exact values. */
	EXPECT_EQ(TA_NR_TIER_STATS, ctl_check_stats_rows(_metadata, o.out, fake_stat))
	TH_LOG("%s", o.out);
}

TEST_F(fake_sysfs, stats_json)
{
	static const char *const tiers[] = { "fast", "normal", "slow" };
	json_object *root, *o_tiers, *tot, *v;
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", "--json", NULL))
	TH_LOG("%s", o.err);
	root = json_tokener_parse(o.out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", o.out);
	ASSERT_TRUE(json_object_object_get_ex(root, "live_regions", &v));
	EXPECT_EQ(fake_stat(0, 2) + fake_stat(1, 2) + fake_stat(2, 2), json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(root, "open_files", &v));
	EXPECT_EQ(0, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(root, "tiers", &o_tiers));
	ASSERT_TRUE(json_object_object_get_ex(root, "totals", &tot));
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		const char *name = ctl_stat_names[i];
		uint64_t sum = 0;

		for (int t = 0; t < 3; t++) {
			json_object *jt;

			ASSERT_TRUE(json_object_object_get_ex(o_tiers, tiers[t], &jt));
			ASSERT_TRUE(json_object_object_get_ex(jt, name, &v))
			TH_LOG("%s.%s missing", tiers[t], name);
			EXPECT_EQ(fake_stat(t, i), json_object_get_uint64(v));
			sum += fake_stat(t, i);
		}
		ASSERT_TRUE(json_object_object_get_ex(tot, name, &v));
		EXPECT_EQ(sum, json_object_get_uint64(v));
	}
	json_object_put(root);
}

TEST_F(fake_sysfs, version_and_watch)
{
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "version", NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "module ABI version:       1")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "tiers:                    3")) TH_LOG("%s", o.out);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "watch", "--interval", "0.05", "--count",
			     "2", NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "rates/s:")) TH_LOG("%s", o.out);
}

TEST_F(fake_sysfs, broken_attribute)
{
	struct ctl_out o;

	put(self->dir, "slow", "policy", "sometimes");
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, self->env, "tiers", NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown value 'sometimes'")) TH_LOG("%s", o.err);
	put(self->dir, "fast", "regions", "many");
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", NULL));
	EXPECT_NE(NULL, strstr(o.err, "not a number: 'many'")) TH_LOG("%s", o.err);
}

TEST_F(fake_sysfs, set_needs_ioctl)
{
	struct ctl_out o;

	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, self->env, "set", "fast.soft_cap=1G", NULL));
	EXPECT_NE(NULL, strstr(o.err, "does not support TA_IOC_SET_TIER")) TH_LOG("%s", o.err);
}

/* Read @attr of @tier in the fake tree, without the newline. */
static void get(const char *dir, const char *tier, const char *attr, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s/%s", dir, tier, attr);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool is_stats_field(const char *name)
{
	return ctl_stat_index(name) >= 0;
}

/*
 * tiers --json: every key of .TIER is a file TIER/KEY of the sysfs tree with
 * the same value, and every configuration file of the tree is a key.
 */
TEST_F(fake_sysfs, tiers_json_is_sysfs)
{
	static const char *const tiers[] = { "fast", "normal", "slow" };
	json_object *root, *jt, *v;
	struct ctl_out o;
	char want[64];

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "tiers", "--json", NULL))
	TH_LOG("%s", o.err);
	root = json_tokener_parse(o.out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", o.out);
	EXPECT_EQ(3, json_object_object_length(root));
	for (int t = 0; t < 3; t++) {
		char path[256];
		struct dirent *de;
		DIR *d;
		int keys = 0;

		ASSERT_TRUE(json_object_object_get_ex(root, tiers[t], &jt)) TH_LOG("%s", o.out);
		json_object_object_foreach(jt, key, val)
		{
			get(self->dir, tiers[t], key, want, sizeof(want));
			EXPECT_NE(0, want[0]) TH_LOG("%s.%s is no sysfs file", tiers[t], key);
			EXPECT_STREQ(want, json_object_get_string(val))
			TH_LOG("%s.%s", tiers[t], key);
			keys++;
		}
		snprintf(path, sizeof(path), "%s/%s", self->dir, tiers[t]);
		d = opendir(path);
		ASSERT_NE(NULL, d);
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || is_stats_field(de->d_name))
				continue;
			EXPECT_TRUE(json_object_object_get_ex(jt, de->d_name, &v))
			TH_LOG("sysfs %s/%s is not in tiers --json", tiers[t], de->d_name);
		}
		closedir(d);
		EXPECT_EQ(14, keys);
	}
	json_object_put(root);
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "tiers", "--jsn", NULL));
}

/* stats --prometheus: exact values, every field, and promtool accepts it. */
TEST_F(fake_sysfs, stats_prometheus)
{
	struct ctl_out o;
	char line[512], path[128];
	FILE *f;
	int rc;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", "--prometheus", NULL))
	TH_LOG("%s", o.err);
	/* reserved_bytes (field 0) of fast, node 0; sim_wait_ns (field 7) of slow */
	snprintf(line, sizeof(line), "\ntieralloc_reserved_bytes{tier=\"fast\",node=\"0\"} %llu\n",
		 (unsigned long long)fake_stat(0, 0));
	EXPECT_NE(NULL, strstr(o.out, line)) TH_LOG("%s", o.out);
	snprintf(line, sizeof(line),
		 "\ntieralloc_sim_wait_seconds_total{tier=\"slow\",node=\"2\"} 0.%09llu\n",
		 (unsigned long long)fake_stat(2, 7));
	EXPECT_NE(NULL, strstr(o.out, line)) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "\n# TYPE tieralloc_alloc_calls_total counter\n"));
	EXPECT_NE(NULL, strstr(o.out, "\ntieralloc_hard_cap_bytes{tier=\"fast\",node=\"0\"} "
				      "8589934592\n"));
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		const char *fn = ctl_stat_names[i];
		size_t len = strlen(fn) - (ctl_stat_kind(i) == CTL_NS ? 3 : 0);
		char name[64];

		snprintf(name, sizeof(name), "# HELP tieralloc_%.*s", (int)len, fn);
		EXPECT_NE(NULL, strstr(o.out, name)) TH_LOG("no family for %s", name);
	}
	EXPECT_EQ(2,
		  ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", "--prometheus", "--json", NULL));

	if (system("command -v promtool >/dev/null 2>&1")) {
		/* Loudly: the check is part of make check (tools/deps installs it). */
		fprintf(stderr, "# promtool not installed (Debian package prometheus): "
				"metrics not checked by promtool\n");
		SKIP(return, "promtool not installed (Debian package prometheus)");
	}
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "stats", "--prometheus", NULL));
	snprintf(path, sizeof(path), "%s/metrics.prom", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs(o.out, f);
	fclose(f);
	snprintf(line, sizeof(line), "promtool check metrics <'%s' >'%s.out' 2>&1", path, path);
	rc = system(line);
	if (rc) {
		snprintf(line, sizeof(line), "sed 's/^/# promtool: /' '%s.out'", path);
		(void)!system(line);
	}
	EXPECT_EQ(0, rc);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * apply and show-config without a module: the syntax check, the checks
 * against the running settings (read from the fake sysfs), and a module
 * without TA_IOC_SET_TIER (nothing changed).  Applying to a live module is
 * tested in the guest (ctl_guest_test.c).
 */
TEST_F(fake_sysfs, apply_and_show_config)
{
	char path[128], conf[128];
	struct ctl_out o;

	snprintf(conf, sizeof(conf), "%s/t.conf", self->dir);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "show-config", NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "\nfast.hard_cap=8G\n")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "\nnormal.node=1\n")) TH_LOG("%s", o.out); /* override */
	EXPECT_NE(NULL, strstr(o.out, "\n# fast.node=0 (discovered)\n")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "\nthrottle.slow.rate=1G\n")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "\nthrottle.slow.mode=enforce\n")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "\nauto_enabled=1\nauto_interval_ms=1000\n"))
	TH_LOG("%s", o.out);
	write_file(conf, o.out);
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", "--check", conf, NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "22 settings, syntax ok")) TH_LOG("%s", o.out);

	write_file(conf, "fast.soft_cap=1G\n\nslow.burst=12Q\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "t.conf:3: bad size '12Q' for slow.burst"))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "nothing was changed")) TH_LOG("%s", o.err);
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", "--check", conf, NULL));

	/* fast's running hard cap is 8G */
	write_file(conf, "fast.soft_cap=9G\n");
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", "--check", conf, NULL));
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "fast.soft_cap 9G exceeds fast.hard_cap 8G (running)"))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "nothing was changed")) TH_LOG("%s", o.err);

	write_file(conf, "fast.soft_cap=1G\n");
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "does not support TA_IOC_SET_TIER")) TH_LOG("%s", o.err);

	snprintf(path, sizeof(path), "%s/absent.conf", self->dir);
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", path, NULL));
	EXPECT_NE(NULL, strstr(o.err, "cannot open")) TH_LOG("%s", o.err);
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", NULL));
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, conf, NULL));
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "show-config", "x", NULL));
}

static void get_param(const char *dir, const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/parameters/%s", dir, name);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * The module's auto_* parameters: listed from its parameter directory,
 * shown by `auto`, set by apply and set, a name it lacks refused with the
 * names it has and nothing changed.  A value outside a parameter's range
 * is refused by the module itself: tested in the guest (ctl_guest_test.c).
 */
TEST_F(fake_sysfs, auto_params)
{
	const char *noparams[] = { "TIERALLOCCTL_PARAMS=/nonexistent", NULL };
	char conf[128], v[32];
	struct ctl_out o;

	snprintf(conf, sizeof(conf), "%s/t.conf", self->dir);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "auto", NULL)) TH_LOG("%s", o.err);
	EXPECT_STREQ("auto_enabled=1\nauto_interval_ms=1000\n", o.out);
	EXPECT_EQ(3, ctl_run(&o, CTL_RUN_NOUID, noparams, "auto", NULL));
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "auto", "x", NULL));

	write_file(conf, "auto_interval_ms=50 # faster\nauto_enabled=0\n");
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "auto_interval_ms = 50\n")) TH_LOG("%s", o.out);
	get_param(self->dir, "auto_interval_ms", v, sizeof(v));
	EXPECT_STREQ("50", v);
	get_param(self->dir, "auto_enabled", v, sizeof(v));
	EXPECT_STREQ("0", v);

	write_file(conf, "auto_interval_ms=70\nauto_nope=1\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown setting 'auto_nope' (the module's: auto_enabled "
				      "auto_interval_ms)"))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "nothing was changed")) TH_LOG("%s", o.err);
	get_param(self->dir, "auto_interval_ms", v, sizeof(v));
	EXPECT_STREQ("50", v);
	/* A module parameter that is not a tunable of automatic tiering is no setting. */
	write_file(conf, "max_regions_per_user=1\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	write_file(conf, "auto_interval_ms=ten\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, self->env, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "t.conf:1: bad value 'ten' for auto_interval_ms"))
	TH_LOG("%s", o.err);
	EXPECT_EQ(3, ctl_run(&o, CTL_RUN_NOUID, noparams, "set", "auto_enabled=1", NULL));

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, self->env, "set", "auto_interval_ms=80", NULL))
	TH_LOG("%s", o.err);
	get_param(self->dir, "auto_interval_ms", v, sizeof(v));
	EXPECT_STREQ("80", v);
}

TEST_HARNESS_MAIN
