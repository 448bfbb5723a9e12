"""Where the trials run: this process, a local process pool, or a Dask cluster.

Each backend's :meth:`results` takes the trials and the loaded data sets and yields
``(trial, row, model)`` as trials finish, in whatever order they finish.

- :class:`Serial` — one after another in this process (``workers=1``);
- :class:`LocalPool` — ``concurrent.futures.ProcessPoolExecutor`` with a forkserver (or spawn)
  context: fresh interpreters, never a fork of a process that may hold BLAS threads or locks. Each
  worker gets the data once through the initializer and ⌊cores / workers⌋ BLAS threads. A worker
  that dies breaks the pool: the unfinished trials go to a new pool, and after
  :data:`POOL_RESTARTS` breaks they are recorded as failed;
- :class:`DaskCluster` — ``cluster="tcp://HOST:PORT"`` (an existing ``dask scheduler``) or
  ``cluster="local:N"`` (a ``LocalCluster`` of N single-threaded worker processes, closed afterwards).
  The data sets are scattered to every worker once (``broadcast=True``) and each task gets a
  reference to its worker's copy. When a worker dies, the scheduler gives its tasks to another; a
  trial whose workers keep dying ends as ``KilledWorker``, recorded as failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from nnscratch.datasets import Dataset
from nnscratch.sweep.plan import Trial
from nnscratch.sweep.worker import data_key, failed_row, init_worker, run_trial

__all__ = ["Serial", "LocalPool", "DaskCluster", "backend_for", "POOL_RESTARTS"]

POOL_RESTARTS = 2
Result = tuple[Trial, dict[str, Any], Any]


class Serial:
    """The trials one after another, in this process."""

    name = "this process"
    workers = 1

    def results(self, trials: list[Trial], data: dict[tuple, Dataset]) -> Iterator[Result]:
        for trial in trials:
            row, model = run_trial(trial, data[data_key(trial.spec)])
            yield trial, row, model

    def close(self) -> None:
        pass


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # the server imports NumPy and nnscratch once; every worker forked from it starts with them loaded
    # (the server runs no BLAS call before forking, and OpenBLAS re-creates its threads in a child)
    context.set_forkserver_preload(["nnscratch.sweep.worker"])
    return context


class LocalPool:
    """A process pool of ``workers`` on this machine, each with ``threads`` BLAS threads."""

    name = "local pool"

    def __init__(self, workers: int, threads: int) -> None:
        self.workers, self.threads = workers, threads
        self.restarts = 0  # pools that broke (a worker died) and were replaced
        self._executor: ProcessPoolExecutor | None = None

    def results(self, trials: list[Trial], data: dict[tuple, Dataset]) -> Iterator[Result]:
        pending = list(trials)
        for attempt in range(POOL_RESTARTS + 1):
            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=init_worker,
                                                 initargs=(self.threads, data))
            futures = {self._executor.submit(run_trial, t): t for t in pending}
            broken = False
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for f in done:
                        try:
                            row, model = f.result()
                        except BrokenProcessPool:
                            broken = True  # stays among the unfinished; the finished ones still count
                            continue
                        yield futures.pop(f), row, model
                    if broken:
                        break
            finally:
                self.close()
            if not broken:
                return
            pending = sorted(futures.values(), key=lambda t: t.index)
            self.restarts += attempt < POOL_RESTARTS
            if attempt == POOL_RESTARTS:
                for trial in pending:
                    yield trial, failed_row(trial, f"a worker process died {POOL_RESTARTS + 1} times while "
                                                   f"this trial was unfinished"), None

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # a Ctrl-C (or a generator closed early) must not wait for running trials: stop the workers
        for process in list(getattr(executor, "_processes", {}).values()):
            if process.is_alive():
                process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)


def _dask():
    try:
        import distributed
    except ImportError:
        raise ImportError("cluster: Dask is not installed; pip install 'nnscratch[sweep]' "
                          "(dask[distributed])") from None
    return distributed


def _worker_start_method() -> str:
    """How a LocalCluster starts its worker processes: forked where that is quiet (Linux, Python before
    3.12, which warns about fork in a process with threads), so a worker starts in 0.1 s with NumPy and
    nnscratch already loaded instead of 0.5 s importing them (spawn, Dask's default). Dask documents
    both; measured in benchmarks/bench_sweep.py."""
    if sys.platform.startswith("linux") and sys.version_info < (3, 12):
        return "fork"
    return "spawn"


class DaskCluster:
    """Trials as Dask tasks on a scheduler at ``address`` or on a LocalCluster of ``local`` workers."""

    def __init__(self, address: str | None = None, local: int | None = None, timeout: float = 10) -> None:
        if address is not None:
            _reachable(address, timeout)  # before the slow import of distributed
        distributed = _dask()
        self._cluster = None
        if local is not None:
            self.name = f"Dask LocalCluster ({local} workers)"
            import dask

            with _interrupts_ignored(), dask.config.set({"distributed.worker.multiprocessing-method":
                                                         _worker_start_method()}):
                self._cluster = distributed.LocalCluster(n_workers=local, threads_per_worker=1,
                                                         processes=True, dashboard_address=":0",
                                                         silence_logs=40)
            self.client = distributed.Client(self._cluster)
            from nnscratch._accel.threads import set_blas_threads, threads_per_worker

            # a forked worker keeps this process's BLAS threads (a spawned one gets Dask's
            # OPENBLAS_NUM_THREADS=1): workers × threads = cores, as for the local pool
            self.client.run(set_blas_threads, threads_per_worker(local))
        else:
            self.name = f"Dask scheduler {address}"
            try:
                self.client = distributed.Client(address, timeout=timeout)
            except OSError as exc:
                raise ValueError(f"cluster: cannot reach a Dask scheduler at {address!r} ({exc})") from None
        self.workers = len(self.client.scheduler_info().get("workers", {})) or (local or 1)

    def results(self, trials: list[Trial], data: dict[tuple, Dataset]) -> Iterator[Result]:
        distributed = _dask()
        keys = list(data)
        shipped = dict(zip(keys, self.client.scatter([data[k] for k in keys], broadcast=True), strict=True))
        futures = {}
        for trial in trials:
            f = self.client.submit(run_trial, trial, shipped[data_key(trial.spec)], pure=False,
                                   key=f"nnscratch-trial-{trial.index}-{trial.key}-{os.urandom(4).hex()}")
            futures[f] = trial
        try:
            for f in distributed.as_completed(list(futures)):
                trial = futures.pop(f)
                try:
                    row, model = f.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost scheduler: the trial's row
                    row, model = failed_row(trial, f"{type(exc).__name__}: {exc}"), None
                yield trial, row, model
        finally:
            for f in futures:
                f.cancel()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """SIGINT ignored while a LocalCluster starts its worker processes, which inherit that (an ignored
    signal stays ignored across exec): a Ctrl-C in the terminal then reaches this process alone, which
    stops the sweep and closes the cluster, instead of printing a traceback from every worker. A Ctrl-C
    during those seconds of start-up is dropped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _reachable(address: str, timeout: float) -> None:
    """Refuse at once an address where nothing listens (Dask's client would retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    if parts.scheme not in ("tcp", "tls"):
        return  # other transports (inproc, ucx): Dask itself knows how to reach them
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise ValueError(f"cluster: expected tcp://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or exc
        raise ValueError(f"cluster: cannot reach a Dask scheduler at {address!r} ({reason})") from None


def check_where(cluster: str | None, workers: int | None) -> None:
    """Refuse a malformed ``cluster`` or ``workers`` (nothing is started or contacted here)."""
    if cluster is not None:
        if not isinstance(cluster, str):
            raise TypeError(f"cluster: expected 'tcp://HOST:PORT' or 'local:N', got {type(cluster).__name__}")
        if cluster.startswith("local:"):
            n = cluster[len("local:"):]
            if not n.isdigit() or int(n) < 1:
                raise ValueError(f"cluster: expected local:N with N a positive number of workers, "
                                 f"got {cluster!r}")
        elif "://" not in cluster:
            raise ValueError(f"cluster: expected a scheduler address like tcp://HOST:8786 or local:N, "
                             f"got {cluster!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers: expected a positive number of processes, got {workers!r}")


def backend_for(cluster: str | None, workers: int | None, n_trials: int):
    """The backend of ``cluster`` and ``workers`` (default: one worker per core, at most one per trial)."""
    from nnscratch._accel.threads import threads_per_worker

    check_where(cluster, workers)
    if cluster is not None:
        if cluster.startswith("local:"):
            return DaskCluster(local=int(cluster[len("local:"):]))
        return DaskCluster(address=cluster)
    if workers is None:
        workers = max(1, min(os.cpu_count() or 1, n_trials))
    if workers == 1:
        return Serial()
    return LocalPool(workers, threads_per_worker(workers))
