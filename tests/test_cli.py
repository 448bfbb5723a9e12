"""The ``nnscratch`` command line, end to end through the real entry point (a subprocess per command)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nnscratch import datasets, io

COMMANDS = ["train", "evaluate", "predict", "summary", "datasets", "gradcheck", "stream"]


def run(*args: str, cwd, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, NNSCRATCH_DATA=str(cwd / ".nnscratch-data"), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "nnscratch.cli", *args], cwd=cwd, input=input, capture_output=True,
        text=True, timeout=timeout, env=env,
    )


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def assert_clean_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nnscratch"), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write_animals_csv(path, seed=1, n=200, columns=None) -> None:
    data = datasets.animals(n_samples=n, seed=seed)
    names = columns or data.feature_names
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*names, "animal"])
        for x, y in zip(data.x, data.y, strict=True):
            row = dict(zip(data.feature_names, x, strict=True))
            w.writerow([f"{row[n]:.4g}" for n in names] + [data.target_names[y]])


# ---------------------------------------------------------------- the main job


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    """``nnscratch train`` with no arguments, exactly as a new user runs it (output piped)."""
    cwd = tmp_path_factory.mktemp("main")
    start = time.perf_counter()
    result = run("train", cwd=cwd)
    return cwd, result, time.perf_counter() - start


def test_main_job_reaches_97_percent_on_digits(main_job):
    cwd, result, seconds = main_job
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("training 64-100-10 (relu, softmax) on digits")
    epochs = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert len(epochs) == 60 and "\r" not in out            # piped: one line per epoch
    assert epochs[-1].startswith("epoch 60/60")
    test_row = next(line for line in out.splitlines() if line.startswith("test "))
    accuracy = float(re.search(r"([\d.]+)%", test_row).group(1)) / 100
    assert accuracy >= 0.97, out
    assert re.search(r"^time [\d.]+ s \(60 epochs", out, re.M)
    assert "model saved to model.npz" in out
    assert seconds < 30, f"the main job took {seconds:.1f} s"
    net, meta = io.load_with_metadata(cwd / "model.npz")
    assert net.sizes == [64, 100, 10] and net.hidden == ["relu"] and net.output == "softmax"
    assert meta["data"] == "digits" and meta["target_names"] == [str(i) for i in range(10)]
    assert meta["preprocess"] == {"kind": "scale", "scale": 16.0}
    assert meta["metrics"]["test"]["accuracy"] == pytest.approx(accuracy, abs=5e-5)
    assert meta["training"]["optimizer"] == "adam"


def test_evaluate_summary_predict_on_the_main_model(main_job):
    cwd, result, _ = main_job
    meta = io.load_with_metadata(cwd / "model.npz")[1]
    ev = run("evaluate", "model.npz", "--json", cwd=cwd)
    assert ev.returncode == 0, ev.stderr
    report = json.loads(ev.stdout)
    assert report["data"] == "digits (held-out test part)"
    assert report["samples"] == meta["metrics"]["test"]["samples"]
    assert report["accuracy"] == pytest.approx(meta["metrics"]["test"]["accuracy"], abs=1e-9)
    whole = json.loads(run("evaluate", "model.npz", "--data", "digits", "--json", cwd=cwd).stdout)
    assert whole["samples"] == 1797 and whole["accuracy"] > 0.97

    summary = run("summary", "model.npz", cwd=cwd)
    assert summary.returncode == 0
    for fragment in ("Network 64-100-10", "64 -> 100", "total parameters: 7,510", "classes        10",
                     "x / 16", "adam lr=0.001"):
        assert fragment in summary.stdout

    # raw rows in (grey levels 0-16, as in the data set), class names out; .npz file and CSV on stdin
    digits = datasets.digits()
    np.savez(cwd / "rows.npz", x=digits.x[:20])
    pred = run("predict", "model.npz", "rows.npz", cwd=cwd)
    assert pred.returncode == 0, pred.stderr
    lines = pred.stdout.splitlines()
    assert lines[0] == "class" and len(lines) == 21
    assert np.mean([int(v) for v in lines[1:]] == digits.y[:20]) >= 0.9
    header = ",".join(digits.feature_names)
    body = "\n".join(",".join(f"{v:g}" for v in row) for row in digits.x[:5])
    stdin = run("predict", "model.npz", "-", "--proba", cwd=cwd, input=f"{header}\n{body}\n")
    assert stdin.returncode == 0, stdin.stderr
    rows = list(csv.reader(stdin.stdout.splitlines()))
    assert rows[0] == ["class"] + [f"p({k})" for k in range(10)]
    for row in rows[1:]:
        p = np.array(row[1:], dtype=float)
        assert abs(p.sum() - 1) < 1e-4 and row[0] == str(int(np.argmax(p)))


def test_live_bar_on_a_terminal(tmp_path):
    import pty

    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnscratch.cli", "train", "--data", "xor", "--epochs", "3", "--no-save"],
        cwd=tmp_path, stdout=slave, stderr=slave, env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert re.search(r"\repoch 3/3\s+\[█+\]", text)     # redrawn in place with a bar
    assert text.count("\n", text.index("epoch 1/3"), text.index("epoch 3/3")) == 0


def test_quiet_json_and_regression(tmp_path):
    result = run("train", "--data", "linear", "--units", "10", "--lr", "0.01", "--quiet", "--json", "--save",
                 "lin.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["task"] == "regression" and report["layers"] == "2-10-1" and report["saved"] == "lin.npz"
    assert report["test"]["r2"] > 0.9 and set(report["test"]) == {"loss", "rmse", "r2", "samples"}
    pred = run("predict", "lin.npz", "-", cwd=tmp_path, input="x1,x0\n0.25,0.5\n0.75,0.1\n")
    values = [float(v) for v in pred.stdout.splitlines()[1:]]
    assert pred.stdout.startswith("f(x)\n")
    np.testing.assert_allclose(values, [2.0, 1.8], atol=0.3)   # columns matched by name, raw units out


# ---------------------------------------------------------------- a CSV data set with class names


@pytest.fixture(scope="module")
def animals(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("animals")
    write_animals_csv(cwd / "animals.csv")
    result = run("train", "--data", "animals.csv", "--target", "animal", "--units", "16", "--epochs", "40",
                 "--save", "animals.npz", "--quiet", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd, result


def test_csv_training_keeps_class_names_and_preprocessing(animals):
    cwd, result = animals
    test_row = next(line for line in result.stdout.splitlines() if line.startswith("test "))
    assert float(re.search(r"([\d.]+)%", test_row).group(1)) > 90
    # raw rows, columns in another order and an extra id column: matched by name
    query = "id,teeth,legs,fur_length_cm,body_area_m2\n1,30,4,3,0.2\n2,42,4,5,0.7\n3,0,2,0,0.08\n"
    query += "4,40,4,1.5,4.4\n"
    (cwd / "query.csv").write_text(query)
    out = run("predict", "animals.npz", "query.csv", "--proba", "-o", "pred.csv", cwd=cwd)
    assert out.returncode == 0 and out.stdout == ""
    rows = list(csv.reader(open(cwd / "pred.csv")))
    assert rows[0] == ["animal", "p(cat)", "p(chicken)", "p(dog)", "p(horse)"]
    assert [r[0] for r in rows[1:]] == ["cat", "dog", "chicken", "horse"]
    ev = run("evaluate", "animals.npz", "--data", "animals.csv", cwd=cwd)
    assert ev.returncode == 0 and "evaluation" in ev.stdout


def test_datasets_gradcheck_version_and_help(tmp_path):
    listing = run("datasets", cwd=tmp_path)
    assert listing.returncode == 0
    for name in datasets.names():
        assert re.search(rf"^{name}\s", listing.stdout, re.M)
    assert re.search(r"^digits\s+classification\s+1,797\s+64\s+10\s+scikit-learn", listing.stdout, re.M)
    assert re.search(r"^mnist\s+classification\s+70,000\s+784", listing.stdout, re.M)

    # nothing downloaded yet: the listing says so and promises no ✓ it does not show
    assert "✓" not in listing.stdout
    assert re.search(r"^mnist\s.*\sdownload, not cached\s", listing.stdout, re.M)
    mnist_cache = tmp_path / ".nnscratch-data" / "mnist"
    mnist_cache.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (mnist_cache / name).write_bytes(b"")
    cached = run("datasets", cwd=tmp_path).stdout
    assert re.search(r"^mnist\s.*\sdownload, cached ✓\s", cached, re.M)
    assert re.search(r"^fashion_mnist\s.*\sdownload, not cached\s", cached, re.M)
    assert "(✓ = in the cache now)" in cached

    ok = run("gradcheck", "--layers", "2-3-3-1", cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.count(" ok") == 6 and "all 6 gradients agree" in ok.stdout
    soft = run("gradcheck", "--layers", "4-5-3", "--hidden", "tanh", "--output", "softmax", cwd=tmp_path)
    assert soft.returncode == 0, soft.stdout
    strict = run("gradcheck", "--layers", "2-3-1", "--tol", "1e-300", cwd=tmp_path)
    assert strict.returncode == 1 and "FAILED" in strict.stdout

    version = run("--version", cwd=tmp_path)
    assert version.returncode == 0 and re.fullmatch(r"nnscratch \d+\.\d+\.\d+\S*\n", version.stdout)
    top = run("--help", cwd=tmp_path)
    assert top.returncode == 0
    for command in COMMANDS:
        assert command in top.stdout
        sub = run(command, "--help", cwd=tmp_path)
        assert sub.returncode == 0 and sub.stdout.startswith(f"usage: nnscratch {command}"), command


def test_help_imports_nothing_heavy(tmp_path):
    code = (
        "import sys, time; t = time.perf_counter(); from nnscratch import cli; cli.build_parser(); "
        "print(sorted(m for m in ('sklearn', 'matplotlib', 'torch') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_checkpoint_resume_and_early_stopping(tmp_path):
    first = run("train", "--data", "moons", "--epochs", "3", "--checkpoint", "ck.npz", "--save", "m.npz",
                "--quiet", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    more = run("train", "--data", "moons", "--epochs", "5", "--checkpoint", "ck.npz", "--resume", "--save",
               "m.npz", "--quiet", "--json", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert json.loads(more.stdout)["epochs"] == 5
    assert io.load_with_metadata(tmp_path / "m.npz")[1]["training"]["epochs"] == 5
    early = run("train", "--data", "xor", "--epochs", "500", "--early-stopping", "3", "--quiet", "--json",
                "--no-save", cwd=tmp_path)
    assert early.returncode == 0 and json.loads(early.stdout)["epochs"] < 500
    missing = run("train", "--data", "xor", "--checkpoint", "none.npz", "--resume", cwd=tmp_path)
    assert_clean_error(missing, "--resume", "none.npz")


def test_existing_model_is_replaced_by_a_complete_one(tmp_path):
    assert run("train", "--data", "xor", "--epochs", "2", "--quiet", cwd=tmp_path).returncode == 0
    before = sha(tmp_path / "model.npz")
    again = run("train", "--data", "circles", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert again.returncode == 0
    assert sha(tmp_path / "model.npz") != before
    assert io.load_with_metadata(tmp_path / "model.npz")[1]["data"] == "circles"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files left


# ---------------------------------------------------------------- bad input


@pytest.fixture
def bad_dir(tmp_path, animals):
    """A directory with an existing model and some broken files; every file's hash is recorded."""
    src, _ = animals
    (tmp_path / "model.npz").write_bytes((src / "animals.npz").read_bytes())
    write_animals_csv(tmp_path / "data.csv", n=40)
    (tmp_path / "nonnum.csv").write_text("a,b,y\n1,2,0\n3,abc,1\n")
    (tmp_path / "textcol.csv").write_text("animal,legs,teeth\ncat,4,30\ndog,4,42\n")
    (tmp_path / "emptycell.csv").write_text("a,b,y\n1,2,0\n3,,1\n")
    (tmp_path / "nan.csv").write_text("a,b,y\n1,2,0\n4,5,1\nNaN,3,1\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "wrongcols.csv").write_text("a,b\n1,2\n")
    good = (src / "animals.npz").read_bytes()
    (tmp_path / "corrupt.npz").write_bytes(good[: len(good) // 2])
    np.savez(tmp_path / "foreign.npz", weights=np.zeros(3))
    hashes = {p.name: sha(p) for p in tmp_path.iterdir()}
    yield tmp_path
    assert {p.name: sha(p) for p in tmp_path.iterdir() if p.name in hashes} == hashes, "a file was changed"
    assert not [p.name for p in tmp_path.iterdir() if p.name not in hashes], "a file was created"


BAD = [
    (["train", "--data", "digitz"], ["unknown data set 'digitz'", "digits", "iris"]),
    (["train", "--data", "nonnum.csv"], ["nonnum.csv, line 3, column 'b'", "'abc' is not a number"]),
    (["train", "--data", "textcol.csv"], ["textcol.csv, line 2, column 'animal'", "--target animal"]),
    (["train", "--data", "data.csv", "--target", "species"],
     ["no column 'species'", "the columns are: body_area_m2, legs, fur_length_cm, teeth, animal"]),
    (["train", "--data", "emptycell.csv"], ["emptycell.csv, line 3, column 'b': empty cell"]),
    (["train", "--data", "nan.csv"], ["nan.csv, line 4, column 'a'", "not a finite number"]),
    (["train", "--data", "empty.csv"], ["empty.csv: empty file"]),
    (["train", "--lr", "0"], ["--lr", "positive"]),
    (["train", "--lr", "-0.1"], ["--lr", "positive"]),
    (["train", "--epochs", "0"], ["--epochs", "positive integer"]),
    (["train", "--batch-size", "0"], ["--batch-size", "positive integer"]),
    (["train", "--batch-size", "-5"], ["--batch-size"]),
    (["train", "--data", "data.csv", "--save", "no-such-dir/m.npz"], ["--save", "does not exist"]),
    (["train", "--data", "data.csv", "--save", "data.csv"], ["--save", "not an nnscratch model", "refusing"]),
    (["train", "--data", "data.csv", "--layers", "4-8-3"], ["--layers", "4 features and 4 classes"]),
    (["evaluate", "corrupt.npz", "--data", "data.csv"], ["corrupt.npz", "corrupt"]),
    (["summary", "foreign.npz"], ["foreign.npz", "not written by nnscratch"]),
    (["predict", "corrupt.npz", "data.csv"], ["corrupt.npz"]),
    (["predict", "foreign.npz", "data.csv"], ["foreign.npz"]),
    (["summary", "data.csv"], ["data.csv"]),
    (["predict", "model.npz", "wrongcols.csv"],
     ["wrongcols.csv: expected 4 feature columns", "got 2 (a, b)"]),
    (["predict", "model.npz", "data.csv", "-o", "data.csv"], ["--output", "also an input"]),
    (["predict", "model.npz", "empty.csv"], ["empty.csv: empty file"]),
    (["evaluate", "model.npz", "--data", "nonnum.csv", "--target", "y"], ["nonnum.csv, line 3"]),
    (["evaluate", "model.npz", "--data", "nonnum.csv"], ["no column 'animal'; the columns are: a, b, y"]),
    (["stream", "model.npz", "--target", "kind"], ["no column 'kind'"]),
    (["gradcheck", "--layers", "2-3-1", "--hidden", "step"], ["'step' activation has no usable gradient"]),
    (["train", "--units", "0-3"], ["--units"]),
    (["frobnicate"], ["invalid choice"]),
]


@pytest.mark.parametrize("args, fragments", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_status_2_and_changes_nothing(bad_dir, args, fragments):
    stdin = "body_area_m2,legs,fur_length_cm,teeth,animal\n0.2,4,3,30,cat\n" if args[0] == "stream" else None
    result = run(*args, cwd=bad_dir, input=stdin)
    assert_clean_error(result, *fragments)
    assert "epoch" not in result.stdout  # refused before training started


def test_unwritable_save_path_is_found_before_training(bad_dir):
    start = time.perf_counter()
    result = run("train", "--save", "no-such-dir/model.npz", cwd=bad_dir)  # digits: would train 60 epochs
    assert_clean_error(result, "no-such-dir")
    assert result.stdout == ""
    assert time.perf_counter() - start < 10


# ---------------------------------------------------------------- stream (online learning)


def linear_rows(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    return "".join(f"{a:.5f},{b:.5f},{3 * a + 2 * b:.5f}\n" for a, b in x)


@pytest.fixture
def linear_model(tmp_path):
    result = run("train", "--data", "linear", "--units", "10", "--epochs", "5", "--quiet",
                 "--save", "lin.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def test_stream_updates_the_model_from_piped_rows(linear_model):
    cwd = linear_model
    before, _ = io.load_with_metadata(cwd / "lin.npz")
    rows = "x0,x1,f(x)\n" + linear_rows(250, seed=3)
    result = run("stream", "lin.npz", "--target", "f(x)", "--every", "50", "--save-every", "100",
                 "--lr", "0.02", cwd=cwd, input=rows)
    assert result.returncode == 0, result.stderr
    running = re.findall(r"^rows\s+([\d,]+)\s+running loss ([\d.]+)$", result.stdout, re.M)
    assert [int(r.replace(",", "")) for r, _ in running] == [50, 100, 150, 200, 250]
    assert result.stdout.count("saved lin.npz after") == 2
    assert "end of input: 250 rows learned, saved lin.npz" in result.stdout
    after, meta = io.load_with_metadata(cwd / "lin.npz")
    assert meta["stream"]["rows"] == 250 and meta["feature_names"] == ["x0", "x1"]
    assert not np.array_equal(before.params["W1"], after.params["W1"])
    # later updates accumulate the row count; --out writes elsewhere and keeps the original
    more_rows = "x0,x1,f(x)\n" + linear_rows(10, 4)
    again = run("stream", "lin.npz", "--out", "lin2.npz", "--quiet", cwd=cwd, input=more_rows)
    assert again.returncode == 0 and again.stdout == ""
    assert io.load_with_metadata(cwd / "lin2.npz")[1]["stream"]["rows"] == 260
    assert io.load_with_metadata(cwd / "lin.npz")[1]["stream"]["rows"] == 250


def test_stream_bad_row_stops_and_keeps_the_last_save(linear_model):
    cwd = linear_model
    rows = "x0,x1,f(x)\n" + linear_rows(120, seed=5) + "0.1,oops,0.3\n" + linear_rows(5, seed=6)
    result = run("stream", "lin.npz", "--save-every", "100", "--quiet", cwd=cwd, input=rows)
    assert_clean_error(result, "<stdin>, line 122, column 'x1': 'oops' is not a number")
    assert io.load_with_metadata(cwd / "lin.npz")[1]["stream"]["rows"] == 100


def test_stream_survives_ctrl_c_with_its_last_save_intact(linear_model):
    cwd = linear_model
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnscratch.cli", "stream", "lin.npz", "--every", "10", "--save-every", "100"],
        cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        proc.stdin.write("x0,x1,f(x)\n" + linear_rows(230, seed=7))
        proc.stdin.flush()
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the last row written has been learned
            line = proc.stdout.readline()
            seen.append(line)
            if re.match(r"rows\s+230\s", line):
                break
        else:
            pytest.fail(f"the rows were not all learned: {seen}")
        assert sum("saved lin.npz after" in line for line in seen) == 2  # the periodic saves at 100, 200
        time.sleep(0.2)  # the stream now waits for more input: Ctrl-C arrives there
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: saved lin.npz after 230 rows" in err
    net, meta = io.load_with_metadata(cwd / "lin.npz")  # complete and loadable
    assert meta["stream"]["rows"] == 230 and net.sizes == [2, 10, 1]
    assert [p.name for p in cwd.iterdir() if p.name.startswith(".")] == []


def test_official_test_set_is_used_when_the_data_set_has_one():
    """MNIST-like data (``Dataset.test`` set): the held-out part is that test set, validation comes from
    the training rows (checked in-process: the real MNIST files are never downloaded by the tests)."""
    from nnscratch.preprocessing import split

    rng = np.random.default_rng(0)
    test = datasets.Dataset(rng.random((7, 4), dtype=np.float32), np.arange(7) % 2, "classification")
    x = rng.random((30, 4), dtype=np.float32)
    data = datasets.Dataset(x, np.arange(30) % 2, "classification", test=test)
    (xtr, ytr), (xva, yva), (xte, yte) = split(data, 0.2, 0.5, seed=0)
    assert xte is test.x and yte is test.y
    assert len(xtr) == 24 and len(xva) == 6 and np.bincount(yva).tolist() == [3, 3]


def test_no_command_prints_help(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("usage: nnscratch")


def test_resume_takes_the_checkpoints_learning_rate_and_refuses_another(tmp_path):
    args = ("train", "--data", "xor", "--checkpoint", "ck.npz", "--quiet", "--no-save")
    assert run(*args, "--epochs", "2", "--lr", "0.02", cwd=tmp_path).returncode == 0
    again = run(*args, "--epochs", "3", "--resume", cwd=tmp_path)  # no --lr: the checkpoint's 0.02
    assert again.returncode == 0, again.stderr
    assert io.load_checkpoint(tmp_path / "ck.npz")[1]["epoch"] == 3
    other = run(*args, "--epochs", "4", "--resume", "--lr", "0.5", cwd=tmp_path)
    assert_clean_error(other, "--lr: 0.5 differs from the learning rate 0.02 of the checkpoint")
