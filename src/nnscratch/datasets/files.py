"""The user's own data: CSV with a header row, and ``.npz`` files holding ``x`` and ``y``.

Every problem is one ``ValueError`` line naming the file, the line and the column, e.g.
``data.csv, line 7, column 'age': 'abc' is not a number``. Files are read as someone else's: CSV in
bounded lines (:mod:`nnscratch.datasets._text`) and in chunks straight into float32
(:mod:`nnscratch.datasets._table`); ``.npz`` through the bounded archive reader of
:mod:`nnscratch.files.npz`, whose directory and array headers are checked before any data is read.
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO

import numpy as np

from nnscratch.datasets._base import TASKS, Dataset
from nnscratch.datasets._table import Table, Targets, numeric_block
from nnscratch.datasets._text import format_label, is_number, open_lines, parse_number
from nnscratch.datasets.rows import RowReader, _preview
from nnscratch.files.npz import Archive, ArrayHeader
from nnscratch.files.zipread import CORRUPT, ArchiveError

__all__ = [
    "read_csv", "read_npz", "read_file", "read_features", "RowReader", "MAX_AUTO_CLASSES",
    "encode_labels", "parse_number", "MAX_STDIN_NPZ",
]

# an integer-valued numeric target with at most this many distinct values counts as class labels
MAX_AUTO_CLASSES = 20
MAX_STDIN_NPZ = 512 << 20  # bytes of an .npz read from standard input (it must be held in memory)

Source = str | os.PathLike | IO[str]


def encode_labels(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Class labels (strings) → integers 0..K−1 and the K names; numeric labels sort by value."""
    stripped = [v.strip() for v in values]
    if all(is_number(v) for v in stripped):
        numbers = [float(v) for v in stripped]
        uniq = sorted(set(numbers))
        index = {u: i for i, u in enumerate(uniq)}
        return np.array([index[v] for v in numbers], dtype=np.intp), [format_label(u) for u in uniq]
    uniq_s = sorted(set(stripped))
    index_s = {u: i for i, u in enumerate(uniq_s)}
    return np.array([index_s[v] for v in stripped], dtype=np.intp), uniq_s


def _check_task(task: str) -> str:
    if task not in ("auto", *TASKS):
        raise ValueError(f"task: expected 'auto', 'classification' or 'regression', got {task!r}")
    return task


def _concat(label: str, blocks: list[np.ndarray], width: int) -> np.ndarray:
    if not blocks:
        raise ValueError(f"{label}: no data rows after the header")
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0].reshape(-1, width)


# ---------------------------------------------------------------- CSV


def read_csv(
    source: Source, target: str | None = None, task: str = "auto", name: str | None = None
) -> Dataset:
    """A CSV file with a header row → :class:`Dataset`.

    ``target`` names the target column (default: the last column); every other column is a numeric
    feature. ``task="auto"`` treats text labels, or whole numbers with at most
    ``MAX_AUTO_CLASSES`` distinct values, as classes (kept as ``target_names``); otherwise regression.
    The features are read in chunks straight into float32 (about 4 bytes per cell at the peak).
    """
    _check_task(task)
    lines, f = open_lines(source)
    try:
        table = Table(lines)
        label, header = table.label, table.header
        t = table.target_index(target)
        if len(header) < 2:
            raise ValueError(
                f"{label}: expected at least one feature column besides the target {header[t]!r}"
            )
        features = [j for j in range(len(header)) if j != t]
        targets = Targets(label, header[t], task)
        blocks = []
        for line_numbers, rows in table.chunks():
            blocks.append(numeric_block(label, header, rows, line_numbers, features, target_hint=True))
            targets.add([row[t] for row in rows], line_numbers)
    finally:
        if f is not None:
            f.close()
    x = _concat(label, blocks, len(features))
    del blocks
    y, target_names, task = targets.result(MAX_AUTO_CLASSES)
    base = os.path.splitext(os.path.basename(label))[0] if label != "<stdin>" else "stdin"
    return Dataset(
        x, y, task, name=name or base,
        feature_names=[header[j] for j in features], target_names=target_names, target=header[t],
        description=f"CSV file, target column {header[t]!r}", source=label,
    )


# ---------------------------------------------------------------- npz


def _open_npz(source: str | os.PathLike | bytes, label: str) -> Archive:
    try:
        return Archive(source, allow_text=True)
    except ArchiveError as exc:
        raise _npz_error(label, exc) from None


def _npz_error(label: str, exc: ArchiveError) -> ValueError:
    if exc.fix == CORRUPT:
        return ValueError(f"{label}: not a readable .npz file ({exc.problem})")
    return ValueError(f"{label}: {exc.problem}; {exc.fix}")


def _read(z: Archive, label: str, key: str) -> np.ndarray:
    try:
        return z.read(key)
    except ArchiveError as exc:
        raise _npz_error(label, exc) from None


