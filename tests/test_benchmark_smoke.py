"""The benchmark (benchmarks/bench_mlp.py) on a tiny configuration, so that it cannot rot.

These runs check that every part of the benchmark works and that the contenders train the same model;
the timings they produce mean nothing. PyTorch is optional (the ``bench`` extra): its contender runs
when torch imports, and its checks are skipped with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_mlp.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_mlp", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _torch_or_skip():
    try:
        import torch
    except ImportError as exc:  # the bench extra is not installed
        pytest.skip(f"PyTorch is not importable ({exc}); install the 'bench' extra to run its contender")
    return torch


def test_generated_data_is_mnist_shaped(bench):
    x, y, xt, yt = bench.make_data(3_000, 1_000, seed=0)
    assert x.shape == (3_000, 784) and x.dtype == np.float32 and xt.shape == (1_000, 784)
    assert 0.0 <= x.min() and x.max() < 1.0
    assert abs(np.mean(x > 0) - 0.2) < 0.01  # each pixel nonzero with probability 0.2
    counts = np.bincount(np.concatenate([y, yt]), minlength=10)
    assert counts.size == 10 and counts.min() > 0.05 * counts.sum()  # all 10 classes, none rare
    x2, y2, _, _ = bench.make_data(3_000, 1_000, seed=0)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)  # the same seed gives the same data


def test_epoch_flops_count_the_matrix_products(bench):
    # (i) 784-100-10: x·W and xᵀ·δ for both layers, δ·Wᵀ only for the second (2 FLOPs per multiply-add)
    per_sample = 2 * (784 * 100 * 2 + 100 * 10 * 3)
    assert bench.epoch_flops((784, 100, 10), 60_000) == per_sample * 60_000


def test_quick_run_numpy_and_scikit_learn(bench):
    pytest.importorskip("sklearn", reason="scikit-learn is in the test and bench extras")
    configs = {"tiny": bench.QUICK_CONFIGS["tiny"]}
    keys = ("nnscratch", "nnscratch64", "sklearn", "ceiling", "ceiling64")
    result = bench.run(
        configs,
        keys,
        epochs=2,
        n_train=1_500,
        n_test=300,
        threads=None,
        import_repeats=1,
        memory_config="tiny",
        log=lambda s: None,
    )
    rows = result["configs"][0]["rows"]
    assert set(rows) == set(keys)
    for r in rows.values():
        assert len(r["times"]) == 2 and all(t > 0 for t in r["times"])
        assert r["samples_per_s"] > 0 and r["gflops"] > 0
    # the same start, the same batches, the same rule: the same accuracy
    assert rows["sklearn"]["accuracy"] == pytest.approx(rows["nnscratch"]["accuracy"], abs=0.01)
    assert rows["nnscratch64"]["accuracy"] == pytest.approx(rows["nnscratch"]["accuracy"], abs=0.01)
    assert result["imports"]["nnscratch"] is not None and result["imports"]["nnscratch"] > 0
    mem = result["memory"]
    assert "error" not in mem and mem["peak_rss"] > mem["data_bytes"]
    text = bench.render(result)
    assert "| (tiny) 784-32-10, batch 64 | nnscratch |" in text
    assert "% of matmul ceiling" in text and "`import nnscratch`" in text and "Peak memory" in text


def test_quick_run_pytorch(bench):
    _torch_or_skip()
    configs = {"tiny": bench.QUICK_CONFIGS["tiny"]}
    result = bench.run(
        configs,
        ("nnscratch", "torch"),
        epochs=1,
        n_train=1_000,
        n_test=200,
        threads=None,
        import_repeats=0,
        memory_config=None,
        log=lambda s: None,
    )
    rows = result["configs"][0]["rows"]
    assert rows["torch"]["median_s"] > 0 and rows["torch"]["name"] == "PyTorch CPU"
    assert rows["torch"]["accuracy"] == pytest.approx(rows["nnscratch"]["accuracy"], abs=0.01)
    assert "PyTorch CPU" in bench.render(result)


def test_nnscratch_and_pytorch_take_the_same_steps(bench):
    """Shared start and batch order: after one epoch the weights agree to float32 rounding, so the
    benchmark compares the same computation (and nnscratch's fast SGD path is the plain rule)."""
    torch = _torch_or_skip()
    x, y, _, _ = bench.make_data(640, 1, seed=3)
    sizes, batch = (784, 32, 16, 10), 64
    init = bench.initial_params(sizes, seed=0)
    ours = bench.NnscratchContender(sizes, batch, x, y, init, seed=7)
    theirs = bench.TorchContender(sizes, batch, x, y, init, seed=7)
    ours.epoch()
    theirs.epoch()
    linears = [m for m in theirs.model if isinstance(m, torch.nn.Linear)]
    for i, lin in enumerate(linears, start=1):
        np.testing.assert_allclose(ours.net.params[f"W{i}"], lin.weight.detach().numpy().T, atol=2e-5)
        np.testing.assert_allclose(ours.net.params[f"b{i}"], lin.bias.detach().numpy(), atol=2e-5)
        assert not np.array_equal(ours.net.params[f"W{i}"], init[f"W{i}"])  # it did train


def test_skipped_contenders_are_named_with_a_reason(bench, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    keys, skipped = bench.available_contenders(("nnscratch", "torch", "ceiling"))
    assert keys == ["nnscratch", "ceiling"]
    assert "torch" in skipped and "bench" in skipped["torch"]


def test_child_environments(bench, monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "512")
    asis = bench.child_env("asis", 2)
    unset = bench.child_env("unset", 2)
    assert asis["OPENBLAS_CORETYPE"] == "Haswell" and asis["OPENBLAS_L2_SIZE"] == "512"
    assert "OPENBLAS_CORETYPE" not in unset and "OPENBLAS_L2_SIZE" not in unset
    assert unset["OPENBLAS_NUM_THREADS"] == "2" and asis["OMP_NUM_THREADS"] == "2"


def test_command_line_quick_run(tmp_path):
    """The documented command with --quick, in this environment as it is (the smoke test unsets nothing)."""
    out = tmp_path / "result.json"
    r = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--quick",
            "--env",
            "asis",
            "--contenders",
            "nnscratch,ceiling",
            "--import-repeats",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "### Environment:" in r.stdout and "| (tiny) 784-32-10, batch 64 | nnscratch |" in r.stdout
    assert "environment as it is" in r.stderr
    runs = json.loads(out.read_text())["runs"]
    assert len(runs) == 1 and runs[0]["configs"][0]["rows"]["nnscratch"]["median_s"] > 0
    again = subprocess.run(
        [sys.executable, str(BENCH), "--render", str(out)], capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and again.stdout.strip() == r.stdout.strip()  # the same tables again


CONV = BENCH.parent / "bench_conv.py"


@pytest.mark.parametrize("torch", [False, True], ids=["nnscratch", "with-torch"])
def test_conv_benchmark_quick_run(torch):
    """benchmarks/bench_conv.py --quick: one epoch on 500 mnist5k images; with PyTorch the two start from
    the same weights and see the same batches, so they agree on the test accuracy."""
    if torch:
        _torch_or_skip()
    args = [sys.executable, str(CONV), "--quick", "--threads", "1", *([] if torch else ["--no-torch"])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = dict(re.findall(r"^\| (nnscratch|PyTorch) \|.*\| ([0-9.]+)% \|$", done.stdout, flags=re.M))
    assert set(rows) == ({"nnscratch", "PyTorch"} if torch else {"nnscratch"}), done.stdout
    if torch:
        assert abs(float(rows["nnscratch"]) - float(rows["PyTorch"])) <= 1.0  # 200 test images: ≤ 2 apart
        assert "speed ratio PyTorch ÷ nnscratch" in done.stdout
    assert "peak memory of this run" in done.stdout


def test_threads_benchmark_vae_quick_run():
    """benchmarks/bench_threads.py --vae --quick: the digits VAE with the cores busy, as run and on one
    thread, alternated: a table of two rounds and their median."""
    script = BENCH.parent / "bench_threads.py"
    done = subprocess.run([sys.executable, str(script), "--vae", "--quick"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    row = r"^\| (\d|median) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+)× \|$"
    rounds = re.findall(row, done.stdout, flags=re.M)
    assert [r[0] for r in rounds] == ["1", "2", "median"], done.stdout
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rounds)
