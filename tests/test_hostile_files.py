"""Files from someone else, end to end: the CLI's one-line refusals, a memory bound, FIFOs, bounded
CSV lines, stale temporary files and the unchanged file layout."""

from __future__ import annotations

import ast
import io as _io
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import nnscratch
from nnscratch import datasets, io
from nnscratch.datasets import _text
from nnscratch.datasets.files import RowReader
from nnscratch.files import network as _netfile

SRC = pathlib.Path(nnscratch.__file__).parent


def cli(*args: str, cwd, stdin=None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", NNSCRATCH_DATA=str(cwd / ".data"))
    return subprocess.run([sys.executable, "-m", "nnscratch.cli", *args], cwd=cwd, stdin=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.args, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnscratch: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def _npy(a: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _npy_header(descr: str, shape: tuple) -> bytes:
    """A version 1.0 .npy header declaring ``shape`` (padded as NumPy pads it), without data."""
    import struct

    text = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


# ---------------------------------------------------------------- the CLI on hostile files


def _hostile_files(tmp: pathlib.Path) -> dict[str, pathlib.Path]:
    net = nnscratch.Network([2, 3, 2], output="softmax", seed=0)
    good = tmp / "good.npz"
    net.save(good)
    data = good.read_bytes()
    rng = np.random.default_rng(3)
    files = {}

    def put(name: str, body: bytes) -> None:
        files[name] = tmp / name
        files[name].write_bytes(body)

    for i in range(3):
        flipped = bytearray(data)
        flipped[int(rng.integers(len(data)))] ^= 0x10
        put(f"flip{i}.npz", bytes(flipped))
    put("random.npz", rng.bytes(300))
    put("cut.npz", data[: len(data) // 3])
    deep = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, zipfile.ZipFile(deep, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "__meta__.npy":
                body = _npy(np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8))
            dst.writestr(info.filename, body)
    put("deep.npz", deep.getvalue())
    bad_method = bytearray(data)
    cd = data.find(b"PK\x01\x02")
    bad_method[cd + 10] = 99  # an unknown compression method in the directory
    put("method.npz", bytes(bad_method))
    put("header.npz", data.replace(b"'shape': (2, 3)", b"'shape': (9, 9)"))
    return files


def test_the_cli_refuses_hostile_files_in_one_line(tmp_path):
    files = _hostile_files(tmp_path)
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    runs = []
    for name in files:
        runs += [("summary", name), ("evaluate", name, "--data", "circles"), ("predict", name, "x.csv"),
                 ("train", "--data", name, "--epochs", "1", "--no-save")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda args: cli(*args, cwd=tmp_path), runs))
    assert len(results) == 32
    for args, result in zip(runs, results, strict=True):
        assert_one_line_error(result, args[1] if args[0] != "train" else args[2])


# ---------------------------------------------------------------- memory bound

_LIMITED = """
import resource, sys, os
def vm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
import numpy as np, nnscratch, nnscratch.io, nnscratch.datasets, nnscratch.cli
limit = vm() + (1 << 30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
"""


def _limited(code: str, *args: str, stdin=None, timeout=120) -> subprocess.CompletedProcess:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-c", _LIMITED + textwrap.dedent(code), *args], stdin=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def _zip_bomb(path: pathlib.Path, kind: str) -> None:
    """A real model file plus a deflated 2 GiB array of zeros (the file is ~2 MB)."""
    net = nnscratch.Network([2, 3, 2], output="softmax", seed=0)
    if kind == "network":
        net.save(path)
    else:
        io.save_checkpoint(path, net, {"epoch": 1}, {})
    block = bytes(1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)  # independent of what precedes it
    header = _npy_header("<f4", (1 << 29,))
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = body.compress(header) + body.flush(zlib.Z_FULL_FLUSH)
    stream = head + chunk * 128 + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = zlib.crc32(header)
    for _ in range(128):
        crc = zlib.crc32(block, crc)
    _append_raw_member(  # zipfile cannot add pre-compressed data: the parts are written by hand
path, "big.npy", stream, len(header) + (1 << 31), crc)


def _append_raw_member(path: pathlib.Path, name: str, compressed: bytes, usize: int, crc: int) -> None:
    """Add a deflated member from its compressed bytes (zip64 sizes), rewriting the directory."""
    import struct

    data = path.read_bytes()
    eocd = data.rfind(b"PK\x05\x06")
    n, cd_size, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    cd = data[cd_offset: cd_offset + cd_size]
    raw = name.encode()
    extra_local = struct.pack("<HHQQ", 1, 16, usize, len(compressed))
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(raw), len(extra_local)) + raw + extra_local
    extra_cd = struct.pack("<HHQQ", 1, 16, usize, len(compressed))
    entry = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(raw), len(extra_cd), 0, 0, 0, 0o600 << 16, cd_offset) + raw + extra_cd
    new_cd = cd + entry
    start = cd_offset + len(local) + len(compressed)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n + 1, n + 1, len(new_cd), start, 0)
    path.write_bytes(data[:cd_offset] + local + compressed + new_cd + end)


def test_hostile_inputs_are_refused_within_a_memory_bound(tmp_path):
    """1 GiB of address space over the interpreter's: a 2 GiB zip bomb, a 10¹²-element header and
    /dev/zero as data are refused; a CSV is read with a peak of a few times its float32 size."""
    for kind in ("network", "checkpoint"):
        _zip_bomb(tmp_path / f"bomb-{kind}.npz", kind)
        assert (tmp_path / f"bomb-{kind}.npz").stat().st_size < 3 << 20
        with zipfile.ZipFile(tmp_path / f"bomb-{kind}.npz") as z:  # a valid archive: NumPy would inflate it
            assert z.getinfo("big.npy").file_size > 2 << 30
    huge = _io.BytesIO()
    with zipfile.ZipFile(huge, "w") as z:
        z.writestr("x.npy", _npy_header("<f8", (10**12,)) + bytes(80))
        z.writestr("y.npy", _npy(np.zeros(10)))
    (tmp_path / "huge.npz").write_bytes(huge.getvalue())
    rows = 400_000
    with open(tmp_path / "big.csv", "w") as f:
        f.write("a,b,c,d,y\n")
        x = np.random.default_rng(0).normal(size=(rows, 4))
        np.savetxt(f, np.column_stack([x, (x[:, 0] > 0).astype(int)]), fmt="%.6f", delimiter=",")
    code = """
    import json
    from nnscratch import io, datasets
    from nnscratch.datasets.files import RowReader
    out = {}
    def attempt(name, call):
        try:
            call()
            out[name] = "ok"
        except ValueError as exc:
            out[name] = "ValueError: " + str(exc)
    d = sys.argv[1]
    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak resident size (VmHWM) to the current one
    before = status("VmRSS")
    data = datasets.read_csv(d + "/big.csv")
    out["csv_peak_growth"] = status("VmHWM") - before
    out["csv_x_bytes"] = data.x.nbytes
    attempt("bomb-network", lambda: io.load(d + "/bomb-network.npz"))
    attempt("bomb-checkpoint", lambda: io.load_checkpoint(d + "/bomb-checkpoint.npz"))
    attempt("bomb-data", lambda: datasets.read_npz(d + "/bomb-network.npz"))
    attempt("huge", lambda: datasets.read_npz(d + "/huge.npz"))
    attempt("zero-csv", lambda: datasets.read_csv("/dev/zero"))
    attempt("zero-features", lambda: datasets.read_features("/dev/zero", None, 2))
    attempt("zero-rows", lambda: RowReader(open("/dev/zero", "rb"), ["a"], "y"))
    print(json.dumps(out))
    """
    result = _limited(code, str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for name in ("bomb-network", "bomb-checkpoint", "bomb-data"):
        assert out[name].startswith("ValueError") and "zip bomb" in out[name], out[name]
    assert "declares shape (1000000000000,)" in out["huge"]
    for name in ("zero-csv", "zero-features", "zero-rows"):
        assert out[name].startswith("ValueError") and "line 1: longer than" in out[name], out[name]
    assert out["csv_x_bytes"] == rows * 4 * 4
    # the old reader peaked at ~13× the file's size (a Python string per cell); now ~1.5–2×
    assert out["csv_peak_growth"] < 3 * (tmp_path / "big.csv").stat().st_size, out


@pytest.mark.parametrize(
    "args",
    [["stream", "m.npz", "--target", "y"], ["predict", "m.npz", "-"], ["train", "--data", "/dev/zero"]],
)
def test_dev_zero_on_stdin_is_refused_within_a_memory_bound(tmp_path, args):
    nnscratch.Network([2, 3, 2], output="softmax", seed=0).save(tmp_path / "m.npz")
    code = """
    os.chdir(sys.argv[1])
    from nnscratch.cli import main
    sys.exit(main(sys.argv[2:]))
    """
    with open("/dev/zero", "rb") as zero:
        result = _limited(code, str(tmp_path), *args, stdin=zero)
    assert_one_line_error(result, "line 1: longer than")


# ---------------------------------------------------------------- FIFOs


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.npz"
    os.mkfifo(path)
    return path


def test_a_fifo_is_refused_without_hanging(tmp_path, fifo):
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"pipe\.npz.*FIFO.*not a regular file"):
        nnscratch.load(fifo)
    with pytest.raises(ValueError, match=r"pipe\.npz.*FIFO"):
        datasets.read_npz(fifo)
    net = nnscratch.Network([2, 3, 2], output="softmax", seed=0)
    with pytest.raises(ValueError, match="not a regular file; refusing to replace it"):
        net.save(fifo)
    assert time.monotonic() - start < 5
    assert_one_line_error(cli("summary", fifo.name, cwd=tmp_path, timeout=30), "pipe.npz", "FIFO")
    result = cli("train", "--data", "circles", "--epochs", "1", "--save", fifo.name, cwd=tmp_path, timeout=30)
    assert_one_line_error(result, "--save", "pipe.npz")
    assert fifo.is_fifo()


def test_a_path_swapped_to_a_fifo_after_stat_is_refused(fifo, monkeypatch):
    """stat said 'regular file' (a race): the non-blocking open and fstat still refuse the FIFO."""
    from nnscratch.files import zipread as _zipread

    regular = os.stat(__file__)
    real_stat = os.stat
    fake = lambda p, *a, **k: regular if str(p) == str(fifo) else real_stat(p)  # noqa: E731
    monkeypatch.setattr(_zipread.os, "stat", fake)
    with pytest.raises(ValueError, match="FIFO"):
        nnscratch.load(fifo)


# ---------------------------------------------------------------- bounded CSV lines


def test_csv_errors_name_the_line(tmp_path, monkeypatch):
    long_field = tmp_path / "field.csv"
    long_field.write_text("a,y\n1,0\n" + "x" * 140_000 + ",1\n")
    with pytest.raises(ValueError, match=r"field\.csv, line 3: a field longer than 131,072"):
        datasets.read_csv(long_field)
    quote = tmp_path / "quote.csv"
    quote.write_text('a,y\n1,0\n"2,1\n3,0\n4,1\n')
    with pytest.raises(ValueError, match=r"quote\.csv, line 3: a quoted field opened here is never closed"):
        datasets.read_csv(quote)
    monkeypatch.setattr(_text, "MAX_LINE", 1000)
    long_line = tmp_path / "line.csv"
    long_line.write_text("a,y\n1,0\n" + "1," * 600 + "\n")
    with pytest.raises(ValueError, match=r"line\.csv, line 3: longer than 1,000 characters"):
        datasets.read_csv(long_line)
    stream = _io.BytesIO(b"a,y\n1,0\n" + b"2," * 600 + b"\n")
    rows = iter(RowReader(stream, ["a"], "y"))
    assert next(rows)[0] == 2
    with pytest.raises(ValueError, match=r"<stdin>, line 3: longer than 1,000"):
        next(rows)


def test_a_byte_order_mark_is_dropped_everywhere(tmp_path):
    text = "\ufeffa,y\n1,0\n2,1\n"
    (tmp_path / "bom.csv").write_text(text, encoding="utf-8")
    assert datasets.read_csv(tmp_path / "bom.csv").feature_names == ["a"]
    assert RowReader(_io.BytesIO(text.encode()), ["a"], "y").header == ["a", "y"]
    assert RowReader(_io.StringIO(text), ["a"], "y").header == ["a", "y"]
    net = nnscratch.Network([1, 3, 2], output="softmax", seed=0)
    io.save(net, tmp_path / "m.npz", metadata={"feature_names": ["a"], "target": "y",
                                               "target_names": ["0", "1"]})
    result = subprocess.run([sys.executable, "-m", "nnscratch.cli", "stream", "m.npz", "--quiet"],
                            cwd=tmp_path, input=text.encode(), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert io.load_with_metadata(tmp_path / "m.npz")[1]["stream"]["rows"] == 2


def test_csv_chunks_give_the_same_dataset(tmp_path, monkeypatch):
    """Reading in chunks of 3 rows equals reading at once: classes, regression, text labels."""
    from nnscratch.datasets import _table

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2)).round(3)
    targets = [("cls", rng.integers(0, 3, 20).astype(str)), ("reg", rng.normal(size=20).round(3).astype(str)),
               ("txt", rng.choice(["cat", "dog", "1"], 20))]
    for name, y in targets:
        path = tmp_path / f"{name}.csv"
        path.write_text("p,q,t\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(x, y, strict=True)))
        whole = datasets.read_csv(path)
        monkeypatch.setattr(_table, "CHUNK_ROWS", 3)
        chunked = datasets.read_csv(path)
        monkeypatch.undo()
        assert whole.task == chunked.task and whole.target_names == chunked.target_names
        np.testing.assert_array_equal(whole.x, chunked.x)
        np.testing.assert_array_equal(whole.y, chunked.y)
        assert whole.x.dtype == np.float32
    assert datasets.read_csv(tmp_path / "txt.csv").target_names == ["1", "cat", "dog"]


# ---------------------------------------------------------------- temporary files, layout, layering


def test_stale_temporary_files_are_removed_on_the_next_write(tmp_path):
    target = tmp_path / "model.npz"
    old = time.time() - 120
    names = {
        ".model.npz.99999999-abcdefgh.tmp": (old, False),  # a dead writer, a while ago: removed
        ".model.npz.abcd_12.tmp": (old, True),  # not the pattern (7 characters): kept
        ".model.npz.k3j4h5g6.tmp": (old, False),  # an old writer without a pid, a while ago: removed
        f".model.npz.{os.getpid()}-zzzzzzzz.tmp": (old, True),  # a live writer: kept
        ".model.npz.99999998-fresh123.tmp": (time.time(), True),  # just written: kept
        ".other.npz.99999999-abcdefgh.tmp": (old, True),  # another target: kept
    }
    for name, (mtime, _) in names.items():
        (tmp_path / name).write_bytes(b"PK")
        os.utime(tmp_path / name, (mtime, mtime))
    nnscratch.Network([2, 2], seed=0).save(target)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"model.npz"} | {n for n, (_, keep) in names.items() if keep}


