"""Gradient hooks (weight decay, clipping) on the optimizer; the twin's buffer-reusing updates and its
linear rule (nnscratch._accel.updates) against the readable ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnscratch
from nnscratch import optim
from nnscratch._accel.updates import Updater, linear_rule
from nnscratch.training import trainer as trainer_module

W0 = np.array([[1.0, -2.0], [0.5, 3.0]])
B0 = np.array([0.25, -0.75])
GRADS = [
    {"W1": np.array([[0.1, -0.2], [0.3, 0.4]]), "b1": np.array([1.0, -0.5])},
    {"W1": np.array([[-3.0, 1.0], [2.0, -6.0]]), "b1": np.array([5.0, 2.5])},
    {"W1": np.array([[0.05, 0.5], [-0.4, 0.2]]), "b1": np.array([-1.5, 2.0])},
]


def _params():
    return {"W1": W0.copy(), "b1": B0.copy()}


def _by_hand(lr, lam=0.0, c=None):
    """SGD with g_W += λ·W, then the global norm capped at c, element by element in Python floats."""
    params = _params()
    for grads in GRADS:
        g = {k: [float(v) for v in grads[k].reshape(-1)] for k in grads}
        w = {k: params[k].reshape(-1) for k in params}
        for i in range(len(g["W1"])):
            g["W1"][i] += lam * float(w["W1"][i])
        norm = math.sqrt(sum(v * v for vals in g.values() for v in vals))
        scale = c / norm if c is not None and norm > c else 1.0
        for k in params:
            for i in range(len(g[k])):
                w[k][i] -= lr * g[k][i] * scale
    return params


@pytest.mark.parametrize("lam, c", [(0.1, None), (0.0, 1.0), (0.1, 1.0)])
def test_hooks_change_the_gradient_as_their_formulas_say(lam, c):
    hooks = ([optim.WeightDecay(lam)] if lam else []) + ([optim.ClipGradNorm(c)] if c else [])
    opt = optim.SGD(0.1, hooks=hooks)
    params = _params()
    for grads in GRADS:
        copies = {k: v.copy() for k, v in grads.items()}
        opt.update(params, grads)
        for k in grads:  # the caller's gradients are left as they were
            assert np.array_equal(grads[k], copies[k])
    want = _by_hand(0.1, lam, c)
    for k in params:
        np.testing.assert_allclose(params[k], want[k], rtol=1e-13, atol=1e-15)


def test_weight_decay_leaves_the_biases_and_clipping_keeps_small_gradients():
    params, grads = _params(), {k: v.copy() for k, v in GRADS[0].items()}
    optim.WeightDecay(0.5)(params, grads)
    assert np.array_equal(grads["b1"], GRADS[0]["b1"])
    np.testing.assert_array_equal(grads["W1"], GRADS[0]["W1"] + 0.5 * W0)
    small = {k: v.copy() for k, v in GRADS[0].items()}
    optim.ClipGradNorm(100.0)(params, small)
    for k in small:
        assert np.array_equal(small[k], GRADS[0][k])


def test_add_hook_equals_hooks_argument_and_order_matters():
    a = optim.Adam(0.01, hooks=[optim.WeightDecay(0.3), optim.ClipGradNorm(0.5)])
    b = optim.Adam(0.01)
    b.add_hook(optim.WeightDecay(0.3))
    b.add_hook(optim.ClipGradNorm(0.5))
    c = optim.Adam(0.01, hooks=[optim.ClipGradNorm(0.5), optim.WeightDecay(0.3)])
    pa, pb, pc = _params(), _params(), _params()
    for g in GRADS:
        a.update(pa, g)
        b.update(pb, g)
        c.update(pc, g)
    assert all(np.array_equal(pa[k], pb[k]) for k in pa)
    assert not all(np.array_equal(pa[k], pc[k]) for k in pa)  # clip-then-decay is another rule
    assert (
        repr(a) == "Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08, hooks=[WeightDecay(rate=0.3), "
        "ClipGradNorm(max_norm=0.5)])"
    )


def test_hook_arguments_are_checked():
    with pytest.raises(TypeError, match="hook: expected an nnscratch.optim hook"):
        optim.SGD().add_hook(lambda p, g: None)
    with pytest.raises(TypeError, match="hooks: expected a list of gradient hooks"):
        optim.SGD(hooks=optim.WeightDecay(0.1))
    with pytest.raises(ValueError, match="rate: expected a finite number greater than 0, got -1"):
        optim.WeightDecay(-1)
    with pytest.raises(ValueError, match="max_norm: expected a finite number greater than 0"):
        optim.ClipGradNorm(float("inf"))
    with pytest.raises(TypeError, match="rate: expected a number"):
        optim.WeightDecay("1e-4")


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
@pytest.mark.parametrize(
    "hooks", [(), (optim.WeightDecay(0.2), optim.ClipGradNorm(1.0))], ids=["none", "both"]
)
def test_the_twins_buffer_reusing_update_equals_the_readable_rule(name, hooks):
    a = optim.create(name, lr=0.05, hooks=list(hooks))
    b = optim.create(name, lr=0.05, hooks=list(hooks))
    pa, pb, update = _params(), _params(), Updater()
    for g in GRADS:
        a.update(pa, g)
        update(b, pb, {k: v.copy() for k, v in g.items()})  # scratch gradients, overwritten
    assert a.t == b.t == 3
    for k in pa:
        np.testing.assert_allclose(pa[k], pb[k], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_hooks_round_trip_through_state_dict(name):
    a = optim.create(name, lr=0.05, hooks=[optim.WeightDecay(0.2), optim.ClipGradNorm(1.0)])
    params = _params()
    a.update(params, GRADS[0])
    meta, arrays = a.state_dict()
    assert meta["hooks"] == [
        {"name": "weight_decay", "hyperparameters": {"rate": 0.2}},
        {"name": "clip_grad_norm", "hyperparameters": {"max_norm": 1.0}},
    ]
    b = optim.create(name)
    b.load_state_dict(meta, {k: v.copy() for k, v in arrays.items()})
    assert b.hooks == a.hooks and b.hooks[0] is not a.hooks[0]
    pa, pb = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
    for g in GRADS[1:]:
        a.update(pa, g)
        b.update(pb, g)
    for k in pa:
        assert np.array_equal(pa[k], pb[k])


def test_load_state_dict_checks_everything_before_changing_anything():
    opt = optim.Adam(0.01)
    opt.update(_params(), GRADS[0])
    meta, arrays = opt.state_dict()
    bad = [
        ({**meta, "hyperparameters": {**meta["hyperparameters"], "beta1": 5}}, "beta1"),
        (
            {**meta, "hyperparameters": {**meta["hyperparameters"], "lr": -1.0}},
            "lr: expected a finite non-neg",
        ),
        ({**meta, "t": -3}, "t \\(updates so far\\)"),
        ({**meta, "hooks": [{"name": "dropout", "hyperparameters": {}}]}, "unknown hook 'dropout'"),
    ]
    fresh = optim.Adam(0.5)
    for m, message in bad:
        with pytest.raises(ValueError, match=message):
            fresh.load_state_dict(m, arrays)
        assert fresh.lr == 0.5 and fresh.beta1 == 0.9 and fresh.t == 0 and not fresh.state
    fresh.load_state_dict({**meta, "hyperparameters": {**meta["hyperparameters"], "lr": 0.0}}, arrays)
    assert fresh.lr == 0.0  # a schedule may end at 0 (CosineDecay's min_lr)


def test_a_custom_hook_is_kept_when_the_loaded_state_names_it():
    class Half(optim.GradientHook):
        name = "half"

        def __call__(self, params, grads):
            for g in grads.values():
                g *= 0.5

    opt = optim.SGD(0.1, hooks=[Half()])
    meta, arrays = opt.state_dict()
    hook = opt.hooks[0]
    opt.load_state_dict(meta, arrays)
    assert opt.hooks[0] is hook
    with pytest.raises(ValueError, match="unknown hook 'half'"):
        optim.SGD(0.1).load_state_dict(meta, arrays)


# ------------------------------------------------------------------ linear_rule


class _OwnRule(optim.SGD):
    def step(self, p, g, state):
        super().step(p, np.clip(g, -0.01, 0.01), state)


class _OwnUpdate(optim.Momentum):
    def update(self, params, grads):
        super().update(params, grads)


def test_linear_rule_only_for_plain_sgd_and_momentum_without_hooks():
    params = _params()
    assert linear_rule(optim.SGD(0.3), params) == (0.3, None, 0.0)
    lr, velocities, momentum = linear_rule(optim.Momentum(0.3, momentum=0.8), params)
    assert lr == 0.3 and momentum == 0.8 and sorted(velocities) == ["W1", "b1"]
    assert all(not v.any() and v.shape == params[k].shape for k, v in velocities.items())
    for opt in (
        optim.Nesterov(0.1),
        optim.AdaGrad(),
        optim.RMSProp(),
        optim.Adam(),
        _OwnRule(0.1),
        _OwnUpdate(0.1),
        optim.SGD(0.1, hooks=[optim.WeightDecay(0.1)]),
        optim.Momentum(0.1, hooks=[optim.ClipGradNorm(1.0)]),
    ):
        assert linear_rule(opt, params) is None, opt


def test_momentum_velocities_are_the_optimizers_own_state():
    opt, params = optim.Momentum(0.1), _params()
    opt.update(params, GRADS[0])
    _, velocities, _ = linear_rule(opt, params)
    assert all(velocities[k] is opt.state[k]["v"] for k in params)


# ------------------------------------------------------------------ the trainer: hooks and the fused path


def _count_fused(monkeypatch):
    calls = []
    real = trainer_module.fused_step

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "fused_step", counting)
    return calls


@pytest.mark.parametrize("name", ["sgd", "momentum"])
def test_the_fused_step_runs_without_hooks_and_not_with_them(name, monkeypatch):
    calls = _count_fused(monkeypatch)
    rng = np.random.default_rng(0)
    x, d = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    plain = nnscratch.Network([3, 5, 2], output="softmax", dtype="float64", seed=0)
    nnscratch.Trainer(plain, name, lr=0.1).step(x, d)
    assert len(calls) == 1
    hooked = nnscratch.Network([3, 5, 2], output="softmax", dtype="float64", seed=0)
    ref = hooked.copy()
    trainer = nnscratch.Trainer(hooked, name, lr=0.1, weight_decay=0.01, clip_norm=0.05)
    reference = optim.create(name, lr=0.1, hooks=[optim.WeightDecay(0.01), optim.ClipGradNorm(0.05)])
    for _ in range(3):
        trainer.step(x, d)
        reference.update(ref.params, ref.gradient(x, d))
    assert len(calls) == 1  # none more
    for k in ref.params:
        np.testing.assert_allclose(hooked.params[k], ref.params[k], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_trainer_arguments_equal_the_optimizers_hooks_bit_for_bit(name):
    rng = np.random.default_rng(1)
    x, d = rng.standard_normal((40, 3)), rng.integers(0, 2, 40)
    a = nnscratch.Network([3, 6, 2], output="softmax", seed=0)
    b = a.copy()
    ha = nnscratch.train(
        a, x, d, optimizer=name, lr=0.05, epochs=3, batch_size=8, seed=2, weight_decay=1e-3, clip_norm=0.2
    )
    opt = optim.create(name, lr=0.05, hooks=[optim.WeightDecay(1e-3), optim.ClipGradNorm(0.2)])
    hb = nnscratch.train(b, x, d, optimizer=opt, epochs=3, batch_size=8, seed=2)
    assert ha == hb
    for k in a.params:
        assert a.params[k].tobytes() == b.params[k].tobytes()


def test_a_reused_optimizer_gets_one_hook_of_each_kind():
    rng = np.random.default_rng(2)
    x, d = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = nnscratch.Network([3, 4, 2], output="softmax", seed=0)
    opt = optim.SGD(0.1)
    for lam in (1e-3, 1e-3, 2e-3):
        nnscratch.train(net, x, d, optimizer=opt, epochs=1, weight_decay=lam, clip_norm=1.0)
    assert opt.hooks == [optim.WeightDecay(2e-3), optim.ClipGradNorm(1.0)]
    trainer = nnscratch.Trainer(net, opt)  # 0 / None: the optimizer's own hooks stay
    assert trainer.weight_decay == 2e-3 and trainer.clip_norm == 1.0
    assert (
        nnscratch.Trainer(net, "sgd").weight_decay == 0.0 and nnscratch.Trainer(net, "sgd").clip_norm is None
    )
