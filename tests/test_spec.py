"""RunSpec: round trips through JSON and TOML, defaults from one place, one-line errors for every field."""

from __future__ import annotations

import json
import re

import pytest

from nnscratch import optim
from nnscratch.spec import DEFAULT_LR, FIELDS, SECTIONS, RunSpec

SPECS = [
    RunSpec(),
    RunSpec(data="iris", hidden_sizes=(16, 8), hidden=("tanh", "relu"), lr=0.02, optimizer="momentum",
            optimizer_options={"momentum": 0.8}, batch_size=None, early_stopping=5, clip_norm=1.5,
            schedule={"kind": "cosine", "epochs": 30}, dtype="float64", init=0.1, target=None),
    RunSpec(data="my data.csv", target="値", task="regression", hidden_sizes=(), val_split=0.0,
            test_split=0.25, output="identity", loss="mse", preprocess="none", weight_decay=1e-4,
            schedule={"kind": "step", "step_size": 10, "gamma": 0.5}),
]


@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_json_and_toml_round_trips(spec):
    assert RunSpec.from_json(spec.to_json()) == spec
    assert RunSpec.from_toml(spec.to_toml()) == spec
    assert RunSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert set(spec.to_dict()) == set(SECTIONS)


def test_files_and_flat_dicts(tmp_path):
    spec = SPECS[1]
    (tmp_path / "run.toml").write_text(spec.to_toml(), encoding="utf-8")
    (tmp_path / "run.json").write_text(spec.to_json(), encoding="utf-8")
    assert RunSpec.from_file(tmp_path / "run.toml") == spec
    assert RunSpec.from_file(str(tmp_path / "run.json")) == spec
    assert RunSpec.from_dict({"lr": 0.5, "epochs": 3}) == RunSpec(lr=0.5, epochs=3)
    flat = {"data": "iris", "optimizer": "sgd"}  # field names that are also section names
    assert RunSpec.from_dict(flat) == RunSpec(data="iris", optimizer="sgd")
    assert RunSpec.from_toml("[training]\nepochs = 3\n") == RunSpec(epochs=3)


def test_one_learning_rate_default_per_optimizer():
    for name, cls in optim.OPTIMIZERS.items():
        spec = RunSpec(optimizer=name)
        assert spec.lr is None and spec.learning_rate == DEFAULT_LR[name] == cls().lr
        assert spec.make_optimizer().lr == cls().lr
    assert RunSpec(optimizer="adam").learning_rate == 0.001
    assert RunSpec(optimizer="sgd", lr=0.3).make_optimizer().lr == 0.3


def test_defaults_come_from_the_table():
    spec = RunSpec()
    for name, f in FIELDS.items():
        assert getattr(spec, name) == f.default, name


