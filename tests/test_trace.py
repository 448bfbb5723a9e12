"""The step-by-step trace: its numbers are the network's own, its printout carries the course's labels."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import nnscratch
from nnscratch.lab import trace_cli
from nnscratch.lab.trace import Trace, format_vec, trace, trace_layer

W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
B1 = np.array([0.1, 0.2, 0.3])
W2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
B2 = np.array([0.1, 0.2])

ACT = {
    "relu": lambda u: np.maximum(u, 0),
    "sigmoid": lambda u: 1 / (1 + np.exp(-u)),
    "tanh": np.tanh,
    "identity": lambda u: u,
}


def _softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


OUT = {"identity": lambda u: u, "sigmoid": ACT["sigmoid"], "softmax": _softmax}


def course_net() -> nnscratch.Network:
    return nnscratch.Network.from_params(
        {"W1": W1.copy(), "b1": B1.copy(), "W2": W2.copy(), "b2": B2.copy()}, hidden="relu", output="softmax"
    )


def _targets(output: str, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if output == "softmax":
        return np.eye(k)[rng.integers(0, k, n)]
    if output == "sigmoid":
        return rng.integers(0, 2, (n, k)).astype(float)
    return rng.standard_normal((n, k))


CASES = [
    # sizes, hidden, output, dtype, single sample?
    ([2, 3, 2], "relu", "softmax", "float64", False),
    ([4, 5, 3, 2], "tanh", "identity", "float64", False),
    ([3, 4, 1], "sigmoid", "sigmoid", "float32", False),
    ([3, 2], "relu", "softmax", "float64", True),
    ([2, 6, 5, 4, 3], ["relu", "sigmoid", "tanh"], "softmax", "float32", True),
]


@pytest.mark.parametrize("sizes, hidden, output, dtype, single", CASES)
def test_trace_equals_the_networks_own_passes_and_a_manual_update(sizes, hidden, output, dtype, single, rng):
    net = nnscratch.Network(sizes, hidden=hidden, output=output, dtype=dtype, seed=3)
    net.params["b1"][...] = rng.standard_normal(sizes[1])  # non-zero biases
    ref = net.copy()
    before = {k: v.copy() for k, v in net.params.items()}
    n = 1 if single else 4
    x = rng.standard_normal((n, sizes[0]))
    d = _targets(output, n, sizes[-1], rng)
    if single:
        x, d = x[0], d[0]
    lr = 0.05

    t = trace(net, x, d=d, lr=lr)

    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    # forward values, against the reference network and against numpy written out
    np.testing.assert_allclose(t.y, ref.forward(x), **tol)
    hiddens = [hidden] * (len(sizes) - 2) if isinstance(hidden, str) else hidden
    z = np.atleast_2d(x).astype(np.float64)
    for i in range(len(sizes) - 1):
        u = z @ before[f"W{i + 1}"].astype(np.float64) + before[f"b{i + 1}"]
        np.testing.assert_allclose(np.atleast_2d(t.u[i]), u, rtol=1e-5, atol=1e-5)
        z = ACT[hiddens[i]](u) if i < len(sizes) - 2 else OUT[output](u)
        if i < len(sizes) - 2:
            np.testing.assert_allclose(np.atleast_2d(t.z[i]), z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.atleast_2d(t.y), z, rtol=1e-5, atol=1e-5)
    assert t.y.shape == ((sizes[-1],) if single else (n, sizes[-1]))
    assert len(t.u) == len(sizes) - 1 and len(t.z) == len(sizes) - 2
    np.testing.assert_allclose(t.y_sum, np.sum(np.atleast_2d(t.y), axis=1) if n > 1 else np.sum(t.y), **tol)
    # error, gradients
    assert t.E == pytest.approx(ref.loss(x, d), rel=1e-6)
    grads = ref.gradient(x, d)
    assert list(t.grads) == [f"W{i}" for i in range(1, len(sizes))] + [f"b{i}" for i in range(1, len(sizes))]
    for key, g in grads.items():
        np.testing.assert_allclose(t.grads[key], g, **tol)
    # the deltas: the output delta is (y − d)/N, and each gradient is z_{l−1}ᵀ·δ_l, Σ δ_l
    y2, d2 = np.atleast_2d(t.y), np.atleast_2d(d)
    np.testing.assert_allclose(np.atleast_2d(t.deltas[-1]), (y2 - d2) / n, rtol=1e-5, atol=1e-6)
    inputs = [np.atleast_2d(t.x)] + [np.atleast_2d(v) for v in t.z]
    for i, delta in enumerate(t.deltas, start=1):
        delta = np.atleast_2d(delta)
        np.testing.assert_allclose(t.grads[f"W{i}"], inputs[i - 1].T @ delta, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(t.grads[f"b{i}"], delta.sum(axis=0), rtol=1e-5, atol=1e-6)
    # the update happened on the network itself: W ← W − lr·∂E/∂W
    for key in before:
        expected = before[key] - lr * grads[key]
        np.testing.assert_allclose(t.updated[key], expected, **tol)
        np.testing.assert_array_equal(net.params[key], t.updated[key])
        np.testing.assert_array_equal(t.params[key], before[key])
        assert t.updated[key].dtype == net.dtype
    assert t.lr == lr


def test_trace_copies_what_it_reads():
    net = course_net()
    x = np.array([[1.0, 5.0]])
    t = trace(net, x, d=[[0, 1]])
    u1, delta2 = t.u[0].copy(), t.deltas[-1].copy()
    net.gradient(np.array([[3.0, -1.0], [2.0, 2.0]]), [[1, 0], [0, 1]])  # overwrites the layers' buffers
    np.testing.assert_array_equal(t.u[0], u1)
    np.testing.assert_array_equal(t.deltas[-1], delta2)


def test_without_lr_the_network_is_unchanged_and_without_d_there_is_no_backward():
    net = course_net()
    before = {k: v.copy() for k, v in net.params.items()}
    t = trace(net, [[1.0, 5.0]], d=[[0, 1]])
    assert t.updated is None and t.lr is None and t.deltas
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])
    t2 = trace(net, [1.0, 5.0])
    assert t2.E is None and t2.d is None and t2.deltas == [] and t2.grads == {}
    assert "誤差逆伝播開始" not in str(t2) and "更新後パラメータ" not in str(t2)


def test_the_course_backprop_step_numbers():
    """The course's 2-3-2 step, computed here with numpy alone."""
    x, d, lr = np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]]), 0.01
    u1 = x @ W1 + B1
    z1 = np.maximum(u1, 0)
    u2 = z1 @ W2 + B2
    y = np.exp(u2) / np.exp(u2).sum()
    delta2 = y - d
    delta1 = (delta2 @ W2.T) * (u1 > 0)
    expected_updated = {
        "W1": W1 - lr * x.T @ delta1,
        "W2": W2 - lr * z1.T @ delta2,
        "b1": B1 - lr * delta1.sum(0),
        "b2": B2 - lr * delta2.sum(0),
    }
    t = trace(course_net(), x, d=d, lr=lr)
    np.testing.assert_allclose(t.u[0], [[1.2, 2.5, 3.8]])
    np.testing.assert_allclose(t.u[1], [[1.86, 4.21]])
    np.testing.assert_allclose(t.y, y)
    assert t.y_sum == pytest.approx(1.0)
    assert t.E == pytest.approx(-np.log(y[0, 1]))
    np.testing.assert_allclose(t.deltas[1], delta2)
    np.testing.assert_allclose(t.deltas[0], delta1)
    for k, v in expected_updated.items():
        np.testing.assert_allclose(t.updated[k], v, rtol=1e-12)


