"""Model: fit from a RunSpec, raw rows in and class names out, save/load, old files, checked metadata."""

from __future__ import annotations

import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import nnscratch
from nnscratch import datasets, io
from nnscratch.model import Model
from nnscratch.spec import RunSpec

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
ANIMAL_ROWS = [[0.2, 4, 3.0, 30], [0.7, 4, 5, 42], [0.08, 2, 0, 0], [4.4, 4, 1.5, 40]]


@pytest.fixture(scope="module")
def animals():
    return Model(RunSpec(data="animals", hidden_sizes=(16,), epochs=40, lr=0.01)).fit()


@pytest.fixture(scope="module")
def linear():
    return Model(data="linear", hidden_sizes=(10,), epochs=60, lr=0.01).fit()


def test_fit_predict_evaluate_on_raw_rows_with_class_names(animals):
    assert animals.predict(ANIMAL_ROWS).tolist() == ["cat", "dog", "chicken", "horse"]
    proba = animals.predict_proba(ANIMAL_ROWS)
    assert proba.shape == (4, 4) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert animals.encoder.classes == ["cat", "dog", "horse", "chicken"]
    assert animals.feature_names == ["body_area_m2", "legs", "fur_length_cm", "teeth"]
    assert set(animals.metrics) == {"train", "validation", "test"}
    assert animals.parts == {"train": 280, "validation": 40, "test": 80}
    held_out = animals.evaluate()
    assert held_out == animals.metrics["test"] and held_out["accuracy"] > 0.95
    data = datasets.load("animals")
    names = np.array(data.target_names, dtype=object)[data.y]
    by_names = animals.evaluate(data.x, names)
    assert by_names == animals.evaluate(data.x, data.y) == animals.evaluate(data)
    assert animals.evaluate("animals") == by_names and by_names["samples"] == 400
    assert animals.history.epochs == 40 and animals.training["lr"] == 0.01
    assert len(animals.provenance["data_fingerprint"]) == 16


def test_regression_in_the_target_units(linear):
    x = np.array([[0.1, 0.2], [0.5, 0.9]])
    y = linear.predict(x)
    assert y.shape == (2,) and np.allclose(y, x @ [3.0, 2.0], atol=0.15)
    m = linear.evaluate()
    assert set(m) == {"loss", "rmse", "r2", "samples"} and m["r2"] > 0.97
    with pytest.raises(ValueError, match="predict_proba: this model predicts numbers"):
        linear.predict_proba(x)


def test_save_load_round_trip_keeps_everything(tmp_path, animals, linear):
    for model in (animals, linear):
        path = tmp_path / "m.npz"
        model.save(path)
        same = nnscratch.load(path)
        assert isinstance(same, Model) and same.spec == model.spec
        rows = ANIMAL_ROWS if model is animals else [[0.1, 0.2], [0.3, 0.3]]
        assert np.array_equal(same.predict(rows), model.predict(rows))
        assert same.metrics == model.metrics and same.history == model.history
        assert same.evaluate() == model.evaluate()  # bundled/generated data: re-created from the split
        assert same.provenance["data_fingerprint"] == model.provenance["data_fingerprint"]
        assert same.provenance["nnscratch_version"] == nnscratch.__version__
        assert same.summary() == model.summary()


def test_fit_on_arrays_with_text_labels_and_a_spec_from_keywords():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    model = Model(hidden_sizes=(8,), epochs=30, lr=0.01, val_split=0.0, test_split=0.2).fit(x, y, name="mine")
    assert model.spec.data == "mine" and model.encoder.classes == ["no", "yes"]
    assert model.evaluate()["accuracy"] > 0.9
    assert set(model.predict(x[:10])) <= {"yes", "no"}
    sigmoid = Model(hidden_sizes=(8,), epochs=30, lr=0.01, output="sigmoid").fit(x, y)
    assert sigmoid.network.sizes[-1] == 1 and sigmoid.predict_proba(x[:3]).shape == (3, 2)
    assert sigmoid.evaluate(x, y)["accuracy"] > 0.9


