"""The course's Day 2 beside its examples: ``nnscratch.plot.accuracy_curves`` (the figures of examples
21–23 and the Day 2 notebooks) and ``benchmarks/day2_tables.py`` (the measured tables), on small runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from needs import need_module

ROOT = Path(__file__).resolve().parents[1]


def test_accuracy_curves_keeps_the_numbers_and_the_gap(tmp_path):
    need_module("matplotlib")
    import nnscratch

    runs = {"none": {"train": [0.5, 0.9, 1.0], "test": [0.4, 0.7, 0.8]}, "L2": {"test": [0.3, 0.6, 0.75]}}
    fig = nnscratch.plot.accuracy_curves(runs, every=10, title="t", lang="ja", out=tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    assert fig.data["every"] == 10
    np.testing.assert_array_equal(fig.data["curves"]["none"]["test"], [0.4, 0.7, 0.8])
    assert fig.data["gap"]["none"] == pytest.approx(0.2)
    assert np.isnan(fig.data["gap"]["L2"])  # no training curve, no gap
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    five_runs = {str(i): {"train": [1.0], "test": [0.5]} for i in range(5)}
    five = nnscratch.plot.accuracy_curves(five_runs, lang="en")
    assert len([ax for ax in five.axes if ax.get_visible()]) == 5


@pytest.mark.parametrize(("runs", "message"), [
    ({}, "runs: expected a dict"),
    ({"a": [0.1]}, "runs['a']: expected a dict with a 'test' list"),
    ({"a": {"train": [0.1]}}, "runs['a']: expected a dict with a 'test' list"),
    ({"a": {"test": []}}, "runs['a']: expected at least one measured accuracy"),
])
def test_accuracy_curves_bad_runs(runs, message, tmp_path):
    need_module("matplotlib")
    import nnscratch

    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        nnscratch.plot.accuracy_curves(runs, out=tmp_path / "never.png")
    assert not (tmp_path / "never.png").exists()


def test_day2_tables_quick(capsys, tmp_path):
    need_module("mlxtend")
    spec = importlib.util.spec_from_file_location("day2_tables", ROOT / "benchmarks" / "day2_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out_json = tmp_path / "t.json"
    assert module.main(["--quick", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    for row in ("| none |", "| L2 λ=0.1 |", "| dropout 0.15 |", "| relu (He) 784-40-20-10 | 0.1 |"):
        assert row in out
    import json

    result = json.loads(out_json.read_text(encoding="utf-8"))
    gaps = result["overfitting"]["none"]["100"]
    assert len(gaps) == 2 and all(-1 <= g <= 1 for g in gaps)
    assert set(result["batchnorm"]) == {"sigmoid lr=0.01", "sigmoid lr=0.1", "relu lr=0.01", "relu lr=0.1"}