JA_BACKPROP = [
    "重み1", "重み2", "バイアス1", "バイアス2",
    "入力", "総入力1", "中間層出力1", "総入力2", "出力", "出力合計",
    "正解値", "誤差 (交差エントロピー誤差)",
    "偏微分_dE/du2", "偏微分_dE/du1", "偏微分_重み1", "偏微分_重み2", "偏微分_バイアス1", "偏微分_バイアス2",
    "学習率", "重み1", "重み2", "バイアス1", "バイアス2",
]  # fmt: skip
EN_BACKPROP = [
    "weight W1", "weight W2", "bias b1", "bias b2",
    "input x", "total input u1", "hidden-layer output z1", "total input u2", "output y", "output sum",
    "target d", "error E (cross entropy)",
    "delta dE/du2", "delta dE/du1",
    "gradient dE/dW1", "gradient dE/dW2", "gradient dE/db1", "gradient dE/db2",
    "learning rate", "weight W1", "weight W2", "bias b1", "bias b2",
]  # fmt: skip


def _blocks(text: str) -> tuple[list[str], list[str]]:
    """(section headers, print_vec labels) in order."""
    headers = [ln[6:-6] for ln in text.splitlines() if ln.startswith("##### ")]
    labels = [ln[4:-4] for ln in text.splitlines() if ln.startswith("*** ") and ln.endswith(" ***")]
    return headers, labels


