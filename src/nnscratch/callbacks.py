"""Callbacks (コールバック): hooks that run once per epoch around :func:`nnscratch.train`.

- :class:`EarlyStopping` (早期終了) — stop when the watched metric stops improving, and go back to the
  best epoch's parameters.
- learning-rate schedules (学習率スケジューリング) — :class:`StepDecay`, :class:`ExponentialDecay`,
  :class:`CosineDecay`, :class:`LambdaSchedule`: before epoch e (from 1) they set the optimizer's rate.
- :class:`Callback` — the base class for your own; a plain function ``f(epoch, logs)`` also works.

Callbacks never run inside the per-step loop, so they cost nothing per batch. A callback sees the
:class:`nnscratch.Trainer` (its ``net``, ``optimizer``, ``lr``, ``history``, ``stop_training``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for type hints: training imports this module, not the other way round
    from nnscratch.training import Trainer

__all__ = [
    "Callback",
    "EarlyStopping",
    "LRSchedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "LambdaSchedule",
]


class Callback:
    """Base class: hooks called once per training run or per epoch (never inside the step loop).

    ``epoch`` numbers start at 1. ``logs`` holds the epoch's ``loss``, ``lr`` and, when measured,
    ``accuracy``, ``val_loss``, ``val_accuracy``. Set ``trainer.stop_training = True`` to stop after
    the current epoch. ``state_dict`` / ``load_state_dict`` let checkpoints carry a callback's state.
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        pass

    def on_epoch_begin(self, epoch: int, trainer: Trainer) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, float], trainer: Trainer) -> None:
        pass

    def on_train_end(self, trainer: Trainer) -> None:
        pass

    def on_train_abort(self, trainer: Trainer) -> None:
        """The run stopped with an exception (a divergence, Ctrl-C) instead of reaching
        ``on_train_end``: close what ``on_train_begin`` opened (a progress bar, a file). The exception
        then goes on to the caller."""

    def state_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-ready values, arrays) needed to continue after a resume; empty if stateless."""
        return {}, {}

    def load_state_dict(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        pass


class _EpochFunction(Callback):
    """Wraps a plain function ``f(epoch, logs)`` as an ``on_epoch_end`` callback."""

    def __init__(self, fn: Callable[[int, dict], object]) -> None:
        self.fn = fn

    def on_epoch_end(self, epoch, logs, trainer):
        self.fn(epoch, logs)


class EarlyStopping(Callback):
    """早期終了: stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor="auto"`` watches ``val_loss`` when there is validation data, else ``loss``; names ending in
    ``accuracy`` are maximised, the others minimised. With ``restore_best=True`` the network ends with
    the parameters of its best epoch (recorded in ``history.best_epoch``).

    >>> import nnscratch
    >>> x, d = nnscratch.datasets.load("moons")
    >>> net = nnscratch.Network("2-16-2", output="softmax", seed=0)
    >>> h = nnscratch.train(net, x, d, epochs=200, seed=0, validation_data=(x, d),
    ...                     callbacks=[nnscratch.callbacks.EarlyStopping(patience=3)])
    >>> h.epochs <= 200 and (h.stopped_epoch is None or h.best_epoch <= h.stopped_epoch)
    True
    """

    def __init__(
        self, patience: int = 5, monitor: str = "auto", min_delta: float = 0.0, restore_best: bool = True
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience: expected a positive number of epochs, got {patience!r}")
        allowed = ("auto", "loss", "val_loss", "accuracy", "val_accuracy")
        if monitor not in allowed:
            raise ValueError(f"monitor: unknown metric {monitor!r}; expected one of {', '.join(allowed)}")
        if not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"min_delta: expected a non-negative number, got {min_delta!r}")
        self.patience = int(patience)
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.restore_best = bool(restore_best)
        self._reset()
        self._resumed = False

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_params: dict[str, np.ndarray] = {}

    def on_train_begin(self, trainer):
        if not self._resumed:
            self._reset()
        self._resumed = False
        if self.monitor == "auto":
            self._metric = "val_loss" if trainer.has_validation else "loss"
        else:
            self._metric = self.monitor

    def on_epoch_end(self, epoch, logs, trainer):
        if self._metric not in logs:
            raise ValueError(
                f"monitor: EarlyStopping watches {self._metric!r} but this run records only "
                f"{', '.join(sorted(logs))}; pass validation_data or choose another metric"
            )
        value = logs[self._metric]
        maximise = self._metric.endswith("accuracy")
        if self.best is None:
            improved = True
        elif maximise:
            improved = value > self.best + self.min_delta
        else:
            improved = value < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                for key, p in trainer.net.params.items():
                    buf = self.best_params.get(key)
                    if buf is None or buf.shape != p.shape or buf.dtype != p.dtype:
                        self.best_params[key] = p.copy()
                    else:
                        np.copyto(buf, p)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                trainer.stop_training = True

    def on_train_end(self, trainer):
        trainer.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_params and self.best_epoch != trainer.history.epochs:
            for key, p in trainer.net.params.items():
                np.copyto(p, self.best_params[key])

    def state_dict(self):
        meta = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
        return meta, {f"best.{k}": v for k, v in self.best_params.items()}

    def load_state_dict(self, meta, arrays):
        best, best_epoch, wait = meta.get("best"), meta.get("best_epoch"), meta.get("wait", 0)
        if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float))):
            raise ValueError(f"EarlyStopping: 'best': expected a number or None, got {best!r}")
        for name, value, low in (("best_epoch", best_epoch, 1), ("wait", wait, 0)):
            if (value is not None or name == "wait") and (
                isinstance(value, bool) or not isinstance(value, int) or value < low
            ):
                raise ValueError(
                    f"EarlyStopping: {name!r}: expected an integer of at least {low}, got {value!r}"
                )
        best_params = {}
        for k, v in arrays.items():
            prefix, _, key = k.partition(".")
            if prefix != "best" or not key or not isinstance(v, np.ndarray) or v.dtype.kind != "f":
                raise ValueError(f"EarlyStopping: unexpected array {k!r}; expected float arrays 'best.<key>'")
            best_params[key] = np.array(v)
        self._reset()
        self.best, self.best_epoch, self.wait = best, best_epoch, wait
        self.best_params = best_params
        self._resumed = True


class LRSchedule(Callback):
    """A learning-rate schedule (学習率スケジューリング): before epoch e (from 1) it sets
    lr = ``lr_at(e, base_lr)``, where ``base_lr`` is the learning rate training started with."""

    def lr_at(self, epoch: int, base_lr: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_epoch_begin(self, epoch, trainer):
        trainer.lr = self.lr_at(epoch, trainer.base_lr)


def _positive(name: str, value: object, integer: bool = False) -> float:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not (math.isfinite(value) and value > 0):
        kind = "positive integer" if integer else "positive number"
        raise ValueError(f"{name}: expected a {kind}, got {value!r}")
    return int(value) if integer else float(value)


class StepDecay(LRSchedule):
    """Step decay: lr_e = lr₀ · γ^⌊(e − 1) / step_size⌋ — multiply by γ every ``step_size`` epochs."""

    def __init__(self, step_size: int, gamma: float = 0.5) -> None:
        self.step_size = int(_positive("step_size", step_size, integer=True))
        self.gamma = _positive("gamma", gamma)

    def lr_at(self, epoch, base_lr):
        return base_lr * self.gamma ** ((epoch - 1) // self.step_size)


class ExponentialDecay(LRSchedule):
    """Exponential decay: lr_e = lr₀ · γ^(e − 1)."""

    def __init__(self, gamma: float) -> None:
        self.gamma = _positive("gamma", gamma)

    def lr_at(self, epoch, base_lr):
        return base_lr * self.gamma ** (epoch - 1)


class CosineDecay(LRSchedule):
    """Cosine annealing: lr_e = lr_min + (lr₀ − lr_min)·(1 + cos(π·(e − 1)/T))/2, then lr_min after T.

    ``T`` is ``epochs``, so epoch 1 uses lr₀ and the rate falls smoothly towards ``min_lr``.
    """

    def __init__(self, epochs: int, min_lr: float = 0.0) -> None:
        self.epochs = int(_positive("epochs", epochs, integer=True))
        if not isinstance(min_lr, (int, float)) or not min_lr >= 0:
            raise ValueError(f"min_lr: expected a non-negative number, got {min_lr!r}")
        self.min_lr = float(min_lr)

    def lr_at(self, epoch, base_lr):
        t = min(epoch - 1, self.epochs)
        return self.min_lr + (base_lr - self.min_lr) * (1.0 + math.cos(math.pi * t / self.epochs)) / 2.0


class LambdaSchedule(LRSchedule):
    """Any schedule: ``fn(epoch)`` (epoch from 1) returns the learning rate for that epoch.

    >>> schedule = LambdaSchedule(lambda epoch: 0.1 / epoch)    # η_e = 0.1 / e
    >>> schedule.lr_at(4, base_lr=0.1)
    0.025
    """

    def __init__(self, fn: Callable[[int], float]) -> None:
        if not callable(fn):
            raise TypeError(f"fn: expected a function epoch -> learning rate, got {fn!r}")
        self.fn = fn

    def lr_at(self, epoch, base_lr):
        return float(self.fn(epoch))