BAD = [
    ({"batchnorm": "yes"}, "batchnorm: expected true or false, got 'yes'"),
    ({"dropout": 1.0}, "dropout: expected a fraction in [0, 1)"),
    ({"l1": -0.1}, "l1: expected a number ≥ 0"),
    ({"l2": float("inf")}, "l2: expected a number ≥ 0"),
    ({"l2": 0.1, "weight_decay": 0.1}, "weight_decay + l2: both regularise the weights"),
    ({"lr": -1}, "lr: expected a positive number, got -1"),
    ({"lr": float("nan")}, "lr: expected a positive number"),
    ({"lr": "fast"}, "lr: expected a positive number"),
    ({"epochs": 0}, "epochs: expected a positive integer, got 0"),
    ({"epochs": 2.5}, "epochs: expected a positive integer"),
    ({"batch_size": 0}, "batch_size: expected a positive integer"),
    ({"batch_size": True}, "batch_size: expected a positive integer"),
    ({"val_split": 1.0}, "val_split: expected a fraction in [0, 1)"),
    ({"test_split": -0.1}, "test_split: expected a fraction in [0, 1)"),
    ({"val_split": 0.5, "test_split": 0.5}, "val_split + test_split: expected less than 1"),
    ({"split_seed": -1}, "split_seed: expected an integer ≥ 0"),
    ({"seed": "zero"}, "seed: expected an integer ≥ 0"),
    ({"data": ""}, "data: expected a non-empty name or path"),
    ({"target": 3}, "target: expected a non-empty name or path"),
    ({"task": "clustering"}, "task: expected one of 'auto', 'classification', 'regression'"),
    ({"preprocess": "whiten"}, "preprocess: expected one of"),
    ({"hidden_sizes": (0,)}, "hidden_sizes: expected a list of positive layer sizes"),
    ({"hidden_sizes": "10-x"}, "hidden_sizes: expected hidden layer sizes like 100 or 64-32"),
    ({"hidden": "step"}, "hidden: expected one of"),
    ({"hidden": ("relu",), "hidden_sizes": (3, 3)}, "hidden: expected one activation or 2"),
    ({"output": "tanh"}, "output: expected one of 'auto', 'identity', 'sigmoid', 'softmax'"),
    ({"loss": "hinge"}, "loss: expected one of"),
    ({"output": "identity", "loss": "cross_entropy"}, "loss: 'cross_entropy' does not pair with output"),
    ({"init": "lecun"}, "init: expected one of 'he', 'xavier'"),
    ({"init": float("inf")}, "init: expected 'he', 'xavier' or a standard deviation"),
    ({"dtype": "float16"}, "dtype: expected one of 'float32', 'float64'"),
    ({"optimizer": "lbfgs"}, "optimizer: expected one of 'sgd'"),
    ({"optimizer_options": {"momentum": 0.9}}, "optimizer_options: 'adam' has no setting(s) momentum"),
    ({"optimizer": "adam", "optimizer_options": {"beta1": 5}}, "optimizer_options: beta1"),
    ({"optimizer_options": [1]}, "optimizer_options: expected a table of numbers"),
    ({"weight_decay": -1e-4}, "weight_decay: expected a number ≥ 0"),
    ({"clip_norm": 0}, "clip_norm: expected a positive number"),
    ({"early_stopping": -1}, "early_stopping: expected an integer ≥ 0"),
    ({"early_stopping": 3, "val_split": 0.0}, "early_stopping: watches the validation loss"),
    ({"schedule": {"kind": "warmup"}}, "schedule: expected a table with kind"),
    ({"schedule": {"kind": "step", "step_size": "ten"}}, "schedule: settings of a schedule are numbers"),
    ({"schedule": {"kind": "step"}}, "schedule: "),
    ({"layers": "conv8y3-relu"}, "layers: token 1 'conv8y3' is not a layer"),
    ({"layers": 3}, "layers: expected a layer string"),
    ({"layers": "conv8x3", "hidden_sizes": [16]}, "layers: 'conv8x3' describes the whole stack"),
]


@pytest.mark.parametrize("fields, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_every_bad_field_gives_its_one_line_error(fields, message):
    with pytest.raises(ValueError) as info:
        RunSpec(**fields)
    text = str(info.value)
    assert message in text and "\n" not in text
    # the same error through JSON
    with pytest.raises(ValueError, match="^" + re.escape(message.split(":")[0])):
        RunSpec.from_json(json.dumps(fields))


def test_unknown_fields_misplaced_sections_and_broken_files(tmp_path):
    with pytest.raises(ValueError, match="spec: unknown field.*'learning_rate'"):
        RunSpec.from_dict({"training": {"learning_rate": 0.1}})
    with pytest.raises(ValueError, match=r"lr: belongs in \[optimizer\], not \[data\]"):
        RunSpec.from_dict({"data": {"lr": 0.1}})
    with pytest.raises(ValueError, match="spec: unknown field"):
        RunSpec().replace(colour="red")
    with pytest.raises(ValueError, match="spec: not valid TOML"):
        RunSpec.from_toml("[training\nepochs = ")
    with pytest.raises(ValueError, match="spec: not valid JSON"):
        RunSpec.from_json("{" * 100_000)
    with pytest.raises(ValueError, match="spec: expected a table of sections"):
        RunSpec.from_json("[1, 2]")
    with pytest.raises(ValueError, match="config: .* is not a file"):
        RunSpec.from_file(tmp_path)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 1_000_001)
    with pytest.raises(ValueError, match="larger than 1 MB"):
        RunSpec.from_file(big)


def test_a_spec_is_immutable_and_replace_checks():
    spec = RunSpec()
    with pytest.raises(AttributeError):
        spec.lr = 0.1  # type: ignore[misc]
    assert spec.replace(lr=0.1).lr == 0.1
    with pytest.raises(ValueError, match="lr: expected a positive number"):
        spec.replace(lr=0)
    assert RunSpec(hidden_sizes="64-32").hidden_sizes == (64, 32)
    assert RunSpec(hidden_sizes="0").hidden_sizes == ()
    assert RunSpec(batch_size="full").batch_size is None


def test_every_field_has_a_bad_case_above():
    covered = {name for fields, _ in BAD for name in fields}
    assert set(FIELDS) <= covered, sorted(set(FIELDS) - covered)
