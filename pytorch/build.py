#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build the tieralloc_shim extension with torch.utils.cpp_extension (ninja).

    /usr/bin/python3 pytorch/build.py SRC BUILD

SRC is the repository, BUILD its build/ directory.  The extension lands in
BUILD/pytorch/tieralloc_shim.so, linked with BUILD/libta.so (rpath BUILD).
ninja rebuilds only what changed; pytorch/pytorch.mk runs this script only
when a source, libta's header or this script is newer than the output.
"""
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: build.py SRC BUILD")
    src, build = (os.path.abspath(a) for a in sys.argv[1:])
    out = os.path.join(build, "pytorch")
    os.makedirs(out, exist_ok=True)
    # No CUDA here; keep cpp_extension from probing for it noisily.
    os.environ.setdefault("CUDA_HOME", "/nonexistent")
    os.environ.setdefault("MAX_JOBS", "1")
    from torch.utils import cpp_extension

    name = "tieralloc_shim"
    cpp_extension.load(
        name=name,
        sources=[os.path.join(src, "pytorch", "csrc", "tieralloc_shim.cpp")],
        build_directory=out,
        extra_cflags=[
            "-O2", "-g", "-Wall", "-Wextra", "-Werror",
            "-I" + os.path.join(src, "libta", "include"),
            "-I" + os.path.join(src, "uapi"),
        ],
        extra_ldflags=["-L" + build, "-l:libta.so", "-Wl,-rpath," + build],
        with_cuda=False,
        verbose=True,
    )
    so = os.path.join(out, name + ".so")
    if not os.path.exists(so):
        sys.exit("build.py: %s was not produced" % so)
    os.utime(so)  # make's timestamp, also when ninja had nothing to do
    print("build.py: built", so)


if __name__ == "__main__":
    main()
