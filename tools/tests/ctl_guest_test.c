// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl against the real module (run inside the VM, as root):
 * tiers/stats/--json agree with the ioctls, set applies and reads back,
 * an unprivileged caller gets the CAP_SYS_ADMIN message, bad arguments and
 * kernel refusals give clear errors.  The tier configuration is saved in
 * setup and restored in teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "ctl/ctl.h"
#include "ctl_run.h"

#define NOBODY 65534

static const char *const tier_names[] = { "fast", "normal", "slow" };

static int get_stats(int fd, struct ta_stats *st)
{
	struct ta_stats_query q = {
		.stats_ptr = (__u64)(uintptr_t)st,
		.size = sizeof(*st),
	};

	memset(st, 0, sizeof(*st));
	return ioctl(fd, TA_IOC_GET_STATS, &q);
}

static int get_tier(int fd, unsigned int t, struct ta_tier_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tier = t;
	return ioctl(fd, TA_IOC_GET_TIER, c);
}

FIXTURE(dev)
{
	int fd;
	struct ta_tier_config saved[TA_NR_TIERS];
};

FIXTURE_SETUP(dev)
{
	self->fd = open(TIERALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd)
	TH_LOG("open %s: %s (is tieralloc.ko loaded?)", TIERALLOC_DEVICE, strerror(errno));
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		ASSERT_EQ(0, get_tier(self->fd, t, &self->saved[t]));
	}
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd < 0)
		return;
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		struct ta_tier_config c = self->saved[t], now;

		c.valid = TA_CFG_ALL & ~TA_CFG_NODE;
		if (!get_tier(self->fd, t, &now) && now.node != c.node)
			c.valid |= TA_CFG_NODE;
		if (ioctl(self->fd, TA_IOC_SET_TIER, &c))
			TH_LOG("restoring tier %u: %s", t, strerror(errno));
	}
	close(self->fd);
}

TEST_F(dev, tiers)
{
	struct ctl_out o;
	char want[32];
	int lines = 0;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "tiers", NULL)) TH_LOG("%s", o.err);
	for (char *p = o.out; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(1 + TA_NR_TIERS, lines) TH_LOG("%s", o.out);
	for (int t = 0; t < TA_NR_TIERS; t++) {
		char *row = strstr(o.out, tier_names[t]);

		ASSERT_NE(NULL, row) TH_LOG("%s", o.out);
		snprintf(want, sizeof(want), " %d ", self->saved[t].node);
		if (self->saved[t].node >= 0) {
			EXPECT_NE(NULL, strstr(row, want))
			TH_LOG("node of %s: %s", tier_names[t], o.out);
		}
		EXPECT_NE(NULL, strstr(row, ctl_policy_name(self->saved[t].policy)));
	}
}

