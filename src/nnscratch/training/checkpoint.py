"""Checkpoints of a training run: written after every epoch (エポック), resumed bit for bit.

A checkpoint (:func:`nnscratch.io.save_checkpoint`, ``.npz`` + JSON, never pickle) holds the network,
the optimizer's description and state (its hooks — 荷重減衰, 勾配クリッピング — among its settings), the
epoch, the step count, the base learning rate, the random generator's state, the history, every
callback's state and the run's batch settings; its schema is :mod:`nnscratch.files.checkpoint`.
:func:`read_checkpoint` is the one reader: it checks every field before any is used — a missing,
unknown or wrong-typed entry, an impossible count, a learning rate or decay constant the optimizer's
constructor refuses, state arrays that do not fit the network, or a random generator other than
NumPy's default PCG64 is a one-line ValueError naming the file and the field, once — and returns a
:class:`Checkpoint`. :func:`resume` then checks what depends on the run (the architecture, ``lr``,
``epochs``, the optimizer's kind and hooks, the callbacks' states) before anything changes. A run
that stopped early (early stopping) is recorded as stopped, and resuming it trains no more epochs.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nnscratch import io, optim
from nnscratch.callbacks import Callback, EarlyStopping
from nnscratch.files.checkpoint import BIT_GENERATOR, Fields, checkpoint_fields
from nnscratch.training.history import History
from nnscratch.training.trainer import Trainer

if TYPE_CHECKING:  # pragma: no cover - typing only
    from nnscratch.network import Network

__all__ = ["CheckpointWriter", "Checkpoint", "read_checkpoint", "resume"]


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
        if name != BIT_GENERATOR:
            raise ValueError(
                f"seed: a checkpoint records a {BIT_GENERATOR} generator (what numpy.random.default_rng "
                f"makes), got a Generator({name}); pass an integer seed or default_rng(...)"
            )
        trainer.optimizer.state_dict()  # a hook that cannot describe itself fails now, not after an epoch
        self.path, self.trainer, self.cbs = path, trainer, cbs
        self.training = {"batch_size": batch_size, "shuffle": bool(shuffle), "n_samples": n}

    def write(self, epoch: int, rng: np.random.Generator) -> None:
        trainer = self.trainer
        gens = trainer.net.generators()
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
            # the layers' own generators (dropout's masks), so that a resumed run draws the same masks
            **({"layer_rngs": [_json_state(g.bit_generator.state) for g in gens]} if gens else {}),
            "history": trainer.history.as_dict(),
            "callbacks": cb_meta,
            "training": {
                **self.training, "weight_decay": trainer.weight_decay, "clip_norm": trainer.clip_norm
            },
        }
        io.save_checkpoint(self.path, trainer.net, state, arrays)


# ================================================================ reading


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
    layer_rng_states: list = field(default_factory=list)

    def generator(self) -> np.random.Generator:
        """A new generator in the checkpoint's state: the random numbers the run would have drawn next."""
        bitgen = np.random.PCG64()
        bitgen.state = copy.deepcopy(self.rng_state)
        return np.random.Generator(bitgen)


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read ``path`` (the bounded, validating reader of :func:`nnscratch.io.load_checkpoint`) and check
    every field (:func:`nnscratch.files.checkpoint.checkpoint_fields`) before any is used; a bad one is
    a one-line ValueError naming the file and the field.

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
    f = checkpoint_fields(path, state, saved.params, arrays)
    fields = Fields(path, state)
    history = _history(fields, f["history"], f["epoch"], f["steps"])
    meta, name = f["optimizer"], f["optimizer"]["name"]
    if name in optim.OPTIMIZERS:  # a built-in kind checks its own state; one's own is checked in resume
        try:
            optim.OPTIMIZERS[name]().load_state_dict(meta, f["optimizer_arrays"])
        except ValueError as exc:
            raise fields.error("optimizer", str(exc).removeprefix("optimizer: ")) from None
    return Checkpoint(os.fspath(path), saved, f["epoch"], f["steps"], f["base_lr"], meta,
                      f["optimizer_arrays"], f["rng"], history, f["callbacks"], f["training"], f["arrays"],
                      f["layer_rngs"])


def _history(fields: Fields, data: dict, epoch: int, steps: int) -> History:
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


# ================================================================ resume


def _optimizer(fields: Fields, ck: Checkpoint, trainer: Trainer) -> None:
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


def _callbacks(fields: Fields, ck: Checkpoint, cbs: list[Callback], params: dict[str, np.ndarray]) -> None:
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
    fields = Fields(path, {})
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
    generators = net.generators()
    if len(ck.layer_rng_states) != len(generators):
        raise ValueError(f"resume: the checkpoint {path!r} holds {len(ck.layer_rng_states)} layer "
                         f"generators, the network has {len(generators)} (dropout layers); build the same "
                         f"network")
    _optimizer(fields, ck, trainer)
    _callbacks(fields, ck, cbs, net.params)
    for k, p in net.params.items():
        np.copyto(p, saved.params[k])
    net.set_buffers({k: v.copy() for k, v in saved.buffers().items()})  # batch norm's running averages
    for generator, state in zip(generators, ck.layer_rng_states, strict=True):
        generator.bit_generator.state = copy.deepcopy(state)
    trainer.history = copy.deepcopy(ck.history)
    trainer.steps = ck.steps
    trainer.base_lr = ck.base_lr
    return ck.generator(), ck.epoch
