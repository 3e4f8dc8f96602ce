// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl: inspect and configure the tiers of /dev/tieralloc.
 *
 *   tierallocctl tiers [--json]
 *   tierallocctl stats [--json | --raw | --prometheus] [--pid PID]
 *   tierallocctl set SETTING=VALUE...
 *   tierallocctl apply [--check] FILE
 *   tierallocctl show-config
 *   tierallocctl auto
 *   tierallocctl watch [--interval SECONDS] [--count N] [--raw]
 *   tierallocctl version
 *
 * See usage() for the details, the JSON keys and the exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "tieralloc_shm.h"

static const char usage_text[] =
	"Usage: tierallocctl COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  tiers [--json]        one line per tier: NUMA node, HMAT read latency (ns)\n"
	"                        and bandwidth (MB/s), node capacity and free memory,\n"
	"                        soft/hard cap, cap policy, throttle mode/rate/burst,\n"
	"                        reserved and resident bytes, info flags\n"
	"                        (hmat, distance, override, shared); --json prints\n"
	"                        {\"fast\": {...}, ...} with the names and values of the\n"
	"                        sysfs files (.fast.soft_cap is fast/soft_cap)\n"
	"  stats [--json | --raw | --prometheus] [--pid PID]\n"
	"                        per-tier counters of struct ta_tier_stats and totals;\n"
	"                        --raw prints exact numbers instead of 4K/1.5ms;\n"
	"                        --prometheus prints the Prometheus text format\n"
	"                        (tieralloc_FIELD{tier,node}; _ns fields in seconds,\n"
	"                        counters named _total) for node_exporter's textfile\n"
	"                        collector;\n"
	"                        --json prints JSON (keys below); --pid PID reads\n"
	"                        the libta statistics a process run under\n"
	"                        libta_preload.so publishes in /dev/shm/tieralloc.PID\n"
	"  set SETTING=VALUE...  change tiers (needs CAP_SYS_ADMIN); all arguments\n"
	"                        are checked before anything is applied\n"
	"  apply [--check] FILE  the settings of FILE (- for stdin), e.g.\n"
	"                        /etc/tieralloc.conf: any number of SETTING=VALUE a\n"
	"                        line, # comments; all or nothing: the file is checked\n"
	"                        whole first, and tiers changed before the module\n"
	"                        refused one are put back; --check: syntax only\n"
	"  show-config           the running settings in apply's syntax\n"
	"  auto                  the module's automatic-tiering tunables (auto_*)\n"
	"  watch [--interval SECONDS] [--count N] [--raw]\n"
	"                        redraw the stats every SECONDS (default 1) with\n"
	"                        per-second rates, N times (default: until ^C)\n"
	"  version               ABI version and features of the loaded module\n"
	"  help                  this text\n"
	"\n"
	"Settings (TIER is fast, normal or slow):\n"
	"  TIER.soft_cap=SIZE    soft cap; 0 or none = no cap\n"
	"  TIER.hard_cap=SIZE    hard cap; 0 or none = no cap\n"
	"  TIER.node=N           NUMA node backing the tier\n"
	"  TIER.policy=P         at the hard cap: fail (ENOMEM) or route_slow\n"
	"  policy=P              the same for every tier\n"
	"  throttle.TIER.rate=SIZE[/s]   token bucket refill per second; 0 = off\n"
	"  throttle.TIER.burst=SIZE      token bucket depth\n"
	"  throttle.TIER.mode=M          account (model waits) or enforce (wait)\n"
	"  throttle.mode=M               the same for every tier\n"
	"  TIER.rate=, TIER.burst=, TIER.throttle_mode= are accepted as well.\n"
	"  auto_NAME=N           the module parameter auto_NAME (tieralloc(4));\n"
	"                        the names and ranges are the module's: see\n"
	"                        'tierallocctl auto'; a value it refuses changes\n"
	"                        nothing\n"
	"  SIZE: a number with an optional K, M, G or T suffix (powers of 1024,\n"
	"  any case, optional B/iB: 4G, 1.5g, 64MiB), or none.\n"
	"\n"
	"stats --json keys:\n"
	"  live_regions, open_files      numbers (struct ta_stats)\n"
	"  tiers: {fast: {...}, normal: {...}, slow: {...}}\n"
	"  totals: {...}                 sum over the tiers\n"
	"  Every {...} has one key per field of struct ta_tier_stats:\n";
