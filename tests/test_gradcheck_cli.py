"""``nnscratch gradcheck`` of a Day 2 network built from flags: batch normalisation, dropout, L1/L2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def gradcheck(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "nnscratch.cli", "gradcheck", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_day2_flags_build_the_network_and_every_gradient_agrees(tmp_path):
    proc = gradcheck("--layers", "3-4-4-3", "--output", "softmax", "--batchnorm", "--dropout", "0.3",
                     "--l1", "0.01", "--l2", "0.1", "--samples", "6", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "batchnorm=True" in first and "dropout=0.3" in first and "l1=0.01" in first and "l2=0.1" in first
    for key in ("W1", "gamma1", "beta1", "gamma2", "beta2", "W3"):
        assert any(line.split()[:1] == [key] and line.endswith("ok") for line in proc.stdout.splitlines())
    assert "all 10 gradients agree" in proc.stdout
    off = gradcheck("--batchnorm", "off", "--layers", "2-3-1", cwd=tmp_path)
    assert off.returncode == 0 and "batchnorm" not in off.stdout and "all 4 gradients agree" in off.stdout


@pytest.mark.parametrize("args, message", [
    (["--dropout", "1.5"], "argument --dropout: expected a fraction in [0, 1), got '1.5'"),
    (["--l1", "-1"], "argument --l1: expected a number ≥ 0, got '-1'"),
    (["--batchnorm", "maybe"], "argument --batchnorm: expected on or off, got 'maybe'"),
])
def test_bad_day2_values_are_one_line_and_status_2(tmp_path, args, message):
    proc = gradcheck(*args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