@pytest.mark.parametrize("name", ["iris", "linear"])
def test_a_file_written_by_nnscratch_0_1_0_loads_and_predicts_as_it_did(name):
    model = nnscratch.load(FIXTURES / f"{name}-0.1.0.npz")
    rows = np.loadtxt(FIXTURES / f"{name}-rows.csv", delimiter=",", skiprows=1)
    with open(FIXTURES / f"{name}-0.1.0-predict.csv", newline="") as f:
        expected = list(csv.reader(f))[1:]
    if name == "iris":
        assert model.predict(rows).tolist() == [r[0] for r in expected]
        proba = [[float(v) for v in r[1:]] for r in expected]
        assert np.allclose(model.predict_proba(rows), proba, atol=1e-5)
        assert model.spec.data == "iris" and model.spec.optimizer == "adam" and model.spec.lr == 0.005
    else:
        assert np.allclose(model.predict(rows), [float(r[0]) for r in expected], rtol=1e-5)
    assert model.evaluate()["samples"] == model.metrics["test"]["samples"]
    net = nnscratch.load(FIXTURES / "bare-network-0.1.0.npz")  # what was saved: a network
    assert type(net) is nnscratch.Network
    assert net.predict_classes([[0.0, 1.0]]).tolist()[0] in (0, 1)  # integers, not the text '0'
    bare = Model.load(FIXTURES / "bare-network-0.1.0.npz")  # the command line's view: a Model
    assert bare.task == "classification" and bare.encoder.classes == ["0", "1"]
    assert bare.predict([[0.0, 1.0]]).tolist()[0] in ("0", "1")
    with pytest.raises(ValueError, match="does not open by itself"):
        bare.evaluate()


def _rewrite(src: pathlib.Path, dst: pathlib.Path, change) -> pathlib.Path:
    net, meta = io.load_with_metadata(src)
    change(meta)
    io.save(net, dst, metadata=meta)
    return dst


SCHEMA = [
    (lambda m: m.update(feature_names="abc"), "feature_names: expected list"),
    (lambda m: m.update(feature_names=["a"]), "feature_names: expected 4 names"),
    (lambda m: m.update(target_names=["cat"]), "target_names: expected 4 class names"),
    (lambda m: m.update(target_names=[1, 2, 3, 4]), "target_names: expected 4 class names"),
    (lambda m: m.update(preprocess={"kind": "standardize", "mean": [0] * 4, "std": [0] * 4}), "std"),
    (lambda m: m.update(preprocess={"kind": "scale", "scale": -1}), "preprocess scale"),
    (lambda m: m.update(preprocess="standardize"), "preprocess: expected"),
    (lambda m: m.update(task="regression"), "task 'regression' does not match"),
    (lambda m: m.update(training=[1, 2]), "training: expected dict"),
    (lambda m: m.update(training={"lr": {"deep": 1}}), "training.lr: expected a plain value"),
    (lambda m: m.update(metrics={"test": {"loss": "low"}}), "metrics.loss"),
    (lambda m: m.update(history={"loss": ["x"]}), "history.loss: expected a list of numbers"),
    (lambda m: m.update(stream={"rows": -3}), "stream rows"),
    (lambda m: m.update(spec={"training": {"lr": -1}}), "spec"),
    (lambda m: m.update(spec="iris"), "spec: expected dict"),
    (lambda m: m.update(model_format=99), "model_format 99"),
    (lambda m: m.update(image_shape=[8]), "image_shape"),
]


@pytest.mark.parametrize("change, fragment", SCHEMA, ids=[f for _, f in SCHEMA])
def test_metadata_of_the_wrong_shape_is_one_line_value_error(tmp_path, animals, change, fragment):
    good = tmp_path / "good.npz"
    animals.save(good)
    bad = _rewrite(good, tmp_path / "bad.npz", change)
    with pytest.raises(ValueError) as info:
        nnscratch.load(bad)
    text = str(info.value)
    assert "bad.npz" in text and "\n" not in text
    assert fragment.split(":")[0].split(".")[0] in text


def test_data_named_inside_a_file_is_never_opened_or_downloaded(tmp_path, animals):
    secret = tmp_path / "secret.csv"
    secret.write_text("password,x\n1,2\n")
    for data in (str(secret), "mnist"):
        bad = _rewrite_model(tmp_path, animals, data)
        with pytest.raises(ValueError, match="does not open by itself"):
            nnscratch.load(bad).evaluate()


