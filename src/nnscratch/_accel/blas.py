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
the environment variable ``NNSCRATCH_BLAS=numpy`` — :func:`gemm_for` returns None, :class:`Product`
declines, and the callers use ``numpy.matmul``; the results agree to rounding (the tests check both).

The OpenBLAS is the one NumPy uses, so its thread count is NumPy's (``OPENBLAS_NUM_THREADS``,
threadpoolctl), and ctypes releases the GIL during the call, as NumPy does.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np

from nnscratch._accel.fields import data_address, fields_readable

# ILP64 symbol names of NumPy's wheels: numpy ≥ 2 (scipy-openblas) and numpy 1.2x (openblas64_)
_SYMBOLS = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
_SCALAR = {"f": ctypes.c_float, "d": ctypes.c_double}

# dtype char -> cblas_?gemm(order, trans_a, trans_b, m, n, k, α, A, lda, B, ldb, β, C, ldc), called
# with ctypes objects only (no argtypes: a prepared argument tuple then needs no conversion per call)
_cache: dict[str, ctypes._CFuncPtr | None] = {}


def _libraries() -> list[str]:
    """Shared objects that may hold NumPy's BLAS: its extension module (whose lookup also searches
    the libraries it links) and, for platforms where that does not, the bundled OpenBLAS files."""
    import glob  # only on the first use of the fast path, not at import

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
                fn.restype = None
                return fn
    return None


