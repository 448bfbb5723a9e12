"""The trainer: one optimizer step at a time (オンライン学習), the unit every training loop is made of."""

from __future__ import annotations

import math

import numpy as np

from nnscratch import optim
from nnscratch._accel import fused_step, linear_rule
from nnscratch.network import Sequential
from nnscratch.training.history import DivergenceError, History

__all__ = ["Trainer", "check_writable"]


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.number))


class Trainer:
    """Online learning (オンライン学習): ``step(x, d)`` = one forward, backward and update.

    >>> import numpy as np, nnscratch
    >>> net = nnscratch.Network([2, 10, 1], hidden="relu", output="identity", seed=0)
    >>> trainer = nnscratch.Trainer(net, optimizer="sgd", lr=0.07)
    >>> loss = trainer.step([0.5, 0.25], [2.0])   # one record arrives: learn from it at once

    ``weight_decay`` λ gives the optimizer a :class:`~nnscratch.optim.WeightDecay` hook, which adds the
    L2 penalty's gradient λ·W to the weights' gradients (荷重減衰; the biases are not decayed; the
    reported loss is the data loss without the penalty). ``clip_norm`` c gives it a
    :class:`~nnscratch.optim.ClipGradNorm` hook, which rescales the gradients when their global norm
    ‖g‖ = √(Σ g²) over all parameters exceeds c (勾配クリッピング). A hook of the same kind the
    optimizer already has is replaced (so a reused optimizer never decays twice); 0 / None add nothing.

    A step runs the network's readable layers in training mode (``net.forward(x, train=True)``,
    ``net.backward(d)``, ``optimizer.update``), or, for a stack the private twin knows
    (``nnscratch._accel``: dense and convolutional stacks), the twin with the same results to
    rounding: on a dense stack plain SGD and momentum without hooks take a fused step (the learning
    rate folded into back-propagation), and every other rule runs in a buffer-reusing form on the
    twin's gradient buffers (``nnscratch._accel.updates``). ``NNSCRATCH_ACCEL=0`` turns the twin off.
    """

    def __init__(
        self,
        net: Sequential,
        optimizer: str | optim.Optimizer = "sgd",
        lr: float | None = None,
        *,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
    ) -> None:
        if not isinstance(net, Sequential):
            raise TypeError(f"net: expected an nnscratch.Network or Sequential, got {type(net).__name__}")
        net.check_trainable()
        if not _is_number(weight_decay) or not (math.isfinite(weight_decay) and weight_decay >= 0):
            raise ValueError(
                f"weight_decay: expected a non-negative number (e.g. 1e-4), got {weight_decay!r}"
            )
        if clip_norm is not None and (
            not _is_number(clip_norm) or not (math.isfinite(clip_norm) and clip_norm > 0)
        ):
            raise ValueError(f"clip_norm: expected a positive number or None, got {clip_norm!r}")
        if weight_decay and (net.l1 or net.l2):
            raise ValueError(
                f"weight_decay: this network already has l1={net.l1:g}, l2={net.l2:g} in its loss; use one "
                f"of the two (weight_decay is a gradient hook outside the loss, l2 the course's penalty)"
            )
        self.net = net
        self.twin = net.twin()  # the fast twin of the network's layers, or None: the readable path
        self.output_layer = net.output_layer if self.twin is None else self.twin.output_layer
        self.optimizer = optim.create(optimizer, lr)
        self.base_lr = self.optimizer.lr  # what learning-rate schedules scale
        if weight_decay:
            self._set_hook(optim.WeightDecay(float(weight_decay)))
        if clip_norm is not None:
            self._set_hook(optim.ClipGradNorm(float(clip_norm)))
        self.steps = 0
        self.history = History()
        self.stop_training = False  # callbacks set this to end train() after the current epoch
        self.has_validation = False

    def _set_hook(self, hook: optim.GradientHook) -> None:
        hooks = self.optimizer.hooks
        for i, h in enumerate(hooks):
            if type(h) is type(hook):
                hooks[i] = hook
                return
        self.optimizer.add_hook(hook)

    def _hook_setting(self, kind: type[optim.GradientHook], name: str) -> float | None:
        for h in self.optimizer.hooks:
            if type(h) is kind:
                return getattr(h, name)
        return None

    @property
    def weight_decay(self) -> float:
        """λ of the optimizer's :class:`~nnscratch.optim.WeightDecay` hook (0.0 without one)."""
        return self._hook_setting(optim.WeightDecay, "rate") or 0.0

    @property
    def clip_norm(self) -> float | None:
        """c of the optimizer's :class:`~nnscratch.optim.ClipGradNorm` hook (None without one)."""
        return self._hook_setting(optim.ClipGradNorm, "max_norm")

    @property
    def lr(self) -> float:
        """The optimizer's current learning rate (schedules change it between epochs)."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not _is_number(value) or not (math.isfinite(value) and value >= 0):
            raise ValueError(f"lr: expected a finite non-negative learning rate, got {value!r}")
        self.optimizer.lr = float(value)

    def step(self, x: object, d: object) -> float:
        """Learn from one batch (or one 1-D sample): returns its loss before the update.

        Raises :class:`DivergenceError` (and leaves the network as it was) if that loss is NaN or inf.
        """
        x2, _ = self.net.check_x(x)
        d2 = self.net.check_d(d, x2.shape[0])
        check_writable(self.net)
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
        if self.twin is not None:
            return self._twin_step(x, d)
        net = self.net
        net._forward(x, train=True)
        loss = net.output_layer.loss(d) + net.penalty()  # the course reports E with its penalty
        if not math.isfinite(loss):
            return loss
        self.optimizer.update(net.params, net._backward(d))
        self.steps += 1
        return loss

    def _twin_step(self, x: np.ndarray, d: np.ndarray) -> float:
        """:meth:`_step` through the twin (the same result to rounding)."""
        twin = self.twin
        twin.forward(x, True)  # training mode (dropout)
        loss = twin.output_layer.loss(d)
        if not math.isfinite(loss):
            return loss
        opt = self.optimizer
        rule = linear_rule(opt, self.net.params) if twin.fuses_linear_rules else None
        if rule is not None:  # plain SGD or momentum: back-propagating η·δ updates each layer as it goes
            fused_step(twin, d, *rule)  # (lr, velocities, momentum)
            opt.t += 1
        else:
            twin.update(opt, self.net.params, twin.backward(d))  # on the twin's own gradient buffers
        self.steps += 1
        return loss


def check_writable(net: Sequential) -> None:
    """Training updates the parameter arrays in place: a read-only one is refused before any step
    (something that is not an array at all gets the network's own error, naming its key)."""
    for key, p in net.params.items():
        if not isinstance(p, np.ndarray):
            net._check_params()
        if not p.flags.writeable:
            raise ValueError(
                f"params[{key!r}] is read-only (as np.load(..., mmap_mode='r') gives), and training "
                f"updates the parameters in place; give the network writable copies first, e.g. "
                f"net.params[{key!r}] = net.params[{key!r}].copy()"
            )