/* ... the fields, printed from the UAPI's names, then: */
static const char usage_tail[] =
	"  (all unsigned integers: bytes, nanoseconds or counts)\n"
	"\n"
	"Environment: TIERALLOCCTL_DEVICE (default /dev/tieralloc),\n"
	"TIERALLOCCTL_SYSFS (default /sys/class/misc/tieralloc, read instead\n"
	"when TIERALLOCCTL_DEVICE does not know tieralloc's ioctls) and\n"
	"TIERALLOCCTL_PARAMS (default /sys/module/tieralloc/parameters).\n"
	"\n"
	"Exit status: 0 ok, 1 operation failed, 2 bad command line,\n"
	"3 module not loaded, 4 permission denied.\n";

static void usage(FILE *f)
{
	size_t col = 0;

	fputs(usage_text, f);
	for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
		size_t len = strlen(ctl_stat_names[i]);

		if (col && col + 1 + len > 72) {
			fputc('\n', f);
			col = 0;
		}
		col += (size_t)fprintf(f, "%s%s", col ? " " : "  ", ctl_stat_names[i]);
	}
	fputc('\n', f);
	fputs(usage_tail, f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tierallocctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tierallocctl help'.\n");
	return CTL_EXIT_USAGE;
}

static int report(const char *what, int err)
{
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr, "permission denied: %s: %s\n", what, strerror(-err));
		return CTL_EXIT_PERM;
	}
	fprintf(stderr, "tierallocctl: %s failed: %s\n", what, strerror(-err));
	return CTL_EXIT_ERR;
}

static int read_all(struct ctl_dev *dev, struct ta_tier_config *cfg, struct ta_stats *st)
{
	const char *what;
	int ret = 0;

	what = "reading tier configuration (TA_IOC_GET_TIER)";
	for (unsigned int t = 0; t < TA_NR_TIERS && cfg && !ret; t++)
		ret = ctl_get_tier(dev, t, &cfg[t]);
	if (!ret && st) {
		what = "reading statistics (TA_IOC_GET_STATS)";
		ret = ctl_get_stats(dev, st);
	}
	if (ret && dev->use_sysfs) {
		fprintf(stderr,
			"tierallocctl: %s does not support the ioctls and reading %s failed\n",
			dev->path, dev->sysfs);
		return CTL_EXIT_ERR;
	}
	return ret ? report(what, ret) : 0;
}

static int cmd_tiers(int argc, char **argv)
{
	struct ta_tier_config cfg[TA_NR_TIERS];
	struct ta_stats st;
	struct ctl_dev dev;
	bool json = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			return usage_error("tiers: unexpected argument '%s'", argv[i]);
		json = true;
	}
	ret = ctl_dev_open(&dev, false);
	if (ret)
		return ret;
	ret = read_all(&dev, cfg, &st);
	ctl_dev_close(&dev);
	if (ret)
		return ret;
	if (!json) {
		ctl_print_tiers(stdout, cfg, &st);
		return CTL_EXIT_OK;
	}
	char *s = ctl_tiers_json(cfg, &st, true);

	if (!s) {
		fprintf(stderr, "tierallocctl: out of memory\n");
		return CTL_EXIT_ERR;
	}
	puts(s);
	free(s);
	return CTL_EXIT_OK;
}

/*
 * Per-process statistics: a process run under libta_preload.so publishes
 * libta's counters in /dev/shm/tieralloc.<pid> (struct ta_shm_stats of
 * libta/include/tieralloc_shm.h, a seqlock-protected snapshot).  They are mapped onto
 * struct ta_stats: libta's region counters are what the kernel counts for
 * the same regions (resident_bytes and the fault/huge/migration page
 * counters have no libta equivalent and stay 0).
 */
static char pid_shm_path[64];
static struct ta_shm_stats pid_shm; /* the snapshot pid_stats() read */

/* Does @pid still map @path?  1 yes, 0 no, -1 cannot tell (no /proc access). */
static int pid_maps_file(long pid, const char *path)
{
	char maps[64], line[4096];
	size_t len = strlen(path);
	int found = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%ld/maps", pid);
	f = fopen(maps, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n'), *p;

		if (nl)
			*nl = '\0';
		p = strstr(line, path);
		found = p && (p[len] == '\0' || !strcmp(p + len, " (deleted)"));
	}
	fclose(f);
	return found;
}

/*
 * libta's counters (TA_LIB_TIER_COUNTERS, the record's per-tier fields) and
 * the field of struct ta_tier_stats each one is: the field of the same name,
 * or the kernel's name for the same count where the two differ.  Counters
 * without a kernel field (large_blocks, large_bytes) are not shown.
 */
static const struct {
	const char *lib, *kernel;
} lib_renames[] = {
	{ "moves_in", "migrations_in" },
	{ "moves_out", "migrations_out" },
	{ "move_failures", "migrate_failures" },
};

