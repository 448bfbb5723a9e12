"""The BLAS fast path (nnscratch._accel.blas): GEMM with α/β through NumPy's own OpenBLAS, and the fused
SGD step built on it, agree with the plain NumPy reference path."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nnscratch
from nnscratch._accel import FastAffine
from nnscratch._accel import blas as _blas
from nnscratch._accel.dense import BufferedAffine
from nnscratch.layers import Affine, ReLU


def _numpy_blas_is_scipy_openblas() -> bool:
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]
    except Exception:  # noqa: BLE001 - an unusual NumPy build: then nothing is promised
        return False
    return deps.get("blas", {}).get("name") == "scipy-openblas"


@pytest.fixture
def numpy_only(monkeypatch):
    """Force the reference path: gemm_for returns None, as with NNSCRATCH_BLAS=numpy."""
    monkeypatch.setattr(_blas, "_cache", {"f": None, "d": None})


@pytest.mark.skipif(not _numpy_blas_is_scipy_openblas(), reason="NumPy not built with its bundled OpenBLAS")
@pytest.mark.skipif(os.environ.get("NNSCRATCH_BLAS", "").lower() == "numpy", reason="NNSCRATCH_BLAS=numpy")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_is_found_for_numpys_bundled_openblas(dtype):
    # the wheels on PyPI (what CI and users install) ship scipy-openblas: the fast path must be live
    assert _blas.gemm_for(dtype) is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_alpha_beta_and_transposes_match_numpy(dtype, trans_a, trans_b):
    gemm = _blas.gemm_for(dtype)
    if gemm is None:
        pytest.skip("no BLAS GEMM reachable on this NumPy")
    rng = np.random.default_rng(0)
    m, n, k = 7, 5, 11
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    # C as a row slice of a wider array: its leading dimension (9) exceeds its width (5)
    wide = rng.standard_normal((m, 9)).astype(dtype)
    c = wide[:, 2:7]
    c0 = c.copy()
    _blas.gemm_arrays(gemm, a, b, c, -0.25, 2.0, trans_a, trans_b)
    opa = a.T if trans_a else a
    opb = b.T if trans_b else b
    want = -0.25 * (opa.astype(np.float64) @ opb) + 2.0 * c0
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol)
    np.testing.assert_array_equal(wide[:, :2], wide[:, :2])  # untouched columns stay
    assert c.dtype == dtype


def test_fits_accepts_row_major_and_rejects_other_layouts():
    a = np.zeros((4, 6), np.float32)
    assert _blas.fits(a, a[1:3], a[:, 1:4])
    assert not _blas.fits(np.asfortranarray(a))
    assert not _blas.fits(a[:, ::2])
    assert not _blas.fits(np.zeros(6, np.float32))
    assert not _blas.fits(np.broadcast_to(np.zeros(6, np.float32), (4, 6)))


def test_product_prepares_again_for_new_arrays_and_declines_what_blas_cannot_take():
    if _blas.gemm_for(np.float64) is None:
        pytest.skip("no BLAS GEMM reachable on this NumPy")
    prod = _blas.Product(1.0, 1.0)  # c ← a·b + c
    a, b = np.eye(2), np.full((2, 2), 3.0)
    c1, c2 = np.zeros((2, 2)), np.ones((2, 2))
    assert prod(a, b, c1) and prod(a, b, c1)
    np.testing.assert_array_equal(c1, 6.0)  # twice through the prepared call
    assert prod(a, b, c2)  # a new output object: its address is looked up again
    np.testing.assert_array_equal(c2, 4.0)
    np.testing.assert_array_equal(c1, 6.0)
    a2 = np.array([[0.0, 1.0], [1.0, 0.0]])  # a new input of the same layout: only its address changes
    assert prod(a2, b, c2)
    np.testing.assert_array_equal(c2, 7.0)
    assert prod(a2[::-1].copy(), b, c2)
    np.testing.assert_array_equal(c2, 10.0)
    assert not prod(c2[:, :], b, c2)  # the same layout but overlapping the output: declined
    np.testing.assert_array_equal(c2, 10.0)
    c2[...] = 4.0
    assert prod(a, b, c2)
    np.testing.assert_array_equal(c2, 7.0)
    c2[...] = 4.0
    assert not prod(np.asfortranarray(a), b, c2)  # another layout: NumPy's turn, nothing written
    assert not prod(a.astype(np.float32), b.astype(np.float32), c2)  # mixed dtypes likewise
    frozen = np.zeros((2, 2))
    frozen.flags.writeable = False
    assert not prod(a, b, frozen)  # BLAS would write through the flag: NumPy raises instead
    assert not prod(c2, b, c2)  # an input overlapping the output likewise
    np.testing.assert_array_equal(c2, 4.0)


@pytest.mark.parametrize("need_dx", [True, False])
def test_affine_backward_update_equals_backward_then_sgd(need_dx):
    rng = np.random.default_rng(1)
    params = {"W": rng.standard_normal((6, 4)), "b": rng.standard_normal(4)}
    ref = {k: v.copy() for k, v in params.items()}
    x = rng.standard_normal((5, 6))
    delta = rng.standard_normal((5, 4)) * 0.1  # already carries η

    fused = FastAffine(BufferedAffine(params, "W", "b", need_dx=need_dx))
    plain = Affine(6, 4, dtype="float64")
    plain.params.update(ref)
    np.testing.assert_allclose(fused.forward(x), x @ params["W"] + params["b"], rtol=1e-13)
    plain.forward(x)
    dx_fused = fused.backward_update(delta)
    dx_plain = plain.backward(delta)
    ref["W"] -= plain.dW
    ref["b"] -= plain.db
    np.testing.assert_allclose(params["W"], ref["W"], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(params["b"], ref["b"], rtol=1e-13, atol=1e-14)
    if need_dx:
        np.testing.assert_allclose(dx_fused, dx_plain, rtol=1e-13)
    else:
        assert dx_fused is None


def test_affine_falls_back_for_a_fortran_order_input(numpy_only):
    rng = np.random.default_rng(2)
    params = {"W": rng.standard_normal((3, 2)), "b": np.ones(2)}
    x = np.asfortranarray(rng.standard_normal((4, 3)))
    np.testing.assert_allclose(FastAffine(BufferedAffine(params, "W", "b")).forward(x), x @ params["W"] + 1.0)


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_training_with_blas_matches_the_numpy_reference_path(hidden, output, monkeypatch):
    """Ten mini-batch epochs in float64: the fused BLAS step and the NumPy reference step end on the
    same parameters (to rounding), for several activation/output pairs."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((120, 5))
    if output == "identity":
        d = x @ rng.standard_normal((5, 3))
    elif output == "sigmoid":
        d = (x[:, :3] > 0).astype(float)
    else:
        d = rng.integers(0, 3, 120)
    net = nnscratch.Network([5, 8, 7, 3], hidden=hidden, output=output, dtype="float64", seed=0)
    ref = net.copy()
    nnscratch.train(net, x, d, optimizer="sgd", lr=0.05, epochs=10, batch_size=16, seed=4)
    monkeypatch.setattr(_blas, "_cache", {"f": None, "d": None})
    nnscratch.train(ref, x, d, optimizer="sgd", lr=0.05, epochs=10, batch_size=16, seed=4)
    for key in net.params:
        np.testing.assert_allclose(net.params[key], ref.params[key], rtol=1e-10, atol=1e-12)


