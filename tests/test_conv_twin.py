"""The convolution twin (``nnscratch._accel.convnet``) equals the readable layers: convolutional stacks
(strides 1–2, padding 0–2, odd sizes, max and average pooling, 1–3 channels, dropout) × every
optimizer × dtype, trained both ways from the same start on the same batches; predictions, gradients
on images full of ties, and the errors are the same too.

The readable path is what runs with ``NNSCRATCH_ACCEL=0``; here one network trains through a Trainer
whose twin is switched off. Run as a script to print the worst differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch import _accel, presets
from nnscratch import layers as L


def _simple():
    """SimpleConvNet's layout: the 2×2 pooling on the convolution's blocked output (9 patch rows, 10
    filters), ReLU after it."""
    return (1, 8, 8), [L.Convolution(1, 10, 3), L.ReLU(), L.MaxPooling(2), L.Flatten(), L.Affine(90, 6),
                       L.ReLU(), L.Affine(6, 3), L.SoftmaxCrossEntropy()]


def _strided():
    """Odd sides, stride 2, padding 1 and 2, two channels in, tanh, two convolutions back to back."""
    return (2, 7, 7), [L.Convolution(2, 3, 3, stride=2, pad=1), L.Tanh(), L.Convolution(3, 4, 3, pad=2),
                       L.ReLU(), L.MaxPooling(2), L.Flatten(), L.Affine(36, 3), L.SoftmaxCrossEntropy()]


def _general():
    """Three channels, average pooling, tanh then ReLU (in place on tanh's output: harmless, as the
    values it changes get δ = 0 anyway), a 3×3 max pooling with stride 1 and padding 1 after a ReLU
    (the general path: overlapping windows, −∞ padding, the ReLU moved after it), leaky ReLU, a
    sigmoid output."""
    return (3, 7, 7), [L.Convolution(3, 4, 2), L.AveragePooling(2), L.Tanh(), L.ReLU(),
                       L.Convolution(4, 3, 2, stride=1, pad=1), L.ReLU(),
                       L.MaxPooling(3, stride=1, pad=1), L.Flatten(), L.Affine(48, 5), L.LeakyReLU(),
                       L.Affine(5, 2), L.SigmoidBinaryCrossEntropy()]


def _deep():
    """DeepConvNet's layout, small: six 3×3 convolutions (padding 1 and 2), three poolings, dropout."""
    net = presets.deep_convnet(input_shape=(1, 12, 12), filters=(2, 2, 3, 3, 4, 4), hidden=8, classes=3)
    return (1, 12, 12), net.layers


def _global():
    """Global average pooling after a convolution, and global max pooling (its ties: the first place)
    in a second stack of two channels, instead of Flatten."""
    return (2, 6, 6), [L.Convolution(2, 4, 3, pad=1), L.Tanh(), L.MaxPooling(2), L.Convolution(4, 5, 2),
                       L.ReLU(), L.GlobalAveragePooling(), L.Affine(5, 4), L.Tanh(), L.Affine(4, 3),
                       L.SoftmaxCrossEntropy()]


def _global_max():
    return (1, 5, 5), [L.Convolution(1, 3, 2), L.Sigmoid(), L.GlobalMaxPooling(), L.Affine(3, 2),
                       L.SigmoidBinaryCrossEntropy()]


STACKS = {"simple": _simple, "strided": _strided, "general": _general, "deep": _deep, "global": _global,
          "global_max": _global_max}
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
# relative to max(1, |p|): float64 to rounding; float32 a few steps of rounding (RMSProp's first step
# turns the rounding of a gradient near 0 into a full-size step, as in tests/test_twin.py)
TOL = {"float32": 1e-4, "float64": 1e-10}
RMSPROP_TOL = {"float32": 5e-4, "float64": 1e-9}
CASES = list(itertools.product(STACKS, OPTIMIZERS, ["float32", "float64"]))


def _net(stack: str, dtype: str) -> tuple[tuple, nnscratch.Sequential]:
    shape, layers = STACKS[stack]()
    return shape, nnscratch.Sequential(layers, seed=3, dtype=dtype)


def _batch(net, shape, n, rng):
    x = rng.normal(size=(n, *shape))
    if net.output == "softmax":
        return x, rng.integers(0, 3, n)
    return x, rng.integers(0, 2, (n, 2)).astype(float)


def run_both(stack: str, opt: str, dtype: str, **hooks):
    """(twin parameters, readable parameters, losses of both) after the same steps."""
    nets, losses = [], []
    for twin_on in (True, False):
        shape, net = _net(stack, dtype)
        trainer = nnscratch.Trainer(net, optimizer=opt, lr=0.05, **hooks)
        if not twin_on:
            trainer.twin, trainer.output_layer = None, net.output_layer
        assert isinstance(trainer.twin, _accel.ConvRunner) == twin_on
        rng = np.random.default_rng(7)
        losses.append([trainer.step(*_batch(net, shape, n, rng)) for n in (5, 3, 5)])  # batch sizes change
        nets.append(net)
    return nets[0].params, nets[1].params, losses


def worst(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k].astype(float) - b[k])) / max(1.0, float(np.max(np.abs(b[k])))))
               for k in a)


