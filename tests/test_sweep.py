"""nnscratch.sweep: the plan, the rows, resume, and the same results bit for bit on every backend
(this process, a local pool of 2, a Dask LocalCluster in this test process)."""

from __future__ import annotations

import json
import math

import pytest
from tests.needs import need_module

import nnscratch
from nnscratch.spec import RunSpec
from nnscratch.sweep import IntUniform, LogUniform, Uniform
from nnscratch.sweep.config import sweep_config
from nnscratch.sweep.plan import make_trials
from nnscratch.sweep.results import COLUMNS, ranked

BASE = RunSpec(data="iris", hidden_sizes=(8,), epochs=6, batch_size=16)
GRID = {"lr": [0.001, 0.05, 80.0], "optimizer": ["sgd", "adam"]}


def _comparable(rows):
    """The rows without what may differ between machines and runs: the time and the worker's pid."""
    return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in rows]


@pytest.fixture(scope="module")
def serial():
    return nnscratch.sweep(BASE, GRID, repeats=2, workers=1)


def test_nnscratch_sweep_is_callable_and_still_the_package():
    import nnscratch.sweep as package
    from nnscratch import sweep

    assert sweep is package is nnscratch.sweep and package.LogUniform is LogUniform
    result = nnscratch.sweep(BASE.replace(epochs=1), workers=1)
    assert isinstance(result, package.SweepResult) and len(result.rows) == 1 and result.swept == []


def test_grid_times_repeats_in_order_with_seeds_per_repeat():
    trials = make_trials(BASE, GRID, repeats=2)
    assert len(trials) == 12
    assert [(t.point, t.repeat) for t in trials[:3]] == [(0, 0), (0, 1), (1, 0)]
    assert trials[0].spec.seed == 0 and trials[1].spec.seed == 1 and trials[0].spec.lr == 0.001
    assert trials[2].spec.optimizer == "adam" and trials[2].spec.lr == 0.001
    assert len({t.key for t in trials}) == 12  # a key names one spec


def test_random_search_is_seeded_and_log_uniform_for_the_learning_rate():
    random = {"lr": LogUniform(1e-4, 1e-1), "batch_size": [8, 16, 32], "weight_decay": Uniform(0, 1e-3),
              "epochs": IntUniform(2, 4)}
    a = make_trials(BASE, random=random, samples=200, seed=3)
    b = make_trials(BASE, random=random, samples=200, seed=3)
    assert [t.key for t in a] == [t.key for t in b]
    lrs = [t.spec.lr for t in a]
    assert all(1e-4 <= v <= 1e-1 for v in lrs)
    below = sum(v < 1e-2 for v in lrs) / len(lrs)  # log-uniform: two of three decades lie below 0.01
    assert 0.55 < below < 0.8
    assert {t.spec.batch_size for t in a} == {8, 16, 32} and {t.spec.epochs for t in a} == {2, 3, 4}


@pytest.mark.parametrize("kwargs, message", [
    ({"grid": {"lr": [0.1, -1]}}, "lr: expected a positive number"),
    ({"grid": {"colour": [1]}}, "grid: unknown field(s) 'colour'"),
    ({"grid": {"lr": []}}, "grid.lr: expected a non-empty list"),
    ({"grid": {"lr": 0.1}}, "grid.lr: expected a non-empty list"),
    ({"repeats": 0}, "repeats: expected a positive integer"),
    ({"random": {"lr": {"log_uniform": [0, 1]}}}, "LogUniform: expected 0 < low < high"),
    ({"cluster": "local:0"}, "cluster: expected local:N"),
    ({"cluster": "somewhere"}, "cluster: expected a scheduler address"),
    ({"workers": 0}, "workers: expected a positive number"),
    ({"resume": True}, "resume: needs out"),
])
def test_bad_arguments_are_one_line_errors_naming_them(kwargs, message):
    with pytest.raises(ValueError) as err:
        nnscratch.sweep(BASE, **{"grid": {"lr": [0.01]}, **kwargs})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_rows_diverged_trials_and_the_ranking(serial):
    rows = serial.rows
    assert [r["trial"] for r in rows] == list(range(12))
    diverged = [r for r in rows if r["status"] == "diverged"]
    assert diverged and all(r["lr"] == 80.0 and r["optimizer"] == "sgd" for r in diverged)
    for r in diverged:  # a loss that is not a number is written as the string "inf" or "nan"
        assert r["diverged_epoch"] >= 1 and "diverged" in r["message"]
        assert r["diverged_loss"] in ("inf", "nan") or r["diverged_loss"] > 1
    ok = [r for r in rows if r["status"] == "ok"]
    for r in ok:
        assert r["epochs"] == 6 and len(r["history"]["val_loss"]) == 6
        assert r["best_val_loss"] == min(r["history"]["val_loss"])
        assert r["best_train_loss"] == min(r["history"]["loss"])
        assert r["best_train_accuracy"] == max(r["history"]["accuracy"])
        assert r["history"]["val_loss"][r["best_epoch"] - 1] == r["best_val_loss"]
        assert 0 <= r["final_val_accuracy"] <= 1 and r["final_val_loss"] > 0
    entries = ranked(rows, serial.swept)
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores) and math.isinf(scores[-1])
    best = entries[0]
    losses = [r["final_val_loss"] for r in best["rows"]]
    assert best["val_loss"][0] == pytest.approx(sum(losses) / 2)
    assert best["val_loss"][1] == pytest.approx(abs(losses[0] - losses[1]) / math.sqrt(2))
    assert serial.best in best["rows"] and serial.best_model is not None
    table = serial.table()
    assert table.splitlines()[0].split()[:4] == ["#", "lr", "optimizer", "val_loss"]
    assert "± " in table and "2 diverged" in table


