// SPDX-License-Identifier: MIT
/*
 * Address -> segment map.  Arena segments, each one aligned TA_SEG_SIZE
 * unit, are marked in a bitmap (2^25 bits of .bss, touched only where
 * segments are), which the free fast path reads with one load; their
 * header is at the pointer masked down.  Large segments, which span
 * several units, have an entry per unit in a two-level table (a static
 * first level, second levels of 64 KiB mapped on first use and never
 * freed).  Lookups take no lock; updates happen when segments are created
 * or released.  A process that never has a large block touches neither
 * level: every page it need not touch is a page fault at its start.
 */
#include "internal.h"

#define L2_ENTRIES (1u << TA_MAP_L2_BITS)

TA_BIG_BSS _Atomic(struct lt_segment *) *_Atomic lt_map_l1[1u << TA_MAP_L1_BITS];

static _Atomic(struct lt_segment *) *l2_get(uintptr_t i1)
{
	_Atomic(struct lt_segment *) *l2 =
		atomic_load_explicit(&lt_map_l1[i1], memory_order_acquire);
	_Atomic(struct lt_segment *) *expect = NULL;

	if (l2)
		return l2;
	l2 = lt_meta_alloc(L2_ENTRIES * sizeof(*l2));
	if (!l2)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&lt_map_l1[i1], &expect, l2,
						     memory_order_acq_rel, memory_order_acquire)) {
		lt_unmap((void *)l2, L2_ENTRIES * sizeof(*l2));
		l2 = expect;
	}
	return l2;
}

static int map_store(struct lt_segment *seg, struct lt_segment *val)
{
	uintptr_t u = (uintptr_t)seg->base >> TA_SEG_SHIFT;
	uintptr_t n = seg->total >> TA_SEG_SHIFT;

	for (uintptr_t i = u; i < u + n; i++) {
		uintptr_t i1 = i >> TA_MAP_L2_BITS;
		_Atomic(struct lt_segment *) *l2;

		if (i1 >= (1u << TA_MAP_L1_BITS))
			return -1;
		l2 = val ? l2_get(i1) : atomic_load_explicit(&lt_map_l1[i1], memory_order_acquire);
		if (!l2)
			return -1;
		atomic_store_explicit(&l2[i & (L2_ENTRIES - 1)], val, memory_order_release);
	}
	return 0;
}

TA_BIG_BSS _Atomic uint64_t lt_arena_bits[TA_ARENA_UNITS / 64];

static void arena_bit(const struct lt_segment *seg, bool on)
{
	uintptr_t u = (uintptr_t)seg->base >> TA_SEG_SHIFT;
	uint64_t m = 1ull << (u % 64);

	if (on)
		atomic_fetch_or_explicit(&lt_arena_bits[u / 64], m, memory_order_release);
	else
		atomic_fetch_and_explicit(&lt_arena_bits[u / 64], ~m, memory_order_release);
}

int lt_map_set(struct lt_segment *seg)
{
	if (seg->kind == TA_SEG_ARENA) {
		if (((uintptr_t)seg->base >> TA_SEG_SHIFT) - 1 >= TA_ARENA_UNITS - 1)
			return -1;
		arena_bit(seg, true);
		return 0;
	}
	if (map_store(seg, seg)) {
		map_store(seg, NULL);
		return -1;
	}
	return 0;
}

void lt_map_clear(struct lt_segment *seg)
{
	if (seg->kind == TA_SEG_ARENA)
		arena_bit(seg, false);
	else
		map_store(seg, NULL);
}
