# SPDX-License-Identifier: MIT
"""Exceptions of the tieralloc package (all derive from TierAllocError)."""


class TierAllocError(RuntimeError):
    """Base class of every TierAlloc error."""


class InvalidHintError(TierAllocError, ValueError):
    """A placement hint that is not one of tieralloc.HINTS."""


class InvalidTierError(TierAllocError, ValueError):
    """A tier that is not one of tieralloc.TIERS."""


class NotOwnedError(TierAllocError, ValueError):
    """The tensor's storage was not allocated by TierAlloc (made before
    tieralloc.torch.enable() or after disable(), by numpy, from_blob, ...)."""


class MoveError(TierAllocError):
    """libta could not move a storage (e.g. ENOMEM over the tier's hard cap)."""


class NotMovableInPlaceError(MoveError, ValueError):
    """move(..., in_place_only=True) of a storage below LARGE_MIN bytes."""


class LibraryNotFoundError(TierAllocError, ImportError):
    """libta.so or the tieralloc_shim extension could not be found or loaded."""
