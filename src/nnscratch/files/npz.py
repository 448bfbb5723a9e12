"""Bounded, validating reader of ``.npz`` archives from someone else (standard library + NumPy).

A file from someone else is hostile until checked. This reader never runs code (no pickle), never
lets a file direct a path or a download, and never allocates more than the file's own checked
description allows:

1. the path must be a regular file (``stat`` before ``open``; ``O_NONBLOCK`` open and ``fstat`` after,
   so a FIFO swapped in between cannot hang the reader);
2. the zip *central directory* (中央ディレクトリ) is read first and checked on its own: one disk, at most
   :data:`MAX_MEMBERS` members, unique printable ``*.npy`` names, method stored (0) or deflate (8) only,
   no encryption, each member's data inside the file and before the directory, no two members
   overlapping, a stored member's size equal to its compressed size, a deflated one within deflate's
   physical limit (1032:1) and all deflated members together within an expansion budget;
3. each member's ``.npy`` header (at most :data:`MAX_NPY_HEADER` bytes) is parsed as a literal and
   checked: a plain numeric dtype (little-endian or native; text only where the caller allows it),
   a shape of non-negative integers, and ``header + shape product × itemsize`` equal to the size the
   directory declares;
4. only then is data read: into an array of exactly the declared size, decompressing at most that
   many bytes, and the CRC-32 compared at the end.

Every refusal is an :class:`ArchiveError` (a ``ValueError``) with a one-line ``problem`` and ``fix``;
callers add the file's name.
"""

from __future__ import annotations

import ast
import io
import os
import re
import sys
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from nnscratch.files.zipread import ArchiveError, Member, MemberStream, directory, open_regular, read_at

__all__ = ["ArchiveError", "Archive", "ArrayHeader", "open_regular", "json_depth", "MAX_NPY_HEADER",
           "MAX_TEXT_ITEMSIZE"]

MAX_NPY_HEADER = 10_000  # NumPy's own default ``max_header_size``
MAX_TEXT_ITEMSIZE = 4096  # characters of one string in a text array (feature or class names)

# ================================================================ .npy headers

_MAGIC = b"\x93NUMPY"
_DESCR = re.compile(r"([<>|=])([biufUS])(\d{1,5})")
_NATIVE = "<" if sys.byteorder == "little" else ">"
_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}
_PLAIN = "store plain numeric arrays (e.g. x.astype(np.float32))"
_PICKLE = ("holds pickled Python objects, which nnscratch never writes and will not load "
           "(unpickling can run code)")


@dataclass(frozen=True)
class ArrayHeader:
    """What a member's ``.npy`` header declares, checked against the member's size."""

    key: str
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int  # bytes of magic, version and header before the data

    @property
    def nbytes(self) -> int:
        count = 1
        for s in self.shape:
            count *= s
        return count * self.dtype.itemsize


def _dtype(key: str, descr: object, text: bool) -> np.dtype:
    if isinstance(descr, str) and "O" in descr:
        raise ArchiveError(f"array {key!r} {_PICKLE}", "only load files you or nnscratch wrote; re-save them")
    match = _DESCR.fullmatch(descr) if isinstance(descr, str) else None
    if match is None:
        raise ArchiveError(f"array {key!r} has dtype {str(descr)[:60]!r}; expected plain numbers"
                           + (" or text" if text else ""), _PLAIN)
    order, kind, size = match.group(1), match.group(2), int(match.group(3))
    if kind in "US":  # unicode has 4-byte characters (byte order matters), bytes have none
        ok = text and 1 <= size <= MAX_TEXT_ITEMSIZE and order in (("=", _NATIVE) if kind == "U" else "|")
    else:
        ok = size in _SIZES[kind] and (order in ("=", _NATIVE) if size > 1 else order in "|=<>")
    if not ok:
        raise ArchiveError(f"array {key!r} has dtype {descr!r}; expected plain little-endian numbers"
                           + (" or short text" if text else ""), _PLAIN)
    return np.dtype(descr)


def _parse_header(key: str, text: str, usize: int, offset: int, allow_text: bool) -> ArrayHeader:
    try:
        d = ast.literal_eval(text)  # literals only: never runs code; the text is bounded
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        d = None
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        raise ArchiveError(f"array {key!r} has a malformed .npy header {text[:60]!r}")
    shape, fortran = d["shape"], d["fortran_order"]
    if not isinstance(fortran, bool) or not isinstance(shape, tuple) or len(shape) > 32 or not all(
        type(s) is int and s >= 0 for s in shape
    ):
        raise ArchiveError(f"array {key!r} has a malformed .npy header (shape {repr(shape)[:60]}, "
                           f"fortran_order {fortran!r})")
    header = ArrayHeader(key, _dtype(key, d["descr"], allow_text), shape, fortran, offset)
    if offset + header.nbytes != usize:
        raise ArchiveError(
            f"array {key!r} declares shape {shape} of {header.dtype} ({header.nbytes:,} bytes) but its "
            f"member holds {usize - offset:,} data bytes"
        )
    return header


