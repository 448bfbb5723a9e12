"""Optimizers: the first three updates equal the update formulas worked out by hand, state is per key."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnscratch import optim

# A small fixed problem: two parameters with gradients that change from step to step.
W0 = np.array([[1.0, -2.0], [0.5, 3.0]])
B0 = np.array([0.25, -0.75])
GRADS = [
    {"W": np.array([[0.1, -0.2], [0.3, 0.4]]), "b": np.array([1.0, -0.5])},
    {"W": np.array([[-0.3, 0.1], [0.2, -0.6]]), "b": np.array([0.5, 0.25])},
    {"W": np.array([[0.05, 0.5], [-0.4, 0.2]]), "b": np.array([-1.5, 2.0])},
]


def _run(opt, n=3, dtype=np.float64):
    params = {"W": W0.astype(dtype), "b": B0.astype(dtype)}
    ids = {k: id(v) for k, v in params.items()}
    out = []
    for g in GRADS[:n]:
        opt.update(params, {k: v.astype(dtype) for k, v in g.items()})
        assert {k: id(v) for k, v in params.items()} == ids  # updated in place, not replaced
        out.append({k: v.copy() for k, v in params.items()})
    return out


def _by_hand(rule):
    """Apply ``rule(key, w, g, t) -> new w`` (pure Python floats, element by element)."""
    params = {"W": W0.copy(), "b": B0.copy()}
    out = []
    for t, g in enumerate(GRADS, start=1):
        for key in params:
            flat = params[key].reshape(-1)
            gflat = g[key].reshape(-1)
            for i in range(flat.size):
                flat[i] = rule((key, i), float(flat[i]), float(gflat[i]), t)
        out.append({k: v.copy() for k, v in params.items()})
    return out


def _assert_same(got, want):
    for step, (g, w) in enumerate(zip(got, want, strict=True), start=1):
        for key in w:
            np.testing.assert_allclose(g[key], w[key], rtol=1e-13, atol=1e-15, err_msg=f"step {step}, {key}")


def test_sgd_first_three_updates():
    lr = 0.1
    _assert_same(_run(optim.SGD(lr)), _by_hand(lambda k, w, g, t: w - lr * g))
    # by value for the first element of W: 1 − 0.1·0.1 = 0.99, then + 0.03, then − 0.005
    got = _run(optim.SGD(lr))
    assert [s["W"][0, 0] for s in got] == pytest.approx([0.99, 1.02, 1.015], abs=1e-15)


def test_momentum_first_three_updates():
    lr, mu = 0.1, 0.9
    v = {}

    def rule(k, w, g, t):
        v[k] = mu * v.get(k, 0.0) - lr * g
        return w + v[k]

    _assert_same(_run(optim.Momentum(lr, momentum=mu)), _by_hand(rule))
    # first element of W: v = −0.01, 0.9·(−0.01) + 0.03 = 0.021, 0.9·0.021 − 0.005 = 0.0139
    got = _run(optim.Momentum(lr, momentum=mu))
    assert [s["W"][0, 0] for s in got] == pytest.approx([0.99, 1.011, 1.0249], abs=1e-14)


def test_nesterov_first_three_updates():
    lr, mu = 0.1, 0.9
    v = {}

    def rule(k, w, g, t):
        v_old = v.get(k, 0.0)
        v[k] = mu * v_old - lr * g
        return w + mu * mu * v_old - (1 + mu) * lr * g  # ゼロから作るDeep Learning's form

    _assert_same(_run(optim.Nesterov(lr, momentum=mu)), _by_hand(rule))


def test_adagrad_first_three_updates():
    lr, eps = 0.1, 1e-7
    h = {}

    def rule(k, w, g, t):
        h[k] = h.get(k, 0.0) + g * g
        return w - lr * g / (math.sqrt(h[k]) + eps)

    _assert_same(_run(optim.AdaGrad(lr)), _by_hand(rule))
    # the first AdaGrad step moves every weight by about η·sign(g)
    first = _run(optim.AdaGrad(lr), n=1)[0]
    np.testing.assert_allclose(first["W"] - W0, -lr * np.sign(GRADS[0]["W"]), rtol=1e-5)


def test_rmsprop_first_three_updates():
    lr, rho, eps = 0.01, 0.99, 1e-7
    h = {}

    def rule(k, w, g, t):
        h[k] = rho * h.get(k, 0.0) + (1 - rho) * g * g
        return w - lr * g / (math.sqrt(h[k]) + eps)

    _assert_same(_run(optim.RMSProp(lr, decay_rate=rho)), _by_hand(rule))


def test_adam_first_three_updates_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    m, v = {}, {}

    def rule(k, w, g, t):
        m[k] = b1 * m.get(k, 0.0) + (1 - b1) * g
        v[k] = b2 * v.get(k, 0.0) + (1 - b2) * g * g
        m_hat = m[k] / (1 - b1**t)
        v_hat = v[k] / (1 - b2**t)
        return w - lr * m_hat / (math.sqrt(v_hat) + eps)

    _assert_same(_run(optim.Adam(lr)), _by_hand(rule))
    # with bias correction the first step is η·g/|g| (≈ η) for every weight; without it would be ~0.3·η
    first = _run(optim.Adam(lr), n=1)[0]
    np.testing.assert_allclose(first["W"] - W0, -lr * np.sign(GRADS[0]["W"]), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_float32_stays_float32_and_matches_float64(name):
    got32 = _run(optim.create(name, lr=0.01), dtype=np.float32)
    got64 = _run(optim.create(name, lr=0.01), dtype=np.float64)
    for s32, s64 in zip(got32, got64, strict=True):
        for key in s32:
            assert s32[key].dtype == np.float32
            np.testing.assert_allclose(s32[key], s64[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    a = optim.create(name, lr=0.05)
    params = {"W": W0.copy(), "b": B0.copy()}
    a.update(params, GRADS[0])
    meta, arrays = a.state_dict()
    b = optim.create(name)
    b.load_state_dict(meta, {k: v.copy() for k, v in arrays.items()})
    assert b.hyperparameters() == a.hyperparameters() and b.t == a.t == 1
    p_a = {k: v.copy() for k, v in params.items()}
    p_b = {k: v.copy() for k, v in params.items()}
    for g in GRADS[1:]:
        a.update(p_a, g)
        b.update(p_b, g)
    for key in p_a:
        assert np.array_equal(p_a[key], p_b[key])


def test_load_state_dict_refuses_another_optimizer():
    meta, arrays = optim.Adam().state_dict()
    with pytest.raises(ValueError, match="optimizer='adam'"):
        optim.SGD().load_state_dict(meta, arrays)


def test_create_and_argument_errors():
    assert isinstance(optim.create("Adam"), optim.Adam)
    assert optim.create("adam").lr == 0.001 and optim.create("sgd").lr == 0.01
    sgd = optim.SGD(0.1)
    assert optim.create(sgd, lr=0.5) is sgd and sgd.lr == 0.5
    with pytest.raises(ValueError, match="optimizer: unknown optimizer 'adamw'"):
        optim.create("adamw")
    with pytest.raises(ValueError, match="lr: expected a finite number greater than 0, got -1"):
        optim.SGD(-1)
    with pytest.raises(ValueError, match="momentum"):
        optim.Momentum(0.1, momentum=1.5)
    with pytest.raises(TypeError, match="lr: expected a number"):
        optim.Adam(lr="fast")


def test_course_loop_equivalence_on_a_network():
    """SGD on net.params is the course's `network[key] -= learning_rate * grad[key]`."""
    import nnscratch

    net = nnscratch.Network([2, 3, 2], hidden="relu", output="softmax", seed=0, dtype="float64")
    x = np.array([[1.0, 5.0]])
    d = np.array([[0.0, 1.0]])
    grads = net.gradient(x, d)
    want = {k: net.params[k] - 0.01 * grads[k] for k in net.params}
    optim.SGD(0.01).update(net.params, grads)
    for k in want:
        np.testing.assert_array_equal(net.params[k], want[k])


def test_momentum_keeps_the_learning_rate_inside_the_velocity_as_its_docstring_says():
    """v ← μv − ηg, W ← W + v equals PyTorch's b ← μb + g, W ← W − ηb while η is constant, and
    differs once η changes (the old velocity keeps the old η)."""
    from nnscratch.optim import Momentum

    grads = [np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([-1.0, 1.0]), np.array([2.0, 0.0])]

    def ours(rates):
        w = {"W": np.zeros(2)}
        opt = Momentum(lr=rates[0], momentum=0.9)
        for lr, g in zip(rates, grads, strict=True):
            opt.lr = lr
            opt.update(w, {"W": g.copy()})
        return w["W"]

    def pytorch_form(rates):
        w, b = np.zeros(2), np.zeros(2)
        for lr, g in zip(rates, grads, strict=True):
            b = 0.9 * b + g
            w = w - lr * b
        return w

    constant = [0.1] * 4
    np.testing.assert_allclose(ours(constant), pytorch_form(constant), rtol=1e-12)
    lowered = [0.1, 0.1, 0.01, 0.01]
    assert not np.allclose(ours(lowered), pytorch_form(lowered))
