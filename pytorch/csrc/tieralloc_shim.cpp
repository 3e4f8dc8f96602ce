// SPDX-License-Identifier: MIT
/*
 * tieralloc_shim: a c10::Allocator over libta, so PyTorch CPU tensors live
 * on TierAlloc's memory tiers.  The Python package `tieralloc` (pytorch/
 * tieralloc/) is the user-facing API; this module is its engine.
 *
 * Design notes (the traps are PyTorch's own):
 *
 *  - Every DataPtr we hand out has context == data pointer and the deleter
 *    tensor_free(); raw_deleter() returns that deleter.  oneDNN/ideep and
 *    other raw_allocate()/raw_deallocate() users depend on both.
 *  - The allocator object is a leaked static: storages remember their
 *    allocator (for resize), and deleters run during interpreter shutdown,
 *    on any thread, after module teardown.  Nothing here is ever destroyed,
 *    and libta.so (linked, never dlclose'd) keeps its state to the end.
 *  - enable() installs us with c10::SetCPUAllocator at kPriority and
 *    remembers the allocator it replaced.  Tensors keep the deleter they
 *    were born with, so tensors allocated before enable() or after
 *    disable() are freed by their own allocator, and TierAlloc tensors
 *    outlive disable() safely.
 *  - Raw allocations are the catch: oneDNN/ideep's engine allocator calls
 *    GetAllocator(CPU)->raw_allocate() and, later, *whatever allocator is
 *    current then* ->raw_deallocate().  So our raw deleter frees libta
 *    blocks with ta_free and hands any other pointer to the previous
 *    allocator's raw deleter (memory ideep got before enable()), and
 *    disable() puts the previous allocator back in c10 only when no
 *    TierAlloc block is live.  Otherwise our allocator stays registered in
 *    pass-through mode: every new allocation is the previous allocator's
 *    (with its deleter), and a raw free of a TierAlloc block still reaches
 *    libta.  (A literal restore would hand that block to free(3) and abort
 *    the process.)  A storage created while enabled and resized after
 *    disable() gets its new memory from the previous allocator.
 *  - Placement: the allocating thread's scope hint (set by
 *    tieralloc.torch.hint(), thread-local), else the process-wide tensor
 *    default (set_default_hint), else libta's own per-thread default
 *    (ta_get_default_hint(): TA_DEFAULT_HINT, normally "warm").
 *  - Large blocks (>= TA_LARGE_MIN) are regions of their own: creating
 *    one is mmap + mbind (or an ioctl) + page faults, and libta keeps only
 *    a few freed ones per tier (eight, 32 MiB of them, none over 32 MiB).  A training step frees and reallocates its
 *    activations and gradients every step, so a per-tier cache of freed
 *    large blocks (like PyTorch's CUDA caching allocator; default 64 MiB per
 *    tier, set_cache_limit(), empty_cache()) hands the same, already
 *    faulted-in regions back.  A block is cached under the tier it is on
 *    and reused only for a hint naming that tier (AUTO blocks, whose pages
 *    the system moves, are not cached).  Cached blocks are libta
 *    blocks: its stats count them; they are not live tensors.
 *  - move(): a storage of TA_LARGE_MIN bytes or more owns its region and is
 *    migrated in place by ta_move (same address).  A smaller storage shares
 *    pages with other blocks, so ta_move copies it to the new tier; we then
 *    swap the StorageImpl's DataPtr for the new block.  Every tensor and
 *    view shares the StorageImpl, so all of them see the moved data; only
 *    raw addresses taken earlier (data_ptr(), .numpy(), DLPack, ctypes)
 *    are stale.  move(..., in_place_only=True) refuses such a copy.
 *
 * PyTorch 1.13 declares `DataPtr allocate(size_t) const`; 2.3 and later
 * declare it non-const and add a pure virtual `copy_data` (2.6: Debian 13).
 * We define both allocate overloads and copy_data without `override`:
 * whichever the base declares is overridden, the other is a harmless extra
 * member.  No version check: static_asserts below detect, from the base
 * class itself, which members it declares and check that each is
 * overridden (tools/tests/pytorch-trixie builds against 2.6).
 */
