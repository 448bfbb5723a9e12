"""Convolutional networks (the course's Day 2, Section 4): im2col/col2im against their formulas, the
output size and its confirmation tests, the layers' gradients in float64 over strides, paddings and odd
sizes, the presets' layouts, files, and a small network that learns the 8×8 digits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch import functions as F
from nnscratch import layers as L
from nnscratch import presets

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - scikit-learn brings it
    threadpool_limits = None


def im2col_by_formula(x, fh, fw, s, p):
    """col[(n, i, j), (c, a, b)] = x_pad[n, c, i·S + a, j·S + b], element by element."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
    col = np.zeros((n * oh * ow, c * fh * fw))
    for n_, i, j, c_, a, b in itertools.product(*map(range, (n, oh, ow, c, fh, fw))):
        col[(n_ * oh + i) * ow + j, (c_ * fh + a) * fw + b] = xp[n_, c_, i * s + a, j * s + b]
    return col


def conv_by_formula(x, W, b, s, p):
    """u[n, f, i, j] = Σ_{c, a, b} x_pad[n, c, i·S + a, j·S + b] · W[f, c, a, b] + b[f]."""
    n, c, h, w = x.shape
    fn, _, fh, fw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
    u = np.zeros((n, fn, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        patch = xp[:, :, i * s : i * s + fh, j * s : j * s + fw]
        u[:, :, i, j] = np.einsum("ncab,fcab->nf", patch, W) + b
    return u


# ---------------------------------------------------------------- the output size (確認テスト)


def test_confirmation_tests_of_the_output_size():
    assert F.conv_output_size(6, 2, stride=1, pad=1) == 7  # 6×6, 2×2 filter, P 1, S 1 → 7×7
    assert F.conv_output_size(5, 3, stride=2, pad=1) == 3  # 5×5, 3×3, P 1, S 2 → 3×3
    conv = L.Convolution(1, 1, 2, stride=1, pad=1)
    assert conv.forward(np.zeros((1, 1, 6, 6))).shape == (1, 1, 7, 7)
    conv = L.Convolution(1, 1, 3, stride=2, pad=1)
    assert conv.forward(np.zeros((1, 1, 5, 5))).shape == (1, 1, 3, 3)


def test_output_size_that_does_not_divide_is_one_line_with_the_formula():
    with pytest.raises(ValueError) as info:
        F.conv_output_size(6, 3, stride=2, pad=0)
    message = str(info.value)
    assert "\n" not in message and message.startswith("stride/pad: ")
    assert "OH = (H + 2P − FH) / S + 1 = (6 + 2·0 − 3) / 2 + 1 = 2.5" in message
    assert "pad=" in message or "stride=1" in message
    with pytest.raises(ValueError, match=r"= \(2 \+ 2·0 − 5\) / 1 \+ 1 = -2, .* e.g. pad=2"):
        F.conv_output_size(2, 5)
    with pytest.raises(ValueError, match="stride: expected an integer ≥ 1"):
        F.conv_output_size(6, 2, stride=0)
    with pytest.raises(ValueError, match="pad: expected an integer ≥ 0"):
        F.conv_output_size(6, 2, pad=-1)


# ---------------------------------------------------------------- im2col and col2im


SHAPES = [((2, 3, 7, 7), 3, 3, 2, 1), ((1, 1, 4, 4), 3, 3, 1, 0), ((2, 2, 6, 5), 2, 3, 1, 2),
          ((3, 2, 5, 5), 3, 3, 2, 2), ((1, 2, 9, 7), 5, 1, 2, 0)]


@pytest.mark.parametrize("shape, fh, fw, s, p", SHAPES)
def test_im2col_is_the_books_layout(shape, fh, fw, s, p):
    x = np.random.default_rng(0).normal(size=shape)
    np.testing.assert_array_equal(F.im2col(x, fh, fw, s, p), im2col_by_formula(x, fh, fw, s, p))


@pytest.mark.parametrize("shape, fh, fw, s, p", SHAPES)
def test_col2im_is_the_adjoint_of_im2col(shape, fh, fw, s, p):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape)
    col = F.im2col(x, fh, fw, s, p)
    c = rng.normal(size=col.shape)
    back = F.col2im(c, shape, fh, fw, s, p)
    assert back.shape == shape
    assert np.vdot(col, c) == pytest.approx(np.vdot(x, back), rel=1e-12)  # ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩
    # round trip: each pixel comes back once per window that holds it
    covered = F.col2im(np.ones_like(col), shape, fh, fw, s, p)
    np.testing.assert_allclose(F.col2im(col, shape, fh, fw, s, p), x * covered, rtol=1e-12)


def test_col2im_undoes_im2col_when_windows_tile_the_image():
    x = np.random.default_rng(2).normal(size=(2, 3, 6, 4))
    np.testing.assert_array_equal(F.col2im(F.im2col(x, 2, 2, 2), x.shape, 2, 2, 2), x)


def test_im2col_keeps_float32_and_computes_integers_in_float64():
    assert F.im2col(np.zeros((1, 1, 3, 3), np.float32), 2, 2).dtype == np.float32
    assert F.im2col(np.arange(9).reshape(1, 1, 3, 3), 2, 2).dtype == np.float64


def test_im2col_and_col2im_errors():
    with pytest.raises(ValueError, match=r"x: expected images of shape \(N, C, H, W\).*got shape \(3, 3\)"):
        F.im2col(np.zeros((3, 3)), 2, 2)
    with pytest.raises(ValueError, match="stride/pad: OH"):
        F.im2col(np.zeros((1, 1, 5, 5)), 2, 2, stride=2)
    with pytest.raises(ValueError, match=r"col: expected shape \(16, 4\)"):
        F.col2im(np.zeros((16, 5)), (1, 1, 5, 5), 2, 2)
    with pytest.raises(ValueError, match="x_shape: expected"):
        F.col2im(np.zeros((16, 4)), (5, 5), 2, 2)


# ---------------------------------------------------------------- the layers


def test_convolution_forward_is_the_formula():
    rng = np.random.default_rng(3)
    conv = L.Convolution(3, 4, (3, 2), stride=2, pad=1, dtype="float64")
    conv.params["b"] = rng.normal(size=4)
    x = rng.normal(size=(2, 3, 7, 8))
    u = conv.forward(x)
    np.testing.assert_allclose(u, conv_by_formula(x, conv.params["W"], conv.params["b"], 2, 1), rtol=1e-12)
    assert conv.config() == {"type": "Convolution", "in_channels": 3, "out_channels": 4, "kernel": [3, 2],
                             "stride": 2, "pad": 1, "init": "he"}


def test_convolution_he_init_uses_the_fan_in():
    conv = L.Convolution(8, 64, 5, seed=0)
    assert conv.params["W"].shape == (64, 8, 5, 5) and conv.params["W"].dtype == np.float32
    assert conv.params["W"].std() == pytest.approx(np.sqrt(2 / (8 * 5 * 5)), rel=0.05)
    assert not conv.params["b"].any()
    assert L.Convolution(8, 64, 5, init=0.01, seed=0).params["W"].std() == pytest.approx(0.01, rel=0.05)


def test_pooling_forward_and_backward_by_hand():
    x = np.array([[[[1.0, 3, 2, 0], [4, 2, 1, 5], [0, 1, -1, -2], [2, 2, -3, -4]]]])
    pool = L.MaxPooling(2)
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[4, 5], [2, -1]])
    dx = pool.backward(np.array([[[[10.0, 20], [30, 40]]]]))[0, 0]
    # the first of two equal maxima (2, 2 in the last window row) takes the gradient, as np.argmax
    np.testing.assert_array_equal(dx, [[0, 0, 0, 0], [10, 0, 0, 20], [0, 0, 40, 0], [30, 0, 0, 0]])
    avg = L.AveragePooling(2)
    np.testing.assert_array_equal(avg.forward(x)[0, 0], [[2.5, 2], [1.25, -2.5]])
    np.testing.assert_array_equal(avg.backward(np.full((1, 1, 2, 2), 4.0))[0, 0], np.ones((4, 4)))


