"""The trace of a stack of any layers (a convolutional network, a user's own layer), layer by layer: the
outputs are the layers' own, each ∂E/∂(output of layer i) is the numerical derivative of E with respect
to that output, the gradients are the stack's own and the update is the course's loop."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnscratch
from nnscratch.lab.trace import StackTrace

L = nnscratch.layers


def conv_net(dtype="float64", seed=0):
    # tanh before the max pooling: no ties in a window (ReLU's zeros would tie, and a tie's numerical
    # derivative splits where back-propagation picks one)
    layers = [L.Convolution(2, 3, 3, pad=1), L.Tanh(), L.MaxPooling(2), L.Convolution(3, 2, 2, stride=1),
              L.ReLU(), L.AveragePooling(1), L.Flatten(), L.Affine(2, 4), L.Sigmoid(), L.Affine(4, 3),
              L.SoftmaxCrossEntropy()]
    return nnscratch.Sequential(layers, seed=seed, dtype=dtype)


def data(n=3):
    rng = np.random.default_rng(5)
    return rng.normal(size=(n, 2, 4, 4)), np.array([0, 2, 1])[:n]


def test_every_output_is_the_layers_own_and_every_gradient_the_stacks():
    net, (x, d) = conv_net(), data()
    t = nnscratch.trace(net.copy(), x, d, lang="en")
    assert isinstance(t, StackTrace)
    z = x
    for layer, out in zip(net.copy().layers[:-1], t.outputs, strict=True):
        z = layer.forward(z, train=True)
        np.testing.assert_array_equal(out, z)
    grads = net.copy().gradient(x, d)
    assert list(t.grads) == ["W1", "W2", "W3", "W4", "b1", "b2", "b3", "b4"]  # as the course prints them
    for key in net.params:
        np.testing.assert_allclose(t.grads[key], grads[key], rtol=1e-12, atol=1e-15)
    assert t.E == pytest.approx(net.copy().loss(x, d), rel=1e-12)
    np.testing.assert_allclose(t.y.sum(axis=1), 1.0)


def test_each_dout_is_the_numerical_derivative_of_E_by_that_output():
    net, (x, d) = conv_net(), data(2)
    t = nnscratch.trace(net.copy(), x, d)
    layers = net.copy().layers

    def E_from(k, z):  # the loss with the output of layer k replaced by z
        for layer in layers[k:-1]:
            z = layer.forward(z, train=True)
        layers[-1].forward(z, train=True)
        return layers[-1].loss(d)

    for k in range(1, len(layers)):
        zk = t.outputs[k - 1]
        numerical = np.zeros_like(zk)
        h = 1e-6
        for i in np.ndindex(zk.shape):
            plus, minus = zk.copy(), zk.copy()
            plus[i] += h
            minus[i] -= h
            numerical[i] = (E_from(k, plus) - E_from(k, minus)) / (2 * h)
        np.testing.assert_allclose(t.douts[k - 1], numerical, atol=1e-8, err_msg=f"layer {k}")


def test_the_update_is_the_courses_loop_on_the_networks_own_parameters():
    net, (x, d) = conv_net(), data()
    before = {k: p.copy() for k, p in net.params.items()}
    t = nnscratch.trace(net, x, d, lr=0.5)
    for key in net.params:
        np.testing.assert_allclose(t.updated[key], before[key] - 0.5 * t.grads[key], rtol=1e-15)
        np.testing.assert_array_equal(net.params[key], t.updated[key])
        np.testing.assert_array_equal(t.params[key], before[key])


def test_the_printout_names_each_layer_with_its_sizes_in_both_languages():
    net, (x, d) = conv_net(), data()
    t = nnscratch.trace(net, x, d, lr=0.1)
    ja, en = t.to_text("ja"), t.to_text("en")
    for text in ("*** 層1 畳み込み 3×2×3×3 (ストライド 1, パディング 1): 出力 (3, 3, 4, 4) ***",
                 "*** 層3 最大プーリング 2×2 (ストライド 2): 出力 (3, 3, 2, 2) ***",
                 "層7 平坦化: 出力 (3, 2)",
                 "層8 Affine 2→4", "層9 シグモイド関数", "平均プーリング 1×1", "偏微分_dE/d(層1 畳み込み",
                 "##### 誤差逆伝播開始 #####", "*** 偏微分_重み1 ***", "*** 出力合計 ***"):
        assert text in ja, text
    for text in ("*** layer 1 convolution 3×2×3×3 (stride 1, pad 1): output (3, 3, 4, 4) ***",
                 "layer 4 convolution 2×3×2×2 (stride 1, pad 0): output (3, 2, 1, 1)",
                 "gradient dE/d(output of layer 10 Affine 4→3)", "*** learning rate ***"):
        assert text in en, text
    assert str(t) == ja and t.lang == "ja"
    html = t._repr_html_()
    assert "<pre>" in html and "層1 畳み込み" in html and "layer 1 convolution" in html
    assert repr(t).startswith("StackTrace(Convolution → Tanh → MaxPooling")


def test_json_holds_every_quantity():
    net, (x, d) = conv_net(), data()
    t = json.loads(nnscratch.trace(net, x, d, lr=0.1).to_json())
    assert t["kind"] == "stack" and t["layers"][0] == "convolution 3×2×3×3 (stride 1, pad 1)"
    assert list(t["outputs"]) == [f"out{i}" for i in range(1, 11)]
    assert list(t["douts"]) == [f"dE/dout{i}" for i in range(1, 11)]
    assert np.shape(t["outputs"]["out1"]) == (3, 3, 4, 4) and np.shape(t["params"]["W1"]) == (3, 2, 3, 3)
    assert set(t["updated"]) == set(t["grads"]) == set(t["params"])


def test_one_image_is_recorded_without_its_batch_axis_and_a_prediction_stops_after_y():
    net = conv_net()
    x = data(1)[0][0]  # (C, H, W)
    t = nnscratch.trace(net, x)
    assert t.x.shape == (2, 4, 4) and t.outputs[0].shape == (3, 4, 4) and t.y.shape == (3,)
    assert t.E is None and t.grads == {} and t.douts == []
    assert "誤差逆伝播開始" not in str(t)
    assert t.y_sum == pytest.approx(1.0)


def test_a_users_own_layer_is_traced_by_its_class_name():
    class Doubling(L.Layer):
        def forward(self, x, train=True):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    net = nnscratch.Sequential([L.Affine(2, 3), Doubling(), L.Affine(3, 1), L.IdentityMSE()], seed=0,
                               dtype="float64")
    x, d = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.5], [1.0]])
    t = nnscratch.trace(net.copy(), x, d, lang="en")
    assert "layer 2 Doubling: output (2, 3)" in t.labels()
    assert "output sum" not in t.labels()  # an identity output need not sum to 1
    grads = net.gradient(x, d)
    for key in net.params:
        np.testing.assert_allclose(t.grads[key], grads[key], rtol=1e-12)


def test_dropout_in_a_conv_stack_is_held_in_the_step_and_scaled_in_a_prediction():
    layers = [L.Convolution(1, 2, 2), L.ReLU(), L.Flatten(), L.Dropout(0.5), L.Affine(18, 2),
              L.SoftmaxCrossEntropy()]
    net = nnscratch.Sequential(layers, seed=3, dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    t = nnscratch.trace(net, x, [0, 1], lang="en")
    mask = net.layers[3].mask
    np.testing.assert_array_equal(t.outputs[3], t.outputs[2] * mask)  # the course's dropout: x·mask
    np.testing.assert_array_equal(t.douts[2], t.douts[3] * mask)
    assert "layer 4 dropout p = 0.5: output (2, 18)" in t.labels()
    p = nnscratch.trace(net, x, lang="en")  # evaluation: scaled by 1 − p
    np.testing.assert_allclose(p.outputs[3], p.outputs[2] * 0.5)


def test_a_float32_stack_and_bad_arguments():
    net, (x, d) = conv_net("float32"), data()
    t = nnscratch.trace(net, x, d)
    assert t.outputs[0].dtype == np.float32 and t.grads["W1"].dtype == np.float32
    with pytest.raises(ValueError, match="lr: an update needs targets"):
        nnscratch.trace(net, x, lr=0.1)
    with pytest.raises(ValueError, match="lang"):
        nnscratch.trace(net, x, lang="fr")
    with pytest.raises(TypeError, match="net: expected an nnscratch.Network or Sequential"):
        nnscratch.trace(object(), x)


def test_nnscratch_trace_of_an_image_network_in_a_subprocess(tmp_path):
    import subprocess
    import sys

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nnscratch.cli", "trace", *argv], capture_output=True,
                              text=True, cwd=tmp_path, timeout=120, encoding="utf-8")

    grid = "0,1,2,3;4,5,6,7;8,9,10,11;12,13,14,15"
    ok = run("--layers", "conv2x3-relu-pool2", "--x", grid, "--d", "0,0,1", "--lr", "0.1", "--lang", "en")
    assert ok.returncode == 0, ok.stderr
    assert "*** layer 1 convolution 2×1×3×3 (stride 1, pad 0): output (2, 2, 2) ***" in ok.stdout
    assert "*** gradient dE/d(output of layer 4 flatten) ***" in ok.stdout
    assert "*** learning rate ***" in ok.stdout
    batch = json.dumps(np.arange(32.0).reshape(2, 1, 4, 4).tolist())
    ok = run("--layers", "conv2x3-relu-affine4-relu", "--x", batch, "--d", "0,2", "--outputs", "3", "--json")
    assert ok.returncode == 0, ok.stderr
    record = json.loads(ok.stdout)
    assert record["kind"] == "stack" and record["d"] == [0, 2] and np.shape(record["y"]) == (2, 3)
    ok = run("--layers", "affine4-tanh-affine3-relu", "--x", "1,5;2,-1", "--d", "0,2", "--outputs", "3",
             "--lang", "en")  # a layer string of dense layers: the course's names, u1 … y
    assert ok.returncode == 0, ok.stderr
    assert "*** total input u1 ***" in ok.stdout and "*** delta dE/du3 ***" in ok.stdout
    for argv, message in [
        (("--layers", "conv2x3-relu", "--x", grid), "outputs: say how many outputs"),
        (("--layers", "2-3-2", "--x", "1,5", "--outputs", "3"), "outputs: --outputs is for a layer string"),
        (("--layers", "affine4-relu", "--d", "0,1"), "x: --layers needs an input"),
        (("--layers", "conv2x3-relu", "--x", grid, "--d", "0,1", "--batchnorm"), "batchnorm: with a layer"),
        (("--layers", "conv2x5-relu", "--x", grid, "--d", "0,1"), "OH = (H + 2P − FH) / S + 1"),
    ]:
        bad = run(*argv)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, (argv, bad.stderr)
        assert message in bad.stderr and "Traceback" not in bad.stderr, (argv, bad.stderr)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_lab_pages_image_network_commands_run(lang, capsys):
    """Every ``nnscratch trace --layers conv…`` line the lab page shows runs and prints the layers."""
    import re
    import shlex
    from pathlib import Path

    from nnscratch.lab import trace_cli

    page = Path(__file__).resolve().parents[1] / "docs" / lang / "lab.md"
    lines = re.findall(r"^nnscratch trace (--layers conv.*?)(?:\s+#.*)?$", page.read_text(encoding="utf-8"),
                       re.M)
    assert len(lines) >= 2
    for line in lines:
        assert trace_cli.main(shlex.split(line)) == 0, line
        out = capsys.readouterr().out
        assert ("layer 1 convolution 2×1×3×3" in out or "層1 畳み込み 2×1×3×3" in out), line
