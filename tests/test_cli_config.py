"""``nnscratch train --config`` and ``--print-config``: a run from a RunSpec file, flags on top."""

from __future__ import annotations

import json

import nnscratch
from nnscratch.spec import RunSpec
from test_cli import assert_clean_error, run


def test_print_config_then_train_from_it_is_the_same_run(tmp_path):
    printed = run("train", "--data", "moons", "--units", "8-4", "--hidden", "tanh", "--lr", "0.02",
                  "--epochs", "5", "--batch-size", "full", "--print-config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    spec = RunSpec.from_toml(printed.stdout)
    expected = RunSpec(data="moons", hidden_sizes=(8, 4), hidden="tanh", lr=0.02, epochs=5, batch_size=None)
    assert spec == expected
    assert not (tmp_path / "model.npz").exists()  # printing the spec trains and saves nothing
    (tmp_path / "run.toml").write_text(printed.stdout)
    by_file = run("train", "--config", "run.toml", "--quiet", "--json", "--save", "a.npz", cwd=tmp_path)
    by_flags = run("train", "--data", "moons", "--units", "8-4", "--hidden", "tanh", "--lr", "0.02",
                   "--epochs", "5", "--batch-size", "full", "--quiet", "--json", "--save", "b.npz",
                   cwd=tmp_path)
    assert by_file.returncode == by_flags.returncode == 0, by_file.stderr + by_flags.stderr
    a, b = json.loads(by_file.stdout), json.loads(by_flags.stdout)
    assert a["test"] == b["test"] and a["train"] == b["train"]
    model = nnscratch.load(tmp_path / "a.npz")
    assert model.spec == spec  # the saved model carries its spec


def test_flags_override_the_config_and_defaults_come_from_the_spec(tmp_path):
    (tmp_path / "run.json").write_text(RunSpec(data="xor", epochs=3, hidden_sizes=(4,)).to_json())
    result = run("train", "--config", "run.json", "--epochs", "2", "--print-config", cwd=tmp_path)
    spec = RunSpec.from_toml(result.stdout)
    assert spec.epochs == 2 and spec.data == "xor" and spec.hidden_sizes == (4,)
    default = RunSpec.from_toml(run("train", "--print-config", cwd=tmp_path).stdout)
    assert default == RunSpec()  # the CLI's defaults are the spec's


def test_bad_configs_are_one_line_errors(tmp_path):
    (tmp_path / "bad.toml").write_text("[training]\nepochs = 0\n")
    (tmp_path / "broken.toml").write_text("[training\n")
    (tmp_path / "unknown.toml").write_text("[training]\nlearning_rate = 0.1\n")
    cases = [
        (["--config", "bad.toml"], ["config:", "bad.toml", "epochs: expected a positive integer"]),
        (["--config", "broken.toml"], ["config:", "not valid TOML"]),
        (["--config", "unknown.toml"], ["unknown field", "'learning_rate'"]),
        (["--config", "missing.toml"], ["config:", "is not a file"]),
        (["--val-split", "0.5", "--test-split", "0.5"], ["--val-split + --test-split: expected less than 1"]),
        (["--early-stopping", "3", "--val-split", "0"], ["--early-stopping: watches the validation loss"]),
    ]
    for args, fragments in cases:
        result = run("train", *args, cwd=tmp_path)
        assert_clean_error(result, *fragments)
        assert not (tmp_path / "model.npz").exists()