def test_max_pooling_padding_never_wins():
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(L.MaxPooling(2, stride=2, pad=1).forward(x)[0, 0], -np.ones((2, 2)))
    avg = L.AveragePooling(2, stride=2, pad=1).forward(x)
    np.testing.assert_array_equal(avg[0, 0], -np.full((2, 2), 0.25))


def test_flatten_is_c_order_and_gives_delta_its_shape_back():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    flat = L.Flatten()
    y = flat.forward(x.transpose(0, 1, 3, 2))
    np.testing.assert_array_equal(y, x.transpose(0, 1, 3, 2).reshape(2, -1))
    assert not np.shares_memory(y, x)
    assert flat.backward(y).shape == (2, 3, 2, 2)


def test_layers_keep_float32():
    x = np.random.default_rng(0).random((2, 1, 6, 6), dtype=np.float32)
    for layer in (L.Convolution(1, 2, 3), L.MaxPooling(2), L.AveragePooling(2), L.Flatten()):
        y = layer.forward(x)
        assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32


# ---------------------------------------------------------------- gradients (float64)


def _conv_stack(c, h, fn, k, s, p, pool, seed):
    conv = L.Convolution(c, fn, k, stride=s, pad=p)
    oh = F.conv_output_size(h, k, s, p)
    layers = [conv, L.Tanh()]
    if pool is not None:
        layers.append(pool)
        oh = F.conv_output_size(oh, pool.pool[0], pool.stride, pool.pad)
    layers += [L.Flatten(), L.Affine(fn * oh * oh, 3), L.SoftmaxCrossEntropy()]
    net = nnscratch.Sequential(layers, seed=seed, dtype="float64")
    for key in net.params:  # non-zero biases: every path carries a gradient
        if key.startswith("b"):
            net.params[key][:] = np.random.default_rng(seed).normal(0, 0.1, net.params[key].shape)
    return net


