"""The nnscratch model file on disk, as a container (private; standard library + NumPy only): the
atomic writer, the JSON rules and the one-line refusals. What a network file must hold — its schema,
written by ``write_network`` and checked by ``read_network_file`` — is :mod:`nnscratch._netfile`.

A model file (モデルファイル) is an uncompressed NumPy ``.npz`` archive: the parameters ``W1, b1, …``
(checkpoints add named extra arrays) and one entry ``__meta__``, UTF-8 JSON stored as a uint8 array::

    {"format": "nnscratch", "format_version": 1, "kind": "network" | "checkpoint",
     "nnscratch_version": "…", "architecture": {"sizes", "hidden", "output", "loss", "dtype"},
     "arrays": {name: {"shape": [...], "dtype": "float32"}, …},   # the manifest: every array
     "metadata": {…},                                              # the user's JSON
     "checkpoint": {…}}                                            # checkpoints only: training state

Reading (``_netfile.read_network_file``) goes through the bounded reader of :mod:`nnscratch._npz`: the zip
directory and every ``.npy`` header are checked first, then ``__meta__`` (at most
:data:`MAX_META_BYTES`, nesting at most :data:`MAX_JSON_DEPTH`), then the manifest and the
architecture against the headers — all before any parameter data is read. Every refusal is one
``ValueError`` line ``path: cannot load '<file>': <problem>; <fix>``.

Writing (:func:`atomic_savez`) is atomic: a temporary file beside the target
(``.<name>.<pid>-<random>.tmp``), flushed and fsynced, then ``os.replace``; the target's permissions
are kept. Temporary files left by a
killed writer are removed on the next write to the same target (see :func:`clean_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnscratch._npz import json_depth
from nnscratch._zipread import CORRUPT, ArchiveError

__all__ = [
    "atomic_savez", "clean_stale_temporaries", "loads_json",
    "FORMAT", "FORMAT_VERSION", "META_KEY", "KINDS", "MAX_META_BYTES", "MAX_JSON_DEPTH", "STALE_SECONDS",
]

FORMAT = "nnscratch"
FORMAT_VERSION = 1
META_KEY = "__meta__"
KINDS = ("network", "checkpoint")
MAX_META_BYTES = 16 << 20  # a checkpoint's history of 10,000 epochs is ~2 MB of JSON
MAX_JSON_DEPTH = 64  # nnscratch's own metadata nests about 6 deep
STALE_SECONDS = 60.0

NOT_OURS = "save models with net.save(path) or nnscratch.io.save(net, path)"
AGAIN = "write the file again"


# ================================================================ writing


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(
        f"metadata: {type(value).__name__} values cannot be stored; use numbers, strings, lists and dicts"
    )


def _numeric(group: str, arrays: dict) -> dict[str, np.ndarray]:
    out = {}
    for name, value in arrays.items():
        if not isinstance(name, str):
            raise TypeError(f"{group}: array names must be strings, got {name!r}")
        a = np.asarray(value, order="C")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"arrays: {name!r} has dtype {a.dtype}; only numeric arrays are stored")
        out[name] = a
    return out


def _pid_alive(pid: int) -> bool:
    if os.name != "posix" or pid == os.getpid():
        return True  # not checkable (Windows' os.kill would signal it), or our own: keep
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: it exists, owned by someone else
        return True
    return True


def clean_stale_temporaries(target: str, now: float | None = None) -> list[str]:
    """Remove temporary files a killed writer left beside ``target``; returns the names removed.

    A temporary file is ``.<name>.<pid>-<random>.tmp`` (or ``.<name>.<random>.tmp`` from nnscratch
    0.1). It is stale when it has not changed for :data:`STALE_SECONDS` **and** the process in its name
    is gone (or it carries none). Both are required: a live writer touches its file continuously and is
    never disturbed, a pid reused by another process only delays the cleanup, and on a shared file
    system another machine's writer of the same name is protected by the age rule.
    """
    directory = os.path.dirname(os.path.abspath(target))
    pattern = re.compile(rf"\.{re.escape(os.path.basename(target))}\.(?:(\d+)-)?[A-Za-z0-9_]{{8}}\.tmp")
    now = time.time() if now is None else now
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        full = os.path.join(directory, name)
        try:
            st = os.lstat(full)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < STALE_SECONDS:
                continue
            if match.group(1) is not None and _pid_alive(int(match.group(1))):
                continue
            os.unlink(full)
            removed.append(name)
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed


def atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` into a temporary file beside ``path``, fsync, then ``os.replace`` onto ``path``.

    An existing target keeps its permissions; a target that exists but is not a regular file (a FIFO,
    a device) is refused rather than replaced.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"path: directory {directory!r} does not exist; create it first")
    if os.path.isdir(target):
        raise IsADirectoryError(f"path: {target!r} is a directory; expected a file name such as model.npz")
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ValueError(f"path: {target!r} exists and is not a regular file; refusing to replace it")
    clean_stale_temporaries(target)
    base = os.path.basename(target)
    with _ctrl_c_waits():  # between mkstemp and the cleanup below an interrupt would leak the file
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, st.st_mode & 0o777 if st is not None else 0o666 & ~_UMASK)
            os.replace(tmp, target)
        except BaseException:  # an error (a full disk): never leave the temporary file behind
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


@contextlib.contextmanager
def _ctrl_c_waits() -> Iterator[None]:
    """Ctrl-C (SIGINT) that arrives during a write is delivered when the write is over, to whatever
    handler was there (Python's raises KeyboardInterrupt then): the file is written whole or not at
    all, and no temporary file is left. Outside the main thread, where handlers cannot be set, a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old if old is not None else signal.default_int_handler)
        if received:
            signal.raise_signal(signal.SIGINT)


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# ================================================================ reading


def refuse(path: str, problem: str, fix: str) -> ValueError:
    """The one-line error of a refused model file."""
    return ValueError(f"path: cannot load {path!r}: {problem}; {fix}")


def _from_archive_error(path: str, exc: ArchiveError) -> ValueError:
    if exc.fix == CORRUPT:
        return refuse(path, f"it is truncated or corrupt ({exc.problem})",
                      "write it again, e.g. from a checkpoint or by re-training")
    return refuse(path, exc.problem, exc.fix)


def loads_json(raw: bytes, what: str = "JSON") -> Any:
    """JSON bytes → value, refusing more than :data:`MAX_JSON_DEPTH` levels before parsing.

    Raises ``ValueError`` (one line, starting with ``what``) for bad UTF-8, bad JSON or deep nesting.
    """
    depth = json_depth(raw)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{what} nests {depth:,} levels deep, more than {MAX_JSON_DEPTH}")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not UTF-8 (byte {exc.start})") from None
    except ValueError as exc:  # JSONDecodeError, or a number of more than 4,300 digits
        raise ValueError(f"{what} is not valid JSON ({str(exc)[:120]})") from None
