"""The private fast path (nnscratch._accel) against the readable layer it twins, and its memory safety:
prepared BLAS calls must never write through a stale pointer, and parameters the network cannot use
as they are must never reach BLAS."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nnscratch
from nnscratch import optim
from nnscratch._accel import FastAffine, Guard, fused_step
from nnscratch._accel import blas as _blas
from nnscratch._accel.dense import BufferedAffine
from nnscratch.layers import Affine

TOL = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


@pytest.fixture(params=["blas", "numpy"])
def path(request, monkeypatch):
    """Run a test on the BLAS path and on the NumPy path (as NNSCRATCH_BLAS=numpy gives)."""
    if request.param == "numpy":
        monkeypatch.setattr(_blas, "_cache", {"f": None, "d": None})
    return request.param


def _pair(dtype, need_dx=True, seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.standard_normal((6, 4)).astype(dtype), "b": rng.standard_normal(4).astype(dtype)}
    ref = {k: v.copy() for k, v in params.items()}
    plain = Affine(6, 4, dtype=dtype)
    plain.params.update(ref)
    return FastAffine(BufferedAffine(params, "W", "b", need_dx=need_dx)), plain, rng


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_affine_forward_and_backward_equal_the_readable_layer(dtype, path):
    fast, plain, rng = _pair(dtype)
    for n in (5, 1, 5):  # batch sizes change: the buffers are viewed again
        x = rng.standard_normal((n, 6)).astype(dtype)
        delta = rng.standard_normal((n, 4)).astype(dtype)
        np.testing.assert_allclose(fast.forward(x), plain.forward(x), **TOL[dtype])
        assert fast.layer.x is x and fast.layer.u.dtype == dtype
        np.testing.assert_allclose(fast.backward(delta), plain.backward(delta), **TOL[dtype])
        np.testing.assert_allclose(fast.layer.dW, plain.grads["W"], **TOL[dtype])
        np.testing.assert_allclose(fast.layer.db, plain.grads["b"], **TOL[dtype])
        np.testing.assert_allclose(plain.grads["b"], delta.sum(axis=0), **TOL[dtype])  # Σ_rows δ
        np.testing.assert_allclose(plain.grads["W"], x.T @ delta, **TOL[dtype])  # xᵀ·δ


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_dx", [True, False])
def test_fast_backward_update_equals_readable_backward_then_momentum(dtype, need_dx, path):
    fast, plain, rng = _pair(dtype, need_dx)
    v = {"W": np.zeros((6, 4), dtype), "b": np.zeros(4, dtype)}
    v_ref = {k: a.copy() for k, a in v.items()}
    for mu in (0.9, 0.9, 0.5):
        x = rng.standard_normal((3, 6)).astype(dtype)
        delta = (0.1 * rng.standard_normal((3, 4))).astype(dtype)  # already carries η
        fast.forward(x)
        plain.forward(x)
        dx = fast.backward_update(delta, (v["W"], v["b"]), mu)
        dx_ref = plain.backward(delta)
        for key, g in (("W", plain.grads["W"]), ("b", plain.grads["b"])):
            v_ref[key] *= mu
            v_ref[key] -= g
            plain.params[key] += v_ref[key]
            np.testing.assert_allclose(v[key], v_ref[key], **TOL[dtype])
            np.testing.assert_allclose(fast.params[key], plain.params[key], **TOL[dtype])
        if need_dx:
            np.testing.assert_allclose(dx, dx_ref, **TOL[dtype])
        else:
            assert dx is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rule", ["sgd", "momentum"])
def test_fused_step_equals_the_optimizers_update(dtype, rule, path):
    """fused_step(twin, d, η[, velocities, μ]) against optim.SGD/Momentum.update on the readable gradient."""
    rng = np.random.default_rng(3)
    net = nnscratch.Network([4, 7, 5, 3], hidden="tanh", output="softmax", dtype=dtype, seed=0)
    ref = net.copy()
    lr, mu = 0.2, 0.8
    opt = optim.SGD(lr) if rule == "sgd" else optim.Momentum(lr, momentum=mu)
    velocities = {k: np.zeros_like(p) for k, p in net.params.items()} if rule == "momentum" else None
    tol = TOL[np.dtype(dtype).type]
    for _ in range(4):
        x, d = rng.standard_normal((6, 4)).astype(dtype), rng.integers(0, 3, 6)
        opt.update(ref.params, ref.gradient(x, d))
        net.twin().forward(net.check_x(x)[0])
        fused_step(net.twin(), net.check_d(d, 6), lr, velocities, mu if velocities is not None else 0.0)
        for key in ref.params:
            np.testing.assert_allclose(net.params[key], ref.params[key], **tol)
            if velocities is not None:
                np.testing.assert_allclose(velocities[key], opt.state[key]["v"], **tol)


def test_network_forward_runs_the_readable_layers():
    net = nnscratch.Network([3, 4, 2], hidden="relu", output="identity", dtype="float64", seed=0)
    x = np.array([[1.0, -2.0, 0.5]])
    y = net.forward(x)
    assert all(type(a) is Affine for a in net.affines)
    np.testing.assert_array_equal(net.affines[0].x, x)
    u1 = x @ net.params["W1"] + net.params["b1"]
    np.testing.assert_array_equal(net.activations[0].z, np.maximum(u1, 0))
    np.testing.assert_array_equal(y, net.activations[0].z @ net.params["W2"] + net.params["b2"])


def test_network_has_no_backward_update_method_any_more():
    assert not hasattr(nnscratch.Network, "_backward_update")


# ---------------------------------------------------------------- memory safety of prepared calls


def test_product_reset_prepares_again_for_moved_memory():
    if _blas.gemm_for(np.float64) is None:
        pytest.skip("no BLAS GEMM reachable on this NumPy")
    prod = _blas.Product(-1.0, 1.0)  # c ← c − a·b
    a, b, c = np.eye(3), np.full((3, 2), 2.0), np.zeros((3, 2))
    assert prod(a, b, c)
    np.testing.assert_array_equal(c, -2.0)
    c.resize((1000, 2), refcheck=False)  # the same object, its memory moved: the owner must reset
    c.resize((3, 2), refcheck=False)
    prod.reset()
    assert prod(a, b, c)
    np.testing.assert_array_equal(c, -4.0)
    assert prod.args[12].value == c.ctypes.data


def _guard(params, dtype=np.float64):
    calls = []
    shapes = [(k, v.shape) for k, v in params.items()]
    return Guard(shapes, np.dtype(dtype), lambda: calls.append(1)), calls


def test_guard_resets_prepared_calls_when_any_watched_array_changes():
    params = {"W1": np.zeros((2, 3)), "b1": np.zeros(3)}
    guard, resets = _guard(params)
    guard.check_params(params)
    assert len(resets) == 1  # the first pass trusts nothing
    guard.check_params(params)
    params["W1"][...] = 5.0  # values change freely
    guard.check_params(params)
    assert len(resets) == 1
    W = params["W1"]
    before = W.ctypes.data
    W.resize((300_000, 3), refcheck=False)  # past malloc's mmap threshold: the memory moves
    W.resize((2, 3), refcheck=False)
    guard.check_params(params)
    assert len(resets) == (2 if W.ctypes.data != before else 1)
    n = len(resets)
    W.flags.writeable = False  # flags
    guard.check_params(params)
    assert len(resets) == n + 1
    params["b1"] = np.ones(3)  # a new object
    guard.check_params(params)
    assert len(resets) == n + 2
    W.shape = (3, 2)  # the same memory, another shape: refused
    with pytest.raises(ValueError, match=r"params\['W1'\]: .*got shape \(3, 2\)"):
        guard.check_params(params)
    W.shape = (2, 3)
    guard.check_params(params)
    n = len(resets)
    x = np.ones((4, 2))
    guard.check_input(x)
    guard.check_input(x)
    assert len(resets) == n  # a new input needs no reset, the same unchanged one neither
    x.flags.writeable = False
    guard.check_input(x)
    assert len(resets) == n + 1
    v = {"W1": np.zeros((2, 3)), "b1": np.zeros(3)}
    guard.check_velocities(v)
    guard.check_velocities(v)
    assert len(resets) == n + 2
    v["b1"] = np.zeros(3)
    guard.check_velocities(v)
    assert len(resets) == n + 3


def test_product_declines_byte_swapped_and_non_contiguous_operands():
    if _blas.gemm_for(np.float32) is None:
        pytest.skip("no BLAS GEMM reachable on this NumPy")
    prod = _blas.Product(1.0, 0.0)
    a, b = np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)
    assert not prod(a.astype(">f4"), b.astype(">f4"), np.zeros((2, 2), ">f4"))  # dtype.char is "f" too
    assert not prod(np.asfortranarray(a), b, np.zeros((2, 2), np.float32))
    assert not prod(a, b, np.zeros((2, 4), np.float32)[:, ::2])


_RESIZE = textwrap.dedent(
    """
    import numpy as np, nnscratch
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 2)).astype(np.float32)
    d = rng.standard_normal((8, 1)).astype(np.float32)
    net, twin = nnscratch.Network([2, 10, 1], seed=0), nnscratch.Network([2, 10, 1], seed=0)
    trainer, twin_trainer = (nnscratch.Trainer(n, {optimizer!r}, lr=0.1) for n in (net, twin))
    trainer.step(x, d)
    twin_trainer.step(x, d)
    moved = 0
    for key in ("W1", "b1", "W2", "b2"):
        p = net.params[key]
        shape, before = p.shape, p.ctypes.data
        p.resize((300_000,) + shape[1:], refcheck=False)  # past the mmap threshold: the memory moves
        junk = [np.full(4096 * 16, 7.0, np.float32) for _ in range(8)]  # reuse what was freed
        p.resize(shape, refcheck=False)
        moved += p.ctypes.data != before
    for _ in range(3):
        trainer.step(x, d)
        twin_trainer.step(x, d)
        err = max(float(np.abs(net.params[k] - twin.params[k]).max()) for k in net.params)
        assert err < 1e-6, err
    print("ok", moved > 0)
    """
)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
@pytest.mark.parametrize("blas", ["", "numpy"])
def test_parameters_whose_memory_moved_are_updated_where_they_now_are(optimizer, blas):
    """resize(..., refcheck=False) and back moves an array's memory under the same object: before
    the prepared calls checked their operands, the next step wrote through the old pointer (heap
    corruption, or a crash). Run in a child process so that a regression cannot take pytest down."""
    env = dict(os.environ, NNSCRATCH_BLAS=blas)
    out = subprocess.run(
        [sys.executable, "-c", _RESIZE.format(optimizer=optimizer)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok True"


def test_an_input_whose_memory_moved_is_read_where_it_now_is():
    net = nnscratch.Network([3, 4, 2], hidden="relu", output="identity", dtype="float64", seed=0)
    x = np.arange(6.0).reshape(2, 3).copy()  # an array that owns its memory
    y0 = net.predict(x).copy()
    x.resize((5000, 3), refcheck=False)
    x.resize((2, 3), refcheck=False)
    np.testing.assert_allclose(net.predict(x), y0, rtol=1e-14)


# ---------------------------------------------------------------- parameters the network cannot use


def _bad(shape_dtype_net="float32"):
    return nnscratch.Network([2, 3, 1], hidden="relu", output="identity", seed=0, dtype=shape_dtype_net)


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda W: W.astype(np.float16), ValueError,
         r"expected a float32 array of shape \(2, 3\), got float16"),
        (lambda W: W.astype(np.int64), ValueError, r"got int64"),
        (lambda W: W.astype(np.float64), ValueError, r"got float64"),
        (lambda W: W.astype(">f4"), ValueError, r"got >f4 \(non-native byte order\)"),
        (lambda W: W[:, :2].copy(), ValueError, r"got shape \(2, 2\)"),
        (lambda W: W.T.copy().T, ValueError, r"not C-contiguous"),
        (lambda W: np.zeros((2, 6), np.float32)[:, ::2], ValueError, r"not C-contiguous"),
        (lambda W: W.tolist(), TypeError, r"got list"),
        (lambda W: np.asmatrix(W), TypeError, r"got matrix"),
    ],
    ids=["float16", "int", "float64", "big-endian", "shape", "fortran", "strided", "list", "matrix"],
)
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_a_replaced_parameter_the_network_cannot_use_is_refused_naming_its_key(make, error, pattern):
    net = _bad()
    x, d = np.ones((2, 2), np.float32), np.ones((2, 1), np.float32)
    net.forward(x)
    net.params["W1"] = make(net.params["W1"])
    calls = [lambda: net.backward(d), lambda: net.predict(x), lambda: net.loss(x, d)]
    if isinstance(net.params["W1"], np.ndarray):  # training's own read-only check reads .flags first
        calls += [
            lambda: nnscratch.Trainer(net, "sgd", lr=0.1).step(x, d),
            lambda: nnscratch.train(net, x, d, epochs=1, batch_size=1),
        ]
    for call in calls:
        with pytest.raises(error, match=r"^params\['W1'\]: .*" + pattern):
            call()


def test_parameters_changed_in_place_are_checked_on_every_pass():
    net = _bad()
    x = np.ones((1, 2), np.float32)
    net.predict(x)
    W = net.params["W1"]
    W.shape = (3, 2)  # the same object and memory, another shape
    with pytest.raises(ValueError, match=r"params\['W1'\]: .*got shape \(3, 2\)"):
        net.predict(x)
    W.shape = (2, 3)
    net.predict(x)
    net.params["b2"] = np.ones(1, np.float32)  # a new array of the right kind is used
    net.forward(x)
    net.params["W2"] = None
    with pytest.raises(TypeError, match=r"params\['W2'\]"):
        net.predict(x)
    del net.params["W2"]
    with pytest.raises(ValueError, match=r"params\['W2'\]: missing"):
        net.predict(x)


def test_a_memmap_parameter_is_used(tmp_path):
    net = _bad()
    path = tmp_path / "w.npy"
    np.save(path, net.params["W1"])
    x = np.ones((2, 2), np.float32)
    y = net.predict(x)
    net.params["W1"] = np.load(path, mmap_mode="r")
    np.testing.assert_allclose(net.predict(x), y, rtol=1e-6)


def test_too_many_parameters_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"sizes: 2-1000000000000-1 would have 4,000,000,000,001 parameters"):
        nnscratch.Network([2, 10**12, 1])
    from nnscratch.network import MAX_PARAMETERS

    assert MAX_PARAMETERS == 2**30


@pytest.mark.parametrize("init", [float("inf"), float("-inf"), float("nan"), np.float32("inf")])
def test_non_finite_init_is_refused(init):
    with pytest.raises(ValueError, match=r"init: expected .*finite standard deviation"):
        nnscratch.Network([2, 3, 1], init=init)


@pytest.mark.parametrize("h", [0, 0.0, -1e-4, float("nan"), float("inf")])
def test_gradient_check_steps_must_be_positive_and_finite(h):
    net = nnscratch.Network([2, 3, 1], dtype="float64", seed=0)
    with pytest.raises(ValueError, match=r"^h: expected a positive finite step"):
        nnscratch.gradcheck(net, [[1.0, 2.0]], [[1.0]], h=h)
    with pytest.raises(ValueError, match=r"^h: expected a positive finite step"):
        nnscratch.functions.numerical_gradient(lambda a: float(a.sum()), np.zeros(3), h=h)
    with pytest.raises(TypeError, match=r"^h: expected a positive number"):
        nnscratch.functions.numerical_gradient(lambda a: float(a.sum()), np.zeros(3), h="1e-4")


def test_training_refuses_a_parameter_that_is_not_an_array_naming_its_key():
    import nnscratch

    net = nnscratch.Network([2, 3, 1], seed=0)
    net.params["W1"] = [[0.0] * 3] * 2  # a list, not an array
    with pytest.raises(TypeError, match=r"params\['W1'\]: expected a float32 array of shape \(2, 3\)"):
        nnscratch.Trainer(net, "sgd", lr=0.1).step([[1.0, 2.0]], [[1.0]])
    with pytest.raises(TypeError, match=r"params\['W1'\]"):
        nnscratch.train(net, [[1.0, 2.0]], [[1.0]], epochs=1)
