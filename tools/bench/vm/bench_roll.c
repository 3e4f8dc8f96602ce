// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * bench_roll: a rolling window of allocations that cool as they age.
 *
 * Every step allocates a batch of blocks (64 KiB .. 4 MiB) as HOT and
 * writes them.  A block AGE_NORMAL steps old is demoted to NORMAL with
 * ta_move(), AGE_SLOW steps old to SLOW, and AGE_FREE steps old it is freed,
 * so the tiers fill, reach a steady state and, when the window is drained
 * at the end, empty again.  Blocks of TA_LARGE_MIN or more are migrated in
 * place by the kernel; smaller ones are copied by libta.
 *
 * Baseline, same blocks and schedule: anonymous mmap + mbind(MPOL_BIND) to
 * the FAST node and move_pages(2) of every page on each demotion: what a
 * program does today without TierAlloc.
 *
 * Rows (tools/bench/README.md):
 *   bench_roll.step_ms[mbind]       ms   mean step (alloc + write + demote + free)
 *   bench_roll.step_ms[libta]       ms   the same through ta_alloc/ta_move/ta_free
 *   bench_roll.move_mib_s[move_pages] MiB/s  demotion throughput
 *   bench_roll.move_mib_s[libta]    MiB/s
 *   bench_roll.misplaced_pct[libta] %    live pages not on their tier's node
 *                                  (move_pages query, sampled every step)
 *   bench_roll.check_errors[libta]  count blocks whose contents changed
 *
 * --demo: a smaller run that prints, every step, how many MiB each tier
 * holds by libta's account and by the kernel's (move_pages on every live
 * page), as bars: the tiers fill and drain.  Exit 77 without 3 NUMA nodes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/mempolicy.h>
#include <tieralloc.h>

#include "bench_vm.h"

#define MIB	     (1UL << 20)
#define PAGE	     4096UL
#define AGE_NORMAL   4
#define AGE_SLOW     12
#define AGE_FREE     24
#define MAX_PER_STEP 64

struct block {
	char *p;
	size_t len;
	int tier;      /* where it should be now */
	uint64_t seed; /* content pattern */
};

struct step {
	int n;
	struct block b[MAX_PER_STEP];
};

/* Ways to run the schedule: libta, or mmap + mbind + move_pages. */
struct ops {
	const char *name;
	char *(*alloc)(size_t len);
	int (*move)(struct block *b, int tier);
	void (*free)(struct block *b);
};

static int node_of[TA_NR_TIERS];
static const char *const tier_name[TA_NR_TIERS] = TA_TIER_NAMES;
static double moved_bytes, move_s;

static void fill(struct block *b)
{
	for (size_t i = 0; i < b->len; i += 512)
		*(uint64_t *)(b->p + i) = b->seed + i;
}

static int intact(const struct block *b)
{
	for (size_t i = 0; i < b->len; i += 512)
		if (*(uint64_t *)(b->p + i) != b->seed + i)
			return 0;
	return 1;
}

/* ---- libta ---- */

static char *ta_ops_alloc(size_t len)
{
	return ta_alloc(len, TA_HINT_HOT);
}

static int ta_ops_move(struct block *b, int tier)
{
	char *q = ta_move(b->p, (ta_tier_t)tier);

	if (!q)
		return -1;
	b->p = q;
	return 0;
}

static void ta_ops_free(struct block *b)
{
	ta_free(b->p);
}

/* ---- baseline: mmap + mbind + move_pages ---- */

