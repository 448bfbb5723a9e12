"""Ctrl-C and kills at random moments: a saved file always matches what it records, a start-up
interruption is one line, and no temporary file is left behind.

Each test runs at least 20 trials through the real entry point (``python -m nnscratch.cli``) with the
signal sent after a random delay; the delays are drawn from a seeded generator so a failure reproduces.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nnscratch import io
from nnscratch.network import Network
from nnscratch.training import Trainer

TRIALS = 20


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nnscratch.cli", *args]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")


def temporaries(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp"))


# ---------------------------------------------------------------- stream: never a torn update

N_FEATURES, N_CLASSES = 64, 10


def stream_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows whose values are multiples of 1/16, so the CSV text gives exactly the same float32 numbers."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, (n, N_FEATURES)) / 16
    y = rng.integers(0, N_CLASSES, n)
    header = ",".join([*(f"f{i}" for i in range(N_FEATURES)), "y"])
    body = "".join(",".join([*(f"{v:g}" for v in row), str(k)]) + "\n" for row, k in zip(x, y, strict=True))
    return x, y, header + "\n" + body


def replay(start: Network, x: np.ndarray, y: np.ndarray, optimizer: str, lr: float) -> Network:
    net = start.copy()
    trainer = Trainer(net, optimizer=optimizer, lr=lr)
    for row, label in zip(x, y, strict=True):
        trainer.step(row[None, :].astype(np.float32), np.array([label]))
    return net


@pytest.fixture(scope="module")
def big_model(tmp_path_factory):
    """A 64-512-512-10 model: a step takes long enough for a signal to land inside it."""
    folder = tmp_path_factory.mktemp("big")
    net = Network([N_FEATURES, 512, 512, N_CLASSES], hidden="relu", output="softmax", seed=0)
    meta = {"feature_names": [f"f{i}" for i in range(N_FEATURES)], "target": "y",
            "target_names": [str(k) for k in range(N_CLASSES)], "preprocess": {"kind": "none"}}
    io.save(net, folder / "start.npz", metadata=meta)
    x, y, text = stream_rows(4000, seed=1)
    (folder / "rows.csv").write_text(text)
    return folder, net, x, y


def test_stream_interrupted_at_random_moments_saves_exactly_the_rows_it_records(big_model, tmp_path):
    folder, start, x, y = big_model
    rng = np.random.default_rng(7)
    for trial in range(TRIALS):
        optimizer = ("sgd", "adam")[trial % 2]  # the fused path (layer by layer) and the buffered one
        model = tmp_path / f"m{trial}.npz"
        model.write_bytes((folder / "start.npz").read_bytes())
        args = ("stream", model.name, "--optimizer", optimizer, "--every", "10", "--save-every", "100000")
        with open(folder / "rows.csv") as rows:
            proc = subprocess.Popen(cli(*args), cwd=tmp_path, stdin=rows, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env())
            try:
                first = proc.stdout.readline()  # learning has started
                assert first.startswith("rows"), first + proc.stderr.read()
                time.sleep(rng.uniform(0.0, 0.25))
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
        assert "Traceback" not in err, err
        saved, meta = io.load_with_metadata(model)
        n = meta["stream"]["rows"]
        if proc.returncode == 0:  # the input ran out before the signal: every row was learned
            assert n == len(x)
        else:
            assert proc.returncode == 130, err
            assert re.search(rf"interrupted: saved {model.name} after {n:,} rows", err), err
        expected = replay(start, x[:n], y[:n], optimizer, 0.01)
        for key, value in saved.params.items():
            assert np.array_equal(value, expected.params[key]), (
                f"trial {trial} ({optimizer}): {key} does not equal the model after exactly {n} rows"
            )
        assert temporaries(tmp_path) == []


def _stream_until_signals(folder, tmp_path, name: str, signals: list[int], gap: float, delay: float):
    """``nnscratch stream`` on a copy of the start model, sent ``signals`` (``gap`` seconds apart at most)
    ``delay`` seconds after it printed its first running loss; (process, stderr, rows saved, model)."""
    model = tmp_path / name
    model.write_bytes((folder / "start.npz").read_bytes())
    args = ("stream", model.name, "--every", "10", "--save-every", "100000")
    rng = np.random.default_rng(len(signals))
    with open(folder / "rows.csv") as rows:
        proc = subprocess.Popen(cli(*args), cwd=tmp_path, stdin=rows, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env())
        try:
            first = proc.stdout.readline()  # learning has started
            assert first.startswith("rows"), first + proc.stderr.read()
            time.sleep(delay)
            for sig in signals:
                if proc.poll() is not None:
                    break
                proc.send_signal(sig)
                time.sleep(rng.uniform(0.0, gap))
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    saved, meta = io.load_with_metadata(model)
    return proc, err, meta["stream"]["rows"], saved


@pytest.mark.parametrize("sig, status, said", [(signal.SIGTERM, 143, "interrupted by SIGTERM"),
                                               (signal.SIGHUP, 129, "interrupted by SIGHUP")])
def test_stream_stopped_by_sigterm_or_sighup_saves_every_row_learned(big_model, tmp_path, sig, status, said):
    """SIGTERM (kill, a service manager) and SIGHUP (the terminal closed) stop ``stream`` as Ctrl-C does:
    the rows learned since the last save are saved, one line, 128 + the signal's number."""
    folder, start, x, y = big_model
    rng = np.random.default_rng(int(sig))
    for trial in range(5):
        proc, err, n, saved = _stream_until_signals(folder, tmp_path, f"m{trial}.npz", [sig], 0.0,
                                                    rng.uniform(0.05, 0.25))
        assert proc.returncode == status, err
        assert err == f"{said}: saved m{trial}.npz after {n:,} rows\n", err
        assert 0 < n < len(x)  # saved mid-input, although --save-every is never reached
        expected = replay(start, x[:n], y[:n], "sgd", 0.01)
        assert all(np.array_equal(v, expected.params[k]) for k, v in saved.params.items()), trial
        assert temporaries(tmp_path) == []


