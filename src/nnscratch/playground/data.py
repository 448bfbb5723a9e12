"""The playground's data (データ): the generated 2-D sets, and the user's CSV checked by the library's reader.

A CSV upload is parsed in memory (the bytes the page sent; no path from the client is ever opened) by
:func:`nnscratch.datasets.read_csv`, whose one-line errors (``upload.csv, line 7, column 'x1': 'abc'
is not a number``) go back to the page as they are. The playground draws the plane of two features, so
a file must have exactly two feature columns besides its target (the last column), and at most
:data:`MAX_ROWS` rows and :data:`MAX_CLASSES` classes.
"""

from __future__ import annotations

import io
import re

import numpy as np

from nnscratch import datasets
from nnscratch.datasets import Dataset

__all__ = ["generate", "read_upload", "MAX_ROWS", "MAX_BYTES", "MAX_CLASSES", "generator_call"]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CLASSES = 8


def _kwargs(name: str, samples: int, noise: float, seed: int) -> dict[str, object]:
    """The loader's keyword arguments: blobs take a spread (4·noise, at least 0.05) instead of noise."""
    if name == "blobs":
        return {"n_samples": samples, "spread": max(0.05, 4.0 * noise), "seed": seed}
    return {"n_samples": samples, "noise": noise, "seed": seed}


def generate(name: str, samples: int, noise: float, seed: int) -> Dataset:
    """A generated 2-D set (``xor``, ``moons``, ``circles``, ``spiral``, ``blobs``, ``linear``)."""
    return datasets.load(name, **_kwargs(name, samples, noise, seed))


def generator_call(name: str, samples: int, noise: float, seed: int) -> str:
    """The Python call that makes the same set, for the reproduction script."""
    args = ", ".join(f"{k}={v!r}" for k, v in _kwargs(name, samples, noise, seed).items())
    return f"datasets.load({name!r}, {args})"


def safe_name(filename: object) -> str:
    """A file name to show and to write into the script: the base name, plain characters only."""
    text = filename if isinstance(filename, str) else ""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", text.replace("\\", "/").rsplit("/", 1)[-1])[:64].lstrip(".")
    return base if base.lower().endswith(".csv") and len(base) > 4 else "upload.csv"


class _Named(io.BytesIO):
    """Bytes with a ``name``, so the CSV reader's errors name the uploaded file."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def read_upload(body: bytes, filename: str = "upload.csv") -> Dataset:
    """The uploaded CSV as a :class:`Dataset`, or one ``ValueError`` line saying what is wrong."""
    name = safe_name(filename)
    if len(body) > MAX_BYTES:
        raise ValueError(f"{name}: {len(body):,} bytes; the playground takes files up to {MAX_BYTES:,} bytes")
    if not body.strip():
        raise ValueError(f"{name}: the file is empty; expected a header row and rows of x0, x1, label")
    data = datasets.read_csv(_Named(body, name), name=name.rsplit(".", 1)[0])
    if data.n_features != 2:
        raise ValueError(f"{name}: expected 2 numeric feature columns and a label or value column (the "
                         f"last), "
                         f"got {data.n_features} feature columns ({', '.join(data.feature_names)[:80]})")
    if len(data.x) > MAX_ROWS:
        raise ValueError(f"{name}: {len(data.x):,} rows; the playground takes at most {MAX_ROWS:,}")
    if len(data.x) < 4:
        raise ValueError(f"{name}: {len(data.x)} rows; expected at least 4 to split into training and test")
    if data.task == "classification":
        k = data.n_classes or 0
        if not 2 <= k <= MAX_CLASSES:
            raise ValueError(f"{name}: {k} classes in column {data.target!r}; the playground draws 2 to "
                             f"{MAX_CLASSES} classes")
    elif not np.all(np.isfinite(data.y)):
        raise ValueError(f"{name}: the value column {data.target!r} has NaN or inf; expected numbers")
    return data