TEST_F(dev, stats_table)
{
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", NULL)) TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "live regions:"));
	EXPECT_NE(NULL, strstr(o.out, "total"));
	/* One row per field of struct ta_tier_stats, in order: name, three tiers, total. */
	EXPECT_EQ(TA_NR_TIER_STATS, ctl_check_stats_rows(_metadata, o.out, NULL));
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * Run "stats --json" (with @env) between two ioctl snapshots; every value
 * must lie between them and the totals must add up.  Without open_files
 * (sysfs) that key must be 0.
 */
static void check_json(struct __test_metadata *_metadata, int fd, const char *const *env,
		       bool has_open_files)
{
	struct ta_stats a, b;
	json_object *root, *tiers, *tot, *v;
	struct ctl_out o;

	ASSERT_EQ(0, get_stats(fd, &a));
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, env, "stats", "--json", NULL))
	TH_LOG("%s", o.err);
	ASSERT_EQ(0, get_stats(fd, &b));
	root = json_tokener_parse(o.out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", o.out);

	ASSERT_TRUE(json_object_object_get_ex(root, "live_regions", &v));
	EXPECT_LE(min64(a.live_regions, b.live_regions), json_object_get_uint64(v));
	EXPECT_GE(max64(a.live_regions, b.live_regions), json_object_get_uint64(v));
	EXPECT_LE(1, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(root, "open_files", &v));
	if (has_open_files) {
		/* tierallocctl has its own file open while it reads. */
		EXPECT_LE(min64(a.open_files, b.open_files), json_object_get_uint64(v));
		EXPECT_GE(max64(a.open_files, b.open_files) + 1, json_object_get_uint64(v));
	} else {
		EXPECT_EQ(0, json_object_get_uint64(v));
	}

	ASSERT_TRUE(json_object_object_get_ex(root, "tiers", &tiers));
	ASSERT_TRUE(json_object_object_get_ex(root, "totals", &tot));
	EXPECT_EQ(TA_NR_TIERS, json_object_object_length(tiers));
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		const char *name = ctl_stat_names[i];
		uint64_t sum = 0, x;

		for (int t = 0; t < TA_NR_TIERS; t++) {
			json_object *jt;

			ASSERT_TRUE(json_object_object_get_ex(tiers, tier_names[t], &jt));
			ASSERT_TRUE(json_object_object_get_ex(jt, name, &v))
			TH_LOG("%s.%s missing", tier_names[t], name);
			x = json_object_get_uint64(v);
			EXPECT_LE(min64(ctl_stat(&a.tier[t], i), ctl_stat(&b.tier[t], i)), x)
			TH_LOG("%s.%s", tier_names[t], name);
			EXPECT_GE(max64(ctl_stat(&a.tier[t], i), ctl_stat(&b.tier[t], i)), x)
			TH_LOG("%s.%s", tier_names[t], name);
			sum += x;
		}
		ASSERT_TRUE(json_object_object_get_ex(tot, name, &v));
		EXPECT_EQ(sum, json_object_get_uint64(v)) TH_LOG("totals.%s", name);
	}
	json_object_put(root);
}

/* Hold a populated 1 MiB WARM region so that the counters are not all 0. */
static uint32_t hold_region(int fd)
{
	struct ta_region_create rc = { .size = 1 << 20,
				       .placement = TA_HINT_WARM,
				       .flags = TA_REGION_POPULATE };

	return ioctl(fd, TA_IOC_REGION_CREATE, &rc) ? 0 : rc.handle;
}

static void drop_region(int fd, uint32_t handle)
{
	struct ta_region_free rf = { .handle = handle };

	if (handle)
		ioctl(fd, TA_IOC_REGION_FREE, &rf);
}

TEST_F(dev, stats_json_matches_ioctl)
{
	uint32_t h = hold_region(self->fd);

	ASSERT_NE(0, h) TH_LOG("region create: %s", strerror(errno));
	check_json(_metadata, self->fd, NULL, true);
	drop_region(self->fd, h);
}

/*
 * The sysfs path: /dev/null answers ENOTTY, so tierallocctl reads
 * /sys/class/misc/tieralloc; it must agree with the ioctls.
 */
TEST_F(dev, sysfs_fallback_matches_ioctl)
{
	static const char *const env[] = { "TIERALLOCCTL_DEVICE=/dev/null", NULL };
	uint32_t h = hold_region(self->fd);
	struct ctl_out o;
	char want[64];

	ASSERT_NE(0, h) TH_LOG("region create: %s", strerror(errno));
	check_json(_metadata, self->fd, env, false);
	drop_region(self->fd, h);

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, env, "tiers", NULL)) TH_LOG("%s", o.err);
	for (int t = 0; t < TA_NR_TIERS; t++) {
		char *row = strstr(o.out, tier_names[t]);
		char b[32];

		ASSERT_NE(NULL, row) TH_LOG("%s", o.out);
		snprintf(want, sizeof(want), "  %s  ",
			 self->saved[t].hard_cap
				 ? ctl_fmt_size(self->saved[t].hard_cap, b, sizeof(b))
				 : "none");
		EXPECT_NE(NULL, strstr(row, want)) TH_LOG("want '%s': %s", want, o.out);
		EXPECT_NE(NULL, strstr(row, ctl_fmt_info(self->saved[t].info_flags, b, sizeof(b))))
		TH_LOG("%s", o.out);
	}
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, env, "version", NULL)) TH_LOG("%s", o.err);
	snprintf(want, sizeof(want), "module ABI version:       %d", TIERALLOC_ABI_VERSION);
	EXPECT_NE(NULL, strstr(o.out, want)) TH_LOG("%s", o.out);
}

