# SPDX-License-Identifier: MIT
"""Placement as the kernel sees it: move_pages(2) on the storage pointers.

Needs the three tiers on three NUMA nodes (the VM of make check: node 0
fast, 1 normal, 2 slow); SKIPs elsewhere."""
import pytest
import torch

import tieralloc.torch as tt

HINT_TIER = {"hot": "fast", "warm": "normal", "cold": "slow"}


@pytest.mark.parametrize("nbytes", [64 << 10, 4 << 20])
@pytest.mark.parametrize("hint", ["hot", "warm", "cold"])
def test_hint_lands_on_its_node(on, nodes, hint, nbytes):
    with tt.hint(hint):
        t = torch.ones(nbytes // 4)
    assert tt.nodes_of(t) == {nodes[HINT_TIER[hint]]: pages(t)}


def pages(t):
    addr, n = tt.storage_span(t)
    return (addr + n - 1) // 4096 - addr // 4096 + 1


def test_large_move_migrates_pages(on, nodes):
    with tt.hint("cold"):
        t = torch.arange(1 << 20, dtype=torch.float32)       # 4 MiB
    ptr = t.data_ptr()
    assert tt.nodes_of(t) == {nodes["slow"]: pages(t)}
    for tier in ("fast", "normal", "slow"):
        tt.move(t, tier, in_place_only=True)
        assert t.data_ptr() == ptr
        # The kernel backend unmaps migrated pages (move_pages then says
        # -ENOENT) until they are touched again: read them.
        assert float(t[::1024].sum()) == sum(range(0, 1 << 20, 1024))
        assert tt.nodes_of(t) == {nodes[tier]: pages(t)}, tier
    assert float(t[-1]) == (1 << 20) - 1


def test_small_move_lands_on_new_node(on, nodes):
    t = torch.ones(10_000)
    assert tt.nodes_of(t) == {nodes["normal"]: pages(t)}
    tt.move(t, "slow")
    assert float(t.sum()) == 10_000
    assert tt.nodes_of(t) == {nodes["slow"]: pages(t)}
    assert float(t.sum()) == 10_000


def test_optimizer_state_cold(on, nodes):
    with tt.hint("hot"):
        net = torch.nn.Linear(512, 512)
    opt = torch.optim.Adam(net.parameters())
    with tt.hint("hot"):
        net(torch.randn(4, 512)).sum().backward()
    with tt.hint("cold"):
        opt.step()
    for p in net.parameters():
        assert set(tt.nodes_of(p)) == {nodes["fast"]}
        assert set(tt.nodes_of(p.grad)) == {nodes["fast"]}
        for k in ("exp_avg", "exp_avg_sq"):
            assert set(tt.nodes_of(opt.state[p][k])) == {nodes["slow"]}
