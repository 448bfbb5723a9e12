"""MNIST / Fashion-MNIST loader against small IDX files written here; nothing is downloaded."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.request

import numpy as np
import pytest

from nnscratch import datasets as D
from nnscratch.datasets import idx as M


def idx_bytes(a: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}[a.dtype]
    return struct.pack(">HBB", 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def make_mirror(directory, n_train=6, n_test=4, side=28, seed=0):
    """Four gzip IDX files like the real ones (fewer images); returns {filename: sha256} and arrays."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, a in arrays.items():
        raw = gzip.compress(idx_bytes(a))
        (directory / name).write_bytes(raw)
        sums[name] = hashlib.sha256(raw).hexdigest()
    return sums, arrays


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open an http(s) URL fails the test."""
    real = urllib.request.urlopen

    def guarded(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        assert url.startswith("file:"), f"test tried to download {url}"
        return real(request, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", guarded)


@pytest.fixture
def mirror(tmp_path):
    sums, arrays = make_mirror(tmp_path / "mirror")
    return (tmp_path / "mirror").as_uri() + "/", sums, arrays


def test_fetch_from_mirror_verifies_and_caches(tmp_path, mirror, no_network):
    url, sums, arrays = mirror
    cache = tmp_path / "cache"
    bad = (tmp_path / "nowhere").as_uri() + "/"
    paths = M.fetch("mnist", data_dir=cache, mirrors=[bad, url], checksums=sums)  # first mirror fails
    assert set(paths) == {"train_images", "train_labels", "test_images", "test_labels"}
    for path in paths.values():
        assert path.parent == cache and M.sha256_of(path) == sums[path.name]
    assert not list(cache.glob("*.part"))
    # cached files are used without any mirror
    again = M.fetch("mnist", data_dir=cache, mirrors=[], checksums=sums)
    assert again == paths


def test_load_mnist_book_signature(tmp_path, mirror, no_network):
    url, sums, arrays = mirror
    kw = dict(data_dir=tmp_path / "c", mirrors=[url], checksums=sums)
    (x, t), (xt, tt) = D.load_mnist(**kw)
    assert x.shape == (6, 784) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    np.testing.assert_allclose(x * 255, arrays["train-images-idx3-ubyte.gz"].reshape(6, -1), atol=1e-4)
    np.testing.assert_array_equal(t, arrays["train-labels-idx1-ubyte.gz"])
    assert xt.shape == (4, 784) and tt.shape == (4,)
    (x, t), _ = D.load_mnist(normalize=False, flatten=False, one_hot_label=True, **kw)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.uint8
    assert t.shape == (6, 10) and (t.sum(axis=1) == 1).all()


def test_mnist_dataset_carries_official_test_split(tmp_path, mirror, no_network):
    url, sums, _ = mirror
    data = D.fashion_mnist(data_dir=tmp_path / "c", mirrors=[url], checksums=sums)
    assert data.n_samples == 6 and data.n_features == 784 and data.task == "classification"
    assert data.target_names[0] == "T-shirt/top" and data.test.n_samples == 4
    assert data.feature_names[-1] == "pixel_27_27"


def test_wrong_checksum_is_refused_and_leaves_nothing(tmp_path, mirror, no_network):
    url, sums, _ = mirror
    wrong = dict(sums, **{"train-images-idx3-ubyte.gz": "0" * 64})
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match="SHA-256 mismatch.*Download train-images-idx3-ubyte.gz.*by hand"):
        M.fetch("mnist", data_dir=cache, mirrors=[url], checksums=wrong)
    assert not (cache / "train-images-idx3-ubyte.gz").exists()
    assert not list(cache.glob("*.part"))


def test_corrupt_cached_file_is_replaced_from_a_mirror(tmp_path, mirror, no_network):
    url, sums, _ = mirror
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(OSError, match="has SHA-256 .* expected"):
        M.fetch("mnist", data_dir=cache, mirrors=[], checksums=sums)
    M.fetch("mnist", data_dir=cache, mirrors=[url], checksums=sums)
    assert M.sha256_of(cache / "train-labels-idx1-ubyte.gz") == sums["train-labels-idx1-ubyte.gz"]


def test_offline_error_says_what_to_put_where(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "data"))
    with pytest.raises(OSError) as info:
        D.mnist()  # the real mirrors, but the opener is offline
    message = str(info.value)
    assert "\n" not in message
    for name in M.FILES.values():
        assert name in message
    assert str(tmp_path / "data" / "mnist") in message and "network unreachable" in message
    assert "ossci-datasets" in message


def test_download_sends_user_agent_and_timeout(tmp_path, monkeypatch, mirror):
    url, sums, _ = mirror
    seen = []
    real = urllib.request.urlopen

    def spy(request, timeout=None):
        seen.append((request.get_header("User-agent"), timeout))
        return real(request.full_url.replace("https://example.invalid/", url), timeout=timeout)

    monkeypatch.setattr(urllib.request, "urlopen", spy)
    M.fetch("mnist", data_dir=tmp_path / "c", mirrors=["https://example.invalid/"], checksums=sums, timeout=7)
    assert len(seen) == 4 and all(ua.startswith("nnscratch/") and t == 7 for ua, t in seen)


def test_data_home_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NNSCRATCH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert M.data_home("mnist") == tmp_path / "xdg" / "nnscratch" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert M.data_home() == tmp_path / "home" / ".cache" / "nnscratch"
    monkeypatch.setenv("NNSCRATCH_DATA", str(tmp_path / "mine"))
    assert M.data_home("fashion_mnist") == tmp_path / "mine" / "fashion_mnist"


# ---------------------------------------------------------------- IDX parsing


def test_read_idx_plain_and_gzip(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(a))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(M.read_idx(tmp_path / "a.idx"), a)
    np.testing.assert_array_equal(M.read_idx(tmp_path / "a.idx.gz"), a)
    b = np.array([1, -2, 70000], dtype=">i4")
    (tmp_path / "b.idx").write_bytes(idx_bytes(b))
    np.testing.assert_array_equal(M.read_idx(tmp_path / "b.idx"), [1, -2, 70000])


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: raw[:-5], r"truncated IDX file: shape 2×3×4 needs 24 data bytes, got 19"),
        (lambda raw: raw[:10], r"truncated IDX file: the header needs 16 bytes"),
        (lambda raw: raw[:2], r"truncated IDX file: 2 bytes"),
        (lambda raw: raw + b"xx", r"2 bytes after the data"),
        (lambda raw: b"\x08\x03" + raw[2:], r"not an IDX file \(magic bytes 08 03 08 03"),
        (lambda raw: raw[:2] + b"\x07" + raw[3:], r"not an IDX file"),
    ],
)
def test_read_idx_bad_files(tmp_path, mutate, message):
    raw = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    path = tmp_path / "bad.idx"
    path.write_bytes(mutate(raw))
    with pytest.raises(ValueError, match=message):
        M.read_idx(path)


def test_truncated_gzip(tmp_path):
    raw = gzip.compress(idx_bytes(np.arange(3000, dtype=np.uint16).astype(np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt gzip"):
        M.read_idx(path)


def test_truncated_fixture_in_cache_fails_at_parse(tmp_path, no_network):
    """A file whose checksum was (wrongly) accepted but whose data is cut still fails clearly."""
    sums, _ = make_mirror(tmp_path / "m")
    cut = gzip.compress(idx_bytes(np.zeros((6, 28, 28), np.uint8))[:-100])
    (tmp_path / "m" / "train-images-idx3-ubyte.gz").write_bytes(cut)
    sums["train-images-idx3-ubyte.gz"] = hashlib.sha256(cut).hexdigest()
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: truncated IDX file"):
        D.load_mnist(data_dir=tmp_path / "m", mirrors=[], checksums=sums)


def test_image_label_count_mismatch(tmp_path, no_network):
    sums, _ = make_mirror(tmp_path / "m")
    raw = gzip.compress(idx_bytes(np.zeros(5, np.uint8)))
    (tmp_path / "m" / "train-labels-idx1-ubyte.gz").write_bytes(raw)
    sums["train-labels-idx1-ubyte.gz"] = hashlib.sha256(raw).hexdigest()
    with pytest.raises(ValueError, match="5 labels for 6 images"):
        D.mnist(data_dir=tmp_path / "m", mirrors=[], checksums=sums)


def test_published_checksums_are_pinned():
    for source in M.SOURCES.values():
        assert set(source["sha256"]) == set(M.FILES.values())
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in source["sha256"].values())
        assert len(source["mirrors"]) >= 2