def test_the_same_rows_bit_for_bit_on_a_local_pool(serial):
    pool = nnscratch.sweep(BASE, GRID, repeats=2, workers=2)
    assert pool.backend == "local pool"
    assert _comparable(pool.rows) == _comparable(serial.rows)


def test_the_same_rows_bit_for_bit_on_a_dask_local_cluster(serial):
    need_module("distributed")
    dask = nnscratch.sweep(BASE, GRID, repeats=2, cluster="local:2")
    assert dask.backend.startswith("Dask LocalCluster")
    assert _comparable(dask.rows) == _comparable(serial.rows)


def test_a_pool_worker_killed_mid_sweep_its_trials_run_on_a_new_pool():
    import os
    import signal

    from nnscratch.sweep.backends import LocalPool
    from nnscratch.sweep.worker import data_key

    trials = make_trials(BASE.replace(epochs=30, batch_size=8), {"lr": [0.001, 0.002, 0.003, 0.004, 0.005]})
    data = {data_key(trials[0].spec): nnscratch.datasets.load("iris")}
    pool = LocalPool(2, 1)
    seen = []
    for trial, row, _ in pool.results(trials, data):
        seen.append((trial.index, row["status"]))
        if len(seen) == 1:  # one trial in: kill a worker that is running another
            os.kill(next(iter(pool._executor._processes)), signal.SIGKILL)
    assert pool.restarts == 1
    assert sorted(i for i, _ in seen) == list(range(5))  # each trial once, none lost
    assert all(status == "ok" for _, status in seen)


def test_files_resume_and_the_best_model(tmp_path, serial):
    out = tmp_path / "s"
    first = nnscratch.sweep(BASE, {"lr": GRID["lr"]}, repeats=2, workers=1, out=out)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6 and all(json.loads(line)["key"] for line in lines)
    csv_lines = (out / "results.csv").read_text().splitlines()
    assert csv_lines[0].split(",") == list(COLUMNS) and len(csv_lines) == 7
    with pytest.raises(ValueError, match="already holds results.jsonl"):
        nnscratch.sweep(BASE, {"lr": GRID["lr"]}, workers=1, out=out)
    # the same points with a third repeat and another optimizer: only the new trials run
    again = nnscratch.sweep(BASE, GRID, repeats=2, workers=1, out=out, resume=True)
    assert len((out / "results.jsonl").read_text().splitlines()) == 12
    assert _comparable(again.rows) == _comparable(serial.rows)
    model = nnscratch.load(out / "best.npz")
    assert model.spec == RunSpec.from_dict({k: again.best[k] for k in RunSpec.__dataclass_fields__})
    assert first.best is not None


def test_a_half_written_last_line_is_skipped_on_resume(tmp_path):
    out = tmp_path / "s"
    nnscratch.sweep(BASE, {"lr": [0.01, 0.02]}, workers=1, out=out)
    with open(out / "results.jsonl", "a") as f:
        f.write('{"trial": 9, "key": "abc')  # a crash in the middle of a write
    result = nnscratch.sweep(BASE, {"lr": [0.01, 0.02]}, workers=1, out=out, resume=True)
    assert len(result.rows) == 2


