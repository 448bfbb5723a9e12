"""Data sets: generated (seeded), scikit-learn bundled, user CSV/.npz files, split/standardise/one-hot."""

from __future__ import annotations

import numpy as np
import pytest

import nnscratch
from nnscratch import datasets as D

GENERATED = ["linear", "xor", "moons", "circles", "spiral", "blobs", "animals"]
BUNDLED = {"iris": (150, 4, 3), "wine": (178, 13, 3), "breast_cancer": (569, 30, 2), "digits": (1797, 64, 10),
           "diabetes": (442, 10, None)}


# ---------------------------------------------------------------- generated


@pytest.mark.parametrize("name", GENERATED)
def test_generated_shapes_dtypes_and_registry_sizes(name):
    data = D.load(name)
    info = D.info(name)
    assert data.x.shape == (info.n_samples, info.n_features)
    assert data.x.dtype == np.float32
    assert data.task == info.task
    assert len(data.feature_names) == data.n_features
    if data.task == "classification":
        assert data.y.dtype.kind == "i"
        assert sorted(np.unique(data.y)) == list(range(info.n_classes))
        assert data.n_classes == info.n_classes == len(data.target_names)
    else:
        assert data.y.dtype == np.float32 and data.y.shape == (info.n_samples,)
    x, y = data  # unpacks
    assert x is data.x and y is data.y


@pytest.mark.parametrize("name", GENERATED)
def test_generated_is_seeded(name):
    a, b, c = D.load(name, seed=3), D.load(name, seed=3), D.load(name, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


def test_linear_is_the_course_function():
    data = D.linear(n_samples=50, seed=1)
    assert data.x.min() >= 0 and data.x.max() < 1
    np.testing.assert_allclose(data.y, 3 * data.x[:, 0] + 2 * data.x[:, 1], rtol=1e-6)
    noisy = D.linear(n_samples=50, noise=0.5, seed=1)
    assert np.abs(noisy.y - (3 * noisy.x[:, 0] + 2 * noisy.x[:, 1])).max() > 0.1


def test_xor_labels_are_sign_xor():
    data = D.xor(n_samples=100, seed=0)
    np.testing.assert_array_equal(data.y, (data.x[:, 0] > 0) != (data.x[:, 1] > 0))


def test_class_balance_and_sizes():
    data = D.spiral(n_samples=301, n_classes=5, seed=0)
    counts = np.bincount(data.y)
    assert counts.sum() == 301 and counts.max() - counts.min() <= 1 and len(counts) == 5
    assert D.blobs(n_samples=40, n_classes=4, n_features=6).x.shape == (40, 6)


def test_animals_features_are_plausible():
    data = D.animals(n_samples=800, seed=0)
    assert data.target_names == ["cat", "dog", "horse", "chicken"]
    assert data.feature_names == ["body_area_m2", "legs", "fur_length_cm", "teeth"]
    by = {name: data.x[data.y == k] for k, name in enumerate(data.target_names)}
    assert (data.x >= 0).all()
    assert np.median(by["horse"][:, 0]) > 5 * np.median(by["dog"][:, 0])         # horses are big
    assert np.median(by["chicken"][:, 1]) == 2 and np.median(by["cat"][:, 1]) == 4  # legs
    assert (by["chicken"][:, 2] == 0).all() and (by["chicken"][:, 3] == 0).all()   # no fur, no teeth
    assert abs(np.median(by["dog"][:, 3]) - 42) <= 2 and abs(np.median(by["cat"][:, 3]) - 30) <= 2
    assert np.array_equal(data.x[:, 1], np.round(data.x[:, 1]))                     # whole legs


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: D.xor(n_samples=0), "n_samples"),
        (lambda: D.moons(noise=-1), "noise"),
        (lambda: D.spiral(n_classes=1), "n_classes"),
        (lambda: D.circles(factor=2), "factor"),
        (lambda: D.linear(seed="a"), "seed"),
    ],
)
def test_generated_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ---------------------------------------------------------------- bundled (scikit-learn)


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled(name):
    n, f, k = BUNDLED[name]
    data = D.load(name)
    assert data.x.shape == (n, f) and data.x.dtype == np.float32
    assert data.n_classes == k
    assert (D.info(name).n_samples, D.info(name).n_features, D.info(name).n_classes) == (n, f, k)
    assert "scikit-learn" in data.source


def test_digits_names():
    data = D.digits()
    assert data.feature_names[:2] == ["pixel_0_0", "pixel_0_1"] and data.target_names[9] == "9"
    assert data.x.max() == 16


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="unknown data set 'digitz'.*iris.*digits.*mnist"):
        D.load("digitz")
    with pytest.raises(ValueError, match="unknown data set"):
        D.info("nope")