@pytest.mark.parametrize(
    "lang, labels, headers",
    [
        ("ja", JA_BACKPROP, ["ネットワークのパラメータ", "順伝播開始", "誤差逆伝播開始", "更新後パラメータ"]),
        ("en", EN_BACKPROP, ["network parameters", "forward pass", "back-propagation", "updated parameters"]),
    ],
)
def test_printout_labels_in_the_course_order(lang, labels, headers):
    t = trace(course_net(), [[1.0, 5.0]], d=[[0, 1]], lr=0.01, lang=lang)
    text = str(t)
    assert _blocks(text) == (headers, labels)
    assert t.labels() == labels
    # the other language on request, from the same record
    other = "en" if lang == "ja" else "ja"
    assert _blocks(t.to_text(other))[1] == (EN_BACKPROP if other == "en" else JA_BACKPROP)


def test_printout_is_print_vec_blocks_of_the_recorded_values():
    t = trace(course_net(), [[1.0, 5.0]], d=[[0, 1]], lr=0.01)
    text = str(t)
    assert format_vec("総入力1", t.u[0]) in text
    assert "*** 総入力1 ***\n[[1.2 2.5 3.8]]\n\n" in text
    assert f"*** 偏微分_重み2 ***\n{t.grads['W2']}\n\n" in text
    assert f"*** 誤差 (交差エントロピー誤差) ***\n{t.E}\n\n" in text
    after = text.split("##### 更新後パラメータ #####\n", 1)[1]
    assert after.startswith("*** 学習率 ***\n0.01\n\n*** 重み1 ***\n" + str(t.updated["W1"]))


def test_labels_follow_the_loss_and_the_depth():
    net = nnscratch.Network([2, 3, 3, 1], hidden="relu", output="identity", dtype="float64", seed=0)
    t = trace(net, [1.0, 2.0], d=[0.5])
    labels = t.labels()
    assert labels[:6] == ["重み1", "重み2", "重み3", "バイアス1", "バイアス2", "バイアス3"]
    assert "中間層出力2" in labels and "中間層出力3" not in labels and "総入力3" in labels
    assert "誤差 (二乗和誤差 ½Σ(y − d)²)" in labels
    assert "出力合計" not in labels  # an identity output need not sum to 1: only softmax's sum is printed
    deltas = [lb for lb in labels if lb.startswith("偏微分_dE/du")]
    assert deltas == ["偏微分_dE/du3", "偏微分_dE/du2", "偏微分_dE/du1"]
    t2 = trace(nnscratch.Network([2, 1], output="sigmoid", seed=0), [1.0, 2.0], d=[1.0], lang="en")
    assert "error E (binary cross entropy)" in t2.labels()
    assert not any(lb.startswith("hidden-layer output") for lb in t2.labels())


def test_to_dict_and_json_round_trip():
    t = trace(course_net(), [[1.0, 5.0]], d=[[0, 1]], lr=0.01)
    data = json.loads(t.to_json())
    assert data == t.to_dict()
    assert data["architecture"]["sizes"] == [2, 3, 2]
    np.testing.assert_allclose(data["u"]["u1"], t.u[0])
    np.testing.assert_allclose(data["z"]["z1"], t.z[0])
    np.testing.assert_allclose(data["deltas"]["dE/du2"], t.deltas[1])
    np.testing.assert_allclose(data["grads"]["W2"], t.grads["W2"])
    np.testing.assert_allclose(data["updated"]["b1"], t.updated["b1"])
    assert data["E"] == t.E and data["lr"] == 0.01 and data["y_sum"] == pytest.approx(1.0)
    assert isinstance(t, Trace) and "E=" in repr(t)


def test_trace_layer_is_the_course_single_unit_and_single_layer():
    t = trace_layer([[0.1], [0.2]], 0.5, [2, 3], activation="relu")
    assert t.u[0] == pytest.approx([0.1 * 2 + 0.2 * 3 + 0.5]) and t.z[0] == pytest.approx([1.3])
    assert _blocks(str(t)) == ([], ["重み", "バイアス", "入力", "総入力", "中間層出力"])
    W = np.array([[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.3, 0.4, 0.5], [0.4, 0.5, 0.6]])
    x = np.array([1.0, 5.0, 2.0, -1.0])
    t2 = trace_layer(W, [0.1, 0.2, 0.3], x, activation="sigmoid", lang="en")
    np.testing.assert_allclose(t2.u[0], [1.4, 2.2, 3.0])
    np.testing.assert_allclose(t2.z[0], 1 / (1 + np.exp(-(x @ W + [0.1, 0.2, 0.3]))))
    assert t2.labels() == ["weight W", "bias b", "input x", "total input u", "hidden-layer output z"]
    assert json.loads(t2.to_json())["z"]["z"] == pytest.approx(list(t2.z[0]))


