"""The playground's controls (設定): one checked table, the page's URL state, and the RunSpec they make.

Every control the page sends arrives here as a JSON object and leaves as a :class:`Settings` or one
``ValueError`` line naming the control (``lr: expected a number in [1e-05, 10], got 'abc'``). The
sizes are capped (:data:`MAX_LAYERS` hidden layers of at most :data:`MAX_UNITS` units; at most
:data:`MAX_SAMPLES` generated points), because a local server is still a server.

Which changes keep the weights: the training controls (:data:`LIVE_FIELDS`: optimizer, learning rate,
batch mode, weight decay; and the speed) are applied live; a change of the data (:data:`DATA_FIELDS`) or the
network (:data:`NETWORK_FIELDS`, the Day 2 ones among them: batch normalisation and dropout are layers
of the network, L1/L2 a term of its loss) starts again from step 0. :meth:`Settings.change` says which it
was, for the page to tell the learner.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from nnscratch import optim
from nnscratch.runfields import TRAINABLE
from nnscratch.spec import RunSpec

__all__ = ["Settings", "GENERATED", "MAX_LAYERS", "MAX_UNITS", "MAX_SAMPLES", "SPEEDS", "RESET_FIELDS",
           "DATA_FIELDS", "NETWORK_FIELDS", "LIVE_FIELDS", "REGULARISATION_FIELDS", "MAX_DROPOUT"]

GENERATED = ("xor", "moons", "circles", "spiral", "blobs", "linear")
MAX_LAYERS = 6
MAX_UNITS = 32
MAX_SAMPLES = 5000
# steps per second the "speed" control allows; "max" trains as fast as the machine can
SPEEDS: dict[str, float | None] = {"1": 1.0, "10": 10.0, "100": 100.0, "1000": 1000.0, "max": None}
OUTPUTS = ("softmax", "sigmoid", "identity")
DATA_FIELDS = ("data", "noise", "samples", "test_ratio", "data_seed", "preprocess")
REGULARISATION_FIELDS = ("batchnorm", "dropout", "l1", "l2")  # the network's own layers and loss: rebuilt
NETWORK_FIELDS = ("layers", "activations", "output", "init", "seed", *REGULARISATION_FIELDS)
MAX_DROPOUT = 0.9
RESET_FIELDS = DATA_FIELDS + NETWORK_FIELDS  # a change of one of these needs new weights
LIVE_FIELDS = ("optimizer", "lr", "batch", "weight_decay")  # applied to the running trainer


def _number(name: str, v: object, low: float, high: float) -> float:
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            pass
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not low <= v <= high:
        raise ValueError(f"{name}: expected a number in [{low:g}, {high:g}], got {v!r:.40}")
    return float(v)


def _integer(name: str, v: object, low: int, high: int) -> int:
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise ValueError(f"{name}: expected a whole number in [{low}, {high}], got {v!r:.40}")
    return v


def _choice(name: str, v: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {v!r:.40}")
    return v


def _layers(v: object) -> tuple[int, ...]:
    if isinstance(v, str):  # the URL's "8-8"; "" or "0" for no hidden layer
        text = v.strip()
        parts = [] if text in ("", "0") else text.split("-")
        if not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"layers: expected hidden sizes like 8-8 (each 1–{MAX_UNITS}), got {v!r:.40}")
        v = [int(p) for p in parts]
    if not isinstance(v, (list, tuple)):
        raise ValueError(f"layers: expected a list of hidden layer sizes, got {v!r:.40}")
    if len(v) > MAX_LAYERS:
        raise ValueError(f"layers: expected at most {MAX_LAYERS} hidden layers, got {len(v)}")
    return tuple(_integer("layers", s, 1, MAX_UNITS) for s in v)


def _activations(v: object, n: int) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [a for a in v.split("-") if a] if v else []
    if not isinstance(v, (list, tuple)):
        raise ValueError(f"activations: expected one activation name per hidden layer, got {v!r:.40}")
    names = [_choice("activations", a, TRAINABLE) for a in v]
    # one per hidden layer: a missing one repeats the last (adding a layer keeps the look of the others)
    names = (names or ["tanh"]) + [(names or ["tanh"])[-1]] * max(0, n - len(names))
    return tuple(names[:n])


def _flag(name: str, v: object) -> bool:
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "on", "off", "1", "0"):
        return v.strip().lower() in ("true", "on", "1")
    if not isinstance(v, bool):
        raise ValueError(f"{name}: expected true or false, got {v!r:.40}")
    return v


def _batch(v: object) -> str:
    if v in ("full", "online"):
        return v  # type: ignore[return-value]
    return str(_integer("batch", v, 2, 100_000))


@dataclass(frozen=True)
class Settings:
    """Everything the page controls; ``Settings.checked(dict)`` builds one from the page's JSON."""

    data: str = "moons"              # a generated set, or "csv" for the uploaded file
    noise: float = 0.1               # generated sets: noise (blobs: spread = 4·noise)
    samples: int = 400
    test_ratio: float = 0.3
    data_seed: int = 0
    preprocess: str = "standardize"
    layers: tuple[int, ...] = (8, 8)
    activations: tuple[str, ...] = ("tanh", "tanh")
    output: str = "softmax"
    init: str = "xavier"
    seed: int = 0
    optimizer: str = "sgd"
    lr: float = 0.03
    batch: str = "10"                # "full", "online" or a mini-batch size k
    weight_decay: float = 0.0
    batchnorm: bool = False          # Day 2: batch normalisation after each hidden Affine
    dropout: float = 0.0             # dropout rate after each hidden activation
    l1: float = 0.0                  # λ of λ·Σ|W| in the loss
    l2: float = 0.0                  # λ of ½λ·Σ W² in the loss
    speed: str = "max"

    @classmethod
    def checked(cls, given: object, base: Settings | None = None) -> Settings:
        """``base`` (default: the defaults) with the given fields changed, each checked."""
        if not isinstance(given, dict):
            raise ValueError(f"settings: expected an object of controls, got {type(given).__name__}")
        base = base or cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"settings: unknown control(s) {', '.join(map(str, unknown))[:80]}; expected "
                             f"some of {', '.join(sorted(known))}")
        v = {**asdict(base), **given}
        layers = _layers(v["layers"])
        out = cls(
            data=_choice("data", v["data"], (*GENERATED, "csv")),
            noise=_number("noise", v["noise"], 0, 1),
            samples=_integer("samples", v["samples"], 10, MAX_SAMPLES),
            test_ratio=_number("test_ratio", v["test_ratio"], 0.1, 0.9),
            data_seed=_integer("data_seed", v["data_seed"], 0, 2**31 - 1),
            preprocess=_choice("preprocess", v["preprocess"], ("standardize", "none")),
            layers=layers,
            activations=_activations(v["activations"], len(layers)),
            output=_choice("output", v["output"], OUTPUTS),
            init=_choice("init", v["init"], ("he", "xavier")),
            seed=_integer("seed", v["seed"], 0, 2**31 - 1),
            optimizer=_choice("optimizer", v["optimizer"], tuple(optim.OPTIMIZERS)),
            lr=_number("lr", v["lr"], 1e-5, 10),
            batch=_batch(v["batch"]),
            weight_decay=_number("weight_decay", v["weight_decay"], 0, 1),
            batchnorm=_flag("batchnorm", v["batchnorm"]),
            dropout=_number("dropout", v["dropout"], 0, MAX_DROPOUT),
            l1=_number("l1", v["l1"], 0, 1),
            l2=_number("l2", v["l2"], 0, 1),
            speed=_choice("speed", str(v["speed"]), tuple(SPEEDS)),
        )
        if out.weight_decay and (out.l1 or out.l2):  # RunSpec's rule, said in the page's controls
            name = "weight_decay" if "weight_decay" in given else "l1" if out.l1 and "l1" in given else "l2"
            raise ValueError(f"{name}: weight decay λ and L1/L2 both regularise the weights; set weight "
                             f"decay to 0 to use L1/L2 (e.g. l2 = 0.001), or L1 and L2 to 0 to use weight "
                             f"decay")
        return out

    def resets(self, other: Settings) -> bool:
        """Whether going from ``other`` to this needs new weights (the data or the network changed)."""
        return any(getattr(self, k) != getattr(other, k) for k in RESET_FIELDS)

    def change(self, old: Settings, stopped: bool, step: int) -> dict[str, Any]:
        """What going from ``old`` to these settings did, as the page words it: ``rebuilt`` is
        ``"data"``, ``"network"`` or None (applied live), ``fields`` the controls whose value changed
        (the output too when the data chose it), ``stopped`` whether a running run was stopped by it,
        ``step`` the step the run is at now."""
        changed = [f.name for f in fields(self) if getattr(self, f.name) != getattr(old, f.name)]
        rebuilt = ("data" if any(k in DATA_FIELDS for k in changed)
                   else "network" if any(k in NETWORK_FIELDS for k in changed) else None)
        return {"rebuilt": rebuilt, "fields": changed, "stopped": bool(stopped and rebuilt), "step": step}

    def fit_task(self, task: str, n_classes: int | None) -> Settings:
        """The settings with an output the data can use: identity for regression, softmax for classes
        (sigmoid kept for two classes)."""
        if task == "regression":
            return self if self.output == "identity" else replace(self, output="identity")
        if self.output == "identity" or (self.output == "sigmoid" and n_classes != 2):
            return replace(self, output="softmax")
        return self

    def batch_size(self) -> int | None:
        """The trainer's batch size: None (full batch), 1 (online) or k (a k above N is one batch)."""
        if self.batch == "full":
            return None
        return 1 if self.batch == "online" else int(self.batch)

    def run_spec(self, data_name: str, epochs: int = 1) -> RunSpec:
        """The library's :class:`~nnscratch.RunSpec` of these settings (what the reproduction script
        and the downloaded model carry)."""
        return RunSpec(
            data=data_name, val_split=0.0, test_split=self.test_ratio, split_seed=self.data_seed,
            preprocess=self.preprocess, hidden_sizes=self.layers,
            hidden=self.activations if self.layers else "relu", output=self.output, init=self.init,
            dtype="float32", optimizer=self.optimizer, lr=self.lr, epochs=max(1, epochs),
            batch_size=self.batch_size(), seed=self.seed, weight_decay=self.weight_decay,
            batchnorm=self.batchnorm, dropout=self.dropout, l1=self.l1, l2=self.l2,
        )

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (what the page puts in its URL)."""
        out = asdict(self)
        out["layers"], out["activations"] = list(self.layers), list(self.activations)
        return out
