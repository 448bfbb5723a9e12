"""The course's forward-propagation exercises and its one back-propagation step, through Network.

Every expected number is computed here from the formulas (u = xW + b written out term by term), never
pasted from printed output; the course's stated results (1.3, [1.56, 3.222], [1.4, 2.2, 3.0]) are
checked against those formulas as well.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnscratch import Network
from nnscratch import functions as F

# the course's parameters (Day 1 exercises)
W1 = [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]
B1 = [0.1, 0.2, 0.3]
W2 = [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]
B2 = [0.1, 0.2]
W3 = [[0.1, 0.3], [0.2, 0.4]]
B3 = [1.0, 2.0]


def dense(x: list[float], W: list[list[float]], b: list[float]) -> list[float]:
    """u_j = Σ_i x_i W_ij + b_j, in plain Python."""
    return [sum(x[i] * W[i][j] for i in range(len(x))) + b[j] for j in range(len(b))]


def relu(u: list[float]) -> list[float]:
    return [max(0.0, v) for v in u]


def sigmoid(u: list[float]) -> list[float]:
    return [1 / (1 + math.exp(-v)) for v in u]


def softmax(u: list[float]) -> list[float]:
    e = [math.exp(v - max(u)) for v in u]
    return [v / sum(e) for v in e]


def params(*pairs) -> dict[str, np.ndarray]:
    out = {}
    for i, (W, b) in enumerate(pairs, start=1):
        out[f"W{i}"] = np.array(W, dtype=np.float64)
        out[f"b{i}"] = np.array(b, dtype=np.float64)
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_single_unit(dtype):
    # W = [[0.1], [0.2]], b = 0.5, x = [2, 3], ReLU → u = z = 1.3
    W, b, x = [[0.1], [0.2]], [0.5], [2.0, 3.0]
    u = dense(x, W, b)
    assert u == pytest.approx([2 * 0.1 + 3 * 0.2 + 0.5]) and u == pytest.approx([1.3])
    expected = relu(u)
    # the unit's total input through the course's line u1 = np.dot(x, W1) + b1 ...
    u_np = np.dot(np.array(x), np.array(W)) + np.array(b)
    np.testing.assert_allclose(F.relu(u_np), expected, rtol=1e-15)
    # ... and through a network: a 0-hidden-layer network gives u, and a ReLU hidden unit followed by
    # an identity output of weight 1 gives z = relu(u)
    net_u = Network.from_params(params((W, b)), output="identity", dtype=dtype)
    assert net_u.forward(x) == pytest.approx(u, rel=1e-6)
    pass_through = ([[1.0]], [0.0])
    net_z = Network.from_params(params((W, b), pass_through), hidden="relu", output="identity", dtype=dtype)
    assert net_z.forward(x) == pytest.approx(expected, rel=1e-6)
    assert net_z.forward(x).dtype == np.dtype(dtype)


def test_single_layer_several_units_sigmoid():
    W = [[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.3, 0.4, 0.5], [0.4, 0.5, 0.6]]
    b, x = [0.1, 0.2, 0.3], [1.0, 5.0, 2.0, -1.0]
    u = dense(x, W, b)
    assert u == pytest.approx([1.4, 2.2, 3.0], rel=1e-14)
    net = Network.from_params(params((W, b)), output="sigmoid")
    assert net.dtype == np.float64
    np.testing.assert_allclose(net.forward(x), sigmoid(u), rtol=1e-14)
    np.testing.assert_allclose(F.sigmoid(np.array(u)), sigmoid(u), rtol=1e-14)


@pytest.mark.parametrize("batched", [False, True])
def test_three_layers_relu_relu_identity(batched):
    x = [1.0, 2.0]
    z1 = relu(dense(x, W1, B1))
    z2 = relu(dense(z1, W2, B2))
    y = dense(z2, W3, B3)
    assert y == pytest.approx([1.56, 3.222], rel=1e-14)
    net = Network.from_params(params((W1, B1), (W2, B2), (W3, B3)), hidden="relu", output="identity")
    out = net.forward([x] if batched else x)
    assert out.shape == ((1, 2) if batched else (2,))
    np.testing.assert_allclose(out.reshape(-1), y, rtol=1e-14)


def test_multiclass_2_3_4():
    W2m = [[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]]
    b2m = [0.1, 0.2, 0.3, 0.4]
    x, d = [1.0, 2.0], [0.0, 0.0, 0.0, 1.0]
    y = softmax(dense(relu(dense(x, W1, B1)), W2m, b2m))
    loss = -sum(dk * math.log(yk) for dk, yk in zip(d, y, strict=True))
    net = Network.from_params(params((W1, B1), (W2m, b2m)), hidden="relu", output="softmax")
    out = net.forward(x)
    np.testing.assert_allclose(out, y, rtol=1e-14)
    assert out.sum() == pytest.approx(1.0, rel=1e-15)
    assert net.loss(x, d) == pytest.approx(loss, rel=1e-13)
    assert net.loss(x, 3) == pytest.approx(loss, rel=1e-13)  # the integer label of the same target
    assert F.cross_entropy_error(np.array(d), out) == pytest.approx(loss, rel=1e-13)
    assert net.accuracy(x, d) == 1.0 and net.predict_classes(x).tolist() == [3]


def test_regression_2_3_2():
    x, d = [1.0, 2.0], [2.0, 4.0]
    y = dense(relu(dense(x, W1, B1)), W2, B2)
    assert y == pytest.approx([1.02, 2.29], rel=1e-14)
    loss = 0.5 * sum((yk - dk) ** 2 for yk, dk in zip(y, d, strict=True))
    net = Network.from_params(params((W1, B1), (W2, B2)), hidden="relu", output="identity")
    np.testing.assert_allclose(net.forward(x), y, rtol=1e-14)
    assert net.loss(x, d) == pytest.approx(loss, rel=1e-14)
    assert F.mean_squared_error(np.array(d), net.forward(x)) == pytest.approx(loss, rel=1e-14)


def test_binary_2_3_1():
    W2b, b2b = [[0.2], [0.4], [0.6]], [0.1]
    x, d = [1.0, 2.0], [1.0]
    u2 = dense(relu(dense(x, W1, B1)), W2b, b2b)
    assert u2 == pytest.approx([1.94], rel=1e-14)
    y = sigmoid(u2)
    loss = -(d[0] * math.log(y[0]) + (1 - d[0]) * math.log(1 - y[0]))
    net = Network.from_params(params((W1, B1), (W2b, b2b)), hidden="relu", output="sigmoid")
    np.testing.assert_allclose(net.forward(x), y, rtol=1e-14)
    assert net.loss(x, d) == pytest.approx(loss, rel=1e-13)
    assert net.loss(x, [0.0]) == pytest.approx(-math.log(1 - y[0]), rel=1e-13)  # the target matters
    assert net.accuracy(x, d) == 1.0


def hand_backprop_step(lr: float) -> dict[str, np.ndarray]:
    """The course's 2-3-2 step written out with the chain rule in plain NumPy (no nnscratch)."""
    x = np.array([[1.0, 5.0]])
    d = np.array([[0.0, 1.0]])
    w1, b1, w2, b2 = (np.array(a) for a in (W1, B1, W2, B2))
    u1 = x @ w1 + b1  # 総入力1
    z1 = np.maximum(u1, 0)  # 中間層出力1
    u2 = z1 @ w2 + b2  # 総入力2
    e = np.exp(u2 - u2.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)  # 出力1
    n = x.shape[0]
    delta2 = (y - d) / n  # ∂E/∂u2 for softmax + cross entropy
    grad_w2 = z1.T @ delta2
    grad_b2 = delta2.sum(axis=0)
    delta1 = (delta2 @ w2.T) * (u1 > 0)  # ∂E/∂u1 = ∂E/∂z1 · ReLU'(u1)
    grad_w1 = x.T @ delta1
    grad_b1 = delta1.sum(axis=0)
    return {
        "W1": w1 - lr * grad_w1,
        "b1": b1 - lr * grad_b1,
        "W2": w2 - lr * grad_w2,
        "b2": b2 - lr * grad_b2,
        "delta2": delta2,
        "delta1": delta1,
        "grad_W1": grad_w1,
    }


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_back_propagation_step_with_the_course_update_loop(dtype):
    learning_rate = 0.01
    x = np.array([[1.0, 5.0]])
    d = np.array([[0.0, 1.0]])
    net = Network.from_params(params((W1, B1), (W2, B2)), hidden="relu", output="softmax", dtype=dtype)
    network = net.params  # the course's name for the parameter dict
    arrays_before = {k: id(v) for k, v in network.items()}

    grad = net.gradient(x, d)
    for key in ("W1", "W2", "b1", "b2"):  # the course's own loop, unchanged
        network[key] -= learning_rate * grad[key]

    expected = hand_backprop_step(learning_rate)
    rtol = 1e-14 if dtype == "float64" else 1e-6
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(net.params[key], expected[key], rtol=rtol, err_msg=key)
        assert net.params[key].dtype == np.dtype(dtype)
    assert {k: id(v) for k, v in network.items()} == arrays_before  # updated in place
    # the weights really moved; the deltas the course prints (P84) are the ones the layers keep (P79),
    # checked on a network at the original weights
    assert not np.allclose(net.params["W1"], W1)
    np.testing.assert_allclose(grad["W1"], expected["grad_W1"], rtol=rtol)
    original = Network.from_params(params((W1, B1), (W2, B2)), hidden="relu", output="softmax", dtype=dtype)
    original.gradient(x, d)
    np.testing.assert_allclose(original.output_layer.delta, expected["delta2"], rtol=rtol)
    np.testing.assert_allclose(original.activations[0].delta, expected["delta1"], rtol=rtol)
    # and the updated network now fits the target better
    assert original.loss(x, d) > net.loss(x, d)


def test_course_names_print_vec_style_values():
    # 総入力1 / 中間層出力1 / 総入力2 / 出力1 / 出力合計 of that step, reproduced from the layers' caches
    net = Network.from_params(params((W1, B1), (W2, B2)), hidden="relu", output="softmax")
    y = net.forward([[1.0, 5.0]])
    u1 = dense([1.0, 5.0], W1, B1)
    u2 = dense(relu(u1), W2, B2)
    np.testing.assert_allclose(net.affines[0].u, [u1], rtol=1e-14)
    np.testing.assert_allclose(net.activations[0].z, [relu(u1)], rtol=1e-14)
    np.testing.assert_allclose(net.affines[1].u, [u2], rtol=1e-14)
    np.testing.assert_allclose(y, [softmax(u2)], rtol=1e-14)
    assert y.sum() == pytest.approx(1.0, rel=1e-15)
