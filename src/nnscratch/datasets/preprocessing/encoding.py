"""Targets as the network learns them (目標値の符号化), and back.

- :class:`TargetEncoder` — classes: names ↔ label indices 0..K−1 (what a softmax output learns);
  regression: y' = (y − μ) / σ fitted on the training part, and back to the target's units;
- :func:`one_hot` — integer labels → one-hot rows (one-hot 表現), checked, then the library's one
  one-hot, :func:`nnscratch.functions.to_one_hot`;
- :func:`from_arrays` — given arrays as a :class:`~nnscratch.datasets.Dataset`, text or whole-number
  targets turned into class labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnscratch.datasets._base import Dataset
from nnscratch.datasets.preprocessing.scaling import finite_list
from nnscratch.functions import to_one_hot

__all__ = ["TargetEncoder", "one_hot", "from_arrays"]


class TargetEncoder:
    """Targets as the network learns them, and back.

    Classification (分類): ``classes`` are the names; ``encode`` maps names (or label indices) to
    0..K−1, ``decode`` maps indices to names. Regression (回帰): y' = (y − μ) / σ with μ, σ of the
    training targets, ``decode`` gives y = y'·σ + μ in the target's units.
    """

    def __init__(self, task: str, classes: Sequence[str] | None = None, mean: float = 0.0,
                 std: float = 1.0, values: np.ndarray | None = None) -> None:
        self.task = task
        self.classes = None if classes is None else [str(c) for c in classes]
        self.values = values  # the classes as given to fit (numbers stay numbers), when known
        self.mean, self.std = float(mean), float(std)

    @classmethod
    def fit(cls, data: Dataset, y_train: np.ndarray) -> TargetEncoder:
        if data.task == "classification":
            return cls("classification", classes=list(data.target_names or []),
                       values=getattr(data, "class_values", None))
        y = np.asarray(y_train, dtype=np.float64)
        std = float(y.std()) if y.size else 1.0
        return cls("regression", mean=float(y.mean()) if y.size else 0.0, std=std if std > 0 else 1.0)

    def encode(self, y: object) -> np.ndarray:
        """Names or label indices → indices (classification); values → scaled float32 (regression)."""
        a = np.asarray(y)
        if self.task == "regression":
            if a.dtype.kind not in "biuf":
                raise ValueError(f"y: expected numbers for a regression model, got dtype {a.dtype}")
            return ((a.astype(np.float64) - self.mean) / self.std).astype(np.float32)
        return self.indices(a)

    def indices(self, a: np.ndarray) -> np.ndarray:
        if self.values is not None and a.dtype.kind == self.values.dtype.kind != "O":
            found = np.searchsorted(self.values, a.ravel()).clip(0, len(self.values) - 1)
            if np.array_equal(self.values[found], a.ravel()):
                return found.astype(np.intp)
        index = {name: i for i, name in enumerate(self.classes or [])}
        if a.dtype.kind in "iu" or (a.dtype.kind == "f" and a.size and np.all(np.mod(a, 1) == 0)):
            names = [str(int(v)) for v in a.ravel()]
        else:
            names = [str(v) for v in a.ravel()]
        if all(n in index for n in names):
            return np.array([index[n] for n in names], dtype=np.intp)
        if a.dtype.kind in "iu" and a.size and a.min() >= 0 and a.max() < len(index):
            return a.astype(np.intp).ravel()  # label indices of a model whose names are not numbers
        unknown = sorted({n for n in names if n not in index})
        raise ValueError(f"y: labels {', '.join(map(repr, unknown[:5]))} are not in classes "
                         f"{', '.join(map(repr, (self.classes or [])[:10]))}, the classes the model knows")

    def decode(self, y: np.ndarray) -> np.ndarray:
        """Indices → class names; scaled outputs → the target's units (float64)."""
        if self.task == "regression":
            return np.asarray(y, dtype=np.float64) * self.std + self.mean
        known = self.values if self.values is not None else np.array(self.classes, dtype=object)
        return known[np.asarray(y, dtype=np.intp)]

    def to_dict(self) -> dict[str, Any]:
        if self.task == "classification":
            names = {"target_names": list(self.classes or [])}
            numbers = self.values is not None and self.values.dtype.kind in "iuf"
            # classes that were numbers come back as numbers from a file (predict gives 3, not '3')
            return {**names, "class_values": self.values.tolist()} if numbers else names
        return {"target_scaling": {"mean": self.mean, "std": self.std}}

    @classmethod
    def from_dict(cls, meta: dict, task: str, n_classes: int | None) -> TargetEncoder:
        """Checked: K names of at most 200 characters each, or a finite μ and a positive σ."""
        if task == "classification":
            names = meta.get("target_names")
            if names is None:
                return cls(task, [str(i) for i in range(n_classes or 0)])
            if not isinstance(names, list) or len(names) != n_classes or not all(
                    isinstance(n, str) and len(n) <= 200 for n in names):
                raise ValueError(f"target_names: expected {n_classes} class names, got {str(names)[:80]}")
            values = meta.get("class_values")
            if values is not None:
                if not isinstance(values, list) or [str(v) for v in values] != names or not all(
                        (type(v) is int and abs(v) < 2**63) or (type(v) is float and math.isfinite(v))
                        for v in values):
                    raise ValueError(f"class_values: expected the {n_classes} numbers the target_names "
                                     f"spell, got {str(values)[:80]}")
                values = np.array(values, dtype=np.int64 if all(type(v) is int for v in values) else None)
            return cls(task, names, values=values)
        ts = meta.get("target_scaling")
        if ts is None:
            return cls(task)
        if not isinstance(ts, dict):
            raise ValueError(f"target_scaling: expected {{'mean': …, 'std': …}}, got {str(ts)[:80]}")
        mean, std = finite_list("target_scaling", [ts.get("mean"), ts.get("std")], 2)
        if std <= 0:
            raise ValueError(f"target_scaling std: expected a positive number, got {std!r}")
        return cls(task, mean=mean, std=std)


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


