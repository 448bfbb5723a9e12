"""The plots' training helper (``nnscratch.lab.plots._runs``) and figures seeded by a Generator."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch
from nnscratch.lab import plots
from nnscratch.lab.plots import _runs

pytestmark = pytest.mark.filterwarnings("error")


def test_run_is_a_model_of_a_runspec_trained_on_the_figure_arrays():
    data = nnscratch.datasets.xor(n_samples=80, seed=0)
    model = _runs.run(data.x, data.y, hidden_sizes=(8,), hidden="relu", optimizer="adam", lr=0.02, epochs=4,
                      batch_size=16, seed=3, val_split=0.25, split_seed=1)
    assert isinstance(model, nnscratch.Model) and model.spec.preprocess == "none"
    assert model.network.sizes == [2, 8, 2] and model.parts == {"train": 60, "validation": 20, "test": 0}
    # the same as building the network and training it by hand on the same split
    (x_tr, d_tr), (x_va, d_va), _ = nnscratch.datasets.train_val_test_split(
        data.x, data.y, val_size=0.25, test_size=0.0, seed=1)
    ref = nnscratch.Network([2, 8, 2], hidden="relu", output="softmax", seed=3)
    ref_history = nnscratch.train(ref, x_tr, d_tr, optimizer="adam", lr=0.02, epochs=4, batch_size=16,
                                  seed=3, validation_data=(x_va, d_va))
    for key, value in ref.params.items():
        np.testing.assert_array_equal(model.network.params[key], value)
    assert model.history.loss == ref_history.loss and model.history.val_accuracy == ref_history.val_accuracy


def test_losses_per_update_counts_every_step_and_leaves_the_start_first():
    lin = nnscratch.datasets.linear(n_samples=12, seed=0)
    net = nnscratch.Network([2, 4, 1], output="identity", seed=0)
    start = net.loss(lin.x, lin.y[:, None])
    losses = _runs.losses_per_update(net, lin.x, lin.y[:, None], optimizer="sgd", lr=0.05, epochs=2,
                                     batch_size=5, order_seed=1)
    assert losses.shape == (2 * 3 + 1,)  # batches of 5, 5 and 2 per epoch
    assert losses[0] == start and losses[-1] == net.loss(lin.x, lin.y[:, None]) < start


@pytest.mark.parametrize(
    "kind, kwargs",
    [("linear_vs_nonlinear", {}), ("learning_rates", {"epochs": 10}),
     ("decision_boundary", {"datasets": ("xor",), "epochs": 2, "resolution": 10})],
)
def test_a_generator_seed_gives_the_same_figure_and_moves_on(kind, kwargs):
    draw = getattr(plots, kind)
    first, second = np.random.default_rng(7), np.random.default_rng(7)
    a = draw(lang="en", seed=first, **kwargs).data
    b = draw(lang="en", seed=second, **kwargs).data
    key = {"linear_vs_nonlinear": "stacked", "learning_rates": "runs", "decision_boundary": "panels"}[kind]
    if kind == "linear_vs_nonlinear":
        np.testing.assert_array_equal(a[key]["relu"], b[key]["relu"])
    elif kind == "learning_rates":
        for lr in a["lrs"]:
            np.testing.assert_array_equal(a[key][lr]["loss"], b[key][lr]["loss"])
    else:
        np.testing.assert_array_equal(a[key][0]["zz"], b[key][0]["zz"])
    assert first.random() == second.random() != np.random.default_rng(7).random()  # the stream was used
