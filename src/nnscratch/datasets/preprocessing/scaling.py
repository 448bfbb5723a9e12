"""Feature scaling (特徴量のスケーリング) fitted on the training part only.

- :class:`Standardizer` — 標準化 x' = (x − μ) / σ per column, the course's helper;
- :class:`Preprocessor` — what a Model applies to raw rows: ``"standardize"`` (a Standardizer),
  ``"scale"`` (x' = x / s, for pixel values) or ``"none"`` (:data:`KINDS`).

Both have ``to_dict``/``from_dict`` (plain JSON, a model file's metadata); ``from_dict`` checks every
value with one checker (:func:`_mean_std`), because a model file may come from someone else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Standardizer", "Preprocessor", "KINDS"]

KINDS = ("standardize", "scale", "none")


def finite_list(name: str, v: object, n: int | None) -> list[float]:
    """``v`` as a list of ``n`` (any number when None) finite floats, or a one-line ValueError."""
    if not isinstance(v, list) or (n is not None and len(v) != n) or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in v):
        want = f"{n} finite numbers" if n is not None else "a list of finite numbers"
        raise ValueError(f"{name}: expected {want}, got {str(v)[:80]}")
    return [float(a) for a in v]


def _mean_std(name: str, d: object, n: int | None) -> tuple[list[float], list[float]]:
    """μ and σ of a stored standardisation, checked: finite, of equal length (``n`` when given), σ > 0."""
    if not isinstance(d, dict):
        raise ValueError(f"{name}: expected {{'mean': [...], 'std': [...]}}, got {str(d)[:80]}")
    mean = finite_list(f"{name} mean", d.get("mean"), n)
    std = finite_list(f"{name} std", d.get("std"), len(mean))
    if min(std, default=1) <= 0:
        raise ValueError(f"{name} std: expected positive numbers, got {min(std)!r}")
    return mean, std


class Standardizer:
    """標準化: x' = (x − μ) / σ per column, with μ and σ from the training data only.

    A column that is constant in the training data (σ = 0) keeps σ = 1, so it maps to 0.
    ``to_dict``/``from_dict`` store μ, σ as plain lists (a model file's metadata).
    """

    def __init__(self, mean: object = None, std: object = None) -> None:
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    def fit(self, x: object) -> Standardizer:
        a = np.asarray(x, dtype=np.float64)
        if a.ndim not in (1, 2) or len(a) == 0:
            raise ValueError(
                f"x: expected a non-empty array of shape (N,) or (N, n_features), got shape {a.shape}"
            )
        self.mean = a.mean(axis=0)
        std = a.std(axis=0)
        self.std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(self.mean)), std, 1.0)
        return self

    def _check(self, x: object) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise ValueError("Standardizer: not fitted; call fit(x_train) first")
        a = np.asarray(x)
        if a.shape[-1:] != self.mean.shape[-1:] and self.mean.ndim:
            raise ValueError(
                f"x: expected {self.mean.shape[-1]} columns as in the fitted data, got shape {a.shape}"
            )
        return a

    def transform(self, x: object) -> np.ndarray:
        a = self._check(x)
        dtype = a.dtype if a.dtype.kind == "f" else np.float32
        out = np.subtract(a, self.mean.astype(dtype), dtype=dtype)  # one array of the data's size, in
        out /= self.std.astype(dtype)  # its own dtype: no float64 temporaries of a big float32 data set
        return out

    def fit_transform(self, x: object) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: object) -> np.ndarray:
        a = self._check(x)
        dtype = a.dtype if a.dtype.kind == "f" else np.float32
        return (a * self.std + self.mean).astype(dtype)

    def to_dict(self) -> dict:
        if self.mean is None or self.std is None:
            raise ValueError("Standardizer: not fitted; nothing to store")
        return {"mean": np.atleast_1d(self.mean).tolist(), "std": np.atleast_1d(self.std).tolist()}

    @classmethod
    def from_dict(cls, d: dict, n_features: int | None = None) -> Standardizer:
        """Checked: μ and σ finite lists of equal length (``n_features`` when given), σ > 0."""
        return cls(*_mean_std("standardization", d, n_features))

    def __repr__(self) -> str:
        n = "unfitted" if self.mean is None else f"{np.atleast_1d(self.mean).size} columns"
        return f"Standardizer({n})"


class Preprocessor:
    """Feature scaling fitted on the training part: ``standardize``, ``scale`` or ``none``.

    ``standardize``: x′ = (x − μ) / σ with the training part's mean μ and standard deviation σ per feature;
    ``scale``: x′ = x / s (e.g. s = 255 for pixels).

    >>> import numpy as np
    >>> p = Preprocessor.fit("standardize", np.array([[1.0], [3.0]]))
    >>> p.transform(np.array([[1.0], [3.0]])).ravel().tolist()
    [-1.0, 1.0]
    """

    def __init__(self, kind: str = "none", mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None, scale: float = 1.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"preprocess: expected one of {', '.join(map(repr, KINDS))}, got {kind!r}")
        self.kind = kind
        self._standardizer = Standardizer(mean, std) if kind == "standardize" else None
        self.scale = float(scale)

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, image: bool = False) -> Preprocessor:
        """Fit on the training rows; ``kind="auto"`` scales images (pixels) and standardises the rest."""
        if kind == "auto":
            kind = "scale" if image else "standardize"
        if kind == "standardize":
            s = Standardizer().fit(x)
            return cls("standardize", s.mean, s.std)
        if kind == "scale":
            top = float(np.max(np.abs(x))) if np.size(x) else 1.0
            return cls("scale", scale=top if top > 0 else 1.0)
        return cls(kind)

    @property
    def n_features(self) -> int | None:
        return None if self._standardizer is None else int(np.size(self._standardizer.mean))

    def transform(self, x: object, dtype: object = np.float32) -> np.ndarray:
        """Scaled rows, in ``dtype`` (float32 unless the network computes in float64)."""
        dtype = np.dtype(dtype)
        a = np.asarray(x, dtype=dtype)
        if self.kind == "standardize":
            if a.ndim != 2 or a.shape[1] != self.n_features:
                raise ValueError(f"x: the model's standardisation has {self.n_features} columns, "
                                 f"the data {a.shape[-1] if a.ndim else 0}")
            return self._standardizer.transform(a).astype(dtype, copy=False)
        if self.kind == "scale":
            return (a / dtype.type(self.scale)).astype(dtype, copy=False)
        return a

    def describe(self) -> str:
        if self.kind == "standardize":
            return "(x − μ) / σ per feature, fitted on the training part"
        if self.kind == "scale":
            return f"x / {self.scale:g}"
        return "none"

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "standardize":
            return {"kind": "standardize", **self._standardizer.to_dict()}
        if self.kind == "scale":
            return {"kind": "scale", "scale": self.scale}
        return {"kind": "none"}

    @classmethod
    def from_dict(cls, d: object, n_features: int) -> Preprocessor:
        """Checked: the kind, and μ, σ (or the scale) finite, σ > 0, one per feature."""
        if d is None:
            return cls("none")
        if not isinstance(d, dict) or d.get("kind") not in KINDS:
            raise ValueError(f"preprocess: expected {{'kind': one of {', '.join(KINDS)}}}, got {str(d)[:80]}")
        if d["kind"] == "standardize":
            return cls("standardize", *_mean_std("preprocess", d, n_features))
        if d["kind"] == "scale":
            scale = d.get("scale")
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (
                    math.isfinite(scale) and scale > 0):
                raise ValueError(f"preprocess scale: expected a positive number, got {scale!r}")
            return cls("scale", scale=scale)
        return cls("none")
