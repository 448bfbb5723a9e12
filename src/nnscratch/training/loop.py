"""Training (学習): the course's Section 4 — gradient descent over epochs, online and mini-batch.

:func:`train` runs epochs (エポック) over a data set, made of three parts: the batches of an epoch
(:mod:`~nnscratch.training.batches`: ``batch_size=None`` full-batch gradient descent, バッチ勾配降下法;
``1`` online SGD, 確率的勾配降下法 / オンライン学習; ``k`` mini-batch gradient descent,
ミニバッチ勾配降下法), one optimizer step per batch (:class:`~nnscratch.training.trainer.Trainer`), and
the callbacks and guards around each epoch (progress, divergence, checkpoints).

The loss of an epoch is the sample-weighted mean of its batch losses, each recorded before that batch's
update, as the course's loop records ``loss = network.loss(x_batch, d_batch)``; ``accuracy`` likewise.
``val_loss`` and ``val_accuracy`` are evaluated on ``validation_data`` at the end of the epoch.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from nnscratch import _display, optim
from nnscratch._accel import threads
from nnscratch._validation import _all_finite
from nnscratch.callbacks import Callback
from nnscratch.network import Sequential
from nnscratch.training.batches import Batches
from nnscratch.training.checkpoint import CheckpointWriter
from nnscratch.training.checkpoint import resume as resume_run
from nnscratch.training.guards import (
    DivergenceGuard,
    ProgressPrinter,
    baseline_loss,
    trend_warnings,
)
from nnscratch.training.history import DivergenceError, DivergenceWarning, History
from nnscratch.training.options import Counter, EpochLog, TrainOptions, callbacks_list, make_rng
from nnscratch.training.trainer import Trainer, check_writable

__all__ = ["train"]


def train(
    net: Sequential,
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
    - ``weight_decay`` λ (荷重減衰, L2 on the weights, not the biases) and ``clip_norm`` (勾配クリッピング,
      global gradient norm) become the optimizer's hooks :class:`~nnscratch.optim.WeightDecay` and
      :class:`~nnscratch.optim.ClipGradNorm` (see :class:`Trainer`).
    - ``checkpoint=path`` writes a checkpoint (parameters, optimizer state and hooks, epoch, random
      state, history, callbacks) atomically after every epoch; ``resume=path`` continues from one bit
      for bit, up to ``epochs`` in total. The learning rate then comes from the checkpoint (pass
      ``lr=None`` or the same rate); a run that stopped early stays stopped and returns its history.
    - Divergence: a NaN/inf loss, non-finite parameters, or an epoch loss above ``divergence_factor`` ×
      the first batch's loss raises :class:`DivergenceError`, with the network restored to its
      parameters at the end of the last good epoch. A run that ends with a loss far above where it
      started, or rising for several epochs, warns (:class:`~nnscratch.training.DivergenceWarning`,
      also kept in ``History.warnings``) with a suggested smaller rate.
    - ``verbose=True``: in a notebook a progress bar and a live loss curve (with the lab installed),
      elsewhere one line per epoch; accuracy as a percentage.

    >>> import nnscratch
    >>> x, d = nnscratch.datasets.load("xor")
    >>> net = nnscratch.Network("2-8-2", hidden="tanh", output="softmax", seed=0)
    >>> history = nnscratch.train(net, x, d, optimizer="adam", lr=0.05, epochs=30, seed=0)
    >>> history.epochs, history.accuracy[-1] > 0.9
    (30, True)
    """
    options = TrainOptions(**{k: v for k, v in locals().items() if k not in ("net", "x", "d")})
    return _Run(net, x, d, options).run()


