"""nnscratch.Network: construction, parameters, initialisation, dtypes, results and summary."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Network
from nnscratch import functions as F


def reference_forward(params: dict, x: np.ndarray, acts: list) -> np.ndarray:
    z = np.asarray(x, dtype=np.float64)
    n = len(params) // 2
    for i in range(1, n + 1):
        u = z @ params[f"W{i}"].astype(np.float64) + params[f"b{i}"].astype(np.float64)
        z = acts[i - 1](u) if i <= len(acts) else u
    return z


# ---------------------------------------------------------------- construction


def test_sizes_as_list_or_string_give_the_same_network():
    a = Network([2, 3, 3, 1], seed=0)
    b = Network("2-3-3-1", seed=0)
    assert a.sizes == b.sizes == [2, 3, 3, 1]
    assert list(a.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    shapes = {k: v.shape for k, v in a.params.items()}
    assert shapes == {"W1": (2, 3), "b1": (3,), "W2": (3, 3), "b2": (3,), "W3": (3, 1), "b3": (1,)}
    assert a.n_layers == 3


def test_defaults_and_pairings():
    net = Network("2-3-1")
    assert net.hidden == ["relu"] and net.output == "identity" and net.loss_name == "mse"
    assert net.dtype == np.float32
    assert Network("2-3-1", output="sigmoid").loss_name == "binary_cross_entropy"
    assert Network("2-3-3", output="softmax").loss_name == "cross_entropy"
    assert Network("2-3-3", output="softmax", loss="mse").loss_name == "mse"
    assert Network("2-3-1", output="sigmoid", loss="mean_squared_error").loss_name == "mse"


def test_one_hidden_activation_or_one_per_layer():
    net = Network("2-4-4-4-1", hidden=["tanh", "relu", "sigmoid"], seed=1)
    assert net.hidden == ["tanh", "relu", "sigmoid"]
    assert [a.name for a in net.activations] == ["tanh", "relu", "sigmoid"]
    x = np.random.default_rng(0).normal(size=(5, 2))
    expected = reference_forward(net.params, x, [F.tanh, F.relu, F.sigmoid])
    np.testing.assert_allclose(net.forward(x), expected, rtol=1e-5, atol=1e-6)
    assert Network("2-4-4-1", hidden="leaky_relu").hidden == ["leaky_relu", "leaky_relu"]
    assert Network("2-1", hidden="tanh").hidden == []  # no hidden layer: the name is simply unused


@pytest.mark.parametrize(
    "init, n_in, expected_std",
    [("he", 400, np.sqrt(2 / 400)), ("xavier", 400, np.sqrt(1 / 400)), (0.01, 400, 0.01), (0.5, 50, 0.5)],
)
def test_init_standard_deviation(init, n_in, expected_std):
    net = Network([n_in, 500, 2], init=init, seed=3, dtype="float64")
    W = net.params["W1"]
    assert W.shape == (n_in, 500)
    # sample std of k normal draws has relative standard error ≈ 1/√(2k) (≤ 0.5 % here): allow 3 %
    assert np.std(W) == pytest.approx(expected_std, rel=0.03)
    assert abs(np.mean(W)) < 5 * expected_std / np.sqrt(W.size)
    assert np.all(net.params["b1"] == 0) and np.all(net.params["b2"] == 0)
    if init == "he":  # the second layer uses its own fan-in
        assert np.std(net.params["W2"]) == pytest.approx(np.sqrt(2 / 500), rel=0.1)


def test_init_zero_and_bad_init():
    assert np.all(Network("2-3-1", init=0.0).params["W1"] == 0)
    with pytest.raises(ValueError, match=r"init: unknown name 'lecun'; expected 'he', 'xavier'"):
        Network("2-3-1", init="lecun")
    with pytest.raises(ValueError, match=r"init: expected 'he', 'xavier' or a non-negative.*got -1"):
        Network("2-3-1", init=-1)


def test_seed_reproducibility_and_no_global_state():
    state = np.random.get_state()[1].copy()
    a, b, c = Network("3-8-2", seed=7), Network("3-8-2", seed=7), Network("3-8-2", seed=8)
    assert np.array_equal(np.random.get_state()[1], state)  # the global generator is untouched
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert np.array_equal(Network("3-8-2", seed=g1).params["W1"], Network("3-8-2", seed=g2).params["W1"])


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.float64])
def test_dtype_flows_through_params_outputs_and_gradients(dtype):
    net = Network("3-4-3", output="softmax", dtype=dtype, seed=0)
    expected = np.dtype(dtype)
    assert net.dtype == expected
    assert all(v.dtype == expected for v in net.params.values())
    x = np.random.default_rng(0).normal(size=(6, 3))  # float64 input is converted
    assert net.forward(x).dtype == expected
    grads = net.gradient(x, [0, 1, 2, 0, 1, 2])
    assert all(grads[k].dtype == expected and grads[k].shape == net.params[k].shape for k in net.params)


# ---------------------------------------------------------------- parameters are live


def test_setting_params_in_place_is_seen_by_forward():
    net = Network("2-3-2", hidden="sigmoid", seed=0, dtype="float64")
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    y0 = net.forward(x)
    net.params["W1"][...] = 0.25
    net.params["b2"][0] += 1.0
    y1 = net.forward(x)
    assert not np.allclose(y0, y1)
    np.testing.assert_allclose(y1, reference_forward(net.params, x, [F.sigmoid]), rtol=1e-14)


def test_replacing_a_param_array_is_seen_by_forward_and_backward():
    net = Network("2-3-2", hidden="tanh", seed=0, dtype="float64")
    x = np.array([[0.5, -1.0]])
    net.params["W2"] = np.full((3, 2), 0.5)
    np.testing.assert_allclose(net.forward(x), reference_forward(net.params, x, [F.tanh]), rtol=1e-14)
    grads = net.backward([[1.0, 0.0]])
    z1 = np.tanh(x @ net.params["W1"] + net.params["b1"])
    delta2 = net.forward(x) - np.array([[1.0, 0.0]])
    np.testing.assert_allclose(grads["W2"], z1.T @ delta2, rtol=1e-13)


def test_from_params_copies_and_infers_dtype():
    W1 = np.array([[1.0, -1.0]])
    params = {"W1": W1, "b1": np.zeros(2), "W2": np.ones((2, 1)), "b2": np.zeros(1)}
    net = Network.from_params(params, hidden="relu")
    assert net.dtype == np.float64 and net.sizes == [1, 2, 1]
    W1[0, 0] = 100.0  # the network holds copies
    assert net.params["W1"][0, 0] == 1.0
    assert net.forward([3.0]).tolist() == [3.0]
    assert net.forward([-3.0]).tolist() == [3.0]
    as32 = Network.from_params({k: v.astype(np.float32) for k, v in params.items()})
    assert as32.dtype == np.float32
    assert Network.from_params(params, dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match=r"params: W2 has 3 rows but layer 1 has 2 outputs"):
        Network.from_params(
            {"W1": np.ones((1, 2)), "b1": np.zeros(2), "W2": np.ones((3, 1)), "b2": np.zeros(1)}
        )
    with pytest.raises(ValueError, match=r"params: expected keys W1, b1, .*got \['W1'\]"):
        Network.from_params({"W1": np.ones((1, 2))})
    with pytest.raises(ValueError, match=r"params: W1 contains NaN or inf"):
        Network.from_params({"W1": np.array([[np.nan]]), "b1": np.zeros(1)})


def test_copy_is_independent():
    net = Network("2-3-1", seed=0)
    twin = net.copy(dtype="float64")
    assert twin.dtype == np.float64 and twin.hidden == net.hidden
    twin.params["W1"][...] = 0
    assert not np.all(net.params["W1"] == 0)


# ---------------------------------------------------------------- forward / backward results


def test_forward_and_backward_results_are_copies():
    net = Network("3-5-2", hidden="relu", output="softmax", seed=0)
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    y1 = net.forward(x1)
    y1_saved = y1.copy()
    g1 = net.backward([0, 1, 1, 0])
    g1_saved = {k: v.copy() for k, v in g1.items()}
    y2 = net.forward(x2)
    g2 = net.backward([1, 0, 0, 1])
    assert np.array_equal(y1, y1_saved) and not np.array_equal(y1, y2)
    assert all(np.array_equal(g1[k], g1_saved[k]) for k in g1)
    assert not np.array_equal(g1["W1"], g2["W1"])
    # writing into a returned array does not disturb the network
    g2_saved = {k: v.copy() for k, v in g2.items()}
    y2[...] = 0
    g2["W1"][...] = 7
    again = net.backward([1, 0, 0, 1])
    assert all(np.allclose(again[k], g2_saved[k]) for k in again)
    for k in net.params:
        assert g1[k] is not net.params[k]


def test_gradient_is_forward_then_backward_and_single_sample_shapes():
    net = Network("2-3-2", seed=0, dtype="float64")
    x, d = np.array([0.3, -0.7]), np.array([1.0, 2.0])
    y = net.forward(x)
    assert y.shape == (2,)
    g_a = net.backward(d)
    g_b = net.gradient(x, d)
    g_c = net.gradient(x[None, :], d[None, :])
    for k in net.params:
        np.testing.assert_array_equal(g_a[k], g_b[k])
        np.testing.assert_array_equal(g_a[k], g_c[k])
    assert net.forward(x[None, :]).shape == (1, 2)


def test_backward_refers_to_the_latest_pass_of_any_kind():
    net = Network("2-3-2", output="softmax", seed=0, dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 2))
    d = np.array([0, 1, 0, 1, 1])
    net.forward(x[:2])
    net.accuracy(x, d)  # a pass on 5 rows
    np.testing.assert_allclose(net.backward(d)["W1"], net.gradient(x, d)["W1"], rtol=1e-15)
    net.forward(x[:2])
    net.loss(x[:3], d[:3])
    np.testing.assert_allclose(net.backward(d[:3])["W1"], net.gradient(x[:3], d[:3])["W1"], rtol=1e-15)


def test_loss_matches_the_functions():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3))
    net = Network("3-4-3", output="softmax", seed=0, dtype="float64")
    labels = rng.integers(0, 3, size=6)
    y = net.forward(x)
    assert net.loss(x, labels) == pytest.approx(F.cross_entropy_error(labels, y), rel=1e-13)
    assert net.loss(x, F.to_one_hot(labels, 3)) == pytest.approx(net.loss(x, labels), rel=1e-15)
    reg = Network("3-4-2", seed=0, dtype="float64")
    d = rng.normal(size=(6, 2))
    assert reg.loss(x, d) == pytest.approx(F.mean_squared_error(d, reg.forward(x)), rel=1e-14)


def test_predict_and_accuracy():
    params = {"W1": np.array([[1.0, -1.0, 0.0]]), "b1": np.array([0.0, 0.0, 0.1])}
    soft = Network.from_params(params, output="softmax")
    x = np.array([[2.0], [-2.0], [0.0]])
    np.testing.assert_allclose(soft.predict(x), F.softmax(x @ params["W1"] + params["b1"]), rtol=1e-14)
    assert soft.predict_classes(x).tolist() == [0, 1, 2]
    assert soft.accuracy(x, [0, 1, 2]) == 1.0
    assert soft.accuracy(x, [0, 1, 0]) == pytest.approx(2 / 3)
    assert soft.accuracy(x, F.to_one_hot([0, 0, 0], 3)) == pytest.approx(1 / 3)
    sig = Network.from_params({"W1": np.array([[1.0]]), "b1": np.array([0.0])}, output="sigmoid")
    assert sig.predict_classes(np.array([[3.0], [-3.0]])).tolist() == [1, 0]
    assert sig.accuracy(np.array([[3.0], [-3.0]]), [1, 1]) == 0.5
    reg = Network("1-1", seed=0)
    with pytest.raises(ValueError, match=r"output: class predictions need a classification output"):
        reg.accuracy(np.array([[1.0]]), [1.0])


def test_a_step_network_runs_forward_but_refuses_to_train():
    net = Network("2-3-1", hidden="step", output="sigmoid", seed=0)
    y = net.forward([[1.0, 2.0]])
    assert y.shape == (1, 1) and np.all((y > 0) & (y < 1))
    assert net.differentiable is False
    with pytest.raises(ValueError, match=r"hidden: 'step' activation has no usable gradient"):
        net.backward([[1.0]])


# ---------------------------------------------------------------- summary and repr


def test_summary_lists_layers_shapes_activations_and_counts():
    net = Network("2-3-3-1", hidden=["relu", "tanh"], seed=0)
    text = net.summary()
    lines = text.splitlines()
    assert "2-3-3-1" in lines[0] and "float32" in lines[0]
    w1 = next(line for line in lines if line.startswith("W1, b1"))
    w2 = next(line for line in lines if line.startswith("W2, b2"))
    w3 = next(line for line in lines if line.startswith("W3, b3"))
    assert "2 -> 3" in w1 and "relu" in w1 and w1.split()[-1] == str(2 * 3 + 3)
    assert "3 -> 3" in w2 and "tanh" in w2 and w2.split()[-1] == str(3 * 3 + 3)
    assert "3 -> 1" in w3 and "identity + mse" in w3 and w3.split()[-1] == str(3 * 1 + 1)
    assert lines[-1] == "total parameters: 25"
    assert sum(v.size for v in net.params.values()) == 25
    big = Network("784-1000-10", output="softmax").summary()
    assert "total parameters: 795,010" in big and "softmax + cross_entropy" in big


def test_repr():
    assert repr(Network("2-3-1", hidden="tanh", output="sigmoid")) == (
        "Network('2-3-1', hidden='tanh', output='sigmoid', loss='binary_cross_entropy', dtype='float32')"
    )
