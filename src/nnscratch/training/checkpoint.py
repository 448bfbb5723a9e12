"""Checkpoints of a training run: written after every epoch (エポック), resumed bit for bit.

A checkpoint (:func:`nnscratch.io.save_checkpoint`, ``.npz`` + JSON, never pickle) holds the network,
the optimizer's description and state (its hooks — 荷重減衰, 勾配クリッピング — among its settings), the
epoch, the step count, the base learning rate, the random generator's state, the history and every
callback's state. Resuming checks each field before anything changes: a missing or wrong-typed entry,
an impossible count, a learning rate or decay constant the optimizer's constructor refuses, or a
random generator other than NumPy's default PCG64 is a one-line ValueError naming the file and the
field. A run that stopped early (early stopping) is recorded as stopped, and resuming it trains no
more epochs.
"""

from __future__ import annotations

import math
import os

import numpy as np

from nnscratch import io, optim
from nnscratch.callbacks import Callback, EarlyStopping
from nnscratch.training.history import History
from nnscratch.training.trainer import Trainer

__all__ = ["CheckpointWriter", "resume"]

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


# ================================================================ resume


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


def _rng(fields: _Fields) -> np.random.Generator:
    """The generator from its state: only PCG64, a 128-bit state and increment, the 32-bit buffer."""
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
    bitgen = np.random.PCG64()
    bitgen.state = state
    return np.random.Generator(bitgen)


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < high


def _history(fields: _Fields, epoch: int, steps: int) -> History:
    try:
        history = History.from_dict(fields.get("history", dict))
    except ValueError as exc:
        raise fields.error("history", str(exc)) from None
    if history.epochs != epoch or len(history.lr) != epoch:
        raise fields.error("history", f"expected {epoch} epochs of loss and lr (the epoch field), got "
                                      f"{history.epochs} and {len(history.lr)}")
    if history.steps != steps:
        raise fields.error("history", f"expected steps {steps} (the steps field), got {history.steps}")
    if history.stopped_epoch not in (None, epoch):
        raise fields.error("history", f"expected stopped_epoch None or {epoch}, got {history.stopped_epoch}")
    return history


def _optimizer(fields: _Fields, trainer: Trainer, arrays: dict[str, np.ndarray]) -> None:
    """Loads the optimizer (its own checks), after checking its arrays against the parameters."""
    meta = fields.get("optimizer", dict)
    opt = trainer.optimizer
    name = meta.get("name")
    if not isinstance(name, str) or (name != opt.name and name not in optim.OPTIMIZERS):
        raise fields.error("optimizer", f"expected the name of an optimizer, got {name!r}")
    hooks = meta.get("hooks")
    if opt.hooks and hooks is not None and hooks != [h.state() for h in opt.hooks]:
        raise fields.error(
            "optimizer", f"the checkpoint's hooks are {hooks!r}, this run asks for {opt.hooks!r}; resume "
            f"continues bit for bit with the checkpoint's, so give the same weight_decay and clip_norm, "
            f"or none"
        )
    params = trainer.net.params
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
    if name != opt.name:  # the run's optimizer= argument, not the file, is to change: its own message
        opt.load_state_dict(meta, state)
    try:
        opt.load_state_dict(meta, state)
    except ValueError as exc:
        raise fields.error("optimizer", str(exc).removeprefix("optimizer: ")) from None


def _callbacks(
    fields: _Fields, cbs: list[Callback], arrays: dict[str, np.ndarray], params: dict[str, np.ndarray]
) -> None:
    infos = fields.get("callbacks", list)
    for i, info in enumerate(infos):
        ok = isinstance(info, dict) and isinstance(info.get("class"), str)
        if not (ok and isinstance(info.get("state"), dict)):
            want = "{'class': str, 'state': dict}"
            raise fields.error("callbacks", f"entry {i}: expected {want}, got {info!r}")
    for i, (cb, info) in enumerate(zip(cbs, infos, strict=False)):
        if info["class"] != type(cb).__name__:
            continue
        prefix = f"callback.{i}."
        own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        try:
            cb.load_state_dict(info["state"], own)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise fields.error("callbacks", f"entry {i} ({info['class']}): {exc}") from None
        if isinstance(cb, EarlyStopping) and cb.best_params and (
            set(cb.best_params) != set(params)
            or any(cb.best_params[k].shape != p.shape for k, p in params.items())
        ):
            raise fields.error("callbacks", f"entry {i} (EarlyStopping): its best parameters do not fit the "
                                            f"network (arrays {sorted(cb.best_params)})")


def resume(
    path: str | os.PathLike, trainer: Trainer, cbs: list[Callback], *, lr: float | None, epochs: int
) -> tuple[np.random.Generator, int]:
    """Restore a run from ``path`` into ``trainer`` and ``cbs``: (the generator, the epochs done).

    ``lr`` is train()'s own argument: an explicit rate other than the checkpoint's base rate is refused
    (the rate comes from the checkpoint); ``epochs`` below the epochs already done is refused too.
    """
    saved, state, arrays = io.load_checkpoint(path)
    net = trainer.net
    if saved.architecture() != net.architecture():
        raise ValueError(
            f"resume: the checkpoint {str(path)!r} holds a network {saved.architecture()}, but the network "
            f"being trained is {net.architecture()}; build the same architecture to resume"
        )
    fields = _Fields(path, state)
    epoch = fields.count("epoch", 1)
    steps = fields.count("steps", 0)
    base_lr = float(fields.get("base_lr", (int, float)))
    if not (math.isfinite(base_lr) and base_lr > 0):
        raise fields.error("base_lr", f"expected a finite learning rate greater than 0, got {base_lr!r}")
    history = _history(fields, epoch, steps)
    rng = _rng(fields)
    if lr is not None and float(lr) != base_lr:
        raise ValueError(
            f"lr: the checkpoint {os.fspath(path)!r} trains with lr={base_lr!r} and resume continues it bit "
            f"for bit, got lr={lr!r}; pass lr=None to continue with the checkpoint's lr={base_lr!r}"
        )
    if epochs < epoch:
        raise ValueError(
            f"epochs: the checkpoint {os.fspath(path)!r} has completed {epoch} epochs, got epochs={epochs}; "
            f"expected the total number of epochs, at least {epoch}"
        )
    _optimizer(fields, trainer, arrays)
    _callbacks(fields, cbs, arrays, net.params)
    for k, p in net.params.items():
        np.copyto(p, saved.params[k])
    trainer.history = history
    trainer.steps = steps
    trainer.base_lr = base_lr
    return rng, epoch
