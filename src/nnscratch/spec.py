"""RunSpec: one validated description of one training run (学習の設定), in Python, JSON or TOML.

A run is: the data (a named data set or a file, its target column), how it is split (validation and
test fractions, the split seed), the preprocessing, the architecture (hidden sizes, activations, output
and loss, initialisation, dtype), the optimizer (its name, learning rate and own settings) and the
training (epochs, batch size, seed, weight decay, gradient clipping, early stopping, a schedule).

Every field is checked once, from the one table :data:`FIELDS` (name → section, default, check), with
the project's one-line errors (``lr: expected a positive number, got -1``). The defaults live here and
nowhere else; a learning rate left at ``None`` means the optimizer's own default (:data:`DEFAULT_LR`).

>>> spec = RunSpec(data="iris", hidden_sizes=(16,), lr=0.01)
>>> RunSpec.from_json(spec.to_json()) == spec
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from nnscratch import callbacks as _callbacks
from nnscratch import optim
from nnscratch._arch import _init_std
from nnscratch.layers import ACTIVATIONS, DEFAULT_LOSS, OUTPUTS

__all__ = ["RunSpec", "FIELDS", "DEFAULT_LR", "SECTIONS", "SCHEDULES"]

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
    "output": Field("architecture", "auto", _choice("auto", *DEFAULT_LOSS),
                    "output activation (auto: softmax for classes, identity for regression)"),
    "loss": Field("architecture", None, _optional(_choice(*LOSSES)), "loss (default: the output's pair)"),
    "init": Field("architecture", "he", _init, "initial weights: 'he', 'xavier' or a standard deviation"),
    "dtype": Field("architecture", "float32", _choice("float32", "float64"), "floating-point type"),
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


# ================================================================ the spec


@dataclass(frozen=True)
class RunSpec:
    """A validated, serialisable description of one run; every field is in :data:`FIELDS`.

    ``RunSpec(**fields)`` checks each field and the combinations (validation and test fractions below
    1, one activation per hidden layer, an output/loss pair that exists, early stopping only with a
    validation part, optimizer settings the optimizer accepts). ``replace(**changes)`` gives a checked
    copy; ``to_dict``/``from_dict``, ``to_json``/``from_json`` and ``to_toml``/``from_toml`` round-trip.

    >>> import nnscratch
    >>> spec = nnscratch.RunSpec(data="moons", hidden_sizes=[16, 16], optimizer="adam", lr=0.01)
    >>> spec.replace(epochs=5).epochs
    5
    """

    data: str = FIELDS["data"].default
    target: str | None = None
    task: str = "auto"
    val_split: float = 0.1
    test_split: float = 0.2
    split_seed: int = 0
    preprocess: str = "auto"
    hidden_sizes: tuple[int, ...] = (100,)
    hidden: str | tuple[str, ...] = "relu"
    output: str = "auto"
    loss: str | None = None
    init: str | float = "he"
    dtype: str = "float32"
    optimizer: str = "adam"
    lr: float | None = None
    optimizer_options: dict[str, float] = field(default_factory=dict)
    epochs: int = 60
    batch_size: int | None = 32
    seed: int = 0
    weight_decay: float = 0.0
    clip_norm: float | None = None
    early_stopping: int = 0
    schedule: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for name, spec_field in FIELDS.items():
            object.__setattr__(self, name, spec_field.check(name, getattr(self, name)))
        self._check_combinations()

    def _check_combinations(self) -> None:
        if self.val_split + self.test_split >= 1:
            raise ValueError(f"val_split + test_split: expected less than 1 to leave training data, got "
                             f"{self.val_split + self.test_split:g}")
        _init_std(self.init, 1, self.dtype)  # a scale whose weights the dtype cannot hold: before any data
        if self.early_stopping and self.val_split == 0:
            raise ValueError("early_stopping: watches the validation loss; needs val_split > 0")
        if isinstance(self.hidden, tuple) and len(self.hidden) != len(self.hidden_sizes):
            raise ValueError(f"hidden: expected one activation or {len(self.hidden_sizes)} (one per hidden "
                             f"layer), got {len(self.hidden)}")
        if self.loss is not None and self.output != "auto" and (self.output, self.loss) not in OUTPUTS:
            pairs = ", ".join(f"{o}+{loss}" for o, loss in OUTPUTS)
            raise ValueError(f"loss: {self.loss!r} does not pair with output {self.output!r}; expected one "
                             f"of {pairs}")
        known = set(optim.OPTIMIZERS[self.optimizer]().hyperparameters()) - {"lr"}
        unknown = sorted(set(self.optimizer_options) - known)
        if unknown:
            raise ValueError(f"optimizer_options: {self.optimizer!r} has no setting(s) {', '.join(unknown)}; "
                             f"its settings are {', '.join(sorted(known)) or 'none besides lr'}")
        try:
            self.make_optimizer()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"optimizer_options: {exc}") from None
        if self.schedule is not None:
            try:
                self.make_schedule()
            except (TypeError, ValueError) as exc:
                raise ValueError(f"schedule: {exc}") from None

    # ------------------------------------------------------------ what the run needs

    @property
    def learning_rate(self) -> float:
        """The learning rate the run uses: ``lr``, or the optimizer's default."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def make_optimizer(self) -> optim.Optimizer:
        """A fresh optimizer of this spec (name, learning rate, its own settings)."""
        return optim.create(self.optimizer, self.learning_rate, **self.optimizer_options)

    def make_schedule(self) -> _callbacks.LRSchedule | None:
        """The learning-rate schedule callback, or None."""
        if self.schedule is None:
            return None
        settings = {k: v for k, v in self.schedule.items() if k != "kind"}
        for k, v in settings.items():
            if float(v).is_integer() and k in ("epochs", "step_size"):
                settings[k] = int(v)
        return SCHEDULES[self.schedule["kind"]](**settings)

    def replace(self, **changes: Any) -> RunSpec:
        """A checked copy with some fields changed (unknown names are refused)."""
        _check_names(changes)
        return replace(self, **changes)

    # ------------------------------------------------------------ serialisation

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{section: {field: value}}``, JSON-ready (tuples as lists, None kept)."""
        out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
        for f in fields(self):
            v = getattr(self, f.name)
            out[FIELDS[f.name].section][f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Reverse :meth:`to_dict`; also accepts a flat ``{field: value}``. Missing fields take defaults."""
        if not isinstance(data, Mapping):
            raise ValueError(f"spec: expected a table of sections ({', '.join(SECTIONS)}), got "
                             f"{type(data).__name__}")
        flat: dict[str, Any] = {}
        for key, value in data.items():
            if key in SECTIONS and (isinstance(value, Mapping) or key not in FIELDS):
                if not isinstance(value, Mapping):
                    raise ValueError(f"{key}: expected a table of fields, got {value!r:.60}")
                for name, v in value.items():
                    if name in FIELDS and FIELDS[name].section != key:
                        raise ValueError(f"{name}: belongs in [{FIELDS[name].section}], not [{key}]")
                    flat[name] = v
            else:
                flat[key] = value
        _check_names(flat)
        for name in ("hidden_sizes", "hidden"):
            if isinstance(flat.get(name), list):
                flat[name] = tuple(flat[name])
        return cls(**flat)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"spec: not valid JSON ({exc})") from None
        return cls.from_dict(data)

    def to_toml(self) -> str:
        """TOML text with one table per section (a field that is None is left out: it is the default)."""
        lines: list[str] = []
        for section, values in self.to_dict().items():
            lines.append(f"[{section}]")
            for name, v in values.items():
                if name == "batch_size" and v is None:
                    lines.append('batch_size = "full"')  # TOML has no null; full batch is not the default
                elif v is not None:
                    lines.append(f"{name} = {_toml_value(v)}")
            lines.append("")
        return "\n".join(lines)

    @classmethod
    def from_toml(cls, text: str) -> RunSpec:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ModuleNotFoundError:
                raise ImportError("spec: reading TOML on Python 3.10 needs 'pip install tomli'") from None
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ValueError(f"spec: not valid TOML ({exc})") from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str) -> RunSpec:
        """A spec from a ``.toml`` or ``.json`` file (at most 1 MB)."""
        import os

        text_path = os.fspath(path)
        if not os.path.isfile(text_path):
            raise ValueError(f"config: {text_path!r} is not a file; expected a .toml or .json run spec")
        with open(text_path, "rb") as f:
            raw = f.read(1_000_001)
        if len(raw) > 1_000_000:
            raise ValueError(f"config: {text_path!r} is larger than 1 MB; a run spec is a few lines")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"config: {text_path!r} is not UTF-8 text") from None
        try:
            return cls.from_json(text) if text_path.lower().endswith(".json") else cls.from_toml(text)
        except ValueError as exc:
            raise ValueError(f"config: {text_path}: {exc}") from None


def _check_names(names: Mapping[str, Any]) -> None:
    unknown = sorted(set(names) - set(FIELDS))
    if unknown:
        raise ValueError(f"spec: unknown field(s) {', '.join(map(repr, unknown))}; expected some of "
                         f"{', '.join(FIELDS)}")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"spec: cannot write {type(v).__name__} to TOML")  # pragma: no cover - checked fields
