"""The user's own data: CSV with a header row, and ``.npz`` files holding ``x`` and ``y``.

Every problem is one ``ValueError`` line naming the file, the line and the column, e.g.
``data.csv, line 7, column 'age': 'abc' is not a number``.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO

import numpy as np

from nnscratch.datasets._base import TASKS, Dataset

__all__ = ["read_csv", "read_npz", "read_file", "read_features", "RowReader", "MAX_AUTO_CLASSES"]

# an integer-valued numeric target with at most this many distinct values counts as class labels
MAX_AUTO_CLASSES = 20

Source = str | os.PathLike | IO[str]


# ---------------------------------------------------------------- cells


def _label(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return "<stdin>" if str(source) == "-" else os.fspath(source)
    return getattr(source, "name", None) if isinstance(getattr(source, "name", None), str) else "<input>"


def parse_number(label: str, line: int, column: str, cell: str) -> float:
    """One cell as a finite float, or a ValueError naming file, line and column."""
    text = cell.strip()
    where = f"{label}, line {line}, column {column!r}"
    if not text:
        raise ValueError(
            f"{where}: empty cell; expected a number (fill in or remove rows with missing values)"
        )
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(
            f"{where}: {text!r} is not a finite number; expected a number (fill in or remove rows "
            f"with missing values)"
        )
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _format_label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---------------------------------------------------------------- tables


def _open_text(source: Source) -> tuple[IO[str], bool]:
    """(text stream, whether we opened it and must close it)."""
    if isinstance(source, (str, os.PathLike)):
        if str(source) == "-":
            return sys.stdin, False
        return open(source, encoding="utf-8-sig", newline=""), True
    return source, False


def _check_header(label: str, header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    for j, name in enumerate(names, start=1):
        if not name:
            raise ValueError(
                f"{label}, line 1, column {j}: empty column name; expected a header row of names"
            )
    if all(_is_number(n) for n in names):
        raise ValueError(
            f"{label}, line 1: expected a header row of column names, got numbers "
            f"({', '.join(names[:3])}{', …' if len(names) > 3 else ''}); add a header row"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{label}, line 1: column name {name!r} appears twice; names must be unique")
        seen.add(name)
    return names


def _read_table(source: Source) -> tuple[str, list[str], list[list[str]], list[int]]:
    """(label, header, rows, line numbers) of a CSV file with a header row."""
    label = _label(source)
    stream, close = _open_text(source)
    try:
        reader = csv.reader(stream)
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if header is None:
                header = _check_header(label, row)
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{label}, line {reader.line_num}: expected {len(header)} fields as in the header, "
                    f"got {len(row)}"
                )
            rows.append(row)
            lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{label}: not a UTF-8 text CSV file (undecodable byte at position {exc.start})"
        ) from None
    except csv.Error as exc:
        raise ValueError(f"{label}: not a readable CSV file ({exc})") from None
    finally:
        if close:
            stream.close()
    if header is None:
        raise ValueError(f"{label}: empty file; expected a header row of column names and data rows")
    if not rows:
        raise ValueError(f"{label}: no data rows after the header")
    return label, header, rows, lines


def _numeric_columns(
    label: str, header: list[str], rows: list[list[str]], lines: list[int], columns: Sequence[int]
) -> np.ndarray:
    """The chosen columns as a float64 matrix; the first bad cell (by line) is reported."""
    data = [[row[j] for j in columns] for row in rows]
    try:
        a = np.array(data, dtype=np.float64).reshape(len(rows), len(columns))
    except ValueError:
        a = None
    if a is not None and np.isfinite(a).all():
        return a
    for row, line in zip(rows, lines, strict=True):
        for j in columns:
            parse_number(label, line, header[j], row[j])
    raise AssertionError("unreachable: a bad cell was expected")  # pragma: no cover


def _target_index(label: str, header: list[str], target: str | None) -> int:
    if target is None:
        return len(header) - 1
    if target not in header:
        raise ValueError(f"{label}: no column {target!r}; the columns are: {', '.join(header)}")
    return header.index(target)


def encode_labels(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Class labels (strings) → integers 0..K−1 and the K names; numeric labels sort by value."""
    stripped = [v.strip() for v in values]
    if all(_is_number(v) for v in stripped):
        numbers = [float(v) for v in stripped]
        uniq = sorted(set(numbers))
        index = {u: i for i, u in enumerate(uniq)}
        return np.array([index[v] for v in numbers], dtype=np.intp), [_format_label(u) for u in uniq]
    uniq_s = sorted(set(stripped))
    index_s = {u: i for i, u in enumerate(uniq_s)}
    return np.array([index_s[v] for v in stripped], dtype=np.intp), uniq_s


