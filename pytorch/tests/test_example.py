# SPDX-License-Identifier: MIT
"""The example users copy keeps working (two small steps, placement checked)."""
import importlib.util
import os

import tieralloc.torch as tt

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "examples", "train_tiered.py")


def test_train_tiered_example(capsys):
    spec = importlib.util.spec_from_file_location("train_tiered", EXAMPLE)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    try:
        for state in ("move", "cold-step"):
            assert ex.main(["--steps", "2", "--batch", "8", "--state", state, "--check"]) == 0
            out = capsys.readouterr().out
            assert "check: parameters and gradients on fast, optimizer state on slow" in out
    finally:
        tt.disable()