CASES = [  # (C, H, FN, kernel, stride, pad, pooling)
    (1, 5, 2, 3, 1, 0, None), (2, 7, 3, 3, 2, 0, None), (2, 5, 2, 3, 1, 1, None), (1, 7, 2, 3, 2, 1, None),
    (3, 5, 2, 3, 1, 2, None), (2, 5, 2, 3, 2, 2, None), (1, 9, 2, 5, 2, 2, None), (2, 6, 2, 2, 1, 0, None),
    (2, 7, 2, 3, 1, 1, ("max", 3, 2, 1)), (1, 9, 3, 4, 1, 0, ("max", 2, 2, 1)),
    (2, 8, 2, 3, 1, 0, ("avg", 2, 2, 0)), (1, 7, 2, 3, 2, 2, ("avg", 3, 1, 1)),
    (1, 5, 2, 1, 1, 0, ("max", 3, 1, 0)), (2, 6, 3, 3, 1, 1, ("max", 2, None, 0)),
]


@pytest.mark.parametrize("c, h, fn, k, s, p, pooling", CASES)
def test_convolution_stacks_pass_the_gradient_check(c, h, fn, k, s, p, pooling):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, c, h, h))
    pool = None
    if pooling is not None:
        kind, size, stride, pad = pooling
        pool = (L.MaxPooling if kind == "max" else L.AveragePooling)(size, stride=stride, pad=pad)
    net = _conv_stack(c, h, fn, k, s, p, pool, seed=0)
    errors = nnscratch.gradcheck(net, x, rng.integers(0, 3, 3))
    assert max(errors.values()) < 1e-7, errors


def test_relu_convnet_passes_the_gradient_check():
    rng = np.random.default_rng(5)
    net = presets.simple_convnet((2, 8, 8), filters=3, kernel=3, pad=1, hidden=5, classes=4,
                                 dtype="float64", init="he", seed=1)
    for key in ("b1", "b2"):
        net.params[key][:] = 0.05
    x = rng.normal(size=(4, 2, 8, 8))
    with np.errstate(all="raise"):
        errors = nnscratch.gradcheck(net, x, rng.integers(0, 4, 4))
    assert max(errors.values()) < 1e-6, errors


