# SPDX-License-Identifier: MIT
"""move(): whole storages, in place when large, DataPtr swap when small."""
import pytest
import torch
import torch.nn as nn

import tieralloc
import tieralloc.torch as tt


def test_large_storage_moves_in_place(on):
    with tt.hint("warm"):
        t = torch.arange(3 << 18, dtype=torch.float32)       # 3 MiB
    view = t[1000:2000].view(10, 100)
    ptr, vptr, ref = t.data_ptr(), view.data_ptr(), t.clone()
    assert tt.movable_in_place(t)
    for tier in ("slow", "fast", "normal", "slow"):
        assert tt.move(view, tier, in_place_only=True) is view
        assert tt.tier_of(t) == tier and tt.tier_of(view) == tier
        assert t.data_ptr() == ptr and view.data_ptr() == vptr
        assert torch.equal(t, ref) and torch.equal(view.flatten(), ref[1000:2000])
    view.add_(1)
    assert float(t[1000]) == 1001.0
    st = tieralloc.stats()
    assert st["torch"]["moves_in_place"] >= 4
    assert st["tiers"]["slow"]["moves_in"] >= 2


@pytest.mark.parametrize("nbytes", [16, 4096, 200_000])
def test_small_storage_swaps_data_ptr(on, nbytes):
    t = torch.randint(0, 255, (nbytes,), dtype=torch.uint8)
    view = t[nbytes // 2:]
    alias = t.view(torch.uint8)
    ref = t.clone()
    assert not tt.movable_in_place(t)
    with pytest.raises(tieralloc.NotMovableInPlaceError):
        tt.move(t, "slow", in_place_only=True)
    assert tt.tier_of(t) == "normal"
    tt.move(view, "slow")
    assert tt.tier_of(t) == "slow" and tt.tier_of(alias) == "slow"
    assert torch.equal(t, ref) and torch.equal(view, ref[nbytes // 2:])
    assert view.data_ptr() == t.data_ptr() + nbytes // 2
    assert t.data_ptr() % 64 == 0
    view.fill_(7)                       # the views share the new memory
    assert int(t[-1]) == 7 and int(alias[-1]) == 7
    tt.move(t, "fast")
    assert tt.tier_of(t) == "fast" and int(t[-1]) == 7


def test_move_keeps_autograd_and_module_working(on):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.randn(16, 32)
    net(x).sum().backward()
    opt.step()
    before = [p.detach().clone() for p in net.parameters()]
    r = tt.move_optimizer_state(opt, "slow")
    assert r["moved"] >= 4
    r = tt.move_module(net, "fast")
    assert r["moved"] >= 8 and r["skipped"] == 0
    for p in net.parameters():
        assert tt.tier_of(p) == "fast" and tt.tier_of(p.grad) == "fast"
    for s in opt.state.values():
        assert tt.tier_of(s["exp_avg"]) == "slow" and tt.tier_of(s["exp_avg_sq"]) == "slow"
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    opt.zero_grad()
    net(x).sum().backward()
    opt.step()
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_moves_from_other_threads(on):
    import threading
    ts = [torch.full((n,), float(n)) for n in (10, 1000, 300_000)]
    th = [threading.Thread(target=tt.move, args=(t, "slow")) for t in ts]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for t in ts:
        assert tt.tier_of(t) == "slow" and float(t[0]) == t.numel()


def test_large_block_cache(on):
    sh = tt._shim()
    tt.empty_cache()
    c0 = sh.counters()
    with tt.hint("hot"):
        a = torch.ones(2 << 20, dtype=torch.uint8)
    addr = a.data_ptr()
    del a
    assert sh.counters()["cache_bytes"]["fast"] >= 2 << 20
    with tt.hint("cold"):                   # another tier: not the cached block
        b = torch.empty(2 << 20, dtype=torch.uint8)
    assert b.data_ptr() != addr and tt.tier_of(b) == "slow"
    with tt.hint("hot"):                    # same tier, similar size: reused
        c = torch.empty((2 << 20) - 4096, dtype=torch.uint8)
    assert c.data_ptr() == addr and tt.tier_of(c) == "fast"
    assert sh.counters()["cache_hits"] > c0["cache_hits"]
    tt.move(c, "slow")                      # cached under the tier it is on when freed
    del c
    with tt.hint("hot"):
        d = torch.empty(2 << 20, dtype=torch.uint8)
    assert d.data_ptr() != addr and tt.tier_of(d) == "fast"
    with tt.hint("cold"):
        e = torch.empty(2 << 20, dtype=torch.uint8)
    assert e.data_ptr() == addr and tt.tier_of(e) == "slow"
    del b, d, e
    assert tt.empty_cache() >= 6 << 20
    assert sum(sh.counters()["cache_bytes"].values()) == 0
    tt.set_cache_limit(0)
    try:
        with tt.hint("hot"):
            f = torch.empty(2 << 20, dtype=torch.uint8)
        del f
        assert sh.counters()["cache_bytes"]["fast"] == 0
    finally:
        tt.set_cache_limit(64 << 20)
    with pytest.raises(ValueError):
        tt.set_cache_limit(-1)