#define SHM_COUNTER(f) { #f, offsetof(struct ta_shm_tier, f) },
static const struct {
	const char *name;
	size_t off;
} shm_counters[] = { TA_LIB_TIER_COUNTERS(SHM_COUNTER) };
#undef SHM_COUNTER

/* The struct ta_tier_stats field of shm_counters[c], or -1. */
static int shm_counter_stat(size_t c)
{
	const char *name = shm_counters[c].name;

	for (size_t r = 0; r < sizeof(lib_renames) / sizeof(lib_renames[0]); r++)
		if (!strcmp(name, lib_renames[r].lib))
			name = lib_renames[r].kernel;
	return ctl_stat_index(name);
}

static int pid_stats(long pid, struct ta_stats *st)
{
	const struct ta_shm_stats *m;
	struct stat sb;
	int fd, ret = -EAGAIN;

	snprintf(pid_shm_path, sizeof(pid_shm_path), "%s/%s%ld", TA_SHM_DIR, TA_SHM_PREFIX, pid);
	fd = open(pid_shm_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			return -ESRCH;
		return -EOPNOTSUPP;
	}
	if (fstat(fd, &sb) || (size_t)sb.st_size < sizeof(struct ta_shm_stats)) {
		close(fd);
		return -EPROTO;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	if (m->magic != TA_SHM_MAGIC || m->version != TA_SHM_VERSION ||
	    m->size < sizeof(struct ta_shm_stats) || m->pid != pid) {
		munmap((void *)m, sizeof(*m));
		return -EPROTO;
	}
	/* Seqlock read: retry while the writer is at work. */
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t seq = atomic_load_explicit((const _Atomic uint64_t *)&m->seq,
						    memory_order_acquire);

		if (seq & 1) {
			usleep(100);
			continue;
		}
		memcpy(&pid_shm, m, sizeof(pid_shm));
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit((const _Atomic uint64_t *)&m->seq, memory_order_relaxed) ==
		    seq) {
			ret = 0;
			break;
		}
	}
	munmap((void *)m, sizeof(*m));
	if (ret)
		return ret;
	/* A file left by a killed process, or by one that exec()ed another program. */
	if (kill((pid_t)pid, 0) && errno == ESRCH) {
		unlink(pid_shm_path);
		return -ESRCH;
	}
	if (!pid_maps_file(pid, pid_shm_path))
		return -EOPNOTSUPP;

	memset(st, 0, sizeof(*st));
	st->open_files = pid_shm.backend == TA_BACKEND_KERNEL;
	for (unsigned int t = 0; t < TA_NR_TIERS && t < TA_SHM_NR_TIERS; t++) {
		for (size_t c = 0; c < sizeof(shm_counters) / sizeof(shm_counters[0]); c++) {
			int i = shm_counter_stat(c);
			uint64_t v;

			if (i < 0)
				continue;
			memcpy(&v, (const char *)&pid_shm.tier[t] + shm_counters[c].off, sizeof(v));
			ctl_stat_set(&st->tier[t], (size_t)i, v);
		}
		st->live_regions += pid_shm.tier[t].regions;
	}
	return 0;
}

/* The first lines of `stats --pid`: whose statistics these are. */
static void print_pid_header(long pid)
{
	static const char *const hints[TA_NR_HINTS] = TA_HINT_NAMES;
	const struct ta_shm_stats *s = &pid_shm;
	struct timespec now;
	double age;
	char b[32];

	clock_gettime(CLOCK_REALTIME, &now);
	age = ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)s->update_realtime_ns) /
	      1e9;
	printf("pid %ld (%.*s): libta %s backend%s, malloc %s", pid, (int)sizeof(s->comm), s->comm,
	       s->backend == TA_BACKEND_KERNEL ? "kernel" : "user",
	       s->flags & TA_SHM_F_DISABLED    ? " (TA_DISABLE)"
	       : s->flags & TA_SHM_F_SIMULATED ? " (simulated tiers)"
					       : "",
	       s->flags & TA_SHM_F_TIERED ? "tiered" : "untiered (warm)");
	if (s->flags & TA_SHM_F_TIERED && (unsigned int)s->default_hint < TA_NR_HINTS)
		printf(", default hint %s", hints[s->default_hint]);
	if (s->flags & TA_SHM_F_TIERED && (unsigned int)s->large_hint < TA_NR_HINTS)
		printf(", blocks >= %s %s", ctl_fmt_size(s->large_min, b, sizeof(b)),
		       hints[s->large_hint]);
	printf("\n");
	printf("nodes:");
	for (unsigned int t = 0; t < TA_NR_TIERS; t++)
		printf(" %s=%d", ctl_tier_name(t), (int)s->tier[t].node);
	printf("  heaps: %" PRIu64 " (%" PRIu64 " in use)  updated %.1fs ago (%" PRIu64
	       " updates)\n",
	       s->heaps, s->heaps_in_use, age < 0 ? 0.0 : age, s->updates);
}

