"""Every loss the library reports equals the exactly rounded value (60-digit mpmath) to a few ulps of
its dtype, for logits up to ±1e30 and up to the top of each dtype's range (where the limit is inf),
with no numpy warning: each output/loss pair of ``layers`` (through ``Network.loss``) and each loss of
``functions``, float32 and float64, one row and a batch, integer labels and one-hot targets.

``python tests/test_loss_exact.py`` prints the worst relative error per loss and dtype.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from needs import need_module
from nnscratch import Network
from nnscratch import functions as F

pytestmark = pytest.mark.filterwarnings("error")  # "no numpy warnings anywhere in that range"

TOLERANCE = {"float32": 1e-6, "float64": 1e-14}
DTYPES = ("float32", "float64")
PAIRS = [  # (output, loss) of the network's output layers
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("sigmoid", "mse"),
    ("identity", "mse"),
]


# ---------------------------------------------------------------- the exact values


def _mp():
    mp = need_module("mpmath")
    mp.mp.dps = 60
    return mp


def _sigmoid(mp, u):
    return 1 / (1 + mp.exp(-u))


def exact(output: str, loss: str, u: np.ndarray, d: np.ndarray) -> object:
    """The mpmath value of the batch-mean loss of y = output(u) against dense targets d (0/1 for the
    classification outputs). 60 digits cannot hold 1 − 1e-100, so the reference is written without
    such differences: log Σ exp(u) = m + log1p(Σ_{k≠argmax} e^(u_k − m)), 1 − y_k = Σ_{j≠k} y_j,
    1 − σ(u) = σ(−u) — identities, each term evaluated to 60 digits."""
    mp = _mp()
    total = mp.mpf(0)
    for u_row, d_row in zip(u.tolist(), d.tolist(), strict=True):
        uu = [mp.mpf(v) for v in u_row]
        dd = [mp.mpf(v) for v in d_row]
        if output == "softmax":
            a = max(range(len(uu)), key=lambda k: uu[k])
            e = [mp.exp(v - uu[a]) if k != a else mp.mpf(0) for k, v in enumerate(uu)]
            t = mp.fsum(e)
            if loss == "cross_entropy":
                pairs = zip(dd, uu, strict=True)
                total += mp.fsum(dk * (mp.log1p(t) + (uu[a] - v)) for dk, v in pairs if dk)
            else:
                e[a] = mp.mpf(1)
                s = 1 + t
                diffs = [-(mp.fsum(e) - e[k]) / s if dk == 1 else e[k] / s for k, dk in enumerate(dd)]
                if any(dk == 1 for k, dk in enumerate(dd) if k == a):
                    diffs[a] = -t / s
                total += mp.fsum(x**2 for x in diffs) / 2
        elif output == "sigmoid" and loss == "binary_cross_entropy":
            # −[d log σ(u) + (1 − d) log(1 − σ(u))] = d log(1 + e^−u) + (1 − d) log(1 + e^u)
            pairs = zip(uu, dd, strict=True)
            total += mp.fsum(dk * mp.log1p(mp.exp(-v)) + (1 - dk) * mp.log1p(mp.exp(v)) for v, dk in pairs)
        elif output == "sigmoid":
            pairs = zip(uu, dd, strict=True)
            total += mp.fsum((-_sigmoid(mp, -v) if dk == 1 else _sigmoid(mp, v)) ** 2 for v, dk in pairs) / 2
        else:
            total += mp.fsum((v - dk) ** 2 for v, dk in zip(uu, dd, strict=True)) / 2
    return total / len(u)


def exact_on_probabilities(name: str, y: np.ndarray, d: np.ndarray) -> object:
    """mpmath value of functions.cross_entropy_error / binary_cross_entropy / mean_squared_error."""
    mp = _mp()
    total = mp.mpf(0)
    for y_row, d_row in zip(y.tolist(), d.tolist(), strict=True):
        for yk, dk in zip(map(mp.mpf, y_row), map(mp.mpf, d_row), strict=True):
            if name == "cross_entropy_error":
                total += -dk * mp.log(yk) if dk else 0
            elif name == "binary_cross_entropy":
                total += -(dk * mp.log(yk) if dk else 0) - ((1 - dk) * mp.log1p(-yk) if dk != 1 else 0)
            else:
                total += (yk - dk) ** 2 / 2
    return total / len(y)


def relative_error(got: float, want: object, dtype: str) -> float:
    """|got − want| / |want|; where the exactly rounded value is not a normal number of ``dtype``
    (its limit ±inf above the range, a subnormal or 0 below it) ``got`` must be that value to one
    subnormal step (0.0 error) or it is wrong (inf)."""
    with np.errstate(over="ignore", under="ignore"):
        rounded = float(np.asarray(float(want), dtype=dtype))
    info = np.finfo(dtype)
    if math.isinf(rounded) or abs(rounded) < float(info.tiny):
        return 0.0 if abs(got - rounded) <= float(info.smallest_subnormal) or got == rounded else math.inf
    return float(abs((got - want) / want))


# ---------------------------------------------------------------- the inputs


def logit_rows(dtype: str, k: int) -> list[list[float]]:
    """Rows of k logits: ties, near-ties, small and large gaps, magnitudes from 1e-3 to 1e30 and up
    to the dtype's top, mixed signs; plus seeded random rows."""
    top = float(np.finfo(dtype).max)
    eps = float(np.finfo(dtype).eps)
    rows = []
    for a in (0.0, 1e-3, 0.7, 3.0, 31.0, 1e2, 1e4, 1e5, 1e10, 1e20, 1e30, top / 4, top):
        for gap in (0.0, a * eps, 1e-6, 0.5, 3.0, 30.0, 90.0, 700.0, a, 2 * a):
            rows.append([a, a - gap] + [a - 2 * gap] * (k - 2))
            rows.append([-a, -a + gap] + [a] * (k - 2))
    # gaps whose float subtraction rounds (the exact value needs the rounding error back: TwoSum)
    rows += [[300.1, -300.2, -299.9] + [-1e3] * (k - 3), [0.1, -700.3, 5.0] + [-1e3] * (k - 3)]
    rng = np.random.default_rng(12)
    for scale in (1.0, 40.0, 300.0, 1e30):
        rows.extend((rng.standard_normal((6, k)) * scale).tolist())
    cast = np.asarray(rows, dtype=np.float64)
    with np.errstate(over="ignore"):
        cast = cast.astype(dtype)
    return [r for r in cast.tolist() if all(math.isfinite(v) for v in r)]