@pytest.mark.parametrize("stack, opt, dtype", CASES)
def test_conv_twin_trains_like_the_readable_layers(stack, opt, dtype):
    fast, readable, (loss_fast, loss_readable) = run_both(stack, opt, dtype)
    assert worst(fast, readable) <= (RMSPROP_TOL if opt == "rmsprop" else TOL)[dtype]
    np.testing.assert_allclose(loss_fast, loss_readable, rtol=1e-4 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("stack, opt", [("simple", "sgd"), ("strided", "momentum"), ("deep", "adam")])
def test_conv_twin_with_weight_decay_and_clipping(stack, opt):
    """The hooks change the twin's gradient buffers in place (views of its [∂E/∂W | ∂E/∂b] product)."""
    fast, readable, _ = run_both(stack, opt, "float64", weight_decay=1e-2, clip_norm=0.5)
    assert worst(fast, readable) <= TOL["float64"]


@pytest.mark.parametrize("stack", STACKS)
def test_predictions_through_the_twin_equal_the_readable_forward(stack):
    shape, net = _net(stack, "float64")
    x = np.random.default_rng(0).normal(size=(4, *shape))
    assert net.twin() is not None
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-14)  # twin, readable


def test_evaluation_of_many_images_goes_through_the_convolutions_in_chunks():
    from nnscratch._accel import convnet

    shape, net = _net("deep", "float64")
    x = np.random.default_rng(0).normal(size=(2 * convnet.EVAL_IMAGES + 3, *shape))
    np.testing.assert_allclose(net.predict(x), net.forward(x), rtol=1e-12, atol=1e-14)
    col = net.twin().stages[0]._col  # colᵀ (9 + 1, N·12·12) for one chunk of images, not all of them
    assert col._buf.size == 10 * convnet.EVAL_IMAGES * 144


def test_max_pooling_ties_go_to_the_first_place_as_in_the_readable_layer():
    """Images of 0/1 pixels and filters of quarters: many windows hold equal maxima (and ReLU's zeros)."""
    rng = np.random.default_rng(1)
    shape = (1, 8, 8)
    net = nnscratch.Sequential([L.Convolution(1, 10, 3, pad=1), L.ReLU(), L.MaxPooling(2),  # blocked
                                L.Convolution(10, 3, 3, pad=1), L.ReLU(), L.MaxPooling(2),  # strided
                                L.MaxPooling(2, stride=1), L.Flatten(), L.Affine(3, 3),  # general
                                L.SoftmaxCrossEntropy()], seed=0, dtype="float64")
    for key in ("W1", "W2"):
        net.params[key][...] = np.round(net.params[key] * 4) / 4
    x, d = rng.integers(0, 2, (6, *shape)).astype(float), rng.integers(0, 3, 6)
    twin = net.twin()
    pools = [s.blocked for s in twin.stages if type(s).__name__ == "MaxPool2"]
    assert pools == [True, False]
    twin.forward(x, train=True)
    fast = {k: g.copy() for k, g in twin.backward(d).items()}
    readable = net.gradient(x, d)
    assert worst(fast, readable) <= 1e-12


def test_the_twin_knows_only_the_stacks_it_can_run():
    def compiled(layers):
        return _accel.compile(nnscratch.Sequential(layers, seed=0))

    assert compiled(_simple()[1]) is not None
    assert compiled([L.MaxPooling(2), L.Flatten(), L.Affine(16, 2), L.SoftmaxCrossEntropy()]) is None
    assert compiled([L.Convolution(1, 2, 3), L.Dropout(0.5), L.Flatten(), L.Affine(8, 2),
                     L.SoftmaxCrossEntropy()]) is None  # dropout on images: the readable layers
    assert compiled([L.Convolution(1, 2, 3), L.SoftmaxCrossEntropy()]) is None  # no Flatten

    class Conv(L.Convolution):  # a subclass may change the formulas
        pass

    assert compiled([Conv(1, 2, 3), L.Flatten(), L.Affine(8, 2), L.SoftmaxCrossEntropy()]) is None


def test_an_odd_side_before_a_two_by_two_pooling_gives_the_readable_error():
    messages = []
    for twin_on in (True, False):
        net = nnscratch.Sequential([L.Convolution(1, 2, 3), L.ReLU(), L.MaxPooling(2), L.Flatten(),
                                    L.Affine(8, 2), L.SoftmaxCrossEntropy()], seed=0)
        trainer = nnscratch.Trainer(net, optimizer="adam", lr=0.01)
        if not twin_on:
            trainer.twin, trainer.output_layer = None, net.output_layer
        with pytest.raises(ValueError) as err:
            trainer.step(np.zeros((2, 1, 7, 7)), [0, 1])  # 7 − 3 + 1 = 5: odd
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_a_simple_convnet_learns_through_train_with_the_twin():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 1, 8, 8)).astype(np.float32)
    d = (x[:, 0, :4].sum(axis=(1, 2)) > x[:, 0, 4:].sum(axis=(1, 2))).astype(int)  # top half brighter?
    net = presets.simple_convnet(input_shape=(1, 8, 8), filters=4, kernel=3, hidden=10, classes=2, seed=0)
    assert isinstance(net.twin(), _accel.ConvRunner)
    history = nnscratch.train(net, x, d, optimizer="adam", lr=0.01, epochs=15, batch_size=20, seed=0)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert net.accuracy(x, d) >= 0.9


if __name__ == "__main__":
    table = {}
    for case in CASES:
        fast, readable, _ = run_both(*case)
        key = (case[2], case[1])
        table[key] = max(table.get(key, 0.0), worst(fast, readable))
    print(f"{len(CASES)} cases; worst parameter difference (relative to max(1, |p|)) after 3 steps:")
    for (dtype, opt), w in sorted(table.items()):
        print(f"  {dtype:8s} {opt:9s} {w:.3g}")
