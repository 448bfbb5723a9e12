"""The zip layer of the bounded ``.npz`` reader (standard library only).

Opens only regular files, without ever blocking; reads and checks a zip archive's central directory
(中央ディレクトリ) before any member data — the rules are listed in :mod:`nnscratch.files.npz` — and streams
one member's bytes: never more than its declared size, decompressed in bounded steps, CRC-32 checked
at the end.
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["ArchiveError", "Member", "MemberStream", "open_regular", "directory", "read_at", "CORRUPT",
           "MAX_MEMBERS", "EXPANSION_RATIO", "EXPANSION_ALLOWANCE"]

MAX_MEMBERS = 4096  # a checkpoint of a 100-layer network with Adam holds ~1,000 arrays
MAX_DIRECTORY = 16 << 20  # bytes of central directory
# deflated members may expand to at most this many times the file's size, beyond a fixed allowance:
# real data rarely compresses better than 20:1, zip bombs do 1000:1
EXPANSION_RATIO = 100
EXPANSION_ALLOWANCE = 256 << 20
_DEFLATE_MAX_RATIO = 1032  # no deflate stream expands more than this (RFC 1951 block limits)
_CHUNK = 1 << 20

CORRUPT = "write the file again (it is damaged or was not written by NumPy)"
_ONE_FILE = "save the arrays as one archive with np.savez"
_SPANNED = "it is a multi-part (spanned) zip archive, which nnscratch does not read"


class ArchiveError(ValueError):
    """A refused archive: ``problem`` (what was seen) and ``fix`` (what to do), one line each."""

    def __init__(self, problem: str, fix: str = CORRUPT) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


# ================================================================ opening without hanging


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading only if it is a regular file; never blocks.

    ``FileNotFoundError``/``PermissionError`` pass through; anything else than a regular file is an
    :class:`ArchiveError`. The file is checked by ``stat`` before opening and by ``fstat`` after an
    ``O_NONBLOCK`` open, so a path swapped to a FIFO in between is refused instead of hanging.
    """
    refuse = "pass the path of a saved file"
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ArchiveError(f"it is {_kind_of(st.st_mode)}, not a regular file", refuse)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ArchiveError(f"it is {_kind_of(st.st_mode)}, not a regular file", refuse)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# ================================================================ the zip directory

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, 22 bytes
_LOC64 = struct.Struct("<4sLQL")  # zip64 end of central directory locator, 20 bytes
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record, 56 bytes
_CDH = struct.Struct("<4s6H3L5H2L")  # central directory file header, 46 bytes
_LFH = struct.Struct("<4s5H3L2H")  # local file header, 30 bytes
_U32 = 0xFFFFFFFF


@dataclass
class Member:
    name: str
    raw_name: bytes
    method: int
    crc: int
    csize: int
    usize: int
    offset: int
    data_start: int = 0


def read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise ArchiveError("the zip structure points past the end of the file")
    return data


def _end_record(f: BinaryIO, size: int) -> tuple[int, int, int, int]:
    """(member count, directory size, directory offset, where the directory must end)."""
    if size < _EOCD.size:
        raise ArchiveError(f"{size} bytes, too short for a zip archive")
    tail_len = min(size, _EOCD.size + 0xFFFF)
    tail = read_at(f, size - tail_len, tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0:  # the record whose comment runs exactly to the end of the file
        if pos + _EOCD.size <= tail_len and pos + _EOCD.size + _EOCD.unpack_from(tail, pos)[7] == tail_len:
            break
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos < 0:
        raise ArchiveError("no zip end-of-directory record")
    _, disk, cd_disk, n_disk, n, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, pos)
    eocd = size - tail_len + pos
    end = eocd
    if 0xFFFF in (n, n_disk) or _U32 in (cd_size, cd_offset):
        if eocd < _LOC64.size + _EOCD64.size:
            raise ArchiveError("its zip64 directory record is missing")
        sig, _, rec, _ = _LOC64.unpack(read_at(f, eocd - _LOC64.size, _LOC64.size))
        if sig != b"PK\x06\x07" or rec + _EOCD64.size > eocd - _LOC64.size:
            raise ArchiveError("its zip64 directory locator is damaged")
        fields = _EOCD64.unpack(read_at(f, rec, _EOCD64.size))
        if fields[0] != b"PK\x06\x06":
            raise ArchiveError("its zip64 directory record is damaged")
        disk, cd_disk, n_disk, n, cd_size, cd_offset = fields[4:10]
        end = rec
    if disk != 0 or cd_disk != 0 or n_disk != n:
        raise ArchiveError(_SPANNED, _ONE_FILE)
    if n > MAX_MEMBERS:
        raise ArchiveError(f"it declares {n:,} members, more than the {MAX_MEMBERS:,} nnscratch reads",
                           _ONE_FILE)
    if cd_size > MAX_DIRECTORY or cd_offset + cd_size != end:
        raise ArchiveError(
            f"its zip directory ({cd_size:,} bytes at offset {cd_offset:,}) does not end where its end "
            f"record starts ({end:,}); data before or inside the archive is not allowed"
        )
    return n, cd_size, cd_offset, end


