"""The playground without a browser: its engine, its API, its door (token, Host, Origin, limits) and
its command (a real server in a subprocess, stopped with Ctrl-C)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import warnings

import numpy as np
import pytest
from tests.needs import need_module

import nnscratch
from nnscratch.playground import export, views
from nnscratch.playground.security import host_allowed
from nnscratch.playground.session import Session
from nnscratch.playground.settings import Settings

TOKEN = "test-token"
BASE = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/ws?token=" + TOKEN


def _denied():
    """Starlette's exception for a refused WebSocket handshake (the playground extra is there)."""
    from starlette.testclient import WebSocketDenialResponse

    return WebSocketDenialResponse


@pytest.fixture
def client():
    """The app in Starlette's test client (the server's parts need the playground extra)."""
    for name in ("starlette", "httpx", "uvicorn", "websockets"):
        need_module(name)
    with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its test client; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from nnscratch.playground.app import create_app

    with TestClient(create_app(token=TOKEN, lang="en"), base_url=BASE) as c:
        yield c


def _hello(ws, **settings) -> str:
    ws.send_text(json.dumps({"type": "hello", "settings": settings}))
    reply = json.loads(ws.receive_text())
    assert reply["type"] == "hello", reply
    return reply["session"]


def _next(ws, kind: str) -> dict:
    for _ in range(200):
        msg = json.loads(ws.receive_text())
        if msg["type"] == "frame":
            ws.send_text('{"type": "ack"}')
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind} message")


# ---------------------------------------------------------------- the engine


def test_engine_trains_and_the_loss_falls():
    s = Session(Settings.checked({"data": "xor", "samples": 200, "lr": 0.1}))
    try:
        before = views.frame(s)["loss"]["train"]
        for _ in range(30):
            s.epoch()
        after = views.frame(s)
        assert after["loss"]["train"] < 0.5 * before
        assert after["accuracy"]["train"] > 0.9 and after["step"] == 30 * s.per_epoch
        assert len(after["curve"]) == 2 and len(after["gradnorms"]) == 3
        cells = np.frombuffer(__import__("base64").b64decode(after["grid"]["cells"]), np.uint8)
        assert cells.size == 2 * views.GRID**2 and views.GRID >= 60
        # the background thread trains too, and pause stops it
        s.play()
        time.sleep(0.3)
        s.pause()
        time.sleep(0.05)
        steps = s.steps
        time.sleep(0.1)
        assert steps > after["step"] and s.steps == steps
    finally:
        s.close()


def test_live_controls_keep_the_weights_and_data_changes_reset():
    s = Session(Settings.checked({"samples": 100}))
    try:
        s.step(20)
        w = s.net.params["W1"].copy()
        s.apply({"lr": 0.5, "optimizer": "adam", "batch": "online", "weight_decay": 0.01, "speed": "100"})
        assert np.array_equal(s.net.params["W1"], w) and s.steps == 20
        assert s.trainer.lr == 0.5 and s.trainer.weight_decay == 0.01 and s.batches.size == 1
        s.apply({"weight_decay": 0})
        assert s.trainer.weight_decay == 0.0
        with pytest.raises(ValueError, match="data: 'csv' needs an uploaded file first"):
            s.apply({"data": "csv"})
        assert s.steps == 20 and np.array_equal(s.net.params["W1"], w)  # the run was not rebuilt
        s.apply({"layers": [4]})
        assert s.steps == 0 and s.net.sizes == [2, 4, 2]
        with pytest.raises(ValueError, match="layers: expected at most 6 hidden layers"):
            s.apply({"layers": [2] * 7})
        with pytest.raises(ValueError, match=r"layers: expected a whole number in \[1, 32\], got 33"):
            s.apply({"layers": [33]})
    finally:
        s.close()


def test_divergence_is_reported_and_the_last_good_weights_kept():
    s = Session(Settings.checked({"data": "linear", "lr": 10, "layers": [32, 32, 32],
                                  "activations": ["relu"]}))
    try:
        s.step(500)
        d = s.diverged
        assert d is not None and d["value"] in ("inf", "nan") and d["kept"] == s.steps == d["step"] - 1
        assert all(np.isfinite(p).all() for p in s.net.params.values())
        assert s.step(5) == 0  # stays stopped until the learner changes something
    finally:
        s.close()


