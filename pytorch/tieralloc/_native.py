# SPDX-License-Identifier: MIT
"""Finding and loading libta.so and the tieralloc_shim extension.

libta.so, in order: $TIERALLOC_LIBTA; the libta.so already mapped into this
process (e.g. the one tieralloc_shim links); the repository's build/libta.so
(when running from the source tree); the system's libta.so.

tieralloc_shim, in order: $TIERALLOC_SHIM (the .so file); the repository's
build/pytorch/tieralloc_shim.so; a `tieralloc_shim` module on sys.path.
"""
import ctypes
import ctypes.util
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading

from ._errors import LibraryNotFoundError

SHIM_NAME = "tieralloc_shim"
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_BUILD = os.path.join(_REPO, "build")
_lock = threading.Lock()
_libta = None
_shim = None


def _mapped_libta():
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rstrip("\n").split(None, 5)[-1]
                if os.path.basename(path).startswith("libta.so"):
                    return path
    except OSError:
        pass
    return None


def libta():
    """The libta shared library (ctypes.CDLL)."""
    global _libta
    if _libta is not None:
        return _libta
    with _lock:
        if _libta is not None:
            return _libta
        tried = []
        cands = [os.environ.get("TIERALLOC_LIBTA"), _mapped_libta(),
                 os.path.join(_BUILD, "libta.so"), ctypes.util.find_library("ta")]
        for c in cands:
            if not c or c in tried:
                continue
            tried.append(c)
            try:
                lib = ctypes.CDLL(c)
            except OSError:
                continue
            lib.ta_stats_json.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
            lib.ta_stats_json.restype = ctypes.c_int
            _libta = lib
            return lib
        raise LibraryNotFoundError(
            "libta.so not found (tried %s): build it with `make` in the TierAlloc "
            "repository or set TIERALLOC_LIBTA" % ", ".join(tried or ["nothing"]))


def names():
    """(hints, tiers): the names of the hints and of the tiers, in their order,
    from libta (ta_hint_name(), ta_tier_name(): the UAPI's TA_HINT_NAMES and
    TA_TIER_NAMES)."""
    lib = libta()
    out = []
    for fn in (lib.ta_hint_name, lib.ta_tier_name):
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_char_p
        got = []
        while True:
            n = fn(len(got))
            if n is None:
                break
            got.append(n.decode())
        out.append(tuple(got))
    return tuple(out)


def hint_tier(hint):
    """libta's ta_hint_tier(): the tier index @hint places on, -1 when that
    depends on the caps (prefer_fast, auto)."""
    fn = libta().ta_hint_tier
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn(hint)


def stats_json():
    lib = libta()
    n = 8192
    for _ in range(4):
        buf = ctypes.create_string_buffer(n)
        r = lib.ta_stats_json(buf, n)
        if r < 0:
            err = ctypes.get_errno()
            raise OSError(err, "ta_stats_json: %s" % os.strerror(err))
        if r < n:
            return buf.value.decode()
        n = r + 1
    raise RuntimeError("ta_stats_json: the document keeps growing")


def loaded_shim():
    """The shim module if it was loaded, else None (never loads it)."""
    return _shim


def shim():
    """The tieralloc_shim extension module (imports torch first)."""
    global _shim
    if _shim is not None:
        return _shim
    with _lock:
        if _shim is not None:
            return _shim
        import torch  # noqa: F401  (the extension needs libtorch loaded)
        if SHIM_NAME in sys.modules:
            _shim = sys.modules[SHIM_NAME]
            return _shim
        paths = [os.environ.get("TIERALLOC_SHIM"),
                 os.path.join(_BUILD, "pytorch", SHIM_NAME + ".so")]
        errors = []
        for p in paths:
            if not p or not os.path.exists(p):
                continue
            try:
                loader = importlib.machinery.ExtensionFileLoader(SHIM_NAME, p)
                spec = importlib.util.spec_from_file_location(SHIM_NAME, p, loader=loader)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
            except ImportError as e:
                errors.append("%s: %s" % (p, e))
                continue
            sys.modules[SHIM_NAME] = mod
            _shim = mod
            return mod
        try:
            _shim = importlib.import_module(SHIM_NAME)
            return _shim
        except ImportError as e:
            errors.append("import %s: %s" % (SHIM_NAME, e))
        raise LibraryNotFoundError(
            "the tieralloc_shim PyTorch extension is not available (%s). Build it with "
            "`make` in the TierAlloc repository (needs python3-torch libtorch-dev "
            "ninja-build pybind11-dev) or set TIERALLOC_SHIM=/path/to/tieralloc_shim.so"
            % "; ".join(errors))