def _check_x(label: str, h: ArrayHeader) -> None:
    """Before reading ``x``: numbers, at least one row."""
    if h.dtype.kind not in "biuf":
        raise ValueError(f"{label}: array 'x' must hold numbers, got dtype {h.dtype}")
    if len(h.shape) == 0 or h.shape[0] == 0:
        raise ValueError(f"{label}: array 'x' has no rows (shape {h.shape})")


def _image(shape: tuple[int, ...]) -> dict:
    """A Dataset's ``image_shape`` and ``channels`` for ``x`` of images (N, H, W) or (N, C, H, W)."""
    if len(shape) not in (3, 4):
        return {}
    channels = int(shape[1]) if len(shape) == 4 else 1
    return {"image_shape": (int(shape[-2]), int(shape[-1])), "channels": channels}


def _features_2d(label: str, x: np.ndarray) -> np.ndarray:
    if x.ndim == 1:
        x = x[:, None]
    elif x.ndim > 2:
        x = x.reshape(len(x), -1)  # images (N, H, W) → rows of pixels
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(
            f"{label}: array 'x' has NaN or inf in row {row} (as float32); expected finite numbers"
        )
    return x


def _names(z: Archive, label: str, key: str) -> list[str] | None:
    return [str(v) for v in _read(z, label, key).reshape(-1)] if key in z.headers else None


def read_npz(source: str | os.PathLike, task: str = "auto", name: str | None = None) -> Dataset:
    """A ``.npz`` file with arrays ``x`` (N, …) and ``y`` (N,) → :class:`Dataset`.

    ``x`` of images, (N, H, W) or (N, C, H, W), gives rows of their pixels with the data set's
    ``image_shape`` (H, W) and ``channels`` C, so that a convolutional network can learn from it
    (``nnscratch train --data images.npz --layers conv8x3-relu-pool2-affine32-relu``). Optional arrays
    ``feature_names`` and ``target_names`` (strings) are used when present. ``y`` of integers or
    strings is classification, floats regression (unless ``task`` says otherwise). The arrays' headers
    are checked (names, dtypes, row counts) before any data is read.
    """
    _check_task(task)
    label = os.fspath(source)
    with _open_npz(source, label) as z:
        found = sorted(z.headers)
        if "x" not in z.headers or "y" not in z.headers:
            raise ValueError(f"{label}: expected arrays 'x' and 'y', found: {', '.join(found) or 'none'}")
        hx, hy = z.headers["x"], z.headers["y"]
        _check_x(label, hx)
        if len(hy.shape) == 0 or hy.shape[0] != hx.shape[0]:
            rows = hy.shape[0] if hy.shape else "a scalar"
            raise ValueError(
                f"{label}: 'x' has {hx.shape[0]} rows but 'y' has {rows}; expected one target per row"
            )
        image = _image(tuple(hx.shape))
        x = _features_2d(label, _read(z, label, "x"))
        y = _read(z, label, "y")
        feature_names = _names(z, label, "feature_names") or []
        given_names = _names(z, label, "target_names")
    y, target_names, task = _targets(label, y, given_names, task)
    base = os.path.splitext(os.path.basename(label))[0]
    return Dataset(
        x, y, task, name=name or base, feature_names=feature_names, target_names=target_names,
        description="npz file", source=label, **image,
    )


def _targets(label: str, y: np.ndarray, given: list[str] | None, task: str):
    if task == "auto":
        task = "regression" if y.dtype.kind == "f" else "classification"
    if task == "regression":
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{label}: regression targets 'y' must be numbers, got dtype {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError(f"{label}: array 'y' has NaN or inf; expected finite numbers")
        return y.astype(np.float32), None, task
    if y.ndim != 1:
        raise ValueError(f"{label}: class labels 'y' must have shape (N,), got {y.shape}")
    if y.dtype.kind in "biu" and given is not None:
        y = y.astype(np.intp)
        if y.min() < 0 or y.max() >= len(given):
            raise ValueError(
                f"{label}: labels in 'y' run from {y.min()} to {y.max()}, expected "
                f"0..{len(given) - 1} for the {len(given)} target_names"
            )
        return y, given, task
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{label}: array 'y' has NaN or inf; expected class labels")
    raw = y.astype(str) if y.dtype.kind in "US" else y
    uniq, codes = np.unique(raw, return_inverse=True)
    names = [format_label(u) if raw.dtype.kind in "biuf" else str(u) for u in uniq]
    return codes.reshape(-1).astype(np.intp), names, task


def read_file(path: str | os.PathLike, target: str | None = None, task: str = "auto") -> Dataset:
    """A ``.npz`` or CSV file (chosen by extension; anything not ``.npz`` is read as CSV).

    >>> rows = ["temperature,weekday,sales", "20,1,130", "25,2,150", "18,3,120"]
    >>> _ = open("pos.csv", "w").write(chr(10).join(rows))
    >>> data = read_file("pos.csv", target="sales", task="regression")   # whole numbers: else classes
    >>> data.feature_names, data.x.shape, data.task
    (['temperature', 'weekday'], (3, 2), 'regression')
    """
    if os.fspath(path).lower().endswith(".npz"):
        if target not in (None, "y"):
            raise ValueError(f"target: a .npz file keeps its targets in array 'y', got target={target!r}")
        return read_npz(path, task=task)
    return read_csv(path, target=target, task=task)


# ---------------------------------------------------------------- features only (predict)


class _Prefixed(io.RawIOBase):
    """A byte stream that first returns ``prefix``, then the rest of ``stream``."""

    name = "<stdin>"

    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self._prefix, self._stream = prefix, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n], self._prefix = self._prefix[:n], self._prefix[n:]
            return n
        read = getattr(self._stream, "read1", self._stream.read)  # read1: what is there, without waiting
        data = read(len(view))
        view[: len(data)] = data
        return len(data)