static int cmd_stats(int argc, char **argv)
{
	bool json = false, raw = false, prom = false;
	long pid = -1;
	struct ta_tier_config cfg[TA_NR_TIERS];
	struct ta_stats st;
	struct ctl_dev dev;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--raw")) {
			raw = true;
		} else if (!strcmp(a, "--prometheus")) {
			prom = true;
		} else if (!strcmp(a, "--pid") || !strncmp(a, "--pid=", 6)) {
			const char *v = a[5] == '=' ? a + 6 : argv[++i];
			uint64_t n;

			if (!v)
				return usage_error("stats: %s needs a process id", a);
			if (ctl_parse_uint(v, INT32_MAX, &n) || !n)
				return usage_error("stats: bad process id '%s'", v);
			pid = (long)n;
		} else {
			return usage_error("stats: unknown argument '%s'", a);
		}
	}

	if (prom && (json || raw || pid > 0))
		return usage_error("stats: %s",
				   "--prometheus goes with none of --json, --raw, --pid");
	if (json && raw)
		return usage_error("stats: %s", "--json and --raw exclude each other");
	if (pid > 0) {
		ret = pid_stats(pid, &st);
		if (ret == -ESRCH) {
			fprintf(stderr, "tierallocctl: stats --pid: no process %ld\n", pid);
			return CTL_EXIT_ERR;
		}
		if (ret == -EOPNOTSUPP) {
			fprintf(stderr,
				"tierallocctl: stats --pid: process %ld publishes no statistics "
				"(%s): only programs run under libta_preload.so do; per-process "
				"statistics of programs linking libta directly are not supported "
				"yet\n",
				pid, pid_shm_path);
			return CTL_EXIT_ERR;
		}
		if (ret == -EPROTO) {
			fprintf(stderr,
				"tierallocctl: stats --pid: %s: not a statistics file of this "
				"version\n",
				pid_shm_path);
			return CTL_EXIT_ERR;
		}
		if (ret)
			return report("reading process statistics", ret);
	} else {
		ret = ctl_dev_open(&dev, false);
		if (ret)
			return ret;
		ret = read_all(&dev, prom ? cfg : NULL, &st);
		ctl_dev_close(&dev);
		if (ret)
			return ret;
	}

	if (prom) {
		ctl_print_prometheus(stdout, cfg, &st);
	} else if (json) {
		char *s = ctl_stats_json(&st, true);

		if (!s) {
			fprintf(stderr, "tierallocctl: out of memory\n");
			return CTL_EXIT_ERR;
		}
		puts(s);
		free(s);
	} else {
		if (pid > 0)
			print_pid_header(pid);
		ctl_print_stats(stdout, &st, raw);
	}
	return CTL_EXIT_OK;
}

/* "fast.soft_cap = 4G" lines for what @c sets. */
static void print_applied(const struct ta_tier_config *c)
{
	const char *tn = ctl_tier_name(c->tier);
	char b[32];

	if (c->valid & TA_CFG_NODE)
		printf("%s.node = %d\n", tn, c->node);
	if (c->valid & TA_CFG_SOFT_CAP)
		printf("%s.soft_cap = %s\n", tn,
		       c->soft_cap ? ctl_fmt_size(c->soft_cap, b, sizeof(b)) : "none");
	if (c->valid & TA_CFG_HARD_CAP)
		printf("%s.hard_cap = %s\n", tn,
		       c->hard_cap ? ctl_fmt_size(c->hard_cap, b, sizeof(b)) : "none");
	if (c->valid & TA_CFG_POLICY)
		printf("%s.policy = %s\n", tn, ctl_policy_name(c->policy));
	if (c->valid & TA_CFG_THROTTLE_MODE)
		printf("throttle.%s.mode = %s\n", tn, ctl_mode_name(c->throttle_mode));
	if (c->valid & TA_CFG_RATE)
		printf("throttle.%s.rate = %s\n", tn,
		       c->rate ? ctl_fmt_size(c->rate, b, sizeof(b)) : "none");
	if (c->valid & TA_CFG_BURST)
		printf("throttle.%s.burst = %s\n", tn, ctl_fmt_size(c->burst, b, sizeof(b)));
}

