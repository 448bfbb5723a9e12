"""The common return type of every loader: a :class:`Dataset` (データセット)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """Arrays ready for ``nnscratch.train`` plus what is needed to read them back.

    - ``x``: float32 features, shape (N, n_features) — rows are samples;
    - ``y``: for classification integer labels 0..K−1 of shape (N,) (``target_names[k]`` is the
      name of label k); for regression float32 targets of shape (N,) or (N, n_targets);
    - ``task``: ``"classification"`` (分類) or ``"regression"`` (回帰);
    - ``test``: an official held-out test split when the data set has one (MNIST), else ``None``;
    - ``image_shape``: (rows, cols) when each row of ``x`` is an image's pixels (digits, MNIST), and
      ``channels`` how many of them (1, or e.g. 3 for colour); a row holds the pixels in C order
      (channel, row, column), and :meth:`images` gives ``x`` as (N, channels, rows, cols) images.

    ``x, y = dataset`` unpacks the two arrays.
    """

    x: np.ndarray
    y: np.ndarray
    task: str
    name: str = "data"
    feature_names: list[str] = field(default_factory=list)
    target_names: list[str] | None = None
    target: str = "target"
    description: str = ""
    source: str = ""
    test: Dataset | None = None
    image_shape: tuple[int, int] | None = None
    channels: int = 1

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task: expected 'classification' or 'regression', got {self.task!r}")
        if self.x.ndim != 2:
            raise ValueError(f"x: expected shape (N, n_features), got shape {self.x.shape}")
        if len(self.y) != len(self.x):
            raise ValueError(f"y: expected {len(self.x)} targets (one per row of x), got {len(self.y)}")
        pixels = None if self.image_shape is None else self.channels * int(np.prod(self.image_shape))
        if pixels is not None and pixels != self.x.shape[1]:
            raise ValueError(f"image_shape: {self.channels} channel(s) of {tuple(self.image_shape)} pixels "
                             f"do not make the {self.x.shape[1]} columns of x")
        if not self.feature_names:
            self.feature_names = [f"x{j}" for j in range(self.x.shape[1])]
        if len(self.feature_names) != self.x.shape[1]:
            raise ValueError(
                f"feature_names: expected {self.x.shape[1]} names (one per column of x), "
                f"got {len(self.feature_names)}"
            )
        if self.task == "classification" and self.target_names is None:
            k = int(self.y.max()) + 1 if len(self.y) else 0
            self.target_names = [str(i) for i in range(k)]

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.x
        yield self.y

    def __len__(self) -> int:
        return len(self.x)

    def images(self) -> np.ndarray:
        """The rows of ``x`` as images, shape (N, C, H, W) = (N, channels, rows, cols): the layout
        convolution (畳み込み) takes, as ``load_mnist(flatten=False)``. A view of ``x``, not a copy.

        >>> from nnscratch import datasets
        >>> datasets.load("digits").images().shape
        (1797, 1, 8, 8)
        """
        if self.image_shape is None:
            raise ValueError(
                f"image_shape: the data set {self.name!r} is not images (image_shape is None); images() is "
                f"for image data such as datasets.load('mnist5k')"
            )
        return self.x.reshape(len(self.x), self.channels, *self.image_shape)

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_classes(self) -> int | None:
        """Number of classes K for classification, ``None`` for regression."""
        return len(self.target_names) if self.task == "classification" and self.target_names else None

    @property
    def n_outputs(self) -> int:
        """Output units a network needs: K for classification, the number of targets for regression."""
        if self.task == "classification":
            return int(self.n_classes or 0)
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    def __repr__(self) -> str:
        kind = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return f"Dataset({self.name!r}: {self.n_samples} samples × {self.n_features} features, {kind})"
