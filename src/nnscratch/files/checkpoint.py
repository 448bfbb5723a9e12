"""What a checkpoint file holds: the schema of a training checkpoint's state, in plain values.

A checkpoint is a network file of kind ``"checkpoint"`` (:mod:`nnscratch.files.network`) whose JSON adds
the training state: ``epoch``, ``steps``, ``base_lr``, ``optimizer`` (its description: name,
hyperparameters, hooks, ``t``), ``rng`` (a PCG64 generator's state), ``layer_rngs`` (dropout's
generators), ``history``, ``callbacks`` (``{"class", "state"}`` each) and ``training`` (batch_size,
shuffle, n_samples, weight_decay, clip_norm); its extra arrays are the optimizer's state
(``optim.<slot>.<key>``) and the callbacks' (``callback.<i>.<name>``).

:func:`checkpoint_fields` checks every field before any is used — a missing, unknown or wrong-typed
entry, an impossible count or rate, state arrays that do not fit the network's parameters, a random
generator other than NumPy's default PCG64 — each a one-line ValueError naming the file and the field
(:class:`Fields`), and returns plain values. Training builds its History and checks the optimizer's
state with the optimizer itself (:mod:`nnscratch.training.checkpoint`).
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np

__all__ = ["Fields", "checkpoint_fields", "STATE_FIELDS", "BIT_GENERATOR"]

BIT_GENERATOR = "PCG64"  # what numpy.random.default_rng makes, the only generator a checkpoint holds
STATE_FIELDS = ("epoch", "steps", "base_lr", "optimizer", "rng", "history", "callbacks", "training",
                "layer_rngs")
_TRAINING = {"batch_size", "shuffle", "n_samples", "weight_decay", "clip_norm"}


class Fields:
    """Reads a checkpoint's ``state`` field by field; builds the one-line errors naming the field."""

    def __init__(self, path: str | os.PathLike, state: dict) -> None:
        self.path, self.state = path, state

    def error(self, name: str, message: str) -> ValueError:
        """``resume: checkpoint '<file>', field '<name>': <message>``."""
        return ValueError(f"resume: checkpoint {os.fspath(self.path)!r}, field {name!r}: {message}")

    def get(self, name: str, kind: type | tuple[type, ...]) -> object:
        """The field ``name``, of type ``kind`` (never a bool for a number)."""
        if name not in self.state:
            raise self.error(name, "missing; the file is not a complete checkpoint")
        value = self.state[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.error(name, f"expected {names}, got {value!r}")
        return value

    def count(self, name: str, low: int) -> int:
        """The integer field ``name``, at least ``low``."""
        value = self.get(name, int)
        if value < low:
            raise self.error(name, f"expected an integer of at least {low}, got {value!r}")
        return value


def checkpoint_fields(
    path: str | os.PathLike, state: object, params: dict[str, np.ndarray], arrays: dict[str, np.ndarray]
) -> dict:
    """The checked plain values of a checkpoint's ``state`` and extra ``arrays`` for a network of
    ``params``: ``epoch``, ``steps``, ``base_lr``, ``history`` (a dict), ``rng`` and ``layer_rngs``
    (generator states), ``optimizer`` (a dict naming it) with ``optimizer_arrays`` (``slot.key`` →
    array of the parameter's shape and dtype), ``callbacks``, ``training`` and the callbacks' ``arrays``.
    """
    fields = Fields(path, state if isinstance(state, dict) else {})
    if not isinstance(state, dict):
        raise fields.error("checkpoint", f"expected a dict of fields, got {type(state).__name__}")
    unknown = sorted(set(state) - set(STATE_FIELDS))
    if unknown:
        raise fields.error(unknown[0], f"unknown; a checkpoint holds the fields {', '.join(STATE_FIELDS)}")
    epoch = fields.count("epoch", 1)
    steps = fields.count("steps", 0)
    base_lr = float(fields.get("base_lr", (int, float)))
    if not (math.isfinite(base_lr) and base_lr > 0):
        raise fields.error("base_lr", f"expected a finite learning rate greater than 0, got {base_lr!r}")
    history = copy.deepcopy(fields.get("history", dict))
    rng = _rng_state(fields, "rng", fields.get("rng", dict))
    layer_rngs = fields.get("layer_rngs", list) if "layer_rngs" in state else []
    layer_rngs = [_rng_state(fields, f"layer_rngs[{i}]", s) for i, s in enumerate(layer_rngs)]
    optimizer, optimizer_arrays = _optimizer_state(fields, params, arrays)
    callbacks = _callback_entries(fields)
    training = _training(fields)
    others = {k: v for k, v in arrays.items() if not k.startswith("optim.")}
    for name in others:
        index = name.split(".")[1] if name.startswith("callback.") and name.count(".") >= 2 else ""
        if not (index.isdigit() and int(index) < len(callbacks)):
            raise fields.error("callbacks", f"array {name!r} belongs to no callback entry (there are "
                                            f"{len(callbacks)})")
    return {"epoch": epoch, "steps": steps, "base_lr": base_lr, "history": history, "rng": rng,
            "layer_rngs": layer_rngs, "optimizer": optimizer, "optimizer_arrays": optimizer_arrays,
            "callbacks": callbacks, "training": training, "arrays": others}


def _rng_state(fields: Fields, name: str, state: object) -> dict:
    """A generator's state: only PCG64, a 128-bit state and increment, the 32-bit buffer."""
    if not isinstance(state, dict):
        raise fields.error(name, f"expected a generator's state (a dict), got {type(state).__name__}")
    if state.get("bit_generator") != BIT_GENERATOR:
        got = state.get("bit_generator")
        raise fields.error(name, f"expected bit_generator {BIT_GENERATOR!r}, got {got!r}")
    inner = state.get("state")
    ok = (
        set(state) == {"bit_generator", "state", "has_uint32", "uinteger"}
        and isinstance(inner, dict)
        and set(inner) == {"state", "inc"}
        and all(_int_in(inner[k], 0, 2**128) for k in ("state", "inc"))
        and _int_in(state["has_uint32"], 0, 2)
        and _int_in(state["uinteger"], 0, 2**32)
    )
    if not ok:
        raise fields.error(
            name, "expected {'bit_generator': 'PCG64', 'state': {'state': int, 'inc': int}, "
            "'has_uint32': 0 or 1, 'uinteger': int} with 128-bit state and inc"
        )
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError) as exc:  # pragma: no cover - the shape above is what PCG64 takes
        raise fields.error(name, str(exc)) from None
    return copy.deepcopy(state)


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < high