def test_a_sweep_file_table():
    config = sweep_config({"data": {"data": "iris"}, "training": {"epochs": 3},
                           "sweep": {"repeats": 2, "samples": 4, "grid": {"hidden_sizes": [[8], [8, 4]]},
                                     "random": {"lr": {"log_uniform": [1e-3, 1e-1]}}}})
    assert config.base.epochs == 3 and config.repeats == 2 and config.grid["hidden_sizes"] == [(8,), (8, 4)]
    assert isinstance(config.random["lr"], LogUniform)
    trials = make_trials(config.base, config.grid, config.random, samples=config.samples,
                         repeats=config.repeats)
    assert len(trials) == 2 * 4 * 2
    with pytest.raises(ValueError, match="sweep: unknown key"):
        sweep_config({"sweep": {"grids": {}}})


def test_blas_threads_are_set_in_this_process_and_split_between_workers(monkeypatch):
    import os

    from nnscratch._accel.threads import THREAD_VARIABLES, blas_threads, set_blas_threads, threads_per_worker

    for var in THREAD_VARIABLES:  # set_blas_threads writes them: give them back afterwards
        if var in os.environ:
            monkeypatch.setenv(var, os.environ[var])
        else:
            monkeypatch.delenv(var, raising=False)
    assert threads_per_worker(2, cores=2) == 1 and threads_per_worker(3, cores=8) == 2
    assert threads_per_worker(4, cores=2) == 1
    before = blas_threads()
    if before is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS whose thread count can be set")
    try:
        assert set_blas_threads(1) and blas_threads() == 1
    finally:
        set_blas_threads(before)
    with pytest.raises(ValueError, match="n: expected a positive number of threads"):
        set_blas_threads(0)


def test_the_progress_line_redraws_in_place_on_a_terminal_and_appends_lines_otherwise(serial):
    import io

    from nnscratch.sweep.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, tty in ((Terminal(), True), (io.StringIO(), False)):
        bar = Progress(stream, 12, serial.swept)
        for n in (1, 12):
            bar.update(serial.rows[:n], 1.5)
        bar.end()
        text = stream.getvalue()
        if tty:
            assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
        else:
            assert text.count("\n") == 2 and "\r" not in text
        last = text.strip().split("\r")[-1].splitlines()[-1]
        assert last.startswith("sweep 12/12") and "2 diverged" in last and "best val_loss" in last
        assert "1.5s" in last


def test_the_figures_draw_the_rows(serial):
    need_module("matplotlib")
    fig = nnscratch.plot.sweep_scores(serial, lang="en")
    (panel,) = fig.data["panels"]
    assert panel["field"] == "lr" and sorted(panel["bad"]) == [80.0, 80.0]
    # adam at lr=80 finishes far above where it started: diverging, drawn apart from the lines
    assert sum(len(g["x"]) for g in panel["groups"].values()) == 8 and panel["diverging"]["x"] == [80.0, 80.0]
    curves = nnscratch.plot.sweep_curves(serial, best=3, lang="ja")
    assert len(curves.data["lines"]) == 3 and all(len(line["val_loss"]) == 6 for line in curves.data["lines"])


XOR = RunSpec(data="xor", hidden_sizes=(8,), hidden="sigmoid", optimizer="sgd", epochs=30, val_split=0.25,
              test_split=0.0, batch_size="full")


