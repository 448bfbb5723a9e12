"""The nnscratch file on disk, as a container (standard library + NumPy only): the atomic writer, the
JSON rules, the common metadata and the one-line refusals. What each kind of file must hold is its
schema module: :mod:`nnscratch.files.network` (a network, a stack, a checkpoint's container),
:mod:`nnscratch.files.model`, :mod:`nnscratch.files.checkpoint`, :mod:`nnscratch.files.vae`.

An nnscratch file (モデルファイル) is an uncompressed NumPy ``.npz`` archive: the parameters ``W1, b1, …``
(checkpoints add named extra arrays) and one entry ``__meta__``, UTF-8 JSON stored as a uint8 array::

    {"format": "nnscratch", "format_version": 1, "kind": "network" | "checkpoint" | "vae",
     "nnscratch_version": "…", "architecture": {…},              # what the kind's schema checks
     "arrays": {name: {"shape": [...], "dtype": "float32"}, …},   # the manifest: every array
     "metadata": {…},                                              # the user's JSON
     "checkpoint": {…}}                                            # checkpoints only: training state

Reading (:func:`reading`, then :func:`read_meta`) goes through the bounded reader of
:mod:`nnscratch.files.npz`: the zip directory and every ``.npy`` header are checked first, then
``__meta__`` (at most :data:`MAX_META_BYTES`, nesting at most :data:`MAX_JSON_DEPTH`); the kind's schema
then checks the manifest and the architecture against the headers — all before any parameter data is
read. Every refusal is one ``ValueError`` line ``path: cannot load '<file>': <problem>; <fix>``.

Writing (:func:`write_file`, through :func:`atomic_savez`) is atomic: a temporary file beside the target
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
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnscratch.files.npz import Archive, json_depth
from nnscratch.files.zipread import CORRUPT, ArchiveError

__all__ = [
    "atomic_savez", "clean_stale_temporaries", "loads_json", "write_file", "reading", "read_meta", "refuse",
    "numeric", "FORMAT", "FORMAT_VERSION", "META_KEY", "MAX_META_BYTES", "MAX_JSON_DEPTH", "STALE_SECONDS",
]

FORMAT = "nnscratch"
FORMAT_VERSION = 1
META_KEY = "__meta__"
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


def numeric(group: str, arrays: dict) -> dict[str, np.ndarray]:
    """``arrays`` as C-ordered numeric arrays; a name that is not text or an array of anything else than
    numbers is a one-line TypeError naming ``group``."""
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


def write_file(
    path: str | os.PathLike,
    kind: str,
    architecture: dict,
    arrays: dict[str, np.ndarray],
    metadata: dict | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write one nnscratch file atomically: ``arrays`` plus ``__meta__`` (the format, ``kind``, the
    ``architecture``, the manifest of every array, the user's ``metadata`` and the kind's ``extra``
    top-level entries, e.g. a checkpoint's state). NumPy arrays and scalars in the JSON become lists and
    numbers; more than :data:`MAX_META_BYTES` or :data:`MAX_JSON_DEPTH` levels is a one-line ValueError.
    """
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    if META_KEY in arrays:
        raise ValueError(f"arrays: the name {META_KEY!r} is the file's own; choose another")
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        # the package is always imported before its submodules, so this needs no import from above
        "nnscratch_version": getattr(sys.modules.get("nnscratch"), "__version__", "unknown"),
        "architecture": architecture,
        "arrays": {k: {"shape": list(a.shape), "dtype": a.dtype.name} for k, a in arrays.items()},
        "metadata": metadata or {},
        **(extra or {}),
    }
    try:
        text = json.dumps(meta, default=_json_default, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError(f"metadata: nested deeper than {MAX_JSON_DEPTH} levels") from None
    if len(text) > MAX_META_BYTES:
        raise ValueError(
            f"metadata: {len(text):,} bytes of JSON, more than the {MAX_META_BYTES:,} a file holds"
        )
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(f"metadata: nested deeper than {MAX_JSON_DEPTH} levels; files hold at most that")
    atomic_savez(path, {**arrays, META_KEY: np.frombuffer(text, dtype=np.uint8)})


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


@contextlib.contextmanager
def reading(path: str | os.PathLike, allow_text: bool = False) -> Iterator[Archive]:
    """The checked :class:`~nnscratch.files.npz.Archive` of ``path``, closed afterwards; a missing file is
    a one-line ``FileNotFoundError``, a refused archive (also one met while reading its arrays) the
    one-line ``ValueError`` of :func:`refuse`."""
    p = os.fspath(path)
    try:
        with Archive(p, allow_text=allow_text) as z:
            yield z
    except FileNotFoundError:
        raise FileNotFoundError(f"path: no such file {p!r}") from None
    except ArchiveError as exc:
        raise _from_archive_error(p, exc) from None


def read_meta(p: str, z: Archive) -> dict:
    """The ``__meta__`` of an open archive: bounded UTF-8 JSON of this format and a version this
    nnscratch reads; anything else is the one-line ValueError of :func:`refuse`."""
    h = z.headers.get(META_KEY)
    if h is None:
        raise refuse(p, f"it has no {META_KEY!r} entry, so it is an .npz archive not written by nnscratch",
                     NOT_OURS)
    if h.dtype != np.uint8 or len(h.shape) != 1:
        raise refuse(p, f"its {META_KEY!r} entry is {h.dtype} of shape {h.shape}, expected UTF-8 JSON bytes",
                     NOT_OURS)
    if h.nbytes > MAX_META_BYTES:
        raise refuse(p, f"its metadata is {h.nbytes:,} bytes, more than the {MAX_META_BYTES:,} nnscratch "
                        f"reads", AGAIN)
    try:
        meta = loads_json(z.read(META_KEY).tobytes(), "its metadata")
    except ArchiveError:
        raise
    except ValueError as exc:
        raise refuse(p, str(exc), AGAIN) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise refuse(p, "its metadata does not describe an nnscratch file", NOT_OURS)
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise refuse(p, f"it has format version {repr(version)[:40]}, which this nnscratch does not know (it "
                        f"reads version {FORMAT_VERSION})",
                     "upgrade nnscratch to read files from a newer version")
    return meta


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
