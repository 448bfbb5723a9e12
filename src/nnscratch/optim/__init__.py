"""Optimizers (最適化手法): the gradient-descent update rules of the course's Section 4 and beyond.

Each optimizer has ``update(params, grads)``, which changes every array of ``params`` **in place**
(the course's ``network[key] -= learning_rate * grad[key]``), and keeps its state (velocities,
squared-gradient sums, Adam's moments) per parameter key. η is the learning rate (学習率), g the
gradient of the batch-mean loss.

=================  ==========================================================================
``SGD``            W ← W − η·g                                              (確率的勾配降下法)
``Momentum``       v ← μ·v − η·g;  W ← W + v                                (モメンタム)
``Nesterov``       v ← μ·v − η·g;  W ← W + μ·v − η·g    (Nesterov accelerated gradient)
``AdaGrad``        h ← h + g²;  W ← W − η·g / (√h + ε)
``RMSProp``        h ← ρ·h + (1 − ρ)·g²;  W ← W − η·g / (√h + ε)
``Adam``           t ← t + 1;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
                   W ← W − η·m̂ / (√v̂ + ε),  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   (bias-corrected)
=================  ==========================================================================

Gradient hooks (:mod:`nnscratch.optim.hooks`) change g before the rule: ``WeightDecay(λ)``
(荷重減衰, g_W ← g_W + λ·W) and ``ClipGradNorm(c)`` (勾配クリッピング, g ← g·c/‖g‖ when ‖g‖ > c), given
as ``SGD(0.1, hooks=[WeightDecay(1e-4)])`` or ``optimizer.add_hook(...)``.

Each rule's ``step(p, g, state)`` is its formula in a few lines, as the textbook writes it; Python
scalars (η, μ, …) take the arrays' own dtype, so float32 parameters stay float32. Training a network
the private twin knows runs the same rules in buffer-reusing forms (``nnscratch._accel.updates``),
tested equal to these.
"""

from __future__ import annotations

from nnscratch.optim.base import Optimizer
from nnscratch.optim.hooks import HOOKS, ClipGradNorm, GradientHook, WeightDecay, hook_from_state
from nnscratch.optim.rules import OPTIMIZERS, SGD, AdaGrad, Adam, Momentum, Nesterov, RMSProp, create

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSProp",
    "Adam",
    "create",
    "OPTIMIZERS",
    "GradientHook",
    "WeightDecay",
    "ClipGradNorm",
    "HOOKS",
    "hook_from_state",
]
