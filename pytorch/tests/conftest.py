# SPDX-License-Identifier: MIT
"""Fixtures of the PyTorch integration tests (pytorch/tests/pytorch-tests runs them)."""
import gc

import pytest
import torch

import tieralloc
import tieralloc.torch as tt


@pytest.fixture
def on():
    """TierAlloc enabled for the test; disabled and defaults reset after it."""
    tt.set_default_hint(None)
    tt.enable()
    try:
        yield tt
    finally:
        tt.set_default_hint(None)
        tt.disable()
        gc.collect()


def tier_nodes():
    """{tier: node} when the three tiers sit on three distinct NUMA nodes, else None."""
    st = tieralloc.stats()
    nodes = {t: st["tiers"][t]["node"] for t in tieralloc.TIERS}
    if st.get("simulated") or min(nodes.values()) < 0 or len(set(nodes.values())) < 3:
        return None
    return nodes


@pytest.fixture
def nodes():
    """The tiers' NUMA nodes; SKIPs (loudly) on a machine without three of them."""
    n = tier_nodes()
    if n is None:
        st = tieralloc.stats()
        pytest.skip("placement needs FAST/NORMAL/SLOW on 3 distinct NUMA nodes; here %s "
                    "backend, tiers on nodes %s: runs in the VM (make check)" % (
                        st["backend"], sorted({st["tiers"][t]["node"] for t in tieralloc.TIERS})))
    return n


def same(a, b):
    """Bitwise-equal tensors (or nested lists of them)."""
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def pytest_collection_modifyitems(session, config, items):
    # The interpreter-exit test's child starts now, overlapping the others.
    if any(i.name == "test_interpreter_exit_with_live_tensors" for i in items):
        import test_lifecycle
        config._tieralloc_exit_child = test_lifecycle.start_exit_script()


def pytest_unconfigure(config):
    child = getattr(config, "_tieralloc_exit_child", None)
    if child is not None and child.poll() is None:
        child.kill()
        child.wait()
