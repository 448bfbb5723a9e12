"""Fuzzing every reader of someone else's files: only ValueError/OSError naming the file, never a hang.

Mutated valid model, checkpoint and data files (bit flips, truncations, inserted bytes, .npy header
edits, zip directory edits, huge declared sizes, deep JSON), random bytes and crafted archives go to
``nnscratch.load``, ``io.load_checkpoint`` and the data readers. ``CASES`` counts the inputs tried.
"""

from __future__ import annotations

import io as _io
import json
import signal
import struct
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnscratch
from nnscratch import datasets, io

CASES: Counter = Counter()
SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("a reader took more than 10 s")


def _model_bytes(tmp, kind="network") -> bytes:
    net = nnscratch.Network([3, 4, 2], output="softmax", seed=0)
    path = tmp / f"seed-{kind}.npz"
    if kind == "network":
        io.save(net, path, metadata={"feature_names": ["a", "b", "c"], "n": 3})
    else:
        io.save_checkpoint(path, net, {"epoch": 2, "rng": {"s": 2**80}}, {"optim.m.W1": np.ones((3, 4))})
    return path.read_bytes()


def _data_bytes(compressed=False) -> bytes:
    buf = _io.BytesIO()
    arrays = dict(x=np.arange(24.0).reshape(6, 4), y=np.array([0, 1, 1, 0, 2, 2]),
                  feature_names=np.array(["p", "q", "r", "s"]), target_names=np.array(["u", "v", "w"]))
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


READERS = {
    "load": lambda p: nnscratch.load(p),
    "load_checkpoint": lambda p: io.load_checkpoint(p),
    "read_npz": lambda p: datasets.read_npz(p),
    "read_file": lambda p: datasets.read_file(p),
    "read_features": lambda p: datasets.read_features(p, None, 4),
}


def check_all(path, data: bytes, readers=READERS) -> None:
    """Every reader on ``data`` (written to ``path``): success, or ValueError/OSError naming the file."""
    path.write_bytes(data)
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for name, read in readers.items():
            CASES[name] += 1
            signal.alarm(10)
            try:
                read(path)
            except (ValueError, OSError) as exc:
                message = str(exc)
                assert str(path) in message, f"{name}: the file is not named in {message!r}"
                assert "\n" not in message, f"{name}: not one line: {message!r}"
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seeds")
    return {"network": _model_bytes(tmp), "checkpoint": _model_bytes(tmp, "checkpoint"),
            "data": _data_bytes(), "compressed": _data_bytes(compressed=True)}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nfuzz cases: {sum(CASES.values())} reader calls {dict(CASES)}")


SEED_NAMES = st.sampled_from(["network", "checkpoint", "data", "compressed"])


# ---------------------------------------------------------------- hypothesis mutations


@SETTINGS
@given(name=SEED_NAMES, flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
                                       min_size=1, max_size=8))
def test_bit_flips(tmp_path, seeds, name, flips):
    data = bytearray(seeds[name])
    for where, bit in flips:
        data[int(where * len(data))] ^= 1 << bit
    check_all(tmp_path / "flipped.npz", bytes(data))


@SETTINGS
@given(name=SEED_NAMES, cut=st.floats(0, 1), insert=st.binary(max_size=40), at=st.floats(0, 1))
def test_truncations_and_insertions(tmp_path, seeds, name, cut, insert, at):
    data = seeds[name]
    check_all(tmp_path / "cut.npz", data[: int(cut * len(data))])
    i = int(at * len(data))
    check_all(tmp_path / "inserted.npz", data[:i] + insert + data[i:])


def _replace_member(data: bytes, member: str, payload: bytes, method=zipfile.ZIP_STORED) -> bytes:
    """The archive with one member's content replaced (a valid zip; everything else as it was)."""
    src = zipfile.ZipFile(_io.BytesIO(data))
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = payload if info.filename == member else src.read(info.filename)
            kind = method if info.filename == member else info.compress_type
            dst.writestr(info.filename, body, compress_type=kind)
    return out.getvalue()


NPY_HEADERS = st.one_of(
    st.text(max_size=80),
    st.builds(lambda d, f, s: repr({"descr": d, "fortran_order": f, "shape": s}),
              st.sampled_from(["<f4", "<f8", "|O", ">f4", "<c16", "|u1", "<U3", "|V8", "<M8", "x", "<f4 "]),
              st.sampled_from([True, False, 0, "no"]),
              st.one_of(st.tuples(st.integers(-2, 10**13)), st.tuples(st.integers(0, 5), st.integers(0, 5)),
                        st.just(()), st.just((1.5,)), st.just(([3],)))),
    st.just("{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 300 + ")" * 300 + "}"),
)