def test_weights_that_overflow_at_the_end_of_a_chunk_are_caught_there():
    s = Session(Settings.checked({"samples": 50}))
    try:
        s.step(5)
        s.net.params["W1"][0, 0] = np.inf  # as the chunk's last update leaves them, before the next step
        s.step(0)
        assert s.diverged == {"step": 6, "value": "nan", "kept": 4, "lr": 0.03} and s.steps == 4
        frame = views.frame(s)
        json.loads(json.dumps(frame, allow_nan=False))
        assert frame["diverged"]["kept"] == 4
    finally:
        s.close()


def test_the_script_reproduces_the_weights_bit_for_bit(tmp_path):
    s = Session(Settings.checked({"data": "spiral", "samples": 150, "optimizer": "adam", "lr": 0.01}))
    try:
        for _ in range(4):
            s.epoch()
        (tmp_path / export.SCRIPT_NAME).write_text(export.script(s), encoding="utf-8")
        (tmp_path / "mine.npz").write_bytes(export.model_file(s))
        params = {k: v.copy() for k, v in s.net.params.items()}
    finally:
        s.close()
    run = subprocess.run([sys.executable, export.SCRIPT_NAME], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "bit for bit" in (tmp_path / export.SCRIPT_NAME).read_text() and "train loss=" in run.stdout
    theirs = nnscratch.load(tmp_path / export.MODEL_NAME).network.params
    mine = nnscratch.load(tmp_path / "mine.npz")
    assert all(np.array_equal(theirs[k], params[k]) and np.array_equal(mine.network.params[k], params[k])
               for k in params)
    assert mine.task == "classification" and mine.metrics["train"]["samples"] > 0


# ---------------------------------------------------------------- the API


def test_token_is_required_everywhere(client):
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and TOKEN in page.text and "Content-Security-Policy" in page.headers
    assert client.get("/static/app.js").status_code == 403
    assert client.get(f"/static/app.js?token={TOKEN}").status_code == 200
    assert client.get("/static/app.js", headers={"X-Playground-Token": TOKEN}).status_code == 200
    assert client.get(f"/static/..%2fapp.py?token={TOKEN}").status_code == 404
    # the Japanese web font comes from the installed matplotlib-fontja (test extra), with its licence
    need_module("matplotlib_fontja")
    assert "@font-face" in client.get(f"/fonts.css?token={TOKEN}").text
    assert client.get(f"/font/ipaexg.ttf?token={TOKEN}").content[:4] == b"\x00\x01\x00\x00"
    assert "IPA" in client.get(f"/font/LICENSE.txt?token={TOKEN}").text
    assert client.get(f"/font/other.ttf?token={TOKEN}").status_code == 404
    assert client.post("/api/gradcheck", json={}).status_code == 403
    with pytest.raises(_denied()) as denied:
        with client.websocket_connect("ws://127.0.0.1:8000/ws?token=nope"):
            pass
    assert denied.value.status_code == 403 and b"needs its token" in denied.value.content


def test_host_and_origin_are_checked(client):
    rebound = client.get(f"/?token={TOKEN}", headers={"Host": "attacker.example:8000"})
    assert rebound.status_code == 403 and "Host header" in rebound.text
    for host in ("localhost:8000", "[::1]:8000", "127.0.0.2:8000"):
        assert client.get(f"/?token={TOKEN}", headers={"Host": host}).status_code == 200, host
    foreign = client.post(f"/api/gradcheck?token={TOKEN}", json={}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "another site" in foreign.text
    same = client.post(f"/api/gradcheck?token={TOKEN}", json={}, headers={"Origin": BASE})
    assert same.status_code == 400 and "session" in same.json()["error"]
    with pytest.raises(_denied()) as denied:
        with client.websocket_connect(WS, headers={"Origin": "http://evil.example"}):
            pass
    assert denied.value.status_code == 403


def test_host_rules():
    assert all(host_allowed(h) for h in ("127.0.0.1:80", "localhost", "[::1]:9", "127.8.9.10"))
    assert not any(host_allowed(h) for h in ("evil.example", "127.0.0.1.evil.example:80", "10.0.0.5:80", ""))
    # opened up with --host: that name and IP addresses (which DNS cannot re-point), never other names
    assert host_allowed("box.lan:8000", "box.lan") and host_allowed("192.168.1.9:8000", "0.0.0.0")
    assert not host_allowed("evil.example:8000", "0.0.0.0")


def test_sizes_rates_and_bad_messages_get_one_line(client):
    big = client.post(f"/api/upload?token={TOKEN}&session=x", content=b"0" * (5 * 1024 * 1024 + 1))
    assert big.status_code == 413 and "larger than" in big.text
    with client.websocket_connect(WS) as ws:
        ws.send_text("not json")
        assert json.loads(ws.receive_text()) == {"type": "error", "message": "message: not valid JSON"}
        ws.send_text(json.dumps({"type": "hello", "settings": {"units": 5}}))
        assert "unknown control(s) units" in json.loads(ws.receive_text())["message"]
        sid = _hello(ws, samples=100)
        ws.send_text(json.dumps({"type": "set", "settings": {"lr": "abc"}}))
        assert _next(ws, "error")["message"] == "lr: expected a number in [1e-05, 10], got 'abc'"
        ws.send_text("[" * 16_000)
        assert _next(ws, "error")["message"] == "message: not valid JSON"
        deep = client.post(f"/api/trace?token={TOKEN}", content=b"[" * 100_000)
        assert deep.status_code == 400 and "not valid JSON" in deep.json()["error"]
        ws.send_text("x" * 20_000)
        assert "at most 16,384" in _next(ws, "error")["message"]
        bad = client.post(f"/api/upload?token={TOKEN}&session={sid}",
                          content=b"x0,x1,label\n1,2,a\n3,oops,b\n",
                          headers={"X-Filename": "../../secret/data.csv"})
        assert bad.status_code == 400
        assert bad.json()["error"] == "data.csv, line 3, column 'x1': 'oops' is not a number"
        wide = client.post(f"/api/upload?token={TOKEN}&session={sid}", content=b"a,b,c,d\n1,2,3,0\n")
        assert "expected 2 numeric feature columns" in wide.json()["error"]
        rows = b"a,b,c\n" + b"0,1,2\n" * 100_001
        many = client.post(f"/api/upload?token={TOKEN}&session={sid}", content=rows)
        assert many.json()["error"] == "upload.csv: 100,001 rows; the playground takes at most 100,000"
        for _ in range(130):
            ws.send_text('{"type": "ack"}')
        assert "too many messages" in _next(ws, "error")["message"]
        good = client.post(f"/api/upload?token={TOKEN}&session={sid}",
                           content=b"x0,x1,label\n" + b"".join(f"{i % 7},{i % 5},{i % 2}\n".encode()
                                                               for i in range(40)))
        assert good.status_code == 200 and good.json()["settings"]["data"] == "csv"
        assert good.json()["change"]["rebuilt"] == "data"  # the page says the run was rebuilt on it
        session = client.app.sessions[sid]
        assert session.data.name == "upload" and len(session.data.x) == 40
        regression = client.post(f"/api/upload?token={TOKEN}&session={sid}", headers={"X-Filename": "f.csv"},
                                 content=b"x0,x1,y\n" + b"".join(f"{i},{i % 3},{i * 0.37}\n".encode()
                                                                  for i in range(30)))
        reply = regression.json()
        assert reply["task"] == "regression" and reply["settings"]["output"] == "identity"
        assert session.data.name == "f" and session.net.output == "identity"
    assert client.get(f"/?token={TOKEN}").status_code == 200  # the server keeps serving


def test_trace_equals_nnscratch_trace_and_gradcheck_and_downloads(client, tmp_path):
    with client.websocket_connect(WS) as ws:
        sid = _hello(ws, data="moons", samples=120, layers=[5, 3], activations=["relu", "sigmoid"])
        ws.send_text('{"type": "epoch"}')
        frame = _next(ws, "frame")
        while frame["step"] == 0:
            frame = _next(ws, "frame")
        got = client.post(f"/api/trace?token={TOKEN}", json={"session": sid, "part": "test", "index": 4,
                                                              "lang": "ja"}).json()
        check = client.post(f"/api/gradcheck?token={TOKEN}", json={"session": sid}).json()
        model = client.get(f"/api/model.npz?token={TOKEN}&session={sid}")
        script = client.get(f"/api/reproduce.py?token={TOKEN}&session={sid}")
    assert model.status_code == 200 and "playground_model.npz" in model.headers["content-disposition"]
    (tmp_path / "m.npz").write_bytes(model.content)
    loaded = nnscratch.load(tmp_path / "m.npz")
    net = loaded.network
    x, d = np.array(got["x"], dtype=np.float32), np.array(got["d"], dtype=np.float32)
    assert np.allclose(loaded.preprocessor.transform(np.array([got["raw"]]))[0], x, atol=1e-6)
    expected = nnscratch.trace(net, x, d=d, lr=got["lr"], lang="ja").to_text()
    assert got["text"] == expected and "偏微分_重み1" in got["text"]
    assert check["ok"] and set(check["errors"]) == set(net.params) and check["max"] < 1e-5
    (tmp_path / export.SCRIPT_NAME).write_text(script.text, encoding="utf-8")
    run = subprocess.run([sys.executable, export.SCRIPT_NAME], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "test loss=" in run.stdout, run.stderr
    assert nnscratch.load(tmp_path / export.MODEL_NAME).network.sizes == [2, 5, 3, 2]


# ---------------------------------------------------------------- the command


def test_command_prints_one_line_serves_the_page_and_stops_on_ctrl_c(tmp_path):
    need_module("uvicorn")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nnscratch.cli", "playground", "--no-browser", "--port", "0",
               "--lang", "en"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=env)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url, proc.stderr.read()
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and b'lang="en"' in page.read()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err
    bad = subprocess.run([sys.executable, "-m", "nnscratch.cli", "playground", "--port", "70000"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "expected a port number" in bad.stderr
    helped = subprocess.run([sys.executable, "-m", "nnscratch.cli", "playground", "--help"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: nnscratch playground")
    assert all(flag in helped.stdout for flag in ("--port", "--host", "--no-browser", "--lang"))


def test_a_run_that_diverges_by_itself_is_pushed_to_the_page(client):
    with client.websocket_connect(WS) as ws:
        _hello(ws, data="linear", lr=10, layers=[32, 32, 32], activations=["relu"])
        ws.send_text('{"type": "play"}')
        frame = _next(ws, "frame")
        while frame["diverged"] is None:  # no message from the page: the server sends the stop itself
            frame = _next(ws, "frame")
    assert not frame["running"] and frame["step"] == frame["diverged"]["kept"]
    assert frame["diverged"]["value"] in ("inf", "nan")
    assert all(np.isfinite(np.array(w, dtype=float)).all() for w in frame["weights"].values())


def test_the_reply_to_a_change_says_whether_it_rebuilt_the_run_or_applied_live(client):
    with client.websocket_connect(WS) as ws:
        _hello(ws, data="xor", samples=100, lr=0.1)
        ws.send_text('{"type": "play"}')
        _next(ws, "frame")
        ws.send_text(json.dumps({"type": "set", "settings": {"lr": 0.05, "batch": "full"}}))
        live = _next(ws, "settings")["change"]
        assert live["rebuilt"] is None and live["fields"] == ["lr", "batch"] and not live["stopped"]
        ws.send_text(json.dumps({"type": "set", "settings": {"data": "linear"}}))
        change = _next(ws, "settings")["change"]  # a regression set: the output follows the data
        assert change == {"rebuilt": "data", "fields": ["data", "output"], "stopped": True, "step": 0}
        ws.send_text(json.dumps({"type": "set", "settings": {"layers": [3], "activations": ["relu"]}}))
        change = _next(ws, "settings")["change"]
        assert change == {"rebuilt": "network", "fields": ["layers", "activations"], "stopped": False,
                          "step": 0}
        ws.send_text(json.dumps({"type": "set", "settings": {"speed": "10"}}))
        assert _next(ws, "settings")["change"]["rebuilt"] is None


def test_a_page_beyond_the_limit_is_told_the_reason(client):
    from starlette.websockets import WebSocketDisconnect

    from nnscratch.playground.app import MAX_SESSIONS

    with contextlib.ExitStack() as pages:
        for _ in range(MAX_SESSIONS):
            _hello(pages.enter_context(client.websocket_connect(WS)), samples=50)
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(WS) as ws:
            ws.receive_text()  # accepted, then closed at once: the page's script reads the reason
        assert closed.value.code == 1013
        assert closed.value.reason == f"at most {MAX_SESSIONS} pages at once; close one, then reload"
