# SPDX-License-Identifier: MIT
"""PyTorch CPU tensors on TierAlloc's memory tiers.

    import torch, tieralloc.torch as tt

    tt.enable()                          # TierAlloc is PyTorch's CPU allocator now
    with tt.hint("hot"):                 # this thread's allocations go to FAST
        model = Net()
    with tt.hint("cold"):                # nests; restored on exceptions
        table = torch.zeros(10_000, 256)
    tt.move(table, "normal")             # migrate the whole storage
    tt.tier_of(table)                    # 'normal'
    tt.disable()

Placement of a new tensor: the innermost ``hint()`` scope of the allocating
thread, else the process-wide ``set_default_hint()``, else libta's default
(``$TA_DEFAULT_HINT``, normally "warm").  Scopes are per thread (the
autograd engine runs CPU backward on the calling thread, so gradients follow
the caller's scope; temporaries that PyTorch allocates inside its intra-op
worker threads get the process default).  Scopes are thread-local, not
asyncio-task-local.

move() and small storages: a storage of ``LARGE_MIN`` (1 MiB) bytes or more
owns its memory region and is migrated in place: same address, every view
stays valid.  A smaller storage shares pages with other blocks, so its bytes
are copied to the new tier and the storage's DataPtr is swapped for the
copy: the tensor, its views and anything else sharing the storage (autograd,
optimizers, modules) keep working and see the same values, but
``data_ptr()`` changes, and raw addresses taken before the move (numpy()
arrays, DLPack capsules, ctypes pointers) dangle.  Pass
``in_place_only=True`` to get NotMovableInPlaceError instead of a copy.

Large-block cache: blocks of LARGE_MIN bytes or more are memory regions of
their own, expensive to create (mmap + mbind or an ioctl, then page faults).
Freed ones are kept per tier, up to 64 MiB per tier by default, and handed
back to allocations whose hint names that tier, like PyTorch's CUDA caching
allocator: a training loop's activations and gradients then reuse the same
faulted-in memory every step.  ``empty_cache()`` releases them,
``set_cache_limit(bytes)`` (or ``$TIERALLOC_TORCH_CACHE``, e.g. "256M", read
by enable(); 0 disables) sets the bound.  disable() empties it.

disable(): tensors that TierAlloc allocated stay valid and are freed by
libta whenever they die.  New tensors come from the allocator that was in
place before enable().  If no TierAlloc block is alive, that allocator is
put back into c10; otherwise TierAlloc stays registered in pass-through mode
(oneDNN frees raw buffers through whatever allocator is current, so a
literal restore would hand TierAlloc blocks to free(3)).
"""
import contextlib
import os
import threading
import warnings

import torch

from . import HINTS, LARGE_MIN, TIERS, _native, numa
from ._errors import (InvalidHintError, InvalidTierError, MoveError, NotMovableInPlaceError,
                      NotOwnedError)

__all__ = ["enable", "disable", "is_enabled", "enabled", "hint", "set_default_hint",
           "get_default_hint", "current_hint", "move", "tier_of", "is_tiered",
           "movable_in_place", "storage_span", "nodes_of", "move_module",
           "move_optimizer_state", "empty_cache", "set_cache_limit", "HINTS", "TIERS",
           "LARGE_MIN"]

_tls = threading.local()


def _shim():
    return _native.shim()


def _index(value, names, err, what):
    if isinstance(value, bool):
        raise err("bad TierAlloc %s %r: expected one of %s" % (what, value, ", ".join(names)))
    if isinstance(value, int):
        if 0 <= value < len(names):
            return value
    elif isinstance(value, str):
        v = value.strip().lower()
        if v in names:
            return names.index(v)
    extra = ""
    hint = value.strip().lower() if isinstance(value, str) else None
    if what == "tier" and hint in HINTS and _native.hint_tier(HINTS.index(hint)) >= 0:
        extra = " (the hint %r places on the %r tier)" % (
            value, TIERS[_native.hint_tier(HINTS.index(hint))])
    raise err("bad TierAlloc %s %r: expected one of %s%s" % (what, value, ", ".join(names), extra))


