# SPDX-License-Identifier: MIT
"""Tensor math is bit-identical with and without TierAlloc."""
import gc

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import tieralloc.torch as tt
from conftest import same


def twice(fn, hint="warm"):
    """fn() with PyTorch's allocator, then with TierAlloc (same seed)."""
    tt.disable()
    torch.manual_seed(1234)
    ref = fn()
    tt.enable()
    try:
        with tt.hint(hint):
            torch.manual_seed(1234)
            got = fn()
    finally:
        tt.disable()
    return ref, got


def small_cnn():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 8 * 8, 10))


def test_matmul():
    def fn():
        a, b = torch.randn(96, 200), torch.randn(200, 64)
        return [a @ b, torch.mm(b.t().contiguous(), a.t().contiguous()), (a * 2).sum(0)]
    ref, got = twice(fn, "cold")
    assert same(ref, got)


def test_conv2d():
    # float32 NCHW conv2d goes through oneDNN (mkldnn), which allocates raw
    # buffers through the CPU allocator and frees them with raw_deallocate.
    def fn():
        x, w, b = torch.randn(2, 3, 32, 32), torch.randn(16, 3, 3, 3), torch.randn(16)
        return [F.conv2d(x, w, b, padding=1), F.conv2d(x, w, stride=2)]
    ref, got = twice(fn, "hot")
    assert same(ref, got)


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="no mkldnn in this torch")
def test_mkldnn_tensor_outlives_disable():
    tt.enable()
    x = torch.randn(4, 3, 16, 16)
    m = x.to_mkldnn()          # ideep buffer: raw_allocate via the CPU allocator
    y = F.conv2d(x, torch.randn(4, 3, 3, 3))
    assert tt.disable() == "pass-through"
    assert torch.equal(m.to_dense(), x)
    del m, y                    # raw_deallocate through the current allocator
    gc.collect()
    tt.enable()
    m2 = torch.randn(2, 3, 8, 8).to_mkldnn()
    tt.disable()
    del m2
    gc.collect()


def test_autograd_backward():
    def fn():
        net = small_cnn()
        x = torch.randn(4, 3, 16, 16)
        loss = F.cross_entropy(net(x), torch.tensor([1, 2, 3, 4]))
        loss.backward()
        return [loss.detach()] + [p.grad for p in net.parameters()]
    ref, got = twice(fn, "hot")
    assert same(ref, got)


@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_optimizer_steps(opt):
    def fn():
        net = small_cnn()
        o = (torch.optim.Adam(net.parameters(), lr=1e-2) if opt == "adam" else
             torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9))
        for i in range(3):
            x = torch.randn(4, 3, 16, 16)
            o.zero_grad()
            F.cross_entropy(net(x), torch.tensor([0, 1, 2, i])).backward()
            o.step()
        state = [v for s in o.state.values() for v in s.values() if torch.is_tensor(v)]
        return [p.detach() for p in net.parameters()] + state
    ref, got = twice(fn, "cold")
    assert same(ref, got)
