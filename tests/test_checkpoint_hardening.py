"""Checkpoints from untrusted hands: every bad field is a one-line ValueError naming the file and the
field; an early-stopped run stays stopped; resume takes its learning rate and hooks from the file."""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest

import nnscratch
from nnscratch import io
from nnscratch.training import EarlyStopping, StepDecay


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.intp)


def _net(seed=3):
    return nnscratch.Network([2, 6, 2], output="softmax", seed=seed)


def _run(path, epochs=2, **kwargs):
    x, y = _data()
    kwargs = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "seed": 5, **kwargs}
    return nnscratch.train(_net(), x, y, epochs=epochs, checkpoint=path, **kwargs)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A valid checkpoint after 2 epochs (adam, a schedule, early stopping with state)."""
    path = tmp_path_factory.mktemp("ck") / "good.npz"
    _run(path, callbacks=[StepDecay(1, 0.5), EarlyStopping(patience=5)])
    return io.load_checkpoint(path)


def _crafted(tmp_path, good, change):
    """The good checkpoint with its state changed by ``change(state)``, written to a new file."""
    net, state, arrays = good
    state = copy.deepcopy(state)
    change(state)
    path = tmp_path / "crafted.npz"
    io.save_checkpoint(path, net, state, arrays)
    return path


def _resume(path, **kwargs):
    x, y = _data()
    kwargs = {"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": 4, **kwargs}
    return nnscratch.train(
        _net(), x, y, resume=path, callbacks=[StepDecay(1, 0.5), EarlyStopping(patience=5)], **kwargs
    )


def _expect_field(path, field, *parts):
    with pytest.raises(ValueError) as info:
        _resume(path)
    msg = str(info.value)
    assert type(info.value) is ValueError and "\n" not in msg
    assert os.fspath(path) in msg and f"field {field!r}" in msg, msg
    assert msg.count("resume:") <= 1 and msg.count(os.fspath(path)) == 1, msg  # said once, not nested
    for part in parts:
        assert part in msg, msg
    return msg


def _drop(name):
    return lambda s: s.pop(name)


def _set(name, value):
    return lambda s: s.__setitem__(name, value)


FIELDS = ["optimizer", "rng", "history", "epoch", "steps", "base_lr", "callbacks", "training"]


@pytest.mark.parametrize("field", FIELDS)
def test_a_missing_field_is_named(tmp_path, good, field):
    _expect_field(_crafted(tmp_path, good, _drop(field)), field, "missing")


_KINDS = {
    "optimizer": dict,
    "rng": dict,
    "history": dict,
    "epoch": int,
    "steps": int,
    "base_lr": float,
    "callbacks": list,
    "training": dict,
}
_WRONG = ["3", [1, 2], None, True, {"a": 1}]


@pytest.mark.parametrize(
    "field, value", [(f, v) for f in FIELDS for v in _WRONG if type(v) is not _KINDS[f]], ids=repr
)
def test_a_wrong_typed_field_is_named(tmp_path, good, field, value):
    _expect_field(_crafted(tmp_path, good, _set(field, value)), field)


@pytest.mark.parametrize(
    "field, change, part",
    [
        ("epoch", _set("epoch", -1), "at least 1"),
        ("epoch", _set("epoch", 0), "at least 1"),
        ("history", _set("epoch", 10**9), "expected 1000000000 epochs"),
        ("steps", _set("steps", -4), "at least 0"),
        ("history", _set("steps", 3), "expected steps 3"),
        ("base_lr", _set("base_lr", -0.5), "greater than 0"),
        ("base_lr", _set("base_lr", float("inf")), "greater than 0"),
        ("base_lr", _set("base_lr", float("nan")), "greater than 0"),
        ("history", lambda s: s["history"].__setitem__("loss", ["a", "b"]), "'loss'"),
        ("history", lambda s: s["history"].__setitem__("loss", [0.5]), "at most one value per epoch (1)"),
        ("history", lambda s: s["history"].__setitem__("steps", -1), "'steps'"),
        ("history", lambda s: s["history"].__setitem__("stopped_epoch", 1), "stopped_epoch"),
        ("history", lambda s: s["history"].__setitem__("val_loss", [1.0, 2.0, 3.0]), "at most one value"),
    ],
)
def test_impossible_counts_and_rates_are_refused(tmp_path, good, field, change, part):
    _expect_field(_crafted(tmp_path, good, change), field, part)


def _opt(key, value):
    return lambda s: s["optimizer"]["hyperparameters"].__setitem__(key, value)


@pytest.mark.parametrize(
    "change, part",
    [
        (_opt("lr", -0.01), "lr: expected a finite non-negative"),
        (_opt("lr", float("inf")), "lr: expected a finite non-negative"),
        (_opt("lr", "0.01"), "lr: expected a finite non-negative"),
        (_opt("beta1", 5), "beta1: expected a finite number between 0 and 1"),
        (_opt("beta2", 1.0), "beta2: expected a finite number between 0 and 1"),
        (_opt("eps", 0), "eps: expected a finite number greater than 0"),
        (_opt("beta1", [0.9]), "beta1: expected a number"),
        (_opt("momentum", 0.9), "expected the numbers lr, beta1, beta2, eps"),
        (lambda s: s["optimizer"]["hyperparameters"].pop("beta2"), "expected the numbers"),
        (lambda s: s["optimizer"].__setitem__("hyperparameters", [0.01]), "expected the numbers"),
        (lambda s: s["optimizer"].__setitem__("t", -1), "t (updates so far)"),
        (lambda s: s["optimizer"].__setitem__("t", "8"), "t (updates so far)"),
        (lambda s: s["optimizer"].pop("t"), "t (updates so far)"),
        (
            lambda s: s["optimizer"].__setitem__("hooks", [{"name": "os.system", "hyperparameters": {}}]),
            "unknown hook 'os.system'",
        ),
        (
            lambda s: s["optimizer"].__setitem__(
                "hooks", [{"name": "weight_decay", "hyperparameters": {"rate": -1}}]
            ),
            "rate: expected a finite number greater than 0",
        ),
        (
            lambda s: s["optimizer"].__setitem__(
                "hooks", [{"name": "clip_grad_norm", "hyperparameters": {"c": 1}}]
            ),
            "'clip_grad_norm'",
        ),
        (lambda s: s["optimizer"].__setitem__("hooks", "weight_decay"), "hooks: expected a list"),
        (lambda s: s["optimizer"].pop("name"), "expected the name of an optimizer, got None"),
        (lambda s: s["optimizer"].__setitem__("name", ["adam"]), "expected the name of an optimizer"),
        (
            lambda s: s["optimizer"].__setitem__("name", "adamw"),
            "expected the name of an optimizer, got 'adamw'",
        ),
    ],
)
def test_optimizer_settings_pass_the_constructors_checks(tmp_path, good, change, part):
    _expect_field(_crafted(tmp_path, good, change), "optimizer", part)


def test_momentum_of_one_or_more_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    x, y = _data()
    nnscratch.train(_net(), x, y, optimizer="momentum", lr=0.01, epochs=1, checkpoint=path, seed=0)
    net, state, arrays = io.load_checkpoint(path)
    for mu in (1.0, 1.5, -0.1):
        state["optimizer"]["hyperparameters"]["momentum"] = mu
        io.save_checkpoint(path, net, state, arrays)
        with pytest.raises(
            ValueError, match=r"field 'optimizer': momentum: expected a finite number between 0"
        ):
            nnscratch.train(_net(), x, y, optimizer="momentum", epochs=2, resume=path)


def test_optimizer_state_arrays_must_fit_the_network(tmp_path, good):
    net, state, arrays = good
    arrays = dict(arrays)
    arrays["optim.m.W1"] = np.zeros((3, 3), np.float32)
    path = tmp_path / "shape.npz"
    io.save_checkpoint(path, net, state, arrays)
    _expect_field(path, "optimizer", "'optim.m.W1' has shape (3, 3), expected shape (2, 6)")
    arrays = dict(good[2])
    arrays["optim.m.W9"] = np.zeros((2, 6), np.float32)
    io.save_checkpoint(path, net, state, arrays)
    _expect_field(path, "optimizer", "'optim.m.W9'")
    arrays = dict(good[2])
    arrays["optim.m.W1"] = np.zeros((2, 6), np.int32)
    io.save_checkpoint(path, net, state, arrays)
    _expect_field(path, "optimizer", "'m.W1': expected a float array")


@pytest.mark.parametrize(
    "name", ["MT19937", "RandomState", "Generator", "__loader__", "SeedSequence", None, 3]
)
def test_the_generator_name_selects_nothing_but_pcg64(tmp_path, good, name, monkeypatch):
    """The old reader called getattr(numpy.random, name)(): any attribute of numpy.random."""
    touched = []
    monkeypatch.setattr(np.random, "__loader__", lambda *a: touched.append(a), raising=False)
    path = _crafted(tmp_path, good, lambda s: s["rng"].__setitem__("bit_generator", name))
    _expect_field(path, "rng", "expected bit_generator 'PCG64'")
    assert not touched


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["state"].pop("inc"),
        lambda r: r["state"].__setitem__("state", -1),
        lambda r: r["state"].__setitem__("state", 2**128),
        lambda r: r["state"].__setitem__("inc", [1, 2]),
        lambda r: r["state"].__setitem__("extra", 1),
        lambda r: r.__setitem__("state", 12345),
        lambda r: r.__setitem__("has_uint32", 2),
        lambda r: r.__setitem__("uinteger", 2**40),
        lambda r: r.pop("uinteger"),
    ],
    ids=[
        "no-inc",
        "negative",
        "129-bit",
        "list",
        "extra-key",
        "not-a-dict",
        "has_uint32",
        "uinteger",
        "missing",
    ],
)
def test_the_generator_state_has_the_pcg64_shape(tmp_path, good, change):
    path = _crafted(tmp_path, good, lambda s: change(s["rng"]))
    _expect_field(path, "rng", "128-bit state")


@pytest.mark.parametrize(
    "change, part",
    [
        (lambda c: c.__setitem__(1, "EarlyStopping"), "entry 1: expected"),
        (lambda c: c[1].__setitem__("state", [1]), "entry 1: expected"),
        (lambda c: c[1]["state"].__setitem__("wait", -2), "'wait': expected an integer of at least 0"),
        (lambda c: c[1]["state"].__setitem__("wait", "2"), "'wait'"),
        (lambda c: c[1]["state"].__setitem__("best", "low"), "'best': expected a number"),
        (lambda c: c[1]["state"].__setitem__("best_epoch", 0), "'best_epoch'"),
    ],
)
def test_callback_states_are_checked(tmp_path, good, change, part):
    _expect_field(_crafted(tmp_path, good, lambda s: change(s["callbacks"])), "callbacks", part)


def test_early_stopping_best_parameters_must_fit_the_network(tmp_path, good):
    net, state, arrays = good
    arrays = {k: v for k, v in arrays.items() if k != "callback.1.best.W2"}
    path = tmp_path / "best.npz"
    io.save_checkpoint(path, net, state, arrays)
    _expect_field(path, "callbacks", "best parameters do not fit")


def test_nothing_changes_when_a_checkpoint_is_refused(tmp_path, good):
    x, y = _data()
    net = _net(seed=7)
    before = {k: v.copy() for k, v in net.params.items()}
    opt = nnscratch.optim.Adam(0.01)
    path = _crafted(tmp_path, good, _opt("beta1", 5))
    with pytest.raises(ValueError, match="beta1"):
        nnscratch.train(net, x, y, optimizer=opt, lr=0.01, epochs=4, resume=path)
    for k, v in net.params.items():
        assert np.array_equal(v, before[k])
    assert opt.t == 0 and opt.beta1 == 0.9 and not opt.state


def test_the_json_of_a_real_checkpoint_still_resumes(tmp_path, good):
    """The checks accept what the writer writes, after a JSON round trip of the state."""
    net, state, arrays = good
    state = json.loads(json.dumps(state))
    path = tmp_path / "again.npz"
    io.save_checkpoint(path, net, state, arrays)
    assert _resume(path).epochs == 4


# ------------------------------------------------------------------ early stopping, lr, epochs


def test_resuming_an_early_stopped_run_trains_no_more_and_keeps_its_history(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 2))
    y = x[:, :1] * 2.0 + 0.3 * rng.standard_normal((80, 1))
    path = tmp_path / "stopped.npz"

    def run(resume=None, seed=0):
        net = nnscratch.Network([2, 8, 1], output="identity", seed=seed)
        stopper = EarlyStopping(patience=2, monitor="val_loss")
        seen = []
        h = nnscratch.train(
            net,
            x[:60],
            y[:60],
            optimizer="adam",
            lr=0.3,
            epochs=200,
            batch_size=8,
            seed=2,
            validation_data=(x[60:], y[60:]),
            callbacks=[stopper, lambda e, logs: seen.append(e)],
            checkpoint=path,
            resume=resume,
        )
        return net, h, seen

    net, h, seen = run()
    assert h.stopped_epoch is not None and h.stopped_epoch < 200 and h.best_epoch < h.stopped_epoch
    written = os.path.getmtime(path), io.load_checkpoint(path)[1]
    assert (
        written[1]["epoch"] == h.stopped_epoch and written[1]["history"]["stopped_epoch"] == h.stopped_epoch
    )

    net2, h2, seen2 = run(resume=path, seed=99)
    assert seen2 == []  # not one more epoch
    assert h2 == h and h2.stopped_epoch == h.stopped_epoch and h2.best_epoch == h.best_epoch
    assert h2.steps == h.steps and h2.epochs == h.epochs
    for k in net.params:  # the best epoch's parameters, restored as at the end of the first run
        assert net2.params[k].tobytes() == net.params[k].tobytes()
    assert io.load_checkpoint(path)[1] == written[1]


def test_an_explicit_lr_other_than_the_checkpoints_is_refused(tmp_path):
    x, y = _data()
    path = tmp_path / "lr.npz"
    kwargs = {"optimizer": "adam", "batch_size": 16, "seed": 5, "callbacks": None}
    straight = _net()
    nnscratch.train(straight, x, y, lr=0.02, epochs=4, **kwargs)
    nnscratch.train(_net(), x, y, lr=0.02, epochs=2, checkpoint=path, **kwargs)
    with pytest.raises(ValueError) as info:
        nnscratch.train(_net(), x, y, lr=0.05, epochs=4, resume=path, **kwargs)
    msg = str(info.value)
    assert msg.startswith("lr: ") and "got lr=0.05" in msg
    assert "pass lr=None to continue with the checkpoint's lr=0.02" in msg
    for lr in (None, 0.02):  # the checkpoint's rate, implicitly or explicitly: bit for bit
        resumed = _net(seed=11)
        nnscratch.train(resumed, x, y, lr=lr, epochs=4, resume=path, **kwargs)
        for k in straight.params:
            assert resumed.params[k].tobytes() == straight.params[k].tobytes()


def test_fewer_epochs_than_the_checkpoint_has_done_is_refused(tmp_path):
    path = tmp_path / "e.npz"
    _run(path, epochs=3)
    with pytest.raises(ValueError, match=r"epochs: the checkpoint .* has completed 3 epochs, got epochs=2"):
        nnscratch.train(_net(), *_data(), optimizer="adam", epochs=2, resume=path)
    assert nnscratch.train(_net(), *_data(), optimizer="adam", epochs=3, resume=path).epochs == 3


def test_a_checkpointed_run_needs_a_pcg64_generator(tmp_path):
    x, y = _data()
    gen = np.random.Generator(np.random.MT19937(0))
    with pytest.raises(
        ValueError, match=r"seed: a checkpoint records a PCG64 generator .* Generator\(MT19937\)"
    ):
        nnscratch.train(_net(), x, y, epochs=1, seed=gen, checkpoint=tmp_path / "g.npz")
    assert not os.listdir(tmp_path)
    nnscratch.train(_net(), x, y, epochs=1, seed=gen)  # without a checkpoint any generator is fine


# ------------------------------------------------------------------ hooks in checkpoints


def test_hooks_round_trip_through_a_checkpoint_bit_for_bit(tmp_path):
    x, y = _data()
    kwargs = {
        "optimizer": "momentum",
        "lr": 0.05,
        "batch_size": 8,
        "seed": 4,
        "weight_decay": 1e-3,
        "clip_norm": 0.5,
    }
    straight = _net()
    h_straight = nnscratch.train(straight, x, y, epochs=4, **kwargs)
    path = tmp_path / "hooks.npz"
    nnscratch.train(_net(), x, y, epochs=2, checkpoint=path, **kwargs)
    state = io.load_checkpoint(path)[1]
    assert state["optimizer"]["hooks"] == [
        {"name": "weight_decay", "hyperparameters": {"rate": 1e-3}},
        {"name": "clip_grad_norm", "hyperparameters": {"max_norm": 0.5}},
    ]
    assert state["training"]["weight_decay"] == 1e-3 and state["training"]["clip_norm"] == 0.5
    for extra in ({}, {"weight_decay": 0.0, "clip_norm": None}):  # the same hooks, or the checkpoint's
        resumed = _net(seed=8)
        h = nnscratch.train(resumed, x, y, epochs=4, resume=path, **{**kwargs, **extra})
        assert h == h_straight
        for k in straight.params:
            assert resumed.params[k].tobytes() == straight.params[k].tobytes()
    with pytest.raises(
        ValueError, match=r"field 'optimizer': the checkpoint's hooks are .*this run asks for"
    ):
        nnscratch.train(_net(), x, y, epochs=4, resume=path, **{**kwargs, "weight_decay": 1e-2})


# ------------------------------------------------------------------ one checked reader: train() and the CLI


def test_a_wrong_typed_history_names_its_field_once(tmp_path, good):
    """It read "…, field 'history': resume: checkpoint …, field 'history': expected dict" before."""
    msg = _expect_field(_crafted(tmp_path, good, _set("history", [1])), "history", "expected dict, got [1]")
    where = os.fspath(tmp_path / "crafted.npz")
    assert msg == f"resume: checkpoint {where!r}, field 'history': expected dict, got [1]"
    msg = _expect_field(_crafted(tmp_path, good, lambda s: s["history"].__setitem__("loss", "x")), "history")
    assert "field 'history': 'loss': expected a list of numbers" in msg  # not "'history': history: 'loss'"


@pytest.mark.parametrize("change, field, part", [
    (_set("colour", 1), "colour", "unknown; a checkpoint holds the fields epoch, steps"),
    (lambda s: s["training"].__setitem__("shuffle", 3), "training", "'shuffle': 3"),
    (lambda s: s["training"].__setitem__("batch_size", 0), "training", "'batch_size': 0"),
    (lambda s: s["training"].pop("n_samples"), "training", "expected {'batch_size'"),
    (lambda s: s["callbacks"][0].__setitem__("extra", 1), "callbacks", "entry 0: expected"),
])
def test_every_field_is_checked_even_those_resume_does_not_use(tmp_path, good, change, field, part):
    _expect_field(_crafted(tmp_path, good, change), field, part)


def test_read_checkpoint_checks_every_field_and_resumes_the_same_run_twice(tmp_path):
    from nnscratch.training.checkpoint import Checkpoint, read_checkpoint

    path = tmp_path / "ck.npz"
    _run(path, epochs=2)
    ck = read_checkpoint(path)
    assert isinstance(ck, Checkpoint) and ck.epoch == 2 and ck.optimizer["name"] == "adam"
    assert ck.base_lr == 0.01 and ck.training["batch_size"] == 16 and ck.history.epochs == 2
    x, y = _data()
    runs = []
    for _ in range(2):  # resume takes copies: the checkpoint object is not used up by the first run
        net = _net(seed=9)
        h = nnscratch.train(net, x, y, optimizer="adam", batch_size=16, epochs=4, resume=ck)
        runs.append((h.loss, {k: v.tobytes() for k, v in net.params.items()}))
    assert runs[0] == runs[1] and ck.history.epochs == 2


def test_an_optimizer_of_ones_own_still_resumes_through_the_checked_reader(tmp_path):
    class Half(nnscratch.optim.SGD):
        name = "half"

    x, y = _data()
    path = tmp_path / "half.npz"
    nnscratch.train(_net(), x, y, optimizer=Half(0.1), epochs=1, checkpoint=path, seed=0)
    assert nnscratch.train(_net(), x, y, optimizer=Half(0.1), epochs=2, resume=path).epochs == 2
    with pytest.raises(ValueError, match="field 'optimizer': expected the name of an optimizer, got 'half'"):
        nnscratch.train(_net(), x, y, optimizer="adam", epochs=2, resume=path)


def _cli(tmp_path, capsys, *args):
    from nnscratch.cli import main

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        status = main(["train", "--data", "xor", "--units", "4", "--quiet", "--no-save", *args])
    finally:
        os.chdir(cwd)
    return status, capsys.readouterr()


@pytest.mark.parametrize("change, part", [
    (_set("optimizer", [1, 2]), "field 'optimizer': expected dict, got [1, 2]"),
    (_set("optimizer", None), "field 'optimizer': expected dict, got None"),
    (lambda s: s.pop("base_lr"), "field 'base_lr': missing"),
    (_set("base_lr", "abc"), "field 'base_lr': expected int or float, got 'abc'"),
    (_set("history", [1]), "field 'history': expected dict, got [1]"),
    (lambda s: s["optimizer"].__setitem__("name", 7), "field 'optimizer': expected the name of an optimizer"),
    (lambda s: s["optimizer"].__setitem__("name", "mine"), "field 'optimizer': written by 'mine'"),
    (lambda s: s["rng"].__setitem__("bit_generator", "MT19937"), "field 'rng': expected bit_generator"),
])
def test_the_cli_refuses_a_bad_checkpoint_field_in_one_line_before_using_it(tmp_path, capsys, change, part):
    """`nnscratch train --resume` of a checkpoint whose optimizer field was a list ended in an
    AttributeError traceback: the command read the file itself before resume checked it."""
    assert _cli(tmp_path, capsys, "--epochs", "2", "--checkpoint", "ck.npz")[0] == 0
    net, state, arrays = io.load_checkpoint(tmp_path / "ck.npz")
    change(state)
    io.save_checkpoint(tmp_path / "ck.npz", net, state, arrays)
    before = (tmp_path / "ck.npz").read_bytes()
    status, out = _cli(tmp_path, capsys, "--epochs", "4", "--checkpoint", "ck.npz", "--resume")
    lines = out.err.strip().splitlines()
    assert status == 2 and len(lines) == 1, out.err
    assert lines[0].startswith("nnscratch: error: --resume: checkpoint 'ck.npz', ") and part in lines[0]
    assert lines[0].count("checkpoint 'ck.npz'") == 1
    assert (tmp_path / "ck.npz").read_bytes() == before  # nothing the user had is overwritten


def test_the_cli_reads_the_checkpoint_once(tmp_path, capsys, monkeypatch):
    assert _cli(tmp_path, capsys, "--epochs", "2", "--checkpoint", "ck.npz")[0] == 0
    reads = []
    real = io.load_checkpoint
    monkeypatch.setattr(io, "load_checkpoint", lambda path: reads.append(os.fspath(path)) or real(path))
    status, out = _cli(tmp_path, capsys, "--epochs", "3", "--checkpoint", "ck.npz", "--resume")
    assert status == 0, out.err
    assert reads == ["ck.npz"]
    assert real(tmp_path / "ck.npz")[1]["epoch"] == 3