def test_step_network_traces_forward_and_error_but_cannot_update():
    net = nnscratch.Network([2, 3, 1], hidden="step", output="sigmoid", seed=0)
    t = trace(net, [1.0, 2.0], d=[1.0])
    assert t.E is not None and t.deltas == []
    with pytest.raises(ValueError, match="hidden"):
        trace(net, [1.0, 2.0], d=[1.0], lr=0.1)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(lr=0.1), ValueError, "^lr: an update needs targets"),
        (dict(d=[[0, 1]], lr=-1.0), ValueError, "^lr"),
        (dict(d=[[0, 1]], lang="fr"), ValueError, "^lang: expected 'ja' or 'en', got 'fr'"),
        (dict(d=[[0, 1, 0]]), ValueError, "^d: "),
    ],
)
def test_bad_arguments_raise_one_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        trace(course_net(), [[1.0, 5.0]], **kwargs)


def test_not_a_network_is_a_type_error():
    with pytest.raises(TypeError, match="^net: expected an nnscratch.Network"):
        trace({"W1": W1}, [1.0, 2.0])


def test_public_name_is_lazy_and_the_lab_does_not_import_matplotlib():
    assert nnscratch.trace is trace
    code = (
        "import sys, nnscratch, nnscratch.lab, nnscratch.lab.trace_cli; nnscratch.trace;"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- the CLI


LAST_LABEL = {
    "single-unit": ("中間層出力", "hidden-layer output z"),
    "single-layer": ("中間層出力", "hidden-layer output z"),
    "three-layer": ("出力", "output y"),
    "multiclass": ("偏微分_バイアス2", "gradient dE/db2"),
    "regression": ("偏微分_バイアス2", "gradient dE/db2"),
    "binary": ("偏微分_バイアス2", "gradient dE/db2"),
    "backprop": ("バイアス2", "bias b2"),
}


@pytest.mark.parametrize("name", list(trace_cli.PRESETS))
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cli_presets_run(name, lang, capsys):
    assert trace_cli.main(["--example", name, "--lang", lang]) == 0
    out = capsys.readouterr().out
    headers, labels = _blocks(out)
    assert labels[-1] == LAST_LABEL[name][lang == "en"]
    assert labels[0] == ("重み" if lang == "ja" else "weight W") + ("" if name.startswith("single") else "1")
    assert ("更新後パラメータ" in headers or "updated parameters" in headers) == (name == "backprop")


def _values(out: str, label: str) -> list[np.ndarray]:
    """Every value printed under ``*** label ***`` as a flat float array."""
    found = []
    for block in out.split(f"*** {label} ***\n")[1:]:
        body = block.split("\n\n", 1)[0]
        found.append(np.array(body.replace("[", " ").replace("]", " ").split(), dtype=float))
    return found


def test_cli_preset_numbers(capsys):
    trace_cli.main(["--example", "single-unit"])
    assert _values(capsys.readouterr().out, "中間層出力")[0] == pytest.approx([1.3])
    trace_cli.main(["--example", "three-layer"])
    out = capsys.readouterr().out
    z2 = np.maximum(np.maximum(np.array([1.0, 2.0]) @ W1 + B1, 0) @ W2 + B2, 0)
    y = z2 @ np.array([[0.1, 0.3], [0.2, 0.4]]) + [1.0, 2.0]
    np.testing.assert_allclose(_values(out, "出力")[0], y, rtol=1e-6)
    trace_cli.main(["--example", "multiclass", "--lang", "en"])
    out = capsys.readouterr().out
    u2 = np.maximum(np.array([1.0, 2.0]) @ W1 + B1, 0) @ np.array(
        [[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]]
    ) + [0.1, 0.2, 0.3, 0.4]
    y = _softmax(u2)
    np.testing.assert_allclose(_values(out, "output y")[0], y, rtol=1e-6)
    assert _values(out, "error E (cross entropy)")[0] == pytest.approx([-np.log(y[3])], rel=1e-6)
    trace_cli.main(["--example", "binary"])
    out = capsys.readouterr().out
    u2 = np.maximum(np.array([1.0, 2.0]) @ W1 + B1, 0) @ [0.2, 0.4, 0.6] + 0.1
    assert _values(out, "出力")[0] == pytest.approx([1 / (1 + np.exp(-u2))], rel=1e-6)
    trace_cli.main(["--example", "regression"])
    out = capsys.readouterr().out
    y = np.maximum(np.array([1.0, 2.0]) @ W1 + B1, 0) @ W2 + B2
    squared = _values(out, "誤差 (二乗和誤差 ½Σ(y − d)²)")[0]
    assert squared == pytest.approx([0.5 * np.sum((y - [2.0, 4.0]) ** 2)])


def test_cli_backprop_json_equals_the_library(capsys):
    assert trace_cli.main(["--example", "backprop", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    t = trace(course_net(), [[1.0, 5.0]], d=[[0, 1]], lr=0.01)
    assert data == json.loads(t.to_json())


def test_cli_any_network(capsys):
    argv = ["--layers", "2-3-2", "--x", "1,5", "--d", "0,1", "--lr", "0.01", "--hidden", "relu",
            "--output", "softmax", "--seed", "0", "--json"]  # fmt: skip
    assert trace_cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    net = nnscratch.Network([2, 3, 2], hidden="relu", output="softmax", seed=0, dtype="float64")
    t = trace(net, [1.0, 5.0], d=[0.0, 1.0], lr=0.01)
    assert data == t.to_dict()
    # rows and class labels
    assert trace_cli.main(["--layers", "2-4-3", "--x", "1,5;2,3", "--d", "2,0", "--lang", "en"]) == 0
    assert "*** target d ***\n[2 0]\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--layers", "2-3-2"], "^x: --layers needs an input"),
        (["--layers", "2-3-2", "--x", "1,a"], "^x: expected numbers"),
        (["--layers", "2-3-2", "--example", "binary", "--x", "1,2"], "^example: give either"),
        (["--example", "single-unit", "--lr", "0.1"], "^example: 'single-unit' is a lone layer"),
        (["--layers", "2-3-2", "--x", "1,2,3"], "^x: expected 2 features"),
    ],
)
def test_cli_bad_input_raises_value_error(argv, match):
    import argparse

    parser = argparse.ArgumentParser()
    trace_cli.register(parser.add_subparsers())
    args = parser.parse_args(["trace", *argv])
    with pytest.raises(ValueError, match=match):
        args.func(args)