/* Report a failed TA_IOC_SET_TIER (@err < 0) of @c; the exit code, 0 for @err 0. */
static int set_failed(const char *cmd, const struct ctl_dev *dev, const struct ta_tier_config *c,
		      int err)
{
	if (!err)
		return CTL_EXIT_OK;
	if (err == -EPERM || err == -EACCES) {
		fprintf(stderr, "permission denied: setting tiers needs CAP_SYS_ADMIN\n");
		return CTL_EXIT_PERM;
	}
	if (err == -ENOTTY) {
		fprintf(stderr, "tierallocctl: %s: %s does not support TA_IOC_SET_TIER\n", cmd,
			dev->path);
		return CTL_EXIT_ERR;
	}
	fprintf(stderr, "tierallocctl: %s: the module rejected the settings of tier %s: %s\n", cmd,
		ctl_tier_name(c->tier), strerror(-err));
	if (err == -ENODEV)
		fprintf(stderr, "hint: node %d does not exist or has no memory\n", c->node);
	else if (err == -EINVAL)
		fprintf(stderr, "hint: soft_cap must not exceed hard_cap; a rate "
				"must be 0 or at least 4K/s; a burst at most 1T\n");
	return CTL_EXIT_ERR;
}

/*
 * The running values of the parameters @set names, into @old (in @set's
 * order); CTL_EXIT_USAGE after a message for a name the module does not
 * have (the names it has are listed), CTL_EXIT_NODEV when it has none.
 */
static int params_check(const char *cmd, const struct ctl_set *set, uint32_t *old)
{
	struct ctl_param run[CTL_MAX_PARAMS];
	int n;

	if (!set->nparams)
		return CTL_EXIT_OK;
	n = ctl_params_read(run, CTL_MAX_PARAMS);
	if (n < 0) {
		fprintf(stderr,
			"tierallocctl: %s: %s: cannot read the module's auto_* parameters: %s "
			"(is a tieralloc.ko with automatic tiering loaded?)\n",
			cmd, set->param[0].name, strerror(-n));
		return CTL_EXIT_NODEV;
	}
	for (unsigned int i = 0; i < set->nparams; i++) {
		int j;

		for (j = 0; j < n && strcmp(run[j].name, set->param[i].name); j++)
			;
		if (j < n) {
			old[i] = run[j].value;
			continue;
		}
		fprintf(stderr, "tierallocctl: %s: unknown setting '%s' (the module's:", cmd,
			set->param[i].name);
		for (j = 0; j < n; j++)
			fprintf(stderr, " %s", run[j].name);
		fprintf(stderr, ")\n");
		return CTL_EXIT_USAGE;
	}
	return CTL_EXIT_OK;
}

/* Put the first @n parameters of @set back to @old; how many could not be. */
static int params_restore(const struct ctl_set *set, const uint32_t *old, unsigned int n)
{
	int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		int err = ctl_param_write(set->param[i].name, old[i]);

		if (err) {
			fprintf(stderr, "tierallocctl: cannot restore %s=%u: %s\n",
				set->param[i].name, old[i], strerror(-err));
			bad++;
		}
	}
	return bad;
}

/*
 * Write @set's parameters, all or none: the module checks each value
 * against its range; after a refusal the ones written are put back.
 */
static int params_apply(const char *cmd, const struct ctl_set *set, const uint32_t *old)
{
	for (unsigned int i = 0; i < set->nparams; i++) {
		const struct ctl_param *p = &set->param[i];
		int err = ctl_param_write(p->name, p->value);

		if (!err)
			continue;
		if (err == -EPERM || err == -EACCES)
			fprintf(stderr, "permission denied: %s=%u needs root (%s)\n", p->name,
				p->value, strerror(-err));
		else
			fprintf(stderr, "tierallocctl: %s: the module refused %s=%u: %s%s\n", cmd,
				p->name, p->value, strerror(-err),
				err == -EINVAL ? " (outside its range: see tieralloc(4), or "
						 "modinfo -p tieralloc)"
					       : "");
		if (params_restore(set, old, i))
			fprintf(stderr, "tierallocctl: %s: SOME SETTINGS WERE CHANGED\n", cmd);
		return err == -EPERM || err == -EACCES ? CTL_EXIT_PERM : CTL_EXIT_ERR;
	}
	return CTL_EXIT_OK;
}

static void params_print_applied(const struct ctl_set *set)
{
	for (unsigned int i = 0; i < set->nparams; i++)
		printf("%s = %u\n", set->param[i].name, set->param[i].value);
}

