"""The one place that chooses the array module and creates arrays.

Layer, network and optimizer code asks this module for arrays instead of calling ``np.empty`` /
``np.zeros`` itself, so that a future device backend (CuPy) needs to change only this file.
"""

from __future__ import annotations

import numpy as np

xp = np

_DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype: object) -> np.dtype:
    """Turn ``"float32"`` / ``"float64"`` (or the numpy types) into a numpy dtype; reject others."""
    if isinstance(dtype, str) and dtype in _DTYPES:
        return np.dtype(_DTYPES[dtype])
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    return resolved


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return xp.empty(shape, dtype=dtype)


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return xp.zeros(shape, dtype=dtype)


def asarray(x: object, dtype: np.dtype | None = None) -> np.ndarray:
    return xp.asarray(x, dtype=dtype)


def float_dtype_of(x: np.ndarray) -> np.dtype:
    """float32 and float64 stay as they are; every other dtype computes in float64."""
    if x.dtype == np.float32 or x.dtype == np.float64:
        return x.dtype
    return np.dtype(np.float64)