TEST_F(dev, set_and_read_back)
{
	const struct ta_tier_config *old = &self->saved[TA_TIER_SLOW];
	struct ta_tier_config c;
	char node[32], *row;
	struct ctl_out o;

	if (geteuid())
		SKIP(return, "needs root");
	snprintf(node, sizeof(node), "slow.node=%d", old->node);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "set", "slow.soft_cap=64M",
			     "slow.hard_cap=128m", "slow.policy=fail", "throttle.slow.rate=1G/s",
			     "throttle.slow.burst=64M", "throttle.slow.mode=account", node, NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "slow.soft_cap = 64M")) TH_LOG("%s", o.out);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_SLOW, &c));
	EXPECT_EQ(64ULL << 20, c.soft_cap);
	EXPECT_EQ(128ULL << 20, c.hard_cap);
	EXPECT_EQ(TA_POLICY_FAIL, c.policy);
	EXPECT_EQ(1ULL << 30, c.rate);
	EXPECT_EQ(64ULL << 20, c.burst);
	EXPECT_EQ(TA_THROTTLE_ACCOUNT, c.throttle_mode);
	EXPECT_EQ(old->node, c.node);

	/* The table shows it. */
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "tiers", NULL));
	row = strstr(o.out, "\nslow");
	ASSERT_NE(NULL, row) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(row, "64M")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(row, "128M")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(row, "fail")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(row, "1G")) TH_LOG("%s", o.out);

	/* Other tiers untouched; then the all-tier form and "none". */
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
	EXPECT_EQ(self->saved[TA_TIER_FAST].soft_cap, c.soft_cap);
	EXPECT_EQ(self->saved[TA_TIER_FAST].policy, c.policy);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "set", "policy=route_slow",
			     "slow.soft_cap=none", "slow.hard_cap=0", "throttle.slow.rate=0", NULL))
	TH_LOG("%s", o.err);
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		ASSERT_EQ(0, get_tier(self->fd, t, &c));
		EXPECT_EQ(TA_POLICY_ROUTE_SLOW, c.policy) TH_LOG("tier %u", t);
	}
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_SLOW, &c));
	EXPECT_EQ(0, c.soft_cap);
	EXPECT_EQ(0, c.hard_cap);
	EXPECT_EQ(0, c.rate);
}

