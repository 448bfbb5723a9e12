"""Checks shared by the update rules and the gradient hooks: one clear error per bad setting."""

from __future__ import annotations

import math

import numpy as np


def _check_rate(name: str, value: object, low: float = 0.0, high: float | None = None) -> float:
    """A finite number in (low, high) — or (low, ∞) — for ``lr`` and the decay constants."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= low or (high is not None and v >= high):
        where = f"between {low:g} and {high:g} (exclusive)" if high is not None else f"greater than {low:g}"
        raise ValueError(f"{name}: expected a finite number {where}, got {value!r}")
    return v


def _check_current_lr(value: object) -> float:
    """A learning rate set during training: finite and ≥ 0 (a schedule may end at 0, e.g. CosineDecay)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not (
        math.isfinite(value) and value >= 0
    ):
        raise ValueError(f"lr: expected a finite non-negative learning rate, got {value!r}")
    return float(value)
