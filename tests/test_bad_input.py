"""Bad input raises ValueError/TypeError whose one-line message names the argument, what was seen and
what is expected. ``expect(error, argument, *parts)`` checks that the message starts with
``"argument:"`` and then contains each (plain-text) part in order."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nnscratch
from nnscratch import Network
from nnscratch import functions as F


def expect(error: type[Exception], argument: str, *parts: str):
    pattern = "^" + re.escape(argument + ":") + "".join(".*" + re.escape(p) for p in parts)
    return pytest.raises(error, match=pattern)


@pytest.fixture
def reg() -> Network:
    return Network("2-3-1", seed=0)


@pytest.fixture
def soft() -> Network:
    return Network("2-3-3", output="softmax", seed=0)


@pytest.fixture
def sig() -> Network:
    return Network("2-3-1", output="sigmoid", seed=0)


def test_expect_is_strict():
    with pytest.raises(AssertionError, match="Regex pattern did not match"):
        with expect(ValueError, "x", "seen", "expected"):
            raise ValueError("y: seen, expected")
    with pytest.raises(AssertionError, match="Regex pattern did not match"):
        with expect(ValueError, "x", "seen", "expected"):
            raise ValueError("x: expected, seen")  # parts out of order


# ---------------------------------------------------------------- x


@pytest.mark.parametrize("method", ["forward", "predict", "loss", "gradient"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_x(reg, method, bad):
    x = np.array([[1.0, 2.0], [3.0, bad]])
    args = (x,) if method in ("forward", "predict") else (x, [[0.0], [1.0]])
    with expect(ValueError, "x", f"contains {bad} at index (1, 1)", "expected finite numbers"):
        getattr(reg, method)(*args)


def test_wrong_number_of_features(reg):
    with expect(ValueError, "x", "expected 2 features per sample (shape (N, 2))", "got shape (1, 3)"):
        reg.forward([[1.0, 2.0, 3.0]])
    with expect(ValueError, "x", "expected 2 features", "got shape (3,)"):
        reg.forward([1.0, 2.0, 3.0])
    with expect(ValueError, "x", "expected shape (N, 2) or (2,)", "got shape (2, 2, 2)"):
        reg.forward(np.zeros((2, 2, 2)))
    with expect(ValueError, "x", "expected at least one sample", "got shape (0, 2)"):
        reg.forward(np.zeros((0, 2)))


def test_x_that_is_not_numbers(reg):
    with expect(TypeError, "x", "expected an array of numbers", "got str"):
        reg.forward("1, 2")
    with expect(TypeError, "x", "expected numbers", "got an array of dtype <U1"):
        reg.forward([["a", "b"]])


# ---------------------------------------------------------------- targets d


def test_targets_of_the_wrong_shape(reg, soft):
    x = [[1.0, 2.0], [3.0, 4.0]]
    with expect(ValueError, "d", "expected targets of shape (2, 1) to match the output", "got shape (2, 2)"):
        reg.loss(x, [[1.0, 2.0], [3.0, 4.0]])
    with expect(ValueError, "d", "expected targets of shape (2, 1)", "got shape (3,)"):
        reg.gradient(x, [1.0, 2.0, 3.0])
    with expect(ValueError, "d", "one-hot targets of shape (2, 3) or integer labels of shape (2,)", "(2, 2)"):
        soft.gradient(x, [[1, 0], [0, 1]])
    soft.forward(x)
    with expect(ValueError, "d", "expected one-hot targets", "got shape (3,)"):
        soft.backward([0, 1, 2])  # three labels for a forward pass of two rows


def test_labels_out_of_range_or_fractional(soft):
    x = [[1.0, 2.0], [3.0, 4.0]]
    with expect(ValueError, "d", "class labels must lie in 0..2 for 3 outputs", "got values from 0 to 3"):
        soft.loss(x, [0, 3])
    with expect(ValueError, "d", "class labels must lie in 0..2", "got values from -1 to 1"):
        soft.gradient(x, [-1, 1])
    with expect(ValueError, "d", "class labels must be whole numbers 0..2", "got fractional values", "1.5"):
        soft.accuracy(x, [0.0, 1.5])
    with expect(ValueError, "d", "class labels must lie in 0..2", "got values from 0 to 5"):
        F.cross_entropy_error(np.array([0, 5]), np.full((2, 3), 1 / 3))
    with expect(ValueError, "d", "expected one-hot targets of shape (2, 3)", "got shape (2, 2)"):
        F.cross_entropy_error(np.zeros((2, 2)), np.full((2, 3), 1 / 3))


def test_sigmoid_targets_outside_0_1_and_non_finite_targets(sig, reg):
    with expect(ValueError, "d", "a sigmoid output needs targets in [0, 1]", "got values from 0 to 2"):
        sig.loss([[1.0, 2.0], [0.0, 0.0]], [0, 2])
    with expect(ValueError, "d", "contains nan at index (1)", "expected finite numbers"):
        reg.loss([[1.0, 2.0], [0.0, 0.0]], [1.0, np.nan])
    with expect(TypeError, "d", "expected an array of numbers", "got str"):
        reg.loss([[1.0, 2.0]], "1")


# ---------------------------------------------------------------- names and sizes


def test_unknown_names():
    with expect(ValueError, "hidden", "unknown name 'swish'", "expected one of 'identity', 'step'"):
        Network("2-3-1", hidden="swish")
    with expect(ValueError, "hidden", "unknown name 'Relu'", "expected one of", "'relu'"):
        Network("2-3-3-1", hidden=["relu", "Relu"])
    with expect(ValueError, "output", "unknown name 'relu'", "one of 'identity', 'sigmoid', 'softmax'"):
        Network("2-3-1", output="relu")
    with expect(ValueError, "loss", "unknown name 'hinge'", "expected one of 'mse'"):
        Network("2-3-1", loss="hinge")
    with expect(ValueError, "loss", "'cross_entropy' does not pair with output 'identity'", "identity+mse"):
        Network("2-3-1", output="identity", loss="cross_entropy")
    with expect(ValueError, "init", "unknown name 'glorot'", "expected 'he', 'xavier'"):
        Network("2-3-1", init="glorot")
    with pytest.raises(ValueError, match=r"^dtype: expected 'float32' or 'float64', got 'int8'"):
        Network("2-3-1", dtype="int8")


def test_bad_sizes_and_hidden_lists():
    with expect(ValueError, "sizes", "expected layer sizes like '2-3-3-1'", "got '2-x-1'"):
        Network("2-x-1")
    with expect(ValueError, "sizes", "expected at least an input and an output size", "got [2]"):
        Network([2])
    with expect(ValueError, "sizes", "all positive", "got [2, 0, 1]"):
        Network([2, 0, 1])
    with expect(TypeError, "sizes", "expected integers like [2, 3, 3, 1]", "got [2.5, 3]"):
        Network([2.5, 3])
    with expect(ValueError, "hidden", "expected one activation name or a list of 2", "got 1 names"):
        Network("2-3-3-1", hidden=["relu"])
    with expect(TypeError, "hidden", "expected an activation name or a list of names", "got 3"):
        Network("2-3-1", hidden=3)


# ---------------------------------------------------------------- order of calls, untrainable networks


def test_backward_before_forward(reg):
    with expect(ValueError, "backward", "no forward pass to differentiate", "call forward(x) first"):
        reg.backward([1.0])
    from nnscratch.layers import Affine, ReLU, SoftmaxCrossEntropy

    affine = Affine(2, 2)
    for layer in (affine, ReLU(), SoftmaxCrossEntropy()):
        with expect(ValueError, "backward", "no forward pass", "call forward(x) first"):
            layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("hidden", ["step", ["relu", "step"]])
def test_training_through_a_step_activation_is_refused(hidden):
    net = Network("2-3-3-1", hidden=hidden, seed=0)
    x, d = [[1.0, 2.0]], [[1.0]]
    net.forward(x)  # forward is fine: the step function is a valid activation for inference
    parts = ("'step' activation has no usable gradient", "cannot be trained", "use 'sigmoid', 'relu'")
    with expect(ValueError, "hidden", *parts):
        net.backward(d)
    with expect(ValueError, "hidden", *parts):
        net.gradient(x, d)
    with expect(ValueError, "hidden", *parts):
        nnscratch.gradcheck(net, x, d)


@pytest.mark.parametrize("hidden, optimizer", [("relu", "adam"), ("sigmoid", "adam"), ("tanh", "adam"),
                                               ("relu", "sgd"), ("sigmoid", "momentum")])
@pytest.mark.parametrize("batch_size", [None, 1, 7, 500])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_train_rejects_non_finite_x_and_keeps_the_network_and_optimizer(batch_size, bad, hidden, optimizer):
    """Shuffled mini-batches are not checked as they are gathered: a NaN/inf row ends in a non-finite
    loss or non-finite weights (a saturated sigmoid's forward pass stays finite, but ∞·0 in xᵀδ does
    not) within the first epoch, and then x is checked: the steps are undone and the error names the
    first bad element, as the up-front check of the other paths does."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    x[211, 0] = bad
    x[250, 1] = bad
    clean = np.nan_to_num(x, posinf=0, neginf=0, nan=0)
    d = clean[:, :1] * 2.0
    net = nnscratch.Network([2, 5, 1], hidden=hidden, output="identity", seed=0)
    opt = nnscratch.optim.create(optimizer, lr=0.01)
    nnscratch.train(net, clean, d, optimizer=opt, epochs=1, seed=0)  # the optimizer has state to keep
    before = {k: v.copy() for k, v in net.params.items()}
    meta, arrays = opt.state_dict()
    arrays = {k: a.copy() for k, a in arrays.items()}
    with expect(ValueError, "x", f"contains {bad} at index (211, 0)", "expected finite numbers"):
        nnscratch.train(net, x, d, optimizer=opt, epochs=3, batch_size=batch_size, seed=1)
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k])
    assert opt.t == meta["t"]
    new_meta, new_arrays = opt.state_dict()
    assert new_meta == meta
    for k, a in arrays.items():
        np.testing.assert_array_equal(new_arrays[k], a)


