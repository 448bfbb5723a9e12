"""Checkpoints of a training run: written after every epoch (エポック), resumed bit for bit.

A checkpoint (:func:`nnscratch.io.save_checkpoint`, ``.npz`` + JSON, never pickle) holds the network,
the optimizer's description and state (its hooks — 荷重減衰, 勾配クリッピング — among its settings), the
epoch, the step count, the base learning rate, the random generator's state, the history, every
callback's state and the run's batch settings. :func:`read_checkpoint` is the one reader: it checks
every field before any is used — a missing, unknown or wrong-typed entry, an impossible count, a
learning rate or decay constant the optimizer's constructor refuses, state arrays that do not fit the
network, or a random generator other than NumPy's default PCG64 is a one-line ValueError naming the
file and the field, once — and returns a :class:`Checkpoint`. :func:`resume` then checks what depends
on the run (the architecture, ``lr``, ``epochs``, the optimizer's kind and hooks, the callbacks'
states) before anything changes. A run that stopped early (early stopping) is recorded as stopped, and
resuming it trains no more epochs.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnscratch import io, optim
from nnscratch.callbacks import Callback, EarlyStopping
from nnscratch.training.history import History
from nnscratch.training.trainer import Trainer

if TYPE_CHECKING:  # pragma: no cover - typing only
    from nnscratch.network import Network

__all__ = ["CheckpointWriter", "Checkpoint", "read_checkpoint", "resume"]

_BIT_GENERATOR = "PCG64"  # what numpy.random.default_rng makes, the only generator a checkpoint holds


def _json_state(state: object) -> object:
    """A bit generator's state with any arrays turned into lists (JSON-ready)."""
    if isinstance(state, dict):
        return {k: _json_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    if isinstance(state, np.integer):
        return int(state)
    return state


class CheckpointWriter:
    """Writes ``path`` atomically after each epoch; checks at once what could only fail later."""

    def __init__(
        self,
        path: str | os.PathLike,
        trainer: Trainer,
        cbs: list[Callback],
        rng: np.random.Generator,
        batch_size: int | None,
        shuffle: bool,
        n: int,
    ) -> None:
        name = type(rng.bit_generator).__name__
        if name != _BIT_GENERATOR:
            raise ValueError(
                f"seed: a checkpoint records a {_BIT_GENERATOR} generator (what numpy.random.default_rng "
                f"makes), got a Generator({name}); pass an integer seed or default_rng(...)"
            )
        trainer.optimizer.state_dict()  # a hook that cannot describe itself fails now, not after an epoch
        self.path, self.trainer, self.cbs = path, trainer, cbs
        self.training = {"batch_size": batch_size, "shuffle": bool(shuffle), "n_samples": n}

    def write(self, epoch: int, rng: np.random.Generator) -> None:
        trainer = self.trainer
        opt_meta, opt_arrays = trainer.optimizer.state_dict()
        arrays = {f"optim.{k}": v for k, v in opt_arrays.items()}
        cb_meta = []
        for i, cb in enumerate(self.cbs):
            meta, cb_arrays = cb.state_dict()
            cb_meta.append({"class": type(cb).__name__, "state": meta})
            arrays.update({f"callback.{i}.{k}": v for k, v in cb_arrays.items()})
        state = {
            "epoch": epoch,
            "steps": trainer.steps,
            "base_lr": trainer.base_lr,
            "optimizer": opt_meta,
            "rng": _json_state(rng.bit_generator.state),
            "history": trainer.history.as_dict(),
            "callbacks": cb_meta,
            "training": {
                **self.training, "weight_decay": trainer.weight_decay, "clip_norm": trainer.clip_norm
            },
        }
        io.save_checkpoint(self.path, trainer.net, state, arrays)


# ================================================================ reading


_STATE_FIELDS = ("epoch", "steps", "base_lr", "optimizer", "rng", "history", "callbacks", "training")


class _Fields:
    """Builds the one-line errors of a checkpoint's fields."""

    def __init__(self, path: str | os.PathLike, state: dict) -> None:
        self.path, self.state = path, state

    def error(self, name: str, message: str) -> ValueError:
        return ValueError(f"resume: checkpoint {os.fspath(self.path)!r}, field {name!r}: {message}")

    def get(self, name: str, kind: type | tuple[type, ...]) -> object:
        if name not in self.state:
            raise self.error(name, "missing; the file is not a complete checkpoint")
        value = self.state[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.error(name, f"expected {names}, got {value!r}")
        return value

    def count(self, name: str, low: int) -> int:
        value = self.get(name, int)
        if value < low:
            raise self.error(name, f"expected an integer of at least {low}, got {value!r}")
        return value


@dataclass(frozen=True)
class Checkpoint:
    """A training checkpoint whose every field has been checked (:func:`read_checkpoint`).

    ``network`` (the parameters after ``epoch`` epochs and ``steps`` updates), ``base_lr`` (the rate
    before any schedule), ``optimizer`` (its description: name, hyperparameters, hooks, ``t``) and
    ``optimizer_arrays`` (its state: moments, velocities, ``"slot.key"``), ``rng_state`` (a PCG64 state:
    :meth:`generator` makes the generator), ``history``, ``callbacks`` (``{"class", "state"}`` per
    callback) with their arrays in ``arrays``, ``training`` (batch_size, shuffle, n_samples,
    weight_decay, clip_norm). :func:`resume` takes copies: one Checkpoint resumes any number of runs,
    each the same.
    """

    path: str
    network: Network
    epoch: int
    steps: int
    base_lr: float
    optimizer: dict
    optimizer_arrays: dict[str, np.ndarray]
    rng_state: dict
    history: History
    callbacks: list
    training: dict
    arrays: dict[str, np.ndarray]

    def generator(self) -> np.random.Generator:
        """A new generator in the checkpoint's state: the random numbers the run would have drawn next."""
        bitgen = np.random.PCG64()
        bitgen.state = copy.deepcopy(self.rng_state)
        return np.random.Generator(bitgen)


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read ``path`` (the bounded, validating reader of :func:`nnscratch.io.load_checkpoint`) and check
    every field before any is used; a bad one is a one-line ValueError naming the file and the field.

    >>> import nnscratch
    >>> from nnscratch.training.checkpoint import read_checkpoint
    >>> x, d = nnscratch.datasets.load("xor")
    >>> h = nnscratch.train(nnscratch.Network("2-8-2", output="softmax", seed=0), x, d, epochs=3,
    ...                     optimizer="adam", seed=0, checkpoint="run.npz")
    >>> ck = read_checkpoint("run.npz")
    >>> ck.epoch, ck.optimizer["name"], ck.base_lr
    (3, 'adam', 0.001)
    """
    saved, state, arrays = io.load_checkpoint(path)
    fields = _Fields(path, state)
    if not isinstance(state, dict):
        raise fields.error("checkpoint", f"expected a dict of fields, got {type(state).__name__}")
    unknown = sorted(set(state) - set(_STATE_FIELDS))
    if unknown:
        raise fields.error(unknown[0], f"unknown; a checkpoint holds the fields {', '.join(_STATE_FIELDS)}")
    epoch = fields.count("epoch", 1)
    steps = fields.count("steps", 0)
    base_lr = float(fields.get("base_lr", (int, float)))
    if not (math.isfinite(base_lr) and base_lr > 0):
        raise fields.error("base_lr", f"expected a finite learning rate greater than 0, got {base_lr!r}")
    history = _history(fields, epoch, steps)
    rng_state = _rng_state(fields)
    meta, opt_arrays = _optimizer_state(fields, saved.params, arrays)
    infos = _callback_entries(fields)
    training = _training(fields)
    others = {k: v for k, v in arrays.items() if not k.startswith("optim.")}
    for name in others:
        index = name.split(".")[1] if name.startswith("callback.") and name.count(".") >= 2 else ""
        if not (index.isdigit() and int(index) < len(infos)):
            raise fields.error("callbacks", f"array {name!r} belongs to no callback entry (there are "
                                            f"{len(infos)})")
    return Checkpoint(os.fspath(path), saved, epoch, steps, base_lr, meta, opt_arrays, rng_state, history,
                      infos, training, others)


def _rng_state(fields: _Fields) -> dict:
    """The generator's state: only PCG64, a 128-bit state and increment, the 32-bit buffer."""
    state = fields.get("rng", dict)
    if state.get("bit_generator") != _BIT_GENERATOR:
        got = state.get("bit_generator")
        raise fields.error("rng", f"expected bit_generator {_BIT_GENERATOR!r}, got {got!r}")
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
            "rng", "expected {'bit_generator': 'PCG64', 'state': {'state': int, 'inc': int}, "
            "'has_uint32': 0 or 1, 'uinteger': int} with 128-bit state and inc"
        )
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError) as exc:  # pragma: no cover - the shape above is what PCG64 takes
        raise fields.error("rng", str(exc)) from None
    return copy.deepcopy(state)


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < high


