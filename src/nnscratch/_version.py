"""The version of nnscratch: one source of truth, ``version`` in ``pyproject.toml``'s ``[project]`` table.

Run from a checkout (``src/`` on the path, or an editable install), the checkout's ``pyproject.toml`` is
read: it is the code that runs, even if another copy of nnscratch is installed. Installed from a wheel,
the version is the installed distribution's (``importlib.metadata``, written from the same field at build
time). Both are read on first use only: ``import nnscratch`` stays cheap.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["version"]

_UNKNOWN = "0+unknown"


def _from_checkout() -> str | None:
    """``version = "…"`` of the ``[project]`` table of the ``pyproject.toml`` two folders above the package
    (``src/nnscratch`` → the checkout), if it is nnscratch's own."""
    path = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if table is None or not re.search(r'^name\s*=\s*"nnscratch"\s*$', table.group(1), re.M):
        return None
    found = re.search(r'^version\s*=\s*"([^"]+)"\s*$', table.group(1), re.M)
    return found.group(1) if found else None


def version() -> str:
    """``"0.2.0"``: the checkout's ``pyproject.toml``, else the installed distribution's metadata.

    >>> import nnscratch
    >>> nnscratch.__version__ == version()
    True
    """
    found = _from_checkout()
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("nnscratch")
    except PackageNotFoundError:  # neither a checkout nor installed: files copied by hand
        return _UNKNOWN
