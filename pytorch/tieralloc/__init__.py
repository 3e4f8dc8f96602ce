# SPDX-License-Identifier: MIT
"""TierAlloc for Python: libta's statistics, and (``tieralloc.torch``)
PyTorch CPU tensors placed on memory tiers.

    import tieralloc, tieralloc.torch as tt

    tt.enable()                       # TierAlloc becomes PyTorch's CPU allocator
    with tt.hint("cold"):             # tensors allocated here go to the SLOW tier
        buf = torch.zeros(1 << 20)
    tt.move(buf, "fast")              # migrate its storage (in place when >= 1 MiB)
    tt.tier_of(buf)                   # 'fast'
    tieralloc.stats()["tiers"]["fast"]["reserved_bytes"]

Hints: hot (FAST), warm (NORMAL), cold (SLOW), pin_fast (FAST only, fails
at its hard cap), prefer_fast (FAST under its soft cap, else NORMAL), auto
(starts as prefer_fast; the system then moves the pages: libta(3)).
Tiers: fast, normal, slow.  ``import tieralloc`` alone does not import
torch; ``tieralloc.torch`` does.
"""
import json as _json

from ._errors import (InvalidHintError, InvalidTierError, LibraryNotFoundError, MoveError,
                      NotMovableInPlaceError, NotOwnedError, TierAllocError)
from . import _native

# HINTS and TIERS, the names of the hints and tiers in their order, are
# libta's (ta_hint_name(), ta_tier_name()): read at first use, below.
#: Blocks of at least this many bytes own their memory region and move in place.
LARGE_MIN = 1 << 20

__all__ = ["stats", "residency", "HINTS", "TIERS", "LARGE_MIN", "TierAllocError",
           "InvalidHintError", "InvalidTierError", "NotOwnedError", "MoveError",
           "NotMovableInPlaceError", "LibraryNotFoundError"]


def stats():
    """libta's statistics for this process as a dict (``ta_stats_json``).

    Keys: backend ("kernel" or "user"), simulated, disabled, heaps, segments,
    large_cached, foreign_frees, tiers -> {fast, normal, slow} -> {node,
    reserved_bytes, regions, large_blocks, large_bytes, moves_in, ...} and,
    with the kernel backend, kernel (the machine-wide view).  When
    ``tieralloc.torch`` is loaded, "torch" holds the PyTorch allocator's
    counters (enabled, allocs, live_blocks, moves_in_place, moves_copied, ...).
    """
    d = _json.loads(_native.stats_json())
    shim = _native.loaded_shim()
    if shim is not None:
        t = dict(shim.counters())
        t["enabled"] = bool(shim.is_enabled())
        d["torch"] = t
    return d


def residency():
    """Bytes of memory regions this process holds on each tier: {tier: bytes}."""
    return {t: v["reserved_bytes"] for t, v in stats()["tiers"].items()}


def __getattr__(name):
    if name in ("HINTS", "TIERS"):
        hints, tiers = _native.names()
        globals().update(HINTS=hints, TIERS=tiers)
        return globals()[name]
    # tieralloc.torch without an explicit import (it imports torch, so lazily).
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError("module 'tieralloc' has no attribute %r" % name)
