"""IDX data sets, MNIST and Fashion-MNIST: download (mirrors in turn), SHA-256 check, cache, parsing.

Files are cached in ``$NNSCRATCH_DATA/<name>/`` if that variable is set, else in
``$XDG_CACHE_HOME/nnscratch/<name>/`` (``~/.cache/nnscratch/<name>/``). A download goes to a
temporary file that replaces the cached copy only after its SHA-256 matches the published value.
Offline, put the four ``.gz`` files in that directory by hand.

``load_mnist(normalize=True, flatten=True, one_hot_label=False)`` has the signature of
『ゼロから作る Deep Learning』's ``dataset.mnist.load_mnist``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnscratch.datasets._base import Dataset
from nnscratch.files.zipread import ArchiveError, open_regular
from nnscratch.functions import to_one_hot

__all__ = ["data_home", "fetch", "read_idx", "load_mnist", "mnist", "fashion_mnist", "FILES", "SOURCES"]

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# mirrors tried in turn, and the published SHA-256 of each gzip file
SOURCES: dict[str, dict] = {
    "mnist": {
        "title": "MNIST",
        "mirrors": [
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ],
        "sha256": {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        "classes": [str(i) for i in range(10)],
    },
    "fashion_mnist": {
        "title": "Fashion-MNIST",
        "mirrors": [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ],
        "sha256": {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        "classes": [
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ],
    },
}

TIMEOUT = 30.0
_CHUNK = 1 << 20
_DEFLATE_MAX_RATIO = 1032  # no deflate stream expands more than this

# IDX type codes → numpy dtypes (big-endian)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _user_agent() -> str:
    from nnscratch import __version__

    return f"nnscratch/{__version__} (dataset loader; +https://pypi.org/project/nnscratch/)"


def data_home(name: str | None = None) -> Path:
    """The cache directory: ``$NNSCRATCH_DATA``, else ``$XDG_CACHE_HOME/nnscratch``, else
    ``~/.cache/nnscratch``; with ``name``, its sub-directory for that data set."""
    root = os.environ.get("NNSCRATCH_DATA")
    if root:
        base = Path(root).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "nnscratch"
    return base / name if name else base


def _source(name: str) -> dict:
    key = name.lower().replace("-", "_")
    if key not in SOURCES:
        raise ValueError(f"name: unknown IDX data set {name!r}; expected one of {', '.join(SOURCES)}")
    return SOURCES[key]


def sha256_of(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, dest: Path, expected: str | None, timeout: float) -> None:
    """Fetch ``url`` into ``dest`` through a temporary file; verify SHA-256 before replacing."""
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
        digest = h.hexdigest()
        if expected is not None and digest != expected:
            raise ValueError(f"SHA-256 mismatch: got {digest}, expected {expected}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fetch(
    name: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    checksums: dict[str, str] | None = None,
    download: bool = True,
    timeout: float = TIMEOUT,
) -> dict[str, Path]:
    """Make sure the four gzip files of ``name`` are in the cache and verified; return their paths.

    A cached file is used when its SHA-256 matches. Otherwise each mirror is tried in turn (with a
    User-Agent header and ``timeout`` seconds). When all fail, the error lists what to put where.
    """
    source = _source(name)
    mirrors = list(mirrors if mirrors is not None else source["mirrors"])
    checksums = dict(source["sha256"] if checksums is None else checksums)
    default_dir = data_dir is None
    directory = Path(data_dir) if data_dir is not None else data_home(name.lower().replace("-", "_"))
    paths = {key: directory / filename for key, filename in FILES.items()}
    notes = []  # cached files that failed verification
    needed = []
    for key, path in paths.items():
        expected = checksums.get(path.name)
        if path.exists():
            digest = sha256_of(path)
            if expected is None or digest == expected:
                continue
            notes.append(f"{path} has SHA-256 {digest}, expected {expected} (corrupt or a different file)")
        needed.append(key)
    if not needed:
        return paths
    if not download:
        detail = "; ".join(notes) or "downloads are switched off"
        raise OSError(_manual_hint(source, directory, mirrors, detail, default_dir))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(
            f"cannot create the cache directory {directory} ({exc.strerror}); set NNSCRATCH_DATA"
        ) from None
    for key in needed:
        path = paths[key]
        failures = []
        for mirror in mirrors:
            url = mirror if mirror.endswith(path.name) else mirror.rstrip("/") + "/" + path.name
            try:
                _download(url, path, checksums.get(path.name), timeout)
                break
            except ValueError as exc:  # checksum mismatch
                failures.append(f"{url}: {exc}")
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                reason = getattr(exc, "reason", None) or exc
                failures.append(f"{url}: {reason}")
        else:
            detail = "; ".join(notes + (failures or ["no mirrors given"]))
            raise OSError(_manual_hint(source, directory, mirrors, detail, default_dir))
    return paths


def _manual_hint(
    source: dict, directory: Path, mirrors: Sequence[str], detail: str, default_dir: bool
) -> str:
    files = ", ".join(FILES.values())
    where = f" (e.g. from {mirrors[0]})" if mirrors else ""
    env = f" (or set NNSCRATCH_DATA to a directory holding a {directory.name}/ folder)" if default_dir else ""
    return (
        f"could not get {source['title']} ({detail}). Download {files} by hand{where} "
        f"and put them in {directory}{env}"
    )


def _read_exact(stream, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = stream.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _fill(stream, view: memoryview) -> int:
    """Read into ``view`` until it is full or the data end; the number of bytes read."""
    done = 0
    while done < len(view):
        n = stream.readinto(view[done: done + _CHUNK])
        if not n:
            break
        done += n
    return done


def _count_rest(stream, cap: int = 16 << 20) -> int:
    """Bytes left in ``stream`` (counting stops past ``cap``), read in bounded chunks."""
    count = 0
    while count <= cap and (part := stream.read(_CHUNK)):
        count += len(part)
    return count


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (gzip-compressed or not): magic 00 00 <type> <ndim>, ndim big-endian
    uint32 sizes, then the data. Truncated, oversized or foreign files raise ``ValueError``.

    The file must be a regular file; the header is read first and the declared data size checked
    against what the file can hold (its size, or 1032× it when gzip-compressed, deflate's limit)
    before one array of exactly that size is filled, so a forged header or a gzip bomb cannot make
    the reader allocate more than the file justifies.
    """
    label = os.fspath(path)
    try:
        f = open_regular(path)
    except ArchiveError as exc:
        raise ValueError(f"{label}: {exc.problem}; pass the path of an IDX file") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        gzipped = f.read(2) == b"\x1f\x8b"
        f.seek(0)
        stream = gzip.GzipFile(fileobj=f, mode="rb") if gzipped else f
        try:
            return _parse_idx(label, stream, size, gzipped)
        except (OSError, EOFError, zlib.error) as exc:
            if not gzipped:
                raise
            raise ValueError(f"{label}: truncated or corrupt gzip data ({exc})") from None