def _history(fields: _Fields, epoch: int, steps: int) -> History:
    data = fields.get("history", dict)
    try:
        history = History.from_dict(data)
    except ValueError as exc:  # its own message starts "history: "; the field is named once
        raise fields.error("history", str(exc).removeprefix("history: ")) from None
    if history.epochs != epoch or len(history.lr) != epoch:
        raise fields.error("history", f"expected {epoch} epochs of loss and lr (the epoch field), got "
                                      f"{history.epochs} and {len(history.lr)}")
    if history.steps != steps:
        raise fields.error("history", f"expected steps {steps} (the steps field), got {history.steps}")
    if history.stopped_epoch not in (None, epoch):
        raise fields.error("history", f"expected stopped_epoch None or {epoch}, got {history.stopped_epoch}")
    return history


def _optimizer_state(
    fields: _Fields, params: dict[str, np.ndarray], arrays: dict[str, np.ndarray]
) -> tuple[dict, dict[str, np.ndarray]]:
    """The optimizer's description and state arrays, checked against the checkpoint's own network and
    by a fresh optimizer of the named kind (its constructor's checks, its slots, its hooks). A name that
    is no built-in optimizer's (a subclass of one's own) is checked by the run's optimizer in
    :func:`resume`, before anything changes."""
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
        # the parameters' dtype, as the optimizer would make it (non-float arrays are refused below)
        state[slot_key] = a.astype(params[key].dtype, copy=False) if a.dtype.kind == "f" else a
    if name in optim.OPTIMIZERS:
        try:
            optim.OPTIMIZERS[name]().load_state_dict(meta, state)
        except ValueError as exc:
            raise fields.error("optimizer", str(exc).removeprefix("optimizer: ")) from None
    return copy.deepcopy(meta), state


