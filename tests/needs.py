"""Optional parts a test needs (a package, a program): skipped on a developer's machine without them,
a failure in CI (``CI`` set by ``.ci/run``), where everything must be installed."""

from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def _missing(what: str) -> None:
    message = f"{what} is not installed (pip install -e '.[test]'; see .ci/run)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def need_module(name: str) -> ModuleType:
    """Import ``name`` or skip (fail in CI)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"the Python package {name!r}")
        raise  # unreachable: skip/fail raise


def need_program(name: str) -> str:
    """The path of the program ``name`` on PATH, or skip (fail in CI)."""
    path = shutil.which(name)
    if path is None:
        _missing(f"the program {name!r}")
    return path  # type: ignore[return-value]
