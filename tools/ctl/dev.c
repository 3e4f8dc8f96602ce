// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tierallocctl: /dev/tieralloc access.  Every tieralloc.ko answers the
 * read ioctls; when the device does not (ENOTTY: TIERALLOCCTL_DEVICE names
 * another device, as the tests' /dev/null), reads come from sysfs
 * (Documentation/ABI/testing/sysfs-class-misc-tieralloc) instead.  The
 * host tests read a fake sysfs tree that way, and the guest test checks the
 * module's sysfs files against its ioctls through it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

int ctl_dev_open(struct ctl_dev *dev, bool write)
{
	const char *p;
	int err;

	memset(dev, 0, sizeof(*dev));
	p = getenv(CTL_ENV_DEVICE);
	dev->path = p && *p ? p : TIERALLOC_DEVICE;
	p = getenv(CTL_ENV_SYSFS);
	dev->sysfs = p && *p ? p : CTL_SYSFS_DEFAULT;

	dev->fd = open(dev->path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (dev->fd < 0 && write && errno == EACCES)
		dev->fd = open(dev->path, O_RDONLY | O_CLOEXEC);
	if (dev->fd >= 0)
		return 0;

	err = errno;
	switch (err) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		fprintf(stderr, "%s not found: is tieralloc.ko loaded? (see README)\n", dev->path);
		return CTL_EXIT_NODEV;
	case EACCES:
	case EPERM:
		if (write)
			fprintf(stderr,
				"permission denied: setting tiers needs CAP_SYS_ADMIN (cannot open "
				"%s: %s)\n",
				dev->path, strerror(err));
		else
			fprintf(stderr, "permission denied: cannot open %s: %s\n", dev->path,
				strerror(err));
		return CTL_EXIT_PERM;
	}
	fprintf(stderr, "cannot open %s: %s\n", dev->path, strerror(err));
	return CTL_EXIT_ERR;
}

void ctl_dev_close(struct ctl_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

/* ---- sysfs ---- */

static int sysfs_read(const struct ctl_dev *dev, const char *tier, const char *attr, char *buf,
		      size_t len)
{
	char path[512];
	ssize_t n;
	int fd, err;

	if (tier)
		snprintf(path, sizeof(path), "%s/%s/%s", dev->sysfs, tier, attr);
	else
		snprintf(path, sizeof(path), "%s/%s", dev->sysfs, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		fprintf(stderr, "tierallocctl: cannot read %s: %s\n", path, strerror(err));
		return -err;
	}
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		fprintf(stderr, "tierallocctl: cannot read %s: %s\n", path, strerror(err));
		return -err;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int sysfs_u64(const struct ctl_dev *dev, const char *tier, const char *attr, uint64_t *v)
{
	char buf[64], *end;
	int ret = sysfs_read(dev, tier, attr, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf || *end || buf[0] == '-') {
		fprintf(stderr, "tierallocctl: %s/%s%s%s: not a number: '%s'\n", dev->sysfs,
			tier ? tier : "", tier ? "/" : "", attr, buf);
		return -EINVAL;
	}
	return 0;
}

static int sysfs_enum(const struct ctl_dev *dev, const char *tier, const char *attr,
		      const char *const *names, int nr, uint32_t *v)
{
	char buf[64];
	int ret = sysfs_read(dev, tier, attr, buf, sizeof(buf));

	if (ret)
		return ret;
	for (int i = 0; i < nr; i++) {
		if (!strcasecmp(buf, names[i])) {
			*v = (uint32_t)i;
			return 0;
		}
	}
	fprintf(stderr, "tierallocctl: %s/%s/%s: unknown value '%s'\n", dev->sysfs, tier, attr,
		buf);
	return -EINVAL;
}

static int sysfs_get_tier(struct ctl_dev *dev, unsigned int t, struct ta_tier_config *cfg)
{
	static const char *const policies[TA_NR_POLICIES] = TA_POLICY_NAMES;
	static const char *const modes[TA_NR_THROTTLE_MODES] = TA_THROTTLE_MODE_NAMES;
	const char *tn = ctl_tier_name(t);
	char buf[64], *end;
	uint64_t v;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->tier = t;
	ret = sysfs_read(dev, tn, "node", buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	v = (uint64_t)strtol(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	cfg->node = (__s32)v;
	if ((ret = sysfs_enum(dev, tn, "policy", policies, 2, &cfg->policy)) ||
	    (ret = sysfs_enum(dev, tn, "throttle_mode", modes, 2, &cfg->throttle_mode)))
		return ret;
#define U64(f)                                          \
	do {                                            \
		if ((ret = sysfs_u64(dev, tn, #f, &v))) \
			return ret;                     \
		cfg->f = v;                             \
	} while (0)
	U64(soft_cap);
	U64(hard_cap);
	U64(rate);
	U64(burst);
	U64(node_capacity);
	U64(node_free);
#undef U64
#define U32(f)                                          \
	do {                                            \
		if ((ret = sysfs_u64(dev, tn, #f, &v))) \
			return ret;                     \
		cfg->f = (__u32)v;                      \
	} while (0)
	U32(read_latency_ns);
	U32(read_bandwidth_mbps);
	U32(info_flags);
#undef U32
	return 0;
}

static int sysfs_get_stats(struct ctl_dev *dev, struct ta_stats *st)
{
	uint64_t v;
	int ret;

	memset(st, 0, sizeof(*st));
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		for (size_t i = 0; i < TA_NR_TIER_STATS; i++) {
			ret = sysfs_u64(dev, ctl_tier_name(t), ctl_stat_names[i], &v);
			if (ret)
				return ret;
			ctl_stat_set(&st->tier[t], i, v);
		}
		/* Each live region is granted exactly one tier. */
		st->live_regions += st->tier[t].regions;
	}
	/* sysfs has no open_files; it stays 0. */
	return 0;
}

static int sysfs_get_version(struct ctl_dev *dev, struct ta_version *ver)
{
	uint64_t v;
	int ret;

	memset(ver, 0, sizeof(*ver));
	ret = sysfs_u64(dev, NULL, "abi_version", &v);
	if (ret)
		return ret;
	ver->abi_version = (__u32)v;
	for (unsigned int t = 0; t < TA_NR_TIERS; t++) {
		char path[512];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dev->sysfs, ctl_tier_name(t));
		if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
			ver->nr_tiers++;
	}
	return 0; /* features are not exported through sysfs */
}

/* ---- ioctls ---- */

/* Run an ioctl; on ENOTTY switch @dev to sysfs and return 1. */
static int do_ioctl(struct ctl_dev *dev, unsigned long req, void *arg)
{
	if (dev->use_sysfs)
		return 1;
	if (!ioctl(dev->fd, req, arg))
		return 0;
	if (errno == ENOTTY) {
		dev->use_sysfs = true;
		return 1;
	}
	return -errno;
}

int ctl_get_version(struct ctl_dev *dev, struct ta_version *v)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = do_ioctl(dev, TA_IOC_VERSION, v);
	return ret == 1 ? sysfs_get_version(dev, v) : ret;
}

int ctl_get_tier(struct ctl_dev *dev, unsigned int tier, struct ta_tier_config *cfg)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->tier = tier;
	ret = do_ioctl(dev, TA_IOC_GET_TIER, cfg);
	return ret == 1 ? sysfs_get_tier(dev, tier, cfg) : ret;
}

int ctl_get_stats(struct ctl_dev *dev, struct ta_stats *st)
{
	struct ta_stats_query q = {
		.stats_ptr = (__u64)(uintptr_t)st,
		.size = sizeof(*st),
	};
	int ret;

	memset(st, 0, sizeof(*st));
	ret = do_ioctl(dev, TA_IOC_GET_STATS, &q);
	return ret == 1 ? sysfs_get_stats(dev, st) : ret;
}

int ctl_set_tier(struct ctl_dev *dev, const struct ta_tier_config *cfg)
{
	struct ta_tier_config c = *cfg;

	if (ioctl(dev->fd, TA_IOC_SET_TIER, &c))
		return -errno;
	return 0;
}

/* ---- module parameters (auto_*) ---- */

static const char *params_dir(void)
{
	const char *p = getenv(CTL_ENV_PARAMS);

	return p && *p ? p : CTL_PARAMS_DEFAULT;
}

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_param *)a)->name, ((const struct ctl_param *)b)->name);
}

int ctl_params_read(struct ctl_param *p, size_t max)
{
	const size_t plen = strlen(CTL_PARAM_PREFIX);
	DIR *d = opendir(params_dir());
	struct dirent *e;
	size_t n = 0;
	int err = 0;

	if (!d)
		return -errno;
	while (n < max && (e = readdir(d))) {
		char path[512], buf[32], *end;
		unsigned long v;
		FILE *f;

		if (strncmp(e->d_name, CTL_PARAM_PREFIX, plen) ||
		    strlen(e->d_name) >= CTL_PARAM_NAME_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", params_dir(), e->d_name);
		f = fopen(path, "r");
		if (!f) {
			err = -errno;
			break;
		}
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		errno = 0;
		v = strtoul(buf, &end, 10);
		if (end == buf || (*end && *end != '\n') || errno || v > UINT32_MAX) {
			err = -EPROTO;
			break;
		}
		snprintf(p[n].name, sizeof(p[n].name), "%s", e->d_name);
		p[n++].value = (uint32_t)v;
	}
	closedir(d);
	if (err)
		return err;
	if (!n)
		return -ENOENT;
	qsort(p, n, sizeof(*p), param_cmp);
	return (int)n;
}

int ctl_param_write(const char *name, uint32_t value)
{
	char path[512], buf[16];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), "%s/%s", params_dir(), name);
	/* O_TRUNC as a shell's '>' does: sysfs ignores it, a plain file (tests) needs it. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u", value);
	if (write(fd, buf, (size_t)len) != len)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err ? err : 0;
}
