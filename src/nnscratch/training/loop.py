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
from nnscratch.callbacks import Callback
from nnscratch.network import Sequential
from nnscratch.training.batches import Batches, NonFiniteBatch
from nnscratch.training.checkpoint import CheckpointWriter
from nnscratch.training.checkpoint import resume as resume_run
from nnscratch.training.guards import (
    DivergenceGuard,
    ProgressPrinter,
    baseline_loss,
    trend_warnings,
)
from nnscratch.training.history import DivergenceWarning, History
from nnscratch.training.options import Counter, EpochLog, callbacks_list, check_loop_options, make_rng
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
    trainer = Trainer(net, optimizer, lr, weight_decay=weight_decay, clip_norm=clip_norm)
    epochs = check_loop_options(epochs, batch_size, shuffle, divergence_factor)
    check_writable(net)
    x2, _ = net.check_x(x, finite=False)  # NaN/inf: Batches checks them
    d2 = net.check_d(d, x2.shape[0])
    log = EpochLog(net, d2, metrics, validation_data)
    trainer.has_validation = log.validation is not None
    rng = make_rng(seed)
    cbs = callbacks_list(callbacks)
    if verbose:  # a notebook's live view (the lab's, through _display) or plain lines
        cbs.append(_display.live_progress(epochs) or ProgressPrinter(epochs))
    start = 0
    if resume is not None:
        rng, start = resume_run(resume, trainer, cbs, lr=lr, epochs=epochs)
    last = start if trainer.history.stopped_epoch is not None else epochs  # a stopped run stays stopped
    batches = Batches(x2, d2, log.truth, batch_size, shuffle)
    writer = None
    if checkpoint is not None:
        writer = CheckpointWriter(checkpoint, trainer, cbs, rng, batch_size, shuffle, x2.shape[0])

    for cb in cbs:
        cb.on_train_begin(trainer)
    trainer.stop_training = False
    guard = DivergenceGuard(trainer, divergence_factor, keep_start=batches.verify)
    history = trainer.history
    try:
        # divergence is detected and reported by the guard; NumPy's overflow warnings would only be noise
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(start + 1, last + 1):
                for cb in cbs:
                    cb.on_epoch_begin(epoch, trainer)
                lr_used = trainer.optimizer.lr
                t0 = time.perf_counter()
                try:
                    loss, total, correct = _run_epoch(trainer, batches.epoch(rng), log.count)
                except NonFiniteBatch:
                    guard.reject_x(x2)
                guard.check(epoch, loss, total / batches.n, lr_used)
                logs = log.record(history, total, correct, lr_used, t0)
                history.steps = trainer.steps

                for cb in cbs:
                    cb.on_epoch_end(epoch, logs, trainer)
                guard.commit()
                batches.verify = False  # every row has been checked
                if trainer.stop_training:
                    history.stopped_epoch = epoch  # before the checkpoint: resuming it trains no more
                if writer is not None:
                    writer.write(epoch, rng)
                if trainer.stop_training:
                    break
    except BaseException:  # a divergence, Ctrl-C: callbacks close what they opened, the error goes on
        _abort(cbs, trainer)
        raise

    if last - start >= 3:  # fewer epochs show no trend
        _warn_trend(history, baseline_loss(net, d2))
    for cb in cbs:
        cb.on_train_end(trainer)
    return history


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
            correct += count(out_layer.y, tb)
    return loss, total, correct