static int cmd_set(int argc, char **argv)
{
	uint32_t old_params[CTL_MAX_PARAMS];
	struct ctl_set set;
	struct ctl_dev dev;
	bool tiers = false;
	char err[256];
	int ret, applied = 0;

	if (argc < 2)
		return usage_error("%s: nothing to set (e.g. fast.soft_cap=4G)", "set");
	ctl_set_init(&set);
	for (int i = 1; i < argc; i++) {
		if (ctl_set_parse(&set, argv[i], err, sizeof(err))) {
			fprintf(stderr, "tierallocctl: set: %s\n", err);
			return CTL_EXIT_USAGE;
		}
	}

	ret = params_check("set", &set, old_params);
	if (!ret)
		ret = params_apply("set", &set, old_params);
	if (ret)
		return ret;
	params_print_applied(&set);
	applied = (int)set.nparams;
	for (unsigned int t = 0; t < TA_NR_TIERS; t++)
		tiers |= set.cfg[t].valid != 0;
	if (!tiers)
		return CTL_EXIT_OK;
	ret = ctl_dev_open(&dev, true);
	if (ret)
		return ret;
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		const struct ta_tier_config *c = &set.cfg[t];

		if (!c->valid)
			continue;
		ret = set_failed("set", &dev, c, ctl_set_tier(&dev, c));
		if (ret) {
			if (applied)
				fprintf(stderr, "tierallocctl: set: the settings printed above "
						"were applied\n");
			break;
		}
		print_applied(c);
		applied++;
	}
	ctl_dev_close(&dev);
	return ret;
}

/*
 * Is @node in /sys/devices/system/node/has_memory (a list like "0-2,4")?
 * 1 yes, 0 no, -1 cannot tell.
 */
static int node_has_memory(int node)
{
	char buf[4096], *p = buf, *end;
	FILE *f = fopen("/sys/devices/system/node/has_memory", "r");
	int ret = 0;

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	while (*p && *p != '\n') {
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			return -1;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			p = end;
		}
		if (node >= lo && node <= hi)
			ret = 1;
		if (*p == ',')
			p++;
	}
	return ret;
}

/*
 * apply [--check] FILE: the settings of a configuration file, all or none.
 * The file is parsed whole, then checked against the running settings
 * (soft_cap <= hard_cap, nodes with memory) before anything changes; if
 * the module still rejects a tier, the tiers already changed get their
 * previous settings back.
 */
static int cmd_apply(int argc, char **argv)
{
	uint32_t old_params[CTL_MAX_PARAMS];
	struct ta_tier_config old[TA_NR_TIERS];
	const char *path = NULL;
	bool check = false;
	struct ctl_set set;
	struct ctl_dev dev;
	char err[512];
	unsigned int done;
	int ret, n = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			check = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("apply: unknown option '%s'", argv[i]);
		else if (path)
			return usage_error("apply: one file only ('%s')", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		return usage_error("apply: %s",
				   "which file? (e.g. /etc/tieralloc.conf, - for stdin)");
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "tierallocctl: apply: cannot open %s: %s\n", path, strerror(errno));
		return CTL_EXIT_ERR;
	}
	ctl_set_init(&set);
	ret = ctl_set_parse_file(&set, f, strcmp(path, "-") ? path : "<stdin>", err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret) {
		fprintf(stderr, "tierallocctl: apply: %s\nnothing was changed\n", err);
		return CTL_EXIT_USAGE;
	}
	for (unsigned int t = 0; t < TA_NR_TIERS; t++)
		n += __builtin_popcount(set.cfg[t].valid);
	if (check) {
		printf("%s: %d settings, syntax ok\n", path, n + (int)set.nparams);
		return CTL_EXIT_OK;
	}
	if (!n) {
		/* Module parameters only: no device needed. */
		ret = params_check("apply", &set, old_params);
		if (ret == CTL_EXIT_USAGE)
			fprintf(stderr, "nothing was changed\n");
		if (!ret)
			ret = params_apply("apply", &set, old_params);
		if (!ret)
			params_print_applied(&set);
		else if (ret != CTL_EXIT_USAGE)
			fprintf(stderr, "nothing was changed\n");
		return ret;
	}

	ret = ctl_dev_open(&dev, true);
	if (ret)
		return ret;
	ret = read_all(&dev, old, NULL);
	for (unsigned int t = 0; t < TA_NR_TIERS && !ret; t++) {
		const struct ta_tier_config *c = &set.cfg[t];
		uint64_t soft = c->valid & TA_CFG_SOFT_CAP ? c->soft_cap : old[t].soft_cap;
		uint64_t hard = c->valid & TA_CFG_HARD_CAP ? c->hard_cap : old[t].hard_cap;
		char b1[32], b2[32];

		if (soft && hard && soft > hard) {
			fprintf(stderr,
				"tierallocctl: apply: %s: %s.soft_cap %s exceeds %s.hard_cap "
				"%s%s\n",
				path, ctl_tier_name(t), ctl_fmt_exact(soft, b1, sizeof(b1)),
				ctl_tier_name(t), ctl_fmt_exact(hard, b2, sizeof(b2)),
				c->valid & TA_CFG_HARD_CAP ? "" : " (running)");
			ret = CTL_EXIT_USAGE;
		} else if (c->valid & TA_CFG_NODE && !node_has_memory(c->node)) {
			fprintf(stderr,
				"tierallocctl: apply: %s: %s.node=%d: no such node with memory\n",
				path, ctl_tier_name(t), c->node);
			ret = CTL_EXIT_USAGE;
		}
	}
	if (!ret)
		ret = params_check("apply", &set, old_params);
	if (ret) {
		if (ret == CTL_EXIT_USAGE)
			fprintf(stderr, "nothing was changed\n");
		ctl_dev_close(&dev);
		return ret;
	}
	/* The module parameters first: a refused one leaves the tiers untouched. */
	ret = params_apply("apply", &set, old_params);
	if (ret) {
		fprintf(stderr, "nothing was changed\n");
		ctl_dev_close(&dev);
		return ret;
	}
	for (done = 0; done < TA_NR_TIERS; done++) {
		const struct ta_tier_config *c = &set.cfg[done];

		if (!c->valid)
			continue;
		ret = set_failed("apply", &dev, c, ctl_set_tier(&dev, c));
		if (ret)
			break;
	}
	if (ret) {
		int bad = 0;

		/* Put back what was changed, field by field as it was set. */
		for (unsigned int t = 0; t < done; t++) {
			struct ta_tier_config r = old[t];

			if (!set.cfg[t].valid)
				continue;
			r.valid = set.cfg[t].valid;
			if (ctl_set_tier(&dev, &r)) {
				fprintf(stderr,
					"tierallocctl: apply: cannot restore the settings of tier "
					"%s: %s\n",
					ctl_tier_name(t), strerror(errno));
				bad++;
			}
		}
		bad += params_restore(&set, old_params, set.nparams);
		fprintf(stderr, bad ? "tierallocctl: apply: SOME SETTINGS WERE CHANGED\n"
				    : "nothing was changed\n");
	} else {
		for (unsigned int t = 0; t < TA_NR_TIERS; t++)
			print_applied(&set.cfg[t]);
		params_print_applied(&set);
	}
	ctl_dev_close(&dev);
	return ret;
}

