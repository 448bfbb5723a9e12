"""The twin's updates: the readable rules of :mod:`nnscratch.optim` in buffer-reusing forms.

Training through the twin hands the optimizer's rule the twin's own gradient buffers, which may be
overwritten: the hooks change them in place (no copies), and each known rule runs with ``out=`` into a
scratch array per key, so a step allocates nothing. Plain SGD and momentum without hooks are linear in
the gradient: :func:`linear_rule` gives (η, velocities, μ) for :func:`~nnscratch._accel.step.fused_step`,
which folds η into back-propagation. Only the library's own classes (exactly, not a subclass, which may
change the formula) take these forms; any other optimizer gets its own ``apply``. ``tests/test_twin.py``
keeps the results equal to the readable rules.
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch import optim


def linear_rule(opt: optim.Optimizer, params: dict[str, np.ndarray]
                ) -> tuple[float, dict[str, np.ndarray] | None, float] | None:
    """(η, velocities or None, μ) when ``opt`` is plain SGD or momentum without hooks, else None; the
    velocities are the optimizer's own state arrays (zeros at first), changed in place."""
    if opt.hooks or type(opt) not in (optim.SGD, optim.Momentum):
        return None
    if type(opt) is optim.SGD:
        return opt.lr, None, 0.0
    return opt.lr, {key: opt.state_of(key, p)["v"] for key, p in params.items()}, opt.momentum


class Updater:
    """An optimizer's update on scratch gradients, reusing one buffer per parameter key."""

    def __init__(self) -> None:
        self.scratch: dict[str, np.ndarray] = {}

    def __call__(self, opt: optim.Optimizer, params: dict[str, np.ndarray],
                 grads: dict[str, np.ndarray]) -> None:
        for hook in opt.hooks:
            hook(params, grads)  # the twin's buffers: changed in place
        rule = _IN_PLACE.get(type(opt))
        if rule is None:
            opt.apply(params, grads)
            return
        opt.t += 1
        scalars = _adam_scalars(opt) if type(opt) is optim.Adam else None
        for key, p in params.items():
            s = self.scratch.get(key)
            if s is None or s.shape != p.shape or s.dtype != p.dtype:
                s = self.scratch[key] = np.empty_like(p)
            rule(opt, p, grads[key], opt.state_of(key, p), s, scalars)


def _sgd(opt, p, g, st, s, _):
    np.multiply(g, opt.lr, out=g)  # η·g over g itself (a scratch buffer): one pass fewer
    p -= g


def _momentum(opt, p, g, st, s, _):
    v = st["v"]
    np.multiply(g, opt.lr, out=s)
    v *= opt.momentum
    v -= s
    p += v


def _nesterov(opt, p, g, st, s, _):
    v = st["v"]
    np.multiply(g, opt.lr, out=s)  # s = η·g
    v *= opt.momentum
    v -= s  # v = μ·v − η·g
    p -= s
    np.multiply(v, opt.momentum, out=s)
    p += s  # W + μ·v − η·g


def _adagrad(opt, p, g, st, s, _):
    h = st["h"]
    np.multiply(g, g, out=s)
    h += s
    np.sqrt(h, out=s)
    s += opt.eps
    np.divide(g, s, out=s)
    s *= opt.lr
    p -= s


def _rmsprop(opt, p, g, st, s, _):
    h = st["h"]
    np.multiply(g, g, out=s)
    s *= 1.0 - opt.decay_rate
    h *= opt.decay_rate
    h += s
    np.sqrt(h, out=s)
    s += opt.eps
    np.divide(g, s, out=s)
    s *= opt.lr
    p -= s


def _adam_scalars(opt) -> tuple[float, float]:
    """(η / (1 − β₁ᵗ), 1 / √(1 − β₂ᵗ)) of this update."""
    return opt.lr / (1.0 - opt.beta1**opt.t), 1.0 / math.sqrt(1.0 - opt.beta2**opt.t)


def _adam(opt, p, g, st, s, scalars):
    step_size, inv_sqrt_bc2 = scalars
    m, v = st["m"], st["v"]
    m *= opt.beta1
    np.multiply(g, 1.0 - opt.beta1, out=s)
    m += s
    v *= opt.beta2
    np.multiply(g, g, out=s)
    s *= 1.0 - opt.beta2
    v += s
    np.sqrt(v, out=s)
    s *= inv_sqrt_bc2  # √v̂
    s += opt.eps
    np.divide(m, s, out=s)
    s *= step_size  # η·m̂ / (√v̂ + ε)
    p -= s


_IN_PLACE = {optim.SGD: _sgd, optim.Momentum: _momentum, optim.Nesterov: _nesterov, optim.AdaGrad: _adagrad,
             optim.RMSProp: _rmsprop, optim.Adam: _adam}
