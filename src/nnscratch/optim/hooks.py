"""Gradient hooks (勾配の前処理): changes to the gradients applied just before the update rule.

As Keras's ``weight_decay`` / ``global_clipnorm`` options and DeZero's ``optimizer.add_hook``, a hook
sees every gradient of a step and changes it in place; the rule (SGD, Adam, …) then uses the result.

=====================  ==============================================================================
``WeightDecay(λ)``     荷重減衰 (L2): g_W ← g_W + λ·W for the weights (keys starting with ``"W"``), the
                       gradient of the penalty (λ/2)·‖W‖²; the biases are not decayed
``ClipGradNorm(c)``    勾配クリッピング: g ← g · c / ‖g‖ when the global norm ‖g‖ = √(Σ g²) over all
                       parameters exceeds c; smaller gradients are left as they are
=====================  ==============================================================================

Hooks run in the order they were added. Give them as ``Optimizer(..., hooks=[...])`` or with
``optimizer.add_hook(hook)``; ``Trainer(weight_decay=, clip_norm=)`` adds them for you. They are part
of the optimizer's description in :meth:`~nnscratch.optim.Optimizer.state_dict`, so checkpoints carry
them. With any hook the trainer takes the general path (backward, hooks, update) instead of the fused
SGD/momentum step, whose update never forms the gradients a hook would change.
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch.optim._checks import _check_rate

__all__ = ["GradientHook", "WeightDecay", "ClipGradNorm", "HOOKS", "hook_from_state"]


class GradientHook:
    """Base class: ``hook(params, grads)`` changes the arrays of ``grads`` in place.

    The arrays it gets are scratch buffers (the optimizer's copies, or the network's own gradient
    buffers during training), never a caller's. ``hyperparameters()`` gives the constructor arguments;
    ``name`` is the key of :data:`HOOKS` that rebuilds the hook from a checkpoint.

    >>> import numpy as np
    >>> from nnscratch.optim import SGD, WeightDecay
    >>> params, grads = {"W1": np.ones(2)}, {"W1": np.zeros(2)}
    >>> SGD(lr=0.1, hooks=[WeightDecay(0.5)]).update(params, grads)   # ∂E/∂W + λW
    >>> params["W1"]
    array([0.95, 0.95])
    """

    name = ""

    def __call__(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    def hyperparameters(self) -> dict[str, float]:
        return {}

    def state(self) -> dict:
        """JSON-ready ``{"name": …, "hyperparameters": {…}}`` — :func:`hook_from_state` reverses it."""
        return {"name": self.name or type(self).__name__, "hyperparameters": self.hyperparameters()}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.hyperparameters() == self.hyperparameters()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.hyperparameters().items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class WeightDecay(GradientHook):
    """荷重減衰: g_W ← g_W + λ·W for every weight (keys starting with ``"W"``), not the biases.

    λ·W is the gradient of the L2 penalty (λ/2)·‖W‖² added to the loss; the loss a trainer reports is
    the data loss without it. λ·W is formed in a kept buffer per key, so a step allocates nothing.
    """

    name = "weight_decay"

    def __init__(self, rate: float) -> None:
        self.rate = _check_rate("rate", rate)
        self._scratch: dict[str, np.ndarray] = {}

    def hyperparameters(self) -> dict[str, float]:
        return {"rate": self.rate}

    def __call__(self, params, grads):
        scratch, lam = self._scratch, self.rate
        for key, p in params.items():
            if key[0] != "W":
                continue
            s = scratch.get(key)
            if s is None or s.shape != p.shape or s.dtype != p.dtype:
                s = scratch[key] = np.empty_like(p)
            np.multiply(p, lam, out=s)
            grads[key] += s


class ClipGradNorm(GradientHook):
    """勾配クリッピング: g ← g · c / ‖g‖ when ‖g‖ = √(Σ over all parameters of Σ g²) exceeds c.

    One norm over every gradient (the global norm, as PyTorch's ``clip_grad_norm_`` and Keras's
    ``global_clipnorm``), so the step keeps its direction and only its length is capped.
    """

    name = "clip_grad_norm"

    def __init__(self, max_norm: float) -> None:
        self.max_norm = _check_rate("max_norm", max_norm)

    def hyperparameters(self) -> dict[str, float]:
        return {"max_norm": self.max_norm}

    def __call__(self, params, grads):
        total = 0.0
        for g in grads.values():
            total += float(np.vdot(g, g))
        norm = math.sqrt(total)
        if norm > self.max_norm:
            scale = self.max_norm / norm
            for g in grads.values():
                g *= scale


HOOKS: dict[str, type[GradientHook]] = {cls.name: cls for cls in (WeightDecay, ClipGradNorm)}


def hook_from_state(state: object) -> GradientHook:
    """The hook that :meth:`GradientHook.state` described; its settings pass the constructor's checks.

    >>> from nnscratch.optim import ClipGradNorm
    >>> hook_from_state(ClipGradNorm(1.0).state()).max_norm
    1.0
    """
    if not isinstance(state, dict) or not isinstance(state.get("name"), str):
        raise ValueError(f"hooks: expected {{'name': …, 'hyperparameters': {{…}}}} per hook, got {state!r}")
    cls = HOOKS.get(state["name"])
    if cls is None:
        raise ValueError(
            f"hooks: unknown hook {state['name']!r}; expected one of {', '.join(map(repr, HOOKS))} (a custom "
            f"hook is kept when the optimizer already has an equal one before loading)"
        )
    hp = state.get("hyperparameters")
    if not isinstance(hp, dict):
        raise ValueError(f"hooks: {state['name']!r}: expected a dict of hyperparameters, got {hp!r}")
    try:
        return cls(**hp)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"hooks: {state['name']!r}: {exc}") from None