def _rewrite_model(tmp_path, model, data):
    path = tmp_path / "m.npz"
    model.save(path)
    return _rewrite(path, tmp_path / "named.npz", lambda m: m.update(data=data))


def test_predict_in_python_equals_the_command_line(tmp_path, animals, linear):
    animals.save(tmp_path / "animals.npz")
    linear.save(tmp_path / "linear.npz")
    with open(tmp_path / "animals.csv", "w") as f:
        body = "\n".join(",".join(map(str, r)) for r in ANIMAL_ROWS)
        f.write("body_area_m2,legs,fur_length_cm,teeth\n" + body)
    rows = np.random.default_rng(1).random((6, 2))
    np.savetxt(tmp_path / "linear.csv", rows, delimiter=",", header="x0,x1", comments="", fmt="%.17g")
    for name, expect in (("animals", lambda m: m.predict(ANIMAL_ROWS).tolist()),
                         ("linear", lambda m: [f"{v:.6g}" for v in m.predict(rows)])):
        out = subprocess.run([sys.executable, "-m", "nnscratch.cli", "predict", f"{name}.npz", f"{name}.csv"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[1:] == expect(nnscratch.load(tmp_path / f"{name}.npz"))


def test_unfitted_and_bad_arguments():
    with pytest.raises(ValueError, match="model: not trained yet"):
        Model().predict([[1, 2]])
    with pytest.raises(ValueError, match="lr: expected a positive number"):
        Model(lr=-1)
    with pytest.raises(TypeError, match="spec: expected a RunSpec"):
        Model(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="task: the data set 'linear' is regression"):
        Model(data="linear", task="classification", epochs=1).fit()
    model = Model(data="xor", hidden_sizes=(4,), epochs=2).fit()
    with pytest.raises(ValueError, match=r"x: expected rows of 2 features"):
        model.predict([[1, 2, 3]])
    with pytest.raises(ValueError, match="y: labels 'blue' are not in classes"):
        model.evaluate([[0.0, 1.0]], ["blue"])
    assert json.loads(json.dumps(model.spec.to_dict()))["data"]["data"] == "xor"


def test_fit_on_a_dataset_keeps_its_names():
    data = datasets.load("iris")
    model = Model(hidden_sizes=(8,), epochs=5).fit(data)
    assert model.spec.data == "iris" and model.feature_names == data.feature_names
    assert model.encoder.classes == data.target_names and model.evaluate()["samples"] == 30
    with pytest.raises(ValueError, match="y: a Dataset carries its targets"):
        Model().fit(data, data.y)


def test_the_model_schema_gives_plain_values_and_knows_the_history_lists(tmp_path, animals):
    """files.model checks a model file's metadata into plain values (no Model, RunSpec or History
    objects: the Model builds those), and it knows the History's per-epoch lists."""
    from nnscratch.files import model as schema
    from nnscratch.training import History

    assert schema.HISTORY_LISTS == History._LISTS
    model = animals
    model.save(tmp_path / "m.npz")
    net, meta = io.load_with_metadata(tmp_path / "m.npz")
    fields = schema.model_fields(meta, net.sizes[0], net.sizes[-1], net.output)
    plain = (dict, list, tuple, str, int, float, bool, type(None))

    def all_plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and all_plain(v) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return all(all_plain(v) for v in value)
        return isinstance(value, plain)

    assert all_plain(fields), fields
    assert fields["task"] == "classification" and fields["spec"] == model.spec.to_dict()
    assert fields["feature_names"] == list(model.feature_names)
    with pytest.raises(ValueError, match="not fields of a model file"):
        schema.model_metadata({"task": "classification", "colour": "red"})


def test_a_loaded_model_keeps_learning_online(tmp_path):
    """partial_fit on a model read from a file: a fresh optimizer (its state is not in the file), the
    history continued."""
    model = Model(data="iris", hidden_sizes=(8,), epochs=2, seed=0).fit()
    model.save(tmp_path / "m.npz")
    loaded = Model.load(tmp_path / "m.npz")
    data = nnscratch.datasets.load("iris")
    before = loaded.network.params["W1"].copy()
    loaded.partial_fit(data.x[:30], [data.target_names[i] for i in data.y[:30]])
    assert loaded.history.epochs == 3
    assert not np.array_equal(before, loaded.network.params["W1"])
