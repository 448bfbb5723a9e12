"""Training (学習): the course's Section 4 — gradient descent over epochs, online and mini-batch.

- :class:`Trainer` — one optimizer step at a time on whatever batch arrives: online learning
  (オンライン学習, the model updated as each new record comes in, like POS or weather data).
- :func:`train` — epochs over a data set: ``batch_size=None`` is full-batch gradient descent
  (バッチ勾配降下法, one step per epoch), ``1`` online SGD (確率的勾配降下法), ``k`` mini-batch gradient
  descent (ミニバッチ勾配降下法, the standard method). With ``shuffle`` each epoch (エポック) walks a
  fresh permutation, so every sample is used exactly once; the last, smaller batch is used too.
- callbacks (in :mod:`nnscratch.callbacks`, re-exported here): :class:`EarlyStopping` and the
  learning-rate schedules :class:`StepDecay`, :class:`ExponentialDecay`, :class:`CosineDecay`,
  :class:`LambdaSchedule`.
- :class:`DivergenceError` — raised when the loss becomes NaN/inf or explodes (学習率が大きすぎる).

The loss of an epoch is the sample-weighted mean of its batch losses, each recorded before that batch's
update, as the course's loop records ``loss = network.loss(x_batch, d_batch)``; ``accuracy`` likewise.
``val_loss`` and ``val_accuracy`` are evaluated on ``validation_data`` at the end of the epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nnscratch import optim
from nnscratch._fast import fused_step
from nnscratch._validation import _all_finite, check_finite, check_inputs
from nnscratch.callbacks import (
    Callback,
    CosineDecay,
    EarlyStopping,
    ExponentialDecay,
    LambdaSchedule,
    LRSchedule,
    StepDecay,
    _EpochFunction,
)
from nnscratch.network import Network

__all__ = [
    "train",
    "Trainer",
    "History",
    "DivergenceError",
    "Callback",
    "EarlyStopping",
    "LRSchedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "LambdaSchedule",
]

_EVAL_CHUNK = 4096  # rows per forward pass when evaluating validation data


# ================================================================ errors and history


class DivergenceError(ValueError):
    """Training diverged (発散): the loss became NaN/inf or exploded — usually a learning rate too large.

    ``epoch``, ``loss`` and ``lr`` describe where it happened; ``history`` holds the completed epochs.
    """

    def __init__(self, message: str, *, epoch: int | None, loss: float, lr: float, history: History | None):
        super().__init__(message)
        self.epoch = epoch
        self.loss = loss
        self.lr = lr
        self.history = history


@dataclass(eq=True)
class History:
    """Per-epoch record of a training run: each attribute is a list with one value per epoch.

    ``loss`` / ``accuracy`` are means over the epoch's batches (each before its update),
    ``val_loss`` / ``val_accuracy`` are measured on the validation data at the epoch's end (empty without
    ``validation_data``; the accuracies are empty for regression), ``lr`` is the learning rate used.
    ``steps`` counts optimizer updates; ``stopped_epoch`` / ``best_epoch`` are set by early stopping.
    Two runs with the same seed compare equal (``epoch_time`` is left out of the comparison).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    steps: int = 0
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    epoch_time: list[float] = field(default_factory=list, compare=False)

    _LISTS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time")

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)

    def __len__(self) -> int:
        return self.epochs

    def __getitem__(self, name: str) -> list[float]:
        if name not in self._LISTS:
            raise KeyError(f"history: no metric {name!r}; expected one of {', '.join(self._LISTS)}")
        return getattr(self, name)

    def as_dict(self) -> dict:
        """A JSON-ready dict (lists of floats, counts) — :meth:`from_dict` reverses it."""
        out: dict = {name: list(getattr(self, name)) for name in self._LISTS}
        out.update(steps=self.steps, stopped_epoch=self.stopped_epoch, best_epoch=self.best_epoch)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> History:
        h = cls()
        for name in cls._LISTS:
            setattr(h, name, [float(v) for v in data.get(name, [])])
        h.steps = int(data.get("steps", 0))
        h.stopped_epoch = data.get("stopped_epoch")
        h.best_epoch = data.get("best_epoch")
        return h

    def __repr__(self) -> str:
        parts = [f"epochs={self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={values[-1]:.6g}")
        parts.append(f"steps={self.steps}")
        if self.stopped_epoch is not None:
            parts.append(f"stopped_epoch={self.stopped_epoch}")
        return f"History({', '.join(parts)})"


