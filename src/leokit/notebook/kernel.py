"""Kernel set-up for a notebook that must run in Binder's 1 GB on two cores: one line.

    from leokit import notebook
    notebook.setup()             # one BLAS thread; pyarrow's jemalloc pool
    ...
    del big_frame
    notebook.release_memory()    # hand freed memory back to the operating system

Why: many small BLAS calls (the LSMR iterations of a fixed-effects fit) run slower on two
threads than on one on a two-core machine, as Binder and the SRS desktops are. pyarrow's
default memory pool (mimalloc) keeps what Parquet reads used; jemalloc's hands it back. And
pandas leaves the C heap fragmented after big frames are dropped: glibc's ``malloc_trim``
returns the free pages. Each step is skipped quietly where the platform lacks it.
"""

import ctypes
import gc
import os
import sys

__all__ = ["setup", "blas_threads", "loaded_blas_threads", "arrow_memory_pool", "release_memory"]

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


_OPENBLAS = {  # the set/get functions under the names OpenBLAS builds export
    "set": ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads", "openblas_set_num_threads64_"),
    "get": ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads", "openblas_get_num_threads64_"),
}  # fmt: skip


def _openblas_calls(kind):
    """The OpenBLAS set or get functions of the libraries this process has loaded (Linux:
    read from /proc/self/maps; elsewhere none)."""
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f
                            if "openblas" in line.lower() and line.split()[-1].startswith("/")})  # fmt: skip
    except OSError:
        return []
    calls = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        found = [getattr(lib, name) for name in _OPENBLAS[kind] if hasattr(lib, name)]
        calls += found[:1]
    return calls


def loaded_blas_threads():
    """The thread counts of the OpenBLAS libraries loaded in this process (an empty list when
    none is loaded, or off Linux)."""
    return [int(get()) for get in _openblas_calls("get")]


def blas_threads(n=1):
    """Use ``n`` BLAS threads. Sets the environment (read by a BLAS loaded later and by child
    processes) and the OpenBLAS already loaded (numpy's, scipy's), through threadpoolctl when
    it is installed and otherwise by calling OpenBLAS directly. Returns True when a loaded BLAS
    was limited or none is loaded yet, False when a loaded one could not be reached."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(int(n))
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(n), user_api="blas")
        return True
    except ImportError:
        pass
    calls = _openblas_calls("set")
    for set_threads in calls:
        set_threads(int(n))
    return bool(calls) or "numpy" not in sys.modules


def arrow_memory_pool(kind="jemalloc"):
    """Make pyarrow allocate from ``kind`` ('jemalloc', 'system' or 'mimalloc'); falls back to
    the system allocator where pyarrow was built without ``kind``. Returns the pool's name, or
    None without pyarrow. Call it before the first read."""
    try:
        import pyarrow as pa
    except ImportError:
        return None
    pools = {"jemalloc": pa.jemalloc_memory_pool, "mimalloc": pa.mimalloc_memory_pool,
             "system": pa.system_memory_pool}  # fmt: skip
    if kind not in pools:
        raise ValueError(f"arrow_memory_pool: kind = {kind!r}; expected one of {sorted(pools)}")
    try:
        pool = pools[kind]()
    except NotImplementedError:  # a pyarrow built without it
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    return pool.backend_name


def release_memory():
    """Collect garbage (a pyfixest fit refers to itself: only the cycle collector frees it),
    ask pyarrow's pool to release unused memory and glibc to trim the heap (Linux only)."""
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl and other libcs have no malloc_trim
            pass


def setup(threads=1, arrow_pool="jemalloc"):
    """The usual set-up in one call: ``blas_threads(threads)`` and ``arrow_memory_pool``
    (skipped when ``arrow_pool`` is None). Returns what was done, as a dict."""
    done = {"blas_threads": threads, "blas_limited": blas_threads(threads)}
    if arrow_pool is not None:
        done["arrow_pool"] = arrow_memory_pool(arrow_pool)
    return done
