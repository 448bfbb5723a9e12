"""Day 2's layers and options: batch normalisation, dropout, L1/L2 — gradients checked in float64
against central differences, in stacks with every activation and output, and their behaviour."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch import functions as F
from nnscratch import layers as L

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
PAIRINGS = [("identity", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "mse"),
            ("softmax", "cross_entropy"), ("softmax", "mse")]
OPTIONS = [{"batchnorm": True}, {"dropout": 0.3}, {"dropout": 0.3, "dropout_mode": "inverted"},
           {"l2": 0.1}, {"l1": 0.05}, {"batchnorm": True, "dropout": 0.2, "l1": 0.01, "l2": 0.02}]


def _targets(output, n, k, rng):
    if output == "softmax":
        return rng.integers(0, k, n)
    if output == "sigmoid":
        return rng.integers(0, 2, (n, k)).astype(float)
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("hidden, pairing, options", list(itertools.product(HIDDEN, PAIRINGS, OPTIONS)))
def test_day2_stacks_pass_the_gradient_check(hidden, pairing, options):
    output, loss = pairing
    rng = np.random.default_rng(3)
    x, d = rng.normal(size=(7, 4)), _targets(output, 7, 3, rng)
    for seed in range(20):  # ReLU kinks: the first seed whose pre-activations lie away from 0
        net = nnscratch.Network([4, 6, 5, 3], hidden=hidden, output=output, loss=loss, seed=seed,
                                dtype="float64", **options)
        net.gradient(x, d)
        if options.get("l1") and min(np.abs(net.params[k]).min() for k in ("W1", "W2", "W3")) < 1e-3:
            continue  # L1's |W| has its kink at W = 0
        kinks = [np.abs(a.u).min() for a in net.activations if a.name in ("relu", "leaky_relu")]
        if not kinks or min(kinks) > 1e-3:
            break
    errors = nnscratch.gradcheck(net, x, d)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("per", ["activation", "channel"])
def test_batchnorm_4d_gradients_in_train_mode(per):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 4, 5))
    bn = L.BatchNormalization(2 * 4 * 5 if per == "activation" else 2, per=per, dtype="float64")
    bn.params["gamma"] = rng.normal(size=bn.n)
    bn.params["beta"] = rng.normal(size=bn.n)
    weights = rng.normal(size=x.shape)  # E = Σ y ⊙ R: ∂E/∂y = R

    def loss(_):
        return float(np.sum(bn.forward(x, train=True) * weights))

    bn.forward(x)
    dx = bn.backward(weights)
    for name, value in (("x", x), ("gamma", bn.params["gamma"]), ("beta", bn.params["beta"])):
        numeric = F.numerical_gradient(loss, value, h=1e-6)
        analytic = dx if name == "x" else bn.grads[name]
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_batchnorm_channel_mode_normalises_each_channel_over_n_h_w():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(4, 3, 5, 5))
    y = L.BatchNormalization(3, per="channel", dtype="float64").forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-5)


def test_batchnorm_running_averages_follow_every_training_pass():
    net = nnscratch.Network([3, 4, 2], output="softmax", batchnorm=True, seed=0, dtype="float64")
    bn = net.layers[1]
    assert isinstance(bn, L.BatchNormalization) and not bn.running_mean.any()
    x = np.random.default_rng(0).normal(1.0, 2.0, size=(8, 3))
    u = x @ net.params["W1"] + net.params["b1"]
    net.gradient(x, np.zeros(8, int))  # training mode: one update, from zero, momentum 0.9
    np.testing.assert_allclose(bn.running_mean, 0.1 * u.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.1 * u.var(axis=0), rtol=1e-12)
    net.forward(x)
    net.loss(x, np.zeros(8, int))  # evaluation mode: no update
    np.testing.assert_allclose(bn.running_mean, 0.1 * u.mean(axis=0), rtol=1e-12)
    nnscratch.Trainer(net, lr=1e-300).step(x, np.zeros(8, int))  # W unchanged
    np.testing.assert_allclose(bn.running_mean, 0.19 * u.mean(axis=0), rtol=1e-12)


def test_batchnorm_evaluation_uses_the_running_averages():
    bn = L.BatchNormalization(2, dtype="float64")
    bn.running_mean, bn.running_var = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    y = bn.forward(np.array([[3.0, 0.0]]), train=False)
    np.testing.assert_allclose(y, [[2 / np.sqrt(4 + 1e-6), 1 / np.sqrt(0.25 + 1e-6)]])


@pytest.mark.parametrize("mode", ["course", "inverted"])
def test_dropout_modes(mode):
    drop = L.Dropout(0.4, mode=mode, seed=0)
    x = np.ones((200, 50))
    y = drop.forward(x)
    kept = drop.mask.astype(bool)
    assert abs(1 - kept.mean() - 0.4) < 0.02
    scale = 1.0 if mode == "course" else 1 / 0.6
    np.testing.assert_allclose(y[kept], scale)
    assert not y[~kept].any()
    np.testing.assert_allclose(drop.backward(2 * x), 2 * scale * kept)
    np.testing.assert_allclose(drop.forward(x, train=False), 0.6 if mode == "course" else 1.0)


def test_dropout_masks_are_reproducible_from_the_stack_seed():
    def masks(seed):
        net = nnscratch.Network([3, 8, 2], dropout=0.5, seed=seed)
        net.gradient(np.ones((4, 3)), np.ones((4, 2)))
        return net.layers[2].mask.copy()

    assert np.array_equal(masks(1), masks(1)) and not np.array_equal(masks(1), masks(2))


def test_l1_l2_loss_is_the_data_loss_plus_the_penalty():
    rng = np.random.default_rng(0)
    x, d = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    plain = nnscratch.Network([3, 4, 2], seed=0, dtype="float64")
    reg = nnscratch.Network([3, 4, 2], seed=0, dtype="float64", l1=0.1, l2=0.2)
    W = [reg.params["W1"], reg.params["W2"]]
    penalty = sum(0.1 * np.abs(w).sum() + 0.5 * 0.2 * (w * w).sum() for w in W)
    assert reg.loss(x, d) == pytest.approx(plain.loss(x, d) + penalty, rel=1e-12)
    assert reg.data_loss(x, d) == plain.loss(x, d)
    g, g0 = reg.gradient(x, d), plain.gradient(x, d)
    np.testing.assert_allclose(g["W1"], g0["W1"] + 0.2 * W[0] + 0.1 * np.sign(W[0]), rtol=1e-12)
    np.testing.assert_array_equal(g["b1"], g0["b1"])  # biases are not regularised


def test_weight_decay_and_l2_on_one_run_is_refused():
    net = nnscratch.Network([3, 4, 2], l2=0.1, seed=0)
    with pytest.raises(ValueError, match="weight_decay: this network already has l1=0, l2=0.1"):
        nnscratch.Trainer(net, weight_decay=1e-4)


def test_network_day2_layout_and_keys_match_multilayernetextend():
    net = nnscratch.Network([4, 6, 5, 3], output="softmax", batchnorm=True, dropout=0.5, seed=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    layout = ["Affine", "BatchNormalization", "ReLU", "Dropout"] * 2 + ["Affine", "SoftmaxCrossEntropy"]
    assert kinds == layout
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert net.twin() is None  # the twin knows dense stacks only: these train on the readable layers


def test_day2_network_files_keep_options_and_running_averages(tmp_path):
    rng = np.random.default_rng(0)
    x, d = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    net = nnscratch.Network([4, 6, 3], output="softmax", batchnorm=True, dropout=0.2, l2=0.01, seed=0)
    nnscratch.train(net, x, d, epochs=2, optimizer="adam", seed=0)
    net.save(tmp_path / "bn.npz")
    back = nnscratch.load(tmp_path / "bn.npz")
    assert type(back) is nnscratch.Network and back.options() == net.options()
    for key, value in net.buffers().items():
        np.testing.assert_array_equal(back.buffers()[key], value)
    np.testing.assert_array_equal(back.predict(x), net.predict(x))


def test_a_resumed_day2_run_is_bit_identical(tmp_path):
    """Dropout's masks and batch norm's running averages are in the checkpoint: 2 + 2 epochs == 4."""
    rng = np.random.default_rng(0)
    x, d = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)

    def net():
        return nnscratch.Network([4, 8, 3], output="softmax", batchnorm=True, dropout=0.3, seed=1)

    straight = net()
    nnscratch.train(straight, x, d, optimizer="adam", epochs=4, batch_size=8, seed=2)
    path = tmp_path / "c.npz"
    nnscratch.train(net(), x, d, optimizer="adam", epochs=2, batch_size=8, seed=2, checkpoint=path)
    resumed = net()
    nnscratch.train(resumed, x, d, optimizer="adam", epochs=4, batch_size=8, seed=2, resume=path)
    for key in straight.params:
        np.testing.assert_array_equal(resumed.params[key], straight.params[key])
    for key, value in straight.buffers().items():
        np.testing.assert_array_equal(resumed.buffers()[key], value)