# ================================================================ the trainer (one step at a time)


class Trainer:
    """Online learning (オンライン学習): ``step(x, d)`` = one forward, backward and update.

    >>> import numpy as np, nnscratch
    >>> net = nnscratch.Network([2, 10, 1], hidden="relu", output="identity", seed=0)
    >>> trainer = nnscratch.Trainer(net, optimizer="sgd", lr=0.07)
    >>> loss = trainer.step([0.5, 0.25], [2.0])   # one record arrives: learn from it at once

    ``weight_decay`` λ adds the L2 penalty's gradient λ·W to the weights' gradients (荷重減衰; the
    biases are not decayed; the reported loss is the data loss without the penalty). ``clip_norm``
    rescales the gradients when their global norm ‖g‖ = √(Σ g²) over all parameters exceeds it
    (勾配クリッピング).
    """

    def __init__(
        self,
        net: Network,
        optimizer: str | optim.Optimizer = "sgd",
        lr: float | None = None,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        if not isinstance(net, Network):
            raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")
        if not net.differentiable:
            bad = [h for h, a in zip(net.hidden, net.activations, strict=True) if not a.differentiable]
            raise ValueError(
                f"hidden: {bad[0]!r} activation has no usable gradient (its derivative is 0 wherever it "
                f"exists), so this network cannot be trained; use 'sigmoid', 'relu' or 'tanh'"
            )
        self.net = net
        self.optimizer = optim.create(optimizer, lr)
        self.base_lr = self.optimizer.lr  # what learning-rate schedules scale
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float, np.number)) or not (
            math.isfinite(weight_decay) and weight_decay >= 0
        ):
            raise ValueError(
                f"weight_decay: expected a non-negative number (e.g. 1e-4), got {weight_decay!r}"
            )
        self.weight_decay = float(weight_decay)
        if clip_norm is not None:
            if isinstance(clip_norm, bool) or not isinstance(clip_norm, (int, float, np.number)) or not (
                math.isfinite(clip_norm) and clip_norm > 0
            ):
                raise ValueError(f"clip_norm: expected a positive number or None, got {clip_norm!r}")
            clip_norm = float(clip_norm)
        self.clip_norm = clip_norm
        self.steps = 0
        self.history = History()
        self.stop_training = False  # callbacks set this to end train() after the current epoch
        self.has_validation = False
        self._decay_scratch: dict[str, np.ndarray] = {}

    @property
    def lr(self) -> float:
        """The optimizer's current learning rate (schedules change it between epochs)."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
            math.isfinite(value) and value >= 0
        ):
            raise ValueError(f"lr: expected a finite non-negative learning rate, got {value!r}")
        self.optimizer.lr = float(value)

    def step(self, x: object, d: object) -> float:
        """Learn from one batch (or one 1-D sample): returns its loss before the update.

        Raises :class:`DivergenceError` (and leaves the network as it was) if that loss is NaN or inf.
        """
        x2, _ = self.net.check_x(x)
        d2 = self.net.check_d(d, x2.shape[0])
        _check_writable(self.net)
        with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported, not warned about
            loss = self._step(x2, d2)
        if not math.isfinite(loss):
            lr = self.optimizer.lr
            raise DivergenceError(
                f"training diverged at step {self.steps + 1}: the loss is {loss:g} with learning rate "
                f"lr={lr:g}; the update was not applied — try a smaller learning rate, e.g. lr={lr / 10:g}",
                epoch=None,
                loss=loss,
                lr=lr,
                history=None,
            )
        return loss

    def _step(self, x: np.ndarray, d: np.ndarray) -> float:
        """One step on validated arrays; a non-finite loss returns at once, with no update."""
        net = self.net
        net._forward(x)
        loss = net.output_layer.loss(d)
        if not math.isfinite(loss):
            return loss
        opt = self.optimizer
        rate = None if self.weight_decay or self.clip_norm is not None else opt._fold_rate()
        if rate is not None:  # plain SGD or momentum: back-propagating η·δ updates each layer as it goes
            fold = opt._fold_velocities(net.params)
            if fold is None:
                fused_step(net, d, rate)
            else:
                fused_step(net, d, rate, fold[0], fold[1])
            opt.t += 1
            self.steps += 1
            return loss
        grads = net._backward(d)
        if self.weight_decay:
            self._add_weight_decay(grads)
        if self.clip_norm is not None:
            self._clip(grads)
        opt._update_buffers(net.params, grads)  # grads are the network's scratch buffers
        self.steps += 1
        return loss

    def _add_weight_decay(self, grads: dict[str, np.ndarray]) -> None:
        """∂/∂W of (λ/2)·‖W‖²: g_W ← g_W + λ·W, weights only."""
        params, scratch, lam = self.net.params, self._decay_scratch, self.weight_decay
        for key, p in params.items():
            if key[0] != "W":
                continue
            s = scratch.get(key)
            if s is None or s.shape != p.shape or s.dtype != p.dtype:
                s = scratch[key] = np.empty_like(p)
            np.multiply(p, lam, out=s)
            grads[key] += s

    def _clip(self, grads: dict[str, np.ndarray]) -> None:
        """g ← g · c / ‖g‖ when the global norm ‖g‖ exceeds c."""
        total = 0.0
        for g in grads.values():
            total += float(np.vdot(g, g))
        norm = math.sqrt(total)
        if norm > self.clip_norm:
            scale = self.clip_norm / norm
            for g in grads.values():
                g *= scale


# ================================================================ callbacks


class _Printer(Callback):
    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs, trainer):
        width = len(str(self.epochs))
        parts = [f"epoch {epoch:>{width}}/{self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if name in logs:
                parts.append(f"{name} {logs[name]:.4f}")
        parts.append(f"lr {logs['lr']:.3g}")
        parts.append(f"{trainer.history.epoch_time[-1]:.2f}s")
        print("  ".join(parts), flush=True)


# ================================================================ train()


def _accuracy_setup(net: Network, d: np.ndarray):
    """(truth array per sample, counter(y, truth) -> #correct, units per sample) for a classifier."""
    if net.output == "softmax":
        truth = d if d.ndim == 1 else np.argmax(d, axis=1)

        def count(y, t):
            return int(np.count_nonzero(y.argmax(axis=1) == t))  # the method: no wrapper per batch

        return truth, count, 1
    truth = d >= 0.5  # sigmoid: 0/1 labels, one column per label

    def count(y, t):
        return int(np.count_nonzero((y >= 0.5) == t))

    return truth, count, d.shape[1]


def _evaluate(net: Network, x: np.ndarray, d: np.ndarray, truth, count, units) -> tuple[float, float | None]:
    """Mean loss (and accuracy) of the network on validated data, in chunks of rows."""
    n = x.shape[0]
    out = net.output_layer
    total = 0.0
    correct = 0
    for s in range(0, n, _EVAL_CHUNK):
        e = min(s + _EVAL_CHUNK, n)
        net._forward(x[s:e])
        total += out.loss(d[s:e]) * (e - s)
        if count is not None:
            correct += count(out.y, truth[s:e])
    return total / n, (correct / (n * units) if count is not None else None)


def _check_epochs(epochs: object) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs: expected a positive integer, got {epochs!r}")
    return int(epochs)


def _callbacks_list(callbacks: object) -> list[Callback]:
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


def train(
    net: Network,
    x: object,
    d: object,
    *,
    optimizer: str | optim.Optimizer = "sgd",
    lr: float | None = None,
    epochs: int = 10,
    batch_size: int | None = 32,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    validation_data: tuple[object, object] | None = None,
    callbacks: Sequence[Callback | Callable] | None = None,
    metrics: str | Sequence[str] = "auto",
    weight_decay: float = 0.0,
    clip_norm: float | None = None,
    checkpoint: str | None = None,
    resume: str | None = None,
    verbose: bool = False,
    divergence_factor: float = 1e6,
) -> History:
    """Train ``net`` on (x, d) by gradient descent (勾配降下法) and return the :class:`History`.

    - ``optimizer``: a name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
      ``"adam"``) or an :mod:`nnscratch.optim` instance (its state carries over between calls);
      ``lr=None`` keeps its default rate.
    - ``batch_size``: ``None`` full batch (one step per epoch), ``1`` online SGD, ``k`` mini-batches of
      k (the last one smaller when k does not divide N). ``shuffle`` draws a new permutation per epoch
      from ``numpy.random.default_rng(seed)``; the same seed gives the same run bit for bit.
    - ``validation_data=(x_val, d_val)`` adds ``val_loss`` (and ``val_accuracy``) per epoch.
    - ``metrics="auto"`` records accuracy for classification outputs; ``()`` records the loss only.
    - ``callbacks``: :class:`EarlyStopping`, schedules, or functions ``f(epoch, logs)``.
    - ``weight_decay`` (L2 on the weights, not the biases) and ``clip_norm`` (global gradient norm).
    - ``checkpoint=path`` writes a checkpoint (parameters, optimizer state, epoch, random state, history)
      atomically after every epoch; ``resume=path`` continues from one, up to ``epochs`` in total.
    - Divergence: a NaN/inf loss, non-finite parameters, or an epoch loss above ``divergence_factor`` ×
      the first batch's loss raises :class:`DivergenceError`, with the network restored to its
      parameters at the end of the last good epoch.
    """
    trainer = Trainer(net, optimizer, lr, weight_decay=weight_decay, clip_norm=clip_norm)
    epochs = _check_epochs(epochs)
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

    _check_writable(net)
    x2, _ = check_inputs(x, net.sizes[0], net.dtype, finite=False)  # NaN/inf: see verify_x below
    n = x2.shape[0]
    d2 = net.check_d(d, n)

    if metrics == "auto":
        metric_names = () if net.output == "identity" else ("accuracy",)
    elif isinstance(metrics, str):
        metric_names = (metrics,)
    else:
        metric_names = tuple(metrics)
    for m in metric_names:
        if m != "accuracy":
            raise ValueError(f"metrics: unknown metric {m!r}; expected 'auto', 'accuracy' or ()")
        if net.output == "identity":
            raise ValueError("metrics: 'accuracy' needs a classification output ('sigmoid' or 'softmax'), "
                             "this network's output is 'identity' (regression)")
    track_acc = bool(metric_names)
    truth, count, units = _accuracy_setup(net, d2) if track_acc else (None, None, 1)

    xv = dv = truth_v = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data: expected a pair (x_val, d_val)")
        xv, _ = check_inputs(validation_data[0], net.sizes[0], net.dtype, name="validation_data x")
        try:
            dv = net.check_d(validation_data[1], xv.shape[0])
        except ValueError as exc:
            raise ValueError(f"validation_data {exc}") from None
        if track_acc:
            truth_v = _accuracy_setup(net, dv)[0]
        trainer.has_validation = True

    if isinstance(seed, np.random.Generator):
        rng = seed
    elif seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        rng = np.random.default_rng(seed)
    else:
        raise TypeError(f"seed: expected an integer, a numpy Generator or None, got {seed!r}")

    cbs = _callbacks_list(callbacks)
    if verbose:
        cbs.append(_Printer(epochs))
    history = trainer.history
    start = 0
    if resume is not None:
        rng, start = _resume(resume, trainer, cbs)
        history = trainer.history

    bs = n if batch_size is None else min(int(batch_size), n)
    gather = shuffle and bs < n  # a full batch needs no permutation: the mean gradient is the same
    online = gather and bs == 1
    # NaN/inf in x: the mini-batch path checks each batch of the first epoch right after gathering it,
    # while its rows are in cache, instead of a separate pass over all of x, which a user who calls
    # train() once per epoch would pay on every call (7 ms on 60,000 × 784, 6 % of a small
    # network's epoch). A bad row undoes the epoch's steps before the error is raised.
    verify_x = gather and not online
    if not verify_x:
        check_finite("x", x2)
    if online:
        xrow = np.empty((1,) + x2.shape[1:], dtype=x2.dtype)
    if gather and not online:
        xbuf = np.empty((bs,) + x2.shape[1:], dtype=x2.dtype)
        dbuf = np.empty((bs,) + d2.shape[1:], dtype=d2.dtype)
        tbuf = None
        if track_acc and truth is not d2:
            tbuf = np.empty((bs,) + truth.shape[1:], dtype=truth.dtype)

    for cb in cbs:
        cb.on_train_begin(trainer)
    trainer.stop_training = False

    params = net.params
    snapshot = {k: p.copy() for k, p in params.items()}  # the last good parameters
    if verify_x:  # what a bad batch of x rolls back to, besides the parameters
        meta, arrays = trainer.optimizer.state_dict()
        start_state = (dict(meta), {k: a.copy() for k, a in arrays.items()}, trainer.steps)
    step = trainer._step
    out_layer = net.output_layer
    isfinite = math.isfinite
    take = np.take
    dot = np.dot
    take_x, take_d = x2.take, d2.take
    ref_loss = history.loss[0] if history.loss else None

    # divergence is detected and reported below; NumPy's overflow warnings on the way would only be noise
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(start + 1, epochs + 1):
            for cb in cbs:
                cb.on_epoch_begin(epoch, trainer)
            lr_used = trainer.optimizer.lr
            t0 = time.perf_counter()
            total = 0.0
            correct = 0
            loss = 0.0
            if online:
                for i in rng.permutation(n).tolist():
                    xrow[0] = x2[i]  # one buffer object for every step: the layers' BLAS calls stay prepared
                    loss = step(xrow, d2[i : i + 1])
                    if not isfinite(loss):
                        break
                    total += loss
                    if track_acc:
                        correct += count(out_layer.y, truth[i : i + 1])
            elif gather:
                order = rng.permutation(n)
                for s in range(0, n, bs):
                    idx = order[s : s + bs]
                    m = idx.shape[0]
                    # ndarray.take: no wrapper; a full batch lands in xbuf itself, the same object
                    # every step, so the layers' BLAS calls reuse its address
                    xb = take_x(idx, axis=0, out=xbuf if m == bs else xbuf[:m], mode="clip")
                    # Σ x² is finite only if every element is (the errstate is already set here)
                    if verify_x and not (isfinite(dot(xb.reshape(-1), xb.reshape(-1))) or _all_finite(xb)):
                        _reject_x(trainer, snapshot, start_state, x2)
                    db = take_d(idx, axis=0, out=dbuf[:m], mode="clip")
                    loss = step(xb, db)
                    if not isfinite(loss):
                        break
                    total += loss * m
                    if track_acc:
                        tb = db if tbuf is None else take(truth, idx, axis=0, out=tbuf[:m], mode="clip")
                        correct += count(out_layer.y, tb)
            else:
                for s in range(0, n, bs):
                    e = s + bs if s + bs < n else n
                    loss = step(x2[s:e], d2[s:e])
                    if not isfinite(loss):
                        break
                    total += loss * (e - s)
                    if track_acc:
                        correct += count(out_layer.y, truth[s:e])
            if not isfinite(loss):
                _diverge(trainer, snapshot, epoch, loss, lr_used, "the loss became")
            epoch_loss = total / n
            if ref_loss is None:
                ref_loss = epoch_loss
            if ref_loss > 0 and epoch_loss > divergence_factor * ref_loss:
                what = (
                    f"the loss exploded (above {divergence_factor:g} × the first epoch's {ref_loss:.4g}) to"
                )
                _diverge(trainer, snapshot, epoch, epoch_loss, lr_used, what)
            if not all(np.isfinite(p).all() for p in params.values()):
                _diverge(trainer, snapshot, epoch, math.inf, lr_used, "the parameters overflowed, the loss")

            logs = {"loss": epoch_loss}
            history.loss.append(epoch_loss)
            if track_acc:
                logs["accuracy"] = correct / (n * units)
                history.accuracy.append(logs["accuracy"])
            if xv is not None:
                val_loss, val_acc = _evaluate(net, xv, dv, truth_v, count, units)
                logs["val_loss"] = val_loss
                history.val_loss.append(val_loss)
                if track_acc:
                    logs["val_accuracy"] = val_acc
                    history.val_accuracy.append(val_acc)
            logs["lr"] = lr_used
            history.lr.append(lr_used)
            history.steps = trainer.steps
            history.epoch_time.append(time.perf_counter() - t0)

            for cb in cbs:
                cb.on_epoch_end(epoch, logs, trainer)
            for k, p in params.items():
                np.copyto(snapshot[k], p)
            verify_x = False  # every row has been checked
            if checkpoint is not None:
                _write_checkpoint(checkpoint, trainer, epoch, rng, cbs, batch_size, shuffle, n)
            if trainer.stop_training:
                history.stopped_epoch = epoch
                break

    for cb in cbs:
        cb.on_train_end(trainer)
    return history


def _check_writable(net: Network) -> None:
    """Training updates the parameter arrays in place: a read-only one is refused before any step."""
    for key, p in net.params.items():
        if not p.flags.writeable:
            raise ValueError(
                f"params[{key!r}] is read-only (as np.load(..., mmap_mode='r') gives), and training "
                f"updates the parameters in place; give the network writable copies first, e.g. "
                f"net.params[{key!r}] = net.params[{key!r}].copy()"
            )


def _reject_x(trainer: Trainer, snapshot: dict, start_state: tuple, x: np.ndarray) -> None:
    """A gathered batch held NaN/inf: put the parameters, the optimizer and the step count back as
    they were when train() was called, then raise the input error naming the first bad element."""
    for k, p in trainer.net.params.items():
        np.copyto(p, snapshot[k])
    meta, arrays, steps = start_state
    trainer.optimizer.load_state_dict(meta, arrays)
    trainer.steps = steps
    check_finite("x", x)
    raise AssertionError("unreachable: a batch of x was not finite but x is")  # pragma: no cover


def _diverge(trainer: Trainer, snapshot: dict, epoch: int, loss: float, lr: float, what: str) -> None:
    for k, p in trainer.net.params.items():
        np.copyto(p, snapshot[k])
    last = trainer.history.epochs
    where = f"after epoch {last}" if last else "from before training"
    raise DivergenceError(
        f"training diverged in epoch {epoch}: {what} {loss:.4g} with learning rate lr={lr:g}; the network "
        f"keeps its last finite parameters ({where}) — try a smaller learning rate, e.g. lr={lr / 10:g}",
        epoch=epoch,
        loss=loss,
        lr=lr,
        history=trainer.history,
    )


# ================================================================ checkpoints


def _json_state(state: object) -> object:
    """A bit generator's state with any arrays turned into lists (JSON-ready)."""
    if isinstance(state, dict):
        return {k: _json_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    if isinstance(state, np.integer):
        return int(state)
    return state


def _write_checkpoint(path, trainer: Trainer, epoch: int, rng, cbs, batch_size, shuffle, n) -> None:
    from nnscratch import io

    opt_meta, opt_arrays = trainer.optimizer.state_dict()
    arrays = {f"optim.{k}": v for k, v in opt_arrays.items()}
    cb_meta = []
    for i, cb in enumerate(cbs):
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
            "batch_size": batch_size,
            "shuffle": bool(shuffle),
            "weight_decay": trainer.weight_decay,
            "clip_norm": trainer.clip_norm,
            "n_samples": n,
        },
    }
    io.save_checkpoint(path, trainer.net, state, arrays)


