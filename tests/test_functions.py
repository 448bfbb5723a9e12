"""nnscratch.functions: derivatives against the numerical gradient, stability, dtypes, shapes."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nnscratch import functions as F
from nnscratch.gradcheck import relative_error

H = 1e-5  # central-difference step for the float64 checks below (truncation ~h², rounding ~eps/h)
TOL = 1e-7

# (name, f, f') with f' taking the pre-activation u
ACTIVATIONS = [
    ("identity", F.identity, F.d_identity),
    ("sigmoid", F.sigmoid, F.d_sigmoid),
    ("tanh", F.tanh, F.d_tanh),
    ("relu", F.relu, F.d_relu),
    ("leaky_relu", F.leaky_relu, F.d_leaky_relu),
    ("leaky_relu(alpha=0.2)", lambda u: F.leaky_relu(u, alpha=0.2), lambda u: F.d_leaky_relu(u, alpha=0.2)),
    ("step", F.step_function, F.d_step_function),
]


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...], margin: float = 0.05) -> np.ndarray:
    """Normal draws pushed at least ``margin`` away from 0, where ReLU / leaky ReLU / step have a kink."""
    u = rng.normal(0.0, 2.0, size=shape)
    u = np.where(np.abs(u) < margin, np.sign(u + 1e-300) * margin * 2, u)
    assert np.abs(u).min() >= margin > 10 * H
    return u


# ---------------------------------------------------------------- activation derivatives


@pytest.mark.parametrize("name, f, df", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("shape", [(7,), (4, 5)], ids=["1d", "2d"])
def test_activation_derivative_matches_numerical_gradient(name, f, df, shape, rng):
    # f is elementwise, so ∂/∂u_i Σ_j f(u_j) = f'(u_i): the numerical gradient of the sum is f'(u).
    u = away_from_kinks(rng, shape)
    numeric = F.numerical_gradient(lambda v: float(np.sum(f(v))), u, h=H)
    analytic = df(u)
    assert analytic.shape == u.shape
    if name == "step":
        assert np.all(analytic == 0) and np.all(numeric == 0)
    else:
        assert relative_error(analytic, numeric) < TOL, name


def test_activation_values_follow_their_formulas(rng):
    u = away_from_kinks(rng, (3, 4))
    expected_sigmoid = np.vectorize(lambda t: 1 / (1 + math.exp(-t)))(u)
    np.testing.assert_allclose(F.sigmoid(u), expected_sigmoid, rtol=1e-14)
    np.testing.assert_allclose(F.tanh(u), np.vectorize(math.tanh)(u), rtol=1e-14)
    np.testing.assert_array_equal(F.relu(u), np.where(u > 0, u, 0))
    np.testing.assert_array_equal(F.leaky_relu(u), np.where(u > 0, u, 0.01 * u))
    np.testing.assert_array_equal(F.step_function(u), (u > 0).astype(float))
    np.testing.assert_array_equal(F.identity(u), u)
    np.testing.assert_allclose(F.d_sigmoid(u), expected_sigmoid * (1 - expected_sigmoid), rtol=1e-13)


def test_derivatives_take_the_pre_activation_not_the_output():
    # d_sigmoid(u) = σ(u)(1 − σ(u)); at u = 2 that is 0.104994, while the course's d_sigmoid(z) gives 0.199...
    u = np.array([2.0])
    s = 1 / (1 + math.exp(-2.0))
    assert F.d_sigmoid(u)[0] == pytest.approx(s * (1 - s), rel=1e-14)
    assert F.d_sigmoid(F.sigmoid(u))[0] != pytest.approx(s * (1 - s), rel=1e-2)
    assert F.d_tanh(u)[0] == pytest.approx(1 - math.tanh(2.0) ** 2, rel=1e-14)


def test_softmax_rows_and_values(rng):
    u = rng.normal(size=(4, 5))
    y = F.softmax(u)
    e = np.exp(u)
    np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    for row_u, row_y in zip(u, y, strict=True):  # the 2-D branch equals the 1-D one row by row
        np.testing.assert_allclose(F.softmax(row_u), row_y, rtol=1e-15)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)


# ---------------------------------------------------------------- losses and their derivatives


def test_mean_squared_error_is_half_sum_over_outputs_averaged_over_rows():
    d = np.array([[2.0, 4.0], [0.0, 1.0]])
    y = np.array([[1.0, 2.5], [0.5, 1.0]])
    by_hand = (0.5 * ((1 - 2) ** 2 + (2.5 - 4) ** 2) + 0.5 * (0.5**2 + 0.0)) / 2
    assert F.mean_squared_error(d, y) == pytest.approx(by_hand, rel=1e-15)
    assert F.mean_squared_error(d[0], y[0]) == pytest.approx(0.5 * (1 + 1.5**2), rel=1e-15)


@pytest.mark.parametrize("shape", [(3,), (4, 3)], ids=["1d", "2d"])
def test_d_mean_squared_error_matches_numerical(shape, rng):
    d = rng.normal(size=shape)
    y = rng.normal(size=shape)
    numeric = F.numerical_gradient(lambda v: F.mean_squared_error(d, v), y, h=H)
    analytic = F.d_mean_squared_error(d, y)
    assert analytic.shape == y.shape
    assert relative_error(analytic, numeric) < TOL


def _softmax_targets(kind: str, n: int | None, k: int, rng: np.random.Generator):
    labels = rng.integers(0, k, size=n if n is not None else None)
    if kind == "labels":
        return labels
    return F.to_one_hot(np.atleast_1d(labels), k)[0] if n is None else F.to_one_hot(labels, k)


@pytest.mark.parametrize("target", ["one_hot", "labels"])
@pytest.mark.parametrize("n", [None, 5], ids=["1d", "2d"])
def test_d_softmax_with_loss_matches_numerical(target, n, rng):
    k = 4
    u = rng.normal(size=(k,) if n is None else (n, k))
    d = _softmax_targets(target, n, k, rng)
    numeric = F.numerical_gradient(lambda v: F.softmax_with_loss(d, v), u, h=H)
    analytic = F.d_softmax_with_loss(d, F.softmax(u))
    assert analytic.shape == u.shape
    assert relative_error(analytic, numeric) < TOL
    # the same loss through softmax then cross_entropy_error, numerically, gives the same gradient
    via_ce = F.numerical_gradient(lambda v: F.cross_entropy_error(d, F.softmax(v)), u, h=H)
    assert relative_error(analytic, via_ce) < TOL
    assert F.softmax_with_loss(d, u) == pytest.approx(F.cross_entropy_error(d, F.softmax(u)), rel=1e-12)


@pytest.mark.parametrize("n", [None, 5], ids=["1d", "2d"])
def test_d_sigmoid_with_loss_matches_numerical(n, rng):
    shape = (3,) if n is None else (n, 3)
    u = rng.normal(0, 2, size=shape)
    d = rng.integers(0, 2, size=shape).astype(float)
    numeric = F.numerical_gradient(lambda v: F.sigmoid_with_loss(d, v), u, h=H)
    analytic = F.d_sigmoid_with_loss(d, F.sigmoid(u))
    assert relative_error(analytic, numeric) < TOL
    via_bce = F.numerical_gradient(lambda v: F.binary_cross_entropy(d, F.sigmoid(v)), u, h=H)
    assert relative_error(analytic, via_bce) < TOL
    assert F.sigmoid_with_loss(d, u) == pytest.approx(F.binary_cross_entropy(d, F.sigmoid(u)), rel=1e-12)


@pytest.mark.parametrize("n", [None, 4], ids=["1d", "2d"])
def test_cross_entropy_error_derivative(n, rng):
    # E = −Σ d log y / N  ⇒  ∂E/∂y = −d / (N·y)
    k = 3
    y = rng.uniform(0.1, 0.9, size=(k,) if n is None else (n, k))
    d = _softmax_targets("one_hot", n, k, rng)
    rows = 1 if n is None else n
    numeric = F.numerical_gradient(lambda v: F.cross_entropy_error(d, v), y, h=H)
    assert relative_error(-d / (rows * y), numeric) < TOL
    by_hand = -np.sum(d * np.log(y)) / rows
    assert F.cross_entropy_error(d, y) == pytest.approx(by_hand, rel=1e-14)
    labels = np.argmax(np.atleast_2d(d), axis=1)
    assert F.cross_entropy_error(labels if n else labels[0], y) == pytest.approx(by_hand, rel=1e-14)


@pytest.mark.parametrize("n", [None, 4], ids=["1d", "2d"])
def test_binary_cross_entropy_derivative(n, rng):
    # E = −Σ [d log y + (1−d) log(1−y)] / N  ⇒  ∂E/∂y = (y − d) / (N·y(1 − y))
    shape = (2,) if n is None else (n, 2)
    y = rng.uniform(0.05, 0.95, size=shape)
    d = rng.integers(0, 2, size=shape).astype(float)
    rows = 1 if n is None else n
    numeric = F.numerical_gradient(lambda v: F.binary_cross_entropy(d, v), y, h=H)
    assert relative_error((y - d) / (rows * y * (1 - y)), numeric) < TOL
    by_hand = -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y)) / rows
    assert F.binary_cross_entropy(d, y) == pytest.approx(by_hand, rel=1e-14)


def test_to_one_hot():
    np.testing.assert_array_equal(F.to_one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2, got values from 0 to 3"):
        F.to_one_hot([0, 3], 3)


# ---------------------------------------------------------------- numerical_gradient


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2)], ids=["0d", "1d", "2d", "3d"])
def test_numerical_gradient_any_shape_and_x_left_exactly(shape, rng):
    x = rng.normal(size=shape)
    c = rng.uniform(0.5, 2.0, size=shape)
    before = x.copy()
    grad = F.numerical_gradient(lambda v: float(np.sum(c * v**2 + np.sin(v))), x, h=H)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert relative_error(grad, 2 * c * x + np.cos(x)) < TOL
    assert x.tobytes() == before.tobytes()  # bit for bit, not merely close


@pytest.mark.parametrize("fail_at_call", [1, 2, 5])
def test_numerical_gradient_restores_x_when_f_raises(fail_at_call, rng):
    x = rng.normal(size=(2, 3)) + 0.1  # + 0.1 makes x ± h round, so a sloppy restore would show
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == fail_at_call:
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        F.numerical_gradient(f, x)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_on_a_view_writes_through_and_restores(rng):
    base = rng.normal(size=(4, 6))
    before = base.copy()
    view = base[:, ::2]  # not contiguous
    grad = F.numerical_gradient(lambda v: float(np.sum(base**2)), view, h=H)  # f reads the base array
    np.testing.assert_allclose(grad, 2 * before[:, ::2], rtol=1e-8)
    assert base.tobytes() == before.tobytes()


def test_numerical_gradient_keeps_float32_and_rejects_non_float():
    x = np.array([1.0, 2.0], dtype=np.float32)
    g = F.numerical_gradient(lambda v: float(np.sum(v * v)), x, h=1e-2)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-3)
    expected = r"x: numerical_gradient needs a float numpy array.*got ndarray of dtype int"
    with pytest.raises(TypeError, match=expected):
        F.numerical_gradient(lambda v: 0.0, np.array([1, 2]))
    with pytest.raises(TypeError, match=r"x: .*got list"):
        F.numerical_gradient(lambda v: 0.0, [1.0, 2.0])


# ---------------------------------------------------------------- numerical stability


@pytest.fixture
def strict_numpy():
    """Warnings are errors and overflow / division by zero / invalid operations raise.

    Underflow is left as NumPy's default (ignored): exp(−10⁴) rounding to 0 is the correctly rounded
    result, not a failure, while an overflow to inf or a NaN is.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_does_not_overflow(dtype, strict_numpy):
    u = np.array([-1e4, -1000.0, -100.0, 0.0, 100.0, 1000.0, 1e4], dtype=dtype)
    for f in (F.sigmoid, F.d_sigmoid, F.tanh, F.d_tanh):
        out = f(u)
        assert np.all(np.isfinite(out)), f.__name__
    y = F.sigmoid(u)
    assert y[0] == 0.0 and y[-1] == 1.0 and y[3] == 0.5
    assert np.all(np.diff(y) >= 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_of_huge_logits_is_finite_and_sums_to_one(dtype, strict_numpy):
    for u in ([[1000.0, 0.0, -1000.0]], [1000.0, 0.0, -1000.0], [[1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]]):
        y = F.softmax(np.array(u, dtype=dtype))
        assert y.dtype == dtype
        assert np.all(np.isfinite(y))
        np.testing.assert_allclose(np.sum(y, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(F.softmax(np.array([[1000.0, 0.0, -1000.0]])), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.softmax(np.array([[1e4, 1e4, -1e4]])), [[0.5, 0.5, 0.0]])


def test_cross_entropies_are_finite_where_y_is_exactly_0_or_1(strict_numpy):
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    for d in (np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([0, 0]), np.array([[0.0, 1.0], [0.0, 1.0]])):
        loss = F.cross_entropy_error(d, y)
        assert math.isfinite(loss) and loss >= 0
    assert F.cross_entropy_error(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == 0.0  # no bias
    for d in (np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])):
        loss = F.binary_cross_entropy(d, np.array([[1.0, 0.0]]))
        assert math.isfinite(loss) and loss >= 0
    assert F.binary_cross_entropy(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == 0.0
    # from the pre-activation, extreme u is exact and finite too
    assert F.sigmoid_with_loss(np.array([1.0]), np.array([-1e4])) == pytest.approx(1e4)
    assert F.sigmoid_with_loss(np.array([1.0]), np.array([1e4])) == 0.0
    assert F.softmax_with_loss(np.array([1]), np.array([[1e4, -1e4]])) == pytest.approx(2e4)


# ---------------------------------------------------------------- dtypes


_ARRAY_FUNCTIONS = [
    F.identity, F.step_function, F.sigmoid, F.relu, F.leaky_relu, F.tanh, F.softmax,
    F.d_identity, F.d_step_function, F.d_sigmoid, F.d_relu, F.d_leaky_relu, F.d_tanh,
]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4,), (3, 4)], ids=["1d", "2d"])
def test_float32_stays_float32_and_float64_stays_float64(dtype, shape, rng):
    u = rng.normal(size=shape).astype(dtype)
    for f in _ARRAY_FUNCTIONS:
        out = f(u)
        assert out.dtype == dtype and out.shape == u.shape, f.__name__
    y = F.softmax(u)
    d = np.zeros(shape, dtype=dtype)
    d[..., 0] = 1
    for df in (F.d_mean_squared_error, F.d_softmax_with_loss, F.d_sigmoid_with_loss):
        out = df(d, y)
        assert out.dtype == dtype and out.shape == y.shape, df.__name__
    for loss in (F.mean_squared_error, F.cross_entropy_error, F.binary_cross_entropy):
        assert isinstance(loss(d, y), float)
    for loss in (F.softmax_with_loss, F.sigmoid_with_loss):
        assert isinstance(loss(d, u), float)


def test_integer_input_computes_in_float64():
    assert F.sigmoid(np.array([0, 1])).dtype == np.float64
    assert F.relu(np.array([-1, 2])).dtype == np.float64
    np.testing.assert_array_equal(F.relu(np.array([-1, 2])), [0.0, 2.0])
    assert F.softmax(np.array([1, 1])).tolist() == [0.5, 0.5]
