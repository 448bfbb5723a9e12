"""The convolution figures: the output-size calculator's worked example, the filters before and after
training and the feature maps of one image — their numbers are the library's (conv_output_size, the
layers' own forward passes, the network's own filters)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnscratch import functions as F
from nnscratch import layers as L
from nnscratch import presets
from nnscratch.lab import plots
from nnscratch.lab.plots._runs import seed_from

pytestmark = pytest.mark.filterwarnings("error")


def test_conv_output_size_is_the_confirmation_tests():
    data = plots.conv_output_size(lang="en").data
    first, second = data["cases"]
    assert (first["H"], first["FH"], first["S"], first["P"], first["OH"]) == (6, 2, 1, 1, 7)
    assert (second["H"], second["FH"], second["S"], second["P"], second["OH"]) == (5, 3, 2, 1, 3)
    assert first["corners"] == list(range(7)) and second["corners"] == [0, 2, 4]
    assert first["formula"] == "OH = (6 + 2·1 − 2) / 1 + 1 = 7"
    assert second["formula"] == "OH = (5 + 2·1 − 3) / 2 + 1 = 3"


@pytest.mark.parametrize("case", [(4, 3, 1, 0), (7, 3, 2, 0), (28, 5, 1, 0), (8, 3, 1, 1), (9, 3, 3, 0),
                                  (5, 5, 1, 2)])
def test_conv_output_size_windows_cover_the_padded_input(case):
    (c,) = plots.conv_output_size((case,), lang="ja").data["cases"]
    h, fh, s, p = case
    assert c["OH"] == F.conv_output_size(h, fh, s, p) == len(c["corners"])
    assert c["padded"] == h + 2 * p
    assert c["corners"][-1] + fh == c["padded"]  # the last window ends at the padded edge
    assert np.all(np.diff(c["corners"]) == s)
    # and the layer agrees: a convolution of that input gives OH × OH
    x = np.zeros((1, 1, h, h), np.float32)
    assert L.Convolution(1, 1, fh, stride=s, pad=p, seed=0).forward(x).shape[2:] == (c["OH"], c["OH"])


@pytest.mark.parametrize("cases, match", [
    (((6, 3, 2, 0),), r"OH = \(H \+ 2P − FH\) / S \+ 1 = \(6 \+ 2·0 − 3\) / 2 \+ 1 = 2\.5"),
    (((6, 2, 1),), r"cases: expected \(H, FH, S, P\)"),
    ((), "cases: expected"),
])
def test_conv_output_size_bad_cases(cases, match, tmp_path):
    with pytest.raises(ValueError, match=match) as err:
        plots.conv_output_size(cases, out=tmp_path / "s.png")
    assert "\n" not in str(err.value) and not list(tmp_path.iterdir())


def test_conv_filters_default_trains_from_the_presets_he_filters():
    fig = plots.conv_filters(lang="en", seed=1)
    data = fig.data
    init_seed = seed_from(np.random.default_rng(1))
    net = presets.simple_convnet(input_shape=(1, 8, 8), filters=8, kernel=5, pad=2, hidden=32, seed=init_seed)
    np.testing.assert_array_equal(data["before"], net.params["W1"])  # the filters as initialised (He)
    assert data["after"].shape == (8, 1, 5, 5)
    np.testing.assert_allclose(data["change"], np.linalg.norm((data["after"] - data["before"]).reshape(8, -1),
                                                              axis=1), rtol=1e-5)
    assert data["change"].min() > 0.05  # every filter learned
    assert data["accuracy"] > 0.9  # the small conv net on held-out digits, 10 epochs
    again = plots.conv_filters(lang="en", seed=1, epochs=10).data
    np.testing.assert_array_equal(again["after"], data["after"])  # seeded: the same run


def test_conv_filters_of_a_given_net_and_before():
    net = presets.simple_convnet(input_shape=(1, 6, 6), filters=3, kernel=3, hidden=4, seed=2)
    before = net.copy()
    net.params["W1"] += 1.0
    data = plots.conv_filters(net, before=before, lang="ja").data
    np.testing.assert_array_equal(data["after"], net.params["W1"])
    np.testing.assert_array_equal(data["before"], before.params["W1"])
    np.testing.assert_allclose(data["change"], np.full(3, 3.0), rtol=1e-6)  # √(9 weights · 1²)
    assert data["accuracy"] is None
    alone = plots.conv_filters(net, lang="en").data
    assert alone["before"] is None and alone["change"] is None
    with pytest.raises(ValueError, match=r"before: expected filters of the net's shape \(3, 1, 3, 3\)"):
        plots.conv_filters(net, before=np.zeros((2, 1, 3, 3)))
    with pytest.raises(TypeError, match="net: expected a trained nnscratch Sequential"):
        plots.conv_filters("net")
    dense = presets.simple_convnet(input_shape=(1, 6, 6), filters=2, kernel=3, hidden=4).copy()
    dense.layers[0] = L.Flatten()
    with pytest.raises(ValueError, match="net: this stack has no Convolution layer"):
        plots.conv_filters(dense)


def test_colour_filters_are_drawn_in_colour_on_their_own_scale():
    net = presets.simple_convnet(input_shape=(3, 6, 6), filters=2, kernel=3, hidden=4, seed=0)
    fig = plots.conv_filters(net, lang="en")
    images = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(images) == 2
    for f, rgb in enumerate(images):
        w = net.params["W1"][f]
        assert rgb.shape == (3, 3, 3)  # FH × FW × (red, green, blue)
        np.testing.assert_allclose(rgb, np.moveaxis((w - w.min()) / (w.max() - w.min()), 0, -1), rtol=1e-6)
    grey = plots.conv_filters(presets.simple_convnet(input_shape=(2, 6, 6), filters=2, kernel=3, hidden=4),
                              lang="en")
    assert [ax.get_images()[0].get_array().shape for ax in grey.axes if ax.get_images()] == [(3, 3)] * 2


def test_feature_maps_are_the_layers_own_outputs():
    net = presets.double_convnet(input_shape=(2, 12, 12), filters=(3, 4), kernels=(3, 3), pads=(1, 1),
                                 hidden=5, seed=0, dtype="float64")
    image = np.random.default_rng(0).random((2, 12, 12))
    data = plots.feature_maps(net, image, channels=2, lang="en").data
    assert data["layers"] == ["input", "Convolution", "ReLU", "MaxPooling", "Convolution", "ReLU",
                              "MaxPooling"]
    maps = data["maps"]
    np.testing.assert_array_equal(maps[0], image)
    conv1 = net.layers[0]
    np.testing.assert_allclose(maps[1], conv1.forward(image[None])[0], rtol=1e-12)
    np.testing.assert_array_equal(maps[2], np.maximum(maps[1], 0))
    pooled = maps[2].reshape(3, 6, 2, 6, 2).max(axis=(2, 4))  # max pooling 2×2, stride 2
    np.testing.assert_array_equal(maps[3], pooled)
    assert [m.shape for m in maps[4:]] == [(4, 6, 6), (4, 6, 6), (4, 3, 3)]
    assert data["predicted"] == int(np.argmax(net.predict(image[None])))
    assert data["label"] is None
    assert plots.feature_maps(net, image, label=3, lang="ja").data["label"] == 3
    with pytest.raises(ValueError, match="label: expected an integer of at least 0"):
        plots.feature_maps(net, image, label=-1)


def test_feature_maps_default_and_bad_input():
    data = plots.feature_maps(lang="ja").data
    assert [m.shape for m in data["maps"]] == [(1, 8, 8), (8, 8, 8), (8, 8, 8), (8, 4, 4)]
    assert 0 <= data["label"] <= 9 and data["predicted"] == data["label"]  # the trained net gets it right
    net = presets.simple_convnet(input_shape=(1, 8, 8), filters=2, kernel=3, hidden=4)
    with pytest.raises(ValueError, match="image: a given net needs an image"):
        plots.feature_maps(net)
    with pytest.raises(ValueError, match=r"image: expected one image \(C, H, W\)"):
        plots.feature_maps(net, np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match="channels: expected a positive integer"):
        plots.feature_maps(net, np.zeros((1, 8, 8)), channels=0)


def test_the_convolution_kinds_on_the_command_line(tmp_path):
    for kind in ("conv_output_size", "feature_maps"):
        proc = subprocess.run([sys.executable, "-m", "nnscratch.cli", "plot", kind, "--out", f"{kind}.png",
                               "--lang", "ja", "--dpi", "50"], capture_output=True, text=True, cwd=tmp_path,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / f"{kind}.png").read_bytes()[:4] == b"\x89PNG"
    bad = subprocess.run([sys.executable, "-m", "nnscratch.cli", "plot", "conv_output_size", "--out", "s.png",
                          "--seed", "1"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert bad.returncode == 0  # a seed is accepted by every kind and unused where nothing is random