def targets(output: str, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    if output == "identity":
        return rng.standard_normal((n, k))
    if output == "softmax":
        return np.eye(k)[rng.integers(0, k, n)]
    return rng.integers(0, 2, (n, k)).astype(float)


def _network(output: str, loss: str, k: int, dtype: str) -> Network:
    """u = x: identity weights, so the logits are exactly the rows given."""
    params = {"W1": np.eye(k, dtype=dtype), "b1": np.zeros(k, dtype=dtype)}
    return Network.from_params(params, output=output, loss=loss, dtype=dtype)


def layer_errors(output: str, loss: str, dtype: str, k: int = 3) -> list[tuple[float, list, str]]:
    """(relative error, the logits, how the targets were given) for every case of one pair."""
    rng = np.random.default_rng(5)
    net = _network(output, loss, k, dtype)
    out = []
    rows = logit_rows(dtype, k)
    batches = [[r] for r in rows] + [rows[i : i + 7] for i in range(0, len(rows), 7)]
    for batch in batches:
        u = np.asarray(batch, dtype=dtype)
        d = targets(output, k, len(u), rng).astype(dtype)
        want = exact(output, loss, u, d)
        forms = [("dense", d)]
        if output == "softmax":
            forms.append(("labels", d.argmax(axis=1)))
        for form, given in forms:
            out.append((relative_error(net.loss(u, given), want, dtype), batch, form))
    return out


def function_errors(name: str, dtype: str, k: int = 3) -> list[tuple[float, list, str]]:
    """The same for the functions module: the *_with_loss functions from logits, the others from
    probabilities (softmax/sigmoid of the logits, as float values of the dtype)."""
    rng = np.random.default_rng(6)
    out = []
    rows = logit_rows(dtype, k)
    for batch in [[r] for r in rows] + [rows[i : i + 5] for i in range(0, len(rows), 5)]:
        u = np.asarray(batch, dtype=dtype)
        if name in ("softmax_with_loss", "sigmoid_with_loss"):
            output = "softmax" if name == "softmax_with_loss" else "sigmoid"
            loss = "cross_entropy" if output == "softmax" else "binary_cross_entropy"
            d = targets(output, k, len(u), rng).astype(dtype)
            want = exact(output, loss, u, d)
            givens = [("dense", d)] + ([("labels", d.argmax(axis=1))] if output == "softmax" else [])
            for form, given in givens:
                got = getattr(F, name)(given if len(u) > 1 else given[0], u if len(u) > 1 else u[0])
                out.append((relative_error(got, want, dtype), batch, form))
            continue
        with np.errstate(over="ignore", under="ignore"):
            y = (F.softmax(u) if name == "cross_entropy_error" else F.sigmoid(u)).astype(dtype)
        if name == "mean_squared_error":
            y = u
        d = targets("softmax" if name == "cross_entropy_error" else "sigmoid", k, len(u), rng).astype(dtype)
        if name == "mean_squared_error":
            d = rng.standard_normal(u.shape).astype(dtype)
        if name == "cross_entropy_error" and np.any(y[d == 1] == 0):
            continue  # log 0: the documented floor (tested below), not a value to compare
        if name == "binary_cross_entropy" and np.any((y == 0) & (d == 1) | (y == 1) & (d == 0)):
            continue
        want = exact_on_probabilities(name, y, d)
        out.append((relative_error(getattr(F, name)(d, y), want, dtype), batch, "dense"))
        if name == "cross_entropy_error":
            got = F.cross_entropy_error(d.argmax(axis=1), y)
            out.append((relative_error(got, want, dtype), batch, "labels"))
    return out


FUNCTIONS = ["softmax_with_loss", "sigmoid_with_loss", "cross_entropy_error", "binary_cross_entropy",
             "mean_squared_error"]


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize(("output", "loss"), PAIRS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_network_loss_is_exact_for_every_pair(output: str, loss: str, dtype: str) -> None:
    worst = max(layer_errors(output, loss, dtype), key=lambda e: e[0])
    assert worst[0] <= TOLERANCE[dtype], f"{output}+{loss} {dtype}: error {worst[0]:.3g} at {worst[1:]}"


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_function_loss_is_exact(name: str, dtype: str) -> None:
    worst = max(function_errors(name, dtype), key=lambda e: e[0])
    assert worst[0] <= TOLERANCE[dtype], f"{name} {dtype}: error {worst[0]:.3g} at {worst[1:]}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_issue_reproduction_gives_log_2(dtype: str) -> None:
    net = Network.from_params({"W1": np.eye(2), "b1": np.zeros(2)}, output="softmax", dtype=dtype)
    assert net.loss([[1e30, 1e30]], [0]) == float(np.asarray(math.log(2), dtype=dtype))
    assert abs(net.loss([[1e4, 1e4]], [0]) - math.log(2)) <= 1e-7
    got = net.loss(np.array([[1e5, 1e5 - 30]], dtype=dtype), [0])
    assert got == pytest.approx(9.357622968840175e-14, rel=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_beyond_the_dtype_range_the_loss_is_its_limit_inf(dtype: str) -> None:
    top = float(np.finfo(dtype).max)
    u = np.array([[-top, -top / 2]], dtype=dtype)
    # float32: 1.5·3.4e38 exceeds float32 (the value is inf in that dtype, not a finite 5e38)
    assert _network("sigmoid", "binary_cross_entropy", 2, dtype).loss(u, [[1, 1]]) == math.inf
    assert F.sigmoid_with_loss(np.ones((1, 2), dtype=dtype), u) == math.inf
    assert _network("identity", "mse", 2, dtype).loss(u, [[top, top]]) == math.inf
    assert _network("softmax", "cross_entropy", 2, dtype).loss(np.array([[top, -top]], dtype=dtype), [1]) == (
        math.inf
    )


def test_a_mean_below_the_top_is_finite_when_only_the_sum_overflows() -> None:
    top = float(np.finfo(np.float64).max)
    u = np.array([[-0.75 * top], [-0.75 * top]])
    assert F.sigmoid_with_loss(np.ones((2, 1)), u) == pytest.approx(0.75 * top, rel=1e-15)
    assert F.mean_squared_error(np.zeros(1), np.array([1.5e154])) == pytest.approx(1.125e308, rel=1e-15)


def test_probabilities_of_zero_keep_the_documented_finite_floor() -> None:
    for dtype in DTYPES:
        tiny = float(np.finfo(dtype).tiny)
        y = np.array([[0.0, 1.0]], dtype=dtype)
        assert F.cross_entropy_error(np.array([[1.0, 0.0]]), y) == pytest.approx(-math.log(tiny))
        assert F.binary_cross_entropy(np.array([[1.0, 0.0]]), y) == pytest.approx(-2 * math.log(tiny))
        # a subnormal probability is not 0: its own log, not the floor
        sub = np.array([[tiny / 8, 1 - tiny / 8]], dtype=dtype)
        want = pytest.approx(-math.log(tiny / 8), rel=TOLERANCE[dtype])
        assert F.cross_entropy_error(np.array([0]), sub) == want


def test_training_reports_the_exact_loss_in_its_history() -> None:
    """The value training records is the same exact loss (the trainer takes it from the layer)."""
    from nnscratch.training import Trainer

    net = _network("softmax", "cross_entropy", 2, "float64")
    x = np.array([[1e5, 1e5 - 30]])
    assert Trainer(net, "sgd", lr=1e-3).step(x, [0]) == pytest.approx(9.357622968840175e-14, rel=1e-14)


def worst_table() -> list[tuple[str, str, float]]:
    rows = []
    for (output, loss), dtype in itertools.product(PAIRS, DTYPES):
        worst = max(e[0] for e in layer_errors(output, loss, dtype))
        rows.append((f"layers {output} + {loss}", dtype, worst))
    for name, dtype in itertools.product(FUNCTIONS, DTYPES):
        rows.append((f"functions.{name}", dtype, max(e[0] for e in function_errors(name, dtype))))
    return rows


if __name__ == "__main__":
    for what, dtype, err in worst_table():
        print(f"{what:42s} {dtype:8s} worst relative error {err:.2e}  (bar {TOLERANCE[dtype]:.0e})")
