"""Safe model files (モデルの保存と読み込み): ``.npz`` arrays plus JSON metadata, never pickle.

A file is an uncompressed NumPy ``.npz`` archive holding the parameters ``W1, b1, …`` and one entry
``__meta__``: UTF-8 JSON (as a uint8 array) with the format name and version, the architecture
(sizes, activations, output, loss, dtype), a manifest of every array's shape and dtype, and any
user metadata (e.g. the standardisation and label names a command-line model needs). Checkpoints
add the optimizer state, the epoch, the random generator's state and the history.

- Reading uses ``allow_pickle=False``: a file can hold only numbers, so loading one runs no code.
  Anything unexpected — a pickled object array, a truncated or corrupt archive, an unknown format
  version, arrays that disagree with the metadata, missing entries, an ``.npz`` not written by
  nnscratch — is refused with a ``ValueError`` naming the file, the problem and the fix.
- Writing is atomic: the archive goes to a temporary file in the same directory, is flushed to disk
  and then renamed over the target (``os.replace``), so a crash or Ctrl-C mid-write leaves either the
  old file or the new one, never a broken or half-old file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from nnscratch.network import Network

__all__ = ["save", "load", "load_with_metadata", "save_checkpoint", "load_checkpoint", "FORMAT_VERSION"]

FORMAT = "nnscratch"
FORMAT_VERSION = 1
META_KEY = "__meta__"
_KINDS = ("network", "checkpoint")


# ================================================================ public functions


def save(net: Network, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write ``net`` to ``path`` (the exact name given; ``.npz`` is customary) atomically.

    ``metadata`` is any JSON-ready dict (NumPy arrays and scalars become lists and numbers); it is
    returned by :func:`load_with_metadata`.
    """
    _check_net(net)
    _write(path, net, "network", {}, {}, metadata)


def load(path: str | os.PathLike) -> Network:
    """Read a network written by :func:`save` / ``net.save`` (or the network inside a checkpoint)."""
    return load_with_metadata(path)[0]


def load_with_metadata(path: str | os.PathLike) -> tuple[Network, dict]:
    """Read a network and the ``metadata`` dict saved with it (``{}`` when none was given)."""
    net, meta, _ = _read(path, kinds=_KINDS)
    return net, meta.get("metadata") or {}


def save_checkpoint(
    path: str | os.PathLike,
    net: Network,
    state: dict,
    arrays: dict[str, np.ndarray],
    metadata: dict | None = None,
) -> None:
    """Write a training checkpoint atomically: the network, a JSON ``state`` and extra ``arrays``.

    Used by ``train(..., checkpoint=path)``; ``arrays`` (optimizer moments, best parameters, …) are
    named freely except that they may not clash with the parameter names or ``__meta__``.
    """
    _check_net(net)
    if not isinstance(state, dict):
        raise TypeError(f"state: expected a dict, got {type(state).__name__}")
    clash = set(arrays) & (set(net.params) | {META_KEY})
    if clash:
        raise ValueError(f"arrays: names {sorted(clash)} clash with the parameters or {META_KEY!r}")
    _write(path, net, "checkpoint", state, arrays, metadata)


def load_checkpoint(path: str | os.PathLike) -> tuple[Network, dict, dict[str, np.ndarray]]:
    """Read a checkpoint: (network, state dict, extra arrays) as given to :func:`save_checkpoint`."""
    net, meta, extra = _read(path, kinds=("checkpoint",))
    return net, meta["checkpoint"], extra


# ================================================================ writing


def _check_net(net: object) -> None:
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(
        f"metadata: {type(value).__name__} values cannot be stored; use numbers, strings, lists and dicts"
    )


def _write(path, net: Network, kind: str, state: dict, extra: dict, metadata: dict | None) -> None:
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    params = {k: np.asarray(v, order="C") for k, v in net.params.items()}
    extra = {k: np.asarray(v, order="C") for k, v in extra.items()}
    for name, a in {**params, **extra}.items():
        if a.dtype.kind not in "biuf":
            raise TypeError(f"arrays: {name!r} has dtype {a.dtype}; only numeric arrays are stored")
    from nnscratch import __version__

    manifest = {k: {"shape": list(a.shape), "dtype": a.dtype.name} for k, a in {**params, **extra}.items()}
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "nnscratch_version": __version__,
        "architecture": net.architecture(),
        "arrays": manifest,
        "metadata": metadata or {},
    }
    if kind == "checkpoint":
        meta["checkpoint"] = state
    text = json.dumps(meta, default=_json_default, ensure_ascii=False)
    arrays = {**params, **extra, META_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    _atomic_savez(path, arrays)


def _atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """np.savez into a temporary file beside ``path``, fsync, then os.replace onto ``path``."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"path: directory {directory!r} does not exist; create it first")
    if os.path.isdir(target):
        raise IsADirectoryError(f"path: {target!r} is a directory; expected a file name such as model.npz")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
    except BaseException:  # including KeyboardInterrupt: never leave the temporary file behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _file_mode(target: str) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0o666 minus the umask."""
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        return 0o666 & ~_UMASK


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# ================================================================ reading


def _refuse(path: str, problem: str, fix: str) -> ValueError:
    return ValueError(f"path: cannot load {path!r}: {problem}; {fix}")


_NOT_OURS = "save models with net.save(path) or nnscratch.io.save(net, path)"


def _read(path, kinds: tuple[str, ...]) -> tuple[Network, dict, dict[str, np.ndarray]]:
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"path: no such file {p!r}")
    try:
        obj = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):
            raise _refuse(p, "it is not an .npz archive (it would need pickle to read, which nnscratch never "
                             "uses because unpickling can run code)", _NOT_OURS) from None
        raise _refuse(p, f"it is not a readable .npz archive ({exc})", _NOT_OURS) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _refuse(p, f"it is truncated or corrupt ({type(exc).__name__}: {exc})",
                      "write it again, e.g. from a checkpoint or by re-training") from None
    if not isinstance(obj, np.lib.npyio.NpzFile):
        raise _refuse(p, "it holds a single .npy array, not an nnscratch .npz model file", _NOT_OURS)
    with obj as z:
        meta = _read_meta(p, z)
        arrays = {}
        for name in z.files:
            if name == META_KEY:
                continue
            arrays[name] = _read_array(p, z, name)
    return _validate(p, meta, arrays, kinds)


