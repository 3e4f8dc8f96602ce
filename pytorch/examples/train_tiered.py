#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Train a small model with its memory on tiers.

    parameters and gradients  -> HOT  (the FAST tier)
    optimizer state (Adam)    -> COLD (the SLOW tier): touched once per step
    activations, batches      -> the default (WARM, the NORMAL tier)

then show where everything lives: per-tier residency from tieralloc.stats()
and the kernel's own view (move_pages(2) on every storage).

    /usr/bin/python3 pytorch/examples/train_tiered.py [--steps N] [--check]
    tools/vmrun --kernel 6.12 -- /usr/bin/python3 pytorch/examples/train_tiered.py --check

--state cold-step allocates Adam's state directly on the slow tier (the
first optimizer step runs under hint("cold")) instead of moving it there
after the first step (--state move, the default).  --check exits 1 when a
group is not where it was put.
"""
import argparse
import collections
import os
import sys
import time

try:
    import tieralloc
except ImportError:  # running from the source tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import tieralloc

import torch
import torch.nn as nn
import torch.nn.functional as F

import tieralloc.torch as tt


# ---- the model, data and step (tools/bench/host/torch_step times these) ----

def make_model(width=512):
    """A small CNN + MLP classifier for 3x32x32 inputs (~1.2M parameters)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 8 * 8, width), nn.ReLU(),
        nn.Linear(width, width), nn.ReLU(),
        nn.Linear(width, 10))


def make_batches(n, batch=32, seed=0):
    """n synthetic (images, labels) batches; each label brightens one
    channel band, so the loss goes down."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        y = torch.randint(0, 10, (batch,), generator=g)
        x = torch.randn(batch, 3, 32, 32, generator=g) * 0.5
        for i, c in enumerate(y.tolist()):
            x[i, c % 3, (c // 3) * 8:(c // 3) * 8 + 8, :] += 1.0
        out.append((x, y))
    return out


def train_step(model, opt, x, y, hot=True):
    """One step; forward and backward under hint("hot") so the gradients
    (re)allocated by backward land on the fast tier."""
    scope = tt.hint("hot") if hot and tt.is_enabled() else _nullscope
    with scope:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    opt.step()
    return loss.detach()


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_nullscope = _NullScope()


# ---- where things live ----

def mib(n):
    return "%.1f MiB" % (n / 2**20)


def describe(name, tensors):
    """One row: how many storages, bytes, TierAlloc tiers, kernel pages per node."""
    seen, nbytes, tiers, nodes = set(), 0, collections.Counter(), collections.Counter()
    for t in tensors:
        addr, n = tt.storage_span(t)
        if not addr or addr in seen:
            continue
        seen.add(addr)
        nbytes += n
        tiers[tt.tier_of(t) if tt.is_tiered(t) else "(not TierAlloc)"] += n
        for node, pages in tt.nodes_of(t).items():
            nodes[node] += pages
    tier_s = ", ".join("%s %s" % (k, mib(v)) for k, v in tiers.most_common())
    node_s = ", ".join(("node%d: %d" % (k, v)) if k >= 0 else ("err%d: %d" % (k, v))
                       for k, v in sorted(nodes.items()))
    print("  %-16s %4d %10s   %-22s %s" % (name, len(seen), mib(nbytes), tier_s, node_s))
    return tiers, nodes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--state", choices=("move", "cold-step"), default="move",
                    help="put Adam's state cold by moving it after step 1 (default) or "
                         "by running step 1 under hint('cold')")
    ap.add_argument("--check", action="store_true", help="exit 1 if placement is wrong")
    args = ap.parse_args(argv)

    torch.manual_seed(0)
    tt.enable()                                 # TierAlloc is the CPU allocator now
    st = tieralloc.stats()
    tier_node = {t: st["tiers"][t]["node"] for t in tieralloc.TIERS}
    print("TierAlloc %s backend; tiers on NUMA nodes: %s" % (
        st["backend"], ", ".join("%s=%d" % kv for kv in tier_node.items())))

    with tt.hint("hot"):                        # parameters on the fast tier
        model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = make_batches(8, args.batch)

    t0 = time.perf_counter()
    for step in range(args.steps):
        x, y = batches[step % len(batches)]
        if step == 0 and args.state == "cold-step":
            with tt.hint("hot"):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
            with tt.hint("cold"):               # Adam creates its state here
                opt.step()
            loss = torch.tensor(float("nan"))
        else:
            loss = train_step(model, opt, x, y)
        if step == 0 and args.state == "move":
            r = tt.move_optimizer_state(opt, "slow")
            print("moved Adam's state to the slow tier: %d storages, %s (%d in place)" % (
                r["moved"], mib(r["bytes"]), r["in_place"]))
        if step % 10 == 0 or step == args.steps - 1:
            dt = (time.perf_counter() - t0) / (step + 1)
            print("step %4d  loss %.4f  %.1f ms/step" % (step, float(loss), dt * 1e3))

    params = list(model.parameters())
    grads = [p.grad for p in params if p.grad is not None]
    state = [v for s in opt.state.values() for v in s.values()
             if torch.is_tensor(v) and v.numel() > 1]
    print("\nwhere the training state lives (TierAlloc's tier; the kernel's pages per node):")
    print("  %-16s %4s %10s   %-22s %s" % ("group", "stor", "bytes", "tier", "kernel (move_pages)"))
    rows = {"parameters": describe("parameters", params),
            "gradients": describe("gradients", grads),
            "optimizer state": describe("optimizer state", state)}

    st = tieralloc.stats()
    print("\nlibta per-tier residency (tieralloc.stats()):")
    for t in tieralloc.TIERS:
        v = st["tiers"][t]
        print("  %-6s node %2d  %10s in %3d regions (%d large blocks), %d moves in" % (
            t, v["node"], mib(v["reserved_bytes"]), v["regions"], v["large_blocks"],
            v["moves_in"]))
    tc = st["torch"]
    print("  torch allocator: %d allocations, %d live blocks, %d moves in place, %d copied;"
          " free large blocks cached for reuse: %s" % (
              tc["allocs"], tc["live_blocks"], tc["moves_in_place"], tc["moves_copied"],
              ", ".join("%s %s" % (t, mib(b)) for t, b in tc["cache_bytes"].items())))

    if args.check:
        want = {"parameters": "fast", "gradients": "fast", "optimizer state": "slow"}
        placed = len(set(tier_node.values())) == 3
        bad = []
        for g, (tiers, nodes) in rows.items():
            if set(tiers) != {want[g]}:
                bad.append("%s on tiers %s, want %s" % (g, dict(tiers), want[g]))
            elif placed and set(nodes) != {tier_node[want[g]]}:
                bad.append("%s on nodes %s, want node %d" % (g, dict(nodes), tier_node[want[g]]))
        if bad:
            print("\nCHECK FAILED: " + "; ".join(bad))
            return 1
        print("\ncheck: parameters and gradients on %s, optimizer state on %s%s" % (
            "fast", "slow", " (kernel agrees)" if placed else
            " (one NUMA node here: the kernel's view is not checked)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
