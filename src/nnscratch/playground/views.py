"""What the page is shown (表示), computed on a copy of the session's network taken under its lock.

- :func:`frame` — the decision boundary (or the fitted function) on a :data:`GRID` × :data:`GRID` grid
  as compact bytes, the train/test loss (the data's, E) and accuracy, the L1/L2 penalty beside it
  (λ₁·Σ|W| + ½λ₂·Σ W²), the weights, the share of near-zero weights per layer (|w| < :data:`NEAR_ZERO`:
  what L1 does to them), the per-layer gradient norms ‖∂E/∂W_l‖ and ‖∂E/∂b_l‖ of the training loss, and
  a chosen unit's own output over the plane;
- :func:`trace` — :func:`nnscratch.trace` of one sample (the course's u, z, y, E, δ, ∂E/∂W, ∂E/∂b and
  the update W ← W − η·∂E/∂W with the current learning rate), in the ``print_vec`` layout;
- :func:`gradcheck` — :func:`nnscratch.gradcheck` of the current weights on a few training rows.

The plane is drawn in the data's own units; each grid point goes through the model's fitted scaling
before the network, as every prediction of a :class:`~nnscratch.Model` does.
"""

from __future__ import annotations

import base64
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch.functions import to_one_hot
from nnscratch.gradcheck import gradcheck as _gradcheck
from nnscratch.lab.trace import trace as _trace
from nnscratch.network import Network

if TYPE_CHECKING:  # pragma: no cover - the session builds planes; it is imported by the app only
    from nnscratch.playground.session import Session

__all__ = ["Plane", "frame", "trace", "gradcheck", "points", "GRID", "MAX_SHOWN", "NEAR_ZERO"]

GRID = 64           # cells per side of the boundary picture (the issue asks for at least 60)
MAX_SHOWN = 4000    # rows drawn as points and scored per frame (a 100,000-row CSV is sampled)
MAX_CURVE = 600     # points of the loss curves kept (halved when full)
NEAR_ZERO = 0.01    # |w| below this counts as a weight L1 has (nearly) switched off


def _b64(a: np.ndarray) -> str:
    """Cells 0..255 as base64 bytes (NaN of a diverging run → 0, ±inf → the ends)."""
    cells = np.clip(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0), 0, 255)
    return base64.b64encode(cells.astype(np.uint8).tobytes()).decode("ascii")


def _num(v: float | None) -> float | None:
    return None if v is None or not np.isfinite(v) else float(f"{float(v):.5g}")


class Plane:
    """The grid over the data's bounds (raw units and scaled) and the rows shown and scored."""

    def __init__(self, model, raw: dict[str, tuple[np.ndarray, np.ndarray]], dtype: np.dtype) -> None:
        xs = np.concatenate([raw["train"][0], raw["test"][0]]).astype(np.float64)
        lo, hi = xs.min(axis=0), xs.max(axis=0)
        pad = np.maximum((hi - lo) * 0.1, 1e-3)
        self.lo, self.hi = lo - pad, hi + pad
        c = (np.arange(GRID) + 0.5) / GRID
        gx0 = self.lo[0] + c * (self.hi[0] - self.lo[0])
        gx1 = self.hi[1] - c * (self.hi[1] - self.lo[1])  # row 0 is the top of the picture
        g0, g1 = np.meshgrid(gx0, gx1)
        self.grid_x = model.preprocessor.transform(np.column_stack([g0.ravel(), g1.ravel()]), dtype)
        rng = np.random.default_rng(0)
        self.shown = {k: np.sort(rng.permutation(len(v[0]))[:MAX_SHOWN]) for k, v in raw.items()}
        self.task = model.task
        self.encoder = model.encoder
        if self.task == "regression":
            y = raw["train"][1].astype(np.float64).ravel()
            self.vrange = (float(y.min()), float(y.max()) if y.max() > y.min() else float(y.min()) + 1.0)