def _check_task(task: str) -> str:
    if task not in ("auto", *TASKS):
        raise ValueError(f"task: expected 'auto', 'classification' or 'regression', got {task!r}")
    return task


def read_csv(
    source: Source, target: str | None = None, task: str = "auto", name: str | None = None
) -> Dataset:
    """A CSV file with a header row → :class:`Dataset`.

    ``target`` names the target column (default: the last column); every other column is a numeric
    feature. ``task="auto"`` treats text labels, or whole numbers with at most
    ``MAX_AUTO_CLASSES`` distinct values, as classes (kept as ``target_names``); otherwise regression.
    """
    _check_task(task)
    label, header, rows, lines = _read_table(source)
    t = _target_index(label, header, target)
    if len(header) < 2:
        raise ValueError(f"{label}: expected at least one feature column besides the target {header[t]!r}")
    features = [j for j in range(len(header)) if j != t]
    x = _numeric_columns(label, header, rows, lines, features)
    values = [row[t] for row in rows]
    for v, line in zip(values, lines, strict=True):
        if not v.strip():
            raise ValueError(
                f"{label}, line {line}, column {header[t]!r}: empty target cell; fill it in or remove the row"
            )
    numeric = all(_is_number(v) for v in values)
    if task == "auto":
        if not numeric:
            task = "classification"
        else:
            nums = np.array([float(v) for v in values])
            whole = np.isfinite(nums).all() and np.all(nums == np.round(nums))
            task = "classification" if whole and len(np.unique(nums)) <= MAX_AUTO_CLASSES else "regression"
    if task == "classification":
        y, names = encode_labels(values)
        target_names: list[str] | None = names
    else:
        y = _numeric_columns(label, header, rows, lines, [t])[:, 0].astype(np.float32)
        target_names = None
    base = os.path.splitext(os.path.basename(label))[0] if label != "<stdin>" else "stdin"
    return Dataset(
        x.astype(np.float32), y, task, name=name or base,
        feature_names=[header[j] for j in features], target_names=target_names, target=header[t],
        description=f"CSV file, target column {header[t]!r}", source=label,
    )


# ---------------------------------------------------------------- npz


