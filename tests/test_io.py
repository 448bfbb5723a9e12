"""Files: exact round trips, metadata, refusals with clear errors and no code run, atomic writes."""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np
import pytest

import nnscratch
from nnscratch import io

X = np.random.default_rng(0).normal(size=(50, 3))


def _net(dtype="float32", output="softmax", hidden=("relu", "tanh")):
    sizes = [3, 5, 4, 2 if output != "identity" else 1]
    return nnscratch.Network(sizes, hidden=list(hidden), output=output, seed=1, dtype=dtype)


def _arrays_of(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _meta_of(path):
    return json.loads(_arrays_of(path)[io.META_KEY].tobytes().decode("utf-8"))


def _rewrite(path, arrays, meta=None, **kwds):
    """Write an archive with the given arrays (and metadata dict) — np.savez, bypassing nnscratch."""
    arrays = dict(arrays)
    if meta is not None:
        arrays[io.META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays, **kwds)


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", ["softmax", "sigmoid", "identity"])
def test_round_trip_predictions_exactly(tmp_path, dtype, output):
    net = _net(dtype, output)
    rng = np.random.default_rng(2)
    for p in net.params.values():  # trained-looking, non-round values
        p += rng.normal(0, 0.1, p.shape).astype(p.dtype)
    path = tmp_path / "model.npz"
    net.save(path)
    loaded = nnscratch.load(path)
    assert loaded.architecture() == net.architecture()
    assert repr(loaded) == repr(net)
    for k in net.params:
        assert loaded.params[k].dtype == np.dtype(dtype)
        assert loaded.params[k].tobytes() == net.params[k].tobytes()
    assert np.array_equal(loaded.predict(X), net.predict(X))
    assert loaded.predict(X).dtype == np.dtype(dtype)


def test_a_trained_network_round_trips_and_keeps_training_identically(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((100, 3))
    y = (x.sum(1) > 1.5).astype(int)
    net = nnscratch.Network([3, 6, 2], output="softmax", seed=0)
    nnscratch.train(net, x, y, optimizer="adam", lr=0.01, epochs=3, batch_size=10, seed=0)
    net.save(tmp_path / "m.npz")
    loaded = nnscratch.load(tmp_path / "m.npz")
    assert loaded.accuracy(x, y) == net.accuracy(x, y)
    nnscratch.train(net, x, y, optimizer="sgd", lr=0.1, epochs=2, batch_size=10, seed=1)
    nnscratch.train(loaded, x, y, optimizer="sgd", lr=0.1, epochs=2, batch_size=10, seed=1)
    assert all(np.array_equal(net.params[k], loaded.params[k]) for k in net.params)


def test_metadata_round_trip_and_file_contents(tmp_path):
    net = _net()
    meta = {
        "standardize": {"mean": np.array([0.5, 1.0, -2.0]), "std": np.array([1.0, 2.0, 0.5])},
        "label_names": ["setosa", "その他"],
        "feature_names": ["a", "b", "c"],
        "n": np.int64(150),
    }
    path = tmp_path / "model.npz"
    io.save(net, path, metadata=meta)
    loaded, got = io.load_with_metadata(path)
    assert got == {
        "standardize": {"mean": [0.5, 1.0, -2.0], "std": [1.0, 2.0, 0.5]},
        "label_names": ["setosa", "その他"],
        "feature_names": ["a", "b", "c"],
        "n": 150,
    }
    assert np.array_equal(loaded.predict(X), net.predict(X))
    net.save(tmp_path / "plain.npz")
    assert io.load_with_metadata(tmp_path / "plain.npz")[1] == {}
    # the file itself: only numeric arrays and a JSON header, readable with plain NumPy and no pickle
    arrays = _arrays_of(path)
    assert sorted(arrays) == sorted([*net.params, io.META_KEY])
    header = _meta_of(path)
    assert header["format"] == "nnscratch" and header["format_version"] == io.FORMAT_VERSION
    assert header["architecture"] == net.architecture() and header["kind"] == "network"
    with pytest.raises(TypeError, match="metadata: expected a dict"):
        io.save(net, path, metadata=["not", "a", "dict"])
    with pytest.raises(TypeError, match="metadata: object values cannot be stored"):
        io.save(net, path, metadata={"x": object()})


def test_save_uses_the_exact_path_and_accepts_path_objects(tmp_path):
    net = _net()
    net.save(str(tmp_path / "model"))  # no ".npz" appended behind the user's back
    assert os.listdir(tmp_path) == ["model"]
    assert np.array_equal(nnscratch.load(pathlib.Path(tmp_path / "model")).predict(X), net.predict(X))
    with pytest.raises(FileNotFoundError, match="directory .* does not exist"):
        net.save(tmp_path / "missing" / "model.npz")
    with pytest.raises(FileNotFoundError, match="no such file"):
        nnscratch.load(tmp_path / "absent.npz")
    with pytest.raises(TypeError, match="net: expected an nnscratch.Network"):
        io.save({"W1": np.ones((2, 2))}, tmp_path / "x.npz")


# ------------------------------------------------------------------ refusals


class _Payload:
    """Unpickling this would call _payload_ran: loading must never get that far."""

    ran = False

    def __reduce__(self):
        return (_payload_ran, ())


def _payload_ran():
    _Payload.ran = True
    return "pwned"


def test_refuses_a_pickled_object_array_without_running_it(tmp_path):
    net = _net()
    path = tmp_path / "evil.npz"
    net.save(path)
    arrays = _arrays_of(path)
    meta = _meta_of(path)
    arrays["W1"] = np.array([_Payload()], dtype=object)  # np.savez pickles object arrays
    _rewrite(path, arrays)
    with pytest.raises(ValueError, match=r"evil\.npz.*'W1' holds pickled Python objects.*will not load"):
        nnscratch.load(path)
    assert _Payload.ran is False
    # a pickled metadata entry is refused the same way
    arrays = dict(net.params)
    arrays[io.META_KEY] = np.array([meta, _Payload()], dtype=object)
    _rewrite(path, arrays)
    with pytest.raises(ValueError, match="pickled Python objects"):
        nnscratch.load(path)
    # a bare pickle file (not an archive at all)
    import pickle

    path.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match="not an .npz archive.*pickle"):
        nnscratch.load(path)
    assert _Payload.ran is False


def test_refuses_truncated_and_corrupt_files(tmp_path):
    path = tmp_path / "model.npz"
    _net().save(path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 30, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=r"model\.npz.*truncated or corrupt.*write it again"):
            nnscratch.load(path)
    # a flipped byte inside an array: the archive's CRC check catches it
    bad = bytearray(data)
    start = data.index(b"W1.npy") + 200
    bad[start] ^= 0xFF
    path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="corrupt"):
        nnscratch.load(path)