def from_arrays(x: object, y: object, task: str, name: str, dtype: str = "float32",
             classes: Sequence[object] | None = None) -> Dataset:
    """Given arrays as a Dataset: text or whole-number targets are classes (named by their sorted
    values, or by ``classes``); the original class values are kept for :class:`TargetEncoder`.

    ``x`` is rows (N, n_features) or images (N, H, W) or (N, C, H, W), kept as rows of their pixels
    with the data set's ``image_shape`` and ``channels``.

    >>> data = from_arrays([[1.0], [2.0], [3.0]], ["cat", "dog", "cat"], "auto", "pets")
    >>> data.task, data.target_names, data.y.tolist()
    ('classification', ['cat', 'dog'], [0, 1, 0])
    >>> from_arrays(np.zeros((5, 3, 4, 4)), [0, 1, 0, 1, 1], "auto", "pictures").images().shape
    (5, 3, 4, 4)
    """
    if y is None:
        raise ValueError("y: given x but no targets y; pass both")
    xa, image = _rows_of(x)
    ya = np.asarray(y)
    if len(ya) != len(xa):
        raise ValueError(f"y: expected {len(xa)} targets (one per row of x), got {len(ya)}")
    if task == "auto":
        whole = ya.dtype.kind != "f" or bool(np.all(np.mod(ya, 1) == 0))
        task = "classification" if whole and ya.ndim == 1 else "regression"
    if task == "regression":
        if ya.dtype.kind not in "biuf":
            raise ValueError(f"y: expected numbers for regression, got dtype {ya.dtype}")
        return Dataset(xa.astype(dtype), ya.astype(dtype), task, name=name, **image)
    if ya.ndim != 1:
        raise ValueError(f"y: expected one class label per row, shape (N,), got {ya.shape}")
    values = np.unique(ya if classes is None else np.asarray(classes))
    labels = np.searchsorted(values, ya)
    labels[labels >= len(values)] = 0
    if classes is not None and not np.array_equal(values[labels], ya):
        unknown = sorted({str(v) for v in np.setdiff1d(ya, values)})
        raise ValueError(f"y: labels {', '.join(unknown[:5])} are not in classes {list(values)!r}")
    names = [str(v.item() if hasattr(v, "item") else v) for v in values]
    data = Dataset(xa.astype(dtype), labels.astype(np.intp), task, name=name, target_names=names, **image)
    data.class_values = values  # the estimators' classes_ keep their type (1, not "1")
    return data


def _rows_of(x: object) -> tuple[np.ndarray, dict]:
    """``x`` as rows (N, n_features), and for images — (N, H, W) or (N, C, H, W) — their shape: each
    image becomes the row of its pixels in C order, as :meth:`Dataset.images` reads them back."""
    xa = np.asarray(x)
    if xa.dtype == object or xa.dtype.kind not in "biuf" or xa.ndim not in (2, 3, 4) or 0 in xa.shape[1:]:
        raise ValueError(f"x: expected a 2-D array of numbers (N, n_features), or images (N, H, W) or "
                         f"(N, C, H, W), got {xa.dtype} {xa.shape}")
    if xa.ndim == 2:
        return xa, {}
    channels = 1 if xa.ndim == 3 else int(xa.shape[1])
    shape = tuple(int(v) for v in xa.shape[-2:])
    return xa.reshape(len(xa), -1), {"image_shape": shape, "channels": channels}
