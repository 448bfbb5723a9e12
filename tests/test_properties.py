"""Property tests (hypothesis): softmax is a distribution, losses are ≥ 0, gradients fit their params."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnscratch
from nnscratch import functions as F

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def finite_arrays(dtype, min_rows=1, max_rows=5, min_cols=1, max_cols=6, bound=None, ndim=(1, 2)):
    info = np.finfo(dtype)
    limit = float(info.max) if bound is None else bound
    elements = st.floats(-limit, limit, allow_nan=False, allow_infinity=False, width=info.bits)
    shapes = st.one_of(
        *(
            hnp.array_shapes(min_dims=n, max_dims=n, min_side=min_cols, max_side=max_cols)
            if n == 1
            else st.tuples(st.integers(min_rows, max_rows), st.integers(min_cols, max_cols))
            for n in ndim
        )
    )
    return hnp.arrays(dtype, shapes, elements=elements)


@FAST
@given(finite_arrays(np.float64))
def test_softmax_rows_sum_to_one_for_any_finite_float64_logits(u):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.softmax(u)
    assert y.dtype == np.float64 and y.shape == u.shape
    assert np.all(np.isfinite(y)) and np.all(y >= 0) and np.all(y <= 1)
    np.testing.assert_allclose(np.sum(y, axis=-1), 1.0, rtol=1e-12)
    # the largest logit gets the largest probability
    top = np.argmax(u, axis=-1)[..., None]
    assert np.all(np.take_along_axis(y, top, axis=-1) == np.max(y, axis=-1, keepdims=True))


@FAST
@given(finite_arrays(np.float32))
def test_softmax_rows_sum_to_one_for_any_finite_float32_logits(u):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.softmax(u)
    assert y.dtype == np.float32 and y.shape == u.shape
    assert np.all(np.isfinite(y)) and np.all(y >= 0)
    np.testing.assert_allclose(np.sum(y, axis=-1, dtype=np.float64), 1.0, rtol=1e-5)


@FAST
@given(st.data(), st.sampled_from([np.float32, np.float64]))
def test_losses_are_non_negative(data, dtype):
    u = data.draw(finite_arrays(dtype, bound=1e3, ndim=(2,), min_cols=2))
    n, k = u.shape
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    one_hot = F.to_one_hot(labels, k, dtype=dtype)
    soft = data.draw(hnp.arrays(dtype, (n, k), elements=st.floats(0, 1, width=32)))
    d_reg = data.draw(hnp.arrays(dtype, (n, k), elements=st.floats(-1e3, 1e3, width=32)))
    y_soft = F.softmax(u)
    y_sig = F.sigmoid(u)
    values = {
        "mse": F.mean_squared_error(d_reg, u),
        "ce(one-hot)": F.cross_entropy_error(one_hot, y_soft),
        "ce(labels)": F.cross_entropy_error(labels, y_soft),
        "bce(0/1)": F.binary_cross_entropy(np.round(soft), y_sig),
        "bce(soft)": F.binary_cross_entropy(soft, y_sig),
        "softmax_with_loss": F.softmax_with_loss(labels, u),
        "sigmoid_with_loss": F.sigmoid_with_loss(soft, u),
    }
    for name, value in values.items():
        assert np.isfinite(value) and value >= 0, (name, value)


@st.composite
def networks(draw):
    n_hidden = draw(st.integers(0, 3))
    sizes = [draw(st.integers(1, 5)) for _ in range(n_hidden + 1)]
    output = draw(st.sampled_from(["identity", "sigmoid", "softmax"]))
    loss = draw(st.sampled_from([None, "mse"]))
    n_out = draw(st.integers(2 if output == "softmax" else 1, 4))
    hidden = draw(st.lists(st.sampled_from(["identity", "sigmoid", "tanh", "relu", "leaky_relu"]),
                           min_size=n_hidden, max_size=n_hidden))  # fmt: skip
    dtype = draw(st.sampled_from(["float32", "float64"]))
    seed = draw(st.integers(0, 2**32 - 1))
    init = draw(st.sampled_from(["he", "xavier", 0.1]))
    net = nnscratch.Network([*sizes, n_out], hidden=hidden, output=output, loss=loss, init=init, seed=seed,
                            dtype=dtype)  # fmt: skip
    n = draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, sizes[0]))
    if output == "identity":
        d = rng.normal(size=(n, n_out))
    elif output == "sigmoid":
        d = rng.integers(0, 2, size=(n, n_out)).astype(float)
    elif draw(st.booleans()):
        d = rng.integers(0, n_out, size=n)
    else:
        d = F.to_one_hot(rng.integers(0, n_out, size=n), n_out)
    return net, x, d


@FAST
@given(networks())
def test_each_gradient_has_its_parameters_shape_and_dtype(case):
    net, x, d = case
    grads = net.gradient(x, d)
    assert list(grads) == list(net.params)
    for key, param in net.params.items():
        assert grads[key].shape == param.shape, key
        assert grads[key].dtype == param.dtype == net.dtype, key
        assert np.all(np.isfinite(grads[key])), key
    loss = net.loss(x, d)
    assert np.isfinite(loss) and loss >= 0