def _legacy_save(net, path, metadata=None):
    """The writer of nnscratch 0.1 before files.archive, kept verbatim in substance: np.savez + __meta__
    (recording the running version, as it did, so that the bytes compare with today's writer's)."""
    params = {k: np.asarray(v, order="C") for k, v in net.params.items()}
    meta = {"format": "nnscratch", "format_version": 1, "kind": "network",
            "nnscratch_version": nnscratch.__version__,
            "architecture": net.architecture(),
            "arrays": {k: {"shape": list(a.shape), "dtype": a.dtype.name} for k, a in params.items()},
            "metadata": metadata or {}}
    text = json.dumps(meta, ensure_ascii=False)
    with open(path, "wb") as f:
        np.savez(f, **params, __meta__=np.frombuffer(text.encode("utf-8"), dtype=np.uint8))


def test_files_of_the_old_writer_load_and_the_layout_is_unchanged(tmp_path):
    net = nnscratch.Network([3, 5, 2], hidden="tanh", output="softmax", seed=4, dtype="float64")
    _legacy_save(net, tmp_path / "old.npz", metadata={"note": "ノート"})
    loaded, meta = io.load_with_metadata(tmp_path / "old.npz")
    assert meta == {"note": "ノート"} and loaded.architecture() == net.architecture()
    assert all(np.array_equal(loaded.params[k], net.params[k]) for k in net.params)
    _netfile.write_network(tmp_path / "new.npz", net.params, net.architecture(), metadata={"note": "ノート"})
    with zipfile.ZipFile(tmp_path / "old.npz") as a, zipfile.ZipFile(tmp_path / "new.npz") as b:
        assert [(i.filename, i.compress_type, i.file_size) for i in a.infolist()] == [
            (i.filename, i.compress_type, i.file_size) for i in b.infolist()]
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    assert nnscratch.load(tmp_path / "new.npz").architecture() == net.architecture()