def test_convolution_backward_by_itself_matches_the_numerical_gradient():
    rng = np.random.default_rng(6)
    conv = L.Convolution(2, 3, 3, stride=2, pad=2, dtype="float64")
    conv.params["b"] = rng.normal(size=3)
    x = rng.normal(size=(2, 2, 5, 5))
    R = rng.normal(size=conv.forward(x).shape)  # E = Σ u ⊙ R, ∂E/∂u = R

    def loss(_):
        return float(np.sum(conv.forward(x) * R))

    conv.forward(x)
    dx = conv.backward(R)
    pairs = ((x, dx), (conv.params["W"], conv.grads["W"]), (conv.params["b"], conv.grads["b"]))
    for value, analytic in pairs:
        numeric = F.numerical_gradient(loss, value, h=1e-6)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert conv.dW is conv.grads["W"] and conv.db is conv.grads["b"]


# ---------------------------------------------------------------- errors


def test_layer_argument_errors_are_one_line():
    cases = [
        (lambda: L.Convolution(0, 3, 3), "in_channels: expected a positive integer"),
        (lambda: L.Convolution(1, 3, 0), r"kernel: expected a positive integer or a pair such as kernel=3"),
        (lambda: L.Convolution(1, 3, (3, 3, 3)), "kernel: expected"),
        (lambda: L.Convolution(1, 3, 3, stride=0), "stride: expected a positive integer"),
        (lambda: L.Convolution(1, 3, 3, pad=-1), r"pad: expected an integer ≥ 0 \(e.g. pad=1\), got -1"),
        (lambda: L.Convolution(1, 3, 3, init="glorot"), "init: unknown name 'glorot'"),
        (lambda: L.MaxPooling(0), "pool: expected"),
        (lambda: L.MaxPooling((2, 3)), r"stride: a pool of \(2, 3\) is not square; give the stride"),
        (lambda: L.AveragePooling(2, stride=0), "stride: expected a positive integer"),
        (lambda: L.AveragePooling(2, pad=True), "pad: expected"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern) as info:
            make()
        assert "\n" not in str(info.value)


def test_input_errors_name_the_shape_expected():
    conv = L.Convolution(3, 2, 3)
    with pytest.raises(ValueError, match=r"x: Convolution expects images \(N, C, H, W\) with C = 3.*shape"):
        conv.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match="x: MaxPooling expects images"):
        L.MaxPooling(2).forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="backward: Convolution has no forward pass"):
        L.Convolution(1, 1, 1).backward(np.zeros((1, 1, 1, 1)))
    with pytest.raises(ValueError, match="backward: MaxPooling has no forward pass"):
        L.MaxPooling(2).backward(np.zeros((1, 1, 1, 1)))


def test_a_stack_that_starts_with_a_convolution_takes_images():
    net = presets.simple_convnet((1, 8, 8), filters=2, kernel=3, pad=1, hidden=4, classes=3)
    assert net.predict(np.zeros((5, 1, 8, 8))).shape == (5, 3)
    assert net.predict(np.zeros((1, 8, 8))).shape == (3,)  # one image
    with pytest.raises(ValueError, match=r"x: expected images \(N, C, H, W\) with C = 1 channels.*\(5, 64\)"):
        net.predict(np.zeros((5, 64)))
    with pytest.raises(ValueError, match=r"C = 1 channels.*got shape \(5, 3, 8, 8\)"):
        net.predict(np.zeros((5, 3, 8, 8)))
    with pytest.raises(ValueError, match="x: contains nan"):
        net.predict(np.full((2, 1, 8, 8), np.nan))
    with pytest.raises(ValueError, match="stride/pad: OH"):  # 7×7 → 7, pooled by 2: does not divide
        net.predict(np.zeros((2, 1, 7, 7)))


# ---------------------------------------------------------------- presets and files


def test_simple_convnet_is_the_books_layout():
    net = presets.simple_convnet()
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Convolution", "ReLU", "MaxPooling", "Flatten", "Affine", "ReLU", "Affine",
                     "SoftmaxCrossEntropy"]
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10),
                      "b3": (10,)}
    assert net.params["W2"].std() == pytest.approx(np.sqrt(2 / 4320), rel=0.02)  # He, fan-in 4320
    book = presets.simple_convnet(init=0.01)  # the book's weight_init_std
    assert book.params["W1"].std() == pytest.approx(0.01, rel=0.1)