@SETTINGS
@given(name=SEED_NAMES, header=NPY_HEADERS, version=st.sampled_from([1, 2, 3, 9]),
       extra=st.binary(max_size=64))
def test_npy_header_edits(tmp_path, seeds, name, header, version, extra):
    data = seeds[name]
    member = "W1.npy" if name in ("network", "checkpoint") else "x.npy"
    text = header.encode("utf-8", "replace")
    width = "<H" if version == 1 else "<I"
    npy = b"\x93NUMPY" + bytes([version, 0]) + struct.pack(width, len(text)) + text + extra
    check_all(tmp_path / "header.npz", _replace_member(data, member, npy))


def _meta_archive(seed: bytes, meta_text: bytes) -> bytes:
    return _replace_member(seed, "__meta__.npy", _npy(np.frombuffer(meta_text, dtype=np.uint8)))


def _npy(a: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20,
)


@SETTINGS
@given(name=st.sampled_from(["network", "checkpoint"]), key=st.sampled_from(
    ["format", "format_version", "kind", "architecture", "arrays", "metadata", "checkpoint", "sizes",
     "hidden", "output", "loss", "dtype"]), value=JSON_VALUES)
def test_metadata_edits(tmp_path, seeds, name, key, value):
    with np.load(_io.BytesIO(seeds[name])) as z:
        meta = json.loads(z["__meta__"].tobytes())
    target = meta["architecture"] if key in ("sizes", "hidden", "output", "loss", "dtype") else meta
    target[key] = value
    check_all(tmp_path / "meta.npz", _meta_archive(seeds[name], json.dumps(meta).encode()))


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
@pytest.mark.parametrize("bracket", ["[", "{\"a\":"])
def test_deep_json(tmp_path, seeds, depth, bracket):
    close = "]" if bracket == "[" else "}"
    text = (bracket * depth + "1" + close * depth).encode()
    path = tmp_path / "deep.npz"
    check_all(path, _meta_archive(seeds["network"], text))
    with pytest.raises(ValueError, match=r"deep\.npz.*nests .* levels deep, more than 64"):
        nnscratch.load(path)


# ---------------------------------------------------------------- zip directory edits


def _central_directory(data: bytes) -> list[int]:
    """Offsets of the central directory headers."""
    out, pos = [], data.find(b"PK\x01\x02")
    while pos >= 0:
        out.append(pos)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return out


# (offset inside a central directory header, struct format) of its fields
CD_FIELDS = [(4, "<H"), (6, "<H"), (8, "<H"), (10, "<H"), (16, "<I"), (20, "<I"), (24, "<I"), (28, "<H"),
             (30, "<H"), (32, "<H"), (34, "<H"), (42, "<I")]
EOCD_FIELDS = [(4, "<H"), (6, "<H"), (8, "<H"), (10, "<H"), (12, "<I"), (16, "<I"), (20, "<H")]
HUGE = st.sampled_from([0, 1, 7, 8, 9, 99, 0xFFFF, 0xFFFFFFFF, 2**31, 2**30 + 5, 10**9])


@SETTINGS
@given(name=SEED_NAMES, edits=st.lists(st.tuples(st.booleans(), st.integers(0, 20), st.integers(0, 11), HUGE),
                                       min_size=1, max_size=4))
def test_zip_directory_edits(tmp_path, seeds, name, edits):
    data = bytearray(seeds[name])
    headers = _central_directory(bytes(data))
    eocd = data.rfind(b"PK\x05\x06")
    for in_cd, which, field, value in edits:
        if in_cd:
            offset, fmt = CD_FIELDS[field]
            base = headers[which % len(headers)]
        else:
            offset, fmt = EOCD_FIELDS[field % len(EOCD_FIELDS)]
            base = eocd
        struct.pack_into(fmt, data, base + offset, value & (0xFFFF if fmt == "<H" else 0xFFFFFFFF))
    check_all(tmp_path / "zipdir.npz", bytes(data))


# ---------------------------------------------------------------- random bytes