def _load_npz(source: str | os.PathLike | bytes) -> dict[str, np.ndarray]:
    label = "<stdin>" if isinstance(source, bytes) else os.fspath(source)
    try:
        handle = np.load(io.BytesIO(source) if isinstance(source, bytes) else source, allow_pickle=False)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) or not os.path.exists(label):
            raise
        raise ValueError(f"{label}: not a readable .npz file ({exc})") from None
    except (ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{label}: not a readable .npz file ({exc})") from None
    if not hasattr(handle, "files"):
        raise ValueError(f"{label}: expected a .npz archive of named arrays, got a single .npy array")
    try:
        with handle as f:
            return {k: f[k] for k in f.files}
    except (ValueError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(f"{label}: not a readable .npz file ({exc})") from None


def _features_2d(label: str, x: np.ndarray) -> np.ndarray:
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{label}: array 'x' must hold numbers, got dtype {x.dtype}")
    if x.ndim == 1:
        x = x[:, None]
    elif x.ndim > 2:
        x = x.reshape(len(x), -1)  # images (N, H, W) → rows of pixels
    if x.shape[0] == 0:
        raise ValueError(f"{label}: array 'x' has no rows")
    if not np.isfinite(x).all():
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(f"{label}: array 'x' has NaN or inf in row {row}; expected finite numbers")
    return x.astype(np.float32)


def read_npz(source: str | os.PathLike, task: str = "auto", name: str | None = None) -> Dataset:
    """A ``.npz`` file with arrays ``x`` (N, …) and ``y`` (N,) → :class:`Dataset`.

    Optional arrays ``feature_names`` and ``target_names`` (strings) are used when present. ``y`` of
    integers or strings is classification, floats regression (unless ``task`` says otherwise).
    """
    _check_task(task)
    label = os.fspath(source)
    arrays = _load_npz(source)
    if "x" not in arrays or "y" not in arrays:
        raise ValueError(
            f"{label}: expected arrays 'x' and 'y', found: {', '.join(sorted(arrays)) or 'none'}"
        )
    x = _features_2d(label, arrays["x"])
    y = arrays["y"]
    if len(y) != len(x):
        raise ValueError(f"{label}: 'x' has {len(x)} rows but 'y' has {len(y)}; expected one target per row")
    if task == "auto":
        task = "regression" if y.dtype.kind == "f" else "classification"
    target_names = None
    if task == "classification":
        if y.ndim != 1:
            raise ValueError(f"{label}: class labels 'y' must have shape (N,), got {y.shape}")
        if y.dtype.kind in "biu" and "target_names" in arrays:
            y = y.astype(np.intp)
            target_names = [str(t) for t in arrays["target_names"]]
            if y.min() < 0 or y.max() >= len(target_names):
                raise ValueError(
                    f"{label}: labels in 'y' run from {y.min()} to {y.max()}, expected "
                    f"0..{len(target_names) - 1} for the {len(target_names)} target_names"
                )
        elif y.dtype.kind in "biufUS":
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise ValueError(f"{label}: array 'y' has NaN or inf; expected class labels")
            raw = y.astype(str) if y.dtype.kind in "US" else y
            uniq, y = np.unique(raw, return_inverse=True)
            y = y.astype(np.intp)
            target_names = [_format_label(u) if raw.dtype.kind in "biuf" else str(u) for u in uniq]
        else:
            raise ValueError(f"{label}: array 'y' must hold numbers or strings, got dtype {y.dtype}")
    else:
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{label}: regression targets 'y' must be numbers, got dtype {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError(f"{label}: array 'y' has NaN or inf; expected finite numbers")
        y = y.astype(np.float32)
    feature_names = [str(f) for f in arrays["feature_names"]] if "feature_names" in arrays else []
    base = os.path.splitext(os.path.basename(label))[0]
    return Dataset(
        x, y, task, name=name or base, feature_names=feature_names, target_names=target_names,
        description="npz file", source=label,
    )


def read_file(path: str | os.PathLike, target: str | None = None, task: str = "auto") -> Dataset:
    """A ``.npz`` or CSV file (chosen by extension; anything not ``.npz`` is read as CSV)."""
    if os.fspath(path).lower().endswith(".npz"):
        if target not in (None, "y"):
            raise ValueError(f"target: a .npz file keeps its targets in array 'y', got target={target!r}")
        return read_npz(path, task=task)
    return read_csv(path, target=target, task=task)


# ---------------------------------------------------------------- features only (predict)


def _preview(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:3])}, …, {', '.join(names[-2:])}"


def read_features(
    source: Source | bytes, feature_names: Sequence[str] | None, n_features: int, target: str | None = None
) -> np.ndarray:
    """Feature rows for a model with ``n_features`` inputs, from a CSV (header row) or ``.npz`` (``x``).

    CSV columns are taken by name when the header holds every feature name (other columns are
    ignored), else by position when the count matches (a ``target`` column is dropped first).
    ``source`` may be ``"-"`` (standard input) or the raw bytes of a file.
    """
    raw = None
    if isinstance(source, bytes):
        raw = source
    elif isinstance(source, (str, os.PathLike)) and str(source) == "-":
        raw = sys.stdin.buffer.read()
    if raw is not None and raw[:4] == b"PK\x03\x04":
        return _npz_features("<stdin>", _load_npz(raw), n_features)
    if raw is not None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"<stdin>: not a UTF-8 text CSV file (undecodable byte at position {exc.start})"
            ) from None
        stream = io.StringIO(text, newline="")
        stream.name = "<stdin>"  # type: ignore[misc]
        source = stream
    elif isinstance(source, (str, os.PathLike)) and os.fspath(source).lower().endswith(".npz"):
        return _npz_features(os.fspath(source), _load_npz(source), n_features)
    label, header, rows, lines = _read_table(source)  # type: ignore[arg-type]
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
    return _numeric_columns(label, header, rows, lines, columns).astype(np.float32)


