"""Convolutional networks through RunSpec, Model, files, the command line and sweeps: the layer string
(``conv8x3-relu-pool2-affine32-relu``), its one-line errors, and forward passes in chunks that fit."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import nnscratch
from nnscratch import datasets, layerstring, metrics, presets
from nnscratch import layers as L
from nnscratch.network.shapes import BUDGET, MOST_ROWS, bytes_per_sample, chunk_rows, shapes
from nnscratch.spec import RunSpec

TINY = "conv4x3-relu-pool2-affine16-relu"


# ================================================================ the layer string


def test_tokens_build_the_layers_they_name():
    net = layerstring.build("conv6x3s1p1-batchnorm-relu-avgpool2-flatten-affine12-relu-dropout0.25",
                            (1, 8, 8), 10, seed=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Convolution", "BatchNormalization", "ReLU", "AveragePooling", "Flatten", "Affine",
                     "ReLU", "Dropout", "Affine", "SoftmaxCrossEntropy"]
    conv, bn = net.layers[0], net.layers[1]
    assert (conv.kernel, conv.stride, conv.pad, conv.out_channels) == ((3, 3), 1, 1, 6)
    assert bn.per == "channel" and bn.n == 6 and net.layers[7].p == 0.25
    assert net.params["W2"].shape == (6 * 4 * 4, 12) and net.params["W3"].shape == (12, 10)
    # flatten is added before the first affine by itself; a regression output closes with identity
    reg = layerstring.build("pool2-affine8-tanh", (1, 8, 8), 1, output="identity", seed=0)
    assert [type(x).__name__ for x in reg.layers[:3]] == ["MaxPooling", "Flatten", "Affine"]
    assert isinstance(reg.layers[-1], L.IdentityMSE) and reg.n_out == 1
    rows = layerstring.build("affine8-batchnorm-sigmoid", (64,), 3, seed=0)
    assert rows.layers[1].per == "activation" and rows.n_in == 64
    assert layerstring.image_channels(rows.layers) is None and layerstring.image_channels(net.layers) == 1


def test_a_preset_name_is_a_layer_string_with_the_same_weights():
    net = layerstring.build("simple_convnet", (1, 28, 28), 10, seed=3)
    book = presets.simple_convnet(seed=3)
    assert sorted(net.params) == sorted(book.params)
    assert all(np.array_equal(net.params[k], book.params[k]) for k in book.params)
    assert layerstring.canonical(" Double_ConvNet ") == "double_convnet"
    assert layerstring.takes_images("deep_convnet") and not layerstring.takes_images("affine8-relu")


@pytest.mark.parametrize("text, fragment", [
    ("conv8y3-relu", "token 1 'conv8y3' is not a layer; expected tokens conv<F>x<K>"),
    ("conv8x3--relu", "token 2 '' is empty"),
    ("affine10-conv4x3", "token 2 'conv4x3' works on images, but a flatten/affine before it made rows"),
    ("relu-flatten", "token 2 'flatten' has no images to flatten"),
    ("dropout1.5", "token 1 'dropout1.5' has a dropout rate 1.5 outside (0, 1)"),
    ("conv99999x3", "token 1 'conv99999x3' has filters 99999, expected 1 to 4096"),
    ("pool2p99", "has pad 99, expected 0 to 64"),
    ("", "expected a layer string such as"),
    ("-".join(["relu"] * 65), "65 tokens, more than the 64"),
])
def test_bad_strings_give_one_line_naming_the_token(text, fragment):
    with pytest.raises(ValueError) as info:
        layerstring.parse(text)
    message = str(info.value)
    assert message.startswith("layers: ") and fragment in message and "\n" not in message


def test_sizes_that_do_not_fit_name_the_token_and_the_formula():
    with pytest.raises(ValueError, match=r"^layers: 'conv4x5s2' on samples of shape \(1, 8, 8\): stride/pad: "
                                         r"OH = \(H \+ 2P − FH\) / S \+ 1"):
        layerstring.build("conv4x5s2-relu", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="^layers: the preset 'deep_convnet' does not fit images"):
        layerstring.build("deep_convnet", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="^layers: 'conv4x3' reads images"):
        layerstring.build("conv4x3", (4,), 3)
    with pytest.raises(ValueError, match="more than the 1,073,741,824 a network may have"):
        layerstring.build("affine1000000", (2000,), 10)  # refused before anything is allocated


# ================================================================ RunSpec


def test_the_field_round_trips_and_excludes_the_mlp_fields(tmp_path):
    spec = RunSpec(data="digits", layers=" Conv8x3-ReLU-pool2-affine32-relu ", epochs=2)
    assert spec.layers == "conv8x3-relu-pool2-affine32-relu"
    assert RunSpec.from_json(spec.to_json()) == spec and RunSpec.from_toml(spec.to_toml()) == spec
    assert "layers" in nnscratch.spec.FIELDS and spec.to_dict()["architecture"]["layers"] == spec.layers
    assert RunSpec.from_toml(RunSpec().to_toml()).layers is None
    for mlp in ({"hidden_sizes": (32,)}, {"hidden": "tanh"}, {"batchnorm": True}, {"dropout": 0.5}):
        with pytest.raises(ValueError, match=f"^layers: .* so {next(iter(mlp))}=.* cannot be given with it"):
            RunSpec(layers=TINY, **mlp)


# ================================================================ Model


@pytest.fixture(scope="module")
def conv_model():
    return nnscratch.Model(data="digits", layers=TINY, epochs=2, batch_size=32, lr=0.01, seed=0).fit()


def test_a_conv_model_trains_predicts_and_loads_back(conv_model, tmp_path):
    model = conv_model
    assert isinstance(model.network.layers[0], L.Convolution) and model.n_features == 64
    assert model.metrics["test"]["accuracy"] > 0.6 and model.training["layers"] == TINY
    digits = datasets.load("digits")
    rows, images = digits.x[:40], digits.images()[:40]
    assert np.array_equal(model.predict(rows), model.predict(images))  # rows of pixels or (N, 1, 8, 8)
    assert model.predict_proba(rows).shape == (40, 10)
    assert set(model.evaluate(digits)) == {"loss", "accuracy", "samples"}
    assert repr(model).startswith(f"Model({TINY}, 10 classes") and "Convolution" in model.summary()
    path = tmp_path / "conv.npz"
    model.save(path)
    for loaded in (nnscratch.load(path), nnscratch.Model.load(path)):
        assert isinstance(loaded, nnscratch.Model) and loaded.spec == model.spec
        np.testing.assert_array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
        assert loaded.evaluate() == model.evaluate()
    copy = pickle.loads(pickle.dumps(model))  # a sweep's worker process sends its model back this way
    np.testing.assert_array_equal(copy.predict_proba(rows), model.predict_proba(rows))
    assert "Convolution" in model._repr_html_()  # a notebook shows the layer table (no MLP diagram)
    copy.partial_fit(rows, digits.y[:40].astype(str))  # online updates on rows of pixels
    assert copy.history.epochs == model.history.epochs + 1


def test_batchnorm_stack_keeps_its_running_averages_in_copies(tmp_path):
    model = nnscratch.Model(data="digits", layers="conv4x3-batchnorm-relu-pool2-affine8-relu", epochs=1,
                            batch_size=128).fit()
    rows = datasets.load("digits").x[:30]
    path = tmp_path / "bn.npz"
    model.save(path)
    for other in (nnscratch.load(path), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(other.predict_proba(rows), model.predict_proba(rows))


def test_a_stack_that_starts_with_batchnorm_still_reads_images():
    model = nnscratch.Model(data="digits", layers="batchnorm-conv4x3-relu-pool2", epochs=1).fit()
    assert isinstance(model.network.layers[0], L.BatchNormalization) and model.network.layers[0].n == 1
    assert model.n_features == 64 and model.predict(datasets.load("digits").x[:5]).shape == (5,)


def test_an_affine_string_runs_on_rows_and_a_conv_string_needs_images():
    model = nnscratch.Model(data="iris", layers="affine8-relu-dropout0.1", epochs=2).fit()
    assert model.network.n_in == 4 and model.predict([[5.1, 3.5, 1.4, 0.2]]).shape == (1,)
    with pytest.raises(ValueError, match=r"^layers: 'conv4x3' .* the data set 'iris' is not images .* digits "
                                         r"or mnist5k"):
        nnscratch.Model(data="iris", layers="conv4x3", epochs=1).fit()


# ================================================================ chunks


def test_chunks_follow_the_widest_activation():
    book = presets.simple_convnet()
    per = bytes_per_sample(book.layers, (1, 28, 28), 4)
    # conv 30×24×24 out + its im2col 576×25, pooling's windows and output, the dense end
    assert shapes(book.layers, (1, 28, 28))[:3] == [(30, 24, 24), (30, 24, 24), (30, 12, 12)]
    assert per > 4 * (30 * 24 * 24 + 576 * 25)
    rows = chunk_rows(book, (1, 28, 28))
    assert rows == BUDGET // per and 100 < rows < 1000  # ≈ 64 MB per chunk, not 8,192 images
    assert chunk_rows(nnscratch.Network([64, 100, 10]), (64,)) == MOST_ROWS  # a small MLP: as before
    assert metrics.CHUNK == MOST_ROWS


def test_scores_and_predictions_are_the_same_in_small_chunks(conv_model, monkeypatch):
    from nnscratch import modelnet
    from nnscratch.network import shapes as shapes_module

    digits = datasets.load("digits")
    whole_scores, whole = conv_model.evaluate(digits), conv_model.predict_proba(digits.x)
    monkeypatch.setattr(shapes_module, "BUDGET", 50_000)  # a few dozen images per chunk
    monkeypatch.setattr(shapes_module.chunk_rows, "__defaults__", (50_000,))
    assert chunk_rows(conv_model.network, (1, 8, 8)) < 100
    calls = []
    predict = conv_model.network.predict
    monkeypatch.setattr(conv_model.network, "predict", lambda x: calls.append(len(x)) or predict(x))
    np.testing.assert_allclose(modelnet.outputs(conv_model.network, conv_model._inputs(digits.x, "float32")),
                               whole, rtol=1e-5, atol=1e-7)
    assert len(calls) > 10 and max(calls) < 100
    got = conv_model.evaluate(digits)
    assert got["samples"] == whole_scores["samples"] and got["accuracy"] == whole_scores["accuracy"]
    assert abs(got["loss"] - whole_scores["loss"]) < 1e-5


# ================================================================ sweeps


def test_a_grid_over_layer_strings(tmp_path):
    base = RunSpec(data="digits", layers=TINY, epochs=1, batch_size=128)
    grid = {"layers": [TINY, "affine16-relu", "conv4x3p1-relu-avgpool2-affine16-relu"]}
    result = nnscratch.sweep(base, grid, workers=1, out=tmp_path / "sweep")
    assert [r["layers"] for r in result.rows] == grid["layers"] and result.swept == ["layers"]
    assert all(r["status"] == "ok" for r in result.rows)
    best = nnscratch.load(tmp_path / "sweep" / "best.npz")
    assert best.spec.layers == result.best["layers"]


# ================================================================ the command line


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, NNSCRATCH_DATA=str(cwd / ".nnscratch-data"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "nnscratch.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def test_cli_trains_predicts_evaluates_and_summarises_a_conv_model(tmp_path):
    out = _cli("train", "--data", "digits", "--layers", "conv8x3-relu-pool2-affine32-relu", "--epochs", "2",
               "--save", "conv.npz", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "training conv8x3-relu-pool2-affine32-relu (softmax) on digits" in out.stdout
    summary = _cli("summary", "conv.npz", cwd=tmp_path)
    assert summary.returncode == 0 and "Convolution" in summary.stdout and "MaxPooling" in summary.stdout
    evaluation = _cli("evaluate", "conv.npz", cwd=tmp_path)
    assert evaluation.returncode == 0 and "held-out test part" in evaluation.stdout
    digits = datasets.load("digits")
    lines = [",".join(digits.feature_names)] + [",".join(map(str, row)) for row in digits.x[:3]]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n")
    predicted = _cli("predict", "conv.npz", "rows.csv", cwd=tmp_path)
    assert predicted.returncode == 0 and len(predicted.stdout.strip().splitlines()) == 4
    model = nnscratch.load(tmp_path / "conv.npz")
    assert predicted.stdout.split()[1:] == list(model.predict(digits.x[:3]))


@pytest.mark.parametrize("args, fragment", [
    (["--layers", "conv8y3-relu"], "--layers: token 1 'conv8y3' is not a layer"),
    (["--data", "iris", "--layers", "conv4x3-relu"], "--layers: 'conv4x3-relu' has a convolution"),
    (["--layers", "conv4x3", "--units", "32"], "--layers: 'conv4x3' describes the whole stack"),
    (["--layers", "deep_convnet"], "--layers: the preset 'deep_convnet' does not fit images (1, 8, 8)"),
])
def test_cli_bad_layer_strings_exit_2_with_one_line(tmp_path, args, fragment):
    out = _cli("train", *args, "--epochs", "1", "--no-save", cwd=tmp_path)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert fragment in lines[0]
