"""The fields of a run (学習の設定の項目): one table, :data:`FIELDS` — name → section, default and the
check that returns the clean value or raises the project's one-line error — that :class:`nnscratch.RunSpec`
validates every field from, and the command line and the playground take their choices from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnscratch import callbacks as _callbacks
from nnscratch import layerstring, optim
from nnscratch.layers import ACTIVATIONS, DEFAULT_LOSS, OUTPUTS

__all__ = ["FIELDS", "Field", "DEFAULT_LR", "SECTIONS", "SCHEDULES", "TRAINABLE", "LOSSES"]

SECTIONS = ("data", "split", "preprocessing", "architecture", "optimizer", "training")

# one learning-rate default per optimizer: the optimizer classes' own (Adam 0.001, the others 0.01)
DEFAULT_LR: dict[str, float] = {name: cls().lr for name, cls in optim.OPTIMIZERS.items()}

# schedule kind -> the callback that implements it (its keyword arguments come from the spec)
SCHEDULES: dict[str, type[_callbacks.LRSchedule]] = {
    "step": _callbacks.StepDecay,
    "exponential": _callbacks.ExponentialDecay,
    "cosine": _callbacks.CosineDecay,
}
TRAINABLE = tuple(name for name, cls in ACTIVATIONS.items() if cls.differentiable)
LOSSES = tuple(sorted({loss for _, loss in OUTPUTS}))


# ================================================================ checks (each returns the clean value)


def _is_number(v: object) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))


def _number(low: float, high: float | None = None, *, closed_low: bool = False, closed_high: bool = False,
            expected: str) -> Callable[[str, object], float]:
    def check(name: str, v: object) -> float:
        ok = _is_number(v) and math.isfinite(float(v))
        if ok:
            x = float(v)
            ok = (x >= low if closed_low else x > low) and (
                high is None or (x <= high if closed_high else x < high))
        if not ok:
            raise ValueError(f"{name}: expected {expected}, got {v!r}")
        return float(v)
    return check


def _integer(low: int | None, expected: str) -> Callable[[str, object], int]:
    def check(name: str, v: object) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or (low is not None and v < low):
            raise ValueError(f"{name}: expected {expected}, got {v!r}")
        return int(v)
    return check


def _choice(*allowed: str) -> Callable[[str, object], str]:
    def check(name: str, v: object) -> str:
        if not isinstance(v, str) or v not in allowed:
            raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {v!r}")
        return v
    return check


def _optional(check: Callable[[str, object], Any]) -> Callable[[str, object], Any]:
    def optional(name: str, v: object) -> Any:
        return None if v is None else check(name, v)
    return optional


def _text(name: str, v: object) -> str:
    if not isinstance(v, str) or not v.strip() or len(v) > 4096:
        raise ValueError(f"{name}: expected a non-empty name or path, got {v!r}")
    return v


def _hidden_sizes(name: str, v: object) -> tuple[int, ...]:
    if isinstance(v, str):  # "100", "64-32", "0" (no hidden layer)
        text = v.strip()
        try:
            v = () if text == "0" else tuple(int(t) for t in text.replace(",", "-").split("-"))
        except ValueError:
            raise ValueError(f"{name}: expected hidden layer sizes like 100 or 64-32 (0 for none), "
                             f"got {v!r}") from None
    elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (v,)
    if not isinstance(v, (tuple, list)) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 < s <= 1_000_000 for s in v):
        raise ValueError(f"{name}: expected a list of positive layer sizes like [100] or [64, 32], got {v!r}")
    return tuple(int(s) for s in v)


def _hidden(name: str, v: object) -> str | tuple[str, ...]:
    if isinstance(v, str):
        return _choice(*TRAINABLE)(name, v)
    if isinstance(v, (tuple, list)) and v:
        return tuple(_choice(*TRAINABLE)(name, h) for h in v)
    raise ValueError(f"{name}: expected an activation name ({', '.join(TRAINABLE)}) or a list of them, "
                     f"got {v!r}")


def _init(name: str, v: object) -> str | float:
    if isinstance(v, str):
        return _choice("he", "xavier")(name, v)
    return _number(0, closed_low=True, expected="'he', 'xavier' or a standard deviation ≥ 0")(name, v)


def _options(name: str, v: object) -> dict[str, float]:
    if not isinstance(v, Mapping) or not all(isinstance(k, str) and _is_number(x) for k, x in v.items()):
        raise ValueError(f"{name}: expected a table of numbers such as {{momentum = 0.9}}, got {v!r}")
    return {k: float(x) for k, x in v.items()}


def _schedule(name: str, v: object) -> dict[str, Any]:
    if not isinstance(v, Mapping) or v.get("kind") not in SCHEDULES:
        raise ValueError(f"{name}: expected a table with kind = one of {', '.join(map(repr, SCHEDULES))} "
                         f"and its settings (e.g. {{kind = 'cosine', epochs = 60}}), got {v!r}")
    if not all(isinstance(k, str) and (k == "kind" or _is_number(x)) for k, x in v.items()):
        raise ValueError(f"{name}: settings of a schedule are numbers, got {dict(v)!r}")
    return dict(v)


def _batch_size(name: str, v: object) -> int | None:
    if v is None or (isinstance(v, str) and v.strip().lower() == "full"):
        return None
    return _integer(1, "a positive integer, or None / 'full' for one batch per epoch")(name, v)


_fraction = _number(0, 1, closed_low=True, expected="a fraction in [0, 1)")


def _boolean(name: str, v: object) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{name}: expected true or false, got {v!r}")
    return bool(v)


@dataclass(frozen=True)
class Field:
    """One row of the table: the section a field is written under, its default and its check."""

    section: str
    default: Any
    check: Callable[[str, object], Any]
    help: str


FIELDS: dict[str, Field] = {
    "data": Field("data", "digits", _text, "a data set name (nnscratch datasets) or a .csv/.npz file"),
    "target": Field("data", None, _optional(_text), "the CSV column to predict (default: the last)"),
    "task": Field("data", "auto", _choice("auto", "classification", "regression"),
                  "classification or regression (auto: from the target's values)"),
    "val_split": Field("split", 0.1, _fraction, "validation fraction"),
    "test_split": Field("split", 0.2, _fraction, "held-out test fraction (a data set's own test set wins)"),
    "split_seed": Field("split", 0, _integer(0, "an integer ≥ 0"), "seed of the validation/test split"),
    "preprocess": Field("preprocessing", "auto", _choice("auto", "standardize", "scale", "none"),
                        "feature scaling fitted on the training part (auto: scale images, else standardize)"),
    "hidden_sizes": Field("architecture", (100,), _hidden_sizes, "hidden layer sizes ([] for none)"),
    "hidden": Field("architecture", "relu", _hidden, "hidden activation, or one per hidden layer"),
    "layers": Field("architecture", None, _optional(layerstring.check),
                    "a stack as a layer string, e.g. conv30x5-relu-pool2-affine100-relu, or a preset "
                    "(simple_convnet, double_convnet, deep_convnet); replaces hidden_sizes/hidden"),
    "output": Field("architecture", "auto", _choice("auto", *DEFAULT_LOSS),
                    "output activation (auto: softmax for classes, identity for regression)"),
    "loss": Field("architecture", None, _optional(_choice(*LOSSES)), "loss (default: the output's pair)"),
    "init": Field("architecture", "he", _init, "initial weights: 'he', 'xavier' or a standard deviation"),
    "dtype": Field("architecture", "float32", _choice("float32", "float64"), "floating-point type"),
    "batchnorm": Field("architecture", False, _boolean, "batch normalisation after each hidden Affine"),
    "dropout": Field("architecture", 0.0, _fraction, "dropout rate after each hidden activation (0: off)"),
    "l1": Field("architecture", 0.0, _number(0, closed_low=True, expected="a number ≥ 0"),
                "L1 regularisation λ·Σ|W| in the loss"),
    "l2": Field("architecture", 0.0, _number(0, closed_low=True, expected="a number ≥ 0"),
                "L2 regularisation ½λ·Σ W² in the loss"),
    "optimizer": Field("optimizer", "adam", _choice(*optim.OPTIMIZERS), "update rule"),
    "lr": Field("optimizer", None, _optional(_number(0, expected="a positive number")),
                "learning rate (default: the optimizer's own, see DEFAULT_LR)"),
    "optimizer_options": Field("optimizer", {}, _options, "the optimizer's own settings, e.g. momentum"),
    "epochs": Field("training", 60, _integer(1, "a positive integer"), "passes over the training data"),
    "batch_size": Field("training", 32, _batch_size,
                        "mini-batch size; 1 online, None full batch"),
    "seed": Field("training", 0, _integer(0, "an integer ≥ 0"), "seed of the initial weights and batches"),
    "weight_decay": Field("training", 0.0, _number(0, closed_low=True, expected="a number ≥ 0"),
                          "L2 weight decay λ"),
    "clip_norm": Field("training", None, _optional(_number(0, expected="a positive number")),
                       "clip the global gradient norm to this value"),
    "early_stopping": Field("training", 0, _integer(0, "an integer ≥ 0 (patience; 0 is off)"),
                            "stop when the validation loss has not improved for this many epochs"),
    "schedule": Field("training", None, _optional(_schedule), "learning-rate schedule table"),
}