static int cmd_show_config(int argc, char **argv)
{
	struct ctl_param params[CTL_MAX_PARAMS];
	struct ta_tier_config cfg[TA_NR_TIERS];
	struct ctl_dev dev;
	int ret, n;

	if (argc > 1)
		return usage_error("show-config: unexpected argument '%s'", argv[1]);
	ret = ctl_dev_open(&dev, false);
	if (ret)
		return ret;
	ret = read_all(&dev, cfg, NULL);
	ctl_dev_close(&dev);
	if (ret)
		return ret;
	printf("# tierallocctl show-config: the running settings, for tierallocctl apply\n");
	ctl_print_config(stdout, cfg);
	n = ctl_params_read(params, CTL_MAX_PARAMS);
	if (n > 0)
		ctl_print_params(stdout, params, (size_t)n);
	return CTL_EXIT_OK;
}

/* auto: the module's auto_* parameters, in apply's syntax. */
static int cmd_auto(int argc, char **argv)
{
	struct ctl_param params[CTL_MAX_PARAMS];
	int n;

	if (argc > 1)
		return usage_error("auto: unexpected argument '%s'", argv[1]);
	n = ctl_params_read(params, CTL_MAX_PARAMS);
	if (n < 0) {
		fprintf(stderr,
			"tierallocctl: auto: cannot read the module's auto_* parameters: %s (is a "
			"tieralloc.ko with automatic tiering loaded?)\n",
			strerror(-n));
		return n == -ENOENT ? CTL_EXIT_NODEV : CTL_EXIT_ERR;
	}
	ctl_print_params(stdout, params, (size_t)n);
	return CTL_EXIT_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t tot(const struct ta_stats *st, size_t off)
{
	uint64_t sum = 0, v;

	for (int t = 0; t < TA_NR_TIERS; t++) {
		memcpy(&v, (const char *)&st->tier[t] + off, sizeof(v));
		sum += v;
	}
	return sum;
}

static int cmd_watch(int argc, char **argv)
{
	double interval = 1.0, prev_t = 0;
	uint64_t count = 0; /* 0 = forever */
	struct ta_stats st, prev;
	bool raw = false, tty = isatty(STDOUT_FILENO);
	struct ctl_dev dev;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		bool is_interval;

		if (!strcmp(a, "--raw")) {
			raw = true;
			continue;
		}
		if (!strcmp(a, "--interval") || !strcmp(a, "-i")) {
			is_interval = true;
			v = argv[++i];
		} else if (!strcmp(a, "--count") || !strcmp(a, "-n")) {
			is_interval = false;
			v = argv[++i];
		} else if (!strncmp(a, "--interval=", 11)) {
			is_interval = true;
			v = a + 11;
		} else if (!strncmp(a, "--count=", 8)) {
			is_interval = false;
			v = a + 8;
		} else {
			return usage_error("watch: unknown argument '%s'", a);
		}
		if (!v)
			return usage_error("watch: %s needs a value", a);
		if (is_interval) {
			char *end;

			errno = 0;
			interval = strtod(v, &end);
			if (errno || end == v || *end || !isfinite(interval) || interval < 0.05 ||
			    interval > 86400)
				return usage_error(
					"watch: bad interval '%s' (seconds, 0.05 to 86400)", v);
		} else if (ctl_parse_uint(v, UINT32_MAX, &count) || !count) {
			return usage_error("watch: bad count '%s' (a positive number)", v);
		}
	}

	ret = ctl_dev_open(&dev, false);
	if (ret)
		return ret;
	for (uint64_t n = 0; !count || n < count; n++) {
		char stamp[64];
		time_t wall = time(NULL);
		double t;

		ret = read_all(&dev, NULL, &st);
		if (ret)
			break;
		t = now_s();
		strftime(stamp, sizeof(stamp), "%F %T", localtime(&wall));
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (n)
			fputs("\n", stdout);
		printf("tierallocctl watch: every %gs  %s\n", interval, stamp);
		ctl_print_stats(stdout, &st, raw);
		if (n) {
			double dt = t - prev_t;
#define RATE(f)                                                    \
	((double)(tot(&st, offsetof(struct ta_tier_stats, f)) -    \
		  tot(&prev, offsetof(struct ta_tier_stats, f))) / \
	 dt)
			char b1[32], b2[32];

			printf("rates/s: regions created %.0f, freed %.0f, bytes allocated %s, "
			       "moved %s\n",
			       RATE(alloc_calls), RATE(free_calls),
			       ctl_fmt_size((uint64_t)RATE(bytes_allocated), b1, sizeof(b1)),
			       ctl_fmt_size((uint64_t)RATE(bytes_moved_in), b2, sizeof(b2)));
#undef RATE
		}
		fflush(stdout);
		prev = st;
		prev_t = t;
		if (!count || n + 1 < count) {
			struct timespec ts = {
				.tv_sec = (time_t)interval,
				.tv_nsec = (long)((interval - floor(interval)) * 1e9),
			};

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
	}
	ctl_dev_close(&dev);
	return ret;
}

static void print_features(uint32_t f)
{
	static const char *const feats[TA_NR_FEATS] = TA_FEAT_NAMES;
	bool any = false;

	for (unsigned int i = 0; i < TA_NR_FEATS; i++) {
		if (f & (1U << i)) {
			printf("%s%s", any ? " " : "", feats[i]);
			f &= ~(1U << i);
			any = true;
		}
	}
	if (f) {
		printf("%s0x%x", any ? " " : "", f);
		any = true;
	}
	printf("%s\n", any ? "" : "none");
}

static int cmd_version(int argc, char **argv)
{
	struct ta_version v;
	struct ctl_dev dev;
	int ret;

	if (argc > 1)
		return usage_error("version: unexpected argument '%s'", argv[1]);
	printf("tierallocctl ABI version: %d\n", TIERALLOC_ABI_VERSION);
	fflush(stdout);
	ret = ctl_dev_open(&dev, false);
	if (ret)
		return ret;
	ret = ctl_get_version(&dev, &v);
	if (ret) {
		ctl_dev_close(&dev);
		return report("reading the module version (TA_IOC_VERSION)", ret);
	}
	printf("module ABI version:       %u\n", v.abi_version);
	printf("tiers:                    %u\n", v.nr_tiers);
	printf("features:                 ");
	if (dev.use_sysfs)
		printf("unknown (read from %s)\n", dev.sysfs);
	else
		print_features(v.features);
	if (v.abi_version != TIERALLOC_ABI_VERSION)
		fprintf(stderr,
			"tierallocctl: warning: module ABI %u differs from this tool's ABI %d\n",
			v.abi_version, TIERALLOC_ABI_VERSION);
	ctl_dev_close(&dev);
	return CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "tiers", cmd_tiers },
		{ "stats", cmd_stats },
		{ "set", cmd_set },
		{ "watch", cmd_watch },
		{ "version", cmd_version },
		{ "apply", cmd_apply },
		{ "show-config", cmd_show_config },
		{ "auto", cmd_auto },
	};

	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
