"""An array object's own fields, read in place: a check of its memory cheap enough for every pass.

NumPy's ``a.ctypes.data`` or ``a.__array_interface__`` cost about a microsecond each. The fields an
array object holds about its memory — data pointer, number of dimensions, the dimension and stride
pointers, base, dtype and flags — sit in a C struct right after the object header
(``PyArrayObject_fields``, numpy/ndarraytypes.h, the same in NumPy 1.x and 2.x). A ctypes view of
those bytes, made once per array object, reads them in a few tens of nanoseconds: ``view.raw`` differs
from the bytes taken earlier as soon as the memory moved (``resize``), the dtype or the flags changed.
:func:`fields_readable` checks the layout against NumPy's own accessors once, before anything relies
on it; where it does not hold (another Python, another NumPy) the fast path is off.
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np

_HEAD = object.__basicsize__  # PyObject_HEAD: NumPy's array fields follow it


class _ArrayFields(ctypes.Structure):
    """The start of NumPy's ``PyArrayObject_fields`` (numpy/ndarraytypes.h, the same in NumPy 1.x
    and 2.x): what an array object holds about its memory. Checked against NumPy's own accessors by
    :func:`fields_readable` before anything relies on it."""

    _fields_ = [
        ("data", ctypes.c_void_p),
        ("nd", ctypes.c_int),
        ("dimensions", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("base", ctypes.c_void_p),
        ("descr", ctypes.c_void_p),
        ("flags", ctypes.c_int),
    ]


# data pointer, ndim, the dimension and stride pointers, base, dtype (descr) and flags: one bytes compare
_WATCHED_BYTES = _ArrayFields.flags.offset + ctypes.sizeof(ctypes.c_int)
_fields_ok: bool | None = None


def fields_readable() -> bool:
    """True when an array object's fields can be read at ``id(a) + _HEAD`` (CPython and NumPy's
    documented struct), checked once on arrays of several kinds against NumPy's own accessors."""
    global _fields_ok
    if _fields_ok is None:
        _fields_ok = False
        if hasattr(ctypes, "pythonapi") and sys.implementation.name == "cpython":
            base = np.zeros((4, 6), np.float32)
            frozen = np.ones(3)
            frozen.flags.writeable = False
            samples = (base, base[1:3], base[:, ::2], frozen, np.zeros((2, 1, 3), np.float64).T)
            for a in samples:
                f = _ArrayFields.from_address(id(a) + _HEAD)
                if not (f.data == a.ctypes.data and f.nd == a.ndim and f.descr == id(a.dtype)):
                    return False
                dims = (ctypes.c_ssize_t * a.ndim).from_address(f.dimensions)  # only now known valid
                if f.flags != a.flags.num or tuple(dims) != a.shape:
                    return False
            _fields_ok = True
    return _fields_ok


def watch(a: np.ndarray) -> tuple[ctypes.Array, bytes]:
    """(a live view of ``a``'s fields, their bytes now): ``view.raw != now`` when ``a``'s memory,
    dtype, number of dimensions or flags changed since. Needs :func:`fields_readable`."""
    view = (ctypes.c_char * _WATCHED_BYTES).from_address(id(a) + _HEAD)
    return view, view.raw


def data_address(a: np.ndarray) -> int:
    """``a.ctypes.data``, read from the array's fields (several times faster)."""
    return _ArrayFields.from_address(id(a) + _HEAD).data
