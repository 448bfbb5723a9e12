"""Every array a network's user can reach, verified once per pass before a prepared BLAS call uses it.

The prepared calls (:class:`nnscratch._accel.blas.Product`) keep raw addresses. The parameters, the
optimizer's velocities and the input x belong to the user, who may replace them, change them in place
(shape, dtype, flags) or even move their memory under the same object (``resize(..., refcheck=False)``
and back). :class:`Guard` keeps, for each of them, the object, a live view of its fields and their bytes
(:mod:`nnscratch._accel.fields`) and its shape; a pass compares those (about 0.1–0.2 µs an array) and,
when anything differs, checks the array in full (refusing what the network cannot use, with a one-line
error naming it) and resets every prepared call before BLAS sees the array again.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnscratch._accel.fields import fields_readable, watch
from nnscratch._validation import check_param

_C_ALIGNED = 0x0001 | 0x0100  # NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, as in ndarray.flags.num


class Guard:
    """Watches ``params`` (each key with the shape it must have, all of ``dtype``), the velocities and
    the last input; calls ``reset()`` when any of them changed since the last pass."""

    def __init__(
        self, shapes: list[tuple[str, tuple[int, ...]]], dtype: np.dtype, reset: Callable[[], None]
    ) -> None:
        self.shapes, self.dtype, self.reset = shapes, dtype, reset
        self.fast = fields_readable()
        self._params: list[tuple] = []  # (key, array, view of its fields, their bytes, shape)
        self._velocities: list[tuple] = []
        self._x: tuple = (None, None, None, None)  # (array, view, bytes, shape) of the last input

    def __getstate__(self) -> dict:
        # ctypes views hold addresses of this process's objects: a copy or a pickle watches afresh
        return {"shapes": self.shapes, "dtype": self.dtype, "reset": self.reset}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["shapes"], state["dtype"], state["reset"])

    def check_params(self, params: dict) -> None:
        """Every parameter is a C-ordered, aligned array of the network's dtype (native byte order)
        and shape, unchanged since the last pass, or is checked in full now."""
        if self.fast:
            for key, kept, view, raw, shape in self._params:
                p = params.get(key)
                if p is not kept or view.raw != raw or p.shape != shape:
                    break
            else:
                if self._params:
                    return
        self._recheck_params(params)

    def _recheck_params(self, params: dict) -> None:
        dtype, entries = self.dtype, []
        for key, shape in self.shapes:
            p = params.get(key)
            if type(p) is not np.ndarray or p.dtype != dtype or p.shape != shape or (
                p.flags.num & _C_ALIGNED != _C_ALIGNED
            ):
                check_param(params, key, shape, dtype)  # raises, or accepts (e.g. a memmap)
            if self.fast:
                entries.append((key, p, *watch(p), p.shape))
        self._params = entries
        self.reset()  # something changed (or this is the first pass): no prepared call is trusted

    def check_input(self, x: np.ndarray) -> None:
        """The input of a pass: a new object needs nothing (its address is read afresh); the same
        object as last time must not have moved."""
        kept, view, raw, shape = self._x
        if x is kept:
            if view.raw == raw and x.shape == shape:
                return
            self.reset()
        if self.fast and type(x) is np.ndarray:
            self._x = (x, *watch(x), x.shape)

    def check_velocities(self, velocities: dict) -> None:
        """The velocities a momentum step updates in place: unchanged, or every prepared call resets."""
        if self.fast:
            for key, kept, view, raw, shape in self._velocities:
                v = velocities.get(key)
                if v is not kept or view.raw != raw or v.shape != shape:
                    break
            else:
                if self._velocities:
                    return
            self._velocities = [
                (key, v, *watch(v), v.shape) for key, v in velocities.items() if type(v) is np.ndarray
            ]
        self.reset()