def test_the_file_modules_import_only_the_standard_library_and_numpy():
    """The reader and the writer (files.zipread, files.npz, files.archive) need nothing else; the schemas
    add only each other and the bottom layer's constants (nnscratch._arch): files know arrays and JSON."""
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for path in sorted((SRC / "files").glob("*.py")):
        own = ("nnscratch.files.",) if path.stem in ("zipread", "npz", "archive") else (
            "nnscratch.files.", "nnscratch._arch")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level or (node.module or "").startswith(own):
                    continue
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, (path.name, roots)


def test_write_network_refuses_what_it_could_not_read_back(tmp_path):
    net = nnscratch.Network([2, 3, 1], seed=0)
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match=r"params: expected .*'W2': \(3, 1\)"):
        _netfile.write_network(path, {**net.params, "W2": np.ones((3, 2), np.float32)}, net.architecture())
    with pytest.raises(ValueError, match=r"params: \['b1'\] are not of the architecture's dtype 'float32'"):
        _netfile.write_network(path, {**net.params, "b1": np.zeros(3)}, net.architecture())
    deep: list = []
    for _ in range(70):
        deep = [deep]
    with pytest.raises(ValueError, match="metadata: nested deeper than 64"):
        _netfile.write_network(path, net.params, net.architecture(), metadata={"d": deep})
    with pytest.raises(TypeError, match="state: expected a dict"):
        _netfile.write_network(path, net.params, net.architecture(), kind="checkpoint")
    assert list(tmp_path.iterdir()) == []
    _netfile.write_network(path, net.params, net.architecture(), metadata={"d": [[1]]})
    assert io.load_with_metadata(path)[1] == {"d": [[1]]}
