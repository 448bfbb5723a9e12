"""Splits (データの分割): training (訓練), validation (検証) and test (テスト) parts, stratified for
classes (each class keeps its share in every part).

- :func:`train_test_split`, :func:`train_val_test_split` — arrays in, parts out (the course's helpers);
- :func:`split` — a :class:`~nnscratch.datasets.Dataset`'s parts as a Model uses them: its own test set
  when it has one (MNIST), else fractions of the whole.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnscratch.datasets._base import Dataset

__all__ = ["train_test_split", "train_val_test_split", "split"]


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


def split(data: Dataset, val_split: float, test_split: float, seed: int):
    """``(x, y)`` for train, validation and test: the data set's own test set when it has one;
    stratified for classes (検証データ, テストデータ).

    >>> from nnscratch import datasets
    >>> (xt, yt), (xv, yv), (xs, ys) = split(datasets.load("iris"), 0.1, 0.2, seed=0)
    >>> len(xt), len(xv), len(xs)
    (105, 15, 30)
    """
    strat = data.task == "classification"
    if data.test is not None:
        test = (data.test.x, data.test.y)
        if val_split > 0:
            xtr, xva, ytr, yva = train_test_split(data.x, data.y, val_split, stratify=strat, seed=seed)
        else:
            xtr, ytr, xva, yva = data.x, data.y, data.x[:0], data.y[:0]
        return (xtr, ytr), (xva, yva), test
    if len(data.x) < 3 and (val_split or test_split):
        raise ValueError(f"data: {data.name!r} has {len(data.x)} rows; too few to split off validation/test")
    if val_split + test_split >= 1:
        raise ValueError(f"val_split + test_split: expected less than 1, got {val_split + test_split:g}")
    if val_split == 0 and test_split == 0:
        return (data.x, data.y), (data.x[:0], data.y[:0]), (data.x[:0], data.y[:0])
    parts = train_val_test_split(data.x, data.y, val_split, test_split, stratify=strat, seed=seed)
    return tuple((np.asarray(a), np.asarray(b)) for a, b in parts)