class _Run:
    """One call of :func:`train`: what it set up from its arguments, then its epochs."""

    def __init__(self, net: Sequential, x: object, d: object, o: TrainOptions) -> None:
        self.net, self.options = net, o
        self.trainer = trainer = Trainer(net, o.optimizer, o.lr, weight_decay=o.weight_decay,
                                         clip_norm=o.clip_norm)
        check_writable(net)
        self.x, _ = net.check_x(x, finite=False)  # NaN/inf: Batches checks them
        self.d = net.check_d(d, self.x.shape[0])
        self.log = EpochLog(net, self.d, o.metrics, o.validation_data)
        trainer.has_validation = self.log.validation is not None
        self.rng = make_rng(o.seed)
        self.cbs = callbacks_list(o.callbacks)
        if o.verbose:  # a notebook's live view (the lab's, through _display) or plain lines
            self.cbs.append(_display.live_progress(o.epochs) or ProgressPrinter(o.epochs))
        self.start = 0
        if o.resume is not None:
            self.rng, self.start = resume_run(o.resume, trainer, self.cbs, lr=o.lr, epochs=o.epochs)
        # a run that stopped early stays stopped
        self.last = self.start if trainer.history.stopped_epoch is not None else o.epochs
        self.batches = Batches(self.x, self.d, self.log.truth, o.batch_size, o.shuffle)
        self.writer = None
        if o.checkpoint is not None:
            self.writer = CheckpointWriter(o.checkpoint, trainer, self.cbs, self.rng, o.batch_size, o.shuffle,
                                           self.x.shape[0])

    def run(self) -> History:
        trainer = self.trainer
        for cb in self.cbs:
            cb.on_train_begin(trainer)
        trainer.stop_training = False
        self.guard = DivergenceGuard(trainer, self.options.divergence_factor, keep_start=self.batches.verify)
        flops = _step_flops(self.net, self.options.batch_size or self.batches.n)
        try:
            # divergence is detected and reported by the guard; NumPy's overflow warnings would only be
            # noise; a small network's products run on one BLAS thread (more cannot pay)
            with np.errstate(over="ignore", invalid="ignore"), threads.fitting(flops):
                for epoch in range(self.start + 1, self.last + 1):
                    if self.epoch(epoch):
                        break
        except BaseException:  # a divergence, Ctrl-C: callbacks close what they opened, the error goes on
            _abort(self.cbs, trainer)
            raise
        if self.last - self.start >= 3:  # fewer epochs show no trend
            _warn_trend(trainer.history, baseline_loss(self.net, self.d))
        for cb in self.cbs:
            cb.on_train_end(trainer)
        return trainer.history

    def epoch(self, epoch: int) -> bool:
        """One epoch with its callbacks, guards and checkpoint; True when training is to stop."""
        trainer, history, batches = self.trainer, self.trainer.history, self.batches
        for cb in self.cbs:
            cb.on_epoch_begin(epoch, trainer)
        lr_used = trainer.optimizer.lr
        t0 = time.perf_counter()
        loss, total, correct = _run_epoch(trainer, batches.epoch(self.rng), self.log.count)
        try:
            self.guard.check(epoch, loss, total / batches.n, lr_used)
        except DivergenceError:
            # the epoch that first visits every row: NaN/inf in x, not the learning rate, may be the cause
            if batches.verify and not _all_finite(self.x):
                self.guard.reject_x(self.x)  # everything back as the call found it, and x's error
            raise
        logs = self.log.record(history, total, correct, lr_used, t0)
        history.steps = trainer.steps
        for cb in self.cbs:
            cb.on_epoch_end(epoch, logs, trainer)
        self.guard.commit()
        batches.verify = False  # every row has been checked
        if trainer.stop_training:
            history.stopped_epoch = epoch  # before the checkpoint: resuming it trains no more
        if self.writer is not None:
            self.writer.write(epoch, self.rng)
        return trainer.stop_training


def _step_flops(net: Sequential, batch: int) -> float:
    """The largest dense layer's FLOPs in a training step of ``batch`` rows (6·N·n_in·n_out: x·W, xᵀ·δ,
    δ·Wᵀ); infinite for a stack with other weights (convolution), which keeps its threads."""
    weights = [p for key, p in net.params.items() if key.startswith("W")]
    if not weights or any(np.ndim(w) != 2 for w in weights):
        return math.inf
    return max(6 * batch * np.size(w) for w in weights)


def _abort(cbs: list[Callback], trainer: Trainer) -> None:
    """Each callback's ``on_train_abort`` (duck-typed callbacks may lack it); their own errors are
    dropped so that the run's error is the one reported."""
    for cb in cbs:
        try:
            getattr(cb, "on_train_abort", lambda trainer: None)(trainer)
        except Exception:  # noqa: BLE001 - the run's own error is the one to report
            pass


def _warn_trend(history: History, baseline: float) -> None:
    """Keep, and warn of, a loss that ended far above where it started or kept rising (once per run)."""
    for message in trend_warnings(history, baseline):
        if message not in history.warnings:
            history.warnings.append(message)
            warnings.warn(message, DivergenceWarning, stacklevel=3)


def _run_epoch(trainer: Trainer, batches, count: Counter | None) -> tuple[float, float, int]:
    """The steps of one epoch: (the last batch loss, Σ batch loss × rows, correct answers).

    Stops at the first non-finite loss (its batch was not applied), which the caller reports.
    """
    step = trainer._step
    out_layer = trainer.output_layer
    isfinite = math.isfinite
    total = 0.0
    correct = 0
    loss = 0.0
    for xb, db, tb, m in batches:
        loss = step(xb, db)
        if not isfinite(loss):
            break
        total += loss * m
        if tb is not None:
            correct += count(tb, out_layer)
    return loss, total, correct
