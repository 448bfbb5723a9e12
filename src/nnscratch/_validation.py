"""Input checks shared by the network, training and the estimators: one clear error per problem."""

from __future__ import annotations

import math

import numpy as np


def _describe(a: np.ndarray) -> str:
    return f"shape {a.shape}"


def _all_finite(a: np.ndarray) -> bool:
    """True when no element is NaN or ±inf.

    Fast path: Σ a² (one BLAS dot product, no temporary) is finite only if every element is; a NaN
    or inf anywhere makes it NaN or inf. Only when it overflows (|a| > ~1e19) is every element tested.
    """
    if a.dtype.kind == "f" and a.flags.c_contiguous and a.size:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.isfinite(a).all())


def check_finite(name: str, a: np.ndarray) -> None:
    if a.dtype.kind in "fc" and not _all_finite(a):
        bad = np.argwhere(~np.isfinite(a))[0]
        where = ", ".join(str(int(i)) for i in bad)
        value = a[tuple(bad)]
        raise ValueError(
            f"{name}: contains {value} at index ({where}); expected finite numbers — remove or "
            f"impute missing values first"
        )


def _numbers(x: object, name: str) -> np.ndarray:
    """x as a NumPy array of numbers (bool, integer or float), or a one-line TypeError naming it."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}")
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name}: could not be read as an array of numbers ({exc})") from None
    if a.dtype == object or a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {a.dtype}")
    return a


def check_inputs(
    x: object, n_features: int, dtype: np.dtype, name: str = "x", finite: bool = True
) -> tuple[np.ndarray, bool]:
    """Return (x as a 2-D array of ``dtype``, whether it was one 1-D sample).

    ``finite=False`` leaves the NaN/inf check to the caller (training checks each batch as it
    gathers it, see :func:`nnscratch.train`).
    """
    a = _numbers(x, name)
    single = a.ndim == 1
    if single:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(
            f"{name}: expected shape (N, {n_features}) or ({n_features},), got {_describe(np.asarray(x))}"
        )
    if a.shape[1] != n_features:
        raise ValueError(
            f"{name}: expected {n_features} features per sample (shape (N, {n_features})), "
            f"got {_describe(np.asarray(x))}"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one sample, got {_describe(a)}")
    if finite:
        check_finite(name, a)
    return np.ascontiguousarray(a, dtype=dtype), single


def check_images(
    x: object, channels: int, dtype: np.dtype, name: str = "x", finite: bool = True
) -> tuple[np.ndarray, bool]:
    """Return (x as images (N, C, H, W) of ``dtype`` with C = ``channels``, whether it was one (C, H, W)
    image), for a network whose first layer is a convolution."""
    a = _numbers(x, name)
    single = a.ndim == 3
    if single:
        a = a[None]
    if a.ndim != 4 or a.shape[1] != channels or a.shape[0] == 0:
        raise ValueError(f"{name}: expected images (N, C, H, W) with C = {channels} channels, such as "
                         f"(10, {channels}, 28, 28) (Dataset.images() gives them), got shape {np.shape(x)}")
    if finite:
        check_finite(name, a)
    return np.ascontiguousarray(a, dtype=dtype), single


def check_targets(d: object, n_rows: int, n_out: int, kind: str, dtype: np.dtype) -> np.ndarray:
    """Validate targets for ``n_rows`` samples and a layer of ``n_out`` outputs.

    ``kind`` is the output activation: "identity" (any finite numbers), "sigmoid" (values in [0, 1])
    or "softmax" (one-hot rows, or integer labels 0..n_out-1). Returns a float array of shape
    (n_rows, n_out), or for softmax labels an integer array of shape (n_rows,).
    """
    if isinstance(d, (str, bytes)):
        raise TypeError(f"d: expected an array of numbers, got {type(d).__name__}")
    a = np.asarray(d)
    if a.dtype == object or a.dtype.kind not in "biuf":
        raise TypeError(f"d: expected numbers, got an array of dtype {a.dtype}")
    check_finite("d", a)
    expected = f"({n_rows}, {n_out})"
    if kind == "softmax":
        if a.ndim == 2 and a.shape == (n_rows, n_out):
            return np.ascontiguousarray(a, dtype=dtype)
        if a.ndim == 0 and n_rows == 1:
            a = a.reshape(1)
        if a.ndim == 1 and n_rows == 1 and a.shape[0] == n_out and n_out > 1:
            return np.ascontiguousarray(a[None, :], dtype=dtype)
        if a.ndim == 1 and a.shape[0] == n_rows:
            if a.dtype.kind == "f" and not np.all(np.mod(a, 1) == 0):
                raise ValueError(
                    f"d: class labels must be whole numbers 0..{n_out - 1}, got fractional values "
                    f"(e.g. {a[np.mod(a, 1) != 0][0]})"
                )
            if a.size and (a.min() < 0 or a.max() >= n_out):
                raise ValueError(
                    f"d: class labels must lie in 0..{n_out - 1} for {n_out} outputs, got values "
                    f"from {a.min():g} to {a.max():g}"
                )
            return a.astype(np.intp)
        raise ValueError(
            f"d: expected one-hot targets of shape {expected} or integer labels of shape "
            f"({n_rows},), got shape {a.shape}"
        )
    if a.ndim == 0 and n_rows == 1 and n_out == 1:
        a = a.reshape(1, 1)
    elif a.ndim == 1 and n_rows == 1 and a.shape[0] == n_out:
        a = a[None, :]
    elif a.ndim == 1 and n_out == 1 and a.shape[0] == n_rows:
        a = a[:, None]
    if a.shape != (n_rows, n_out):
        raise ValueError(f"d: expected targets of shape {expected} to match the output, got shape {a.shape}")
    if kind == "sigmoid" and a.size and (a.min() < 0 or a.max() > 1):
        raise ValueError(
            f"d: a sigmoid output needs targets in [0, 1] (0/1 labels), got values from "
            f"{a.min():g} to {a.max():g}"
        )
    return np.ascontiguousarray(a, dtype=dtype)


def check_positive(name: str, value: object, integer: bool = False) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) and not isinstance(value, np.number):
        raise TypeError(f"{name}: expected a positive {'integer' if integer else 'number'}, got {value!r}")
    if integer and isinstance(value, (float, np.floating)):
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if not value > 0 or not np.isfinite(value):
        raise ValueError(f"{name}: expected a positive {'integer' if integer else 'number'}, got {value!r}")


def check_param(params: dict, key: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse ``params[key]`` when the network cannot use it as it is: missing, not a NumPy array,
    another dtype (float16, int, a byte-swapped float32), another shape, or not C-ordered and aligned."""
    want = f"a {dtype.name} array of shape {shape}"
    fix = f"e.g. net.params[{key!r}] = np.ascontiguousarray(value, dtype=np.{dtype.name})"
    if key not in params:
        raise ValueError(f"params[{key!r}]: missing; expected {want}")
    p = params[key]
    if not isinstance(p, np.ndarray) or isinstance(p, (np.matrix, np.ma.MaskedArray)):
        raise TypeError(f"params[{key!r}]: expected {want}, got {type(p).__name__}; {fix}")
    if p.dtype != dtype:
        got = str(p.dtype) if p.dtype.isnative else f"{p.dtype} (non-native byte order)"
        raise ValueError(f"params[{key!r}]: expected {want}, got {got} of shape {p.shape}; {fix}")
    if p.shape != shape:
        raise ValueError(f"params[{key!r}]: expected {want}, got shape {p.shape}")
    if not p.flags.c_contiguous or not p.flags.aligned:
        layout = "not C-contiguous" if not p.flags.c_contiguous else "not aligned"
        raise ValueError(f"params[{key!r}]: expected {want} in C order, got one that is {layout}; {fix}")


def check_rate(name: str, value: object) -> float:
    """A non-negative finite number, such as a regularisation strength λ."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a non-negative number such as 1e-4, got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: expected a non-negative finite number such as 1e-4, got {value!r}")
    return float(value)


def check_step(h: object) -> None:
    """The difference step h of a numerical gradient (数値微分): a positive finite number (h = 0
    divides by zero, a NaN step gives NaN gradients)."""
    if isinstance(h, bool) or not isinstance(h, (int, float, np.integer, np.floating)):
        raise TypeError(f"h: expected a positive number such as 1e-4, got {h!r}")
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"h: expected a positive finite step such as 1e-4, got {h!r}")