# ---------------------------------------------------------------- init scale and seed


def test_an_init_scale_the_dtype_cannot_hold_is_refused_before_any_weight():
    """init=1e39 in float32 made weights of -inf without a word; now a one-line error (float64 holds it)."""
    with expect(ValueError, "init", "standard deviation of 1e+39 overflows float32", "e.g. init=0.01"):
        Network([2, 3, 1], init=1e39)
    with expect(ValueError, "init", "overflows float32"):
        Network([2, 3, 1], init=3.5e37)  # 10σ above float32's largest number
    assert np.isfinite(Network([2, 3, 1], init=1e39, dtype="float64").params["W1"]).all()
    assert np.isfinite(Network([2, 3, 1], init=1e37).params["W1"]).all()
    for bad in (-1.0, float("nan"), float("inf"), -0.5):
        with expect(ValueError, "init", "non-negative, finite standard deviation", "init=0.01", repr(bad)):
            Network([2, 3, 1], init=bad)
    for bad in ([1.0], None, True):
        with expect(TypeError, "init", "expected 'he', 'xavier' or a standard deviation", "init=0.01"):
            Network([2, 3, 1], init=bad)
    with expect(ValueError, "init", "overflows float32"):  # the run description refuses it before any data
        nnscratch.RunSpec(init=1e39)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), ("abc", TypeError), (1.5, TypeError),
                                         (True, TypeError), (np.float64(2.0), TypeError)])
def test_a_bad_seed_is_one_line_naming_seed(seed, error):
    with pytest.raises(error) as caught:
        Network([2, 3, 1], seed=seed)
    message = str(caught.value)
    assert message.startswith("seed: expected a non-negative integer (e.g. seed=0), a numpy Generator or")
    assert f"got {seed!r}" in message and "\n" not in message


def test_good_seeds_still_work():
    g = np.random.default_rng(5)
    assert Network([2, 3, 1], seed=g).rng is g
    same = Network([2, 3, 1], seed=np.int64(3)).params["W1"], Network([2, 3, 1], seed=3).params["W1"]
    assert np.array_equal(*same)
    assert Network([2, 3, 1], seed=None).params["W1"].shape == (2, 3)
