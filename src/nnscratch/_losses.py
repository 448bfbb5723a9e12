"""Loss values (誤差の値) exact to a few ulps for any finite input: the kernels behind every loss the
library reports (``functions`` and the output layers of ``layers``).

Why a module of its own: the textbook formulas lose digits at large logits. ``max + log Σ exp − u_label``
rounds log Σ exp away when the max is huge, ``1 − y`` rounds a small ``y`` away, and float32 squares
overflow. Each kernel below therefore

- computes in float64 (a float32 input converts exactly), with every term ≥ 0 so that no digits cancel;
- for softmax, keeps the row's largest logit out of the sum: with m = max_k u_k (at index a) and
  t = Σ_{k≠a} exp(u_k − m), log Σ_k exp(u_k) = m + log1p(t), and log1p(t) is exact also for tiny t;
- for float64 input, corrects exp(u_k − m) by the rounding error of the subtraction, found exactly by
  Knuth's TwoSum (the error of u_k − m is up to ½ ulp of |u_k − m|, which exp turns into a relative
  error of that size: 6e-14 at a gap of 700);
- averages over rows with pairwise summation, rescaling by a power of two when only the intermediate
  sum overflows;
- rounds the float64 result to the input's dtype, so a float32 loss above 3.4e38 is ``inf`` (its limit),
  never a finite number no float32 can hold.

Every kernel takes the target first, ``(d, y)`` or ``(d, u)``, as :mod:`nnscratch.functions` does
(the library's one argument order). No numpy warning is raised for any finite input. Non-finite
logits (a diverged network) give a non-finite loss, which training reports as a divergence.
"""

from __future__ import annotations

import math

import numpy as np

_F64 = np.float64
# float32 rounds to inf from 2^128 − 2^103 on (its largest number plus half a step)
_F32_OVERFLOW = 2.0**128 - 2.0**103


def _quiet():
    """Overflow to ±inf and 0·inf are handled explicitly below; numpy must not also warn about them.
    Only float64 input can overflow in float64 arithmetic (float32 values stay below 3.4e38 and their
    squares below 1.2e77), so the float32 path — training's default — skips this context (1 µs)."""
    return np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore")


def _exact(kernel):
    """Run ``kernel(d, a, …)`` under :func:`_quiet` for float64 input ``a``, directly otherwise."""

    def run(d: np.ndarray, a: np.ndarray, *args):
        if a.dtype == _F64:
            with _quiet():
                return kernel(d, a, *args)
        return kernel(d, a, *args)

    run.__name__, run.__doc__ = kernel.__name__, kernel.__doc__
    return run


def round_to(value: float, dtype: np.dtype) -> float:
    """The float64 ``value`` rounded to ``dtype`` (float32: ±inf from 2^128 − 2^103 on), as a Python
    float; ``+ 0.0`` turns −0.0 into 0.0."""
    if dtype == np.float32:
        if abs(value) >= _F32_OVERFLOW:
            return math.copysign(math.inf, value)
        return float(np.float32(value)) + 0.0
    if dtype != _F64:
        with _quiet():
            return float(np.asarray(value, dtype=dtype)) + 0.0
    return value + 0.0


def _mean_rows(per: np.ndarray, n: int) -> float:
    """Σ per / n with pairwise summation; when only the sum overflows, the mean is computed on values
    scaled by a power of two (exact), so a finite mean is never reported as inf."""
    total = float(per.sum()) / n
    if math.isinf(total) and np.all(np.isfinite(per)):
        with _quiet():
            k = math.frexp(float(np.max(np.abs(per))))[1]
            total = float(np.ldexp(np.sum(np.ldexp(per, -k)) / n, k))
    return total


_ONES: dict[int, np.ndarray] = {}


def _row_sums(a: np.ndarray) -> np.ndarray:
    """Σ_k a_ik as a matrix-vector product with ones: on rows of a few classes about 3× faster than
    ``a.sum(axis=1)``; the values summed here are all ≥ 0, so the order of the sum costs no digits."""
    k = a.shape[1]
    ones = _ONES.get(k)
    if ones is None:
        ones = _ONES[k] = np.ones(k)
    return a @ ones


