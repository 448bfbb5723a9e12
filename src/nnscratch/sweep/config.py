"""A sweep file: a run specification (TOML or JSON) with a ``[sweep]`` table.

.. code-block:: toml

    [data]
    data = "digits"
    [training]
    epochs = 30

    [sweep]
    repeats = 2
    samples = 8           # random draws (with a [sweep.random] table)
    seed = 0              # seed of the random draws
    [sweep.grid]
    optimizer = ["sgd", "adam"]
    hidden_sizes = [[32], [64, 32]]
    [sweep.random]
    lr = {log_uniform = [1e-4, 0.1]}
    batch_size = [16, 32, 64]

The sections other than ``[sweep]`` are a :class:`~nnscratch.RunSpec` (the base every trial starts
from); a file without ``[sweep]`` is just the base.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nnscratch.spec import RunSpec
from nnscratch.sweep.plan import distribution

__all__ = ["SweepConfig", "load_sweep_file", "sweep_config"]

_KEYS = ("grid", "random", "samples", "repeats", "seed")


@dataclass
class SweepConfig:
    """What a sweep file says: the base spec and the keyword arguments of :func:`nnscratch.sweep`."""

    base: RunSpec
    grid: dict[str, list[Any]] = field(default_factory=dict)
    random: dict[str, Any] = field(default_factory=dict)
    samples: int = 10
    repeats: int = 1
    seed: int = 0


def sweep_config(data: Mapping[str, Any]) -> SweepConfig:
    """A :class:`SweepConfig` from the parsed file (a table of sections and ``sweep``)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"config: expected a table of sections, got {type(data).__name__}")
    rest = dict(data)
    table = rest.pop("sweep", {})
    if not isinstance(table, Mapping):
        raise ValueError(f"sweep: expected a table ({', '.join(_KEYS)}), got {table!r:.60}")
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ValueError(f"sweep: unknown key(s) {', '.join(map(repr, unknown))}; expected some of "
                         f"{', '.join(_KEYS)}")
    grid = table.get("grid", {})
    random = table.get("random", {})
    for name, t in (("sweep.grid", grid), ("sweep.random", random)):
        if not isinstance(t, Mapping):
            raise ValueError(f"{name}: expected a table {{field = values}}, got {t!r:.60}")
    grid = {k: [tuple(x) if isinstance(x, list) else x for x in v] if isinstance(v, list) else v
            for k, v in grid.items()}
    random = {k: distribution(k, v) for k, v in random.items()}
    out = SweepConfig(RunSpec.from_dict(rest), dict(grid), random)
    for key in ("samples", "repeats", "seed"):
        if key in table:
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < (0 if key == "seed" else 1):
                expected = "an integer ≥ 0" if key == "seed" else "a positive integer"
                raise ValueError(f"sweep.{key}: expected {expected}, got {v!r}")
            setattr(out, key, v)
    return out


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ImportError("--config: reading TOML on Python 3.10 needs 'pip install tomli'") from None
    return tomllib


def load_sweep_file(path: str | os.PathLike) -> SweepConfig:
    """Read a ``.toml`` or ``.json`` sweep file (at most 1 MB)."""
    text_path = os.fspath(path)
    if not os.path.isfile(text_path):
        raise ValueError(f"--config: {text_path!r} is not a file; expected a .toml or .json sweep file")
    with open(text_path, "rb") as f:
        raw = f.read(1_000_001)
    if len(raw) > 1_000_000:
        raise ValueError(f"--config: {text_path!r} is larger than 1 MB; a sweep file is a few lines")
    try:
        text = raw.decode("utf-8-sig")
        if text_path.lower().endswith(".json"):
            data = json.loads(text)
        else:
            data = _toml().loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSON/TOML errors are ValueErrors
        kind = "JSON" if text_path.lower().endswith(".json") else "TOML"
        reason = " ".join(str(exc).split())
        raise ValueError(f"--config: {text_path}: not a valid {kind} file ({reason})") from None
    try:
        return sweep_config(data)
    except ValueError as exc:
        raise ValueError(f"--config: {text_path}: {exc}") from None
