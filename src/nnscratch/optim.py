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

The updates run with ``out=`` into per-key scratch buffers, so a step allocates nothing, and Python
scalars (η, μ, …) are applied in the arrays' own dtype: float32 parameters stay float32.
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch import _backend as B

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "create", "OPTIMIZERS"]


def _check_rate(name: str, value: object, low: float = 0.0, high: float | None = None) -> float:
    """A finite number in (low, high) — or (low, ∞) — for ``lr`` and the decay constants."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v <= low or (high is not None and v >= high):
        where = f"between {low:g} and {high:g} (exclusive)" if high is not None else f"greater than {low:g}"
        raise ValueError(f"{name}: expected a finite number {where}, got {value!r}")
    return v


class Optimizer:
    """Base class: ``update(params, grads)`` in place, state per parameter key.

    Subclasses list the names of their per-key state arrays in ``slots`` and implement
    ``_apply(p, g, state, scratch)``. ``state_dict()`` / ``load_state_dict()`` hold everything a
    checkpoint needs to continue bit for bit.
    """

    name = ""
    slots: tuple[str, ...] = ()

    def __init__(self, lr: float) -> None:
        self.lr = _check_rate("lr", lr)
        self.t = 0  # number of update() calls so far
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._scratch: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- the update

    def update(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Change every ``params[key]`` in place using ``grads[key]``."""
        self.t += 1
        self._begin()
        state, scratch = self.state, self._scratch
        for key, p in params.items():
            g = grads[key]
            st = state.get(key)
            s = scratch.get(key)
            if st is None or s is None or s.shape != p.shape or s.dtype != p.dtype:
                st, s = self._init_key(key, p)
            self._apply(p, g, st, s)

    def _update_buffers(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """:meth:`update` for gradients in scratch buffers that may be overwritten (the network's own,
        as :class:`nnscratch.Trainer` passes them). The result is the same; SGD saves a pass."""
        self.update(params, grads)

    def _fold_rate(self) -> float | None:
        """η when the rule is linear in g — plain SGD, W ← W − η·g, or plain momentum, v ← μ·v − η·g,
        W ← W + v: the trainer then folds η into back-propagation and lets each layer apply its own
        update (``Network._backward_update``, with :meth:`_fold_velocities` for momentum), and counts
        the step in ``t``. None for every other rule."""
        return None

    def _fold_velocities(self, params: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], float] | None:
        """For a folded momentum rule: (the velocity array of every key, μ); None for plain SGD."""
        return None

    def _plain(self, rule: type[Optimizer]) -> bool:
        """True when this optimizer applies ``rule``'s update unchanged; a subclass with its own
        ``_apply`` or ``update`` keeps it, and the trainer takes no shortcut for it."""
        cls = type(self)
        return cls._apply is rule._apply and cls.update is Optimizer.update

    def _begin(self) -> None:
        """Per-update scalars (Adam's bias corrections); called once per update() before the keys."""

    def _init_key(self, key: str, p: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        st = self.state.get(key)
        if st is None or any(a.shape != p.shape or a.dtype != p.dtype for a in st.values()):
            st = self.state[key] = {slot: B.zeros(p.shape, p.dtype) for slot in self.slots}
        s = self._scratch[key] = B.empty(p.shape, p.dtype)
        return st, s

    def _apply(self, p: np.ndarray, g: np.ndarray, st: dict[str, np.ndarray], s: np.ndarray) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

    # ---------------------------------------------------------------- checkpoints

    def hyperparameters(self) -> dict[str, float]:
        """The constructor arguments, e.g. ``{"lr": 0.01, "momentum": 0.9}``."""
        return {"lr": self.lr}

    def state_dict(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-ready description, arrays named ``"slot.key"``) — everything needed to continue."""
        meta = {"name": self.name, "hyperparameters": self.hyperparameters(), "t": self.t}
        arrays = {f"{slot}.{key}": a for key, st in self.state.items() for slot, a in st.items()}
        return meta, arrays

    def load_state_dict(self, meta: dict, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned (the optimizer's kind must match)."""
        if meta.get("name") != self.name:
            raise ValueError(
                f"optimizer: the checkpoint was written by {meta.get('name')!r}, this optimizer is "
                f"{self.name!r}; pass optimizer={meta.get('name')!r} to resume it"
            )
        for k, v in meta.get("hyperparameters", {}).items():
            setattr(self, k, float(v))
        self.t = int(meta.get("t", 0))
        self.state = {}
        self._scratch = {}
        for name, a in arrays.items():
            slot, _, key = name.partition(".")
            if slot not in self.slots or not key:
                raise ValueError(
                    f"optimizer: unexpected state array {name!r} for {self.name!r}; expected "
                    f"'<slot>.<key>' with slot one of {self.slots}"
                )
            self.state.setdefault(key, {})[slot] = np.array(a)
        for key, st in self.state.items():
            missing = set(self.slots) - set(st)
            if missing:
                raise ValueError(
                    f"optimizer: state for {key!r} lacks {sorted(missing)}; the checkpoint is incomplete"
                )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """確率的勾配降下法: W ← W − η·g."""

    name = "sgd"

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__(lr)

    def _apply(self, p, g, st, s):
        np.multiply(g, self.lr, out=s)
        p -= s

    def _update_buffers(self, params, grads):
        if not self._plain(SGD):
            self.update(params, grads)
            return
        # η·g written over g itself: no scratch array to stream through the cache
        self.t += 1
        lr = self.lr
        for key, p in params.items():
            g = grads[key]
            np.multiply(g, lr, out=g)
            p -= g

    def _fold_rate(self):
        # W ← W − η·g is linear in g: back-propagating η·δ gives η·g for every parameter at the
        # cost of scaling the (small) output delta, and each layer's update is then one GEMM
        return self.lr if self._plain(SGD) else None


class Momentum(Optimizer):
    """モメンタム: v ← μ·v − η·g;  W ← W + v (v starts at 0)."""

    name = "momentum"
    slots = ("v",)

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__(lr)
        self.momentum = _check_rate("momentum", momentum, 0.0, 1.0)

    def hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum}

    def _apply(self, p, g, st, s):
        v = st["v"]
        np.multiply(g, self.lr, out=s)
        v *= self.momentum
        v -= s
        p += v

    def _fold_rate(self):
        # v ← μ·v − η·g is linear in g: each layer computes it as one product (see Network._backward_update)
        return self.lr if self._plain(Momentum) else None

    def _fold_velocities(self, params):
        velocities = {}
        for key, p in params.items():
            st = self.state.get(key)
            if st is None or st["v"].shape != p.shape or st["v"].dtype != p.dtype:
                st, _ = self._init_key(key, p)
            velocities[key] = st["v"]
        return velocities, self.momentum


