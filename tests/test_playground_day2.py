"""The playground's Day 2 controls without a browser: batch normalisation, dropout and L1/L2 go into the
RunSpec the page makes, rebuild the network (and the reply says so), and every frame shows what they do
to the weights — the share of near-zero weights per layer and the penalty beside the data's loss."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from tests.test_playground import WS, _hello, _next, client  # noqa: F401 - the fixture

import nnscratch
from nnscratch.playground import export, views
from nnscratch.playground.session import Session
from nnscratch.playground.settings import NETWORK_FIELDS, Settings


def test_the_controls_are_checked_and_go_into_the_run_spec():
    s = Settings.checked({"batchnorm": "true", "dropout": "0.2", "l1": "0.001", "l2": 0.01})
    assert (s.batchnorm, s.dropout, s.l1, s.l2) == (True, 0.2, 0.001, 0.01)
    spec = s.run_spec("moons")
    assert (spec.batchnorm, spec.dropout, spec.l1, spec.l2) == (True, 0.2, 0.001, 0.01)
    assert Settings.checked({"batchnorm": "false"}).batchnorm is False
    assert {"batchnorm", "dropout", "l1", "l2"} <= set(NETWORK_FIELDS)
    assert s.to_json()["batchnorm"] is True  # what the page's URL keeps


@pytest.mark.parametrize("given, message", [
    ({"dropout": 0.95}, r"dropout: expected a number in \[0, 0.9\], got 0.95"),
    ({"l1": -1}, r"l1: expected a number in \[0, 1\], got -1"),
    ({"l2": "abc"}, r"l2: expected a number in \[0, 1\], got 'abc'"),
    ({"batchnorm": "maybe"}, "batchnorm: expected true or false, got 'maybe'"),
    ({"weight_decay": 0.01, "l2": 0.001}, "weight_decay: weight decay λ and L1/L2 both regularise"),
])
def test_bad_values_are_one_line_naming_the_control(given, message):
    with pytest.raises(ValueError, match=message):
        Settings.checked(given)


def test_l1_on_top_of_weight_decay_names_l1_and_how_to_fix_it():
    base = Settings.checked({"weight_decay": 0.01})
    with pytest.raises(ValueError, match=r"^l1: .* set weight decay to 0 to use L1/L2 \(e.g. l2 = 0.001\)"):
        Settings.checked({"l1": 0.001}, base)


def test_a_change_rebuilds_the_network_with_its_layers_and_penalty():
    s = Session(Settings.checked({"data": "xor", "samples": 100}))
    try:
        s.step(10)
        s.apply({"batchnorm": True, "dropout": 0.3, "l2": 0.01})
        assert s.steps == 0
        net = s.net
        assert net.batchnorm and net.dropout == 0.3 and net.l2 == 0.01 and "gamma1" in net.params
        assert s.model.spec.dropout == 0.3
        s.step(20)  # trains: BN in training mode, dropout masks drawn, the penalty's gradient applied
        frame = views.frame(s)
        json.loads(json.dumps(frame, allow_nan=False))
        assert frame["penalty"] == {"l1": 0.0, "l2": 0.01, "value": pytest.approx(net.penalty(), rel=1e-4)}
        x, d = (a[s.plane.shown["train"]] for a in s.parts["train"])
        assert frame["loss"]["train"] == pytest.approx(net.data_loss(x, d), rel=1e-4)  # E alone
        assert len(frame["near_zero"]) == 3 and frame["near_zero"][1]["size"] == 64
        trace = views.trace(s, "train", 0, "en")
        assert trace["batchnorm"] and "batch norm 1: mean μ" in trace["text"]
        assert "dropout 1: mask" in trace["text"] and "regularisation term (L1/L2)" in trace["text"]
        assert views.gradcheck(s)["ok"]
    finally:
        s.close()


def test_near_zero_weights_are_counted_per_layer():
    w = np.array([[0.005, -0.009, 0.5], [0.02, -0.2, 0.0]], dtype=np.float32)
    z = views._near_zero(w)
    assert z == {"share": 0.5, "count": 3, "size": 6, "mean_abs": pytest.approx(0.1223, abs=1e-4)}


def test_l1_makes_more_weights_near_zero_than_no_penalty():
    """What a learner should see when raising L1: the share of near-zero weights grows."""
    shares = {}
    for l1 in (0.0, 0.01):
        s = Session(Settings.checked({"data": "xor", "samples": 200, "layers": [8, 8], "lr": 0.1, "l1": l1}))
        try:
            s.step(1500)
            frame = views.frame(s)
        finally:
            s.close()
        shares[l1] = sum(z["count"] for z in frame["near_zero"]) / sum(z["size"] for z in frame["near_zero"])
        assert (frame["penalty"]["value"] > 0) == (l1 > 0)
    assert shares[0.01] > shares[0.0] + 0.2, shares


def test_the_reply_says_the_regularisation_rebuilt_the_network(client):  # noqa: F811
    with client.websocket_connect(WS) as ws:
        _hello(ws, data="xor", samples=100, lr=0.1)
        ws.send_text('{"type": "play"}')
        _next(ws, "frame")
        ws.send_text(json.dumps({"type": "set", "settings": {"dropout": 0.2, "l1": 0.001}}))
        reply = _next(ws, "settings")
        assert reply["change"] == {"rebuilt": "network", "fields": ["dropout", "l1"], "stopped": True,
                                   "step": 0}
        assert reply["settings"]["dropout"] == 0.2 and reply["settings"]["l1"] == 0.001
        frame = _next(ws, "frame")
        assert frame["penalty"]["l1"] == 0.001 and len(frame["near_zero"]) == 3
        ws.send_text(json.dumps({"type": "set", "settings": {"weight_decay": 0.01}}))
        error = _next(ws, "error")
        assert error["message"].startswith("weight_decay: weight decay λ and L1/L2 both regularise")


def test_the_script_reproduces_a_day2_run_bit_for_bit(tmp_path):
    s = Session(Settings.checked({"data": "moons", "samples": 120, "batchnorm": True, "dropout": 0.2,
                                  "l1": 0.001, "lr": 0.05}))
    try:
        for _ in range(3):
            s.epoch()
        (tmp_path / export.SCRIPT_NAME).write_text(export.script(s), encoding="utf-8")
        params = {k: v.copy() for k, v in s.net.params.items()}
    finally:
        s.close()
    run = subprocess.run([sys.executable, export.SCRIPT_NAME], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    theirs = nnscratch.load(tmp_path / export.MODEL_NAME).network
    assert theirs.batchnorm and theirs.dropout == 0.2 and theirs.l1 == 0.001
    assert all(np.array_equal(theirs.params[k], params[k]) for k in params)