def _npz_features(label: str, arrays: dict[str, np.ndarray], n_features: int) -> np.ndarray:
    if "x" not in arrays:
        raise ValueError(
            f"{label}: expected an array 'x' of feature rows, found: {', '.join(sorted(arrays))}"
        )
    x = _features_2d(label, arrays["x"])
    if x.shape[1] != n_features:
        raise ValueError(
            f"{label}: expected {n_features} features per row in 'x', got shape {arrays['x'].shape}"
        )
    return x


# ---------------------------------------------------------------- row by row (stream)


class RowReader:
    """Reads CSV rows one at a time from a text stream (e.g. standard input) for online learning.

    The header is read at construction. Iterating yields ``(line, x, d)``: the feature row as a
    float64 array in ``feature_names`` order and the target — a class index when ``target_names`` is
    given (an unknown class is an error), else a float.
    """

    def __init__(
        self,
        stream: IO[str],
        feature_names: Sequence[str],
        target: str,
        target_names: Sequence[str] | None = None,
        label: str = "<stdin>",
    ) -> None:
        self.label = label
        self._reader = csv.reader(stream)
        header = None
        for row in self._reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                header = _check_header(label, row)
                break
        if header is None:
            raise ValueError(f"{label}: empty input; expected a header row of column names and data rows")
        self.header = header
        self.target_index = _target_index(label, header, target)
        missing = [n for n in feature_names if n not in header]
        if missing:
            raise ValueError(
                f"{label}: the model's feature column(s) {_preview(missing)} are missing; "
                f"the columns are: {', '.join(header)}"
            )
        self.columns = [header.index(n) for n in feature_names]
        self.classes = {n: i for i, n in enumerate(target_names)} if target_names is not None else None
        if self.classes is not None and all(_is_number(n) for n in self.classes):
            self._numeric_classes = {float(n): i for n, i in self.classes.items()}
        else:
            self._numeric_classes = None

    def _target(self, line: int, cell: str) -> int | float:
        column = self.header[self.target_index]
        if self.classes is None:
            return parse_number(self.label, line, column, cell)
        text = cell.strip()
        if text in self.classes:
            return self.classes[text]
        if self._numeric_classes is not None and _is_number(text) and float(text) in self._numeric_classes:
            return self._numeric_classes[float(text)]
        raise ValueError(
            f"{self.label}, line {line}, column {column!r}: unknown class {text!r}; the model knows "
            f"{_preview(list(self.classes))}"
        )

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, int | float]]:
        n = len(self.header)
        try:
            for row in self._reader:
                line = self._reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != n:
                    raise ValueError(
                        f"{self.label}, line {line}: expected {n} fields as in the header, got {len(row)}"
                    )
                x = np.array([parse_number(self.label, line, self.header[j], row[j]) for j in self.columns])
                yield line, x, self._target(line, row[self.target_index])
        except csv.Error as exc:
            raise ValueError(f"{self.label}: not a readable CSV row ({exc})") from None
