"""What stands between raw rows and the network (前処理): feature scaling, target encoding, splits.

- :class:`Preprocessor` — feature scaling fitted on the training part only: 標準化 x' = (x − μ) / σ
  per column (``"standardize"``), x' = x / max|x| (``"scale"``, for pixel values) or none.
- :class:`TargetEncoder` — classes: names ↔ label indices 0..K−1 (what a softmax output learns);
  regression: y' = (y − μ) / σ fitted on the training part, and back to the target's units.
- :func:`split` — train / validation / test parts (stratified for classes), or a data set's own test set.

Each has ``to_dict``/``from_dict`` (plain JSON) so a saved model carries them; ``from_dict`` checks
every value, because a model file may come from someone else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnscratch.datasets import Dataset, Standardizer, train_test_split, train_val_test_split

__all__ = ["Preprocessor", "TargetEncoder", "split", "from_arrays", "KINDS"]

KINDS = ("standardize", "scale", "none")


def _finite_list(name: str, v: object, n: int | None) -> list[float]:
    if not isinstance(v, list) or (n is not None and len(v) != n) or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in v):
        want = f"{n} finite numbers" if n is not None else "a list of finite numbers"
        raise ValueError(f"{name}: expected {want}, got {str(v)[:80]}")
    return [float(a) for a in v]


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
            mean = _finite_list("preprocess mean", d.get("mean"), n_features)
            std = _finite_list("preprocess std", d.get("std"), n_features)
            if min(std, default=1) <= 0:
                raise ValueError("preprocess std: expected positive numbers")
            return cls("standardize", mean, std)
        if d["kind"] == "scale":
            scale = d.get("scale")
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (
                    math.isfinite(scale) and scale > 0):
                raise ValueError(f"preprocess scale: expected a positive number, got {scale!r}")
            return cls("scale", scale=scale)
        return cls("none")


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
            return {"target_names": list(self.classes or [])}
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
            return cls(task, names)
        ts = meta.get("target_scaling")
        if ts is None:
            return cls(task)
        if not isinstance(ts, dict):
            raise ValueError(f"target_scaling: expected {{'mean': …, 'std': …}}, got {str(ts)[:80]}")
        mean, std = _finite_list("target_scaling", [ts.get("mean"), ts.get("std")], 2)
        if std <= 0:
            raise ValueError(f"target_scaling std: expected a positive number, got {std!r}")
        return cls(task, mean=mean, std=std)


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


def from_arrays(x: object, y: object, task: str, name: str, dtype: str = "float32",
             classes: Sequence[object] | None = None) -> Dataset:
    """Given arrays as a Dataset: text or whole-number targets are classes (named by their sorted
    values, or by ``classes``); the original class values are kept for :class:`TargetEncoder`.

    >>> data = from_arrays([[1.0], [2.0], [3.0]], ["cat", "dog", "cat"], "auto", "pets")
    >>> data.task, data.target_names, data.y.tolist()
    ('classification', ['cat', 'dog'], [0, 1, 0])
    """
    if y is None:
        raise ValueError("y: given x but no targets y; pass both")
    xa = np.asarray(x)
    if xa.dtype == object or xa.dtype.kind not in "biuf" or xa.ndim != 2:
        raise ValueError(f"x: expected a 2-D array of numbers (N, n_features), got {xa.dtype} {xa.shape}")
    ya = np.asarray(y)
    if len(ya) != len(xa):
        raise ValueError(f"y: expected {len(xa)} targets (one per row of x), got {len(ya)}")
    if task == "auto":
        whole = ya.dtype.kind != "f" or bool(np.all(np.mod(ya, 1) == 0))
        task = "classification" if whole and ya.ndim == 1 else "regression"
    if task == "regression":
        if ya.dtype.kind not in "biuf":
            raise ValueError(f"y: expected numbers for regression, got dtype {ya.dtype}")
        return Dataset(xa.astype(dtype), ya.astype(dtype), task, name=name)
    if ya.ndim != 1:
        raise ValueError(f"y: expected one class label per row, shape (N,), got {ya.shape}")
    values = np.unique(ya if classes is None else np.asarray(classes))
    labels = np.searchsorted(values, ya)
    labels[labels >= len(values)] = 0
    if classes is not None and not np.array_equal(values[labels], ya):
        unknown = sorted({str(v) for v in np.setdiff1d(ya, values)})
        raise ValueError(f"y: labels {', '.join(unknown[:5])} are not in classes {list(values)!r}")
    names = [str(v.item() if hasattr(v, "item") else v) for v in values]
    data = Dataset(xa.astype(dtype), labels.astype(np.intp), task, name=name, target_names=names)
    data.class_values = values  # the estimators' classes_ keep their type (1, not "1")
    return data
