"""``Network.backward_from``: back-propagation from a given upstream gradient ∂L/∂y, checked in float64
against central differences of an outside loss L(y), for every hidden activation × output activation,
for the parameters and for ∂L/∂x; and equal to ``backward(d)`` when g is the paired loss's own ∂E/∂y."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch.functions import numerical_gradient
from nnscratch.gradcheck import relative_error

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = ["identity", "sigmoid", "softmax"]
TOL = 1e-7
MARGIN = 1e-2


def outside_loss(y: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
    """L(y) = Σ (c ⊙ y + ¼ y⁴) / N, a loss the network does not know, and its ∂L/∂y."""
    n = y.shape[0]
    return float(np.sum(c * y + 0.25 * y**4) / n), (c + y**3) / n


def build(hidden: str, output: str):
    """A float64 3-4-5-k network whose ReLU pre-activations keep MARGIN from the kink (first such seed)."""
    for seed in range(200):
        rng = np.random.default_rng(seed)
        net = nnscratch.Network([3, 4, 5, 3], hidden=hidden, output=output, seed=seed, dtype="float64")
        for key in ("b1", "b2"):
            net.params[key][...] = rng.normal(0, 0.3, net.params[key].shape)
        x = rng.normal(size=(6, 3))
        net.forward(x)
        if all(np.abs(a.u).min() > MARGIN for a in net.activations):
            return net, x, rng.normal(size=(6, 3))
    raise AssertionError("no seed keeps the pre-activations off the kink")  # pragma: no cover


@pytest.mark.parametrize("hidden, output", list(itertools.product(HIDDEN, OUTPUTS)))
def test_backward_from_matches_central_differences(hidden, output):
    net, x, c = build(hidden, output)
    y = net.forward(x)
    _, g = outside_loss(y, c)
    grads, dx = net.backward_from(g, input_grad=True)

    def total(_=None, xx=None):
        return outside_loss(net.forward(x if xx is None else xx), c)[0]

    for key, param in net.params.items():
        numeric = numerical_gradient(total, param, h=1e-5)
        assert relative_error(grads[key], numeric) < TOL, key
    x_copy = x.copy()
    numeric_x = numerical_gradient(lambda xx: total(xx=xx), x_copy, h=1e-5)
    assert dx.shape == x.shape
    assert relative_error(dx, numeric_x) < TOL


@pytest.mark.parametrize("output, loss", [("identity", "mse"), ("sigmoid", "binary_cross_entropy"),
                                          ("softmax", "cross_entropy")])
def test_paired_loss_gradient_gives_backward(output, loss):
    """g = ∂E/∂y of the network's own loss gives exactly what backward(d) gives."""
    net, x, _ = build("tanh", output)
    rng = np.random.default_rng(1)
    y = net.forward(x)
    n = x.shape[0]
    if output == "identity":
        d = rng.normal(size=y.shape)
        g = (y - d) / n
    elif output == "sigmoid":
        d = (rng.random(y.shape) < 0.5).astype(float)
        g = (y - d) / (y * (1 - y)) / n
    else:
        d = np.eye(3)[rng.integers(0, 3, n)]
        g = -d / y / n
    from_g = net.backward_from(g)
    from_d = net.backward(d)
    for key in from_d:
        np.testing.assert_allclose(from_g[key], from_d[key], rtol=1e-9, atol=1e-12)


def test_single_sample_and_errors():
    net = nnscratch.Network([2, 3, 1], hidden="tanh", seed=0, dtype="float64")
    with pytest.raises(ValueError, match="backward_from: no forward pass"):
        net.backward_from([[1.0]])
    net.forward(np.array([0.5, -0.2]))
    grads, dx = net.backward_from(np.array([1.0]), input_grad=True)
    assert dx.shape == (2,) and set(grads) == set(net.params)
    with pytest.raises(ValueError, match="grad_y: expected 1 rows"):
        net.backward_from(np.ones((2, 1)))
    with pytest.raises(ValueError, match="grad_y"):
        net.backward_from(np.ones((1, 2)))
    step = nnscratch.Network([2, 3, 1], hidden="step", seed=0)
    step.forward([[0.1, 0.2]])
    with pytest.raises(ValueError, match="step"):
        step.backward_from([[1.0]])


def test_float32_network_returns_float32():
    net = nnscratch.Network([4, 5, 2], seed=0)
    net.forward(np.ones((3, 4), dtype=np.float32))
    grads, dx = net.backward_from(np.ones((3, 2)), input_grad=True)
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