def test_a_storm_of_ctrl_c_is_one_line_and_status_130(big_model, tmp_path):
    """Hundreds of SIGINTs in a row (a key held down, a script's loop): the first stops the stream, the
    rest are ignored while it saves and leaves — one line, status 130, never a traceback or a death by
    the signal (-2); a SIGTERM in the storm does not change the status the first signal gave."""
    folder, start, x, y = big_model
    rng = np.random.default_rng(5)
    for trial in range(8):
        storm = [signal.SIGINT] * 300
        if trial % 2:
            storm[150] = signal.SIGTERM
        gap = 0.001 * (trial % 3)  # back to back, or up to 1 or 2 ms apart
        proc, err, n, saved = _stream_until_signals(folder, tmp_path, f"m{trial}.npz", storm, gap,
                                                    rng.uniform(0.0, 0.2))
        assert proc.returncode == 130, (trial, proc.returncode, err)
        assert err == f"interrupted: saved m{trial}.npz after {n:,} rows\n", err
        expected = replay(start, x[:n], y[:n], "sgd", 0.01)
        assert all(np.array_equal(v, expected.params[k]) for k, v in saved.params.items()), trial
        assert temporaries(tmp_path) == []


def test_train_stopped_by_sigterm_is_one_line_and_143(tmp_path):
    """Every command stops on SIGTERM as on Ctrl-C: here train, in the middle of its epochs."""
    args = ("train", "--data", "xor", "--units", "64", "--epochs", "100000", "--batch-size", "1", "--no-save",
            "--checkpoint", "ck.npz")
    proc = subprocess.Popen(cli(*args), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env())
    try:
        first = proc.stdout.readline()  # the header: training has started
        assert first.startswith("training "), first + proc.stderr.read()
        deadline = time.monotonic() + 30
        while not (tmp_path / "ck.npz").exists() and time.monotonic() < deadline:  # an epoch is done
            time.sleep(0.02)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "nnscratch: interrupted by SIGTERM" and "Traceback" not in err
    io.load_checkpoint(tmp_path / "ck.npz")  # the last checkpoint is whole
    assert temporaries(tmp_path) == []