static char *anon_alloc(size_t len)
{
	unsigned long mask = 1UL << node_of[TA_TIER_FAST];
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (syscall(SYS_mbind, p, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

static int anon_move(struct block *b, int tier)
{
	unsigned long n = b->len / PAGE;
	void **pages = malloc(n * sizeof(*pages));
	int *nodes = malloc(n * sizeof(*nodes)), *status = malloc(n * sizeof(*status));
	long rc = -1;

	if (pages && nodes && status) {
		for (unsigned long i = 0; i < n; i++) {
			pages[i] = b->p + i * PAGE;
			nodes[i] = node_of[tier];
		}
		rc = syscall(SYS_move_pages, 0, n, pages, nodes, status, MPOL_MF_MOVE);
	}
	free(pages);
	free(nodes);
	free(status);
	return rc < 0 ? -1 : 0;
}

static void anon_free(struct block *b)
{
	munmap(b->p, b->len);
}

static const struct ops libta_ops = { "libta", ta_ops_alloc, ta_ops_move, ta_ops_free };
static const struct ops anon_ops = { "mbind", anon_alloc, anon_move, anon_free };

/* ---- placement as the kernel sees it ---- */

/* Count @b's pages per node into @pages (every @stride-th page). */
static void kernel_nodes(const struct block *b, unsigned long stride,
			 unsigned long pages[TA_NR_TIERS], unsigned long *other)
{
	enum { CHUNK = 256 };
	void *addr[CHUNK];
	int status[CHUNK];
	unsigned long n = b->len / PAGE, i = 0;

	while (i < n) {
		int k = 0;

		/*
		 * Read each page first: a page the kernel migrated is unmapped
		 * until its next access, and move_pages() says -ENOENT for it.
		 */
		for (; i < n && k < CHUNK; i += stride) {
			addr[k] = b->p + i * PAGE;
			(void)*(volatile char *)addr[k++];
		}
		if (syscall(SYS_move_pages, 0, k, addr, NULL, status, 0))
			return;
		for (int j = 0; j < k; j++) {
			int t;

			for (t = 0; t < TA_NR_TIERS; t++)
				if (status[j] == node_of[t])
					break;
			if (t < TA_NR_TIERS)
				pages[t] += stride;
			else
				(*other) += stride;
		}
	}
}

/* ---- the schedule ---- */

struct run {
	int steps, per_step;
	unsigned long stride; /* move_pages sampling */
	int demo;
	/* results */
	double step_ms;
	unsigned long misplaced, sampled, check_errors, failures;
};

/* --demo with TA_DEMO_CSV=FILE: the same numbers per step, for tools/plot. */
static FILE *demo_csv;

static void demo_bar(const char *label, double mib, double scale)
{
	int n = (int)(mib / scale + 0.5);

	printf("  %s %5.1f ", label, mib);
	for (int i = 0; i < 12; i++)
		putchar(i < n ? '#' : '.');
}

static void account(struct run *r, struct step *win, int nwin, int step)
{
	unsigned long pages[TA_NR_TIERS] = { 0 }, other = 0;
	double want[TA_NR_TIERS] = { 0 };

	for (int s = 0; s < nwin; s++)
		for (int i = 0; i < win[s].n; i++) {
			struct block *b = &win[s].b[i];
			unsigned long before = pages[b->tier];

			want[b->tier] += (double)b->len / MIB;
			kernel_nodes(b, r->stride, pages, &other);
			r->sampled += b->len / PAGE;
			r->misplaced += b->len / PAGE - (pages[b->tier] - before);
		}
	(void)other;
	if (!r->demo)
		return;
	if (demo_csv)
		fprintf(demo_csv, "%d,%.1f,%.1f,%.1f,%.0f,%.0f,%.0f\n", step,
			(double)pages[0] * PAGE / MIB, (double)pages[1] * PAGE / MIB,
			(double)pages[2] * PAGE / MIB, want[0], want[1], want[2]);
	printf("%3d ", step);
	for (int t = 0; t < TA_NR_TIERS; t++)
		demo_bar(tier_name[t], (double)pages[t] * PAGE / MIB, 8.0);
	printf("  libta %4.0f/%3.0f/%3.0f\n", want[0], want[1], want[2]);
}

static int run_schedule(const struct ops *o, struct run *r, int verify)
{
	struct step *win = calloc(AGE_FREE, sizeof(*win));
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int total = r->steps + AGE_FREE;
	double t0, t1;

	if (!win)
		return -1;
	moved_bytes = 0;
	move_s = 0;
	t0 = now();
	for (int step = 0; step < total; step++) {
		struct step *cur = &win[step % AGE_FREE];

		/* Free what leaves the window, then demote what aged. */
		for (int i = 0; i < cur->n; i++) {
			if (verify && !intact(&cur->b[i]))
				r->check_errors++;
			o->free(&cur->b[i]);
		}
		cur->n = 0;
		for (int age = 1; age < AGE_FREE && age <= step; age++) {
			struct step *s = &win[(step - age) % AGE_FREE];
			int to = age == AGE_NORMAL ? TA_TIER_NORMAL
				 : age == AGE_SLOW ? TA_TIER_SLOW
						   : -1;

			if (to < 0)
				continue;
			for (int i = 0; i < s->n; i++) {
				double m0 = now();

				if (o->move(&s->b[i], to)) {
					r->failures++;
					continue;
				}
				move_s += now() - m0;
				moved_bytes += s->b[i].len;
				s->b[i].tier = to;
			}
		}
		/* The new batch, while the schedule runs (not while draining). */
		for (int i = 0; step < r->steps && i < r->per_step; i++) {
			struct block *b = &cur->b[cur->n];

			/* 64 KiB .. 4 MiB, a quarter of them large. */
			b->len = (rnd(&seed) & 3) ? (1 + rnd(&seed) % 15) * 64 * 1024
						  : (1 + rnd(&seed) % 4) * MIB;
			b->p = o->alloc(b->len);
			if (!b->p) {
				r->failures++;
				continue;
			}
			b->tier = TA_TIER_FAST;
			b->seed = rnd(&seed);
			fill(b);
			cur->n++;
		}
		if (verify)
			account(r, win, AGE_FREE, step);
	}
	t1 = now();
	r->step_ms = (t1 - t0) * 1e3 / total;
	free(win);
	return 0;
}

int main(int argc, char **argv)
{
	int demo = argc > 1 && !strcmp(argv[1], "--demo");
	const char *sc = getenv("BENCH_SCALE");
	double scale = sc ? strtod(sc, NULL) : 1.0;
	struct ta_lib_stats st;
	struct run base = { 0 }, ta = { 0 };
	double base_mib_s, ta_mib_s;

	if (ta_init() < 0 || ta_get_stats(&st)) {
		fprintf(stderr, "bench_roll: libta did not initialise\n");
		return 1;
	}
	for (int t = 0; t < TA_NR_TIERS; t++)
		node_of[t] = st.tier[t].node;
	if (st.simulated || node_of[0] == node_of[1] || node_of[1] == node_of[2] ||
	    node_of[0] == node_of[2]) {
		fprintf(stderr, "bench_roll: SKIP: needs three tiers on three NUMA nodes\n");
		return 77;
	}
	if (scale <= 0)
		scale = 1.0;

	if (demo) {
		ta.steps = 32;
		ta.per_step = 6;
		ta.stride = 1;
		ta.demo = 1;
		printf("bench_roll (%s backend): every step allocates ~%d blocks HOT; "
		       "age %d -> NORMAL, %d -> SLOW, %d -> freed.\n"
		       "Per step: MiB on each tier's node as the kernel reports it "
		       "(move_pages, # = 8 MiB),\nthen libta's own account "
		       "(FAST/NORMAL/SLOW MiB):\n",
		       st.backend == TA_BACKEND_KERNEL ? "kernel" : "user", ta.per_step, AGE_NORMAL,
		       AGE_SLOW, AGE_FREE);
		if (getenv("TA_DEMO_CSV")) {
			demo_csv = fopen(getenv("TA_DEMO_CSV"), "w");
			if (!demo_csv)
				perror(getenv("TA_DEMO_CSV"));
			else
				fprintf(demo_csv, "step,kernel_fast_mib,kernel_normal_mib,"
						  "kernel_slow_mib,libta_fast_mib,"
						  "libta_normal_mib,libta_slow_mib\n");
		}
		run_schedule(&libta_ops, &ta, 1);
		if (demo_csv && fclose(demo_csv))
			perror(getenv("TA_DEMO_CSV"));
		printf("bench_roll: %.1f MiB demoted at %.0f MiB/s, %lu of %lu pages "
		       "off their tier, %lu blocks corrupted, %lu failures\n",
		       moved_bytes / MIB, moved_bytes / MIB / (move_s ? move_s : 1), ta.misplaced,
		       ta.sampled, ta.check_errors, ta.failures);
		return ta.misplaced || ta.check_errors || ta.failures ? 1 : 0;
	}

	base.steps = ta.steps = (int)(48 * scale) < 8 ? 8 : (int)(48 * scale);
	base.per_step = ta.per_step = 8;
	ta.stride = 16;

	/* Timed runs without verification, then one verified libta run. */
	run_schedule(&anon_ops, &base, 0);
	base_mib_s = moved_bytes / MIB / (move_s ? move_s : 1);
	run_schedule(&libta_ops, &ta, 0);
	ta_mib_s = moved_bytes / MIB / (move_s ? move_s : 1);
	row("bench_roll.step_ms[mbind]", "ms", base.step_ms, NULL);
	row("bench_roll.step_ms[libta]", "ms", ta.step_ms, "bench_roll.step_ms[mbind]");
	row("bench_roll.move_mib_s[move_pages]", "MiB/s", base_mib_s, NULL);
	row("bench_roll.move_mib_s[libta]", "MiB/s", ta_mib_s, "bench_roll.move_mib_s[move_pages]");

	ta.steps = 3 * AGE_FREE / 2;
	run_schedule(&libta_ops, &ta, 1);
	row("bench_roll.misplaced_pct[libta]", "%",
	    ta.sampled ? 100.0 * ta.misplaced / ta.sampled : 100.0, NULL);
	row("bench_roll.check_errors[libta]", "count", (double)ta.check_errors, NULL);
	if (base.failures || ta.failures) {
		fprintf(stderr, "bench_roll: %lu baseline and %lu libta operations failed\n",
			base.failures, ta.failures);
		return 1;
	}
	return 0;
}