class Nesterov(Momentum):
    """Nesterov の加速勾配法: v ← μ·v − η·g;  W ← W + μ·v − η·g (the look-ahead step, with the new v).

    Equivalent to ゼロから作るDeep Learning's W ← W + μ²·v_old − (1 + μ)·η·g. Momentum's settings and
    state, its own step (so the trainer's momentum shortcut does not apply to it).
    """

    name = "nesterov"

    def _apply(self, p, g, st, s):
        v = st["v"]
        np.multiply(g, self.lr, out=s)  # s = η·g
        v *= self.momentum
        v -= s  # v = μ·v − η·g
        p -= s
        np.multiply(v, self.momentum, out=s)
        p += s  # W + μ·v − η·g


class AdaGrad(Optimizer):
    """AdaGrad: h ← h + g²;  W ← W − η·g / (√h + ε) — each weight's step shrinks with its history."""

    name = "adagrad"
    slots = ("h",)

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        super().__init__(lr)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "eps": self.eps}

    def _apply(self, p, g, st, s):
        h = st["h"]
        np.multiply(g, g, out=s)
        h += s
        np.sqrt(h, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= self.lr
        p -= s


class RMSProp(Optimizer):
    """RMSProp: h ← ρ·h + (1 − ρ)·g²;  W ← W − η·g / (√h + ε) — AdaGrad with a forgetting average."""

    name = "rmsprop"
    slots = ("h",)

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99, eps: float = 1e-7) -> None:
        super().__init__(lr)
        self.decay_rate = _check_rate("decay_rate", decay_rate, 0.0, 1.0)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "decay_rate": self.decay_rate, "eps": self.eps}

    def _apply(self, p, g, st, s):
        h = st["h"]
        np.multiply(g, g, out=s)
        s *= 1.0 - self.decay_rate
        h *= self.decay_rate
        h += s
        np.sqrt(h, out=s)
        s += self.eps
        np.divide(g, s, out=s)
        s *= self.lr
        p -= s


class Adam(Optimizer):
    """Adam: moment estimates m (of g) and v (of g²) with bias correction (1 − βᵗ).

    t ← t + 1;  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    W ← W − η·m̂ / (√v̂ + ε)  with  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)  (as in PyTorch and Keras).
    """

    name = "adam"
    slots = ("m", "v")

    def __init__(
        self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        super().__init__(lr)
        self.beta1 = _check_rate("beta1", beta1, 0.0, 1.0)
        self.beta2 = _check_rate("beta2", beta2, 0.0, 1.0)
        self.eps = _check_rate("eps", eps)

    def hyperparameters(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _begin(self):
        t = self.t
        self._step_size = self.lr / (1.0 - self.beta1**t)  # η / (1 − β₁ᵗ)
        self._inv_sqrt_bc2 = 1.0 / math.sqrt(1.0 - self.beta2**t)  # 1 / √(1 − β₂ᵗ)

    def _apply(self, p, g, st, s):
        m, v = st["m"], st["v"]
        m *= self.beta1
        np.multiply(g, 1.0 - self.beta1, out=s)
        m += s
        v *= self.beta2
        np.multiply(g, g, out=s)
        s *= 1.0 - self.beta2
        v += s
        np.sqrt(v, out=s)
        s *= self._inv_sqrt_bc2  # √v̂
        s += self.eps
        np.divide(m, s, out=s)
        s *= self._step_size  # η·m̂ / (√v̂ + ε)
        p -= s


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam)
}


def create(optimizer: str | Optimizer = "sgd", lr: float | None = None, **kwargs: float) -> Optimizer:
    """An optimizer from its name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``) or an existing instance (returned as is; ``lr`` then replaces its rate).

    ``lr=None`` keeps the optimizer's default learning rate (0.01, Adam 0.001).
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
