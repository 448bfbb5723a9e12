"""Bounded CSV text (private): lines of at most :data:`MAX_LINE` characters, records with their line.

Every text read of someone else's data goes through :class:`Lines`, so ``/dev/zero``, a file without
line breaks or a 50 MB line is refused after at most :data:`MAX_LINE` characters with one
``ValueError`` naming the file and the line — never read whole into memory. CSV records come from
:func:`records`, which reports every problem at the line where the record *starts* (an unclosed quote
is blamed on the line that opened it, not on the last line of the file). A UTF-8 byte-order mark is
dropped from the first line of files and streams alike.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterator
from typing import IO

import numpy as np

__all__ = [
    "Lines", "records", "open_lines", "binary", "label_of", "check_header", "parse_number", "is_number",
    "format_label", "MAX_LINE", "MAX_FIELD",
]

MAX_LINE = 8 << 20  # characters: 100,000 numeric columns take ~2 MB
MAX_FIELD = 131_072  # the csv module's default field_size_limit, which nnscratch leaves as it is
_BOM = "\ufeff"

Source = str | os.PathLike | IO[str] | IO[bytes]


def label_of(source: object) -> str:
    """How errors name ``source``: its path, ``<stdin>`` for ``"-"``, a stream's ``name``."""
    if isinstance(source, (str, os.PathLike)):
        return "<stdin>" if str(source) == "-" else os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<input>"


class Lines:
    """The lines of a text or binary stream, each at most :data:`MAX_LINE` characters.

    ``number`` is the number of the last line handed out (1-based). Binary streams are decoded as
    UTF-8 line by line, so an undecodable byte is reported on its own line.
    """

    def __init__(self, stream: IO[str] | IO[bytes], label: str) -> None:
        self._readline = stream.readline
        self.label = label
        self.number = 0

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        data = self._readline(MAX_LINE + 1)
        if not data:
            raise StopIteration
        self.number += 1
        if len(data) > MAX_LINE:
            raise ValueError(
                f"{self.label}, line {self.number}: longer than {MAX_LINE:,} characters; expected a CSV "
                f"text file with one row per line"
            )
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{self.label}, line {self.number}: not a UTF-8 text CSV file (undecodable byte at "
                    f"position {exc.start} of the line)"
                ) from None
        if self.number == 1 and data.startswith(_BOM):
            data = data[1:]
        return data


def open_lines(source: Source) -> tuple[Lines, IO | None]:
    """(bounded lines of ``source``, the file to close or None). ``"-"`` is standard input."""
    label = label_of(source)
    if isinstance(source, (str, os.PathLike)):
        if str(source) == "-":
            return Lines(binary(sys.stdin), label), None
        f = open(source, "rb")  # noqa: SIM115 - closed by the caller
        return Lines(f, label), f
    return Lines(binary(source), label), None


def binary(stream: IO) -> IO:
    """The byte stream under a text stream (standard input), so lines are decoded one by one."""
    buffer = getattr(stream, "buffer", None)
    return buffer if isinstance(stream, io.TextIOWrapper) and buffer is not None else stream


def _csv_problem(lines: Lines, start: int, exc: csv.Error) -> ValueError:
    text = str(exc)
    where = f"{lines.label}, line {start}"
    runs_on = lines.number > start
    if "field larger than field limit" in text:
        hint = f" (the record runs on to line {lines.number}: is a quote left open?)" if runs_on else ""
        return ValueError(f"{where}: a field longer than {csv.field_size_limit():,} characters{hint}")
    if "unexpected end of data" in text:
        return ValueError(f"{where}: a quoted field opened here is never closed (a '\"' is missing)")
    return ValueError(f"{where}: not a readable CSV row ({text})")


def records(lines: Lines) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) for each CSV record, blank lines skipped.

    The csv module runs in strict mode, so an unclosed quote is an error rather than a record that
    silently swallows the rest of the file.
    """
    reader = csv.reader(lines, strict=True)
    while True:
        start = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_problem(lines, start, exc) from None
        if row and not (len(row) == 1 and not row[0].strip()):
            yield start, row


def check_header(label: str, header: list[str]) -> list[str]:
    """The stripped column names of a header row: non-empty, not all numbers, unique."""
    names = [h.strip() for h in header]
    for j, name in enumerate(names, start=1):
        if not name:
            raise ValueError(
                f"{label}, line 1, column {j}: empty column name; expected a header row of names"
            )
    if all(is_number(n) for n in names):
        raise ValueError(
            f"{label}, line 1: expected a header row of column names, got numbers "
            f"({', '.join(names[:3])}{', …' if len(names) > 3 else ''}); add a header row"
        )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(
                f"{label}, line 1: column name {name[:80]!r} appears twice; names must be unique"
            )
        seen.add(name)
    return names


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
        raise ValueError(f"{where}: {text[:80]!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(
            f"{where}: {text!r} is not a finite number; expected a number (fill in or remove rows "
            f"with missing values)"
        )
    return value


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def format_label(value: float) -> str:
    """A numeric class label as text: ``3`` for 3.0, else the float's repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
