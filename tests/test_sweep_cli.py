"""``nnscratch sweep`` as a user runs it: the ranked table and the files, one-line errors, Ctrl-C and
--resume, and a real Dask cluster — a ``dask scheduler`` and two ``dask worker`` processes started
here on 127.0.0.1 — reached with ``--cluster tcp://…``, one of its workers killed in the middle."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.needs import need_module

TINY = ["--data", "iris", "--units", "8", "--epochs", "5", "--batch-size", "16"]


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "nnscratch.cli", "sweep", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def rows(folder: Path) -> list[dict]:
    path = folder / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]


def test_a_grid_prints_the_ranked_table_and_writes_every_file(tmp_path):
    need_module("matplotlib")
    proc = cli(*TINY, "--lr", "0.003,0.03", "--optimizer", "sgd,adam", "--repeats", "2", "--workers", "2",
               "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("8/8 trials on local pool")
    assert lines[1].split()[:5] == ["#", "optimizer", "lr", "val_loss", "val_acc"]
    assert len([line for line in lines if line.strip()[:1].isdigit() and "ok" in line]) == 4
    assert "sweep 8/8" in proc.stderr  # the progress line, one per trial when not on a terminal
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["best.npz", "curves.en.png", "curves.ja.png", "results.csv", "results.jsonl",
                     "val_loss.en.png", "val_loss.ja.png"]
    assert len(rows(tmp_path / "out")) == 8


def test_a_trial_whose_loss_warning_fired_is_diverging_in_the_table_and_files_never_best(tmp_path):
    """The issue's sweep, on xor: lr 500 finishes far above where it started; its row says diverging (not
    ok) in the table and in results.csv/results.jsonl, and the trial that learned is the best."""
    proc = cli("--data", "xor", "--units", "8", "--hidden", "sigmoid", "--optimizer", "sgd", "--epochs", "30",
               "--batch-size", "full", "--val-split", "0.25", "--test-split", "0", "--lr", "0.5,500",
               "--workers", "1", "--no-plots", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = {line.split()[1]: line for line in proc.stdout.splitlines() if line[:1].isdigit()}
    assert table["0.5"].endswith("1/1 ok") and table["500"].endswith("1/1 diverging")
    assert "best trial: lr=0.5 " in proc.stdout
    assert [(r["lr"], r["status"]) for r in rows(tmp_path / "o")] == [(0.5, "ok"), (500.0, "diverging")]
    csv_rows = (tmp_path / "o" / "results.csv").read_text().splitlines()
    assert ",diverging," in csv_rows[2] and "far above" in csv_rows[2]
    only = cli("--data", "xor", "--units", "8", "--hidden", "sigmoid", "--optimizer", "sgd", "--epochs", "30",
               "--batch-size", "full", "--val-split", "0.25", "--test-split", "0", "--lr", "500",
               "--workers", "1", "--no-plots", "--out", "p", cwd=tmp_path)
    assert only.returncode == 1 and "1/1 diverging" in only.stdout and "no trial learned" in only.stdout
    assert not (tmp_path / "p" / "best.npz").exists()


def test_every_run_option_of_train_is_a_sweep_option_with_lists():
    from nnscratch.cli import build_parser
    from nnscratch.cli._run_options import RUN_FLAGS

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    train_flags = {s for a in commands["train"]._actions for s in a.option_strings}
    sweep_flags = {s for a in commands["sweep"]._actions for s in a.option_strings}
    described = {flag for flag, _ in RUN_FLAGS} | {"--layers", "--config"}
    assert described <= train_flags and described <= sweep_flags
    args = parser.parse_args(["sweep", "--lr", "0.1,0.01", "--units", "8,16-8", "--batch-size", "16,full",
                              "--init", "he,0.1", "--optimizer", "sgd"])
    assert args.lr == [0.1, 0.01] and args.units == ["8", "16-8"] and args.batch_size == [16, None]
    assert args.init == ["he", 0.1] and args.optimizer == ["sgd"]
    assert tuple(parser.parse_args(["sweep", "--lr", "1e-4:0.1"]).lr) == (1e-4, 0.1)


def test_ranges_become_a_random_search_with_the_right_distributions():
    from nnscratch.cli import build_parser
    from nnscratch.cli.sweep import plan_from
    from nnscratch.sweep import IntUniform, LogUniform, Uniform

    args = build_parser().parse_args(["sweep", "--lr", "1e-4:1e-1", "--batch-size", "8:64", "--weight-decay",
                                      "0:0.01", "--optimizer", "sgd,adam", "--epochs", "7", "--samples", "5"])
    plan = plan_from(args)
    assert plan.random == {"lr": LogUniform(1e-4, 1e-1), "batch_size": IntUniform(8, 64),
                           "weight_decay": Uniform(0.0, 0.01)}
    assert plan.grid == {"optimizer": ["sgd", "adam"]} and plan.base.epochs == 7 and plan.samples == 5


def test_layers_sweeps_the_architecture_and_checks_the_ends(tmp_path):
    proc = cli("--data", "iris", "--layers", "4-8-3,4-16-8-3", "--epochs", "2", "--workers", "1",
               "--no-plots", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(r["hidden_sizes"] for r in rows(tmp_path / "o")) == [[8], [16, 8]]
    bad = cli("--data", "iris", "--layers", "4-8-2", "--workers", "1", cwd=tmp_path)
    assert bad.returncode == 2 and "--layers: '4-8-2' does not fit the data" in bad.stderr


def test_the_default_folder_is_named_after_the_time(tmp_path):
    assert cli(*TINY, "--workers", "1", "--no-plots", cwd=tmp_path).returncode == 0
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("sweep-20") and (folder / "results.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["--lr", "0.1,-1"], "argument --lr: expected a positive number, got '-1'"),
    (["--optimizer", "sgd,adamw"], "argument --optimizer: expected one of"),
    (["--lr", "0.1,,0.2"], "expected a value or values separated by commas"),
    (["--units", "8,x"], "--units: expected hidden layer sizes"),
    (["--val-split", "0.5", "--test-split", "0.5"], "--val-split + --test-split"),
    (["--cluster", "local:zero"], "--cluster: expected local:N"),
    (["--cluster", "tcp://127.0.0.1:1"], "--cluster: cannot reach a Dask scheduler"),
    (["--config", "missing.toml"], "--config: 'missing.toml' is not a file"),
    (["--data", "no-such-set"], "no-such-set"),
    (["--resume", "--out", "empty"], "--resume: no results.jsonl"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    if "--cluster" in args and args[-1].startswith("tcp"):
        need_module("distributed")
    proc = cli(*TINY, "--workers", "1", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_results_are_never_replaced_without_resume(tmp_path):
    assert cli(*TINY, "--workers", "1", "--no-plots", "--out", "o", cwd=tmp_path).returncode == 0
    before = (tmp_path / "o" / "results.csv").read_bytes()
    proc = cli(*TINY, "--workers", "1", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 2 and "already holds results.jsonl" in proc.stderr
    assert (tmp_path / "o" / "results.csv").read_bytes() == before
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "best.npz").write_text("not a model")
    proc = cli(*TINY, "--workers", "1", "--out", "p", cwd=tmp_path)
    assert proc.returncode == 2 and "not an nnscratch model" in proc.stderr


def test_a_sweep_file_with_flags_on_top(tmp_path):
    (tmp_path / "sweep.toml").write_text(
        '[data]\ndata = "iris"\n[architecture]\nhidden_sizes = [8]\n[training]\nepochs = 4\n'
        '[sweep]\nrepeats = 2\nsamples = 3\n[sweep.grid]\noptimizer = ["sgd", "adam"]\n'
        '[sweep.random]\nlr = {log_uniform = [1e-3, 1e-1]}\n')
    proc = cli("--config", "sweep.toml", "--repeats", "1", "--workers", "1", "--no-plots", "--out", "o",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = rows(tmp_path / "o")
    assert len(got) == 2 * 3 and {r["optimizer"] for r in got} == {"sgd", "adam"}
    assert all(r["epochs"] == 4 and 1e-3 <= r["lr"] <= 1e-1 for r in got)


def test_ctrl_c_keeps_the_finished_rows_and_resume_runs_the_rest(tmp_path):
    args = ["--data", "iris", "--units", "8", "--epochs", "25", "--batch-size", "8", "--lr",
            "0.001,0.002,0.003,0.004,0.005,0.006", "--workers", "2", "--no-plots", "--out", "o"]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch.cli", "sweep", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not rows(tmp_path / "o") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    done = rows(tmp_path / "o")
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert 1 <= len(done) < 6
    resumed = cli(*args, "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("6/6 trials")
    assert sorted(r["lr"] for r in rows(tmp_path / "o")) == [0.001, 0.002, 0.003, 0.004, 0.005, 0.006]


# ---------------------------------------------------------------- a real Dask cluster on 127.0.0.1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args: str) -> subprocess.Popen:
    # a session of its own: stopping it stops the nanny and its worker process together
    return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def dask_cluster():
    """A ``dask scheduler`` and two single-threaded ``dask worker``s; yields (address, workers)."""
    distributed = need_module("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [_start("worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1")
               for _ in range(2)]
    try:
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            _stop(proc)


def test_the_cli_runs_on_a_dask_scheduler_with_the_same_rows(tmp_path, dask_cluster):
    address, _ = dask_cluster
    args = [*TINY, "--lr", "0.003,0.03", "--optimizer", "sgd,adam", "--no-plots"]
    remote = cli(*args, "--cluster", address, "--out", "remote", cwd=tmp_path)
    assert remote.returncode == 0, remote.stderr
    assert f"4/4 trials on Dask scheduler {address}" in remote.stdout
    assert cli(*args, "--workers", "1", "--out", "local", cwd=tmp_path).returncode == 0
    drop = ("seconds", "worker")
    same = [[{k: v for k, v in r.items() if k not in drop} for r in sorted(rows(tmp_path / f),
                                                                             key=lambda r: r["trial"])]
            for f in ("remote", "local")]
    assert same[0] == same[1]


def test_a_worker_killed_mid_sweep_its_trials_go_to_the_other(tmp_path, dask_cluster):
    address, workers = dask_cluster
    lrs = ",".join(f"{0.001 * k:g}" for k in range(1, 11))
    args = ["--data", "iris", "--units", "8", "--epochs", "25", "--batch-size", "8", "--lr", lrs,
            "--cluster", address, "--no-plots", "--out", "o"]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "nnscratch.cli", "sweep", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # both workers are busy once each has finished a trial: the one killed then has one in hand
    while len({r["worker"] for r in rows(tmp_path / "o")}) < 2 and time.monotonic() < deadline and (
            proc.poll() is None):
        time.sleep(0.02)
    finished_before = len(rows(tmp_path / "o"))
    _stop(workers[1], signal.SIGKILL)  # the nanny and its worker, at once
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert 2 <= finished_before < 10
    got = rows(tmp_path / "o")
    assert sorted(r["trial"] for r in got) == list(range(10))
    assert all(r["status"] in ("ok", "failed") for r in got)
    assert "10/10 trials" in out


def test_day2_options_sweep_and_show_in_the_table_and_the_csv(tmp_path):
    proc = cli(*TINY, "--epochs", "2", "--dropout", "0,0.2,0.5", "--l2", "0,1e-3", "--batchnorm", "on,off",
               "--l1", "1e-4", "--workers", "1", "--no-plots", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("12/12 trials")
    assert lines[1].split()[:4] == ["#", "batchnorm", "dropout", "l2"]  # the swept fields, in the table
    found = {(r["batchnorm"], r["dropout"], r["l2"], r["l1"]) for r in rows(tmp_path / "o")}
    assert found == {(b, p, l2, 1e-4) for b in (True, False) for p in (0.0, 0.2, 0.5) for l2 in (0.0, 1e-3)}
    import csv

    table = list(csv.DictReader(open(tmp_path / "o" / "results.csv")))
    assert len(table) == 12 and {"batchnorm", "dropout", "l1", "l2"} <= set(table[0])
    assert {r["dropout"] for r in table} == {"0.0", "0.2", "0.5"} and {r["l1"] for r in table} == {"0.0001"}


def test_day2_options_parse_as_lists_and_ranges():
    from nnscratch.cli import build_parser
    from nnscratch.cli.sweep import plan_from
    from nnscratch.sweep import LogUniform, Uniform

    parser = build_parser()
    assert plan_from(parser.parse_args(["sweep", "--batchnorm"])).base.batchnorm is True  # bare: on
    plan = plan_from(parser.parse_args(["sweep", "--batchnorm", "on,off", "--dropout", "0:0.5", "--l2",
                                        "1e-5:1e-2", "--l1", "0,1e-3"]))
    assert plan.grid == {"batchnorm": [True, False], "l1": [0.0, 1e-3]}
    assert plan.random == {"dropout": Uniform(0.0, 0.5), "l2": LogUniform(1e-5, 1e-2)}


@pytest.mark.parametrize("args, message", [
    (["--dropout", "0,1"], "argument --dropout: expected a fraction in [0, 1), got '1'"),
    (["--l2", "0,-1e-3"], "argument --l2: expected a number ≥ 0, got '-1e-3'"),
    (["--batchnorm", "on:off"], "argument --batchnorm: expected on or off, got 'on:off'"),
])
def test_day2_bad_values_are_one_line_and_status_2(tmp_path, args, message):
    proc = cli(*TINY, "--workers", "1", *args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
