"""The CLI's hardening: one guard for every written path, no data opened on a model file's say-so,
a diverging stream row named by its line, and a resumed run that records the rate it used."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from nnscratch import io
from nnscratch.network import Network


def run(*args: str, cwd, input: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, NNSCRATCH_DATA=str(cwd / ".nnscratch-data"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "nnscratch.cli", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=120, env=env)


def refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnscratch: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trained xor model, a checkpoint, a data CSV, an earlier prediction, a foreign .npz, a PNG."""
    folder = tmp_path_factory.mktemp("files")
    result = run("train", "--data", "xor", "--units", "4", "--epochs", "2", "--quiet", "--save", "model.npz",
                 "--checkpoint", "ck.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    (folder / "rows.csv").write_text("x0,x1\n0.5,-0.5\n-1,1\n")
    (folder / "old-pred.csv").write_text("class\n0\n")
    np.savez(folder / "arrays.npz", x=np.zeros((3, 2)), y=np.zeros(3))
    (folder / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (folder / "notes.txt").write_text("my notes\n")
    return folder


@pytest.fixture
def work(tmp_path, files):
    for p in files.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    return tmp_path


REFUSED = [
    (["predict", "model.npz", "rows.csv", "-o", "model.npz"],
     ["--output", "is an nnscratch model", "refusing"]),
    (["predict", "model.npz", "rows.csv", "-o", "ck.npz"], ["--output", "training checkpoint", "refusing"]),
    (["predict", "model.npz", "rows.csv", "-o", "arrays.npz"], ["--output", "NumPy archive", "refusing"]),
    (["predict", "model.npz", "rows.csv", "-o", "figure.png"], ["--output", "a PNG image", "refusing"]),
    (["predict", "model.npz", "rows.csv", "-o", "rows.csv"], ["--output", "also an input"]),
    (["predict", "model.npz", "rows.csv", "-o", "."], ["--output", "is a directory"]),
    (["predict", "model.npz", "rows.csv", "-o", "nowhere/p.csv"], ["--output", "does not exist"]),
    (["train", "--data", "xor", "--save", "ck.npz"],
     ["--save", "training checkpoint, not an nnscratch model"]),
    (["train", "--data", "xor", "--save", "rows.csv"], ["--save", "not an nnscratch model", "refusing"]),
    (["train", "--data", "xor", "--save", "m.npz", "--checkpoint", "model.npz"],
     ["--checkpoint", "is an nnscratch model, not an nnscratch training checkpoint"]),
    (["train", "--data", "arrays.npz", "--save", "arrays.npz"], ["--save", "not an nnscratch model"]),
    (["train", "--data", "xor", "--save", ""], ["--save", "empty string"]),
    (["stream", "model.npz", "--out", "rows.csv"], ["--out", "not an nnscratch model"]),
    (["stream", "model.npz", "--out", "ck.npz"], ["--out", "training checkpoint, not an nnscratch model"]),
    (["stream", "ck.npz", "--target", "y"], ["MODEL", "training checkpoint, not an nnscratch model"]),
    (["plot", "activations", "--out", "notes.txt"], ["--out", "a text file, not a PNG or SVG image"]),
    (["plot", "activations", "--out", "model.npz"], ["--out", "is an nnscratch model, not a PNG or SVG"]),
    (["plot", "activations", "--out", "nowhere/f.png"], ["--out", "does not exist"]),
]


@pytest.mark.parametrize("args, fragments", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_every_written_path_goes_through_the_guard(work, args, fragments):
    stdin = "x0,x1,y\n0.5,0.5,0\n" if args[0] == "stream" else None
    before = digest(work)
    result = run(*args, cwd=work, input=stdin)
    refused(result, *fragments)
    assert digest(work) == before  # nothing written, nothing replaced, no file left behind


def test_a_fifo_is_refused_without_blocking(work):
    os.mkfifo(work / "pipe.csv")
    refused(run("predict", "model.npz", "rows.csv", "-o", "pipe.csv", cwd=work), "--output", "FIFO")
    refused(run("train", "--data", "xor", "--save", "pipe.csv", cwd=work), "--save", "FIFO")
    os.unlink(work / "pipe.csv")


def test_a_device_is_refused(work):
    """A private null device (never the system's /dev/null: a guard that failed would replace it)."""
    try:
        os.mknod(work / "null.csv", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    refused(run("predict", "model.npz", "rows.csv", "-o", "null.csv", cwd=work), "--output", "is a device")
    assert stat.S_ISCHR(os.stat(work / "null.csv").st_mode)
    os.unlink(work / "null.csv")


def test_outputs_of_the_same_kind_are_replaced(work):
    predicted = run("predict", "model.npz", "rows.csv", "-o", "old-pred.csv", cwd=work)
    assert predicted.returncode == 0, predicted.stderr
    assert (work / "old-pred.csv").read_text().startswith("class\n")
    again = run("train", "--data", "xor", "--units", "4", "--epochs", "1", "--quiet", "--save", "model.npz",
                "--checkpoint", "ck.npz", cwd=work)
    assert again.returncode == 0, again.stderr
    io.load_checkpoint(work / "ck.npz")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_folder_without_write_permission_is_refused(work):
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        refused(run("predict", "model.npz", "rows.csv", "-o", "locked/p.csv", cwd=work), "not writable")
    finally:
        locked.chmod(0o755)


def test_the_guard_refuses_a_folder_it_may_not_write(tmp_path, monkeypatch):
    """In-process, so that it also runs as root (for whom every folder is writable)."""
    from nnscratch.cli import _files

    real = os.access
    monkeypatch.setattr(
        _files.os, "access", lambda p, mode: False if os.fspath(p) == str(tmp_path) else real(p, mode)
    )
    with pytest.raises(ValueError, match=r"^--save: cannot write .*the directory .* is not writable"):
        _files.check_output(str(tmp_path / "m.npz"), "--save", _files.MODEL)


# ---------------------------------------------------------------- evaluate: a model's data field


def model_recording(folder, name: str, data: str) -> None:
    net = Network([2, 3, 2], output="softmax", seed=0)
    meta = {"data": data, "task": "classification", "feature_names": ["x0", "x1"], "target_names": ["0", "1"],
            "preprocess": {"kind": "none"}}
    io.save(net, folder / name, metadata=meta)


@pytest.mark.parametrize("data", ["mnist", "secret.txt", "/etc/hostname", "../x.csv"])
def test_evaluate_opens_no_path_or_download_named_inside_a_model(tmp_path, data):
    (tmp_path / "secret.txt").write_text("password,hunter2\n1,2\n")
    model_recording(tmp_path, "m.npz", data)
    result = run("evaluate", "m.npz", cwd=tmp_path)
    refused(result, "--data", "not a generated or bundled data set", "pass --data")
    assert "hunter2" not in result.stderr and "password" not in result.stderr
    assert not (tmp_path / ".nnscratch-data").exists()  # nothing was downloaded


def test_evaluate_uses_a_generated_data_set_named_inside_a_model(tmp_path):
    trained = run("train", "--data", "moons", "--units", "4", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    result = run("evaluate", "model.npz", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"] == "moons (held-out test part)"


# ---------------------------------------------------------------- stream: the diverging row's line


def test_a_diverging_stream_row_is_named_by_its_line(tmp_path):
    trained = run("train", "--data", "linear", "--units", "4", "--epochs", "2", "--quiet",
                  "--save", "lin.npz", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    rows = ["x0,x1,f(x)"] + [f"{i / 100:.2f},0.5,{3 * i / 100 + 1:.2f}" for i in range(60)]
    rows[53] = "0.5,1e30,1"  # the 53rd data row, on line 54 of the input
    before = (tmp_path / "lin.npz").read_bytes()
    result = run("stream", "lin.npz", "--quiet", cwd=tmp_path, input="\n".join(rows) + "\n")
    refused(result, "<stdin>, line 54:", "diverged at step 53")
    assert (tmp_path / "lin.npz").read_bytes() == before  # the file keeps its last save


# ---------------------------------------------------------------- train --resume and the learning rate


def test_resume_keeps_the_checkpoints_rate_and_records_it(tmp_path):
    common = ("train", "--data", "moons", "--units", "4", "--quiet", "--checkpoint", "ck.npz",
              "--save", "m.npz")
    first = run(*common, "--epochs", "2", "--optimizer", "sgd", "--lr", "0.05", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert io.load_with_metadata(tmp_path / "m.npz")[1]["training"]["lr"] == 0.05

    other = run(*common, "--epochs", "4", "--optimizer", "sgd", "--resume", "--lr", "0.5", cwd=tmp_path)
    refused(other, "--lr: 0.5 differs from the learning rate 0.05 of the checkpoint 'ck.npz'",
            "leave out --lr")
    wrong = run(*common, "--epochs", "4", "--resume", cwd=tmp_path)  # --optimizer defaults to adam
    refused(wrong, "--optimizer", "written by 'sgd', not 'adam'", "--optimizer sgd")

    resumed = run(*common, "--epochs", "4", "--optimizer", "sgd", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    meta = io.load_with_metadata(tmp_path / "m.npz")[1]
    assert meta["training"]["lr"] == 0.05 and meta["training"]["epochs"] == 4
    assert meta["history"]["lr"] == [0.05] * 4
    same = run(*common, "--epochs", "5", "--optimizer", "sgd", "--resume", "--lr", "0.05", cwd=tmp_path)
    assert same.returncode == 0, same.stderr


def test_the_default_rate_is_recorded_as_the_number_used(tmp_path):
    result = run("train", "--data", "xor", "--units", "4", "--epochs", "1", "--optimizer", "momentum",
                 "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert io.load_with_metadata(tmp_path / "model.npz")[1]["training"]["lr"] == 0.01


def test_predict_on_a_stream_answers_each_block_before_the_input_ends(work):
    """``predict -`` reads, predicts and writes in blocks: an endless stream keeps answering (the first
    block's predictions arrive while standard input is still open) in bounded memory."""
    from nnscratch.datasets._table import CHUNK_ROWS

    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch.cli", "predict", "model.npz", "-"], cwd=work,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        proc.stdin.write(b"x0,x1\n" + b"0.5,-0.5\n" * CHUNK_ROWS)
        proc.stdin.flush()
        lines = [proc.stdout.readline() for _ in range(CHUNK_ROWS + 1)]  # header + one block, stdin open
        assert lines[0].strip() and all(line.strip() == lines[1].strip() for line in lines[1:])
        assert proc.poll() is None
        proc.stdin.write(b"-1,1\n")
        proc.stdin.close()
        rest = proc.stdout.read().splitlines()
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
        assert len(rest) == 1
    finally:
        proc.kill()
        proc.wait()


def test_predict_to_a_file_writes_nothing_when_a_later_row_is_bad(work):
    from nnscratch.datasets._table import CHUNK_ROWS

    (work / "long.csv").write_text("x0,x1\n" + "0.5,-0.5\n" * (CHUNK_ROWS + 5) + "oops,1\n")
    before = digest(work)
    result = run("predict", "model.npz", "long.csv", "-o", "out.csv", cwd=work)
    refused(result, f"line {CHUNK_ROWS + 7}")
    assert digest(work) == before  # no out.csv, no temporary left