def test_refuses_an_unknown_format_version(tmp_path):
    path = tmp_path / "future.npz"
    net = _net()
    net.save(path)
    meta = _meta_of(path)
    meta["format_version"] = 99
    _rewrite(path, net.params, meta)
    with pytest.raises(ValueError, match=r"future\.npz.*version 99.*reads version 1.*upgrade"):
        nnscratch.load(path)


def test_refuses_arrays_that_do_not_match_the_metadata(tmp_path):
    path = tmp_path / "model.npz"
    net = _net()
    net.save(path)
    meta = _meta_of(path)
    other = nnscratch.Network([3, 7, 4, 2], hidden=["relu", "tanh"], output="softmax", seed=0)
    # an array of another shape than the header lists
    _rewrite(path, {**net.params, "W1": other.params["W1"]}, meta)
    with pytest.raises(ValueError, match=r"array 'W1' has shape \(3, 7\).*metadata says"):
        nnscratch.load(path)
    # header and arrays agree with each other but not with the architecture
    bad = json.loads(json.dumps(meta))
    bad["arrays"]["W1"]["shape"] = [3, 7]
    _rewrite(path, {**net.params, "W1": other.params["W1"]}, bad)
    with pytest.raises(ValueError, match=r"parameter 'W1' has shape \(3, 7\).*architecture needs \(3, 5\)"):
        nnscratch.load(path)
    # another dtype than the header says
    _rewrite(path, {**net.params, "b1": net.params["b1"].astype(np.float64)}, meta)
    with pytest.raises(ValueError, match="array 'b1' has shape .* dtype float64"):
        nnscratch.load(path)
    # a missing array, an unlisted one
    params = dict(net.params)
    del params["b2"]
    _rewrite(path, params, meta)
    with pytest.raises(ValueError, match=r"does not match its metadata: missing arrays \['b2'\]"):
        nnscratch.load(path)
    _rewrite(path, {**net.params, "extra": np.ones(3)}, meta)
    with pytest.raises(ValueError, match=r"unlisted arrays \['extra'\]"):
        nnscratch.load(path)
    # an unknown activation in the architecture
    bad = json.loads(json.dumps(meta))
    bad["architecture"]["hidden"] = ["relu", "swish"]
    _rewrite(path, net.params, bad)
    with pytest.raises(ValueError, match="cannot build.*'swish'"):
        nnscratch.load(path)
    # NaN parameters
    _rewrite(path, {**net.params, "W2": np.full_like(net.params["W2"], np.nan)}, meta)
    with pytest.raises(ValueError, match="W2 contains NaN"):
        nnscratch.load(path)


