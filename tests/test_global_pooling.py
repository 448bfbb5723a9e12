"""Global average and max pooling (the course's 最新のCNN: flatten vs global pooling): values, the float64
gradient check in stacks, layer strings, model files and the trace."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch
from nnscratch import _accel, layerstring
from nnscratch import layers as L


def numerical(layer, x, dout, h=1e-6):
    """∂(Σ dout · layer(x))/∂x by central differences."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (np.sum(dout * layer.forward(plus)) - np.sum(dout * layer.forward(minus))) / (2 * h)
    return grad


@pytest.mark.parametrize("cls", [L.GlobalAveragePooling, L.GlobalMaxPooling])
def test_values_and_the_backward_pass_against_central_differences(cls):
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(3, 4, 5, 2)), rng.normal(size=(3, 4))
    layer = cls()
    y = layer.forward(x)
    want = x.mean(axis=(2, 3)) if cls is L.GlobalAveragePooling else x.max(axis=(2, 3))
    np.testing.assert_array_equal(y, want)
    analytic = layer.backward(dout)
    np.testing.assert_allclose(analytic, numerical(cls(), x, dout), atol=1e-8)
    assert layer.forward(x.astype(np.float32)).dtype == np.float32


def test_a_tie_in_global_max_pooling_goes_to_the_first_place():
    layer = L.GlobalMaxPooling()
    layer.forward(np.array([[[[1.0, 2.0], [2.0, 0.0]]]]))
    assert layer.backward(np.array([[3.0]]))[0, 0].tolist() == [[0.0, 3.0], [0.0, 0.0]]


@pytest.mark.parametrize("pool", ["gap", "gmp"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_stacks_with_global_pooling_pass_the_float64_gradient_check(pool, output):
    n_out = 2 if output == "sigmoid" else 3
    net = layerstring.build(f"conv3x3p1-tanh-pool2-conv4x3p1-tanh-{pool}-affine5-tanh", (2, 6, 6), n_out,
                            output=output, seed=1, dtype="float64")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 2, 6, 6))
    d = {"softmax": rng.integers(0, 3, 4), "sigmoid": rng.integers(0, 2, (4, 2)).astype(float),
         "identity": rng.normal(size=(4, 3))}[output]
    errors = nnscratch.gradcheck(net, x, d)
    assert max(errors.values()) < 1e-7, errors


def test_layer_strings_place_global_pooling_between_images_and_rows():
    net = layerstring.build("conv8x3p1-relu-pool2-conv16x3p1-relu-gap", (1, 8, 8), 10, seed=0)
    assert [type(layer).__name__ for layer in net.layers][5:] == [
        "GlobalAveragePooling", "Affine", "SoftmaxCrossEntropy"]
    assert net.params["W3"].shape == (16, 10)  # C inputs to the Affine where flatten gives 16·4·4
    flat = layerstring.build("conv8x3p1-relu-pool2-conv16x3p1-relu", (1, 8, 8), 10, seed=0)
    assert flat.params["W3"].shape == (256, 10)
    assert layerstring.takes_images("conv4x3-relu-gmp-affine8")
    assert layerstring.canonical("conv4x3 - GAP") == "conv4x3-gap"
    with pytest.raises(ValueError, match="token 3 'gap' works on images, but a flatten/affine before it"):
        layerstring.parse("conv4x3-affine8-gap")
    with pytest.raises(ValueError, match="'gap' reads images \\(C, H, W\\), but the layer before gives rows"):
        layerstring.build("gap-affine4", (10,), 2)
    with pytest.raises(ValueError, match="GlobalMaxPooling takes images"):
        nnscratch.network.shapes.output_shape(L.GlobalMaxPooling(), (10,))


def test_a_model_with_global_average_pooling_trains_saves_and_is_traced(tmp_path):
    digits = nnscratch.datasets.load("digits")
    images, labels = digits.images()[:400].copy(), digits.y[:400]
    spec = nnscratch.RunSpec(layers="conv8x3p1-relu-pool2-conv16x3p1-relu-gap", epochs=8, lr=0.01, seed=0)
    model = nnscratch.Model(spec).fit(images, labels)
    assert isinstance(_accel.compile(model.network), _accel.ConvRunner)  # the twin trains it
    assert model.history.loss[-1] < model.history.loss[0]
    model.save(tmp_path / "gap.npz")
    back = nnscratch.load(tmp_path / "gap.npz")
    np.testing.assert_array_equal(back.predict_proba(images[:20]), model.predict_proba(images[:20]))
    t = nnscratch.trace(model.network, images[:1] / 16.0, d=[int(labels[0])])
    assert "層6 グローバル平均プーリング: 出力 (1, 16)" in t.labels()
    assert "layer 6 global average pooling: output (1, 16)" in t.labels("en")
