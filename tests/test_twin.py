"""The twin (``nnscratch._accel``) equals the readable layers: every hidden activation × output/loss ×
optimizer (plain and with hooks) × dtype, trained both ways from the same start on the same batches.

The readable path is what runs with ``NNSCRATCH_ACCEL=0``; both paths are compared here in one process
by training one network through a Trainer whose twin is switched off. Run as a script to print the
worst differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch import optim

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
PAIRINGS = [("identity", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "mse"),
            ("softmax", "cross_entropy"), ("softmax", "mse")]
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
HOOKS = {"plain": {}, "hooks": {"weight_decay": 1e-3, "clip_norm": 0.5}}
# a few steps of rounding apart, relative to the parameter scale. RMSProp's first step is about
# η·g/√((1 − ρ)·g²) = 10·η·sign(g): it turns the rounding of a gradient near 0 into a full-size step
# (seen: 1.2e-4 in float32, 4.8e-12 in float64; every other rule ≤ 3.2e-6 and 1.2e-14)
TOL = {"float32": 2e-5, "float64": 1e-13}
RMSPROP_TOL = {"float32": 3e-4, "float64": 1e-11}
CASES = list(itertools.product(HIDDEN, PAIRINGS, OPTIMIZERS, HOOKS, ["float32", "float64"]))


def _data(output: str, n_out: int, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 4))
    if output == "softmax":
        return x, rng.integers(0, n_out, n)
    if output == "sigmoid":
        return x, rng.integers(0, 2, (n, n_out)).astype(float)
    return x, rng.normal(size=(n, n_out))


def run_both(hidden, pairing, opt, hooks, dtype, steps=4):
    """(twin parameters, readable parameters, losses of both) after the same steps."""
    output, loss = pairing
    n_out = 3 if output == "softmax" else 2
    nets, losses = [], []
    for twin_on in (True, False):
        net = nnscratch.Network([4, 6, 5, n_out], hidden=hidden, output=output, loss=loss, seed=1,
                                dtype=dtype)
        trainer = nnscratch.Trainer(net, optimizer=opt, lr=0.05, **HOOKS[hooks])
        if not twin_on:
            trainer.twin, trainer.output_layer = None, net.output_layer
        assert (trainer.twin is not None) == twin_on
        rng = np.random.default_rng(7)
        run = []
        for n in (5, 1, 5, 3)[:steps]:  # batch sizes change, online steps included
            run.append(trainer.step(*_data(output, n_out, rng, n)))
        nets.append(net)
        losses.append(run)
    return nets[0].params, nets[1].params, losses


def worst(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k].astype(float) - b[k])) / max(1.0, float(np.max(np.abs(b[k])))))
               for k in a)


@pytest.mark.parametrize("hidden, pairing, opt, hooks, dtype", CASES)
def test_twin_trains_like_the_readable_layers(hidden, pairing, opt, hooks, dtype):
    fast, readable, (loss_fast, loss_readable) = run_both(hidden, pairing, opt, hooks, dtype)
    assert worst(fast, readable) <= (RMSPROP_TOL if opt == "rmsprop" else TOL)[dtype]
    np.testing.assert_allclose(loss_fast, loss_readable, rtol=1e-3 if dtype == "float32" else 1e-10)


def test_the_switch_turns_the_twin_off(monkeypatch):
    net = nnscratch.Network([2, 3, 1], seed=0)
    assert net.twin() is not None
    monkeypatch.setenv("NNSCRATCH_ACCEL", "0")
    assert nnscratch.Network([2, 3, 1], seed=0).twin() is None


def test_a_stack_the_twin_does_not_know_trains_on_the_readable_layers():
    class Doubling(nnscratch.layers.Layer):
        def forward(self, x, train=True):
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    L = nnscratch.layers
    net = nnscratch.Sequential([L.Affine(2, 3), Doubling(), L.Affine(3, 1), L.IdentityMSE()], seed=0)
    assert net.twin() is None
    before = net.params["W1"].copy()
    nnscratch.Trainer(net, optimizer=optim.Adam(0.01)).step([[1.0, 2.0]], [[0.5]])
    assert not np.array_equal(before, net.params["W1"])
    x = np.random.default_rng(0).normal(size=(32, 2))
    history = nnscratch.train(net, x, x @ [[0.5], [-1.0]], optimizer="adam", lr=0.01, epochs=20, seed=0)
    assert history.loss[-1] < history.loss[0]


if __name__ == "__main__":
    table = {}
    for case in CASES:
        fast, readable, _ = run_both(*case)
        key = (case[4], case[3])
        table[key] = max(table.get(key, 0.0), worst(fast, readable))
    print(f"{len(CASES)} cases; worst parameter difference (relative to max(1, |p|)) after 4 steps:")
    for (dtype, hooks), w in sorted(table.items()):
        print(f"  {dtype:8s} {hooks:6s} {w:.3g}")
