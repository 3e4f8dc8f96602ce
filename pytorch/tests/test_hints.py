# SPDX-License-Identifier: MIT
"""Placement hints: scopes nest, restore on exceptions, are per thread."""
import threading

import pytest
import torch
import torch.nn as nn

import tieralloc.torch as tt

HINT_TIER = {"hot": "fast", "warm": "normal", "cold": "slow"}


@pytest.mark.parametrize("size", [100, 5000, 300_000])
@pytest.mark.parametrize("hint", ["hot", "warm", "cold"])
def test_hint_places_tensor(on, hint, size):
    with tt.hint(hint):
        t = torch.ones(size)
    assert tt.tier_of(t) == HINT_TIER[hint]
    assert t.data_ptr() % 64 == 0
    assert float(t.sum()) == size


def test_default_hint(on):
    assert tt.tier_of(torch.empty(10)) == "normal"   # libta's default: warm
    tt.set_default_hint("cold")
    assert tt.get_default_hint() == "cold" and tt.current_hint() == "cold"
    assert tt.tier_of(torch.empty(10)) == "slow"
    with tt.hint("hot"):
        assert tt.tier_of(torch.empty(10)) == "fast"
    tt.enable(hint="HOT")
    assert tt.tier_of(torch.empty(10)) == "fast"


def test_nesting_and_exceptions(on):
    assert tt.current_hint() == "warm"
    with tt.hint("cold"):
        assert tt.current_hint() == "cold"
        with tt.hint("hot"):
            assert tt.current_hint() == "hot"
            with tt.hint(None):
                assert tt.current_hint() == "warm"
            assert tt.current_hint() == "hot"
        assert tt.current_hint() == "cold"
        with pytest.raises(KeyError):
            with tt.hint("hot"):
                with tt.hint("warm"):
                    raise KeyError("boom")
        assert tt.current_hint() == "cold"
    assert tt.current_hint() == "warm"

    @tt.hint("cold")
    def make():
        return torch.empty(100)
    assert tt.tier_of(make()) == "slow" and tt.current_hint() == "warm"


def test_scopes_are_per_thread(on):
    n = 4
    barrier = threading.Barrier(n + 1)
    cold = tt.hint("cold")          # one scope object, entered by several threads
    results, errors = {}, []

    def worker(i):
        try:
            if i % 2:
                with cold:
                    barrier.wait()
                    ts = [torch.randn(1000) for _ in range(20)]
                    barrier.wait()
            else:
                barrier.wait()
                ts = [torch.randn(1000) for _ in range(20)]
                barrier.wait()
            results[i] = {tt.tier_of(t) for t in ts}
        except Exception as e:  # pragma: no cover
            errors.append(e)
            barrier.abort()

    with tt.hint("hot"):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        barrier.wait()
        mine = torch.randn(1000)
        barrier.wait()
        for t in threads:
            t.join()
    assert not errors
    assert tt.tier_of(mine) == "fast"
    for i in range(n):
        assert results[i] == ({"slow"} if i % 2 else {"normal"}), (i, results[i])


def test_gradients_follow_the_backward_scope(on):
    with tt.hint("hot"):
        net = nn.Linear(64, 64)
    x = torch.randn(8, 64)
    loss = net(x).square().sum()
    with tt.hint("hot"):
        loss.backward()
    for p in net.parameters():
        assert tt.tier_of(p) == "fast" and tt.tier_of(p.grad) == "fast"


def test_hint_without_enable_warns():
    tt.disable()
    import tieralloc.torch as mod
    mod._tls.warned = False
    with pytest.warns(UserWarning, match="not enabled"):
        with tt.hint("cold"):
            t = torch.empty(10)
    assert not tt.is_tiered(t)


@pytest.mark.parametrize("size", [100, 5000, 300_000])
def test_auto_scope(on, size):
    """hint("auto"): the system decides; a tensor starts where prefer_fast would
    (FAST: no caps here), and a freed large one is not cached for other hints."""
    import tieralloc
    assert "auto" in tieralloc.HINTS
    with tt.hint("auto"):
        assert tt.current_hint() == "auto"
        t = torch.ones(size)
    assert tt.is_tiered(t) and tt.tier_of(t) == "fast"
    assert float(t.sum()) == size
    st = tieralloc.stats()
    assert st["auto"] in ("module", "prefer_fast", "kernel", "none"), st["auto"]
    before = st["torch"]["cache_bytes"]
    del t
    assert tieralloc.stats()["torch"]["cache_bytes"] == before