def _callback_entries(fields: _Fields) -> list[dict]:
    infos = fields.get("callbacks", list)
    for i, info in enumerate(infos):
        ok = isinstance(info, dict) and isinstance(info.get("class"), str)
        if not (ok and isinstance(info.get("state"), dict) and set(info) == {"class", "state"}):
            want = "{'class': str, 'state': dict}"
            raise fields.error("callbacks", f"entry {i}: expected {want}, got {info!r}")
    return copy.deepcopy(infos)


_TRAINING = {"batch_size", "shuffle", "n_samples", "weight_decay", "clip_norm"}


def _training(fields: _Fields) -> dict:
    """The run's batch settings as written (recorded for the reader; resume takes the run's own)."""
    t = fields.get("training", dict)
    want = ("{'batch_size': int ≥ 1 or None, 'shuffle': bool, 'n_samples': int ≥ 1, 'weight_decay': "
            "number ≥ 0, 'clip_norm': number > 0 or None}")

    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    ok = (
        set(t) == _TRAINING
        and (t["batch_size"] is None or _int_in(t["batch_size"], 1, 2**63))
        and isinstance(t["shuffle"], bool)
        and _int_in(t["n_samples"], 1, 2**63)
        and number(t["weight_decay"]) and t["weight_decay"] >= 0
        and (t["clip_norm"] is None or (number(t["clip_norm"]) and t["clip_norm"] > 0))
    )
    if not ok:
        raise fields.error("training", f"expected {want}, got {t!r}")
    return dict(t)


# ================================================================ resume