def _optimizer_state(
    fields: Fields, params: dict[str, np.ndarray], arrays: dict[str, np.ndarray]
) -> tuple[dict, dict[str, np.ndarray]]:
    """The optimizer's description (a dict naming it) and its state arrays, each the shape of the
    parameter it belongs to and converted to the parameters' dtype (non-float arrays are left to the
    optimizer's own check)."""
    meta = fields.get("optimizer", dict)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise fields.error("optimizer", f"expected the name of an optimizer, got {name!r}")
    state = {}
    for array_name, a in arrays.items():
        if not array_name.startswith("optim."):
            continue
        slot_key = array_name[len("optim."):]
        key = slot_key.partition(".")[2]
        if key not in params or a.shape != params[key].shape:
            want = f"shape {params[key].shape}" if key in params else f"a key of {sorted(params)}"
            got = f"state array {array_name!r} has shape {a.shape}"
            raise fields.error("optimizer", f"{got}, expected {want}")
        state[slot_key] = a.astype(params[key].dtype, copy=False) if a.dtype.kind == "f" else a
    return copy.deepcopy(meta), state


def _callback_entries(fields: Fields) -> list[dict]:
    infos = fields.get("callbacks", list)
    for i, info in enumerate(infos):
        ok = isinstance(info, dict) and isinstance(info.get("class"), str)
        if not (ok and isinstance(info.get("state"), dict) and set(info) == {"class", "state"}):
            want = "{'class': str, 'state': dict}"
            raise fields.error("callbacks", f"entry {i}: expected {want}, got {info!r}")
    return copy.deepcopy(infos)


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _training(fields: Fields) -> dict:
    """The run's batch settings as written (recorded for the reader; resume takes the run's own)."""
    t = fields.get("training", dict)
    want = ("{'batch_size': int ≥ 1 or None, 'shuffle': bool, 'n_samples': int ≥ 1, 'weight_decay': "
            "number ≥ 0, 'clip_norm': number > 0 or None}")
    ok = (
        set(t) == _TRAINING
        and (t["batch_size"] is None or _int_in(t["batch_size"], 1, 2**63))
        and isinstance(t["shuffle"], bool)
        and _int_in(t["n_samples"], 1, 2**63)
        and _number(t["weight_decay"]) and t["weight_decay"] >= 0
        and (t["clip_norm"] is None or (_number(t["clip_norm"]) and t["clip_norm"] > 0))
    )
    if not ok:
        raise fields.error("training", f"expected {want}, got {t!r}")
    return dict(t)
