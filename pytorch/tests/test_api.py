# SPDX-License-Identifier: MIT
"""The Python API: shim entry points, stats, errors."""
import os
import sys

import numpy as np
import pytest
import torch

import tieralloc
import tieralloc.torch as tt
from tieralloc import _native


def test_shim_api_keeps_working():
    shim = _native.shim()
    assert "tieralloc_shim" in shim.hello()
    shim.enable()
    try:
        shim.set_default_hint("hot")
        t = torch.empty(1000)
        assert shim.owns(t) and shim.tier_of(t) == "fast"
        assert "enabled" in shim.hello()
    finally:
        shim.set_default_hint(None)
        shim.disable()


def test_stats_is_a_dict(on):
    with tt.hint("cold"):
        big = torch.ones(2 << 20, dtype=torch.uint8)
    st = tieralloc.stats()
    assert st["backend"] in ("user", "kernel")
    assert set(st["tiers"]) == {"fast", "normal", "slow"}
    assert st["tiers"]["slow"]["reserved_bytes"] >= big.numel()
    assert st["tiers"]["slow"]["large_blocks"] >= 1
    assert st["torch"]["enabled"] is True
    assert st["torch"]["live_blocks"] >= 1
    assert tieralloc.residency()["slow"] >= big.numel()


@pytest.mark.parametrize("bad", ["lukewarm", "", "past the last", -1, True, 2.0])
def test_bad_hint(bad):
    if bad == "past the last":
        bad = len(tieralloc.HINTS)          # the first index that names no hint
    with pytest.raises(tieralloc.InvalidHintError) as e:
        tt.hint(bad)
    assert isinstance(e.value, ValueError) and "expected one of hot, warm, cold" in str(e.value)
    with pytest.raises(tieralloc.InvalidHintError):
        tt.set_default_hint(bad)


def test_bad_tier(on):
    t = torch.zeros(10)
    with pytest.raises(tieralloc.InvalidTierError, match="hint 'cold' places on the 'slow' tier"):
        tt.move(t, "cold")
    with pytest.raises(tieralloc.InvalidTierError):
        tt.move(t, 3)
    with pytest.raises(ValueError):
        tt.move(t, "ssd")


def test_not_owned(on):
    tt.disable()
    before = torch.zeros(100)
    tt.enable()
    foreign = torch.from_numpy(np.zeros(100, dtype=np.float32))
    mine = torch.zeros(100)
    assert tt.is_tiered(mine) and not tt.is_tiered(before) and not tt.is_tiered(foreign)
    for t in (before, foreign):
        with pytest.raises(tieralloc.NotOwnedError, match="not allocated by TierAlloc"):
            tt.tier_of(t)
        with pytest.raises(tieralloc.NotOwnedError):
            tt.move(t, "slow")
    with pytest.raises(TypeError):
        tt.tier_of([1, 2])
    sparse = torch.zeros(4, 4).to_sparse()
    with pytest.raises(tieralloc.NotOwnedError, match="layout"):
        tt.tier_of(sparse)


def test_missing_shim_is_a_clear_error(monkeypatch):
    shim = _native.shim()
    monkeypatch.setattr(_native, "_shim", None)
    monkeypatch.setattr(_native, "_BUILD", "/nonexistent")
    monkeypatch.delenv("TIERALLOC_SHIM", raising=False)
    monkeypatch.delitem(sys.modules, _native.SHIM_NAME)
    with pytest.raises(tieralloc.LibraryNotFoundError, match="make") as e:
        _native.shim()
    assert isinstance(e.value, ImportError)
    monkeypatch.setitem(sys.modules, _native.SHIM_NAME, shim)


def test_empty_tensor(on):
    e = torch.empty(0)
    assert tt.is_tiered(e) and tt.tier_of(e) is None
    assert tt.move(e, "slow") is e


def test_names_are_the_uapi_names():
    """tieralloc.HINTS/TIERS, read from libta (ta_hint_name, ta_tier_name), are the shim's:
    both are the UAPI's TA_*_NAMES."""
    shim = _native.shim()
    assert shim.HINTS == tieralloc.HINTS and shim.TIERS == tieralloc.TIERS


def test_parse_size_is_libtas():
    """tieralloc.torch's size parser on the cases libta's lt_parse_size() is tested on."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "libta",
                        "tests", "size_cases.txt")
    cases = 0
    with open(path) as f:
        for line in f:
            if not line.startswith("|"):
                continue
            text, want = line[1:].rstrip("\n").split("|")
            if want == "error":
                with pytest.raises(ValueError):
                    tt._parse_size(text)
            else:
                assert tt._parse_size(text) == int(want), text
            cases += 1
    assert cases >= 30
