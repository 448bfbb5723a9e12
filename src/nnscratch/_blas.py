"""GEMM with α and β from the BLAS that NumPy itself uses: C ← α·op(A)·op(B) + β·C (行列積).

``numpy.matmul`` computes C = A·B into C. Two steps of training want more than that:

- the SGD update W ← W − η·xᵀ·δ is one GEMM with α = −1, β = 1 once δ carries η, so there is no
  gradient array to write and read back and no separate subtraction pass;
- u = x·W + b is one GEMM with β = 1 into a buffer that already holds b (BLAS clears C for β = 0
  anyway, so the bias costs nothing extra).

NumPy does not expose α and β, so this module looks up ``cblas_sgemm``/``cblas_dgemm`` in the OpenBLAS
that NumPy's own extension module is linked to (through ctypes, part of Python; no new dependency)
and calls it with NumPy's pointers. Only the 64-bit-integer builds that NumPy's wheels ship are
used (their symbols end in ``64_``), and the function is checked against ``numpy.matmul`` once before
it is trusted. When any of that fails — another BLAS, a platform where the lookup does not work, or
the environment variable ``NNSCRATCH_BLAS=numpy`` — :func:`gemm_for` returns None and the callers use
``numpy.matmul``; the results agree to rounding (the tests check both paths).

The OpenBLAS is the one NumPy uses, so its thread count is NumPy's (``OPENBLAS_NUM_THREADS``,
threadpoolctl), and ctypes releases the GIL during the call, as NumPy does.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Callable

import numpy as np

# ILP64 symbol names of NumPy's wheels: numpy ≥ 2 (scipy-openblas) and numpy 1.2x (openblas64_)
_SYMBOLS = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")

Gemm = Callable[..., None]
_cache: dict[str, Gemm | None] = {}


def _libraries() -> list[str]:
    """Shared objects that may hold NumPy's BLAS: its extension module (whose lookup also searches
    the libraries it links) and, for platforms where that does not, the bundled OpenBLAS files."""
    core = getattr(np, "_core", None) or np.core
    paths = [core._multiarray_umath.__file__]
    base = os.path.dirname(os.path.dirname(np.__file__))
    for pattern in ("numpy.libs/*openblas*", "numpy/.libs/*openblas*", "numpy/.dylibs/*openblas*"):
        paths.extend(sorted(glob.glob(os.path.join(base, pattern))))
    return paths


def _find(letter: str) -> ctypes._CFuncPtr | None:
    for path in _libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SYMBOLS:
            fn = getattr(lib, name.format(letter), None)
            if fn is not None:
                return fn
    return None


ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _bind(fn: ctypes._CFuncPtr, ctype: type) -> Gemm:
    """The raw cblas_?gemm(order, trans_a, trans_b, m, n, k, α, A, lda, B, ldb, β, C, ldc), with
    addresses as integers (see :class:`Address`)."""
    i64, ptr, enum = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    fn.argtypes = [enum, enum, enum, i64, i64, i64, ctype, ptr, i64, ptr, i64, ctype, ptr, i64]
    fn.restype = None
    return fn


def gemm_arrays(gemm: Gemm, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float = 1.0,
                beta: float = 0.0, trans_a: bool = False, trans_b: bool = False) -> None:
    """c ← alpha·op(a)·op(b) + beta·c for arrays that :func:`fits` accepts (op = transpose when asked)."""
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    size = c.itemsize
    gemm(ROW_MAJOR, TRANS if trans_a else NO_TRANS, TRANS if trans_b else NO_TRANS, m, n, k,
         alpha, a.ctypes.data, a.strides[0] // size, b.ctypes.data, b.strides[0] // size,
         beta, c.ctypes.data, c.strides[0] // size)


class Address:
    """The data address of the last array seen in one role, looked up again only for a new object.

    ``ndarray.ctypes.data`` costs about a microsecond; a training step passes the same buffer objects
    every time, and an array object's data never moves, so the address is kept with the object.
    """

    __slots__ = ("array", "value")

    def __init__(self) -> None:
        self.array: np.ndarray | None = None
        self.value = 0

    def of(self, a: np.ndarray) -> int:
        if a is not self.array:
            self.array, self.value = a, a.ctypes.data
        return self.value


def _trusted(gemm: Gemm, dtype: np.dtype) -> bool:
    """One small product of every transpose combination against numpy.matmul: a wrong integer size or
    calling convention shows here, not in a user's weights."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3)).astype(dtype)
    b = rng.standard_normal((3, 4)).astype(dtype)
    c0 = rng.standard_normal((5, 4)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    cases = (
        (a, b, False, False, a @ b),
        (np.ascontiguousarray(a.T), b, True, False, a @ b),
        (a, np.ascontiguousarray(b.T), False, True, a @ b),
    )
    for x, y, ta, tb, want in cases:
        c = c0.copy()
        gemm_arrays(gemm, x, y, c, -0.5, 1.0, ta, tb)
        if not np.allclose(c, c0 - 0.5 * want, rtol=tol, atol=tol):
            return False
    return True


def gemm_for(dtype: np.dtype) -> Gemm | None:
    """The raw BLAS GEMM for float32 or float64 arrays, or None when NumPy's BLAS cannot be called."""
    key = np.dtype(dtype).char
    if key in _cache:
        return _cache[key]
    gemm = None
    if key in "fd" and os.environ.get("NNSCRATCH_BLAS", "").lower() != "numpy":
        try:
            fn = _find("s" if key == "f" else "d")
            if fn is not None:
                gemm = _bind(fn, ctypes.c_float if key == "f" else ctypes.c_double)
                if not _trusted(gemm, np.dtype(key)):
                    gemm = None
        except (OSError, AttributeError, ValueError, TypeError):
            gemm = None
    _cache[key] = gemm
    return gemm


def fits(*arrays: np.ndarray) -> bool:
    """True when every array is 2-D with unit column stride and a positive row stride: a layout
    BLAS reads as a row-major matrix with leading dimension stride[0] / itemsize."""
    for a in arrays:
        s = a.strides
        if a.ndim != 2 or s[1] != a.itemsize or s[0] < a.shape[1] * a.itemsize or s[0] % a.itemsize:
            return False
    return True
