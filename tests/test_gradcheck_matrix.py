"""Back-propagation against central differences, for every hidden activation × output/loss pairing.

Two independent numerical checks per case, both in float64:

1. ``nnscratch.gradcheck(net, x, d)`` (central differences of ``net.loss``);
2. ``functions.numerical_gradient`` of a loss recomputed here from ``net.params`` with nothing but the
   formulas in ``nnscratch.functions`` — so the network's forward pass and loss are checked as well.

ReLU and leaky ReLU have a kink at 0, where a central difference straddling it is wrong by design.
Each case is built from the first seed whose hidden pre-activations all lie at least ``MARGIN`` from 0
(far more than any parameter step of size h can move them), and that is asserted.

Run this file as a script to print the table of worst relative errors.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnscratch
from nnscratch import functions as F
from nnscratch.gradcheck import relative_error

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
PAIRINGS = [
    ("identity", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("sigmoid", "mse"),
    ("softmax", "cross_entropy"),
    ("softmax", "mse"),
]
N_OUT = {"identity": 2, "sigmoid": 2, "softmax": 3}
TOL = 1e-7
H = 1e-5
MARGIN = 1e-2

_ACT = {
    "identity": F.identity,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
}


def reference_loss(params: dict, x: np.ndarray, d: np.ndarray, hidden: list[str], output: str, loss: str):
    """The batch-mean loss from the formulas: u = zW + b, z = f(u), then the output and its loss."""
    n_layers = len(params) // 2
    z = x
    for i in range(1, n_layers):
        z = _ACT[hidden[i - 1]](z @ params[f"W{i}"] + params[f"b{i}"])
    u = z @ params[f"W{n_layers}"] + params[f"b{n_layers}"]
    if output == "identity":
        return F.mean_squared_error(d, u)
    if output == "sigmoid":
        y = F.sigmoid(u)
        return F.binary_cross_entropy(d, y) if loss == "binary_cross_entropy" else F.mean_squared_error(d, y)
    y = F.softmax(u)
    if loss == "cross_entropy":
        return F.cross_entropy_error(d, y)
    dense = d if np.shape(d) == np.shape(y) else F.to_one_hot(np.atleast_1d(d), y.shape[-1]).reshape(y.shape)
    return F.mean_squared_error(dense, y)


def hidden_pre_activations(params: dict, x: np.ndarray, hidden: list[str]) -> list[np.ndarray]:
    n_layers = len(params) // 2
    z, us = x, []
    for i in range(1, n_layers):
        u = z @ params[f"W{i}"] + params[f"b{i}"]
        us.append(u)
        z = _ACT[hidden[i - 1]](u)
    return us


def make_case(hidden, output, loss, batched, target="one_hot", widths=(5, 4), n_rows=4, dtype="float64"):
    """A seeded network and data for one case, clear of ReLU kinks (the margin is asserted)."""
    hidden_list = [hidden] * len(widths) if isinstance(hidden, str) else list(hidden)
    sizes = [3, *widths, N_OUT[output]]
    for seed in range(200):
        rng = np.random.default_rng(seed)
        net = nnscratch.Network(sizes, hidden=hidden_list, output=output, loss=loss, seed=seed, dtype=dtype)
        for key in net.params:  # non-zero biases, so the bias path is exercised too
            if key.startswith("b"):
                net.params[key][...] = rng.normal(0, 0.5, size=net.params[key].shape)
        shape = (n_rows, 3) if batched else (3,)
        x = rng.normal(size=shape)
        k = N_OUT[output]
        if output == "identity":
            d = rng.normal(size=(n_rows, k) if batched else (k,))
        elif output == "sigmoid":
            d = rng.integers(0, 2, size=(n_rows, k) if batched else (k,)).astype(float)
        else:
            labels = rng.integers(0, k, size=n_rows if batched else None)
            one_hot = F.to_one_hot(np.atleast_1d(labels), k).reshape(*shape[:-1], k)
            d = labels if target == "labels" else one_hot
        p64 = {key: v.astype(np.float64) for key, v in net.params.items()}
        us = hidden_pre_activations(p64, x, hidden_list)
        if not us or min(np.abs(u).min() for u in us) > MARGIN:
            return net, x, d, hidden_list
    raise AssertionError("no seed below 200 keeps every pre-activation away from the ReLU kink")


def worst_errors(net, x, d, hidden_list, output, loss) -> tuple[float, float]:
    """(worst gradcheck error, worst error against the independent reference) over all parameters."""
    us = hidden_pre_activations({k: v.astype(np.float64) for k, v in net.params.items()}, x, hidden_list)
    assert not us or min(np.abs(u).min() for u in us) > MARGIN  # no kink within reach of h
    via_gradcheck = nnscratch.gradcheck(net, x, d, h=H)
    assert set(via_gradcheck) == set(net.params)

    analytic = net.gradient(x, d)
    params = {k: v.astype(np.float64) for k, v in net.params.items()}
    expected_loss = reference_loss(params, x, d, hidden_list, output, loss)
    assert net.loss(x, d) == pytest.approx(expected_loss, rel=1e-5 if net.dtype == np.float32 else 1e-12)
    independent = {}
    for key in params:
        numeric = F.numerical_gradient(
            lambda _p: reference_loss(params, x, d, hidden_list, output, loss), params[key], h=H
        )
        assert np.any(numeric != 0) or np.all(analytic[key] == 0)
        independent[key] = relative_error(analytic[key], numeric)
    return max(via_gradcheck.values()), max(independent.values())


@pytest.mark.parametrize("batched", [False, True], ids=["1d", "batched"])
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=[f"{o}+{lo}" for o, lo in PAIRINGS])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_two_hidden_layers(hidden, output, loss, batched):
    targets = ["one_hot", "labels"] if output == "softmax" else ["one_hot"]
    for target in targets:
        net, x, d, hidden_list = make_case(hidden, output, loss, batched, target)
        gc, ref = worst_errors(net, x, d, hidden_list, output, loss)
        assert gc < TOL and ref < TOL, (target, gc, ref)


@pytest.mark.parametrize("output, loss", PAIRINGS, ids=[f"{o}+{lo}" for o, lo in PAIRINGS])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_one_hidden_layer(hidden, output, loss):
    net, x, d, hidden_list = make_case(hidden, output, loss, batched=True, widths=(6,), n_rows=5)
    gc, ref = worst_errors(net, x, d, hidden_list, output, loss)
    assert gc < TOL and ref < TOL


@pytest.mark.parametrize("batched", [False, True], ids=["1d", "batched"])
@pytest.mark.parametrize("output, loss", PAIRINGS, ids=[f"{o}+{lo}" for o, lo in PAIRINGS])
def test_zero_hidden_layers(output, loss, batched):
    net, x, d, hidden_list = make_case([], output, loss, batched, target="labels", widths=())
    assert net.n_layers == 1 and hidden_list == []
    gc, ref = worst_errors(net, x, d, hidden_list, output, loss)
    assert gc < TOL and ref < TOL


def test_mixed_hidden_activations_and_a_float32_network():
    net, x, d, hidden_list = make_case(
        ["tanh", "leaky_relu", "sigmoid"], "softmax", "cross_entropy", True, widths=(5, 4, 4), dtype="float32"
    )
    assert net.dtype == np.float32
    before = {k: v.copy() for k, v in net.params.items()}
    errors = nnscratch.gradcheck(net, x, d)  # checked on a float64 copy
    assert max(errors.values()) < TOL
    assert all(net.params[k].dtype == np.float32 and np.array_equal(net.params[k], before[k]) for k in before)


def test_the_check_catches_a_wrong_gradient(monkeypatch):
    # The check must be able to fail: an output delta off by 1 % is flagged in every parameter.
    from nnscratch.layers import SoftmaxCrossEntropy

    net, x, d, _ = make_case("tanh", "softmax", "cross_entropy", True)
    original = SoftmaxCrossEntropy.backward
    monkeypatch.setattr(SoftmaxCrossEntropy, "backward", lambda self, dd: original(self, dd) * 1.01)
    assert min(nnscratch.gradcheck(net, x, d).values()) > 1e-3


def gradient_check_table() -> list[tuple[str, str, float]]:
    """Worst relative error (both checks, 1-D and batched input, every target form) per cell."""
    rows = []
    for hidden, (output, loss) in itertools.product(HIDDEN, PAIRINGS):
        worst = 0.0
        targets = ["one_hot", "labels"] if output == "softmax" else ["one_hot"]
        for batched, target in itertools.product([False, True], targets):
            net, x, d, hidden_list = make_case(hidden, output, loss, batched, target)
            worst = max(worst, *worst_errors(net, x, d, hidden_list, output, loss))
        rows.append((hidden, f"{output}+{loss}", worst))
    return rows


if __name__ == "__main__":
    table = gradient_check_table()
    columns = [f"{o}+{lo}" for o, lo in PAIRINGS]
    print("| hidden \\ output+loss | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for hidden in HIDDEN:
        cells = [f"{err:.1e}" for h, _, err in table if h == hidden]
        print(f"| {hidden} | " + " | ".join(cells) + " |")
    print(f"worst overall: {max(err for *_, err in table):.1e} (threshold {TOL:g})")


def test_gradcheck_warns_when_a_relu_input_sits_on_the_kink():
    import warnings

    import nnscratch

    net = nnscratch.Network([2, 3, 3, 1], hidden="relu", output="identity", seed=0, dtype="float64")
    x = np.array([[1.0, 2.0]])
    net.params["W1"][...] = -1.0  # every unit of layer 1 is dead: layer 2 sees u = b2 = 0 exactly
    with pytest.warns(RuntimeWarning, match="kink"):
        nnscratch.gradcheck(net, x, [[1.0]])
    net.params["W1"][...] = 1.0
    net.params["b2"][...] = 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = nnscratch.gradcheck(net, x, [[1.0]])
    assert max(errors.values()) < 1e-7