def _zip64_sizes(extra: bytes, csize: int, usize: int, offset: int) -> tuple[int, int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4: pos + 4 + length]
        if len(body) != length:
            raise ArchiveError("a member's extra field in the zip directory is truncated")
        if tag == 1:
            values = [usize, csize, offset]
            need = [v == _U32 for v in values]
            if 8 * sum(need) > length:
                raise ArchiveError("a member's zip64 sizes are truncated")
            got = iter(struct.unpack_from(f"<{sum(need)}Q", body))
            usize, csize, offset = (next(got) if n else v for v, n in zip(values, need, strict=True))
        pos += 4 + length
    return csize, usize, offset


def _member_name(raw: bytes, flags: int) -> str:
    try:
        name = raw.decode("utf-8" if flags & 0x800 else "ascii")
    except UnicodeDecodeError:
        raise ArchiveError(f"a member name {raw[:40]!r} is not text") from None
    if not name.endswith(".npy") or len(name) > 1024 or any(ord(c) < 32 or c == "\x7f" for c in name):
        raise ArchiveError(f"it holds a member {name[:80]!r} that is not a .npy array",
                           "pass a file written by np.savez")
    return name


def directory(f: BinaryIO, size: int) -> list[Member]:
    """The members of the archive, each checked against the directory's rules (module docstring)."""
    n, cd_size, cd_offset, _ = _end_record(f, size)
    cd = read_at(f, cd_offset, cd_size)
    members: list[Member] = []
    pos = 0
    for _ in range(n):
        if pos + _CDH.size > len(cd) or cd[pos: pos + 4] != b"PK\x01\x02":
            raise ArchiveError("its zip directory is damaged (a member header is missing)")
        (_, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, disk, _, _,
         offset) = _CDH.unpack_from(cd, pos)
        start = pos + _CDH.size
        pos = start + nlen + xlen + clen
        if pos > len(cd):
            raise ArchiveError("its zip directory is damaged (a member header runs past its end)")
        raw = cd[start: start + nlen]
        name = _member_name(raw, flags)
        if flags & 0x41:
            raise ArchiveError(f"member {name!r} is encrypted, which nnscratch does not read",
                               "save the arrays again without encryption")
        if method not in (0, 8):
            raise ArchiveError(f"member {name!r} uses compression method {method}; nnscratch reads "
                               f"stored (0) or deflate (8) only",
                               "save it with np.savez or np.savez_compressed")
        csize, usize, offset = _zip64_sizes(cd[start + nlen: start + nlen + xlen], csize, usize, offset)
        if disk not in (0, 0xFFFF):
            raise ArchiveError(_SPANNED, _ONE_FILE)
        members.append(Member(name, raw, method, crc, csize, usize, offset))
    if pos != cd_size:
        raise ArchiveError("its zip directory has bytes after the last member")
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ArchiveError(f"member {next(x for x in names if names.count(x) > 1)!r} appears twice")
    _check_layout(f, members, cd_offset, size)
    return members