def test_through_the_nnscratch_command_line(capsys):
    from nnscratch import cli

    assert cli.main(["trace", "--example", "backprop"]) == 0
    out = capsys.readouterr().out
    assert _blocks(out)[1] == JA_BACKPROP
    assert cli.main(["trace", "--layers", "2-3", "--x", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x: expected 2 features" in err


def test_module_runs_as_a_script():
    proc = subprocess.run(
        [sys.executable, "-m", "nnscratch.lab.trace_cli", "--example", "single-unit", "--lang", "en"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    expected = ["weight W", "bias b", "input x", "total input u", "hidden-layer output z"]
    assert _blocks(proc.stdout)[1] == expected


def test_a_sequential_stack_is_traced_and_its_gradients_are_the_stacks_own():
    L = nnscratch.layers
    layers = [L.Affine(2, 3), L.BatchNormalization(3), L.Tanh(), L.Affine(3, 2), L.SoftmaxCrossEntropy()]
    net = nnscratch.Sequential(layers, seed=0, dtype="float64", l2=0.1)
    x, d = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 0.3]]), np.array([1, 0, 1])
    ref = net.copy()
    t = nnscratch.trace(net.copy(), x, d, lang="en")
    grads = net.gradient(x, d)  # training mode, as the trace's step
    for key in net.params:
        np.testing.assert_allclose(t.grads[key], grads[key], rtol=1e-12)
    ref._forward(ref.check_x(x)[0], train=True)  # the batch's statistics: the loss the step saw
    assert t.E == pytest.approx(ref.output_layer.loss(d), rel=1e-12)
    assert "Affine → BatchNormalization" in repr(t)

    class Doubling(L.Layer):
        def forward(self, x, train=True):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    # a user's own layer: traced layer by layer (tests/test_trace_stack.py), by its class name
    t = nnscratch.trace(nnscratch.Sequential([L.Affine(2, 3), Doubling(), L.Affine(3, 1), L.IdentityMSE()]),
                        [1.0, 2.0], lang="en")
    assert type(t).__name__ == "StackTrace" and "layer 2 Doubling: output (3,)" in t.labels()