def _arguments(a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float, beta: float,
               trans_a: bool, trans_b: bool) -> tuple | None:
    """The cblas argument tuple for c ← α·op(a)·op(b) + β·c, or None when BLAS should not take the
    arrays: mixed dtypes, a layout :func:`fits` rejects, a read-only c (BLAS would write through the
    flag; NumPy raises its error instead) or a c that may overlap a or b (NumPy copies then)."""
    if not all(isinstance(arr, np.ndarray) for arr in (a, b, c)):  # e.g. device arrays: not ours to pass
        return None
    if not (a.dtype == b.dtype == c.dtype) or not c.dtype.isnative or not fits(a, b, c):
        return None  # a byte-swapped float32 is still dtype.char "f": BLAS would read it as garbage
    if not c.flags.writeable or not all(arr.flags.aligned for arr in (a, b, c)):
        return None
    if np.may_share_memory(a, c) or np.may_share_memory(b, c):
        return None
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if (b.shape[1] if trans_b else b.shape[0]) != k or (a.shape[1] if trans_a else a.shape[0]) != m or (
        b.shape[0] if trans_b else b.shape[1]
    ) != n:
        raise ValueError(f"gemm: shapes {a.shape}, {b.shape} -> {c.shape} do not match")
    scalar, i64, ptr, size = _SCALAR[c.dtype.char], ctypes.c_int64, ctypes.c_void_p, c.itemsize
    return (
        ctypes.c_int(ROW_MAJOR), ctypes.c_int(TRANS if trans_a else NO_TRANS),
        ctypes.c_int(TRANS if trans_b else NO_TRANS), i64(m), i64(n), i64(k), scalar(alpha),
        ptr(a.ctypes.data), i64(a.strides[0] // size), ptr(b.ctypes.data), i64(b.strides[0] // size),
        scalar(beta), ptr(c.ctypes.data), i64(c.strides[0] // size),
    )


def gemm_arrays(gemm: ctypes._CFuncPtr, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float = 1.0,
                beta: float = 0.0, trans_a: bool = False, trans_b: bool = False) -> None:
    """c ← alpha·op(a)·op(b) + beta·c for arrays that :func:`fits` accepts (op = transpose when asked)."""
    args = _arguments(a, b, c, alpha, beta, trans_a, trans_b)
    if args is None:
        raise ValueError("gemm: expected row-major arrays of one float dtype (see fits())")
    gemm(*args)


def _trusted(gemm: ctypes._CFuncPtr, dtype: np.dtype) -> bool:
    """One small product of every transpose combination against numpy.matmul: a wrong integer size or
    calling convention shows here, not in a user's weights."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3)).astype(dtype)
    b = rng.standard_normal((3, 4)).astype(dtype)
    c0 = rng.standard_normal((5, 4)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    cases = (
        (a, b, False, False),
        (np.ascontiguousarray(a.T), b, True, False),
        (a, np.ascontiguousarray(b.T), False, True),
    )
    for x, y, ta, tb in cases:
        c = c0.copy()
        gemm_arrays(gemm, x, y, c, -0.5, 1.0, ta, tb)
        if not np.allclose(c, c0 - 0.5 * (a @ b), rtol=tol, atol=tol):
            return False
    return True


def gemm_for(dtype: np.dtype) -> ctypes._CFuncPtr | None:
    """The raw BLAS GEMM for float32 or float64 arrays, or None when NumPy's BLAS cannot be called."""
    key = np.dtype(dtype).char
    if key in _cache:
        return _cache[key]
    gemm = None
    # without a cheap check of an array's memory (fields_readable) prepared calls could go stale
    if key in _SCALAR and os.environ.get("NNSCRATCH_BLAS", "").lower() != "numpy" and fields_readable():
        try:
            gemm = _find("s" if key == "f" else "d")
            if gemm is not None and not _trusted(gemm, np.dtype(key)):
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


# ---------------------------------------------------------------- prepared calls


def _matrix(a: np.ndarray) -> tuple[int, int] | None:
    """(rows, columns) of an operand BLAS may take as a row-major matrix — C-contiguous, aligned, a
    native float32/float64, not empty; a 1-D array is one row — or None."""
    if type(a) is not np.ndarray or not a.flags.c_contiguous or not a.flags.aligned:
        return None
    if a.dtype.char not in _SCALAR or not a.dtype.isnative or not a.size:
        return None
    if a.ndim == 2:
        return a.shape
    if a.ndim == 1:
        return 1, a.shape[0]
    return None


class Product:
    """A prepared c ← α·op(a)·op(b) + β·c (α, β and the transposes fixed), for a training step that
    passes the same arrays every time.

    Calling it with the arrays runs the product through BLAS and returns True, or returns False and
    does nothing when BLAS cannot take them (no BLAS found, another dtype or layout, a read-only or
    overlapping c): the caller then uses NumPy. Operands must be C-contiguous (their layout then
    follows from shape and dtype alone); a 1-D operand is one row.

    The ctypes argument tuple (addresses, sizes) is built once per set of operand objects and reused
    while the same objects come back, at the cost of three identity checks. An object's memory can
    still move (``resize(..., refcheck=False)``) or its dtype, shape or flags change: the owner of
    the product must then call :meth:`reset` before the next call. :class:`nnscratch._accel.guard.Guard`
    does that for every array a network's user can reach, once per pass; the other operands are views
    of buffers the layers own, and a view cannot move.
    """

    __slots__ = ("alpha", "beta", "trans_a", "trans_b", "a", "b", "c", "fn", "args")

    def __init__(self, alpha: float = 1.0, beta: float = 0.0, trans_a: bool = False,
                 trans_b: bool = False) -> None:
        self.alpha, self.beta, self.trans_a, self.trans_b = alpha, beta, trans_a, trans_b
        self.reset()

    def reset(self) -> None:
        """Forget the prepared call: the next call looks at its operands from scratch."""
        self.a = self.b = self.c = None
        self.fn: ctypes._CFuncPtr | None = None
        self.args: tuple | None = None

    def __reduce__(self) -> tuple:
        # a copy or a pickle starts unprepared: ctypes addresses mean nothing in another process
        return (Product, (self.alpha, self.beta, self.trans_a, self.trans_b))

    def __call__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
        if a is not self.a or b is not self.b or c is not self.c:
            if b is not self.b or c is not self.c or not self._new_a(a):
                self._prepare(a, b, c)
        if self.args is None:
            return False
        self.fn(*self.args)
        return True

    def _new_a(self, a: np.ndarray) -> bool:
        """Take a new first operand of the old one's shape and dtype (each call of ``Trainer.step``
        or ``predict`` brings one) by patching its address into the prepared call; False when a full
        :meth:`_prepare` is needed."""
        old, args = self.a, self.args
        if args is None or old is self.b or old is self.c:
            return False
        if type(a) is not np.ndarray or a.shape != old.shape or a.dtype != old.dtype:
            return False
        if not a.flags.c_contiguous or not a.flags.aligned:
            return False
        start = data_address(a)
        c_start = args[12].value
        if start < c_start + self.c.nbytes and c_start < start + a.nbytes:
            return False  # overlapping the output: the full preparation declines it
        self.args = args[:7] + (ctypes.c_void_p(start),) + args[8:]
        self.a = a
        return True

    def _prepare(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
        self.a, self.b, self.c = a, b, c
        self.args = None
        self.fn = gemm_for(c.dtype) if isinstance(c, np.ndarray) else None
        if self.fn is None:
            return
        shapes = [_matrix(arr) for arr in (a, b, c)]
        if None in shapes or not (a.dtype == b.dtype == c.dtype) or not c.flags.writeable:
            return
        if np.may_share_memory(a, c) or np.may_share_memory(b, c):
            return
        (ra, ca), (rb, cb), (m, n) = shapes
        ma, k = (ca, ra) if self.trans_a else (ra, ca)
        kb, nb = (cb, rb) if self.trans_b else (rb, cb)
        if ma != m or kb != k or nb != n:
            raise ValueError(f"gemm: shapes {a.shape}, {b.shape} -> {c.shape} do not match")
        scalar, i64, ptr = _SCALAR[c.dtype.char], ctypes.c_int64, ctypes.c_void_p
        self.args = (
            ctypes.c_int(ROW_MAJOR), ctypes.c_int(TRANS if self.trans_a else NO_TRANS),
            ctypes.c_int(TRANS if self.trans_b else NO_TRANS), i64(m), i64(n), i64(k),
            scalar(self.alpha), ptr(a.ctypes.data), i64(ca), ptr(b.ctypes.data), i64(cb),
            scalar(self.beta), ptr(c.ctypes.data), i64(n),
        )