/* Copy tierallocctl where an unprivileged user can surely run it. */
static void public_copy(char *dir, size_t len, char *bin, size_t blen)
{
	char cmd[PATH_MAX * 2 + 64];

	snprintf(dir, len, "/tmp/tierallocctl-test-XXXXXX");
	if (!mkdtemp(dir))
		return;
	chmod(dir, 0755);
	snprintf(bin, blen, "%s/tierallocctl", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0755 '%s'", ctl_bin(), bin, bin);
	if (system(cmd))
		bin[0] = '\0';
}

TEST_F(dev, unprivileged)
{
	char dir[64], bin[PATH_MAX], env_bin[PATH_MAX + 32], cmd[128];
	const char *env[2] = { env_bin, NULL };
	struct ta_tier_config c;
	struct stat sb;
	struct ctl_out o;

	if (geteuid())
		SKIP(return, "needs root to switch to uid %d", NOBODY);
	public_copy(dir, sizeof(dir), bin, sizeof(bin));
	ASSERT_NE(0, bin[0]);
	snprintf(env_bin, sizeof(env_bin), "TIERALLOCCTL_BIN=%s", bin);

	EXPECT_EQ(CTL_EXIT_PERM, ctl_run(&o, NOBODY, env, "set", "fast.soft_cap=1G", NULL))
	TH_LOG("stdout: %s stderr: %s", o.out, o.err);
	EXPECT_NE(NULL, strstr(o.err, "permission denied: setting tiers needs CAP_SYS_ADMIN"))
	TH_LOG("%s", o.err);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
	EXPECT_EQ(self->saved[TA_TIER_FAST].soft_cap, c.soft_cap);

	/* Reading works when the device is open to all, else a clear error. */
	ASSERT_EQ(0, stat(TIERALLOC_DEVICE, &sb));
	if (sb.st_mode & S_IROTH) {
		EXPECT_EQ(0, ctl_run(&o, NOBODY, env, "stats", NULL)) TH_LOG("%s", o.err);
	} else {
		EXPECT_EQ(CTL_EXIT_PERM, ctl_run(&o, NOBODY, env, "stats", NULL));
		EXPECT_NE(NULL, strstr(o.err, "permission denied")) TH_LOG("%s", o.err);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_F(dev, bad_arguments)
{
	struct ta_tier_config c;
	struct ctl_out o;

	EXPECT_EQ(CTL_EXIT_USAGE, ctl_run(&o, CTL_RUN_NOUID, NULL, "set", "fast.soft_cap=1G",
					  "fast.hard_cap=12Q", NULL));
	EXPECT_NE(NULL, strstr(o.err, "bad size '12Q' for fast.hard_cap")) TH_LOG("%s", o.err);
	/* Nothing was applied: parsing comes first. */
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
	EXPECT_EQ(self->saved[TA_TIER_FAST].soft_cap, c.soft_cap);

	EXPECT_EQ(CTL_EXIT_USAGE,
		  ctl_run(&o, CTL_RUN_NOUID, NULL, "set", "warm.soft_cap=1G", NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown tier 'warm'")) TH_LOG("%s", o.err);
	EXPECT_EQ(CTL_EXIT_USAGE, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", "--yaml", NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown argument '--yaml'")) TH_LOG("%s", o.err);

	/* A node that does not exist: the module refuses, nothing changes. */
	if (!geteuid()) {
		EXPECT_EQ(CTL_EXIT_ERR,
			  ctl_run(&o, CTL_RUN_NOUID, NULL, "set", "fast.node=4000", NULL));
		EXPECT_NE(NULL, strstr(o.err, "rejected the settings of tier fast"))
		TH_LOG("%s", o.err);
		ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
		EXPECT_EQ(self->saved[TA_TIER_FAST].node, c.node);
	}
}

TEST_F(dev, watch_and_version)
{
	struct ctl_out o;
	char want[64];
	const char *feat;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "watch", "--interval", "0.1", "--count", "2",
			     NULL))
	TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "tierallocctl watch: every 0.1s"));
	EXPECT_NE(NULL, strstr(o.out, "rates/s:")) TH_LOG("%s", o.out);

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "version", NULL)) TH_LOG("%s", o.err);
	snprintf(want, sizeof(want), "module ABI version:       %d", TIERALLOC_ABI_VERSION);
	EXPECT_NE(NULL, strstr(o.out, want)) TH_LOG("%s", o.out);
	/* Every feature bit the module sets has a name: no bare hex left. */
	feat = strstr(o.out, "features:");
	ASSERT_NE(NULL, feat) TH_LOG("%s", o.out);
	EXPECT_EQ(NULL, strstr(feat, "0x")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(feat, "migrate")) TH_LOG("%s", o.out);
}

/* tiers --json against the module's own sysfs files, key by key. */
TEST_F(dev, tiers_json_is_sysfs)
{
	json_object *root, *jt;
	struct ctl_out o;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "tiers", "--json", NULL)) TH_LOG("%s", o.err);
	root = json_tokener_parse(o.out);
	ASSERT_NE(NULL, root) TH_LOG("not JSON: %s", o.out);
	for (int t = 0; t < TA_NR_TIERS; t++) {
		int keys = 0;

		ASSERT_TRUE(json_object_object_get_ex(root, tier_names[t], &jt));
		json_object_object_foreach(jt, key, val)
		{
			char path[256], buf[64] = "";
			FILE *f;

			keys++;
			snprintf(path, sizeof(path), "%s/%s/%s", CTL_SYSFS_DEFAULT, tier_names[t],
				 key);
			f = fopen(path, "r");
			ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
			buf[strcspn(buf, "\n")] = '\0';
			/* node_free moves on its own */
			if (strcmp(key, "node_free"))
				EXPECT_STREQ(buf, json_object_get_string(val)) TH_LOG("%s", path);
		}
		EXPECT_EQ(14, keys);
	}
	json_object_put(root);
}