def _hint_index(h):
    return _index(h, HINTS, InvalidHintError, "hint")


def _tier_index(t):
    return _index(t, TIERS, InvalidTierError, "tier")


# ---- switching ----

_SIZE_SHIFT = {"K": 10, "M": 20, "G": 30, "T": 40}


def _parse_size(text):
    """libta's lt_parse_size(), mirrored: digits, then K, M, G or T (either
    case) optionally followed by B, b or iB; below 2**64.  Both are tested on
    libta/tests/size_cases.txt."""
    num = text[:len(text) - len(text.lstrip("0123456789"))]
    rest = text[len(num):]
    shift = _SIZE_SHIFT.get(rest[:1].upper(), None) if rest else 0
    if (not num or shift is None or (shift and rest[1:] not in ("", "B", "b", "iB"))
            or int(num) << shift >= 1 << 64):
        raise ValueError("TIERALLOC_TORCH_CACHE=%r: expected a size such as 256M" % text)
    return int(num) << shift


def enable(hint=None):
    """Make TierAlloc PyTorch's CPU allocator (idempotent).

    ``hint``: optionally also set the process-wide default hint."""
    idx = None if hint is None else _hint_index(hint)
    env = os.environ.get("TIERALLOC_TORCH_CACHE")
    if env and not getattr(enable, "_cache_env_done", False):
        set_cache_limit(_parse_size(env))
        enable._cache_env_done = True
    _shim().enable(idx)


def empty_cache():
    """Release the free large blocks TierAlloc keeps for reuse; returns their bytes."""
    return _shim().empty_cache()


def set_cache_limit(nbytes):
    """Bytes of free large blocks kept for reuse per tier (0: none; default 64 MiB)."""
    if not isinstance(nbytes, int) or isinstance(nbytes, bool) or nbytes < 0:
        raise ValueError("set_cache_limit: expected a byte count >= 0, got %r" % (nbytes,))
    _shim().set_cache_limit(nbytes)


def disable():
    """Stop allocating tensors with TierAlloc.

    Returns "restored", "pass-through" (TierAlloc blocks still alive; see
    the module's notes) or "not enabled"."""
    return _shim().disable()


def is_enabled():
    """Are new CPU tensors allocated by TierAlloc?"""
    s = _native.loaded_shim()
    return bool(s is not None and s.is_enabled())


@contextlib.contextmanager
def enabled(hint=None):
    """``with enabled():`` TierAlloc for the block (restores the previous state)."""
    was = is_enabled()
    enable(hint)
    try:
        yield
    finally:
        if not was:
            disable()


# ---- placement hints ----

def set_default_hint(hint):
    """Process-wide default hint for new tensors (None: libta's default)."""
    _shim().set_default_hint(None if hint is None else _hint_index(hint))


def get_default_hint():
    """The process-wide default set by set_default_hint(), or None."""
    return _shim().get_default_hint()


def current_hint():
    """The hint a tensor allocated now on this thread would get."""
    return _shim().current_hint()


class hint(contextlib.ContextDecorator):
    """Allocate this thread's new tensors with a placement hint.

    ``with hint("cold"): ...`` or ``@hint("cold")``.  Nests; the previous
    hint comes back on exit, also on exceptions.  ``hint(None)`` clears
    the scope (the process default applies inside)."""

    def __init__(self, h):
        self.index = -1 if h is None else _hint_index(h)
        self.name = None if h is None else HINTS[self.index]

    def __enter__(self):
        s = _shim()
        if not s.is_enabled() and not getattr(_tls, "warned", False):
            _tls.warned = True
            warnings.warn("tieralloc.torch.hint(%r): TierAlloc is not enabled, tensors are not "
                          "placed; call tieralloc.torch.enable() first" % self.name, stacklevel=2)
        stack = getattr(_tls, "stack", None)
        if stack is None:
            stack = _tls.stack = []
        stack.append(s._set_thread_hint(self.index))
        return self

    def __exit__(self, *exc):
        _shim()._set_thread_hint(_tls.stack.pop())
        return False

    def __repr__(self):
        return "tieralloc.torch.hint(%r)" % self.name