#include <torch/extension.h>

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/StorageImpl.h>
#include <torch/version.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <mutex>
#include <pthread.h>
#include <string>
#include <type_traits>
#include <vector>

#include <tieralloc.h>

namespace py = pybind11;

namespace {

constexpr size_t kAlign = 64;	   // c10::gAlignment on x86-64
constexpr uint8_t kPriority = 100; // above c10's default CPU allocator (0)

// The UAPI's one table of names (designators in order: g++ takes them).
const char *const kHintNames[TA_NR_HINTS] = TA_HINT_NAMES;
const char *const kTierNames[TA_NR_TIERS] = TA_TIER_NAMES;

struct Counters {
	std::atomic<uint64_t> allocs{ 0 }; // libta blocks handed out (seq_cst, see disable)
	std::atomic<uint64_t> frees{ 0 };  // ... and freed
	std::atomic<uint64_t> bytes_allocated{ 0 };
	std::atomic<uint64_t> failures{ 0 };
	std::atomic<uint64_t> fallback_allocs{ 0 }; // served by the previous allocator
	std::atomic<uint64_t> moves_in_place{ 0 };
	std::atomic<uint64_t> moves_copied{ 0 };
	std::atomic<uint64_t> bytes_moved{ 0 };
	std::atomic<uint64_t> cache_hits{ 0 };
	std::atomic<uint64_t> cache_misses{ 0 };
};

// Leaked on purpose (see above): deleters may run after static destructors.
Counters &counters()
{
	static Counters *c = new Counters();
	return *c;
}

constexpr auto kRelaxed = std::memory_order_relaxed;

// The allocator TierAlloc replaced; raw frees of its memory go to it.
std::atomic<c10::Allocator *> g_previous{ nullptr };

c10::Allocator *previous_allocator()
{
	c10::Allocator *prev = g_previous.load(std::memory_order_acquire);

	return prev ? prev : c10::GetDefaultCPUAllocator();
}

/*
 * Freed large blocks kept for reuse, per tier (see the notes on top).
 * Nothing under the lock allocates or calls libta (fixed arrays), so the
 * fork handlers cannot deadlock against libta's, even when libta is also
 * the process's malloc.
 */
class LargeCache {
public:
	static constexpr size_t kSlots = 64; // per tier

	LargeCache()
	{
		ta_init(); // libta's fork handlers first: ours then run before them
		pthread_atfork([] { cache().lock_.lock(); }, [] { cache().lock_.unlock(); },
			       [] { cache().lock_.unlock(); });
	}

	/* A cached block of at least @n bytes (and not much more) on @tier. */
	void *take(int tier, size_t n)
	{
		std::lock_guard<std::mutex> g(lock_);
		Entry *v = blocks_[tier];
		size_t cnt = count_[tier], best = SIZE_MAX;

		for (size_t i = 0; i < cnt; i++)
			if (v[i].usable >= n && v[i].usable - n <= n / 4 &&
			    (best == SIZE_MAX || v[i].usable < v[best].usable))
				best = i;
		if (best == SIZE_MAX)
			return nullptr;
		void *p = v[best].p;

		bytes_[tier] -= v[best].usable;
		remove(tier, best);
		return p;
	}

	/* Keep @p (a large block of @usable bytes on @tier); false: free it yourself. */
	bool put(void *p, size_t usable, int tier)
	{
		void *evict[kSlots];
		size_t nevict = 0, lim = limit.load(kRelaxed);

		if (usable > lim || tier < 0 || tier >= TA_NR_TIERS)
			return false;
		{
			std::lock_guard<std::mutex> g(lock_);
			Entry *v = blocks_[tier];

			while ((bytes_[tier] + usable > lim || count_[tier] == kSlots) &&
			       count_[tier] > 0) {
				evict[nevict++] = v[0].p; // the oldest
				bytes_[tier] -= v[0].usable;
				remove(tier, 0);
			}
			v[count_[tier]++] = { p, usable };
			bytes_[tier] += usable;
		}
		for (size_t i = 0; i < nevict; i++)
			ta_free(evict[i]);
		return true;
	}

