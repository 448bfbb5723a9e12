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


def fit(buf: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``buf`` when it has this shape and dtype (a buffer kept from the last call), else a new one."""
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        return empty(shape, dtype)
    return buf


class Workspace:
    """A buffer that grows to the largest row count asked for and is viewed at the current one.

    With ``fill`` set, a new buffer is filled with that value once (for a constant operand such as
    the ones that sum a batch); its users never write into it.
    """

    __slots__ = ("_buf", "_fill", "_key", "_view")

    def __init__(self, fill: float | None = None) -> None:
        self._buf: np.ndarray | None = None
        self._fill = fill
        self._key: tuple | None = None  # (n, cols, dtype) of the last view handed out, and the view
        self._view: np.ndarray | None = None

    def get(self, n: int, cols: int, dtype: np.dtype) -> np.ndarray:
        key = (n, cols, dtype)
        if key == self._key:  # the common case in training: the same batch size as last time
            return self._view
        buf = self._buf
        if buf is None or buf.shape[0] < n or buf.shape[1] != cols or buf.dtype != dtype:
            buf = self._buf = empty((n, cols), dtype)
            if self._fill is not None:
                buf.fill(self._fill)
        self._key, self._view = key, buf[:n]
        return self._view
