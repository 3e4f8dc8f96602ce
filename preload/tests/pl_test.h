/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the preload's tests (kselftest harness programs).
 *
 * A test program runs itself under the preload: when libta_preload.so is not
 * loaded yet, a constructor sets LD_PRELOAD to ../../libta_preload.so
 * (relative to the program, i.e. build/libta_preload.so) and re-executes it.
 * Built with -DPL_TEST_GLIBC it stays on glibc's malloc instead: the same
 * checks then document glibc's own behaviour.
 *
 * PL_TEST_CHILD=<mode> in the environment runs pl_child_main(mode) (defined
 * by the test) instead of the harness: tests start helpers with their own
 * environment (TA_DEFAULT_HINT, ...) that way.
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tieralloc.h"

/* Forks, threads and real programs on a loaded 2-core machine or in TCG: be patient. */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#endif

static char pl_test_exe_dir[PATH_MAX];

/* build/libta_preload.so, from the directory of this program (build/preload/tests). */
static inline const char *pl_preload_path(void)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/../../libta_preload.so", pl_test_exe_dir);
	return path;
}

/* build/tierallocctl */
static inline const char *pl_ctl_path(void)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/../../tierallocctl", pl_test_exe_dir);
	return path;
}

/* libta's entry points as exported by the preload (NULL under plain glibc). */
static inline void *pl_sym(const char *name)
{
	return dlsym(RTLD_DEFAULT, name);
}

static inline bool pl_preloaded(void)
{
	return pl_sym("ta_owns") != NULL;
}

static inline int pl_owns(const void *p)
{
	int (*f)(const void *) = (int (*)(const void *))pl_sym("ta_owns");

	return f ? f(p) : -1;
}

static inline int pl_get_stats(struct ta_lib_stats *st)
{
	int (*f)(struct ta_lib_stats *) = (int (*)(struct ta_lib_stats *))pl_sym("ta_get_stats");

	return f ? f(st) : -1;
}

static inline bool pl_in_vm(void)
{
	return getenv("TA_VM") != NULL;
}

static int pl_child_main(const char *mode);

/*
 * Run this program as a helper in @mode with extra environment @env
 * ("VAR=VALUE" strings, NULL-terminated), under the preload, its stderr to
 * @errfile when not NULL.  Returns the exit status (or 128 + signal) and
 * the helper's pid in *@pidp when not NULL.
 */
static inline int pl_run_child_ex(const char *mode, const char *const *env, const char *errfile,
				  pid_t *pidp)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = { (char *)"/proc/self/exe", NULL };

		if (errfile && !freopen(errfile, "w", stderr))
			_exit(126);
		setenv("PL_TEST_CHILD", mode, 1);
		setenv("LD_PRELOAD", pl_preload_path(), 1);
		for (; env && *env; env++)
			putenv((char *)*env);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pidp)
		*pidp = pid;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline int pl_run_child(const char *mode, const char *const *env)
{
	return pl_run_child_ex(mode, env, NULL, NULL);
}

/* /dev/shm/tieralloc.<pid> */
static inline const char *pl_shm_path(pid_t pid)
{
	static char path[64];

	snprintf(path, sizeof(path), "/dev/shm/tieralloc.%d", (int)pid);
	return path;
}

__attribute__((constructor(101))) static void pl_test_setup(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *mode = getenv("PL_TEST_CHILD");

	(void)argc;
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		strcpy(pl_test_exe_dir, exe);
	}
	if (mode)
		exit(pl_child_main(mode));
#ifndef PL_TEST_GLIBC
	if (!pl_preloaded()) {
		setenv("LD_PRELOAD", pl_preload_path(), 1);
		execv("/proc/self/exe", argv);
		perror("execv under the preload");
		exit(1);
	}
#endif
}

#endif /* PL_TEST_H */