TEST_F(dev, stats_prometheus)
{
	struct ctl_out o;
	char line[128];
	FILE *p;

	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "stats", "--prometheus", NULL))
	TH_LOG("%s", o.err);
	snprintf(line, sizeof(line), "\ntieralloc_hard_cap_bytes{tier=\"slow\",node=\"%d\"} ",
		 self->saved[TA_TIER_SLOW].node);
	EXPECT_NE(NULL, strstr(o.out, line)) TH_LOG("%s", o.out);
	if (system("command -v promtool >/dev/null 2>&1"))
		SKIP(return, "promtool not installed (Debian package prometheus)");
	p = popen("promtool check metrics", "w");
	ASSERT_NE(NULL, p);
	fputs(o.out, p);
	EXPECT_EQ(0, pclose(p));
}

static void write_conf(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void show_config(struct ctl_out *o, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!ctl_run(o, CTL_RUN_NOUID, NULL, "show-config", NULL))
		snprintf(buf, len, "%s", o->out);
}

/*
 * apply FILE: the settings are live; show-config prints them and its text
 * applies back to the same; a file with a bad line, a soft cap over the
 * hard cap, or a tier the module refuses changes nothing.
 */
TEST_F(dev, apply_and_show_config)
{
	static char before[sizeof(((struct ctl_out *)0)->out)], after[sizeof(before)],
		again[sizeof(before)];
	char conf[] = "/tmp/tieralloc-conf-XXXXXX";
	struct ta_tier_config c;
	struct ctl_out o;
	int fd;

	if (geteuid())
		SKIP(return, "needs root");
	fd = mkstemp(conf);
	ASSERT_LE(0, fd);
	close(fd);
	write_conf(conf, "# boot settings\n"
			 "fast.soft_cap=512M fast.hard_cap=768M\n"
			 "slow.policy=fail   # at the cap\n"
			 "throttle.normal.rate=2G throttle.normal.burst=32M\n"
			 "throttle.normal.mode=enforce\n");
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL)) TH_LOG("%s", o.err);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
	EXPECT_EQ(512ULL << 20, c.soft_cap);
	EXPECT_EQ(768ULL << 20, c.hard_cap);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_SLOW, &c));
	EXPECT_EQ(TA_POLICY_FAIL, c.policy);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_NORMAL, &c));
	EXPECT_EQ(2ULL << 30, c.rate);
	EXPECT_EQ(32ULL << 20, c.burst);
	EXPECT_EQ(TA_THROTTLE_ENFORCE, c.throttle_mode);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "tiers", NULL));
	EXPECT_NE(NULL, strstr(o.out, "768M")) TH_LOG("%s", o.out);

	/* Round trip: show-config -> apply -> show-config. */
	show_config(&o, before, sizeof(before));
	EXPECT_NE(NULL, strstr(before, "\nfast.hard_cap=768M\n")) TH_LOG("%s", before);
	EXPECT_NE(NULL, strstr(before, "\nthrottle.normal.mode=enforce\n")) TH_LOG("%s", before);
	write_conf(conf, before);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL)) TH_LOG("%s", o.err);
	show_config(&o, after, sizeof(after));
	EXPECT_STREQ(before, after);

	/* Refused, nothing changed: a bad line 3, then a soft cap over the hard cap. */
	write_conf(conf, "fast.soft_cap=64M\nslow.policy=route_slow\nnormal.rate=lots\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, ":3: bad size 'lots'")) TH_LOG("%s", o.err);
	write_conf(conf, "slow.policy=route_slow\nfast.soft_cap=1G\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "exceeds fast.hard_cap 768M (running)")) TH_LOG("%s", o.err);
	write_conf(conf, "fast.node=4095\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "no such node")) TH_LOG("%s", o.err);
	/* The module refuses slow's rate (under 4K/s) after fast was set: fast is put back. */
	write_conf(conf, "fast.soft_cap=256M\nthrottle.slow.rate=1K\n");
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "rejected the settings of tier slow")) TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "nothing was changed")) TH_LOG("%s", o.err);
	show_config(&o, again, sizeof(again));
	EXPECT_STREQ(before, again);

	/* Unprivileged: refused, nothing changed. */
	char dir[64], bin[PATH_MAX], env_bin[PATH_MAX + 32], cmd[128];
	const char *env[2] = { env_bin, NULL };

	public_copy(dir, sizeof(dir), bin, sizeof(bin));
	ASSERT_NE(0, bin[0]);
	snprintf(env_bin, sizeof(env_bin), "TIERALLOCCTL_BIN=%s", bin);
	chmod(conf, 0644);
	write_conf(conf, "fast.soft_cap=128M\n");
	EXPECT_EQ(4, ctl_run(&o, NOBODY, env, "apply", conf, NULL)) TH_LOG("%s", o.err);
	show_config(&o, again, sizeof(again));
	EXPECT_STREQ(before, again);
	unlink(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", dir);
}