def points(session: Session) -> dict[str, Any]:
    """The data as the page draws it (sent when the data changes, not every frame)."""
    plane, raw = session.plane, session.raw
    out: dict[str, Any] = {"type": "data", "version": session.version, "task": session.data.task,
                           "name": session.data.name, "features": list(session.data.feature_names),
                           "classes": list(session.data.target_names or []),
                           "bounds": [*map(float, plane.lo), *map(float, plane.hi)], "grid": GRID,
                           "sizes": list(session.net.sizes), "counts": {k: len(v[0]) for k, v in raw.items()}}
    if plane.task == "regression":
        out["vrange"] = list(plane.vrange)
    for part, (x, y) in raw.items():
        idx = plane.shown[part]
        out[part] = {"x0": np.round(x[idx, 0].astype(float), 4).tolist(),
                     "x1": np.round(x[idx, 1].astype(float), 4).tolist(),
                     "y": np.round(np.asarray(y)[idx].astype(float), 4).tolist(), "i": idx.tolist()}
    return out


def _grid(plane: Plane, net: Network) -> dict[str, Any]:
    y = net.forward(plane.grid_x)
    if plane.task == "regression":
        v = plane.encoder.decode(y).reshape(len(y), -1)[:, 0].astype(np.float64)
        lo, hi = plane.vrange
        return {"kind": "value", "cells": _b64(np.clip((v - lo) / (hi - lo) * 255, 0, 255).round())}
    p = np.column_stack([1 - y[:, 0], y[:, 0]]) if y.shape[1] == 1 else y
    k = p.shape[1]
    conf = (p.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    cells = np.empty((len(p), 2))
    cells[:, 0] = p.argmax(axis=1)
    cells[:, 1] = (conf * 255).round()
    return {"kind": "class", "cells": _b64(cells)}


def _unit(net: Network, layer: int, unit: int) -> dict[str, Any] | None:
    """The chosen unit's output over the plane, from the caches of the grid's forward pass."""
    if not 1 <= layer <= net.n_layers or not 0 <= unit < net.sizes[layer]:
        return None
    z = (net.activations[layer - 1].z if layer < net.n_layers else net.output_layer.y)[:, unit]
    lo, hi = float(z.min()), float(z.max())
    scaled = (z - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(z)
    return {"layer": layer, "unit": unit, "min": _num(lo), "max": _num(hi), "cells": _b64(scaled.round())}


def _scores(net: Network, x: np.ndarray, d: np.ndarray, classes: bool) -> tuple[float | None, float | None]:
    if not len(x):
        return None, None
    loss = _num(net.data_loss(x, d))  # E of the data; the L1/L2 penalty is shown beside it
    return loss, (_num(net.accuracy(x, d)) if classes else None)


def frame(session: Session, unit: tuple[int, int] | None = None) -> dict[str, Any]:
    """One picture of the run: see the module docstring. Appends a point to the loss curves."""
    with session.lock:
        net = session.net.copy()
        plane, parts, s = session.plane, session.parts, session.settings
        state = {"type": "frame", "version": session.version, "step": session.steps,
                 "epoch": round(session.epochs + session._in_epoch / session.per_epoch, 3),
                 "running": session.running, "diverged": session.diverged, "lr": session.trainer.lr,
                 "settings": s.to_json()}
    state["grid"] = _grid(plane, net)
    if unit is not None:
        state["unit"] = _unit(net, *unit)
    classes = plane.task == "classification"
    rows = {k: (parts[k][0][plane.shown[k]], parts[k][1][plane.shown[k]]) for k in parts}
    tr_loss, tr_acc = _scores(net, *rows["train"], classes)
    te_loss, te_acc = _scores(net, *rows["test"], classes)
    state["loss"] = {"train": tr_loss, "test": te_loss}
    state["accuracy"] = {"train": tr_acc, "test": te_acc}
    curve = session.curve
    if not curve or curve[-1][0] != state["step"] or curve[-1][5] != state["version"]:
        if curve and curve[-1][5] != state["version"]:
            curve.clear()
        curve.append([state["step"], tr_loss, te_loss, tr_acc, te_acc, state["version"]])
        if len(curve) > MAX_CURVE:
            del curve[1:-1:2]
    state["curve"] = [c[:5] for c in curve]
    with np.errstate(all="ignore"):  # a diverging run's gradients may overflow: shown as missing
        grads = net.gradient(*rows["train"])
        state["gradnorms"] = [[_num(np.linalg.norm(grads[f"W{i}"])), _num(np.linalg.norm(grads[f"b{i}"]))]
                              for i in range(1, net.n_layers + 1)]
    state["weights"] = {k: _weights(v) for k, v in net.params.items()}
    state["penalty"] = {"l1": net.l1, "l2": net.l2, "value": _num(net.penalty())}
    state["near_zero"] = [_near_zero(net.params[f"W{i}"]) for i in range(1, net.n_layers + 1)]
    state["activations"] = list(net.hidden)
    state["output"] = net.output
    return state


def _near_zero(w: np.ndarray) -> dict[str, Any]:
    """The share of a layer's weights with |w| < :data:`NEAR_ZERO`, their count, and the mean |w|."""
    a = np.abs(w.astype(np.float64))
    count = int(np.count_nonzero(a < NEAR_ZERO))
    return {"share": count / a.size, "count": count, "size": int(a.size), "mean_abs": _num(float(a.mean()))}


def _weights(w: np.ndarray) -> list:
    """Rounded weights for the diagram; NaN/inf (a step that is blowing up, before it is caught) → null."""
    a = np.round(w.astype(np.float64), 4)
    return a.tolist() if np.isfinite(a).all() else np.where(np.isfinite(a), a, None).tolist()


def _sample(session: Session, part: str, index: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(network input, network target as the course writes it, raw row) of one sample."""
    if part not in ("train", "test"):
        raise ValueError(f"part: expected 'train' or 'test', got {part!r:.40}")
    x, d = session.parts[part]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(x):
        raise ValueError(f"index: expected a sample number in [0, {len(x) - 1}] of the {part} part, "
                         f"got {index!r:.40}")
    net = session.net
    target = np.asarray(d[index])
    if net.output == "softmax":  # the course writes the target one-hot: d = [0, 0, 1]
        target = to_one_hot([int(target)], net.sizes[-1], net.dtype)[0]
    return x[index], np.atleast_1d(target).astype(net.dtype), session.raw[part][0][index]


def trace(session: Session, part: str, index: object, lang: str = "ja") -> dict[str, Any]:
    """:func:`nnscratch.trace` of one sample on the current weights (a copy: the run is not changed)."""
    with session.lock:
        net, lr, step = session.net.copy(), session.trainer.lr, session.steps
        x, d, raw = _sample(session, part, index)
    t = _trace(net, x, d=d, lr=lr, lang=lang)
    return {"type": "trace", "part": part, "index": index, "step": step, "lang": lang, "lr": lr,
            "batchnorm": net.batchnorm,
            "x": x.tolist(), "d": d.tolist(), "raw": raw.astype(float).tolist(), "text": t.to_text(lang)}


def gradcheck(session: Session, rows: int = 8) -> dict[str, Any]:
    """Back-propagation against the numerical gradient on the current weights (float64, ``rows``
    training rows): the relative error of every parameter and a warning when a ReLU input sits on its kink."""
    with session.lock:
        net, step = session.net.copy(), session.steps
        x, d = (a[:rows] for a in session.parts["train"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = _gradcheck(net, x, d)
    worst = max(errors.values())
    return {"type": "gradcheck", "step": step, "rows": len(x),
            "errors": {k: float(v) for k, v in errors.items()},
            "max": float(worst), "ok": bool(worst < 1e-5),
            "warning": str(caught[0].message) if caught else None}
