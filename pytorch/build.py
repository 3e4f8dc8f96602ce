#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build the tieralloc_shim extension with torch.utils.cpp_extension (ninja).

    /usr/bin/python3 pytorch/build.py SRC BUILD
    /usr/bin/python3 pytorch/build.py --libta LIB --out DIR --no-rpath \
        [--cflags FLAGS] [--ldflags FLAGS] SRC BUILD

SRC is the repository, BUILD its build/ directory.  The extension lands in
BUILD/pytorch/tieralloc_shim.so, linked with BUILD/libta.so (rpath BUILD).
ninja rebuilds only what changed; pytorch/pytorch.mk runs this script only
when a source, libta's header or this script is newer than the output.

For an installed extension (debian/rules): --libta names the library to
link (e.g. build/install/libta.so.X.Y.Z, soname libta.so.0), --out the
output directory, --no-rpath leaves the run-time path to the system's, and
--cflags/--ldflags add the distribution's build flags.
"""
import argparse
import os
import shlex
import sys


def main():
    ap = argparse.ArgumentParser(description="build the tieralloc_shim extension")
    ap.add_argument("src")
    ap.add_argument("build")
    ap.add_argument("--libta", help="the libta to link (default BUILD/libta.so)")
    ap.add_argument("--out", help="output directory (default BUILD/pytorch)")
    ap.add_argument("--no-rpath", action="store_true", help="no run-time path to libta")
    ap.add_argument("--cflags", default="", help="more compiler flags")
    ap.add_argument("--ldflags", default="", help="more linker flags")
    a = ap.parse_args()
    src, build = os.path.abspath(a.src), os.path.abspath(a.build)
    libta = os.path.abspath(a.libta or os.path.join(build, "libta.so"))
    out = os.path.abspath(a.out or os.path.join(build, "pytorch"))
    os.makedirs(out, exist_ok=True)
    # No CUDA here; keep cpp_extension from probing for it noisily.
    os.environ.setdefault("CUDA_HOME", "/nonexistent")
    os.environ.setdefault("MAX_JOBS", "1")
    from torch.utils import cpp_extension

    if a.no_rpath:
        # load() imports what it built: with no rpath, its libta.so.0 must
        # already be loaded (the dynamic linker matches it by soname).
        import ctypes
        ctypes.CDLL(libta, mode=ctypes.RTLD_GLOBAL)

    name = "tieralloc_shim"
    cpp_extension.load(
        name=name,
        sources=[os.path.join(src, "pytorch", "csrc", "tieralloc_shim.cpp")],
        build_directory=out,
        extra_cflags=[
            "-O2", "-g", "-Wall", "-Wextra", "-Werror",
            "-I" + os.path.join(src, "libta", "include"),
            "-I" + os.path.join(src, "uapi"),
        ] + shlex.split(a.cflags),
        extra_ldflags=["-L" + os.path.dirname(libta), "-l:" + os.path.basename(libta)]
        + ([] if a.no_rpath else ["-Wl,-rpath," + os.path.dirname(libta)])
        + shlex.split(a.ldflags),
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
