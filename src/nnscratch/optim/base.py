"""The optimizer base class: ``update(params, grads)`` in place, per-key state, hooks, checkpoints."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnscratch.optim._checks import _check_current_lr, _check_rate
from nnscratch.optim.hooks import GradientHook, hook_from_state

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: ``update(params, grads)`` in place, state per parameter key.

    A rule names its per-key state arrays in ``slots`` and writes its update for one parameter in
    ``step(p, g, state)``, as the textbook writes it. ``hooks`` (:mod:`nnscratch.optim.hooks`) change
    the gradients before the rule. ``state_dict()`` / ``load_state_dict()`` hold everything a
    checkpoint needs to continue bit for bit. ``t`` counts the updates.

    >>> import numpy as np
    >>> from nnscratch.optim import SGD
    >>> params, grads = {"W1": np.ones(2)}, {"W1": np.array([0.5, -0.5])}
    >>> SGD(lr=0.1).update(params, grads)     # W ← W − η ∂E/∂W
    >>> params["W1"]
    array([0.95, 1.05])
    """

    name = ""
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float, *, hooks: Iterable[GradientHook] = ()) -> None:
        self.lr = _check_rate("lr", lr)
        self.t = 0  # number of updates so far
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.hooks: list[GradientHook] = []
        if isinstance(hooks, GradientHook) or not isinstance(hooks, Iterable):
            raise TypeError(f"hooks: expected a list of gradient hooks, got {hooks!r}")
        for hook in hooks:
            self.add_hook(hook)

    def add_hook(self, hook: GradientHook) -> None:
        """Apply ``hook`` to the gradients of every later update, after the hooks already there."""
        if not isinstance(hook, GradientHook):
            raise TypeError(
                f"hook: expected an nnscratch.optim hook (e.g. WeightDecay(1e-4), ClipGradNorm(5.0)), "
                f"got {hook!r}"
            )
        self.hooks.append(hook)

    # ---------------------------------------------------------------- the update

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Change every ``params[key]`` in place using ``grads[key]``; ``grads`` is left as it was
        (the hooks work on copies)."""
        if self.hooks:
            grads = {key: np.array(grads[key]) for key in params}
            for hook in self.hooks:
                hook(params, grads)
        self.apply(params, grads)

    def apply(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """The rule alone (no hooks): t ← t + 1, then ``step`` for every parameter."""
        self.t += 1
        for key, p in params.items():
            self.step(p, grads[key], self.state_of(key, p))

    def state_of(self, key: str, p: np.ndarray) -> dict[str, np.ndarray]:
        """The state arrays of ``params[key]`` (zeros of p's shape and dtype at first, and again when
        the parameter changed shape or dtype)."""
        st = self.state.get(key)
        if st is None or any(a.shape != p.shape or a.dtype != p.dtype for a in st.values()):
            st = self.state[key] = {slot: np.zeros_like(p) for slot in self.slots}
        return st

    def step(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    # ---------------------------------------------------------------- checkpoints

    def hyperparameters(self) -> dict[str, float]:
        """The constructor's numbers, e.g. ``{"lr": 0.01, "momentum": 0.9}`` (the hooks: ``hooks``)."""
        return {"lr": self.lr}

    def state_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-ready description, arrays named ``"slot.key"``) — everything needed to continue."""
        meta = {
            "name": self.name,
            "hyperparameters": self.hyperparameters(),
            "hooks": [hook.state() for hook in self.hooks],
            "t": self.t,
        }
        arrays = {f"{slot}.{key}": a for key, st in self.state.items() for slot, a in st.items()}
        return meta, arrays

    def load_state_dict(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned (the optimizer's kind must match).

        Everything is checked before anything changes: the hyperparameters pass this optimizer's
        constructor checks (``lr`` may be 0, where a schedule can end), ``t`` is a count, the hooks
        are known ones and every array belongs to a slot. A description without ``hooks`` (written
        before hooks existed) keeps the optimizer's own.
        """
        if not isinstance(meta, dict):
            raise ValueError(f"optimizer: expected a dict describing the optimizer, got {meta!r}")
        if meta.get("name") != self.name:
            raise ValueError(
                f"optimizer: the checkpoint was written by {meta.get('name')!r}, this optimizer is "
                f"{self.name!r}; pass optimizer={meta.get('name')!r} to resume it"
            )
        values = self._checked_hyperparameters(meta.get("hyperparameters"))
        t = meta.get("t")
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"optimizer: t (updates so far): expected a non-negative integer, got {t!r}")
        hooks = self._checked_hooks(meta["hooks"]) if "hooks" in meta else self.hooks
        if not isinstance(arrays, dict):
            raise ValueError(f"optimizer: expected a dict of state arrays, got {type(arrays).__name__}")
        state: dict[str, dict[str, np.ndarray]] = {}
        for name, a in arrays.items():
            slot, _, key = str(name).partition(".")
            if slot not in self.slots or not key:
                raise ValueError(
                    f"optimizer: unexpected state array {name!r} for {self.name!r}; expected "
                    f"'<slot>.<key>' with slot one of {self.slots}"
                )
            if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
                got = f"dtype {a.dtype}" if isinstance(a, np.ndarray) else type(a).__name__
                raise ValueError(f"optimizer: state array {name!r}: expected a float array, got {got}")
            state.setdefault(key, {})[slot] = np.array(a)
        for key, st in state.items():
            missing = set(self.slots) - set(st)
            if missing:
                raise ValueError(
                    f"optimizer: state for {key!r} lacks {sorted(missing)}; the checkpoint is incomplete"
                )
        for k, v in values.items():
            setattr(self, k, v)
        self.t = t
        self.hooks = list(hooks)
        self.state = state

    def _checked_hyperparameters(self, hp: object) -> dict[str, float]:
        """``hp`` checked by this optimizer's constructor: exactly its names, each valid."""
        expected = self.hyperparameters()
        if not isinstance(hp, dict) or set(hp) != set(expected):
            raise ValueError(
                f"optimizer: hyperparameters: expected the numbers {', '.join(expected)} for "
                f"{self.name!r}, got {hp!r}"
            )
        lr = _check_current_lr(hp["lr"])
        try:  # the constructor's own checks (lr apart: a schedule may have set it to 0)
            probe = type(self)(**{k: v for k, v in hp.items() if k != "lr"})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"optimizer: {exc}") from None
        values = probe.hyperparameters()
        values["lr"] = lr
        return values

    def _checked_hooks(self, states: object) -> list[GradientHook]:
        if not isinstance(states, list):
            raise ValueError(f"optimizer: hooks: expected a list of hook descriptions, got {states!r}")
        if states == [hook.state() for hook in self.hooks]:
            return self.hooks  # the same hooks: keep these objects (and a custom hook among them)
        return [hook_from_state(s) for s in states]

    def __repr__(self) -> str:
        args = [f"{k}={v!r}" for k, v in self.hyperparameters().items()]
        if self.hooks:
            args.append(f"hooks={self.hooks!r}")
        return f"{type(self).__name__}({', '.join(args)})"
