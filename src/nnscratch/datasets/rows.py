"""CSV rows one at a time for online learning (``nnscratch stream``): :class:`RowReader`.

Reads through the bounded lines of :mod:`nnscratch.datasets._text`: a line over ``MAX_LINE``
characters, a field over 131,072 characters or an unclosed quote is one ``ValueError`` naming the
line where the record starts, and a UTF-8 byte-order mark on the first line is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO

import numpy as np

from nnscratch.datasets._text import Lines, binary, check_header, is_number, parse_number, records

__all__ = ["RowReader"]


def _preview(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:3])}, …, {', '.join(names[-2:])}"


class RowReader:
    """Reads CSV rows one at a time from a stream (e.g. standard input) for online learning.

    The header is read at construction. Iterating yields ``(line, x, d)``: the feature row as a
    float64 array in ``feature_names`` order and the target — a class index when ``target_names`` is
    given (an unknown class is an error), else a float. ``line`` is where the row starts.
    """

    def __init__(
        self,
        stream: IO[str] | IO[bytes],
        feature_names: Sequence[str],
        target: str,
        target_names: Sequence[str] | None = None,
        label: str = "<stdin>",
    ) -> None:
        self.label = label
        self._records = records(Lines(binary(stream), label))
        first = next(self._records, None)
        if first is None:
            raise ValueError(f"{label}: empty input; expected a header row of column names and data rows")
        header = check_header(label, first[1])
        self.header = header
        if target not in header:
            raise ValueError(f"{label}: no column {target!r}; the columns are: {', '.join(header)}")
        self.target_index = header.index(target)
        missing = [n for n in feature_names if n not in header]
        if missing:
            raise ValueError(
                f"{label}: the model's feature column(s) {_preview(missing)} are missing; "
                f"the columns are: {', '.join(header)}"
            )
        self.columns = [header.index(n) for n in feature_names]
        self.classes = {n: i for i, n in enumerate(target_names)} if target_names is not None else None
        if self.classes is not None and all(is_number(n) for n in self.classes):
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
        if self._numeric_classes is not None and is_number(text) and float(text) in self._numeric_classes:
            return self._numeric_classes[float(text)]
        raise ValueError(
            f"{self.label}, line {line}, column {column!r}: unknown class {text[:80]!r}; the model knows "
            f"{_preview(list(self.classes))}"
        )

    def __iter__(self) -> Iterator[tuple[int, np.ndarray, int | float]]:
        n = len(self.header)
        for line, row in self._records:
            if len(row) != n:
                raise ValueError(
                    f"{self.label}, line {line}: expected {n} fields as in the header, got {len(row)}"
                )
            x = np.array([parse_number(self.label, line, self.header[j], row[j]) for j in self.columns])
            yield line, x, self._target(line, row[self.target_index])
