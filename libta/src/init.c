// SPDX-License-Identifier: MIT
/*
 * Process initialisation: defaults, topology, environment, backend choice,
 * fork handlers.  Safe to reach from any entry point at any time, including
 * re-entrantly during early process start: it uses no malloc and no stdio,
 * one thread runs it while others wait, and a re-entrant call from the
 * initialising thread proceeds with what is set up so far (the defaults):
 * lt_once_run() (once.h).
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct lt_global lt_g = {
	.fd = -1,
	.use_numa = true,
	.default_hint = TA_HINT_WARM,
	.purge_delay_ns = LT_PURGE_DELAY_MS_DEFAULT * 1000000ull, /* TA_PURGE_DELAY_MS */
};

static TA_TLS bool initialising; /* this thread runs init_once() */

static void atfork_prepare(void)
{
	lt_heaps_atfork_prepare();
	lt_large_atfork_prepare();
	lt_kernel_atfork_prepare();
	lt_registry_lock();
	lt_policy_atfork_prepare();
}

static void atfork_parent(void)
{
	lt_policy_atfork_parent();
	lt_registry_unlock();
	lt_large_atfork_parent();
	lt_heaps_atfork_parent();
	lt_kernel_atfork_parent();
}

static void atfork_child(void)
{
	lt_policy_atfork_child();
	lt_kernel_atfork_child();
	lt_registry_reinit();
	lt_large_atfork_child();
	lt_heaps_atfork_child();
}

static bool numa_syscalls_work(void)
{
	int mode;

	return syscall(SYS_get_mempolicy, &mode, NULL, 0ul, NULL, 0ul) == 0;
}

static void init_once(void)
{
	int backend, nodes, e = errno;

	for (unsigned t = 0; t < TA_NR_TIERS; t++)
		lt_g.tier[t].policy = TA_POLICY_ROUTE_SLOW;
	backend = lt_env_parse_early();
	lt_g.backend = TA_BACKEND_USER;
	if (!lt_g.disabled && backend != TA_BACKEND_USER) {
		if (lt_kernel_open() == 0)
			lt_g.backend = TA_BACKEND_KERNEL;
		else if (backend == TA_BACKEND_KERNEL)
			lt_msg("TA_BACKEND=kernel: %s unavailable (%s); using the user backend",
			       TIERALLOC_DEVICE, lt_strerror(errno));
	}
	if (lt_g.backend == TA_BACKEND_USER) {
		nodes = lt_topology_probe(lt_g.tier);
		if (nodes == 0 || !numa_syscalls_work())
			lt_g.use_numa = false;
		/* Like the kernel: model each tier's HMAT bandwidth, never delay. */
		for (unsigned t = 0; t < TA_NR_TIERS; t++) {
			lt_g.tier[t].rate = (uint64_t)lt_g.tier[t].read_bandwidth_mbps * 1000000u;
			lt_g.tier[t].burst = lt_g.tier[t].rate ? TAPOL_DEFAULT_BURST : 0;
			lt_g.tier[t].throttle_mode = TA_THROTTLE_ACCOUNT;
		}
		if (lt_g.disabled)
			lt_g.use_numa = false;
	}
	lt_env_parse();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	errno = e;
}

void lt_init_slow(void)
{
	lt_once_run(&lt_g.init, &initialising, init_once);
}

TA_EXPORT int ta_init(void)
{
	if (!lt_ready())
		lt_init_slow();
	return lt_g.disabled ? 1 : 0;
}