static int read_param(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/tieralloc/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The module's auto_* parameters through apply: a good file is live (the
 * module's files, `auto`, show-config); a value outside a parameter's range
 * is refused by the module and what the file changed before it is put back,
 * tiers and parameters alike.
 */
TEST_F(dev, auto_params_apply)
{
	char conf[] = "/tmp/tieralloc-conf-XXXXXX", iv[32], bud[32], v[32];
	char restore[128], restore2[128];
	struct ta_tier_config c;
	struct ctl_out o;
	int fd;

	if (geteuid())
		SKIP(return, "needs root");
	if (read_param("auto_interval_ms", iv, sizeof(iv)) ||
	    read_param("auto_budget", bud, sizeof(bud)))
		SKIP(return, "this module has no automatic tiering: NOT TESTED");
	fd = mkstemp(conf);
	ASSERT_LE(0, fd);
	close(fd);
	write_conf(conf, "auto_budget=7\nauto_interval_ms=700 # slower\n");
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL)) TH_LOG("%s", o.err);
	ASSERT_EQ(0, read_param("auto_interval_ms", v, sizeof(v)));
	EXPECT_STREQ("700", v);
	ASSERT_EQ(0, read_param("auto_budget", v, sizeof(v)));
	EXPECT_STREQ("7", v);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "auto", NULL)) TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.out, "auto_interval_ms=700\n")) TH_LOG("%s", o.out);
	EXPECT_NE(NULL, strstr(o.out, "auto_enabled=")) TH_LOG("%s", o.out);
	ASSERT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "show-config", NULL));
	EXPECT_NE(NULL, strstr(o.out, "\nauto_budget=7\n")) TH_LOG("%s", o.out);

	/* 5 ms is under auto_interval_ms's range: refused, the rest put back. */
	write_conf(conf, "fast.soft_cap=256M\nauto_budget=9\nauto_interval_ms=5\n");
	EXPECT_EQ(1, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "the module refused auto_interval_ms=5")) TH_LOG("%s", o.err);
	EXPECT_NE(NULL, strstr(o.err, "nothing was changed")) TH_LOG("%s", o.err);
	ASSERT_EQ(0, read_param("auto_budget", v, sizeof(v)));
	EXPECT_STREQ("7", v);
	ASSERT_EQ(0, read_param("auto_interval_ms", v, sizeof(v)));
	EXPECT_STREQ("700", v);
	ASSERT_EQ(0, get_tier(self->fd, TA_TIER_FAST, &c));
	EXPECT_EQ(self->saved[TA_TIER_FAST].soft_cap, c.soft_cap);
	write_conf(conf, "auto_nothing=1\n");
	EXPECT_EQ(2, ctl_run(&o, CTL_RUN_NOUID, NULL, "apply", conf, NULL));
	EXPECT_NE(NULL, strstr(o.err, "unknown setting 'auto_nothing' (the module's: auto_budget"))
	TH_LOG("%s", o.err);

	snprintf(restore, sizeof(restore), "auto_budget=%s", bud);
	snprintf(restore2, sizeof(restore2), "auto_interval_ms=%s", iv);
	EXPECT_EQ(0, ctl_run(&o, CTL_RUN_NOUID, NULL, "set", restore, restore2, NULL))
	TH_LOG("%s", o.err);
	unlink(conf);
}

TEST_HARNESS_MAIN
