# SPDX-License-Identifier: MIT
"""The kernel's view of where memory is: move_pages(2) in query mode.

    nodes = tieralloc.numa.pages_nodes(addr, nbytes)   # node of each page
    tieralloc.numa.node_histogram(addr, nbytes)         # {node: pages}

A page that was never touched reports -ENOENT (-2); negative keys in the
histogram are such -errno values.
"""
import collections
import ctypes
import os
import platform

_SYS_MOVE_PAGES = {"x86_64": 279, "aarch64": 239, "ppc64le": 301, "s390x": 310,
                   "riscv64": 239}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def pages_nodes(addr, nbytes):
    """NUMA node of every page of [addr, addr + nbytes), or -errno per page."""
    if nbytes <= 0 or not addr:
        return []
    nr = _SYS_MOVE_PAGES.get(platform.machine())
    if nr is None:
        raise OSError("move_pages: unknown system call number on %s" % platform.machine())
    first = addr & ~(PAGE_SIZE - 1)
    count = (addr + nbytes - first + PAGE_SIZE - 1) // PAGE_SIZE
    pages = (ctypes.c_void_p * count)(*(first + i * PAGE_SIZE for i in range(count)))
    status = (ctypes.c_int * count)()
    r = _libc.syscall(ctypes.c_long(nr), ctypes.c_int(0), ctypes.c_ulong(count), pages,
                      ctypes.c_void_p(0), status, ctypes.c_int(0))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "move_pages: %s" % os.strerror(e))
    return list(status)


def node_histogram(addr, nbytes):
    """{node: pages} for [addr, addr + nbytes); negative keys are -errno."""
    return dict(collections.Counter(pages_nodes(addr, nbytes)))


def online_nodes():
    """The online NUMA nodes (from sysfs), e.g. [0, 1, 2]."""
    try:
        with open("/sys/devices/system/node/online") as f:
            spec = f.read().strip()
    except OSError:
        return [0]
    nodes = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            nodes.extend(range(int(a), int(b) + 1))
        elif part:
            nodes.append(int(part))
    return nodes
