"""CSV tables read in chunks straight into float32 (private).

A table is read :data:`CHUNK_ROWS` records at a time: the chosen columns of a chunk are converted to
numbers and appended as a float32 block, and the strings are dropped, so reading a file needs about
the size of its float32 result twice (the blocks, then their concatenation) instead of a Python
string per cell. The target column is kept as compactly: numbers as float64, class labels as
integer codes of at most :data:`MAX_LABELS` distinct texts.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence

import numpy as np

from nnscratch.datasets._text import Lines, check_header, format_label, is_number, parse_number, records

__all__ = ["Table", "numeric_block", "Targets", "CHUNK_ROWS", "MAX_LABELS"]

CHUNK_ROWS = 8192
MAX_LABELS = 65_536  # distinct texts in a target column read as class labels
_F32_MAX = float(np.finfo(np.float32).max)


class Table:
    """A CSV file with a header row: ``header`` at once, then :meth:`chunks` of (lines, rows)."""

    def __init__(self, lines: Lines) -> None:
        self.label = lines.label
        self._records = records(lines)
        first = next(self._records, None)
        if first is None:
            raise ValueError(f"{self.label}: empty file; expected a header row of column names and data rows")
        self.header = check_header(self.label, first[1])

    def chunks(self) -> Iterator[tuple[list[int], list[list[str]]]]:
        """Blocks of up to :data:`CHUNK_ROWS` records, each with as many fields as the header."""
        n = len(self.header)
        lines: list[int] = []
        rows: list[list[str]] = []
        for line, row in self._records:
            if len(row) != n:
                raise ValueError(
                    f"{self.label}, line {line}: expected {n} fields as in the header, got {len(row)}"
                )
            lines.append(line)
            rows.append(row)
            if len(rows) == CHUNK_ROWS:
                yield lines, rows
                lines, rows = [], []
        if rows:
            yield lines, rows

    def target_index(self, target: str | None) -> int:
        """The column of ``target`` (default: the last one)."""
        if target is None:
            return len(self.header) - 1
        if target not in self.header:
            raise ValueError(f"{self.label}: no column {target!r}; the columns are: {', '.join(self.header)}")
        return self.header.index(target)


def numeric_block(
    label: str, header: list[str], rows: list[list[str]], lines: list[int], columns: Sequence[int],
    target_hint: bool = False,
) -> np.ndarray:
    """The chosen columns of a chunk as float32; the first bad cell (by line) is reported.

    With ``target_hint``, a cell of text in a column of text (its first cell in the chunk is text too,
    so not a typo in a column of numbers) adds that such a column can only be the target, and how to
    name it (``--target COLUMN``, ``target=``).
    """
    try:
        a = np.array([[row[j] for j in columns] for row in rows], dtype=np.float64)
        a = a.reshape(len(rows), len(columns))
    except ValueError:
        a = None
    if a is not None and np.isfinite(a).all():
        if np.abs(a).max(initial=0.0) <= _F32_MAX:
            return a.astype(np.float32)
        i, k = np.argwhere(np.abs(a) > _F32_MAX)[0]
        raise ValueError(
            f"{label}, line {lines[i]}, column {header[columns[k]]!r}: {rows[i][columns[k]].strip()!r} is "
            f"beyond the float32 range (±3.4e38); rescale the column"
        )
    for row, line in zip(rows, lines, strict=True):
        for j in columns:
            try:
                parse_number(label, line, header[j], row[j])
            except ValueError as exc:
                if target_hint and _is_text(row[j]) and _is_text(rows[0][j]):
                    name = header[j]
                    raise ValueError(
                        f"{exc}; a column of text can only be the target: --target {shlex.quote(name)} "
                        f"(in Python, target={name!r})"
                    ) from None
                raise
    raise AssertionError("unreachable: a bad cell was expected")  # pragma: no cover


def _is_text(cell: str) -> bool:
    text = cell.strip()
    return bool(text) and not is_number(text)


class Targets:
    """The target column, chunk by chunk, without keeping its strings.

    While every cell is a number the values are kept as float64; the distinct stripped texts are also
    interned as integer codes (at most :data:`MAX_LABELS`) in case a later cell turns the column
    into text class labels. :meth:`result` decides the task as ``read_csv`` documents.
    """

    def __init__(self, label: str, column: str, task: str) -> None:
        self.label, self.column, self.task = label, column, task
        self.numeric = task != "classification"
        self._values: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._index: dict[str, int] | None = {}
        self._first_non_finite: int | None = None

    def add(self, cells: list[str], lines: list[int]) -> None:
        texts = [c.strip() for c in cells]
        for text, line in zip(texts, lines, strict=True):
            if not text:
                raise ValueError(
                    f"{self.label}, line {line}, column {self.column!r}: empty target cell; fill it in or "
                    f"remove the row"
                )
        if self.numeric:
            try:
                values = np.array(texts, dtype=np.float64)
            except ValueError:
                if self.task == "regression":
                    for text, line in zip(texts, lines, strict=True):
                        parse_number(self.label, line, self.column, text)
                self.numeric = False
            else:
                self._values.append(values)
                bad = ~np.isfinite(values)
                if bad.any() and self._first_non_finite is None:
                    self._first_non_finite = lines[int(np.argmax(bad))]
        self._intern(texts, lines)

    def _intern(self, texts: list[str], lines: list[int]) -> None:
        if self._index is None:  # too many distinct values for labels: the column must stay numeric
            if not self.numeric:
                raise ValueError(
                    f"{self.label}, line {lines[0]}, column {self.column!r}: text labels after more than "
                    f"{MAX_LABELS:,} distinct values; expected numbers or at most {MAX_LABELS:,} classes"
                )
            return
        index = self._index
        codes = np.fromiter((index.setdefault(t, len(index)) for t in texts), np.int32, len(texts))
        if len(index) > MAX_LABELS:
            if not self.numeric:
                raise ValueError(
                    f"{self.label}: column {self.column!r} holds more than {MAX_LABELS:,} distinct class "
                    f"labels (by line {lines[-1]}); expected at most {MAX_LABELS:,}"
                )
            self._index, self._codes = None, []
            return
        self._codes.append(codes)

    def result(self, max_auto_classes: int) -> tuple[np.ndarray, list[str] | None, str]:
        """(y, target_names or None, task)."""
        task = self.task
        values = np.concatenate(self._values) if self.numeric else None
        if task == "auto":
            if values is None:
                task = "classification"
            else:
                whole = self._first_non_finite is None and bool(np.all(values == np.round(values)))
                few = self._index is not None and len(np.unique(values)) <= max_auto_classes
                task = "classification" if whole and few else "regression"
        if task == "regression":
            if self._first_non_finite is not None:
                bad = values[~np.isfinite(values)][0]
                raise ValueError(
                    f"{self.label}, line {self._first_non_finite}, column {self.column!r}: {str(bad)!r} is "
                    f"not a finite number; expected a number (fill in or remove rows with missing values)"
                )
            return values.astype(np.float32), None, task
        if self._index is None:
            raise ValueError(
                f"{self.label}: column {self.column!r} holds more than {MAX_LABELS:,} distinct values, too "
                f"many for class labels; expected at most {MAX_LABELS:,} classes"
            )
        return (*self._labels(), task)

    def _labels(self) -> tuple[np.ndarray, list[str]]:
        """Codes → 0..K−1 in sorted order: by value when every label is a number, else by text."""
        texts = list(self._index)
        codes = np.concatenate(self._codes) if self._codes else np.empty(0, np.int32)
        try:
            numbers = np.array(texts, dtype=np.float64)
        except ValueError:
            order = sorted(range(len(texts)), key=texts.__getitem__)
            rank = np.empty(len(texts), dtype=np.intp)
            rank[order] = np.arange(len(texts))
            return rank[codes], [texts[i] for i in order]
        uniq, rank = np.unique(numbers, return_inverse=True)  # "1" and "1.0" are one class
        return rank.reshape(-1)[codes].astype(np.intp), [format_label(u) for u in uniq]
