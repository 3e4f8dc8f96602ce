// SPDX-License-Identifier: MIT
/*
 * Process initialisation: defaults, topology, environment, backend choice,
 * fork handlers.  Safe to reach from any entry point at any time, including
 * re-entrantly during early process start: it uses no malloc and no stdio,
 * one thread runs it while others wait, and a re-entrant call from the
 * initialising thread proceeds with what is set up so far (the defaults).
 */
#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct ta_global ta_g = {
	.fd = -1,
	.use_numa = true,
	.default_hint = TA_HINT_WARM,
	.purge_delay_ns = TA_PURGE_DELAY_MS_DEFAULT * 1000000ull,
};

static TA_TLS bool initialising; /* this thread runs init_once() */

static void atfork_prepare(void)
{
	ta_heaps_atfork_prepare();
	ta_large_atfork_prepare();
	ta_kernel_atfork_prepare();
	ta_registry_lock();
	ta_policy_atfork_prepare();
}

static void atfork_parent(void)
{
	ta_policy_atfork_parent();
	ta_registry_unlock();
	ta_large_atfork_parent();
	ta_heaps_atfork_parent();
	ta_kernel_atfork_parent();
}

static void atfork_child(void)
{
	ta_policy_atfork_child();
	ta_kernel_atfork_child();
	ta_registry_reinit();
	ta_large_atfork_child();
	ta_heaps_atfork_child();
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
		ta_g.tier[t].policy = TA_POLICY_ROUTE_SLOW;
	backend = ta_env_parse_early();
	ta_g.backend = TA_BACKEND_USER;
	if (!ta_g.disabled && backend != TA_BACKEND_USER) {
		if (ta_kernel_open() == 0)
			ta_g.backend = TA_BACKEND_KERNEL;
		else if (backend == TA_BACKEND_KERNEL)
			ta_msg("TA_BACKEND=kernel: %s unavailable (%s); using the user backend",
			       TIERALLOC_DEVICE, ta_strerror(errno));
	}
	if (ta_g.backend == TA_BACKEND_USER) {
		nodes = ta_topology_probe(ta_g.tier);
		if (nodes == 0 || !numa_syscalls_work())
			ta_g.use_numa = false;
		/* Like the kernel: model each tier's HMAT bandwidth, never delay. */
		for (unsigned t = 0; t < TA_NR_TIERS; t++) {
			ta_g.tier[t].rate = (uint64_t)ta_g.tier[t].read_bandwidth_mbps * 1000000u;
			ta_g.tier[t].burst = ta_g.tier[t].rate ? TAPOL_DEFAULT_BURST : 0;
			ta_g.tier[t].throttle_mode = TA_THROTTLE_ACCOUNT;
		}
		if (ta_g.disabled)
			ta_g.use_numa = false;
	}
	ta_env_parse();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	errno = e;
}

void ta_init_slow(void)
{
	int expect = 0;

	if (atomic_compare_exchange_strong(&ta_g.init_state, &expect, 1)) {
		initialising = true;
		init_once();
		atomic_store_explicit(&ta_g.init_state, 2, memory_order_release);
		initialising = false;
		return;
	}
	/* Re-entered by the initialising thread: go on with the defaults. */
	if (initialising)
		return;
	while (atomic_load_explicit(&ta_g.init_state, memory_order_acquire) != 2)
		sched_yield();
}

TA_EXPORT int ta_init(void)
{
	if (!ta_ready())
		ta_init_slow();
	return ta_g.disabled ? 1 : 0;
}
