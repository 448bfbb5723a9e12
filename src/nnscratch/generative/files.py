"""The VAE's file: the same safe ``.npz`` + JSON format as a network file (see ``nnscratch._archive``),
kind ``"vae"``, holding both networks' parameters as ``encoder.W1, …, decoder.bL`` and the architecture
``{"input_size", "hidden", "latent", "dtype"}``.

Reading is bounded like every nnscratch file: the zip directory, every ``.npy`` header, the metadata
(format, version, kind, architecture) and the manifest are checked against each other — every array
present is listed and has exactly the shape the architecture implies — before any parameter data is
read; nothing is unpickled. A refusal is one ``ValueError`` naming the file, the problem and the fix.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

from nnscratch import _archive, _netfile
from nnscratch._npz import Archive
from nnscratch._zipread import ArchiveError
from nnscratch.generative.vae import MAX_LATENT, VAE
from nnscratch.network import MAX_PARAMETERS

__all__ = ["save_vae", "load_vae", "KIND"]

KIND = "vae"
AGAIN = "write the file again with vae.save(path)"


def save_vae(vae: VAE, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write ``vae`` atomically to ``path`` (a temporary file, then a rename); ``metadata`` is any
    JSON-ready dict, returned by :func:`load_vae` as ``vae.metadata``."""
    if not isinstance(vae, VAE):
        raise TypeError(f"vae: expected an nnscratch.generative.VAE, got {type(vae).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    arrays = {k: np.ascontiguousarray(v) for k, v in vae.params.items()}
    meta = {
        "format": _archive.FORMAT,
        "format_version": _archive.FORMAT_VERSION,
        "kind": KIND,
        "nnscratch_version": getattr(sys.modules.get("nnscratch"), "__version__", "unknown"),
        "architecture": vae.architecture(),
        "arrays": {k: {"shape": list(a.shape), "dtype": a.dtype.name} for k, a in arrays.items()},
        "metadata": metadata or {},
    }
    text = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    if len(text) > _archive.MAX_META_BYTES:
        raise ValueError(f"metadata: {len(text):,} bytes of JSON, more than the {_archive.MAX_META_BYTES:,} "
                         f"a file holds")
    _archive.atomic_savez(path, {**arrays, _archive.META_KEY: np.frombuffer(text, dtype=np.uint8)})


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _architecture(p: str, meta: dict) -> dict:
    arch = meta.get("architecture")
    if not isinstance(arch, dict) or not isinstance(meta.get("arrays"), dict):
        raise _archive.refuse(p, "its metadata lacks the architecture or the array manifest", AGAIN)
    hidden = arch.get("hidden")
    ok = (_count(arch.get("input_size")) and _count(arch.get("latent")) and isinstance(hidden, list)
          and len(hidden) <= 64 and all(_count(h) for h in hidden)
          and arch.get("dtype") in ("float32", "float64"))
    if not ok or arch["latent"] > MAX_LATENT:
        raise _archive.refuse(p, f"its VAE architecture is invalid ({repr(arch)[:100]})", AGAIN)
    sizes = [arch["input_size"], *hidden, arch["latent"]]
    count = 2 * sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if count > MAX_PARAMETERS:
        raise _archive.refuse(p, f"its architecture would have {count:,} parameters, more than the "
                                 f"{MAX_PARAMETERS:,} nnscratch builds", AGAIN)
    return arch


def _expected(arch: dict) -> dict[str, tuple[int, ...]]:
    enc = [arch["input_size"], *arch["hidden"], 2 * arch["latent"]]
    dec = [arch["latent"], *reversed(arch["hidden"]), arch["input_size"]]
    out = {}
    for name, sizes in (("encoder", enc), ("decoder", dec)):
        for i in range(1, len(sizes)):
            out[f"{name}.W{i}"] = (sizes[i - 1], sizes[i])
            out[f"{name}.b{i}"] = (sizes[i],)
    return out


def load_vae(path: str | os.PathLike) -> VAE:
    """Read a VAE written by :meth:`VAE.save` (every check before any parameter data is read)."""
    p = os.fspath(path)
    try:
        with Archive(p) as z:
            meta = _netfile.read_meta(p, z)
            if meta.get("kind") != KIND:
                kind = str(meta.get("kind"))[:40]
                raise _archive.refuse(p, f"it is an nnscratch {kind!r} file, not a VAE",
                                      "load networks and models with nnscratch.load(path)")
            arch = _architecture(p, meta)
            expected = _expected(arch)
            present = {k: h for k, h in z.headers.items() if k != _archive.META_KEY}
            if set(present) != set(expected) or set(meta["arrays"]) != set(expected):
                raise _archive.refuse(p, f"its arrays {sorted(present)[:8]} do not match a VAE "
                                         f"{arch['input_size']}-{arch['hidden']}-{arch['latent']}", AGAIN)
            for key, shape in expected.items():
                h, listed = present[key], meta["arrays"][key]
                want = {"shape": list(shape), "dtype": arch["dtype"]}
                if h.shape != shape or h.dtype.name != arch["dtype"] or listed != want:
                    problem = f"array {key!r} has shape {h.shape} and dtype {h.dtype}"
                    raise _archive.refuse(p, f"{problem}, but the architecture needs {shape} {arch['dtype']}",
                                          AGAIN)
            arrays = {k: z.read(k) for k in expected}
    except FileNotFoundError:
        raise FileNotFoundError(f"path: no such file {p!r}") from None
    except ArchiveError as exc:
        raise _archive._from_archive_error(p, exc) from None
    for key, a in arrays.items():
        if not np.isfinite(a).all():
            raise _archive.refuse(p, f"array {key!r} holds NaN or inf", AGAIN)
    vae = VAE(arch["input_size"], hidden=tuple(arch["hidden"]), latent=arch["latent"], dtype=arch["dtype"])
    for key, a in arrays.items():
        net, name = key.split(".")
        getattr(vae, net).params[name][...] = a
    user = meta.get("metadata")
    vae.metadata = user if isinstance(user, dict) else {}
    return vae
