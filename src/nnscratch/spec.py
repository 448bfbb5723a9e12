"""RunSpec: one validated description of one training run (学習の設定), in Python, JSON or TOML.

A run is: the data (a named data set or a file, its target column), how it is split (validation and
test fractions, the split seed), the preprocessing, the architecture (hidden sizes, activations, output
and loss, initialisation, dtype — or a layer string such as ``conv30x5-relu-pool2-affine100-relu``,
:mod:`nnscratch.layerstring`), the optimizer (its name, learning rate and own settings) and the
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
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from nnscratch import callbacks as _callbacks
from nnscratch import optim
from nnscratch._arch import _init_std
from nnscratch.layers import OUTPUTS
from nnscratch.runfields import DEFAULT_LR, FIELDS, SCHEDULES, SECTIONS, Field  # noqa: F401 - re-exported

__all__ = ["RunSpec", "FIELDS", "DEFAULT_LR", "SECTIONS", "SCHEDULES"]

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
    layers: str | None = None
    output: str = "auto"
    loss: str | None = None
    init: str | float = "he"
    dtype: str = "float32"
    batchnorm: bool = False
    dropout: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
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
        if self.weight_decay and (self.l1 or self.l2):
            raise ValueError("weight_decay + l2: both regularise the weights; use l2 (the course's penalty "
                             "in the loss) or weight_decay (a gradient hook), not both")
        _init_std(self.init, 1, self.dtype)  # a scale whose weights the dtype cannot hold: before any data
        if self.early_stopping and self.val_split == 0:
            raise ValueError("early_stopping: watches the validation loss; needs val_split > 0")
        self._check_layers()
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

    def _check_layers(self) -> None:
        """A layer string describes the whole stack: the MLP's own fields must stay at their defaults."""
        if self.layers is None:
            return
        mlp = ("hidden_sizes", "hidden", "batchnorm", "dropout")
        given = [f"{k}={getattr(self, k)!r}" for k in mlp if getattr(self, k) != FIELDS[k].default]
        if given:
            raise ValueError(f"layers: {self.layers!r} describes the whole stack, so {', '.join(given)} "
                             f"cannot be given with it; write them into the string (e.g. "
                             f"'affine64-batchnorm-relu-dropout0.5') or leave layers out")

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
