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
- Reading is bounded: the zip directory, every array's ``.npy`` header and the metadata are checked
  against each other before any parameter data is read, and no read allocates more than the file
  declares (see :mod:`nnscratch.files`, which owns the format: ``files.archive`` the container,
  ``files.network`` what a network's or a checkpoint's file holds).
- Writing is atomic: the archive goes to a temporary file in the same directory, is flushed to disk
  and then renamed over the target (``os.replace``), so a crash or Ctrl-C mid-write leaves either the
  old file or the new one, never a broken or half-old file.
"""

from __future__ import annotations

import os

import numpy as np

from nnscratch.files import network as _netfile
from nnscratch.files.archive import FORMAT as FORMAT  # re-exported: the format's names
from nnscratch.files.archive import FORMAT_VERSION as FORMAT_VERSION
from nnscratch.files.archive import META_KEY as META_KEY
from nnscratch.files.archive import refuse
from nnscratch.network import Network, Sequential

__all__ = ["save", "load", "load_with_metadata", "save_checkpoint", "load_checkpoint", "FORMAT_VERSION"]


# ================================================================ public functions


def save(net: Network, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write ``net`` to ``path`` (the exact name given; ``.npz`` is customary) atomically.

    ``metadata`` is any JSON-ready dict (NumPy arrays and scalars become lists and numbers); it is
    returned by :func:`load_with_metadata`.

    >>> import nnscratch
    >>> net = nnscratch.Network("2-3-1", seed=0)
    >>> nnscratch.io.save(net, "net.npz", metadata={"note": "xor"})     # writes net.npz here
    >>> nnscratch.io.load_with_metadata("net.npz")[1]
    {'note': 'xor'}
    """
    _check_net(net)
    _netfile.write_network(path, net.params, net.architecture(), metadata=metadata, buffers=net.buffers())


def load(path: str | os.PathLike) -> Network:
    """Read a network written by :func:`save` / ``net.save`` (or the network inside a checkpoint).

    >>> import nnscratch
    >>> nnscratch.io.save(nnscratch.Network("2-3-1", seed=0), "net.npz")
    >>> nnscratch.io.load("net.npz").sizes
    [2, 3, 1]
    """
    return load_with_metadata(path)[0]


def load_with_metadata(path: str | os.PathLike) -> tuple[Network, dict]:
    """Read a network and the ``metadata`` dict saved with it (``{}`` when none was given).

    >>> import nnscratch
    >>> nnscratch.io.save(nnscratch.Network("2-3-1", seed=0), "net.npz")
    >>> net, meta = nnscratch.io.load_with_metadata("net.npz")
    >>> meta
    {}
    """
    net, meta, _ = _read(path, kinds=_netfile.KINDS)
    user = meta.get("metadata")
    return net, user if isinstance(user, dict) else {}


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

    >>> import nnscratch
    >>> x, d = nnscratch.datasets.load("xor")
    >>> net = nnscratch.Network("2-8-2", output="softmax", seed=0)
    >>> h = nnscratch.train(net, x, d, epochs=3, seed=0, checkpoint="run.npz")   # after every epoch
    >>> h = nnscratch.train(net, x, d, epochs=5, seed=0, resume="run.npz")       # epochs 4 and 5
    >>> h.epochs
    5
    """
    _check_net(net)
    _netfile.write_network(path, net.params, net.architecture(), kind="checkpoint", state=state,
                           extra=arrays, metadata=metadata, buffers=net.buffers())


def load_checkpoint(path: str | os.PathLike) -> tuple[Network, dict, dict[str, np.ndarray]]:
    """Read a checkpoint: (network, state dict, extra arrays) as given to :func:`save_checkpoint`.

    >>> import nnscratch
    >>> x, d = nnscratch.datasets.load("xor")
    >>> h = nnscratch.train(nnscratch.Network("2-8-2", output="softmax", seed=0), x, d, epochs=3,
    ...                     seed=0, checkpoint="run.npz")
    >>> net, state, arrays = nnscratch.io.load_checkpoint("run.npz")
    >>> state["epoch"], net.sizes
    (3, [2, 8, 2])
    """
    net, meta, extra = _read(path, kinds=("checkpoint",))
    return net, meta["checkpoint"], extra


# ================================================================ helpers


def _check_net(net: object) -> None:
    if not isinstance(net, Sequential):
        raise TypeError(f"net: expected an nnscratch.Network or Sequential, got {type(net).__name__}")


def _read(path: str | os.PathLike, kinds: tuple[str, ...]) -> tuple[Sequential, dict, dict[str, np.ndarray]]:
    """Read and check the file (:func:`nnscratch.files.network.read_network_file`: plain values), then
    build the network around its parameters."""
    meta, params, others = _netfile.read_network_file(path, kinds)
    arch = meta["architecture"]
    try:
        if "layers" in arch:
            net = Sequential.from_architecture(arch, params)
        else:
            options = {k: arch[k] for k in ("batchnorm", "dropout", "dropout_mode", "l1", "l2") if k in arch}
            net = Network.from_params(
                params, hidden=arch.get("hidden"), output=arch.get("output"), loss=arch.get("loss"),
                dtype=arch["dtype"], **options,
            )
        buffers = arch.get("buffers", [])
        net.set_buffers({k: others.pop(k) for k in buffers})
    except (ValueError, TypeError) as exc:
        raise refuse(os.fspath(path), f"it describes a network nnscratch cannot build ({exc})",
                     "write the file again") from None
    return net, meta, others