def _check_layout(f: BinaryIO, members: list[Member], cd_offset: int, size: int) -> None:
    """Local headers agree with the directory; data lies before the directory without overlaps;
    declared sizes are possible and within the expansion budget."""
    end_of_previous = 0
    expanded = 0
    for m in sorted(members, key=lambda m: m.offset):
        if m.offset < end_of_previous or m.offset + _LFH.size > cd_offset:
            raise ArchiveError(f"member {m.name!r} overlaps another member or the zip directory")
        sig, _, flags, method, _, _, _, _, _, nlen, xlen = _LFH.unpack(read_at(f, m.offset, _LFH.size))
        if sig != b"PK\x03\x04":
            raise ArchiveError(f"member {m.name!r} has no local header where the directory points")
        if read_at(f, m.offset + _LFH.size, nlen) != m.raw_name or method != m.method or flags & 0x41:
            raise ArchiveError(f"member {m.name!r}'s local header disagrees with the zip directory")
        m.data_start = m.offset + _LFH.size + nlen + xlen
        end_of_previous = m.data_start + m.csize
        if end_of_previous > cd_offset:
            raise ArchiveError(
                f"member {m.name!r} declares {m.csize:,} bytes, which run past the archive's data"
            )
        if m.method == 0 and m.csize != m.usize:
            raise ArchiveError(f"stored member {m.name!r} declares {m.usize:,} bytes but holds {m.csize:,}")
        if m.method == 8:
            if m.usize > _DEFLATE_MAX_RATIO * m.csize + 1024:
                raise ArchiveError(f"member {m.name!r} declares {m.usize:,} bytes from {m.csize:,} "
                                   f"compressed bytes, more than deflate can expand")
            expanded += m.usize
    budget = max(EXPANSION_ALLOWANCE, EXPANSION_RATIO * size)
    if expanded > budget:
        raise ArchiveError(
            f"its compressed arrays would expand to {expanded:,} bytes, more than {EXPANSION_RATIO}× the "
            f"file's {size:,} bytes (a zip bomb?)",
            "if the arrays are genuine, save them uncompressed with np.savez",
        )


# ================================================================ one member's bytes, bounded


class MemberStream:
    """The decompressed bytes of one member: never more than its declared size, CRC-checked."""

    def __init__(self, f: BinaryIO, m: Member) -> None:
        self._f, self._m = f, m
        self._pos = m.data_start  # next compressed byte in the file
        self._left_in = m.csize
        self._left_out = m.usize
        self._crc = 0
        self._z = zlib.decompressobj(-15) if m.method == 8 else None
        self._tail = b""

    def _input(self) -> bytes:
        if self._tail:
            return self._tail
        if self._left_in == 0:
            raise ArchiveError(f"member {self._m.name!r} is truncated (its compressed data ends early)")
        data = read_at(self._f, self._pos, min(self._left_in, _CHUNK))
        self._pos += len(data)
        self._left_in -= len(data)
        return data

    def _some(self, n: int) -> bytes:
        """Up to ``n`` (> 0) bytes, at least one; ``n`` never exceeds what is left."""
        if self._z is None:
            data = read_at(self._f, self._pos, min(n, _CHUNK))
            self._pos += len(data)
            self._left_in -= len(data)
        else:
            data = b""
            while not data:
                if self._z.eof:
                    raise ArchiveError(
                        f"member {self._m.name!r} holds fewer bytes than its directory declares"
                    )
                try:
                    data = self._z.decompress(self._input(), min(n, _CHUNK))
                except zlib.error as exc:
                    raise ArchiveError(
                        f"member {self._m.name!r} has corrupt compressed data ({exc})"
                    ) from None
                self._tail = self._z.unconsumed_tail
        self._left_out -= len(data)
        self._crc = zlib.crc32(data, self._crc)
        return data

    def read(self, n: int) -> bytes:
        """Exactly ``min(n, bytes left)`` bytes."""
        n = min(n, self._left_out)
        parts, got = [], 0
        while got < n:
            part = self._some(n - got)
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def readinto(self, view: memoryview) -> None:
        """Fill ``view`` (bytes) completely; its length was checked against the declared size."""
        done = 0
        while done < len(view):
            part = self._some(len(view) - done)
            view[done: done + len(part)] = part
            done += len(part)

    def finish(self) -> None:
        """Everything declared was read, the stream ends there and the CRC-32 matches."""
        if self._left_out:
            raise ArchiveError(f"member {self._m.name!r} was not read to its end")
        while self._z is not None and not self._z.eof:
            try:
                extra = self._z.decompress(self._input(), 1)
            except zlib.error as exc:
                raise ArchiveError(f"member {self._m.name!r} has corrupt compressed data ({exc})") from None
            self._tail = self._z.unconsumed_tail
            if extra:
                raise ArchiveError(f"member {self._m.name!r} holds more bytes than its directory declares")
        if self._crc != self._m.crc:
            raise ArchiveError(f"member {self._m.name!r} is corrupt (its CRC-32 does not match)")
