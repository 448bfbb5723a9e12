"""A Model fitted on the user's own image arrays — (N, H, W) or (N, C, H, W), one channel or colour — and
a Model's classes keep their type through its file (number labels come back as numbers)."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch
from nnscratch.datasets import Dataset
from nnscratch.preprocessing import TargetEncoder

CONV = "conv4x3-relu-pool2-affine16-relu"


@pytest.fixture(scope="module")
def digits():
    data = nnscratch.datasets.load("digits")
    return data.images()[:600].copy(), data.y[:600].copy()


def test_a_conv_model_learns_from_image_arrays_and_predicts_images_or_their_pixel_rows(digits):
    images, y = digits
    model = nnscratch.Model(nnscratch.RunSpec(layers=CONV, epochs=10, lr=0.01, seed=0)).fit(images, y)
    assert model.image_shape == (8, 8) and model.n_features == 64
    assert model.network.layers[0].in_channels == 1
    np.testing.assert_array_equal(model.predict(images), model.predict(images.reshape(600, 64)))
    assert model.evaluate(images, y)["accuracy"] > 0.5  # ten classes: chance is 0.1
    spec = nnscratch.RunSpec(layers=CONV, epochs=10, lr=0.01, seed=0)
    flat = nnscratch.Model(spec).fit(images[:, 0], y)  # (N, H, W): the same images, the same network
    for key, p in model.network.params.items():
        np.testing.assert_array_equal(flat.network.params[key], p)


def test_colour_images_give_the_first_convolution_their_channels_and_survive_the_file(digits, tmp_path):
    images, y = digits
    colour = np.concatenate([images, 1 - images, images ** 2], axis=1)  # (N, 3, 8, 8)
    model = nnscratch.Model(nnscratch.RunSpec(layers=CONV, epochs=2, seed=1)).fit(colour, y)
    assert model.network.layers[0].in_channels == 3 and model.n_features == 192
    model.save(tmp_path / "colour.npz")
    back = nnscratch.load(tmp_path / "colour.npz")
    assert isinstance(back, nnscratch.Model) and back.n_features == 192 and back.image_shape == (8, 8)
    np.testing.assert_array_equal(back.predict_proba(colour[:50]), model.predict_proba(colour[:50]))
    with pytest.raises(ValueError, match=r"x: expected rows of 192 features"):
        back.predict(images[:5])


def test_an_mlp_reads_images_as_rows_of_their_pixels(digits):
    images, y = digits
    model = nnscratch.Model(nnscratch.RunSpec(hidden_sizes=(16,), epochs=2)).fit(images, y)
    assert model.network.sizes[0] == 64
    assert model.predict(images[:3]).shape == (3,)


def test_bad_image_arrays_are_one_line_errors():
    model = nnscratch.Model(nnscratch.RunSpec(layers=CONV, epochs=1))
    with pytest.raises(ValueError, match=r"x: expected a 2-D array of numbers .* or images \(N, H, W\) or "
                                         r"\(N, C, H, W\), got float64 \(4, 1, 1, 8, 8\)"):
        model.fit(np.zeros((4, 1, 1, 8, 8)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="image_shape: 2 channel"):
        Dataset(np.zeros((3, 10)), np.zeros(3), "regression", image_shape=(2, 2), channels=2)
    with pytest.raises(ValueError, match="has a convolution or pooling, which reads images.*pass images"):
        model.fit(np.zeros((4, 64)), [0, 1, 0, 1])


@pytest.mark.parametrize("labels", [np.array([3, 5, 7]), np.array([0.0, 2.5, 1.0]), np.array(["b", "a", "c"]),
                                    np.array([3, 5, 7], dtype=np.uint8)])
def test_classes_keep_their_type_through_the_file(labels, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = labels[np.arange(60) % 3]
    model = nnscratch.Model(nnscratch.RunSpec(hidden_sizes=(4,), epochs=2)).fit(x, y)
    model.save(tmp_path / "m.npz")
    back = nnscratch.load(tmp_path / "m.npz")
    before, after = model.predict(x), back.predict(x)
    np.testing.assert_array_equal(after, before)
    kind = {"U": "O", "u": "i"}.get(labels.dtype.kind, labels.dtype.kind)  # names as objects; uint8 as int
    assert after.dtype.kind == kind
    assert back.evaluate(x, y)["samples"] == 60  # the original labels are understood


@pytest.mark.parametrize("values", [[0, 2], [True, False], ["0", "1"], [0, float("nan")], "01", [0]])
def test_a_files_class_values_must_be_the_numbers_its_names_spell(values):
    with pytest.raises(ValueError, match="class_values: expected the 2 numbers the target_names spell"):
        TargetEncoder.from_dict({"target_names": ["0", "1"], "class_values": values}, "classification", 2)
    meta = {"target_names": ["0.5", "2"], "class_values": [0.5, 2]}
    ok = TargetEncoder.from_dict(meta, "classification", 2)
    assert ok.decode(np.array([1, 0])).tolist() == [2.0, 0.5]