def test_double_and_deep_convnet_layouts():
    double = presets.double_convnet()
    assert {k: v.shape for k, v in double.params.items() if k.startswith("W")} == {
        "W1": (10, 1, 7, 7), "W2": (20, 10, 3, 3), "W3": (720, 100), "W4": (100, 10)}
    deep = presets.deep_convnet()
    kinds = [type(layer).__name__ for layer in deep.layers]
    block = ["Convolution", "ReLU", "Convolution", "ReLU", "MaxPooling"]
    head = ["Flatten", "Affine", "ReLU", "Dropout", "Affine", "Dropout", "SoftmaxCrossEntropy"]
    assert kinds == block * 3 + head
    assert [deep.params[f"W{i}"].shape[0] for i in range(1, 7)] == [16, 16, 32, 32, 64, 64]
    assert deep.params["W7"].shape == (64 * 4 * 4, 50) and deep.params["W8"].shape == (50, 10)
    assert [layer.pad for layer in deep.layers if isinstance(layer, L.Convolution)] == [1, 1, 1, 2, 1, 1]
    fan_in = 32 * 3 * 3  # He: σ = √(2 / fan-in)
    assert deep.params["W5"].std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.05)
    assert deep.predict(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_preset_errors():
    with pytest.raises(ValueError, match=r"input_shape: expected \(C, H, W\)"):
        presets.simple_convnet((28, 28))
    with pytest.raises(ValueError, match="stride/pad: OH"):
        presets.simple_convnet((1, 27, 27))  # 27 → 23, pooled by 2
    with pytest.raises(ValueError, match="filters/pads: expected six values"):
        presets.deep_convnet(filters=(16, 32))


def test_nnscratch_presets_is_a_lazy_name():
    assert nnscratch.presets is presets


@pytest.mark.parametrize("make", [presets.simple_convnet, presets.double_convnet, presets.deep_convnet])
def test_conv_networks_save_and_load(make, tmp_path):
    net = make(dtype="float64", seed=3)
    path = tmp_path / "net.npz"
    net.save(str(path))
    back = nnscratch.load(str(path))
    assert isinstance(back, nnscratch.Sequential) and back.architecture() == net.architecture()
    x = np.random.default_rng(0).random((2, 1, 28, 28))
    np.testing.assert_array_equal(back.predict(x), net.predict(x))


def test_a_file_cannot_ask_for_more_filters_than_it_holds():
    net = presets.simple_convnet((1, 8, 8), filters=2, kernel=3, pad=1, hidden=4, classes=3)
    arch = net.architecture()
    arch["layers"][0] = {**arch["layers"][0], "out_channels": 10**6, "kernel": 10**3, "pad": 0}
    with pytest.raises(ValueError, match=r"layers\[0\]: sizes .* need more parameters than the file holds"):
        nnscratch.Sequential.from_architecture(arch, dict(net.params))
    assert L.MaxPooling.size_of({"pool": 10**9, "stride": 10**9, "pad": 10**9}) == 0


# ---------------------------------------------------------------- it learns


def test_a_small_convnet_learns_the_digits():
    """8×8 digits (Dataset.images()), 16 filters 3×3 with padding 1 → max pooling 2 → 64 → 10, Adam:
    above 98.5 % on the 20 % held out (about 2 s on one core)."""
    from nnscratch import datasets

    data = datasets.load("digits")
    x = (data.images() / 16.0).astype(np.float32)
    x_train, x_test, d_train, d_test = datasets.train_test_split(x, data.y, test_size=0.2, seed=0)
    layers = [L.Convolution(1, 16, 3, pad=1), L.ReLU(), L.MaxPooling(2), L.Flatten(),
              L.Affine(16 * 4 * 4, 64), L.ReLU(), L.Affine(64, 10), L.SoftmaxCrossEntropy()]
    net = nnscratch.Sequential(layers, seed=0)
    limit = threadpool_limits(1) if threadpool_limits else None  # small products: one thread is fastest
    try:
        history = nnscratch.train(net, x_train, d_train, optimizer="adam", lr=0.003, epochs=20,
                                  batch_size=32, seed=0)
    finally:
        if limit is not None:
            limit.restore_original_limits()
    assert history.loss[-1] < history.loss[0] / 10
    assert net.accuracy(x_test, d_test) >= 0.985