def _read_array(p: str, z, name: str) -> np.ndarray:
    try:
        return z[name]
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise _refuse(p, f"array {name!r} holds pickled Python objects, which nnscratch never writes and "
                             f"will not load (unpickling can run code)",
                          "only load model files you or nnscratch wrote; re-save the model") from None
        raise _refuse(p, f"array {name!r} is corrupt ({exc})", "write the file again") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _refuse(p, f"it is truncated or corrupt (reading {name!r}: {type(exc).__name__}: {exc})",
                      "write it again, e.g. from a checkpoint or by re-training") from None


def _read_meta(p: str, z) -> dict:
    if META_KEY not in z.files:
        raise _refuse(p, f"it has no {META_KEY!r} entry, so it is an .npz archive not written by nnscratch",
                      _NOT_OURS)
    raw = _read_array(p, z, META_KEY)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _refuse(
            p, f"its {META_KEY!r} entry is {raw.dtype} of shape {raw.shape}, expected UTF-8 JSON bytes",
            _NOT_OURS,
        )
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(p, f"its metadata is not valid JSON ({exc})", "write the file again") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _refuse(p, "its metadata does not describe an nnscratch file", _NOT_OURS)
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise _refuse(p, f"it has format version {version!r}, which this nnscratch does not know (it reads "
                         f"version {FORMAT_VERSION})", "upgrade nnscratch to read files from a newer version")
    return meta


def _validate(p: str, meta: dict, arrays: dict[str, np.ndarray], kinds) -> tuple[Network, dict, dict]:
    kind = meta.get("kind")
    if kind not in kinds:
        if kind == "network" and kinds == ("checkpoint",):
            raise _refuse(p, "it is a saved network, not a training checkpoint",
                          "pass a file written by train(..., checkpoint=path) to resume")
        raise _refuse(p, f"it has an unknown kind {kind!r}; expected one of {', '.join(kinds)}", _NOT_OURS)
    arch = meta.get("architecture")
    manifest = meta.get("arrays")
    if not isinstance(arch, dict) or not isinstance(manifest, dict):
        raise _refuse(p, "its metadata lacks the architecture or the array manifest", "write the file again")
    sizes = arch.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        raise _refuse(p, f"its architecture has invalid layer sizes {sizes!r}", "write the file again")
    dtype = arch.get("dtype")
    if dtype not in ("float32", "float64"):
        raise _refuse(p, f"its architecture has dtype {dtype!r}, expected 'float32' or 'float64'",
                      "write the file again")
    if kind == "checkpoint" and not isinstance(meta.get("checkpoint"), dict):
        raise _refuse(p, "it is a checkpoint without its training state", "write the file again")

    # every array present is listed, every listed array is present, with the listed shape and dtype
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing arrays {missing}")
        if extra:
            parts.append(f"unlisted arrays {extra}")
        raise _refuse(p, f"it does not match its metadata: {'; '.join(parts)}", "write the file again")
    for name, a in arrays.items():
        spec = manifest[name]
        listed = [spec.get("shape"), spec.get("dtype")] if isinstance(spec, dict) else None
        if listed != [list(a.shape), a.dtype.name]:
            raise _refuse(p, f"array {name!r} has shape {a.shape} and dtype {a.dtype}, but its metadata says "
                             f"{spec!r}", "write the file again")
        if a.dtype.kind not in "biuf":
            raise _refuse(p, f"array {name!r} has dtype {a.dtype}, expected numbers", "write the file again")

    # the parameters must be exactly those the architecture implies
    params = {}
    for i in range(1, len(sizes)):
        for key, shape in ((f"W{i}", (sizes[i - 1], sizes[i])), (f"b{i}", (sizes[i],))):
            a = arrays.get(key)
            if a is None:
                raise _refuse(p, f"it lacks parameter {key!r} of a {'-'.join(map(str, sizes))} network",
                              "write the file again")
            if a.shape != shape or a.dtype.name != dtype:
                raise _refuse(p, f"parameter {key!r} has shape {a.shape} and dtype {a.dtype}, but the "
                                 f"architecture needs {shape} {dtype}", "write the file again")
            params[key] = a
    try:
        net = Network.from_params(
            params, hidden=arch.get("hidden"), output=arch.get("output"), loss=arch.get("loss"), dtype=dtype
        )
    except (ValueError, TypeError) as exc:
        problem = f"it describes a network nnscratch cannot build ({exc})"
        raise _refuse(p, problem, "write the file again") from None
    others = {k: v for k, v in arrays.items() if k not in params}
    if kind == "network" and others:
        raise _refuse(p, f"it is a network file with extra arrays {sorted(others)}", "write the file again")
    return net, meta, others
