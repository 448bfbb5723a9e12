"""How many threads NumPy's BLAS uses in this process (BLAS のスレッド数), for process pools.

A pool of w worker processes on a machine of c cores wants each worker's BLAS to use c / w threads:
more oversubscribes the cores (w × c threads fighting for c cores, every GEMM slower), fewer leaves
cores idle. The ``*_NUM_THREADS`` environment variables only count when they are set before the BLAS
library is loaded, which a pool's worker cannot promise (it may import NumPy while unpickling its first
task), so :func:`set_blas_threads` also calls OpenBLAS's own ``openblas_set_num_threads`` through
ctypes, in NumPy's own OpenBLAS (the library :mod:`nnscratch._accel.blas` calls), which works at any
time. Both are best effort: another BLAS without that symbol keeps its own count.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

# ILP64 symbol names of NumPy's wheels (numpy ≥ 2: scipy-openblas; numpy 1.2x: openblas64_), then a
# system OpenBLAS's plain names
_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _symbol(names: tuple[str, ...]):
    from nnscratch._accel.blas import _libraries

    for path in _libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                return fn
    return None


SINGLE_THREAD_FLOPS = 4_000_000
"""Below this many FLOPs in a layer's training step (x·W, xᵀ·δ, δ·Wᵀ: 6·N·n_in·n_out), a second BLAS
thread cannot pay: the work is split into pieces shorter than the threads' hand-over, and on a machine
whose other cores are busy the waiting threads make such steps many times slower.
``benchmarks/bench_threads.py`` measures the crossover (idle and with the cores busy)."""


BUSY_CHECK_FLOPS = 16_000_000
"""Up to this many FLOPs in a layer's step (the VAE's and the playground's sizes), a network trains on
as many threads as there are cores no other thread is running on at its start: OpenBLAS splits every
product evenly across its threads, so one thread waiting for a busy core stalls the whole product
(``bench_threads.py --vae``: the digits VAE 5× slower with two threads than with one while the other
core is busy). Larger products keep their threads: their results may round differently with another
thread count, and a run's numbers should not depend on the machine's load."""


@contextlib.contextmanager
def fitting(flops: float) -> Iterator[None]:
    """One BLAS thread while the block runs when ``flops`` (the largest layer's step) is below
    :data:`SINGLE_THREAD_FLOPS`, or below :data:`BUSY_CHECK_FLOPS` with other threads running on the
    cores; the count before it is put back after. Nothing changes when the count cannot be read or set
    (another BLAS), or is 1 already."""
    before = blas_threads() if flops < BUSY_CHECK_FLOPS else None
    wanted = before
    if before is not None and before > 1:
        if flops < SINGLE_THREAD_FLOPS:
            wanted = 1
        else:
            free = free_cores()
            wanted = before if free is None else max(1, min(before, free))
    if wanted == before:
        yield
        return
    _set(wanted)
    try:
        yield
    finally:
        _set(before)


def free_cores() -> int | None:
    """Cores no other thread is running on now: the cores less the threads the kernel counts as runnable
    (``/proc/loadavg``'s fourth field), not counting this process's own running threads (its own BLAS
    threads may still be spinning). None where ``/proc`` does not tell (not Linux)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            runnable = int(f.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat", encoding="ascii", errors="replace") as f:
                own += f.read().rpartition(")")[2].split()[0] == "R"
    except (OSError, ValueError, IndexError):
        return None
    return max(0, (os.cpu_count() or 1) - max(0, runnable - own))


def _set(n: int) -> None:
    """OpenBLAS's own setter alone (the environment is left as the user set it)."""
    setter = _symbol(_SETTERS)
    if setter is not None:
        setter(ctypes.c_int(n))


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """⌊cores / workers⌋, at least 1: the BLAS threads of each of ``workers`` processes."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def set_blas_threads(n: int) -> bool:
    """Use ``n`` BLAS threads from now on in this process; True when OpenBLAS took the setting.

    Also sets the ``*_NUM_THREADS`` variables, for libraries loaded later and for child processes.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: expected a positive number of threads, got {n!r}")
    for var in THREAD_VARIABLES:
        os.environ[var] = str(n)
    try:
        setter = _symbol(_SETTERS)
    except (OSError, AttributeError, ImportError):  # no NumPy BLAS to find: the variables are all
        return False
    if setter is None:
        return False
    setter(ctypes.c_int(n))
    return True


def blas_threads() -> int | None:
    """The number of threads NumPy's OpenBLAS uses now, or None when it cannot be asked."""
    try:
        getter = _symbol(_GETTERS)
    except (OSError, AttributeError, ImportError):
        return None
    if getter is None:
        return None
    getter.restype = ctypes.c_int
    return int(getter())
