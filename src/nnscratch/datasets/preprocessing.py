"""Helpers: train/validation/test split (stratified for classes), standardisation fitted on the
training part only (標準化), one-hot encoding (one-hot 表現)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnscratch.functions import to_one_hot

__all__ = ["train_test_split", "train_val_test_split", "Standardizer", "one_hot"]


def _fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 <= value < 1:
        raise ValueError(f"{name}: expected a fraction in [0, 1), got {value!r}")
    return float(value)


def _is_labels(y: np.ndarray) -> bool:
    return y.ndim == 1 and y.dtype.kind in "biu"


def _split_counts(n: int, fractions: Sequence[float]) -> list[int]:
    """Sizes of the held-out parts for n samples: rounded, at least 1 for a positive fraction when
    that still leaves a training sample."""
    counts = []
    for f in fractions:
        k = int(round(n * f))
        if f > 0 and k == 0 and n - sum(counts) > 1:
            k = 1
        counts.append(k)
    while sum(counts) >= n and any(counts):  # keep at least one training sample
        j = int(np.argmax(counts))
        counts[j] -= 1
    return counts


def _split_indices(
    y: np.ndarray, fractions: Sequence[float], stratify: bool, rng: np.random.Generator
) -> list[np.ndarray]:
    """Index arrays [train, part_1, part_2, …] for held-out ``fractions``."""
    n = len(y)
    if not stratify:
        order = rng.permutation(n)
        counts = _split_counts(n, fractions)
        parts, start = [], n - sum(counts)
        for k in counts:
            parts.append(order[start:start + k])
            start += k
        return [np.sort(order[: n - sum(counts)]), *parts]
    parts_by_class: list[list[np.ndarray]] = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        counts = [int(round(len(members) * f)) for f in fractions]
        while sum(counts) >= len(members) and any(counts):
            counts[int(np.argmax(counts))] -= 1
        pieces, start = [members[: len(members) - sum(counts)]], len(members) - sum(counts)
        for k in counts:
            pieces.append(members[start:start + k])
            start += k
        parts_by_class.append(pieces)
    out = []
    for j in range(len(fractions) + 1):
        idx = np.concatenate([p[j] for p in parts_by_class])
        out.append(rng.permutation(idx) if j else np.sort(idx))
    # a positive fraction that rounded to nothing in every class still gets one sample
    for j, f in enumerate(fractions, start=1):
        if f > 0 and len(out[j]) == 0 and len(out[0]) > 1:
            take = rng.integers(len(out[0]))
            out[j] = out[0][[take]]
            out[0] = np.delete(out[0], take)
    return out


def _xy(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = np.asarray(x), np.asarray(y)
    if len(xa) != len(ya):
        raise ValueError(f"y: expected {len(xa)} targets (one per row of x), got {len(ya)}")
    if len(xa) < 2:
        raise ValueError(f"x: expected at least 2 samples to split, got {len(xa)}")
    return xa, ya


def train_test_split(
    x: object, y: object, test_size: float = 0.2, stratify: bool | None = None, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, x_test, y_train, y_test`` with a ``test_size`` fraction held out.

    ``stratify=None`` stratifies (keeps each class's share in both parts) when ``y`` holds integer
    class labels; ``True``/``False`` force it.

    >>> import numpy as np
    >>> x, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    >>> x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2)
    >>> x_train.shape, x_test.shape, sorted(y_test.tolist())
    ((8, 2), (2, 2), [0, 1])
    """
    xa, ya = _xy(x, y)
    frac = _fraction("test_size", test_size)
    strat = _is_labels(ya) if stratify is None else bool(stratify)
    tr, te = _split_indices(ya if strat else np.zeros(len(ya)), [frac], strat, np.random.default_rng(seed))
    return xa[tr], xa[te], ya[tr], ya[te]


def train_val_test_split(
    x: object,
    y: object,
    val_size: float = 0.1,
    test_size: float = 0.2,
    stratify: bool | None = None,
    seed: int | None = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_val, y_val), (x_test, y_test)``: fractions of the whole for validation
    (検証) and test (テスト); the rest trains. Stratified as in :func:`train_test_split`.

    >>> import numpy as np
    >>> x, y = np.arange(40.0).reshape(20, 2), np.array([0, 1] * 10)
    >>> (xt, yt), (xv, yv), (xs, ys) = train_val_test_split(x, y, val_size=0.1, test_size=0.2)
    >>> len(xt), len(xv), len(xs)
    (14, 2, 4)
    """
    xa, ya = _xy(x, y)
    v = _fraction("val_size", val_size)
    t = _fraction("test_size", test_size)
    if v + t >= 1:
        raise ValueError(f"val_size + test_size: expected less than 1 to leave training data, got {v + t:g}")
    strat = _is_labels(ya) if stratify is None else bool(stratify)
    groups = ya if strat else np.zeros(len(ya))
    tr, va, te = _split_indices(groups, [v, t], strat, np.random.default_rng(seed))
    return (xa[tr], ya[tr]), (xa[va], ya[va]), (xa[te], ya[te])


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
    def from_dict(cls, d: dict) -> Standardizer:
        try:
            mean, std = np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"standardization: expected {{'mean': [...], 'std': [...]}}, got {d!r:.80}"
            ) from None
        if mean.shape != std.shape or not np.isfinite(mean).all() or not (std > 0).all():
            raise ValueError(
                "standardization: mean and std must be finite lists of equal length with std > 0"
            )
        return cls(mean, std)

    def __repr__(self) -> str:
        n = "unfitted" if self.mean is None else f"{np.atleast_1d(self.mean).size} columns"
        return f"Standardizer({n})"


def one_hot(labels: object, n_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """Integer labels (N,) → one-hot rows (N, K): row i has a 1 in column labels[i]."""
    a = np.asarray(labels)
    if a.ndim != 1 or a.dtype.kind not in "biuf" or (a.dtype.kind == "f" and not np.all(a == np.round(a))):
        raise ValueError(
            f"labels: expected integer class labels of shape (N,), got {a.dtype} of shape {a.shape}"
        )
    a = a.astype(np.intp)
    if a.size and a.min() < 0:
        raise ValueError(f"labels: class labels must be ≥ 0, got {a.min()}")
    k = int(a.max()) + 1 if a.size else 0
    if n_classes is None:
        n_classes = k
    elif isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < k:
        raise ValueError(f"n_classes: expected an integer ≥ {k} (largest label + 1), got {n_classes!r}")
    return to_one_hot(a, int(n_classes), dtype)  # the one one-hot of the library, after these checks