	/* Release every cached block (of @tier, or all with -1); returns bytes. */
	size_t flush(int tier = -1)
	{
		size_t n = 0;

		for (int t = 0; t < TA_NR_TIERS; t++) {
			Entry out[kSlots];
			size_t cnt;

			if (tier >= 0 && t != tier)
				continue;
			{
				std::lock_guard<std::mutex> g(lock_);

				cnt = count_[t];
				std::copy(blocks_[t], blocks_[t] + cnt, out);
				n += bytes_[t];
				bytes_[t] = 0;
				count_[t] = 0;
			}
			for (size_t i = 0; i < cnt; i++)
				ta_free(out[i].p);
		}
		return n;
	}

	size_t bytes(int tier)
	{
		std::lock_guard<std::mutex> g(lock_);
		return bytes_[tier];
	}

	static LargeCache &cache()
	{
		static LargeCache *c = new LargeCache(); // never destroyed
		return *c;
	}

	std::atomic<size_t> limit{ (size_t)64 << 20 }; // per tier

private:
	struct Entry {
		void *p;
		size_t usable;
	};

	void remove(int tier, size_t i)
	{
		Entry *v = blocks_[tier];

		std::copy(v + i + 1, v + count_[tier], v + i);
		count_[tier]--;
	}

	std::mutex lock_;
	Entry blocks_[TA_NR_TIERS][kSlots] = {}; // oldest first
	size_t count_[TA_NR_TIERS] = {};
	size_t bytes_[TA_NR_TIERS] = {};
};

LargeCache &large_cache()
{
	return LargeCache::cache();
}

/* The deleter of every DataPtr we make, and our raw_deleter(). */
void tensor_free(void *p)
{
	if (!p)
		return;
	if (ta_owns(p)) {
		size_t usable = ta_usable_size(p);

		counters().frees.fetch_add(1, kRelaxed);
		/* An AUTO block belongs to no tier: never handed to another hint. */
		if (usable >= TA_LARGE_MIN && ta_is_auto(p) == 0 &&
		    large_cache().put(p, usable, ta_tier_of(p)))
			return;
		ta_free(p);
		return;
	}
	/* raw_deallocate() of memory the previous allocator's raw_allocate() gave. */
	c10::DeleterFnPtr d = previous_allocator()->raw_deleter();

	if (d)
		d(p);
}

std::atomic<int> g_default_hint{ -1 }; // process-wide tensor default; -1: libta's
thread_local int tls_hint = -1;	       // scope hint of this thread; -1: none

int effective_hint()
{
	int h = tls_hint;

	if (h >= 0)
		return h;
	h = g_default_hint.load(kRelaxed);
	if (h >= 0)
		return h;
	return (int)ta_get_default_hint();
}

class TierAllocator final : public c10::Allocator {
public:
	// 1.13: overrides `allocate(size_t) const`.  2.3+: an extra overload.
	c10::DataPtr allocate(size_t n) const
	{
		return do_allocate(n);
	}
	// 2.3+: overrides `allocate(size_t)`.  1.13: an extra overload.
	c10::DataPtr allocate(size_t n)
	{
		return do_allocate(n);
	}
	// 2.3+: overrides the pure virtual.  1.13: an extra member.
	void copy_data(void *dst, const void *src, std::size_t n) const
	{
		if (n)
			std::memcpy(dst, src, n);
	}
	c10::DeleterFnPtr raw_deleter() const override
	{
		return &tensor_free;
	}