def test_refuses_files_not_written_by_nnscratch(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.ones(3))
    with pytest.raises(ValueError, match=r"other\.npz.*not written by nnscratch.*net\.save\(path\)"):
        nnscratch.load(path)
    _rewrite(path, {"W1": np.ones((2, 2))}, {"format": "something-else"})
    with pytest.raises(ValueError, match="does not describe an nnscratch file"):
        nnscratch.load(path)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="single .npy array"):
        nnscratch.load(npy)
    text = tmp_path / "notes.txt"
    text.write_text("W1 = [[1, 2], [3, 4]]\n")
    with pytest.raises(ValueError, match=r"notes\.txt"):
        nnscratch.load(text)
    _rewrite(path, {}, None, __meta__=np.array([1.5, 2.5]))
    with pytest.raises(ValueError, match="expected UTF-8 JSON bytes"):
        nnscratch.load(path)
    _rewrite(path, {}, None, __meta__=np.frombuffer(b"{not json", dtype=np.uint8))
    with pytest.raises(ValueError, match="not valid JSON"):
        nnscratch.load(path)


# ------------------------------------------------------------------ atomic writes


def test_a_failure_during_save_leaves_the_existing_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = _net()
    old.save(path)
    before = path.read_bytes()
    new = _net(dtype="float64", output="identity")

    def failing_savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 the first bytes of an archive")  # part of the new file is written ...
        raise OSError(28, "No space left on device")  # ... then the disk fills up

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file is gone
    assert np.array_equal(nnscratch.load(path).predict(X), old.predict(X))
    # and a successful save replaces it completely, keeping its permissions
    os.chmod(path, 0o640)
    new.save(path)
    assert np.array_equal(nnscratch.load(path).predict(X), new.predict(X))
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_an_interrupt_during_save_leaves_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "fresh.npz"

    def interrupted(file, *args, **kwargs):
        file.write(b"PK")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _net().save(path)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ checkpoints


def test_checkpoint_round_trip(tmp_path):
    net = _net("float64")
    path = tmp_path / "ck.npz"
    state = {"epoch": 3, "rng": {"state": 2**100 + 7}, "history": {"loss": [1.0, 0.5]}}
    arrays = {"optim.m.W1": np.arange(15.0).reshape(3, 5), "optim.t": np.array(4)}
    io.save_checkpoint(path, net, state, arrays, metadata={"note": "run 1"})
    loaded, got_state, got_arrays = io.load_checkpoint(path)
    assert got_state == state  # big integers (random generator states) survive JSON
    assert sorted(got_arrays) == sorted(arrays)
    for k in arrays:
        assert np.array_equal(got_arrays[k], arrays[k]) and got_arrays[k].dtype == arrays[k].dtype
    assert np.array_equal(loaded.predict(X), net.predict(X))
    assert io.load_with_metadata(path)[1] == {"note": "run 1"}
    net.save(tmp_path / "net.npz")
    with pytest.raises(ValueError, match="is a saved network, not a training checkpoint"):
        io.load_checkpoint(tmp_path / "net.npz")
    with pytest.raises(ValueError, match="clash"):
        io.save_checkpoint(path, net, state, {"W1": np.ones(2)})


def test_ctrl_c_during_a_write_waits_for_the_whole_file(tmp_path, monkeypatch):
    """SIGINT that arrives while a file is written is delivered after it: the file is complete and no
    temporary file is left (a KeyboardInterrupt between creating and cleaning it up would leak it)."""
    import signal

    from nnscratch.files import archive as _archive

    real = np.savez

    def interrupted_savez(f, **arrays):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of the write
        real(f, **arrays)

    monkeypatch.setattr(np, "savez", interrupted_savez)
    path = tmp_path / "a.npz"
    with pytest.raises(KeyboardInterrupt):
        _archive.atomic_savez(path, {"x": np.arange(3)})
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["a.npz"]
    assert np.load(path)["x"].tolist() == [0, 1, 2]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back