def _resume(path, trainer: Trainer, cbs: list[Callback]) -> tuple[np.random.Generator, int]:
    from nnscratch import io

    saved, state, arrays = io.load_checkpoint(path)
    net = trainer.net
    if saved.architecture() != net.architecture():
        raise ValueError(
            f"resume: the checkpoint {str(path)!r} holds a network {saved.architecture()}, but the network "
            f"being trained is {net.architecture()}; build the same architecture to resume"
        )
    for k, p in net.params.items():
        np.copyto(p, saved.params[k])
    trainer.optimizer.load_state_dict(
        state["optimizer"], {k[len("optim."):]: v for k, v in arrays.items() if k.startswith("optim.")}
    )
    rng_state = state["rng"]
    bitgen_cls = getattr(np.random, rng_state.get("bit_generator", "PCG64"), None)
    if bitgen_cls is None:
        name = rng_state.get("bit_generator")
        raise ValueError(f"resume: unknown random generator {name!r} in {str(path)!r}")
    bitgen = bitgen_cls()
    bitgen.state = rng_state
    trainer.history = History.from_dict(state["history"])
    trainer.steps = int(state["steps"])
    trainer.base_lr = float(state["base_lr"])
    for i, (cb, info) in enumerate(zip(cbs, state.get("callbacks", []), strict=False)):
        if info.get("class") == type(cb).__name__:
            prefix = f"callback.{i}."
            cb.load_state_dict(info.get("state", {}), {
                k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)
            })
    return np.random.Generator(bitgen), int(state["epoch"])
