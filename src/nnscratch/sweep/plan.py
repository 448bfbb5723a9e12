"""The trials of a sweep (ハイパーパラメータ探索): grid points × random draws × repeats, each a RunSpec.

- a **grid** ``{field: [v1, v2, …]}`` takes every combination (グリッドサーチ);
- a **random** search ``{field: LogUniform(1e-4, 0.1) | Uniform(a, b) | IntUniform(a, b) | [choices]}``
  draws ``samples`` points from one ``numpy.random.Generator`` seeded by ``seed`` (ランダムサーチ); with
  a grid as well, every draw is crossed with every grid point;
- **repeats** r = 0, 1, … of one point differ only in the training seed: ``seed = base.seed + r``.

A trial's spec fixes its result (the seed fixes the initial weights and the batch order, the split has
its own ``split_seed``), so a trial is named by a key, the first 16 hex digits of the SHA-256 of its
spec's canonical JSON: ``resume`` recognises finished trials by it, whatever their order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnscratch.spec import FIELDS, RunSpec

__all__ = ["LogUniform", "Uniform", "IntUniform", "Trial", "make_trials", "spec_key", "distribution",
           "MAX_TRIALS"]

MAX_TRIALS = 100_000  # a typo such as --repeats 1000000 is refused instead of planned


@dataclass(frozen=True)
class LogUniform:
    """log v uniform on [log low, log high]: each decade as likely (the scale of a learning rate)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self, positive=True)

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))


@dataclass(frozen=True)
class Uniform:
    """v uniform on [low, high]."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_range(self, positive=False)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class IntUniform:
    """An integer uniform on low, low + 1, …, high (both ends included)."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high)) or (
                self.low > self.high):
            raise ValueError(f"IntUniform: expected integers low ≤ high, got {self.low!r}, {self.high!r}")

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))


def _check_range(d: LogUniform | Uniform, positive: bool) -> None:
    name = type(d).__name__
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
             for v in (d.low, d.high)) and d.low < d.high and (d.low > 0 or not positive)
    if not ok:
        what = "0 < low < high" if positive else "finite low < high"
        raise ValueError(f"{name}: expected {what}, got {d.low!r}, {d.high!r}")


_KINDS = {"log_uniform": LogUniform, "uniform": Uniform, "int_uniform": IntUniform}


def distribution(name: str, value: object) -> LogUniform | Uniform | IntUniform | list:
    """A random-search entry from a file: ``{log_uniform = [1e-4, 0.1]}`` (or ``uniform``,
    ``int_uniform``), or a list of choices."""
    if isinstance(value, (LogUniform, Uniform, IntUniform)):
        return value
    if isinstance(value, (list, tuple)) and value:
        return list(value)
    if isinstance(value, Mapping) and len(value) == 1:
        (kind, bounds), = value.items()
        if kind in _KINDS and isinstance(bounds, (list, tuple)) and len(bounds) == 2:
            return _KINDS[kind](*bounds)
    raise ValueError(f"random.{name}: expected a list of choices or one of "
                     f"{{log_uniform|uniform|int_uniform = [low, high]}}, got {value!r}")


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its place (``index``; ``point`` of the grid/random points, ``repeat``), the
    swept ``values`` and the full ``spec``; ``key`` names it in the results."""

    index: int
    point: int
    repeat: int
    values: dict[str, Any]
    spec: RunSpec
    key: str


def spec_key(spec: RunSpec) -> str:
    """The first 16 hex digits of the SHA-256 of the spec's canonical JSON."""
    text = json.dumps(spec.to_dict(), sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_fields(what: str, table: Mapping[str, Any]) -> None:
    if not isinstance(table, Mapping):
        raise ValueError(f"{what}: expected a table {{field: values}}, got {type(table).__name__}")
    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise ValueError(f"{what}: unknown field(s) {', '.join(map(repr, unknown))}; expected RunSpec "
                         f"fields such as lr, batch_size, optimizer, hidden_sizes, hidden, init")


def _grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    _check_fields("grid", grid)
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"grid.{name}: expected a non-empty list of values, got {values!r}")
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]


def _random_points(random: Mapping[str, Any], samples: int, seed: int) -> list[dict[str, Any]]:
    _check_fields("random", random)
    table = {name: distribution(name, value) for name, value in random.items()}
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(samples):
        point = {}
        for name, d in table.items():  # one draw per field, in the table's order: the seed fixes all
            point[name] = d[int(rng.integers(len(d)))] if isinstance(d, list) else d.sample(rng)
        points.append(point)
    return points


def _positive(name: str, v: object) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    return int(v)


def make_trials(base: RunSpec, grid: Mapping[str, Sequence[Any]] | None = None,
                random: Mapping[str, Any] | None = None, *, samples: int = 10, repeats: int = 1,
                seed: int = 0) -> list[Trial]:
    """Every trial of the sweep, in order: point by point, each point's repeats together.

    Each point's spec is checked as it is made (``base.replace(**values)``), so an impossible value is
    refused, naming the field and the point, before anything runs.
    """
    if not isinstance(base, RunSpec):
        raise TypeError(f"base_spec: expected a RunSpec, got {type(base).__name__}")
    repeats = _positive("repeats", repeats)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer ≥ 0, got {seed!r}")
    grid_points = _grid_points(grid) if grid else [{}]
    if random:
        draws = _random_points(random, _positive("samples", samples), int(seed))
        points = [{**g, **r} for g in grid_points for r in draws]
    else:
        points = grid_points
    if len(points) * repeats > MAX_TRIALS:
        raise ValueError(f"repeats: {len(points)} points × {repeats} repeats is more than {MAX_TRIALS:,} "
                         f"trials; sweep fewer values")
    trials: list[Trial] = []
    for p, values in enumerate(points):
        try:
            spec = base.replace(**values)
        except ValueError as exc:
            raise ValueError(f"{exc} (in the point {values})") from None
        for r in range(repeats):
            run = spec.replace(seed=spec.seed + r)
            trials.append(Trial(len(trials), p, r, dict(values), run, spec_key(run)))
    return trials
