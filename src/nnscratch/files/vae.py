"""What a VAE file holds: the schema of the ``vae`` kind, in plain values.

The same safe ``.npz`` + JSON container as a network file (:mod:`nnscratch.files.archive`), kind
``"vae"``, holding both networks' parameters as ``encoder.W1, …, decoder.bL`` and the architecture
``{"input_size", "hidden", "latent", "dtype"}``.

Reading is bounded like every nnscratch file: the zip directory, every ``.npy`` header, the metadata
(format, version, kind, architecture) and the manifest are checked against each other — every array
present is listed and has exactly the shape the architecture implies — before any parameter data is
read; nothing is unpickled. A refusal is one ``ValueError`` naming the file, the problem and the fix.
:func:`read_vae` returns plain values; :mod:`nnscratch.generative.vae` builds the VAE from them.
"""

from __future__ import annotations

import os

import numpy as np

from nnscratch._arch import MAX_PARAMETERS
from nnscratch.files.archive import META_KEY, numeric, read_meta, reading, refuse, write_file

__all__ = ["write_vae", "read_vae", "expected_arrays", "KIND", "MAX_LATENT"]

KIND = "vae"
MAX_LATENT = 1024  # dimensions of the latent code z
AGAIN = "write the file again with vae.save(path)"


def expected_arrays(arch: dict) -> dict[str, tuple[int, ...]]:
    """``name → shape`` of a VAE's parameters: the encoder x → h… → (μ, log σ²), the decoder
    z → h… → x, each layer's ``W`` and ``b``."""
    enc = [arch["input_size"], *arch["hidden"], 2 * arch["latent"]]
    dec = [arch["latent"], *reversed(arch["hidden"]), arch["input_size"]]
    out = {}
    for name, sizes in (("encoder", enc), ("decoder", dec)):
        for i in range(1, len(sizes)):
            out[f"{name}.W{i}"] = (sizes[i - 1], sizes[i])
            out[f"{name}.b{i}"] = (sizes[i],)
    return out


def write_vae(path: str | os.PathLike, params: dict[str, np.ndarray], architecture: dict,
              metadata: dict | None = None) -> None:
    """Write a VAE's ``params`` (``encoder.W1, …``, exactly those :func:`expected_arrays` names) and its
    ``architecture`` atomically to ``path``; ``metadata`` is any JSON-ready dict."""
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    arrays = numeric("params", params)
    expected = expected_arrays(architecture)
    got = {k: a.shape for k, a in arrays.items()}
    if got != expected:
        raise ValueError(f"params: expected {expected} for the VAE's architecture, got {got}")
    write_file(path, KIND, architecture, arrays, metadata)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _architecture(p: str, meta: dict) -> dict:
    arch = meta.get("architecture")
    if not isinstance(arch, dict) or not isinstance(meta.get("arrays"), dict):
        raise refuse(p, "its metadata lacks the architecture or the array manifest", AGAIN)
    hidden = arch.get("hidden")
    ok = (_count(arch.get("input_size")) and _count(arch.get("latent")) and isinstance(hidden, list)
          and len(hidden) <= 64 and all(_count(h) for h in hidden)
          and arch.get("dtype") in ("float32", "float64"))
    if not ok or arch["latent"] > MAX_LATENT:
        raise refuse(p, f"its VAE architecture is invalid ({repr(arch)[:100]})", AGAIN)
    sizes = [arch["input_size"], *hidden, arch["latent"]]
    count = 2 * sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if count > MAX_PARAMETERS:
        raise refuse(p, f"its architecture would have {count:,} parameters, more than the "
                        f"{MAX_PARAMETERS:,} nnscratch builds", AGAIN)
    return {"input_size": arch["input_size"], "hidden": list(hidden), "latent": arch["latent"],
            "dtype": arch["dtype"]}


def read_vae(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray], dict]:
    """(architecture, parameters ``encoder.W1, …``, the user's metadata) of a VAE file written by
    :func:`write_vae`, every check passed before any parameter data is read; finite numbers only."""
    p = os.fspath(path)
    with reading(p) as z:
        meta = read_meta(p, z)
        if meta.get("kind") != KIND:
            kind = str(meta.get("kind"))[:40]
            raise refuse(p, f"it is an nnscratch {kind!r} file, not a VAE",
                         "load networks and models with nnscratch.load(path)")
        arch = _architecture(p, meta)
        expected = expected_arrays(arch)
        present = {k: h for k, h in z.headers.items() if k != META_KEY}
        if set(present) != set(expected) or set(meta["arrays"]) != set(expected):
            raise refuse(p, f"its arrays {sorted(present)[:8]} do not match a VAE "
                            f"{arch['input_size']}-{arch['hidden']}-{arch['latent']}", AGAIN)
        for key, shape in expected.items():
            h, listed = present[key], meta["arrays"][key]
            want = {"shape": list(shape), "dtype": arch["dtype"]}
            if h.shape != shape or h.dtype.name != arch["dtype"] or listed != want:
                problem = f"array {key!r} has shape {h.shape} and dtype {h.dtype}"
                raise refuse(p, f"{problem}, but the architecture needs {shape} {arch['dtype']}", AGAIN)
        arrays = {k: z.read(k) for k in expected}
    for key, a in arrays.items():
        if not np.isfinite(a).all():
            raise refuse(p, f"array {key!r} holds NaN or inf", AGAIN)
    user = meta.get("metadata")
    return arch, arrays, user if isinstance(user, dict) else {}