def _rows_of(n: int, rows: np.ndarray | None) -> np.ndarray:
    return np.arange(n) if rows is None else rows


def _shifted_exp(u: np.ndarray, u64: np.ndarray, m: np.ndarray, rows: np.ndarray, argmax: np.ndarray) -> None:
    """u64 (a float64 copy of u) becomes e_ik = exp(u_ik − m_i), with 0 at each row's argmax.

    For float64 u the rounding error r of the subtraction (u − m = fl(u − m) + r exactly, TwoSum) is
    put back as exp(fl(u − m))·(1 + r). A float32 u needs no correction: in float64 its differences
    round by at most 2⁻⁵³·|u − m|, far inside float32's tolerance.
    """
    col = m[:, None]
    if u.dtype == _F64:
        diff = u64 - col
        back = diff - u64  # TwoSum(u, −m): the exact error of fl(u − m)
        err = (u64 - (diff - back)) - (col + back)
        np.exp(diff, out=u64)
        u64 *= 1.0 + np.nan_to_num(err, nan=0.0, posinf=0.0, neginf=0.0)
    else:
        u64 -= col
        np.exp(u64, out=u64)
    u64[rows, argmax] = 0.0


def _gaps(d: np.ndarray, u64: np.ndarray, m: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row Σ_k d_k (m − u_k) ≥ 0, or m − u_label for integer labels."""
    if d.ndim == 1:
        return m - u64[rows, d]
    gap = m[:, None] - u64  # inf only for float64 logits ±1e308 apart
    d64 = d.astype(_F64, copy=False)
    return np.multiply(d64, gap, out=np.zeros_like(gap), where=d64 != 0).sum(axis=1)  # 0·inf is 0 here


@_exact
def softmax_cross_entropy(
    d: np.ndarray,
    u: np.ndarray,
    argmax: np.ndarray | None = None,
    rows: np.ndarray | None = None,
    row_max: np.ndarray | None = None,
) -> float:
    """交差エントロピー of softmax(u): E = −Σ_k d_k log y_k averaged over rows, from the logits u (N, K).

    ``d`` is integer labels (N,) or dense targets (N, K) (one-hot or soft, ≥ 0). Per row,
    −log y_k = log1p(t) + (m − u_k) with both terms ≥ 0 (see the module docstring). The output layer
    passes what its forward pass already found (each row's argmax and max, the row indices).
    """
    n = u.shape[0]
    if n == 1 and u.shape[1] <= _ONE_ROW_MAX_K:
        return round_to(_one_row_cross_entropy(d[0].tolist() if d.ndim == 2 else int(d[0]), u[0].tolist(),
                                               u.dtype == _F64), u.dtype)
    rows = _rows_of(n, rows)
    if argmax is None:
        argmax = np.argmax(u, axis=1)
    u64 = u.astype(_F64)
    m = u64[rows, argmax] if row_max is None else row_max[:, 0].astype(_F64)
    gap = _gaps(d, u64, m, rows)
    _shifted_exp(u, u64, m, rows, argmax)
    log_norm = _row_sums(u64)
    np.log1p(log_norm, out=log_norm)  # log Σ_k exp(u_k − m) ≥ 0
    if d.ndim == 2:
        log_norm *= d.sum(axis=1, dtype=_F64)
    total = _mean_rows(log_norm + gap, n)
    if math.isinf(total) and u.dtype == _F64 and np.all(np.isfinite(u)):
        # float64 logits ±1e308 apart: a gap overflows although the mean may not; again with every
        # term at ¼ scale (ldexp is exact), then 4× the mean
        quarter = np.ldexp(u, -2)
        per = np.ldexp(log_norm, -2) + _gaps(d, quarter, quarter[rows, argmax], rows)
        total = float(np.ldexp(_mean_rows(per, n), 2))
    return round_to(total, u.dtype)


# one sample of a few classes (online learning): Python floats beat a dozen numpy calls on tiny arrays
_ONE_ROW_MAX_K = 16


def _one_row_cross_entropy(d: int | list[float], u: list[float], two_sum: bool) -> float:
    """The same value as the batch path for a single row, in Python floats (float64)."""
    a = max(range(len(u)), key=u.__getitem__)
    m = u[a]
    t = 0.0
    for k, v in enumerate(u):
        if k != a:
            diff = v - m
            if two_sum and math.isfinite(diff):
                back = diff - v
                t += math.exp(diff) * (1.0 + ((v - (diff - back)) - (m + back)))
            else:
                t += math.exp(diff)  # diff ≤ 0: 0.0 below the range, never an error
    log_norm = math.log1p(t)
    if isinstance(d, int):
        gap = m - u[d]
        return log_norm + gap if math.isfinite(gap) else _one_row_scaled([1.0], [u[d]], log_norm, m)
    gaps = [dk * (m - v) for dk, v in zip(d, u, strict=True) if dk != 0]
    total = math.fsum(d) * log_norm + math.fsum(gaps) if all(map(math.isfinite, gaps)) else math.inf
    return total if math.isfinite(total) else _one_row_scaled(d, u, log_norm * math.fsum(d), m)


def _one_row_scaled(d: list[float], u: list[float], log_norm: float, m: float) -> float:
    """A gap beyond float64 (logits ±1e308 apart): every term at ¼ scale, then 4× (inf if it is)."""
    quarter = log_norm / 4 + math.fsum(dk * (m / 4 - v / 4) for dk, v in zip(d, u, strict=True) if dk != 0)
    return quarter * 4.0  # inf where the value is beyond float64


def softmax_rows(u: np.ndarray, argmax: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(y, 1 − y) of softmax(u) in float64, each accurate to a few ulps: 1 − y_k = Σ_{j≠k} y_j is
    computed without subtracting from 1 (which would lose a y_k near 1)."""
    rows = np.arange(u.shape[0])
    if argmax is None:
        argmax = np.argmax(u, axis=1)
    e = u.astype(_F64)
    _shifted_exp(u, e, e[rows, argmax], rows, argmax)
    t = _row_sums(e)
    s = (1.0 + t)[:, None]
    rest = (s - e) / s  # Σ_{j≠k} e_j / s for k ≠ argmax: s − e_k ≥ 1, so no digits cancel
    rest[rows, argmax] = t / s[:, 0]
    e /= s
    e[rows, argmax] = 1.0 / s[:, 0]
    return e, rest


def _difference(d: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """p − d where p is a probability and q = 1 − p (given exactly): for d ≥ ½ as (1 − d) − q, so a
    target of 1 gives −q with no cancellation; 1 − d is exact there (Sterbenz)."""
    d = d.astype(_F64, copy=False)
    return np.where(d >= 0.5, (1.0 - d) - q, p - d)


def _half_sum_squares(diff: np.ndarray) -> float:
    return 0.5 * float(np.vdot(diff, diff))


@_exact
def squared_error(d: np.ndarray, y: np.ndarray) -> float:
    """二乗和誤差 E = ½ Σ_k (y_k − d_k)², averaged over rows, for given outputs y (N, K)."""
    n = y.shape[0]
    diff = y.astype(_F64)
    diff -= d
    total = _half_sum_squares(diff) / n
    if math.isinf(total) and np.all(np.isfinite(y)) and np.all(np.isfinite(d)):
        # only an intermediate overflowed (float64 input): y − d or a square; again at scale 2^-k (exact)
        k = math.frexp(max(float(np.max(np.abs(y))), float(np.max(np.abs(d)))))[1]
        scaled = np.ldexp(y, -k) - np.ldexp(d, -k)
        total = float(np.ldexp(_half_sum_squares(scaled) / n, 2 * k))
    return round_to(total, y.dtype)


@_exact
def sigmoid_squared_error(d: np.ndarray, u: np.ndarray) -> float:
    """二乗和誤差 of y = σ(u), from u: ½ Σ (σ(u) − d)² averaged over rows; for d = 1 the difference is
    −σ(−u), which stays exact where σ(u) rounds to 1."""
    p, q = sigmoid_pair(u)
    return round_to(_half_sum_squares(_difference(d, p, q)) / u.shape[0], u.dtype)


@_exact
def softmax_squared_error(d: np.ndarray, u: np.ndarray, argmax: np.ndarray | None = None) -> float:
    """二乗和誤差 of y = softmax(u) against dense targets d (N, K), from u."""
    y, rest = softmax_rows(u, argmax)
    return round_to(_half_sum_squares(_difference(d, y, rest)) / u.shape[0], u.dtype)


def sigmoid_pair(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ(u), σ(−u)) = (σ(u), 1 − σ(u)) in float64, both from e = exp(−|u|) ∈ (0, 1] (no overflow)."""
    u64 = u.astype(_F64, copy=False)
    e = np.exp(-np.abs(u64))
    big, small = 1.0 / (1.0 + e), e / (1.0 + e)  # σ(|u|), σ(−|u|)
    positive = u64 >= 0
    return np.where(positive, big, small), np.where(positive, small, big)


@_exact
def sigmoid_binary_cross_entropy(d: np.ndarray, u: np.ndarray) -> float:
    """二値交差エントロピー of σ(u), from u: Σ_k [|u|·(1 − d if u ≥ 0 else d) + log(1 + e^−|u|)]
    averaged over rows — the same value as −[d log σ(u) + (1 − d) log(1 − σ(u))], as two terms ≥ 0
    for targets in [0, 1] (the usual max(u, 0) − u·d cancels for soft targets near 1)."""
    u64 = u.astype(_F64)
    d64 = d.astype(_F64, copy=False)
    weight = np.where(u64 >= 0, 1.0 - d64, d64)
    np.abs(u64, out=u64)
    weight *= u64
    np.negative(u64, out=u64)
    np.exp(u64, out=u64)
    np.log1p(u64, out=u64)
    u64 += weight
    return round_to(_mean_rows(u64, u.shape[0]), u.dtype)


def _log_floor(p: np.ndarray, tiny: float) -> np.ndarray:
    """log p, with log(tiny) where p is 0 (the library's convention: a finite loss where y has zeros;
    the course adds 1e-7 instead, which biases every value)."""
    return np.log(np.where(p > 0, p, tiny))


@_exact
def cross_entropy(d: np.ndarray, y: np.ndarray, labels: np.ndarray | None) -> float:
    """交差エントロピー −Σ_k d_k log y_k averaged over rows, for given probabilities y (N, K)."""
    n = y.shape[0]
    tiny = float(np.finfo(y.dtype).tiny)
    y64 = y.astype(_F64, copy=False)
    if labels is not None:
        per = -_log_floor(y64[np.arange(n), labels], tiny)
    else:
        per = -np.sum(d.astype(_F64, copy=False).reshape(y64.shape) * _log_floor(y64, tiny), axis=1)
    return round_to(_mean_rows(per, n), y.dtype)


@_exact
def binary_cross_entropy(d: np.ndarray, y: np.ndarray) -> float:
    """二値交差エントロピー −Σ_k [d log y + (1 − d) log(1 − y)] averaged over rows, for given y;
    log(1 − y) as log1p(−y), exact for small y (1 − y would round y away)."""
    tiny = float(np.finfo(y.dtype).tiny)
    y64 = y.astype(_F64, copy=False)
    d64 = d.astype(_F64, copy=False).reshape(y.shape)
    with _quiet():  # log1p(−1) = −inf where y = 1, replaced by the floor
        log_rest = np.where(y64 < 1, np.log1p(-y64), math.log(tiny))
    terms = d64 * _log_floor(y64, tiny) + (1.0 - d64) * log_rest
    return round_to(_mean_rows(-np.sum(terms, axis=1), y.shape[0]), y.dtype)
