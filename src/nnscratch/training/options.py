"""train()'s arguments checked and turned into what the loop uses (one clear error per bad argument)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnscratch.callbacks import Callback, _EpochFunction
from nnscratch.network import Sequential
from nnscratch.network.shapes import chunk_rows

__all__ = ["TrainOptions", "check_loop_options", "make_rng", "callbacks_list", "EpochLog", "accuracy_setup",
           "evaluate"]

_EVAL_CHUNK = 4096  # rows per forward pass at most when evaluating validation data

Counter = Callable[[np.ndarray, object], int]  # (truth, the output layer after a forward pass) -> #correct


@dataclass(frozen=True)
class TrainOptions:
    """:func:`~nnscratch.train`'s keyword arguments in one object (see its docstring for each)."""

    optimizer: object = "sgd"
    lr: float | None = None
    epochs: int = 10
    batch_size: int | None = 32
    shuffle: bool = True
    seed: object = None
    validation_data: object = None
    callbacks: object = None
    metrics: object = "auto"
    weight_decay: float = 0.0
    clip_norm: float | None = None
    checkpoint: str | None = None
    resume: str | None = None
    verbose: bool = False
    divergence_factor: float = 1e6

    def __post_init__(self) -> None:  # the loop's own numbers, checked once (the rest where they are used)
        epochs = check_loop_options(self.epochs, self.batch_size, self.shuffle, self.divergence_factor)
        object.__setattr__(self, "epochs", epochs)


def check_loop_options(epochs: object, batch_size: object, shuffle: object, divergence_factor: object) -> int:
    """Checks ``epochs``, ``batch_size``, ``shuffle`` and ``divergence_factor``; returns epochs as an int."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs: expected a positive integer, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size: expected None (full batch), 1 (online) or a positive integer, got {batch_size!r}"
        )
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle: expected True or False, got {shuffle!r}")
    if isinstance(divergence_factor, bool) or not isinstance(divergence_factor, (int, float)) or not (
        divergence_factor > 1
    ):
        raise ValueError(f"divergence_factor: expected a number greater than 1, got {divergence_factor!r}")
    return int(epochs)


def make_rng(seed: object) -> np.random.Generator:
    """The run's generator: ``seed`` itself when it is one, else ``numpy.random.default_rng(seed)``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed: expected an integer, a numpy Generator or None, got {seed!r}")


def callbacks_list(callbacks: object) -> list[Callback]:
    """Callbacks as a list, a plain function ``f(epoch, logs)`` wrapped as one."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    if not isinstance(callbacks, Sequence):
        raise TypeError(f"callbacks: expected a list of callbacks, got {type(callbacks).__name__}")
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(_EpochFunction(cb))
        else:
            raise TypeError(
                "callbacks: expected nnscratch callbacks or functions f(epoch, logs), got "
                f"{type(cb).__name__}"
            )
    return out


class EpochLog:
    """What an epoch records: the loss, accuracy for a classifier (``metrics``), validation metrics.

    ``truth`` / ``count`` are what the loop counts correct answers with (None when accuracy is not
    recorded); :meth:`record` appends an epoch to the history and returns the callbacks' ``logs``.
    """

    def __init__(self, net: Sequential, d: np.ndarray, metrics: object, validation_data: object) -> None:
        self.net = net
        self.track_acc = bool(_metric_names(net, metrics))
        self.truth, self.count, self.units = accuracy_setup(net, d) if self.track_acc else (None, None, 1)
        self.n = d.shape[0]
        self.validation = _validation_setup(net, validation_data, self.track_acc)

    def record(self, history, total: float, correct: int, lr: float, t0: float) -> dict[str, float]:
        """Appends the epoch (loss Σ/N, accuracy, validation, lr, seconds since ``t0``) to ``history``."""
        epoch_loss = total / self.n
        logs = {"loss": epoch_loss}
        history.loss.append(epoch_loss)
        if self.track_acc:
            logs["accuracy"] = correct / (self.n * self.units)
            history.accuracy.append(logs["accuracy"])
        if self.validation is not None:
            xv, dv, truth_v = self.validation
            val_loss, val_acc = evaluate(self.net, xv, dv, truth_v, self.count, self.units)
            logs["val_loss"] = val_loss
            history.val_loss.append(val_loss)
            if self.track_acc:
                logs["val_accuracy"] = val_acc
                history.val_accuracy.append(val_acc)
        logs["lr"] = lr
        history.lr.append(lr)
        history.epoch_time.append(time.perf_counter() - t0)
        return logs


def _metric_names(net: Sequential, metrics: object) -> tuple[str, ...]:
    """The metrics to record besides the loss: ``"auto"`` is accuracy for a classifier."""
    if metrics == "auto":
        names = () if net.output == "identity" else ("accuracy",)
    elif isinstance(metrics, str):
        names = (metrics,)
    else:
        names = tuple(metrics)
    for m in names:
        if m != "accuracy":
            raise ValueError(f"metrics: unknown metric {m!r}; expected 'auto', 'accuracy' or ()")
        if net.output == "identity":
            raise ValueError("metrics: 'accuracy' needs a classification output ('sigmoid' or 'softmax'), "
                             "this network's output is 'identity' (regression)")
    return names


def accuracy_setup(net: Sequential, d: np.ndarray) -> tuple[np.ndarray, Counter, int]:
    """(truth array per sample, count(truth, output layer) -> #correct, units per sample) for a classifier."""
    if net.output == "softmax":
        truth = d if d.ndim == 1 else np.argmax(d, axis=1)

        def count(t, layer):
            pred = getattr(layer, "row_argmax", None)  # the twin's softmax found it already
            if pred is None:
                pred = layer.y.argmax(axis=1)
            return int(np.count_nonzero(pred == t))

        return truth, count, 1
    truth = d >= 0.5  # sigmoid: 0/1 labels, one column per label

    def count(t, layer):
        return int(np.count_nonzero((layer.y >= 0.5) == t))

    return truth, count, d.shape[1]


def _validation_setup(
    net: Sequential, validation_data: object, track_acc: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """(x_val, d_val, truth_val or None) checked, or None without validation data."""
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError("validation_data: expected a pair (x_val, d_val)")
    xv, _ = net.check_x(validation_data[0], name="validation_data x")
    try:
        dv = net.check_d(validation_data[1], xv.shape[0])
    except ValueError as exc:
        raise ValueError(f"validation_data {exc}") from None
    return xv, dv, accuracy_setup(net, dv)[0] if track_acc else None


def evaluate(
    net: Sequential, x: np.ndarray, d: np.ndarray, truth, count: Counter | None, units: int
) -> tuple[float, float | None]:
    """Mean loss (and accuracy) of the network on validated data, in chunks of rows."""
    n = x.shape[0]
    total = 0.0
    correct = 0
    rows = min(_EVAL_CHUNK, chunk_rows(net, x.shape[1:]))  # a conv net's feature maps: fewer rows
    for s in range(0, n, rows):
        e = min(s + rows, n)
        out = net._evaluated(x[s:e])
        total += out.loss(d[s:e]) * (e - s)
        if count is not None:
            correct += count(truth[s:e], out)
    return total / n, (correct / (n * units) if count is not None else None)