def _stdin_source() -> bytes | IO[bytes]:
    """Standard input as the bytes of an ``.npz`` (bounded by :data:`MAX_STDIN_NPZ`) or as a stream."""
    stdin = getattr(sys.stdin, "buffer", sys.stdin)
    prefix = b""
    while len(prefix) < 4:
        part = stdin.read(4 - len(prefix))
        if not part:
            break
        prefix += part
    if prefix != b"PK\x03\x04":
        return io.BufferedReader(_Prefixed(prefix, stdin))  # named "<stdin>" by its raw stream
    data = [prefix]
    size = len(prefix)
    while part := stdin.read(1 << 20):
        size += len(part)
        if size > MAX_STDIN_NPZ:
            raise ValueError(
                f"<stdin>: more than {MAX_STDIN_NPZ >> 20} MiB of .npz on standard input; pass the file's "
                f"path instead"
            )
        data.append(part)
    return b"".join(data)


def read_features(
    source: Source | bytes, feature_names: Sequence[str] | None, n_features: int, target: str | None = None
) -> np.ndarray:
    """Feature rows for a model with ``n_features`` inputs, from a CSV (header row) or ``.npz`` (``x``).

    CSV columns are taken by name when the header holds every feature name (other columns are
    ignored), else by position when the count matches (a ``target`` column is dropped first).
    ``source`` may be ``"-"`` (standard input) or the raw bytes of a file.

    >>> csv = chr(10).join(["a,b", "1,2", "3,4"]).encode()
    >>> rows = read_features(csv, ["a", "b"], 2)
    >>> rows.shape
    (2, 2)
    """
    blocks = list(iter_features(source, feature_names, n_features, target))  # ≥ 1 block, or an error
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def iter_features(
    source: Source | bytes, feature_names: Sequence[str] | None, n_features: int, target: str | None = None
) -> Iterator[np.ndarray]:
    """:func:`read_features` in blocks of rows as they are read (a CSV in blocks of ``CHUNK_ROWS``, an
    ``.npz`` as one block), so that a stream of any length is predicted in bounded memory. A CSV with
    no data rows raises the same error as :func:`read_features`.

    >>> csv = chr(10).join(["x0,x1", "0.5,-0.5", "1,2"]).encode()
    >>> [block.shape for block in iter_features(csv, ["x0", "x1"], 2)]
    [(2, 2)]
    """
    if isinstance(source, (str, os.PathLike)) and str(source) == "-":
        source = _stdin_source()
    if isinstance(source, bytes):
        if source[:4] == b"PK\x03\x04":
            yield _npz_features("<stdin>", source, n_features)
            return
        stream = io.BytesIO(source)
        stream.name = "<stdin>"  # type: ignore[misc]
        source = stream
    elif isinstance(source, (str, os.PathLike)) and os.fspath(source).lower().endswith(".npz"):
        yield _npz_features(os.fspath(source), source, n_features)
        return
    lines, f = open_lines(source)
    try:
        table = Table(lines)
        label, header = table.label, table.header
        names = list(feature_names or [])
        if names and len(names) == n_features and set(names) <= set(header):
            columns = [header.index(n) for n in names]
        else:
            columns = [j for j, h in enumerate(header) if h != target]
            if len(columns) != n_features:
                expected = f" ({_preview(names)})" if names else ""
                raise ValueError(
                    f"{label}: expected {n_features} feature columns{expected}, got {len(columns)} "
                    f"({_preview([header[j] for j in columns])})"
                )
        empty = True
        for line_numbers, rows in table.chunks():
            empty = False
            yield numeric_block(label, header, rows, line_numbers, columns).reshape(-1, len(columns))
        if empty:
            _concat(label, [], len(columns))  # the one "no data rows" error
    finally:
        if f is not None:
            f.close()


def _npz_features(label: str, source: str | os.PathLike | bytes, n_features: int) -> np.ndarray:
    with _open_npz(source, label) as z:
        if "x" not in z.headers:
            raise ValueError(
                f"{label}: expected an array 'x' of feature rows, found: {', '.join(sorted(z.headers))}"
            )
        h = z.headers["x"]
        _check_x(label, h)
        width = math.prod(h.shape[1:])
        if width != n_features:
            raise ValueError(f"{label}: expected {n_features} features per row in 'x', got shape {h.shape}")
        return _features_2d(label, _read(z, label, "x"))