CSV_READERS = {"read_csv": datasets.read_csv, "read_features": lambda p: datasets.read_features(p, None, 2)}


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(0)
    prefixes = [b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY\x01\x00", b"\x80\x04", b"\xef\xbb\xbf"]
    for i in range(300):
        data = prefixes[i % len(prefixes)] + rng.bytes(int(rng.integers(0, 400)))
        check_all(tmp_path / "random.npz", data)
        check_all(tmp_path / "random.csv", data, CSV_READERS)


def test_random_csv_text(tmp_path):
    rng = np.random.default_rng(1)
    alphabet = list('0123456789.,-e"\n\r x\t\ufeff;') + ["nan", "inf", "1e400", '""']
    for _ in range(300):
        text = "a,b,y\n" + "".join(rng.choice(alphabet, size=int(rng.integers(0, 200))))
        check_all(tmp_path / "t.csv", text.encode(), CSV_READERS)


# ---------------------------------------------------------------- crafted archives


def _zip(members: dict[str, bytes], method=zipfile.ZIP_STORED) -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def _npy_header(descr: str, shape: tuple) -> bytes:
    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


CRAFTED = {
    "empty": b"",
    "a 10**12-element header": _zip({"x.npy": _npy_header("<f8", (10**12,)) + bytes(64),
                                     "y.npy": _npy(np.zeros(8))}),
    "object array": _zip({"x.npy": _npy_header("|O", (2,)) + b"\x80\x04N.", "y.npy": _npy(np.zeros(2))}),
    "big-endian": _zip({"x.npy": _npy(np.ones((2, 2), ">f4")), "y.npy": _npy(np.zeros(2))}),
    "structured": _zip({"x.npy": _npy(np.zeros(2, "i4,f4")), "y.npy": _npy(np.zeros(2))}),
    "complex": _zip({"x.npy": _npy(np.zeros((2, 2), complex)), "y.npy": _npy(np.zeros(2))}),
    "not npy members": _zip({"x.txt": b"1,2", "y.npy": _npy(np.zeros(2))}),
    "bzip2": _zip({"x.npy": _npy(np.zeros((2, 2))), "y.npy": _npy(np.zeros(2))}, zipfile.ZIP_BZIP2),
    "lzma": _zip({"x.npy": _npy(np.zeros((2, 2))), "y.npy": _npy(np.zeros(2))}, zipfile.ZIP_LZMA),
    "corrupt deflate": bytearray(_zip({"x.npy": _npy(np.arange(400.0).reshape(100, 4)),
                                       "y.npy": _npy(np.zeros(100))}, zipfile.ZIP_DEFLATED)),
    "encrypted flag": bytearray(_zip({"x.npy": _npy(np.zeros((2, 2))), "y.npy": _npy(np.zeros(2))})),
    "x with no rows": _zip({"x.npy": _npy(np.zeros((0, 4))), "y.npy": _npy(np.zeros(0))}),
    "scalar y": _zip({"x.npy": _npy(np.zeros((2, 4))), "y.npy": _npy(np.float64(1))}),
}
CRAFTED["corrupt deflate"][60:80] = b"\xff" * 20
for _pos in _central_directory(bytes(CRAFTED["encrypted flag"])) + [0]:
    CRAFTED["encrypted flag"][_pos + (8 if _pos else 6)] |= 1
CRAFTED = {k: bytes(v) for k, v in CRAFTED.items()}


@pytest.mark.parametrize("what", list(CRAFTED))
def test_crafted_archives(tmp_path, what):
    check_all(tmp_path / "crafted.npz", CRAFTED[what])
    with pytest.raises(ValueError, match=r"crafted\.npz"):
        datasets.read_npz(tmp_path / "crafted.npz")


def test_valid_files_still_read(tmp_path, seeds):
    """The seeds themselves load (the fuzzing starts from files that work)."""
    (tmp_path / "m.npz").write_bytes(seeds["network"])
    assert nnscratch.load(tmp_path / "m.npz").network.sizes == [3, 4, 2]
    (tmp_path / "c.npz").write_bytes(seeds["checkpoint"])
    assert io.load_checkpoint(tmp_path / "c.npz")[1]["rng"]["s"] == 2**80
    for name in ("data", "compressed"):
        (tmp_path / "d.npz").write_bytes(seeds[name])
        d = datasets.read_npz(tmp_path / "d.npz")
        assert d.x.shape == (6, 4) and d.target_names == ["u", "v", "w"] and d.feature_names == list("pqrs")


def test_a_deflate_member_longer_than_declared_is_refused(tmp_path, seeds):
    """The directory says 8 bytes less than the stream holds: decompression stops at the declared size."""
    payload = _npy(np.arange(24.0).reshape(6, 4))
    data = bytearray(_replace_member(seeds["data"], "x.npy", payload, zipfile.ZIP_DEFLATED))
    pos = [p for p in _central_directory(bytes(data)) if data[p + 46: p + 51] == b"x.npy"][0]
    usize = struct.unpack_from("<I", data, pos + 24)[0]
    struct.pack_into("<I", data, pos + 24, usize - 8)
    (tmp_path / "long.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"long\.npz"):
        datasets.read_npz(tmp_path / "long.npz")
