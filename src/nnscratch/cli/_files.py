"""Files the commands read and write; :func:`check_output` is the one guard every written path passes.

A command refuses, before any work, to write where it cannot or should not: a directory, a missing
folder, a folder or file it may not write, something that is not a regular file (a FIFO would block,
a device would swallow the data), one of its own inputs, or a file of another kind than the one it
writes — a model replaces only a model, a checkpoint only a checkpoint, a CSV prediction only a text
file, a figure only a PNG or SVG — so a slip such as ``--save data.csv`` or ``predict -o model.npz``
destroys nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import IO

# what a command writes; each kind replaces only an existing file of the same kind
MODEL = "model"
CHECKPOINT = "checkpoint"
CSV = "CSV"
FIGURE = "figure"

_EXAMPLE = {MODEL: "model.npz", CHECKPOINT: "checkpoint.npz", CSV: "predictions.csv", FIGURE: "figure.png"}
_DESCRIBED = {
    MODEL: "an nnscratch model",
    CHECKPOINT: "an nnscratch training checkpoint",
    "npz": "a NumPy archive that is not an nnscratch model",
    "binary": "a binary file",
    CSV: "a text file",
    "png": "a PNG image",
    "svg": "an SVG image",
}
_WANTED = {
    MODEL: "an nnscratch model",
    CHECKPOINT: "an nnscratch training checkpoint",
    CSV: "a CSV text file",
    FIGURE: "a PNG or SVG image",
}
_ACCEPTS = {MODEL: {MODEL}, CHECKPOINT: {CHECKPOINT}, CSV: {CSV}, FIGURE: {"png", "svg"}}
_HEAD = 8192  # bytes read to tell a text file from a binary one


def load_model(path: str):
    """The :class:`~nnscratch.Model` of a model file (a checkpoint's or a bare network's too)."""
    from nnscratch.model import Model

    return Model.load(path)


def _content(path: str) -> str:
    """What an existing regular file holds: one of the keys of ``_DESCRIBED``."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip archive, as every .npz is
        from nnscratch import io

        try:
            io.load_checkpoint(path)
            return CHECKPOINT
        except (ValueError, TypeError, OSError):
            pass
        try:
            io.load(path)
            return MODEL
        except (ValueError, TypeError, OSError):
            return "npz"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if b"\0" in head:
        return "binary"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the block
            return "binary"
        text = head[: exc.start].decode("utf-8")
    start = text.lstrip("\ufeff \t\r\n")[:200]
    if start.startswith("<svg") or (start.startswith("<?xml") and "<svg" in text):
        return "svg"
    return CSV


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_output(path: str, option: str, kind: str, inputs: tuple[str, ...] = (),
                 content: str | None = None) -> None:
    """Refuse (``ValueError`` naming ``option``) to write ``path`` unless it is a new file in a writable
    folder or an existing regular, writable file of the same ``kind`` that is none of ``inputs``.
    ``content``: what the file holds when the caller has read it already (it is not read again)."""
    example = _EXAMPLE[kind]
    if not path:
        raise ValueError(f"{option}: expected a file name such as {example}, got an empty string")
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path!r} is a directory; expected a file name such as {example}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(
            f"{option}: cannot write {path!r}: the directory {os.path.dirname(path)!r} does not exist"
        )
    # the file is written beside its target and renamed over it: the folder must take new files
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValueError(f"{option}: cannot write {path!r}: the directory {directory!r} is not writable")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ValueError(f"{option}: cannot write {path!r}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        what = _special(st.st_mode)
        raise ValueError(f"{option}: {path!r} is {what}; expected a regular file such as {example}")
    if not os.access(path, os.W_OK):
        raise ValueError(f"{option}: {path!r} is read-only; refusing to replace it")
    found = content or _content(path)
    if found not in _ACCEPTS[kind]:
        if kind == MODEL and found != CHECKPOINT:
            raise ValueError(
                f"{option}: {path!r} exists and is not an nnscratch model file; refusing to replace it "
                f"(choose another path or remove the file)"
            )
        raise ValueError(
            f"{option}: {path!r} exists and is {_DESCRIBED[found]}, not {_WANTED[kind]}; refusing to replace "
            f"it (choose another path or remove the file)"
        )
    for other in inputs:
        if other and other != "-" and os.path.exists(other) and os.path.samefile(path, other):
            raise ValueError(f"{option}: {path!r} is also an input; choose another file")


@contextlib.contextmanager
def atomic_text_file(path: str) -> Iterator[IO[str]]:
    """A text file to write in parts: a temporary file beside ``path``, renamed over ``path`` when the
    block ends without an error and removed when it does not (``path`` is never half a file)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