# ---------------------------------------------------------------- train: complete files only


def test_train_interrupted_or_killed_leaves_only_complete_files(tmp_path):
    rng = np.random.default_rng(11)
    args = ("train", "--data", "xor", "--units", "8", "--epochs", "15", "--batch-size", "16", "--quiet",
            "--save", "m.npz", "--checkpoint", "ck.npz")
    start = time.perf_counter()
    assert subprocess.run(cli(*args), cwd=tmp_path, capture_output=True, env=env()).returncode == 0
    duration = time.perf_counter() - start
    outcomes = set()
    for trial in range(TRIALS):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        sig = (signal.SIGINT, signal.SIGKILL)[trial % 2]
        proc = subprocess.Popen(cli(*args), cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env())
        time.sleep(rng.uniform(0.1, duration))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        outcomes.add(proc.returncode)
        if os.path.exists(folder / "m.npz"):
            net, meta = io.load_with_metadata(folder / "m.npz")
            assert net.sizes == [2, 8, 2] and meta["training"]["epochs"] == 15
        if os.path.exists(folder / "ck.npz"):
            io.load_checkpoint(folder / "ck.npz")
        if sig == signal.SIGINT:
            assert "Traceback" not in err, err
            # -SIGINT: the signal came before the interpreter had installed its handler
            assert proc.returncode in (0, 130, -signal.SIGINT), err
            if proc.returncode == 130:
                assert err.strip().splitlines()[-1] == "nnscratch: interrupted", err
            assert temporaries(folder) == [], trial
    assert outcomes & {130, -signal.SIGKILL}, outcomes  # the signals did land during the runs


# ---------------------------------------------------------------- start-up: one line, status 130


# What the console script does (``from nnscratch.cli import main; sys.exit(main())``), with a timer that
# sends SIGINT to the process itself after a random delay. Before ``main`` runs, only the interpreter's
# own start-up and two small package files run; no CLI can catch a signal there.
ENTRY = """
import os, signal, sys, threading, time
import nnscratch.cli
heavy = sorted(m for m in ("numpy", "argparse", "nnscratch.network") if m in sys.modules)
assert not heavy, f"imported before main(): {heavy}"
timer = threading.Timer(float(sys.argv[1]), os.kill, (os.getpid(), signal.SIGINT))
timer.daemon = True
timer.start()
sys.argv[1:] = ["gradcheck", "--layers", "2-3-1"]
sys.exit(nnscratch.cli.main())
"""


def test_ctrl_c_during_start_up_is_one_line_and_status_130(tmp_path):
    """SIGINT while the entry point imports NumPy (and the rest), or at any later moment: one line, 130."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", ENTRY, "1000"], cwd=tmp_path, capture_output=True, text=True)
    duration = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    rng = np.random.default_rng(3)
    interrupted = 0
    for _ in range(TRIALS):
        delay = rng.uniform(0.0, duration)
        proc = subprocess.run([sys.executable, "-c", ENTRY, str(delay)], cwd=tmp_path, capture_output=True,
                              text=True, env=env(), timeout=60)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 130), (delay, proc.returncode, proc.stderr)
        if proc.returncode == 130:
            interrupted += 1
            assert proc.stderr == "nnscratch: interrupted\n", proc.stderr
    assert interrupted >= TRIALS // 4, interrupted  # most delays fall inside the run


def test_importing_the_command_line_imports_nothing_heavy():
    code = "import sys, nnscratch.cli; print(sorted(m for m in ('numpy', 'argparse') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