def test_names_cover_the_issue():
    assert set(GENERATED) | set(BUNDLED) | {"mnist5k", "mnist", "fashion_mnist"} == set(D.names())
    assert D.load("Breast-Cancer").name == "breast_cancer"


# ---------------------------------------------------------------- CSV


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_string_labels_mapped_and_kept(tmp_path):
    path = write(tmp_path, "pets.csv", "weight,legs,kind\n4.0,4,cat\n30,4,dog\n3.5, 4 ,cat\n\n1.2,2,hen\n")
    data = D.read_csv(path, target="kind")
    assert data.task == "classification"
    assert data.target_names == ["cat", "dog", "hen"]
    np.testing.assert_array_equal(data.y, [0, 1, 0, 2])
    np.testing.assert_allclose(data.x, [[4, 4], [30, 4], [3.5, 4], [1.2, 2]])
    assert data.feature_names == ["weight", "legs"] and data.target == "kind" and data.name == "pets"


def test_csv_target_defaults_to_last_column_and_task_auto(tmp_path):
    reg = D.read_csv(write(tmp_path, "r.csv", "a,b,y\n1,2,0.5\n3,4,1.5\n5,6,2.25\n"))
    assert reg.task == "regression" and reg.y.dtype == np.float32
    np.testing.assert_allclose(reg.y, [0.5, 1.5, 2.25])
    cls = D.read_csv(write(tmp_path, "c.csv", "a,b,y\n1,2,10\n3,4,2\n5,6,10\n"))
    assert cls.task == "classification" and cls.target_names == ["2", "10"]  # numeric order
    np.testing.assert_array_equal(cls.y, [1, 0, 1])
    forced = D.read_csv(write(tmp_path, "f.csv", "a,y\n1,1\n2,2\n"), task="regression")
    assert forced.task == "regression"
    # the target column may be in the middle
    mid = D.read_csv(write(tmp_path, "m.csv", "a,y,b\n1,yes,2\n3,no,4\n"), target="y")
    np.testing.assert_allclose(mid.x, [[1, 2], [3, 4]])
    assert mid.feature_names == ["a", "b"]


@pytest.mark.parametrize(
    "text, target, message",
    [
        ("a,b,y\n1,2,0\n3,abc,1\n", None, r"bad\.csv, line 3, column 'b': 'abc' is not a number"),
        ("a,b,y\n1,2,0\n3,,1\n", None, r"bad\.csv, line 3, column 'b': empty cell"),
        ("a,b,y\n1,2,0\n3,4,1\nnan,4,1\n", None, r"bad\.csv, line 4, column 'a': 'nan' is not a finite"),
        ("a,b,y\n1,2,0.5\n3,4,\n", None, r"bad\.csv, line 3, column 'y': empty target"),
        ("", None, r"bad\.csv: empty file"),
        ("\n\n", None, r"bad\.csv: empty file"),
        ("a,b,y\n", None, r"bad\.csv: no data rows"),
        ("a,b,y\n1,2,0\n", "label", r"bad\.csv: no column 'label'; the columns are: a, b, y"),
        ("a,b,y\n1,2\n", None, r"bad\.csv, line 2: expected 3 fields as in the header, got 2"),
        ("1,2,3\n4,5,6\n", None, r"bad\.csv, line 1: expected a header row"),
        ("a,a,y\n1,2,3\n", None, r"column name 'a' appears twice"),
        ("y\n1\n", None, r"at least one feature column"),
    ],
)
def test_csv_bad_input_names_file_line_column(tmp_path, text, target, message):
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ValueError, match=message):
        D.read_csv(path, target=target)


@pytest.mark.parametrize(
    "text, target, hint",
    [
        ("animal,legs,teeth\ncat,4,30\ndog,4,42\n", None, "--target animal (in Python, target='animal')"),
        ("a,my name,y\n1,cat,0\n2,dog,1\n", None, "--target 'my name' (in Python, target='my name')"),
        ("kind,a,y\ncat,1,0\n", "y", "--target kind (in Python, target='kind')"),  # beside a chosen target
    ],
)
def test_csv_text_column_suggests_naming_it_the_target(tmp_path, text, target, hint):
    with pytest.raises(ValueError, match="is not a number; a column of text can only be the target") as err:
        D.read_csv(write(tmp_path, "text.csv", text), target=target)
    assert str(err.value).endswith(hint)


def test_csv_typo_in_a_column_of_numbers_gets_no_target_hint(tmp_path):
    with pytest.raises(ValueError) as err:
        D.read_csv(write(tmp_path, "typo.csv", "a,b,y\n1,2,0\n3,abc,1\n"))
    assert str(err.value) == f"{tmp_path / 'typo.csv'}, line 3, column 'b': 'abc' is not a number"


