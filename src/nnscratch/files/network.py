"""What a network file holds: the schema of the ``network`` and ``checkpoint`` kinds, in plain values.

:func:`write_network` checks the parameters against the architecture and writes them with the manifest
and the metadata through :func:`nnscratch.files.archive.write_file`; :func:`read_network_file` checks
the metadata, the architecture (a Network's ``sizes`` or a stack's ``layers``) and the manifest against
the zip's headers before any parameter data is read, and returns plain values — the metadata dict and
named arrays. The network builds itself from them (:mod:`nnscratch.io`); a checkpoint's training state
is checked by :mod:`nnscratch.files.checkpoint`. The container itself (atomic writes, JSON rules,
refusals) is :mod:`nnscratch.files.archive`.
"""

from __future__ import annotations

import os

import numpy as np

from nnscratch.files.archive import AGAIN, META_KEY, NOT_OURS, numeric, read_meta, reading, refuse, write_file
from nnscratch.files.npz import ArrayHeader

__all__ = ["write_network", "read_network_file", "KINDS", "MAX_LAYERS"]

KINDS = ("network", "checkpoint")
MAX_LAYERS = 1000  # a stack's file lists at most this many layers


def _expected_params(architecture: dict, params: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    if isinstance(architecture, dict) and "layers" in architecture:  # a stack: its own list of keys
        keys = architecture.get("params")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError(f"architecture: a stack lists its parameter keys in 'params', got {keys!r}")
        return {k: params[k].shape if k in params else None for k in keys}
    sizes = architecture.get("sizes") if isinstance(architecture, dict) else None
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(
            f"architecture: expected a dict with 'sizes' of at least two layers, got {architecture!r}"
        )
    return dict(_network_shapes(sizes, bool(architecture.get("batchnorm"))))


def _network_shapes(sizes: list[int], batchnorm: bool) -> list[tuple[str, tuple[int, ...]]]:
    """(key, shape) of a Network's parameters: W and b per layer, γ and β per hidden layer with
    batch normalisation."""
    out = []
    for i in range(1, len(sizes)):
        out += [(f"W{i}", (sizes[i - 1], sizes[i])), (f"b{i}", (sizes[i],))]
        if batchnorm and i < len(sizes) - 1:
            out += [(f"gamma{i}", (sizes[i],)), (f"beta{i}", (sizes[i],))]
    return out


def write_network(
    path: str | os.PathLike,
    params: dict[str, np.ndarray],
    architecture: dict,
    kind: str = "network",
    state: dict | None = None,
    extra: dict[str, np.ndarray] | None = None,
    metadata: dict | None = None,
    buffers: dict[str, np.ndarray] | None = None,
) -> None:
    """Write a network (``kind="network"``) or a training checkpoint atomically to ``path``.

    ``buffers`` are state arrays kept beside the parameters (batch normalisation's running averages),
    listed in the architecture's ``"buffers"``.

    ``params`` are the arrays ``W1, b1, …`` with the shapes ``architecture["sizes"]`` implies
    (``architecture`` is ``Network.architecture()``); a checkpoint adds its JSON ``state`` and named
    ``extra`` arrays. ``metadata`` is any JSON-ready dict (NumPy arrays and scalars become lists and
    numbers). The layout is format version 1 as described in the module docstring.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: expected 'network' or 'checkpoint', got {kind!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata: expected a dict or None, got {type(metadata).__name__}")
    if kind == "checkpoint" and not isinstance(state, dict):
        raise TypeError(f"state: expected a dict, got {type(state).__name__}")
    if not isinstance(params, dict):
        raise TypeError(f"params: expected a dict of arrays, got {type(params).__name__}")
    params = numeric("params", params)
    expected = _expected_params(architecture, params)
    got = {k: a.shape for k, a in params.items()}
    if got != expected:
        raise ValueError(f"params: expected {expected} for the architecture, got {got}")
    wrong = sorted(k for k, a in params.items() if a.dtype.name != architecture.get("dtype"))
    if wrong:
        raise ValueError(f"params: {wrong} are not of the architecture's dtype {architecture.get('dtype')!r}")
    buffers = numeric("buffers", buffers or {})
    if buffers:
        architecture = {**architecture, "buffers": sorted(buffers)}
    extra = {**numeric("arrays", extra or {}), **buffers}
    clash = set(extra) & (set(params) | {META_KEY})
    if clash:
        raise ValueError(f"arrays: names {sorted(clash)} clash with the parameters or {META_KEY!r}")
    write_file(path, kind, architecture, {**params, **extra}, metadata,
               {"checkpoint": state} if kind == "checkpoint" else None)


def _check_architecture(p: str, meta: dict, kind: str) -> tuple[list[int] | None, str]:
    arch = meta.get("architecture")
    if not isinstance(arch, dict) or not isinstance(meta.get("arrays"), dict):
        raise refuse(p, "its metadata lacks the architecture or the array manifest", AGAIN)
    if "layers" in arch:
        return _check_stack(p, arch, meta, kind)
    sizes = arch.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        raise refuse(p, f"its architecture has invalid layer sizes {repr(sizes)[:80]}", AGAIN)
    dtype = arch.get("dtype")
    if dtype not in ("float32", "float64"):
        raise refuse(p, f"its architecture has dtype {str(dtype)[:40]!r}, expected 'float32' or 'float64'",
                     AGAIN)
    hidden, output, loss = arch.get("hidden"), arch.get("output"), arch.get("loss")
    named = isinstance(hidden, str) or isinstance(hidden, list) and all(isinstance(h, str) for h in hidden)
    if not named or not isinstance(output, str) or not (loss is None or isinstance(loss, str)):
        raise refuse(p, "its architecture names its activations and loss with something other than text",
                     AGAIN)
    if kind == "checkpoint" and not isinstance(meta.get("checkpoint"), dict):
        raise refuse(p, "it is a checkpoint without its training state", AGAIN)
    return sizes, dtype


def _check_stack(p: str, arch: dict, meta: dict, kind: str) -> tuple[None, str]:
    """A stack's architecture: a bounded list of layer descriptions (dicts naming their type) and its
    parameter keys; the network checks each description against its own layer classes."""
    layers, keys, dtype = arch.get("layers"), arch.get("params"), arch.get("dtype")
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS or not all(
        isinstance(c, dict) and isinstance(c.get("type"), str) for c in layers
    ):
        raise refuse(p, f"its architecture has an invalid list of layers {repr(layers)[:80]}", AGAIN)
    if not isinstance(keys, list) or not all(isinstance(k, str) and k != META_KEY for k in keys):
        raise refuse(p, f"its architecture has invalid parameter keys {repr(keys)[:80]}", AGAIN)
    if dtype not in ("float32", "float64"):
        raise refuse(p, f"its architecture has dtype {str(dtype)[:40]!r}, expected 'float32' or 'float64'",
                     AGAIN)
    if kind == "checkpoint" and not isinstance(meta.get("checkpoint"), dict):
        raise refuse(p, "it is a checkpoint without its training state", AGAIN)
    return None, dtype


def _check_manifest(p: str, meta: dict, headers: dict[str, ArrayHeader], kind: str) -> list[str]:
    """Every array present is listed, every listed array present with its shape and dtype; the
    parameters are exactly those the architecture implies. Returns the parameter names in order."""
    sizes, dtype = _check_architecture(p, meta, kind)
    manifest = meta["arrays"]
    present = {k: h for k, h in headers.items() if k != META_KEY}
    missing, unlisted = sorted(set(manifest) - set(present)), sorted(set(present) - set(manifest))
    if missing or unlisted:
        parts = [f"missing arrays {missing}"] if missing else []
        parts += [f"unlisted arrays {unlisted}"] if unlisted else []
        raise refuse(p, f"it does not match its metadata: {'; '.join(parts)}", AGAIN)
    for name, h in present.items():
        if h.dtype.kind not in "biuf":
            raise refuse(p, f"array {name!r} has dtype {h.dtype}, expected numbers", AGAIN)
        spec = manifest[name]
        listed = [spec.get("shape"), spec.get("dtype")] if isinstance(spec, dict) else None
        if listed != [list(h.shape), h.dtype.name]:
            raise refuse(p, f"array {name!r} has shape {h.shape} and dtype {h.dtype}, but its metadata says "
                            f"{repr(spec)[:80]}", AGAIN)
    names = []
    if sizes is None:  # a stack: its listed keys, each of its dtype
        for key in meta["architecture"]["params"]:
            h = present.get(key)
            if h is None or h.dtype.name != dtype:
                raise refuse(p, f"it lacks parameter {key!r} of dtype {dtype}", AGAIN)
            names.append(key)
    if sizes is not None:
        for key, shape in _network_shapes(sizes, meta["architecture"].get("batchnorm") is True):
            h = present.get(key)
            if h is None:
                raise refuse(p, f"it lacks parameter {key!r} of a {'-'.join(map(str, sizes))} network", AGAIN)
            if h.shape != shape or h.dtype.name != dtype:
                raise refuse(p, f"parameter {key!r} has shape {h.shape} and dtype {h.dtype}, but the "
                                f"architecture needs {shape} {dtype}", AGAIN)
            names.append(key)
    buffers = meta["architecture"].get("buffers", [])
    if not isinstance(buffers, list) or not all(isinstance(b, str) and b in present for b in buffers):
        raise refuse(p, f"its architecture lists buffers {repr(buffers)[:80]} that it does not hold", AGAIN)
    others = sorted(set(present) - set(names) - set(buffers))
    if kind == "network" and others:
        raise refuse(p, f"it is a network file with extra arrays {others[:10]}", AGAIN)
    return names


def read_network_file(
    path: str | os.PathLike, kinds: tuple[str, ...] = KINDS
) -> tuple[dict, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(metadata dict, parameters ``W1, b1, …``, other arrays) of a model file, every check passed.

    ``kinds`` are the kinds accepted (``("checkpoint",)`` to resume). Only ``FileNotFoundError`` and
    other ``OSError`` of the file system escape besides the ``ValueError`` of a refused file.
    """
    p = os.fspath(path)
    with reading(p, allow_text=True) as z:  # text arrays are refused below, after "is it ours?"
        meta = read_meta(p, z)
        kind = meta.get("kind")
        if kind not in kinds:
            raise _wrong_kind(p, kind, kinds)
        names = _check_manifest(p, meta, z.headers, kind)
        params = {k: z.read(k) for k in names}
        others = {k: z.read(k) for k in z.headers if k != META_KEY and k not in params}
    return meta, params, others


def _wrong_kind(p: str, kind: object, kinds: tuple[str, ...]) -> ValueError:
    if kind == "network" and kinds == ("checkpoint",):
        return refuse(p, "it is a saved network, not a training checkpoint",
                      "pass a file written by train(..., checkpoint=path) to resume")
    if kind == "vae":
        return refuse(p, "it is a variational autoencoder (VAE), not a network",
                      "read it with nnscratch.generative.load_vae(path)")
    return refuse(p, f"it has an unknown kind {str(kind)[:40]!r}; expected one of {', '.join(kinds)}",
                  NOT_OURS)