def _optimizer(fields: _Fields, ck: Checkpoint, trainer: Trainer) -> None:
    """Loads the checked optimizer state into the run's optimizer: the same kind, the same hooks."""
    meta, opt = ck.optimizer, trainer.optimizer
    if meta["name"] != opt.name and meta["name"] not in optim.OPTIMIZERS:
        raise fields.error("optimizer", f"expected the name of an optimizer, got {meta['name']!r}")
    hooks = meta.get("hooks")
    if opt.hooks and hooks is not None and hooks != [h.state() for h in opt.hooks]:
        raise fields.error(
            "optimizer", f"the checkpoint's hooks are {hooks!r}, this run asks for {opt.hooks!r}; resume "
            f"continues bit for bit with the checkpoint's, so give the same weight_decay and clip_norm, "
            f"or none"
        )
    if meta["name"] != opt.name:  # the run's optimizer= argument, not the file, is to change: its message
        opt.load_state_dict(meta, ck.optimizer_arrays)
    try:  # a built-in kind loaded in read_checkpoint already; an optimizer of one's own checks it here
        opt.load_state_dict(copy.deepcopy(meta), ck.optimizer_arrays)
    except ValueError as exc:
        raise fields.error("optimizer", str(exc).removeprefix("optimizer: ")) from None


def _callbacks(fields: _Fields, ck: Checkpoint, cbs: list[Callback], params: dict[str, np.ndarray]) -> None:
    for i, (cb, info) in enumerate(zip(cbs, ck.callbacks, strict=False)):
        if info["class"] != type(cb).__name__:
            continue
        prefix = f"callback.{i}."
        own = {k[len(prefix):]: v for k, v in ck.arrays.items() if k.startswith(prefix)}
        try:
            cb.load_state_dict(copy.deepcopy(info["state"]), own)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise fields.error("callbacks", f"entry {i} ({info['class']}): {exc}") from None
        if isinstance(cb, EarlyStopping) and cb.best_params and (
            set(cb.best_params) != set(params)
            or any(cb.best_params[k].shape != p.shape for k, p in params.items())
        ):
            raise fields.error("callbacks", f"entry {i} (EarlyStopping): its best parameters do not fit the "
                                            f"network (arrays {sorted(cb.best_params)})")


def resume(
    checkpoint: str | os.PathLike | Checkpoint, trainer: Trainer, cbs: list[Callback], *, lr: float | None,
    epochs: int
) -> tuple[np.random.Generator, int]:
    """Restore a run from ``checkpoint`` (a path, or a :class:`Checkpoint` already read) into ``trainer``
    and ``cbs``: (the generator, the epochs done).

    ``lr`` is train()'s own argument: an explicit rate other than the checkpoint's base rate is refused
    (the rate comes from the checkpoint); ``epochs`` below the epochs already done is refused too.
    """
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else read_checkpoint(checkpoint)
    path, saved, net = ck.path, ck.network, trainer.net
    if saved.architecture() != net.architecture():
        raise ValueError(
            f"resume: the checkpoint {path!r} holds a network {saved.architecture()}, but the network "
            f"being trained is {net.architecture()}; build the same architecture to resume"
        )
    fields = _Fields(path, {})
    if lr is not None and float(lr) != ck.base_lr:
        raise ValueError(
            f"lr: the checkpoint {path!r} trains with lr={ck.base_lr!r} and resume continues it bit "
            f"for bit, got lr={lr!r}; pass lr=None to continue with the checkpoint's lr={ck.base_lr!r}"
        )
    if epochs < ck.epoch:
        raise ValueError(
            f"epochs: the checkpoint {path!r} has completed {ck.epoch} epochs, got epochs={epochs}; "
            f"expected the total number of epochs, at least {ck.epoch}"
        )
    _optimizer(fields, ck, trainer)
    _callbacks(fields, ck, cbs, net.params)
    for k, p in net.params.items():
        np.copyto(p, saved.params[k])
    trainer.history = copy.deepcopy(ck.history)
    trainer.steps = ck.steps
    trainer.base_lr = ck.base_lr
    return ck.generator(), ck.epoch