def test_csv_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00garbage\x00")
    with pytest.raises(ValueError, match="not a UTF-8 text CSV"):
        D.read_csv(str(path))


def test_load_dispatches_files_and_rejects_target_for_named(tmp_path):
    path = write(tmp_path, "d.csv", "p,q,cls\n1,2,a\n2,3,b\n")
    assert D.load(path, target="cls").target_names == ["a", "b"]
    with pytest.raises(ValueError, match="target"):
        D.load("iris", target="species")
    with pytest.raises(FileNotFoundError):
        D.load(str(tmp_path / "missing.csv"))


# ---------------------------------------------------------------- npz


def test_npz_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    np.savez(path, x=x, y=np.array(["b", "a", "b", "c", "a", "a"]), feature_names=np.array(["u", "v"]))
    data = D.read_npz(path)
    assert data.task == "classification" and data.target_names == ["a", "b", "c"]
    np.testing.assert_array_equal(data.y, [1, 0, 1, 2, 0, 0])
    assert data.feature_names == ["u", "v"] and data.x.dtype == np.float32
    np.savez(path, x=x, y=np.linspace(0, 1, 6))
    assert D.load(str(path)).task == "regression"
    np.savez(path, x=np.zeros((4, 3, 3)), y=np.array([0, 1, 1, 0]))
    images = D.read_npz(path)
    assert images.x.shape == (4, 9) and images.image_shape == (3, 3) and images.channels == 1  # pixel rows
    np.savez(path, x=np.arange(96.0).reshape(4, 2, 3, 4), y=np.array([0, 1, 1, 0]))
    colour = D.read_npz(path)
    assert colour.image_shape == (3, 4) and colour.channels == 2
    np.testing.assert_array_equal(colour.images(), np.arange(96.0).reshape(4, 2, 3, 4))


def test_a_convolutional_network_learns_from_an_npz_of_images_on_the_command_line(tmp_path):
    import subprocess
    import sys

    digits = D.load("digits")
    np.savez(tmp_path / "images.npz", x=digits.images()[:300], y=digits.y[:300])
    run = subprocess.run(
        [sys.executable, "-m", "nnscratch.cli", "train", "--data", "images.npz", "--layers",
         "conv4x3p1-relu-pool2-gap", "--epochs", "2", "--save", "cnn.npz", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    model = nnscratch.load(tmp_path / "cnn.npz")
    assert model.image_shape == (8, 8) and model.network.layers[0].in_channels == 1
    assert model.predict(digits.images()[:5]).shape == (5,)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"a": np.zeros(3)}, "expected arrays 'x' and 'y', found: a"),
        ({"x": np.zeros((3, 2)), "y": np.zeros(2)}, "'x' has 3 rows but 'y' has 2"),
        ({"x": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, "NaN or inf in row 0"),
        ({"x": np.array([["a"]]), "y": np.zeros(1)}, "must hold numbers"),
    ],
)
def test_npz_bad_input(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=message):
        D.read_npz(path)