def test_a_trial_whose_divergence_warning_fired_is_diverging_not_ok(tmp_path):
    """The divergence-trend warning of a trial is its row's status ('diverging') and message, in the rows,
    both files, the table's count and the progress line; the sweep itself prints no Python warning."""
    import csv
    import io
    import warnings

    from nnscratch.sweep.progress import Progress
    from nnscratch.training import DivergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        result = nnscratch.sweep(XOR, grid={"lr": [0.5, 500.0]}, workers=1, out=tmp_path / "s")
    good, bad = result.rows
    assert good["status"] == "ok" and good["message"] == ""
    assert bad["status"] == "diverging"
    assert "far above" in bad["message"] and "try lr=50" in bad["message"]
    assert bad["final_val_loss"] > 1  # it finished: its numbers are kept
    stored = [json.loads(line) for line in (tmp_path / "s" / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in stored] == ["ok", "diverging"]
    with open(tmp_path / "s" / "results.csv", newline="") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["ok", "diverging"]
    table = result.table().splitlines()
    assert table[1].split()[1] == "0.5" and table[1].endswith("1/1 ok")
    assert table[2].split()[1] == "500" and table[2].endswith("1/1 diverging")
    assert result.best is good
    stream = io.StringIO()
    Progress(stream, 2, result.swept).update(result.rows, 1.0)
    assert "1 diverging" in stream.getvalue()


def _row(point, status, loss, lr):
    return {"trial": point, "key": f"k{point}", "point": point, "repeat": 0, "lr": lr, "seed": 0,
            "status": status, "final_val_loss": loss, "final_train_loss": loss, "final_val_accuracy": 0.5,
            "history": {"loss": [loss], "val_loss": [loss]}}


def test_a_diverging_trial_never_wins_best_over_one_that_learned():
    """Even with a lower final loss, a diverging trial ranks after every point that learned, and is never
    `best`; a point where nothing learned shows its diverging numbers and has no best."""
    from nnscratch.sweep import best_row
    from nnscratch.sweep.results import format_ranking

    rows = [_row(0, "diverging", 0.01, 9.0), _row(1, "ok", 2.0, 0.1), _row(2, "diverged", None, 80.0),
            _row(3, "ok", 1.0, 0.2)]
    entries = ranked(rows, ["lr"])
    assert [e["values"]["lr"] for e in entries] == [0.2, 0.1, 9.0, 80.0]
    assert best_row(rows, ["lr"])["lr"] == 0.2
    assert entries[2]["diverging"] == 1 and entries[2]["val_loss"] == (0.01, 0.0)
    table = format_ranking(entries, ["lr"]).splitlines()
    assert table[3].endswith("1/1 diverging") and table[4].endswith("1/1 diverged")
    assert best_row([rows[0], rows[2]], ["lr"]) is None
    # a point with one repeat that learned and one diverging: the mean of the one that learned
    mixed = [_row(0, "ok", 1.0, 0.1), {**_row(0, "diverging", 0.001, 0.1), "key": "k9", "repeat": 1}]
    (entry,) = ranked(mixed, ["lr"])
    assert entry["score"] == 1.0 and entry["val_loss"] == (1.0, 0.0)
    assert format_ranking([entry], ["lr"]).splitlines()[1].endswith("1/2 ok, 1 diverging")


def test_the_figures_mark_diverging_trials_apart():
    need_module("matplotlib")
    rows = [_row(0, "ok", 0.5, 0.1), _row(1, "diverging", 30.0, 100.0), _row(2, "diverged", None, 1000.0)]
    (panel,) = nnscratch.plot.sweep_scores(rows, ["lr"], lang="en").data["panels"]
    assert panel["groups"][""] == {"x": [0.1], "y": [0.5]}
    assert panel["diverging"] == {"x": [100.0], "y": [30.0]} and panel["bad"] == [1000.0]
    curves = nnscratch.plot.sweep_curves(rows, ["lr"], lang="en")
    assert [line["label"] for line in curves.data["lines"]] == ["lr=0.1 seed=0"]
    with pytest.raises(ValueError, match="no trial learned"):
        nnscratch.plot.sweep_curves(rows[1:], ["lr"], lang="en")


def test_resume_keeps_diverging_rows_and_reads_older_ok_rows_with_a_warning_as_diverging(tmp_path):
    from nnscratch.sweep.results import read_rows

    out = tmp_path / "s"
    nnscratch.sweep(XOR, grid={"lr": [0.5, 500.0]}, workers=1, out=out)
    path = out / "results.jsonl"
    old = [json.loads(line) for line in path.read_text().splitlines()]
    old[1]["status"] = "ok"  # what was written before 0.2.0: status ok, the warning only in the message
    path.write_text("".join(json.dumps(r) + "\n" for r in old))
    assert [r["status"] for r in read_rows(path)] == ["ok", "diverging"]
    again = nnscratch.sweep(XOR, grid={"lr": [0.5, 500.0]}, workers=1, out=out, resume=True)
    assert len(path.read_text().splitlines()) == 2  # nothing ran again
    assert [r["status"] for r in again.rows] == ["ok", "diverging"] and again.best["lr"] == 0.5


def test_progress_must_be_a_stream():
    from nnscratch import RunSpec, sweep

    with pytest.raises(TypeError, match="progress: expected a text stream such as sys.stderr, or None"):
        sweep(RunSpec(data="xor", epochs=1), grid={"lr": [0.1]}, workers=1, progress=True)