	std::atomic<bool> enabled{ false };

private:
	c10::DataPtr do_allocate(size_t n) const
	{
		const c10::Device cpu(c10::DeviceType::CPU);

		if (n == 0 && enabled.load(std::memory_order_relaxed)) // like c10's alloc_cpu(0)
			return c10::DataPtr(nullptr, nullptr, &tensor_free, cpu);
		/*
		 * Count the block before looking at @enabled, both seq_cst:
		 * disable() clears @enabled and then reads the count, so it
		 * either sees this block or this call sees it disabled.
		 */
		counters().allocs.fetch_add(1);
		if (!enabled.load()) {
			counters().allocs.fetch_sub(1, kRelaxed);
			counters().fallback_allocs.fetch_add(1, kRelaxed);
			return previous_allocator()->allocate(n);
		}

		int hint = effective_hint();
		/* The large-block cache serves hints whose tier does not depend on the caps. */
		int tier = n >= TA_LARGE_MIN ? ta_hint_tier(static_cast<ta_hint_t>(hint)) : -1;
		void *p = nullptr;

		if (tier >= 0) {
			p = large_cache().take(tier, n);
			counters().cache_hits.fetch_add(p != nullptr, kRelaxed);
			counters().cache_misses.fetch_add(p == nullptr, kRelaxed);
		}
		if (!p && n <= SIZE_MAX - (kAlign - 1)) {
			/*
			 * Every libta size class from 64 bytes up is a multiple of
			 * 64 within 64-aligned pages, so a 64-multiple request is
			 * normally 64-aligned already; fall back to the aligned
			 * entry point (interior offset, slower free) otherwise.
			 */
			p = ta_alloc((n + kAlign - 1) & ~(kAlign - 1), (ta_hint_t)hint);
			if (p && ((uintptr_t)p & (kAlign - 1))) {
				ta_free(p);
				p = ta_aligned_alloc(kAlign, n, (ta_hint_t)hint);
			}
			if (!p && large_cache().flush() > 0) // cached blocks held the capacity
				p = ta_alloc((n + kAlign - 1) & ~(kAlign - 1), (ta_hint_t)hint);
		}
		if (!p) {
			int e = errno;

			counters().allocs.fetch_sub(1, kRelaxed);
			counters().failures.fetch_add(1, kRelaxed);
			TORCH_CHECK(false, "TierAlloc: not enough memory: you tried to allocate ",
				    n, " bytes with hint '", kHintNames[hint], "' (",
				    std::strerror(e), ")");
		}
		counters().bytes_allocated.fetch_add(n, kRelaxed);
		return c10::DataPtr(p, p, &tensor_free, cpu);
	}
};

/*
 * What this c10::Allocator declares, detected at compile time: the
 * allocate() that is virtual (const in 1.x, non-const from 2.3), and
 * copy_data (pure virtual from 2.3).  A TierAllocator that missed one would
 * be abstract.  (VoidT: std::void_t is C++17, and 1.13's extensions are
 * built as C++14.)
 */
template <typename...> struct VoidT {
	using type = void;
};
template <typename A, typename = void> struct HasCopyData : std::false_type {
};
template <typename A>
struct HasCopyData<A, typename VoidT<decltype(std::declval<const A &>().copy_data(
			      nullptr, nullptr, std::size_t{ 0 }))>::type> : std::true_type {
};
template <typename A, typename = void> struct HasConstAllocate : std::false_type {
};
template <typename A>
struct HasConstAllocate<
	A, typename VoidT<decltype(std::declval<const A &>().allocate(std::size_t{ 0 }))>::type>
    : std::true_type {
};

static_assert(!std::is_abstract<TierAllocator>::value,
	      "TierAllocator does not override every pure virtual of c10::Allocator");
static_assert(HasConstAllocate<c10::Allocator>::value || HasCopyData<c10::Allocator>::value,
	      "c10::Allocator has neither the 1.x const allocate() nor the 2.3+ copy_data(): "
	      "an interface this shim does not know");

TierAllocator &allocator()
{
	static TierAllocator *a = new TierAllocator(); // never destroyed
	return *a;
}

std::mutex g_switch_lock;

int parse_name(const py::object &o, const char *const *names, int n, const char *what)
{
	if (py::isinstance<py::int_>(o) && !py::isinstance<py::bool_>(o)) {
		long v = o.cast<long>();

		if (v >= 0 && v < n)
			return (int)v;
	} else if (py::isinstance<py::str>(o)) {
		std::string s = o.cast<std::string>();

		for (auto &c : s)
			c = (char)std::tolower((unsigned char)c);
		for (int i = 0; i < n; i++)
			if (s == names[i])
				return i;
	}
	std::string msg = "bad TierAlloc ";

	msg += what;
	msg += " " + py::repr(o).cast<std::string>() + ": expected one of";
	for (int i = 0; i < n; i++)
		msg += std::string(i ? ", " : " ") + names[i];
	throw py::value_error(msg);
}

int parse_hint(const py::object &o)
{
	return parse_name(o, kHintNames, TA_NR_HINTS, "hint");
}

int parse_tier(const py::object &o)
{
	return parse_name(o, kTierNames, TA_NR_TIERS, "tier");
}

c10::StorageImpl *storage_of(const at::Tensor &t)
{
	TORCH_CHECK(t.defined(), "TierAlloc: undefined tensor");
	TORCH_CHECK(t.device().is_cpu(), "TierAlloc: not a CPU tensor (", t.device(), ")");
	TORCH_CHECK(t.has_storage(), "TierAlloc: tensor has no storage (", t.layout(), ")");
	return t.storage().unsafeGetStorageImpl();
}

bool owned_storage(const c10::StorageImpl *s)
{
	return s->data_ptr().get_deleter() == &tensor_free;
}

// ---- Python API ----

bool registered()
{
	return c10::GetCPUAllocator() == &allocator();
}

void enable(const py::object &hint)
{
	std::lock_guard<std::mutex> g(g_switch_lock);
	TierAllocator &a = allocator();

	if (!hint.is_none())
		g_default_hint.store(parse_hint(hint), kRelaxed);
	if (ta_init() != 0) {
		TORCH_WARN_ONCE(
			"TierAlloc: TA_DISABLE is set: tensors use libta without tier placement");
	}
	if (!registered()) {
		g_previous.store(c10::GetCPUAllocator(), std::memory_order_release);
		c10::SetCPUAllocator(&a, kPriority);
		TORCH_CHECK(registered(),
			    "TierAlloc: another CPU allocator with a higher priority is installed");
	}
	a.enabled.store(true);
}

/*
 * Returns "restored" (the previous allocator is c10's CPU allocator again),
 * "pass-through" (TierAlloc blocks are still live: see the notes on top) or
 * "not enabled".
 */
std::string disable()
{
	std::lock_guard<std::mutex> g(g_switch_lock);
	TierAllocator &a = allocator();

	if (!a.enabled.load())
		return "not enabled";
	a.enabled.store(false);
	large_cache().flush();
	if (!registered()) {
		TORCH_WARN("TierAlloc: the CPU allocator was replaced after enable(); leaving it");
		return "restored";
	}
	if (counters().allocs.load() != counters().frees.load())
		return "pass-through";
	c10::SetCPUAllocator(previous_allocator(), kPriority);
	return "restored";
}

uint64_t live_blocks()
{
	uint64_t f = counters().frees.load(), al = counters().allocs.load();

	return al > f ? al - f : 0;
}

bool is_enabled()
{
	return allocator().enabled.load() && registered();
}

void set_default_hint(const py::object &hint)
{
	g_default_hint.store(hint.is_none() ? -1 : parse_hint(hint), kRelaxed);
}

py::object get_default_hint()
{
	int h = g_default_hint.load(kRelaxed);

	return h < 0 ? py::object(py::none()) : py::object(py::str(kHintNames[h]));
}

int set_thread_hint(int h)
{
	int old = tls_hint;

	if (h < -1 || h >= TA_NR_HINTS)
		throw py::value_error("bad hint index");
	tls_hint = h;
	return old;
}

std::string current_hint()
{
	return kHintNames[effective_hint()];
}

bool owns(const at::Tensor &t)
{
	if (!t.defined() || !t.device().is_cpu() || !t.has_storage())
		return false;
	return owned_storage(t.storage().unsafeGetStorageImpl());
}

c10::StorageImpl *owned_storage_of(const at::Tensor &t)
{
	c10::StorageImpl *s = storage_of(t);

	if (!owned_storage(s))
		throw py::value_error("tensor storage was not allocated by TierAlloc");
	return s;
}

py::object tier_of(const at::Tensor &t)
{
	c10::StorageImpl *s = owned_storage_of(t);
	void *p = s->data_ptr().get();

	if (!p)
		return py::none(); // empty storage: on no tier
	int tier = ta_tier_of(p);

	TORCH_CHECK(tier >= 0 && tier < TA_NR_TIERS,
		    "TierAlloc: ta_tier_of: ", std::strerror(errno));
	return py::str(kTierNames[tier]);
}

/*
 * Moves are serialised: two threads moving the same storage at once would
 * otherwise both copy it and free the original twice.  The lock is taken
 * around fork (a child may move too).
 */
std::mutex &move_lock()
{
	static std::mutex *m = [] {
		ta_init(); // libta's fork handlers first: ours then run before them
		pthread_atfork([] { move_lock().lock(); }, [] { move_lock().unlock(); },
			       [] { move_lock().unlock(); });
		return new std::mutex();
	}();
	return *m;
}

/* Returns True when migrated in place (same address), False when copied. */
bool move(const at::Tensor &t, const py::object &tier_obj, bool in_place_only)
{
	int tier = parse_tier(tier_obj);
	c10::StorageImpl *s = owned_storage_of(t);
	bool in_place = true, too_small = false;
	size_t usable = 0;
	int err = 0;

	{
		py::gil_scoped_release nogil;
		std::lock_guard<std::mutex> g(move_lock());
		void *p = s->data_ptr().get();

		if (!p || ta_tier_of(p) == tier)
			return true;
		usable = ta_usable_size(p);
		if (in_place_only && usable < TA_LARGE_MIN) {
			too_small = true;
		} else {
			void *q = ta_move(p, (ta_tier_t)tier);

			if (!q) {
				err = errno;
			} else if (q != p) {
				/* Copied: libta already freed @p.  Swap the storage's
				 * DataPtr and drop the old one without its deleter. */
				c10::DataPtr old = s->set_data_ptr(
					c10::DataPtr(q, q, &tensor_free, s->device()));

				old.release_context();
				in_place = false;
			}
		}
	}
	if (too_small)
		throw py::value_error("storage of " + std::to_string(s->nbytes()) +
				      " bytes is below TA_LARGE_MIN (" +
				      std::to_string(TA_LARGE_MIN) +
				      "): it can only be moved by copying");
	TORCH_CHECK(!err, "TierAlloc: moving ", s->nbytes(), " bytes to tier '", kTierNames[tier],
		    "' failed: ", std::strerror(err));
	counters().bytes_moved.fetch_add(usable, kRelaxed);
	(in_place ? counters().moves_in_place : counters().moves_copied).fetch_add(1, kRelaxed);
	return in_place;
}

py::tuple storage_span(const at::Tensor &t)
{
	c10::StorageImpl *s = storage_of(t);

	return py::make_tuple((uintptr_t)s->data_ptr().get(), (size_t)s->nbytes());
}

std::string stats_json()
{
	std::vector<char> buf(8192);

	for (int tries = 0; tries < 4; tries++) {
		int n = ta_stats_json(buf.data(), buf.size());

		TORCH_CHECK(n >= 0, "TierAlloc: ta_stats_json: ", std::strerror(errno));
		if ((size_t)n < buf.size())
			return std::string(buf.data(), (size_t)n);
		buf.resize((size_t)n + 1);
	}
	throw std::runtime_error("TierAlloc: ta_stats_json: the document keeps growing");
}

py::dict counters_dict()
{
	Counters &c = counters();
	py::dict d;

	d["allocs"] = c.allocs.load(kRelaxed);
	d["live_blocks"] = live_blocks();
	d["frees"] = c.frees.load(kRelaxed);
	d["bytes_allocated"] = c.bytes_allocated.load(kRelaxed);
	d["failures"] = c.failures.load(kRelaxed);
	d["fallback_allocs"] = c.fallback_allocs.load(kRelaxed);
	d["moves_in_place"] = c.moves_in_place.load(kRelaxed);
	d["moves_copied"] = c.moves_copied.load(kRelaxed);
	d["bytes_moved"] = c.bytes_moved.load(kRelaxed);
	d["cache_hits"] = c.cache_hits.load(kRelaxed);
	d["cache_misses"] = c.cache_misses.load(kRelaxed);
	d["cache_limit"] = large_cache().limit.load(kRelaxed);
	py::dict cb;
	for (int t = 0; t < TA_NR_TIERS; t++)
		cb[kTierNames[t]] = large_cache().bytes(t);
	d["cache_bytes"] = cb;
	return d;
}

std::string hello()
{
	struct ta_lib_stats st;
	std::string backend = "?";

	if (ta_get_stats(&st) == 0)
		backend = st.backend == TA_BACKEND_KERNEL
				  ? "kernel"
				  : (st.simulated ? "user (simulated)" : "user");
	return std::string("tieralloc_shim: TierAlloc CPU allocator for PyTorch ") + TORCH_VERSION +
	       ", libta backend " + backend + (is_enabled() ? ", enabled" : ", disabled");
}

} // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m)
{
	m.doc() = "TierAlloc c10::Allocator over libta (use the `tieralloc` package)";
	m.def("hello", &hello, "A one-line description of the shim and libta's backend");
	m.def("enable", &enable, py::arg("hint") = py::none(),
	      "Install TierAlloc as PyTorch's CPU allocator (optionally set the default hint)");
	m.def("disable", &disable,
	      "Stop allocating tensors with TierAlloc: 'restored', 'pass-through' or 'not "
	      "enabled'");
	m.def("is_registered", &registered,
	      "Is TierAlloc c10's CPU allocator (enabled or pass-through)?");
	m.def("is_enabled", &is_enabled);
	m.def("set_default_hint", &set_default_hint, py::arg("hint"),
	      "Process-wide default hint for tensors (None: libta's TA_DEFAULT_HINT)");
	m.def("get_default_hint", &get_default_hint);
	m.def("current_hint", &current_hint, "The hint a tensor allocated now on this thread gets");
	m.def("_set_thread_hint", &set_thread_hint, py::arg("index"),
	      "Set this thread's scope hint (-1: none); returns the previous one");
	m.def("_get_thread_hint", []() { return tls_hint; });
	m.def("_parse_hint", [](const py::object &o) { return parse_hint(o); });
	m.def("_parse_tier", [](const py::object &o) { return parse_tier(o); });
	m.def("owns", &owns, py::arg("tensor"), "Was the tensor's storage allocated by TierAlloc?");
	m.def("tier_of", &tier_of, py::arg("tensor"));
	m.def("move", &move, py::arg("tensor"), py::arg("tier"), py::arg("in_place_only") = false,
	      "Move the tensor's whole storage to a tier; True if in place, False if copied");
	m.def("storage_span", &storage_span, py::arg("tensor"),
	      "(address, nbytes) of the tensor's whole storage");
	m.def("stats_json", &stats_json);
	m.def(
		"empty_cache", []() { return large_cache().flush(); },
		"Release the cached free large blocks; returns their bytes");
	m.def(
		"set_cache_limit",
		[](size_t n) {
			large_cache().limit.store(n, kRelaxed);
			large_cache().flush();
		},
		py::arg("bytes_per_tier"), "Bytes of free large blocks kept per tier (0: none)");
	m.def("counters", &counters_dict);
	py::tuple hints(TA_NR_HINTS), tiers(TA_NR_TIERS);

	for (int h = 0; h < TA_NR_HINTS; h++)
		hints[h] = kHintNames[h];
	for (int t = 0; t < TA_NR_TIERS; t++)
		tiers[t] = kTierNames[t];
	m.attr("HINTS") = hints;
	m.attr("TIERS") = tiers;
	m.attr("LARGE_MIN") = (size_t)TA_LARGE_MIN;
	m.attr("ALIGNMENT") = kAlign;
	m.attr("TORCH_VERSION") = TORCH_VERSION;
}