def test_npz_corrupt_file(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        D.read_npz(path)


# ---------------------------------------------------------------- features for predict


def test_read_features_by_name_by_position_and_count(tmp_path):
    by_name = write(tmp_path, "n.csv", "id,b,a\n7,2,1\n8,4,3\n")
    np.testing.assert_allclose(D.read_features(by_name, ["a", "b"], 2, target="y")[0], [1, 2])
    positional = write(tmp_path, "p.csv", "c1,c2,y\n1,2,0\n")
    np.testing.assert_allclose(D.read_features(positional, ["a", "b"], 2, target="y"), [[1, 2]])
    wrong = write(tmp_path, "w.csv", "c1,c2,c3\n1,2,3\n")
    with pytest.raises(ValueError, match=r"w\.csv: expected 2 feature columns \(a, b\), got 3"):
        D.read_features(wrong, ["a", "b"], 2)
    npz = tmp_path / "x.npz"
    np.savez(npz, x=np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected 2 features per row"):
        D.read_features(str(npz), None, 2)
    assert D.read_features(npz.read_bytes(), None, 3).shape == (2, 3)


def test_row_reader_streams_rows(tmp_path):
    import io

    stream = io.StringIO("b,label,a\n2,cat,1\n\n4,dog,3\n5,cow,1\n")
    rows = D.files.RowReader(stream, ["a", "b"], "label", ["cat", "dog"])
    it = iter(rows)
    line, x, d = next(it)
    assert line == 2 and x.tolist() == [1, 2] and d == 0
    line, x, d = next(it)
    assert line == 4 and d == 1
    with pytest.raises(ValueError, match=r"line 5, column 'label': unknown class 'cow'"):
        next(it)
    with pytest.raises(ValueError, match=r"the columns are: b, label"):
        D.files.RowReader(io.StringIO("b,label\n"), ["a", "b"], "label")


# ---------------------------------------------------------------- helpers


def test_stratified_three_way_split_keeps_class_shares():
    y = np.repeat(np.arange(3), [60, 30, 10])
    x = np.arange(100, dtype=np.float32)[:, None]
    (xtr, ytr), (xva, yva), (xte, yte) = D.train_val_test_split(x, y, val_size=0.1, test_size=0.2, seed=0)
    assert len(xtr) + len(xva) + len(xte) == 100
    np.testing.assert_array_equal(np.bincount(yte), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(yva), [6, 3, 1])
    # disjoint and complete
    assert sorted(np.concatenate([xtr, xva, xte])[:, 0].tolist()) == list(range(100))
    # rows still match their labels
    np.testing.assert_array_equal(y[xte[:, 0].astype(int)], yte)
    # seeded
    again = D.train_val_test_split(x, y, seed=0)[2][0]
    np.testing.assert_array_equal(again, xte)


def test_split_regression_and_small_fractions():
    x = np.arange(10.0)[:, None]
    y = np.linspace(0, 1, 10).astype(np.float32)
    xtr, xte, ytr, yte = D.train_test_split(x, y, test_size=0.01, seed=1)
    assert len(xte) == 1 and len(xtr) == 9  # a positive fraction gets at least one sample
    with pytest.raises(ValueError, match="test_size"):
        D.train_test_split(x, y, test_size=1.0)
    with pytest.raises(ValueError, match="val_size \\+ test_size"):
        D.train_val_test_split(x, y, val_size=0.5, test_size=0.5)


def test_standardizer_uses_training_statistics_only():
    train = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]], dtype=np.float32)
    test = np.array([[10.0, 7.0]], dtype=np.float32)
    s = D.Standardizer().fit(train)
    z = s.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(z[:, 0].std(), 1, rtol=1e-6)
    assert (z[:, 1] == 0).all()                       # constant column: σ kept at 1
    np.testing.assert_allclose(s.transform(test), [[(10 - 2) / np.std([0, 2, 4]), 2.0]], rtol=1e-6)
    assert s.transform(test).dtype == np.float32
    back = D.Standardizer.from_dict(s.to_dict())
    np.testing.assert_allclose(back.inverse_transform(back.transform(test)), test, rtol=1e-6)
    with pytest.raises(ValueError, match="not fitted"):
        D.Standardizer().transform(test)
    with pytest.raises(ValueError, match="expected 2 columns"):
        s.transform(np.zeros((1, 3)))


def test_one_hot():
    np.testing.assert_array_equal(D.one_hot([2, 0], n_classes=4), [[0, 0, 1, 0], [1, 0, 0, 0]])
    assert D.one_hot(np.array([1, 1])).shape == (2, 2)
    with pytest.raises(ValueError, match="n_classes"):
        D.one_hot([3], n_classes=2)
    with pytest.raises(ValueError, match="labels"):
        D.one_hot([0.5])


def test_one_preprocessing_module_behind_both_public_names():
    import nnscratch.preprocessing as P

    for name in P.__all__:
        obj = getattr(P, name)
        if callable(obj):  # the code lives in one package; both public names hand out the same objects
            assert obj.__module__.startswith("nnscratch.datasets.preprocessing."), (name, obj.__module__)
    for name in ("train_test_split", "train_val_test_split", "Standardizer", "one_hot"):
        assert getattr(D, name) is getattr(P, name)


def test_stored_standardisation_is_checked_by_one_checker():
    good = {"mean": [0.0, 1.0], "std": [1.0, 2.0]}
    assert D.Standardizer.from_dict(good).std.tolist() == [1.0, 2.0]
    bad = [({"mean": [0.0], "std": [0.0]}, "standardization std: expected positive"),
           ({"mean": [0.0, float("nan")], "std": [1.0, 1.0]}, "standardization mean: expected"),
           ({"mean": [0.0, 1.0], "std": [1.0]}, "standardization std: expected 2 finite numbers"),
           ("mean", "standardization: expected")]
    for stored, message in bad:
        with pytest.raises(ValueError, match=message):
            D.Standardizer.from_dict(stored)
    with pytest.raises(ValueError, match="standardization mean: expected 3 finite numbers"):
        D.Standardizer.from_dict(good, n_features=3)
    from nnscratch.preprocessing import Preprocessor

    with pytest.raises(ValueError, match="preprocess std: expected positive"):
        Preprocessor.from_dict({"kind": "standardize", "mean": [0.0], "std": [-1.0]}, n_features=1)