def _read_header(stream: MemberStream, m: Member, allow_text: bool) -> ArrayHeader:
    key = m.name[:-4]
    start = stream.read(8)
    if len(start) < 8 or start[:6] != _MAGIC:
        raise ArchiveError(f"member {m.name!r} is not a .npy array (it does not start with the .npy magic)")
    major = start[6]
    if major not in (1, 2, 3):
        raise ArchiveError(f"array {key!r} has .npy format version {major}.{start[7]}, which nnscratch "
                           f"does not know", "save it with a NumPy that writes versions 1 to 3")
    width = 2 if major == 1 else 4
    raw_len = stream.read(width)
    if len(raw_len) < width:
        raise ArchiveError(f"array {key!r} has a truncated .npy header")
    length = int.from_bytes(raw_len, "little")
    if length > MAX_NPY_HEADER:
        raise ArchiveError(
            f"array {key!r} has a .npy header of {length:,} bytes, more than {MAX_NPY_HEADER:,}"
        )
    raw = stream.read(length)
    if len(raw) < length:
        raise ArchiveError(f"array {key!r} has a truncated .npy header")
    try:
        text = raw.decode("utf-8" if major == 3 else "latin-1")
    except UnicodeDecodeError:
        raise ArchiveError(f"array {key!r} has a .npy header that is not text") from None
    return _parse_header(key, text, m.usize, 8 + width + length, allow_text)


# ================================================================ the archive


class Archive:
    """An ``.npz`` archive whose directory and ``.npy`` headers have all been checked.

    ``headers`` maps each array name (the member name without ``.npy``) to its :class:`ArrayHeader`;
    :meth:`read` reads one array's data. ``source`` is a path (a regular file) or the bytes of a file.
    ``allow_text`` admits short unicode/bytes arrays (names in data files); model files hold numbers.
    """

    def __init__(self, source: str | os.PathLike | bytes, allow_text: bool = False) -> None:
        if isinstance(source, bytes):
            self._f: BinaryIO = io.BytesIO(source)
            size = len(source)
        else:
            self._f = open_regular(source)
        try:
            if not isinstance(source, bytes):
                size = os.fstat(self._f.fileno()).st_size
            start = read_at(self._f, 0, min(size, 8))
            if start[:6] == _MAGIC:
                raise ArchiveError("it holds a single .npy array, not an .npz archive of named arrays",
                                   "save named arrays with np.savez")
            if start[:1] == b"\x80":
                raise ArchiveError("it is not an .npz archive (it would need pickle to read, which nnscratch "
                                   "never uses because unpickling can run code)",
                                   "only load files you or nnscratch wrote")
            if size and start[:2] != b"PK":
                raise ArchiveError("it is not an .npz (zip) archive", "pass a file written by np.savez")
            self._members = {m.name[:-4]: m for m in directory(self._f, size)}
            self.headers: dict[str, ArrayHeader] = {}
            for key, m in self._members.items():
                self.headers[key] = _read_header(MemberStream(self._f, m), m, allow_text)
        except BaseException:
            self._f.close()
            raise

    def read(self, key: str) -> np.ndarray:
        """The array ``key``: exactly its declared bytes, CRC-checked; Fortran order kept."""
        h = self.headers[key]
        stream = MemberStream(self._f, self._members[key])
        stream.read(h.offset)
        count = h.nbytes // h.dtype.itemsize
        flat = np.empty(count, dtype=h.dtype)
        if count:
            stream.readinto(memoryview(flat.view(np.uint8)))
        stream.finish()
        if h.fortran_order and len(h.shape) > 1:
            return flat.reshape(h.shape[::-1]).T
        return flat.reshape(h.shape)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ================================================================ JSON nesting

# a JSON string (possibly unterminated: the closing quote is optional, so this never backtracks)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)


def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text, outside strings (linear time, no recursion).

    Checked before ``json.loads``, whose parser recurses once per level.
    """
    bare = np.frombuffer(_JSON_STRING.sub(b"", data), dtype=np.uint8)
    if bare.size == 0:
        return 0
    step = (np.isin(bare, (0x5B, 0x7B)).astype(np.int32) - np.isin(bare, (0x5D, 0x7D)).astype(np.int32))
    return int(np.cumsum(step, dtype=np.int32).max(initial=0))