def _parse_idx(label: str, stream, size: int, gzipped: bool) -> np.ndarray:
    head = _read_exact(stream, 4)
    if len(head) < 4:
        raise ValueError(
            f"{label}: truncated IDX file: {len(head)} bytes, shorter than the 4-byte magic number"
        )
    zero, type_code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or type_code not in _IDX_TYPES or ndim == 0:
        raise ValueError(
            f"{label}: not an IDX file (magic bytes {head.hex(' ')}; expected 00 00 <type 08–0e> <ndim>)"
        )
    header = 4 + 4 * ndim
    dims = _read_exact(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"{label}: truncated IDX file: the header needs {header} bytes, got {4 + len(dims)}")
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = np.dtype(_IDX_TYPES[type_code])
    count = math.prod(shape)
    expected = count * dtype.itemsize
    shown = "×".join(map(str, shape))
    if not gzipped and header + expected > size:
        raise ValueError(
            f"{label}: truncated IDX file: shape {shown} needs {expected} data bytes, got {size - header}"
        )
    if gzipped and expected > _DEFLATE_MAX_RATIO * size:
        raise ValueError(
            f"{label}: truncated IDX file: shape {shown} needs {expected} data bytes, more than a gzip file "
            f"of {size} bytes can hold"
        )
    out = np.empty(count, dtype=dtype)
    got = _fill(stream, memoryview(out.view(np.uint8))) if count else 0
    if got < expected:
        raise ValueError(f"{label}: truncated IDX file: shape {shown} needs {expected} data bytes, got {got}")
    extra = _count_rest(stream)
    if extra:
        raise ValueError(
            f"{label}: IDX file has {extra} bytes after the data of shape {shown}; not a valid IDX file"
        )
    return out.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _arrays(name: str, **kwargs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    paths = fetch(name, **kwargs)
    arrays = {key: read_idx(p) for key, p in paths.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(
                f"{paths[f'{part}_images']}: expected images of shape (N, rows, cols) and labels of shape "
                f"(N,), got {images.shape} and {labels.shape}"
            )
        if len(images) != len(labels):
            raise ValueError(
                f"{paths[f'{part}_labels']}: {len(labels)} labels for {len(images)} images; "
                f"expected equal counts"
            )
    return arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"]


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    name: str = "mnist",
    **kwargs,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((x_train, t_train), (x_test, t_test))`` as in 『ゼロから作る Deep Learning』.

    ``normalize`` scales pixels to [0, 1] float32 (else uint8 0–255); ``flatten`` gives rows of
    784 pixels (else (N, 1, 28, 28)); ``one_hot_label`` gives one-hot float32 labels. ``name`` is
    ``"mnist"`` or ``"fashion_mnist"``; other keywords go to :func:`fetch`.

    >>> (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, download=True)  # doctest: +SKIP
    >>> x_train.shape, t_train[:3]                                                     # doctest: +SKIP
    ((60000, 784), array([5, 0, 4]))
    """
    xtr, ttr, xte, tte = _arrays(name, **kwargs)

    def images(a: np.ndarray) -> np.ndarray:
        a = a.astype(np.float32) / 255.0 if normalize else a
        return a.reshape(len(a), -1) if flatten else a.reshape(len(a), 1, *a.shape[1:])

    def labels(t: np.ndarray) -> np.ndarray:
        if one_hot_label:
            return to_one_hot(t, 10, np.float32)
        return t.astype(np.intp)

    return (images(xtr), labels(ttr)), (images(xte), labels(tte))


def _dataset(name: str, **kwargs) -> Dataset:
    source = _source(name)
    (xtr, ttr), (xte, tte) = load_mnist(name=name, **kwargs)
    rows, cols = 28, 28
    if xtr.shape[1] != rows * cols:
        rows, cols = 1, xtr.shape[1]
    features = [f"pixel_{r}_{c}" for r in range(rows) for c in range(cols)]
    key = name.lower().replace("-", "_")
    common = dict(
        task="classification", name=key, feature_names=features, target_names=list(source["classes"]),
        target="label", source=f"download ({source['mirrors'][0]}), cached in {data_home(key)}",
        image_shape=(rows, cols),
    )
    test = Dataset(xte, tte, description=f"{source['title']} official test set", **common)
    return Dataset(
        xtr, ttr, description=f"{source['title']} 28×28 grey images, pixels scaled to [0, 1]",
        test=test, **common,
    )


def mnist(**kwargs) -> Dataset:
    """MNIST handwritten digits: 60,000 training and (``.test``) 10,000 test images, pixels in [0, 1].

    >>> data = mnist(download=True)        # doctest: +SKIP
    >>> data.x.shape, data.test.x.shape    # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    return _dataset("mnist", **kwargs)


def fashion_mnist(**kwargs) -> Dataset:
    """Fashion-MNIST (Zalando): 10 kinds of clothing, same shapes as MNIST; ``.test`` is the test set.

    >>> data = fashion_mnist(download=True)   # doctest: +SKIP
    >>> data.target_names[:2]                 # doctest: +SKIP
    ['T-shirt/top', 'Trouser']
    """
    return _dataset("fashion_mnist", **kwargs)