# ---- tensors ----

def _check_tensor(t):
    if not isinstance(t, torch.Tensor):
        raise TypeError("expected a torch.Tensor, got %s" % type(t).__name__)
    if t.device.type != "cpu":
        raise NotOwnedError("tensor on %s: TierAlloc places CPU tensors only" % t.device)
    if t.layout != torch.strided:
        raise NotOwnedError("tensor with layout %s has no single storage" % t.layout)


def is_tiered(t):
    """Was the tensor's storage allocated by TierAlloc?"""
    return (isinstance(t, torch.Tensor) and t.device.type == "cpu" and
            t.layout == torch.strided and _shim().owns(t))


def _owned(t):
    _check_tensor(t)
    if not _shim().owns(t):
        raise NotOwnedError("tensor storage was not allocated by TierAlloc (allocated before "
                            "tieralloc.torch.enable() or after disable(), or foreign memory "
                            "such as torch.from_numpy / from_blob)")


def tier_of(t):
    """'fast', 'normal' or 'slow' (None for an empty storage)."""
    _owned(t)
    return _shim().tier_of(t)


def storage_span(t):
    """(address, nbytes) of the tensor's whole storage."""
    _check_tensor(t)
    return tuple(_shim().storage_span(t))


def movable_in_place(t):
    """Would move() migrate this tensor's storage in place (>= LARGE_MIN bytes)?"""
    _owned(t)
    return storage_span(t)[1] >= LARGE_MIN


def move(t, tier, *, in_place_only=False):
    """Move the tensor's whole storage to ``tier``; returns ``t``.

    Storages of LARGE_MIN bytes or more are migrated in place (data_ptr()
    unchanged); smaller ones are copied and the storage's DataPtr swapped
    (views stay valid, data_ptr() changes) unless ``in_place_only``."""
    idx = _tier_index(tier)
    _owned(t)
    addr, nbytes = storage_span(t)
    if in_place_only and addr and nbytes < LARGE_MIN:
        raise NotMovableInPlaceError(
            "storage of %d bytes is below LARGE_MIN (%d bytes): it shares pages with other "
            "blocks and can only be moved by copying" % (nbytes, LARGE_MIN))
    try:
        _shim().move(t, idx, in_place_only)
    except RuntimeError as e:
        raise MoveError(str(e).splitlines()[0]) from e
    return t


def nodes_of(t):
    """The kernel's view: {NUMA node: pages} of the tensor's storage
    (move_pages(2)); negative keys are -errno: -2 (ENOENT) for a page not
    mapped, never touched or, with the kernel backend, migrated by move()
    and not touched since (it is mapped again on the next access)."""
    addr, nbytes = storage_span(t)
    return numa.node_histogram(addr, nbytes)


def _tensors_of(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors_of(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors_of(v)


def _move_many(tensors, tier):
    idx = _tier_index(tier)
    seen = set()
    out = {"moved": 0, "bytes": 0, "in_place": 0, "skipped": 0}
    for t in tensors:
        if t is None:
            continue
        if not is_tiered(t):
            out["skipped"] += 1
            continue
        addr, nbytes = storage_span(t)
        if addr in seen or not addr:
            continue
        seen.add(addr)
        move(t, idx)
        out["moved"] += 1
        out["bytes"] += nbytes
        out["in_place"] += nbytes >= LARGE_MIN
    return out


def move_module(module, tier, *, grads=True, buffers=True):
    """Move a module's parameters (and their gradients and buffers) to a tier.

    Returns {"moved", "bytes", "in_place", "skipped"}; tensors not
    allocated by TierAlloc are skipped."""
    ts = []
    for p in module.parameters():
        ts.append(p)
        if grads:
            ts.append(p.grad)
    if buffers:
        ts.extend(module.buffers())
    return _move_many(ts, tier)


def move_optimizer_state(optimizer, tier):
    """Move every tensor of an optimizer's state (Adam's exp_avg, ...) to a tier.

    Returns {"moved", "bytes", "in_place", "skipped"}."""
    return _move_many(_tensors_of(list(optimizer.state.values())), tier)
