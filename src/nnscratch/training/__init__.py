"""Training (学習): the course's Section 4 — gradient descent over epochs (エポック), online and mini-batch.

- :class:`Trainer` — one optimizer step at a time on whatever batch arrives: online learning
  (オンライン学習, the model updated as each new record comes in, like POS or weather data).
- :func:`train` — epochs over a data set: ``batch_size=None`` is full-batch gradient descent
  (バッチ勾配降下法, one step per epoch), ``1`` online SGD (確率的勾配降下法), ``k`` mini-batch gradient
  descent (ミニバッチ勾配降下法, the standard method). With ``shuffle`` each epoch walks a fresh
  permutation, so every sample is used exactly once; the last, smaller batch is used too.
- weight decay (荷重減衰) and gradient clipping (勾配クリッピング): ``weight_decay=`` / ``clip_norm=``, the
  optimizer's hooks :class:`nnscratch.optim.WeightDecay` and :class:`nnscratch.optim.ClipGradNorm`.
- callbacks (in :mod:`nnscratch.callbacks`, re-exported here): :class:`EarlyStopping` and the
  learning-rate schedules :class:`StepDecay`, :class:`ExponentialDecay`, :class:`CosineDecay`,
  :class:`LambdaSchedule`.
- :class:`DivergenceError` — raised when the loss becomes NaN/inf or explodes (学習率が大きすぎる);
  :class:`DivergenceWarning` — a run whose loss ended far above where it started or kept rising.

The parts: :mod:`~nnscratch.training.history` (History, DivergenceError), :mod:`~.trainer` (one step),
:mod:`~.batches` (the batches of an epoch), :mod:`~.loop` (train()), :mod:`~.guards` (progress printer,
divergence guard), :mod:`~.checkpoint` (write and resume), :mod:`~.options` (train()'s arguments).
"""

from __future__ import annotations

from nnscratch.callbacks import (
    Callback,
    CosineDecay,
    EarlyStopping,
    ExponentialDecay,
    LambdaSchedule,
    LRSchedule,
    StepDecay,
)
from nnscratch.training.history import DivergenceError, DivergenceWarning, History
from nnscratch.training.loop import train
from nnscratch.training.trainer import Trainer

__all__ = [
    "train",
    "Trainer",
    "History",
    "DivergenceError",
    "DivergenceWarning",
    "Callback",
    "EarlyStopping",
    "LRSchedule",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "LambdaSchedule",
]
