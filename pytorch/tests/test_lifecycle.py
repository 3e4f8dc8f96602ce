# SPDX-License-Identifier: MIT
"""enable/disable cycles, frees on other threads, fork (DataLoader), exit."""
import gc
import subprocess
import sys
import threading

import torch
import torch.utils.data

import tieralloc.torch as tt


def test_enable_disable_cycles():
    keep = []
    for i in range(5):
        tt.disable()
        plain = torch.full((1000,), float(i))
        assert not tt.is_tiered(plain)
        tt.enable()
        assert tt.is_enabled()
        tiered = torch.full((300_000,), float(i))
        assert tt.is_tiered(tiered)
        keep.append((plain, tiered))
        if i % 2:
            keep.pop(0)     # freed while enabled: one of each kind
    r = tt.disable()
    assert r == "pass-through"      # tiered tensors are still alive
    assert not tt.is_enabled() and not tt.is_tiered(torch.empty(10))
    for plain, tiered in keep:
        assert float(plain[0]) == float(tiered[-1])
    keep.clear()
    gc.collect()
    tt.enable()
    tt.disable()


def test_free_on_another_thread(on):
    made = {}

    def alloc():
        made["t"] = [torch.ones(n) for n in (10, 5000, 400_000)]
    th = threading.Thread(target=alloc)
    th.start()
    th.join()
    mine = [torch.ones(n) for n in (10, 5000, 400_000)]
    before = tt._shim().counters()["frees"]
    th = threading.Thread(target=lambda: mine.clear())
    th.start()
    th.join()
    assert [float(t.sum()) for t in made.pop("t")] == [10, 5000, 400_000]
    assert tt._shim().counters()["frees"] >= before + 6


class Squares(torch.utils.data.Dataset):
    def __len__(self):
        return 32

    def __getitem__(self, i):
        with tt.hint("cold"):
            x = torch.full((256,), float(i))
        return x * x, torch.tensor(tt.is_tiered(x) and tt.tier_of(x) == "slow")


def test_dataloader_fork_workers(on):
    import multiprocessing as mp
    dl = torch.utils.data.DataLoader(Squares(), batch_size=4, num_workers=2,
                                     multiprocessing_context=mp.get_context("fork"))
    total, flags = 0.0, []
    with tt.hint("hot"):
        for x, ok in dl:
            total += float(x[:, 0].sum())
            flags.extend(ok.tolist())
            y = x.clone()
            assert tt.tier_of(y) == "fast"
    assert total == sum(i * i for i in range(32))
    assert flags == [True] * 32


EXIT_SCRIPT = r"""
import threading, torch, torch.nn.functional as F
import tieralloc.torch as tt
tt.enable()
KEEP = [torch.randn(n) for n in (10, 10_000, 1 << 20)]
with tt.hint("cold"):
    KEEP.append(torch.randn(2, 3, 16, 16).to_mkldnn())
KEEP.append(F.conv2d(torch.randn(1, 3, 16, 16), torch.randn(4, 3, 3, 3)))
tt.move(KEEP[1], "fast")
def worker():
    global T
    T = torch.ones(5000)
th = threading.Thread(target=worker); th.start(); th.join()
print(tt.disable())
KEEP += [torch.randn(100), torch.randn(2, 3, 8, 8).to_mkldnn()]    # PyTorch's allocator
tt.enable()
KEEP.append(torch.randn(100))
print("exiting")
"""


def start_exit_script():
    """Start the interpreter-exit child (conftest does this at collection time:
    importing torch in a fresh interpreter takes a minute under QEMU TCG,
    and this way it overlaps with the other tests)."""
    return subprocess.Popen([sys.executable, "-c", EXIT_SCRIPT], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_interpreter_exit_with_live_tensors(request):
    # Tensors of both allocators (and oneDNN buffers) alive at exit, TierAlloc
    # enabled: their deleters run during interpreter shutdown.
    proc = getattr(request.config, "_tieralloc_exit_child", None) or start_exit_script()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, (proc.returncode, err[-2000:])
    assert out.split() == ["pass-through", "exiting"]
    assert "not a libta pointer" not in err, err
