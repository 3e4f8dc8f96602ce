/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Run tierallocctl from a test and capture its exit status, stdout and
 * stderr.  The binary is $TIERALLOCCTL_BIN, else ../tierallocctl next to
 * the test program (build/tests/X -> build/tierallocctl).
 */
#ifndef TIERALLOCCTL_TEST_RUN_H
#define TIERALLOCCTL_TEST_RUN_H

#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL_RUN_NOUID  ((uid_t)-1)
#define CTL_RUN_MAXARG 32

struct ctl_out {
	int status; /* exit code, or 128 + signal */
	char out[65536];
	char err[8192];
};

static const char *ctl_bin(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("TIERALLOCCTL_BIN");
	ssize_t n;

	if (env && *env)
		return env;
	if (path[0])
		return path;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return "tierallocctl";
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../tierallocctl", dirname(exe));
	return path;
}

static void ctl_slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run tierallocctl with the NULL-terminated arguments, as @uid unless it is
 * CTL_RUN_NOUID, with "KEY=VALUE" strings of @env (NULL-terminated, may be
 * NULL) added to the environment.  Returns @o->status, or -1 when the
 * program could not be started.
 */
static int ctl_run(struct ctl_out *o, uid_t uid, const char *const *env, ...)
{
	char *argv[CTL_RUN_MAXARG + 2];
	FILE *out = tmpfile(), *err = tmpfile();
	int argc = 0, st;
	va_list ap;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->status = -1;
	if (!out || !err)
		return -1;
	argv[argc++] = (char *)"tierallocctl";
	va_start(ap, env);
	for (char *a; (a = va_arg(ap, char *)) && argc <= CTL_RUN_MAXARG;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		for (; env && *env; env++)
			putenv((char *)*env);
		if (uid != CTL_RUN_NOUID &&
		    (setgroups(0, NULL) || setgid((gid_t)uid) || setuid(uid))) {
			perror("ctl_run: dropping privileges");
			_exit(126);
		}
		execv(ctl_bin(), argv);
		fprintf(stderr, "ctl_run: cannot run %s: %m\n", ctl_bin());
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	ctl_slurp(out, o->out, sizeof(o->out));
	ctl_slurp(err, o->err, sizeof(o->err));
	return o->status;
}

/*
 * The table of `tierallocctl stats` in @out: after the "FIELD" header, one
 * row per field of struct ta_tier_stats, in the UAPI's order (its
 * TA_TIER_STAT_NAMES), with a value for each tier and the total.  With
 * @want (output of --raw), each tier's value is want(tier, field) and the
 * total their sum.  Returns the number of rows that are right (all
 * TA_NR_TIER_STATS of them if the table is); the harness is included first.
 */
static size_t ctl_check_stats_rows(struct __test_metadata *_metadata, const char *out,
				   uint64_t (*want)(int tier, size_t field))
{
	const char *p = strstr(out, "\nFIELD ");
	size_t good = 0;

	EXPECT_NE(NULL, p) TH_LOG("no FIELD header: %s", out);
	if (!p)
		return 0;
	p = strchr(p + 1, '\n');
	for (size_t i = 0; i < TA_NR_TIER_STATS && p; i++) {
		char name[64], cell[TA_NR_TIERS + 1][32];
		const char *nl = strchr(p + 1, '\n');
		char line[256];
		bool ok;
		int n;

		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p - 1) : (int)strlen(p + 1),
			 p + 1);
		p = nl;
		n = sscanf(line, "%63s %31s %31s %31s %31s", name, cell[0], cell[1], cell[2],
			   cell[3]);
		ok = n == TA_NR_TIERS + 2 && !strcmp(name, ctl_stat_names[i]);
		EXPECT_TRUE(ok)
		TH_LOG("row %zu is not %s with %d values: '%s'", i + 1, ctl_stat_names[i],
		       TA_NR_TIERS + 1, line);
		if (ok && want) {
			uint64_t sum = 0;

			for (int t = 0; t <= TA_NR_TIERS; t++) {
				uint64_t v = t < TA_NR_TIERS ? want(t, i) : sum;

				sum += v;
				if (strtoull(cell[t], NULL, 10) != v) {
					ok = false;
					TH_LOG("%s column %d: %s, not %llu", name, t + 1, cell[t],
					       (unsigned long long)v);
				}
			}
			EXPECT_TRUE(ok);
		}
		good += ok;
	}
	return good;
}

#endif /* TIERALLOCCTL_TEST_RUN_H */