def test_fused_step_equals_gradient_then_sgd_update():
    """One Trainer step (fused path) against the public gradient and W ← W − η·g by hand."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9, 4))
    d = rng.integers(0, 3, 9)
    net = nnscratch.Network([4, 6, 3], hidden="relu", output="softmax", dtype="float64", seed=1)
    want = {k: v - 0.3 * g for (k, v), g in zip(net.params.items(), net.gradient(x, d).values(), strict=True)}
    nnscratch.Trainer(net, "sgd", lr=0.3).step(x, d)
    for key in want:
        np.testing.assert_allclose(net.params[key], want[key], rtol=1e-12, atol=1e-14)


def test_user_replacing_parameter_arrays_between_steps_is_seen_by_the_fast_path():
    """The prepared BLAS calls keep array objects: new arrays in params must be used (and updated)."""
    rng = np.random.default_rng(6)
    x, d = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    net = nnscratch.Network([3, 4, 2], hidden="relu", output="softmax", dtype="float64", seed=0)
    trainer = nnscratch.Trainer(net, "sgd", lr=0.5)
    trainer.step(x, d)
    for key in ("W1", "b1", "W2", "b2"):
        net.params[key] = net.params[key] * 0.5  # new objects, as a user's own update loop makes
    ref = net.copy()
    want = {k: v - 0.5 * g for (k, v), g in zip(ref.params.items(), ref.gradient(x, d).values(), strict=True)}
    trainer.step(x, d)
    for key in want:
        np.testing.assert_allclose(net.params[key], want[key], rtol=1e-12, atol=1e-14)


def test_user_replacing_a_weight_array_is_seen_by_the_fast_path():
    net = nnscratch.Network([3, 4, 2], hidden="relu", output="identity", dtype="float64", seed=0)
    x = np.ones((2, 3))
    net.forward(x)
    net.params["W1"] = np.zeros((3, 4))  # a new array object: its address must be looked up again
    p = net.params
    want = np.maximum(p["b1"], 0) @ p["W2"] + p["b2"]  # x·0 + b1, then the output layer
    np.testing.assert_allclose(net.forward(x), np.broadcast_to(want, (2, 2)))


def test_environment_variable_turns_the_fast_path_off():
    code = "import numpy as np; from nnscratch._accel import blas; print(blas.gemm_for(np.float32) is None)"
    env = dict(os.environ, NNSCRATCH_BLAS="numpy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_relu_layer_values_and_mask_including_infinities():
    layer = ReLU()
    u = np.array([[-1.0, 0.0, 2.0, np.inf, -np.inf]])
    np.testing.assert_array_equal(layer.forward(u), [[0.0, 0.0, 2.0, np.inf, 0.0]])
    dz = np.array([[5.0, 6.0, 7.0, 8.0, 9.0]])
    np.testing.assert_array_equal(layer.backward(dz), [[0.0, 0.0, 7.0, 8.0, 0.0]])
    assert np.isnan(layer.forward(np.array([[np.nan, 1.0]]))[0, 0])  # NaN is not hidden


def test_a_trained_network_pickles_and_deep_copies_and_keeps_training():
    """Prepared BLAS calls hold ctypes addresses: copies must start unprepared, not fail or share."""
    import copy
    import pickle

    rng = np.random.default_rng(7)
    x, d = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    net = nnscratch.Network([3, 5, 2], hidden="relu", output="softmax", dtype="float64", seed=0)
    nnscratch.train(net, x, d, epochs=2, batch_size=8, seed=0)
    for twin in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        np.testing.assert_array_equal(twin.predict(x), net.predict(x))
        nnscratch.train(twin, x, d, epochs=2, batch_size=8, seed=1)
        ref = net.copy()
        nnscratch.train(ref, x, d, epochs=2, batch_size=8, seed=1)
        for key in ref.params:
            np.testing.assert_allclose(twin.params[key], ref.params[key], rtol=1e-12)
        assert not np.array_equal(twin.params["W1"], net.params["W1"])  # the original was not touched


def test_training_a_network_with_read_only_weights_is_refused_before_any_step():
    net = nnscratch.Network([2, 3, 1], hidden="relu", output="identity", dtype="float64", seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    net.params["W1"].flags.writeable = False  # as np.load(..., mmap_mode="r") gives
    with pytest.raises(ValueError, match=r"params\['W1'\] is read-only .* net.params\['W1'\].copy\(\)"):
        nnscratch.Trainer(net, "sgd", lr=0.1).step([[1.0, 2.0]], [[1.0]])
    with pytest.raises(ValueError, match="read-only"):
        nnscratch.train(net, [[1.0, 2.0]] * 4, [[1.0]] * 4, epochs=1, batch_size=2)
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k])  # nothing was updated, W2 and b2 included


@pytest.mark.parametrize("blas", [True, False], ids=["blas", "numpy"])
def test_sgd_then_another_optimizer_on_the_same_network(blas, monkeypatch):
    """The fused SGD step keeps no gradient arrays; a later plain backward must make its own."""
    if not blas:
        monkeypatch.setattr(_blas, "_cache", {"f": None, "d": None})
    rng = np.random.default_rng(8)
    x, d = rng.standard_normal((64, 4)), rng.integers(0, 3, 64)
    net = nnscratch.Network([4, 6, 3], hidden="relu", output="softmax", dtype="float64", seed=0)
    nnscratch.train(net, x, d, optimizer="sgd", lr=0.1, epochs=2, batch_size=16, seed=0)
    grads = net.gradient(x, d)
    assert all(isinstance(g, np.ndarray) and g.shape == net.params[k].shape for k, g in grads.items())
    history = nnscratch.train(net, x, d, optimizer="adam", lr=0.01, epochs=2, batch_size=16, seed=0)
    assert np.isfinite(history.loss).all()


def test_the_numpy_path_passes_the_engine_and_training_suites():
    """Users whose NumPy has another BLAS (Accelerate, MKL) get the NumPy path: it must pass the same
    network, training, optimizer, bad-input and gradient-check tests."""
    here = os.path.dirname(os.path.abspath(__file__))
    files = ["network", "training", "optim", "bad_input", "gradcheck_matrix"]
    paths = [os.path.join(here, f"test_{name}.py") for name in files]
    env = dict(os.environ, NNSCRATCH_BLAS="numpy")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *paths],
        env=env, capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout


@pytest.mark.parametrize("blas", [True, False], ids=["blas", "numpy"])
def test_fused_momentum_steps_equal_the_optimizers_own_update(blas, monkeypatch):
    """Trainer with plain Momentum folds η into back-propagation (v ← μ·v − xᵀ·ηδ as one product): the
    parameters and the velocities match Momentum.update on the public gradient, step by step, also
    when μ and η change between steps."""
    if not blas:
        monkeypatch.setattr(_blas, "_cache", {"f": None, "d": None})
    rng = np.random.default_rng(9)
    net = nnscratch.Network([4, 7, 5, 3], hidden="tanh", output="softmax", dtype="float64", seed=0)
    ref = net.copy()
    fused = nnscratch.optim.Momentum(lr=0.2, momentum=0.9)
    plain = nnscratch.optim.Momentum(lr=0.2, momentum=0.9)
    trainer = nnscratch.Trainer(net, fused)
    for step in range(6):
        if step == 3:
            for opt in (fused, plain):
                opt.momentum, opt.lr = 0.5, 0.05
        x, d = rng.standard_normal((12, 4)), rng.integers(0, 3, 12)
        plain.update(ref.params, ref.gradient(x, d))
        trainer.step(x, d)
        for key in ref.params:
            np.testing.assert_allclose(net.params[key], ref.params[key], rtol=1e-11, atol=1e-13)
            np.testing.assert_allclose(fused.state[key]["v"], plain.state[key]["v"], rtol=1e-11, atol=1e-13)
    assert fused.t == plain.t == 6


class _Clipped(nnscratch.optim.Momentum):
    def step(self, p, g, state):
        super().step(p, np.clip(g, -0.01, 0.01), state)


@pytest.mark.parametrize("rule", [_Clipped, nnscratch.optim.Nesterov], ids=["subclass", "nesterov"])
def test_a_momentum_subclass_with_its_own_rule_is_not_folded(rule):
    rng = np.random.default_rng(10)
    net = nnscratch.Network([4, 5, 3], hidden="relu", output="softmax", dtype="float64", seed=0)
    ref = net.copy()
    trainer, plain = nnscratch.Trainer(net, rule(lr=0.5)), rule(lr=0.5)
    for _ in range(3):  # from the second step on, the velocity makes the rules differ
        x, d = rng.standard_normal((12, 4)), rng.integers(0, 3, 12)
        trainer.step(x, d)
        plain.update(ref.params, ref.gradient(x, d))
    for key in ref.params:
        np.testing.assert_allclose(net.params[key], ref.params[key], rtol=1e-12)
