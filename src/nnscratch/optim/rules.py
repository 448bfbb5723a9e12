"""The update rules (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam) and :func:`create`."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnscratch.optim._checks import _check_rate
from nnscratch.optim.base import Optimizer
from nnscratch.optim.hooks import GradientHook

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "create", "OPTIMIZERS"]

_NO_HOOKS: tuple[GradientHook, ...] = ()


class SGD(Optimizer):
    """確率的勾配降下法: W ← W − η·g."""

    name = "sgd"

    def __init__(self, lr: float = 0.01, *, hooks: Iterable[GradientHook] = _NO_HOOKS) -> None:
        super().__init__(lr, hooks=hooks)

    def step(self, p, g, state):
        p -= self.lr * g


class Momentum(Optimizer):
    """モメンタム: v ← μ·v − η·g;  W ← W + v (v starts at 0).

    The velocity v carries the learning rate inside it, as in 『ゼロから作るDeep Learning』 and the course
    (and Sutskever et al. 2013). PyTorch's ``SGD(momentum=μ)`` keeps b ← μ·b + g and steps W ← W − η·b
    instead. With a constant η the two are the same run (v = −η·b). They differ when η changes during
    training (a schedule, or ``trainer.lr = …``): here the new η applies to new gradients only and the
    velocity built with the old η decays away over about 1/(1 − μ) steps; in PyTorch the new η rescales
    the whole accumulated velocity at once. We keep the course's form so that the numbers a learner
    computes by hand match; when comparing with PyTorch under a schedule, expect this difference.
    """

    name = "momentum"
    slots = ("v",)

    def __init__(
        self, lr: float = 0.01, momentum: float = 0.9, *, hooks: Iterable[GradientHook] = _NO_HOOKS
    ) -> None:
        super().__init__(lr, hooks=hooks)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)

    def hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum}

    def step(self, p, g, state):
        v = state["v"]
        v[...] = self.momentum * v - self.lr * g
        p += v


class Nesterov(Momentum):
    """Nesterov の加速勾配法: v ← μ·v − η·g;  W ← W + μ·v − η·g (the look-ahead step, with the new v).

    Equivalent to ゼロから作るDeep Learning's W ← W + μ²·v_old − (1 + μ)·η·g. Momentum's settings and
    state, its own step (so the trainer's momentum shortcut does not apply to it).
    """

    name = "nesterov"

    def step(self, p, g, state):
        v = state["v"]
        v[...] = self.momentum * v - self.lr * g
        p += self.momentum * v - self.lr * g


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + g²;  W ← W − η·g / (√h + ε) — each weight's step shrinks with its history.

    ε = 1e-7 by default, added to √h as in 『ゼロから作るDeep Learning』 and Keras. PyTorch's ``Adagrad``
    uses ε = 1e-10 in the same place; pass ``eps=1e-10`` to reproduce it. ε matters only while √h is
    that small (the first steps of a weight with tiny gradients), where a larger ε takes smaller steps.
    """

    name = "adagrad"
    slots = ("h",)

    def __init__(
        self, lr: float = 0.01, eps: float = 1e-7, *, hooks: Iterable[GradientHook] = _NO_HOOKS
    ) -> None:
        super().__init__(lr, hooks=hooks)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "eps": self.eps}

    def step(self, p, g, state):
        h = state["h"]
        h += g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: h ← ρ·h + (1 − ρ)·g²;  W ← W − η·g / (√h + ε) — AdaGrad with a forgetting average.

    ρ = ``decay_rate`` = 0.99 and ε = 1e-7 by default (『ゼロから作るDeep Learning』, Keras's ε). PyTorch's
    ``RMSprop`` has the same update with α = ρ = 0.99 and ε = 1e-8 (pass ``eps=1e-8`` to match);
    ε only matters while √h is that small.
    """

    name = "rmsprop"
    slots = ("h",)

    def __init__(
        self,
        lr: float = 0.01,
        decay_rate: float = 0.99,
        eps: float = 1e-7,
        *,
        hooks: Iterable[GradientHook] = _NO_HOOKS,
    ) -> None:
        super().__init__(lr, hooks=hooks)
        self.decay_rate = _check_rate("decay_rate", decay_rate, 0.0, 1.0)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "decay_rate": self.decay_rate, "eps": self.eps}

    def step(self, p, g, state):
        h = state["h"]
        h[...] = self.decay_rate * h + (1 - self.decay_rate) * g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam: moment estimates m (of g) and v (of g²) with bias correction (1 − βᵗ).

    t ← t + 1;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    W ← W − η·m̂ / (√v̂ + ε)  with  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)  (as in PyTorch and Keras).
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        hooks: Iterable[GradientHook] = _NO_HOOKS,
    ) -> None:
        super().__init__(lr, hooks=hooks)
        self.beta1 = _check_rate("beta1", beta1, 0.0, 1.0)
        self.beta2 = _check_rate("beta2", beta2, 0.0, 1.0)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def step(self, p, g, state):
        m, v = state["m"], state["v"]
        m[...] = self.beta1 * m + (1 - self.beta1) * g
        v[...] = self.beta2 * v + (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1**self.t)  # bias correction (t: this update's number)
        v_hat = v / (1 - self.beta2**self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam)
}


def create(optimizer: str | Optimizer = "sgd", lr: float | None = None, **kwargs: object) -> Optimizer:
    """An optimizer from its name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``) or an existing instance (returned as is; ``lr`` then replaces its rate).

    ``lr=None`` keeps the optimizer's default learning rate (0.01, Adam 0.001); ``kwargs`` (``momentum``,
    ``hooks``, …) go to the constructor.

    >>> create("adam").lr, create("momentum", lr=0.1, momentum=0.8).momentum
    (0.001, 0.8)
    """
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = _check_rate("lr", lr)
        if kwargs:
            raise TypeError(f"optimizer: options {sorted(kwargs)} apply only when optimizer is a name")
        return optimizer
    if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZERS:
        raise ValueError(
            f"optimizer: unknown optimizer {optimizer!r}; expected one of "
            f"{', '.join(map(repr, OPTIMIZERS))} or an nnscratch.optim.Optimizer"
        )
    cls = OPTIMIZERS[optimizer.lower()]
    if lr is not None:
        kwargs["lr"] = lr
    return cls(**kwargs)
