"""The trace of a Day 2 network: batch normalisation's μ, σ², x̂, y and dropout's mask, recorded from the
layers' own passes (training mode, as ``gradient``), equal to the layers' formulas, printed with labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnscratch
from nnscratch.lab import trace_cli
from nnscratch.lab.trace import trace

X = np.array([[1.0, 5.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 2.0]])
D = np.array([[0, 1], [1, 0], [0, 1], [1, 0]], dtype=float)


def day2_net(**options) -> nnscratch.Network:
    net = nnscratch.Network("2-4-3-2", hidden="relu", output="softmax", seed=2, dtype="float64", **options)
    for key, p in net.params.items():  # non-trivial γ, β and biases
        if not key.startswith("W"):
            p[...] = np.random.default_rng(len(key)).uniform(0.5, 1.5, p.shape)
    return net


def test_batchnorm_values_are_the_layers_formulas():
    net = day2_net(batchnorm=True)
    ref = net.copy()
    t = trace(net, X, d=D)
    assert t.train and len(t.bn) == 2 and all(b is not None for b in t.bn)
    z = X
    for i in range(2):
        n = i + 1
        u = z @ ref.params[f"W{n}"] + ref.params[f"b{n}"]
        np.testing.assert_allclose(t.u[i], u, rtol=1e-12)
        bn = next(layer for layer in net.layers if isinstance(layer, nnscratch.layers.BatchNormalization)
                  and layer.params["gamma"] is net.params[f"gamma{n}"])
        mu, var = u.mean(axis=0), ((u - u.mean(axis=0)) ** 2).mean(axis=0)
        xhat = (u - mu) / np.sqrt(var + bn.eps)
        y = ref.params[f"gamma{n}"] * xhat + ref.params[f"beta{n}"]
        np.testing.assert_allclose(t.bn[i]["mu"], mu, rtol=1e-12)
        np.testing.assert_allclose(t.bn[i]["var"], var, rtol=1e-12)
        np.testing.assert_allclose(t.bn[i]["xhat"], xhat, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.bn[i]["y"], y, rtol=1e-12)
        np.testing.assert_allclose(t.bn[i]["xhat"].mean(axis=0), 0, atol=1e-12)  # normalised: mean 0
        z = np.maximum(y, 0)
        np.testing.assert_allclose(t.z[i], z, rtol=1e-12)
        # the running averages moved once, as one training pass moves them
        np.testing.assert_allclose(bn.running_mean, 0.1 * mu, rtol=1e-12)
    # a training step, as net.gradient: the same gradients (γ, β included) and the same loss
    grads = ref.gradient(X, D)
    assert list(t.grads) == ["W1", "W2", "W3", "b1", "b2", "b3", "gamma1", "gamma2", "beta1", "beta2"]
    for key, g in grads.items():
        np.testing.assert_allclose(t.grads[key], g, rtol=1e-10, atol=1e-14)
    ref.forward(X, train=True)
    assert t.E == pytest.approx(ref.output_layer.loss(ref.check_d(D, 4)), rel=1e-12)


def test_dropout_mask_is_the_one_the_step_used():
    net = day2_net(dropout=0.5)
    ref = net.copy()
    t = trace(net, X, d=D, lr=0.1)
    for i in range(2):
        mask = t.dropout[i]["mask"]
        assert set(np.unique(mask)) <= {0.0, 1.0}
        np.testing.assert_array_equal(t.dropout[i]["out"], t.z[i] * mask)  # course mode: y = x ⊙ M
    # the next layer's u is computed from the dropped output
    np.testing.assert_allclose(t.u[1], t.dropout[0]["out"] @ ref.params["W2"] + ref.params["b2"], rtol=1e-12)
    # back-propagation goes through the same mask: replay it on the reference network
    for layer, mine in zip(ref.layers, net.layers, strict=True):
        if isinstance(layer, nnscratch.layers.Dropout):
            layer.mask, layer.hold = mine.mask.copy(), True
    grads = ref.gradient(X, D)
    for key, g in grads.items():
        np.testing.assert_allclose(t.grads[key], g, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(t.updated[key], t.params[key] - 0.1 * g, rtol=1e-10, atol=1e-14)


def test_penalty_is_beside_the_error_and_in_the_gradient():
    net = day2_net(l1=0.01, l2=0.1)
    ref = net.copy()
    t = trace(net, X, d=D)
    assert t.penalty == pytest.approx(ref.penalty(), rel=1e-12)
    assert t.E == pytest.approx(ref.data_loss(X, D), rel=1e-12)
    for key, g in ref.gradient(X, D).items():
        np.testing.assert_allclose(t.grads[key], g, rtol=1e-12)
    assert "*** 正則化項 (L1/L2) ***" in str(t)
    assert trace(day2_net(), X, d=D).penalty is None


def test_without_targets_the_forward_pass_is_a_prediction():
    net = day2_net(batchnorm=True, dropout=0.5)
    trace(net, X, d=D)  # one training step moves the running averages
    t = trace(net, X)
    assert not t.train
    np.testing.assert_allclose(t.y, net.predict(X), rtol=1e-12)
    assert set(t.bn[0]) == {"mu_run", "var_run", "y"} and set(t.dropout[0]) == {"out"}
    np.testing.assert_allclose(t.dropout[0]["out"], t.z[0] * 0.5, rtol=1e-12)  # course: scaled by 1 − p


@pytest.mark.parametrize("lang, labels", [
    ("ja", ["総入力1", "バッチ正規化1: 平均 μ", "バッチ正規化1: 分散 σ²", "バッチ正規化1: 正規化 x̂",
            "バッチ正規化1: 出力 y", "中間層出力1", "ドロップアウト1: マスク", "ドロップアウト1: 出力",
            "総入力2"]),
    ("en", ["total input u1", "batch norm 1: mean μ", "batch norm 1: variance σ²",
            "batch norm 1: normalised x̂", "batch norm 1: output y", "hidden-layer output z1",
            "dropout 1: mask", "dropout 1: output", "total input u2"]),
])
def test_printout_in_the_course_layout(lang, labels):
    t = trace(day2_net(batchnorm=True, dropout=0.3), X, d=D, lr=0.01, lang=lang)
    printed = t.labels()
    start = printed.index(labels[0])
    assert printed[start:start + len(labels)] == labels
    text = str(t)
    # print_vec blocks: the label line, the value, a blank line
    assert f"*** {labels[1]} ***\n{t.bn[0]['mu']}\n\n" in text
    assert f"*** {labels[6]} ***\n{t.dropout[0]['mask']}\n\n" in text
    gamma = "スケール γ1" if lang == "ja" else "scale gamma1"
    assert printed.count(gamma) == 2  # before and after the update
    other = t.to_html("ja" if lang == "en" else "en")
    assert labels[1] in other  # the other language's label beside it


def test_to_dict_carries_the_day2_values():
    t = trace(day2_net(batchnorm=True, dropout=0.3, l2=0.01), X, d=D)
    data = json.loads(t.to_json())
    assert set(data["bn"]) == {"bn1", "bn2"} and set(data["bn"]["bn1"]) == {"mu", "var", "xhat", "y"}
    assert set(data["dropout"]["dropout2"]) == {"mask", "out"}
    assert data["train"] is True and data["penalty"] == pytest.approx(t.penalty)


def test_plain_networks_trace_as_before():
    t = trace(nnscratch.Network("2-3-2", output="softmax", seed=0), X, d=D)
    assert t.bn == [None] and t.dropout == [None] and t.penalty is None
    assert not any(k.startswith(("bn_", "drop_")) for _, k, _ in t.entries())


def test_cli_traces_a_day2_network(capsys):
    argv = ["--layers", "2-3-2", "--x", "1,5;2,-1;0,1", "--d", "0,1;1,0;0,1", "--batchnorm",
            "--dropout", "0.5", "--l2", "0.01", "--lr", "0.1"]
    assert trace_cli.main(argv) == 0
    out = capsys.readouterr().out
    for label in ("バッチ正規化1: 平均 μ", "バッチ正規化1: 正規化 x̂", "ドロップアウト1: マスク",
                  "正則化項 (L1/L2)", "スケール γ1"):
        assert f"*** {label} ***" in out
    with pytest.raises(SystemExit) as exc:
        trace_cli.main(["--layers", "2-3-2", "--x", "1,5", "--dropout", "1.5"])
    assert exc.value.code == 2
    assert "dropout: expected a dropout rate in [0, 1)" in capsys.readouterr().err
