"""The network inside a :class:`~nnscratch.Model` (モデルのネットワーク): built from the RunSpec (hidden
sizes → :class:`~nnscratch.Network`, a layer string → :class:`~nnscratch.Sequential`), fed the raw rows
as it reads them (images (N, C, H, W) for a convolutional network), run in chunks that fit in
memory, and taken apart and rebuilt for a copy (pickling, a sweep's worker processes)."""

from __future__ import annotations

import numpy as np

from nnscratch import layerstring
from nnscratch.datasets import Dataset
from nnscratch.network import Network, Sequential
from nnscratch.network.shapes import chunk_rows
from nnscratch.spec import RunSpec

__all__ = ["new_network", "network_input", "n_features", "outputs", "state", "from_state", "describe"]


def new_network(spec: RunSpec, task: str, output: str, data: Dataset) -> Sequential:
    """An untrained network for ``data``: the output layer follows the task (a sigmoid gives one yes/no
    unit), the rest is ``spec.layers`` when given, else ``spec.hidden_sizes`` and ``spec.hidden``."""
    n_out = data.n_outputs
    if output == "sigmoid" and task == "classification":
        if n_out != 2:
            raise ValueError(f"output: 'sigmoid' gives one yes/no output; {data.name!r} has {n_out} "
                             f"classes — use 'softmax'")
        n_out = 1
    if output == "identity" and task == "classification":
        raise ValueError("output: 'identity' is for regression; classes need 'softmax' (or 'sigmoid')")
    if output != "identity" and task == "regression":
        raise ValueError(f"output: {output!r} is for classes; regression needs 'identity'")
    s = spec
    if s.layers is None:
        return Network([data.n_features, *s.hidden_sizes, n_out], hidden=s.hidden if isinstance(
            s.hidden, str) else list(s.hidden), output=output, loss=s.loss, init=s.init, seed=s.seed,
            dtype=s.dtype, batchnorm=s.batchnorm, dropout=s.dropout, l1=s.l1, l2=s.l2)
    if not layerstring.takes_images(s.layers):
        shape: tuple[int, ...] = (data.n_features,)
    elif data.image_shape is None:
        raise ValueError(f"layers: {s.layers!r} has a convolution or pooling, which reads images, "
                         f"but the data set {data.name!r} is not images (no image shape); pass images "
                         f"(N, C, H, W) or (N, H, W), use an image data set such as digits or mnist5k, or a "
                         f"string of affine layers")
    else:
        shape = (data.channels, *data.image_shape)
    return layerstring.build(s.layers, shape, n_out, output=output, loss=s.loss, init=s.init, seed=s.seed,
                             dtype=s.dtype, l1=s.l1, l2=s.l2)


def network_input(net: Sequential, x: np.ndarray, image_shape: tuple[int, ...] | None) -> np.ndarray:
    """Preprocessed rows (N, C·H·W) as the network reads them: images (N, C, H, W) — a view, no copy —
    when it has a convolution or pooling before any flatten or affine, else the rows themselves."""
    channels = layerstring.image_channels(net.layers)
    if channels is None or image_shape is None:
        return x
    return x.reshape(len(x), channels, *image_shape)


def n_features(net: Sequential, image_shape: tuple[int, ...] | None) -> int:
    """The raw features (columns, or pixels C·H·W) one sample has."""
    sizes = getattr(net, "sizes", None)
    return int(sizes[0]) if sizes else layerstring.input_width(net, image_shape)


def outputs(net: Sequential, x: np.ndarray) -> np.ndarray:
    """``net.predict(x)`` (evaluation mode) in chunks whose activations take about 64 MB at most
    (:func:`nnscratch.network.shapes.chunk_rows`): a conv net's feature maps of a whole data set would
    not fit."""
    rows = chunk_rows(net, x.shape[1:])
    if len(x) <= rows:
        return np.atleast_2d(net.predict(x))
    return np.concatenate([np.atleast_2d(net.predict(x[s:s + rows])) for s in range(0, len(x), rows)])


def state(net: Sequential) -> tuple[dict, dict, dict]:
    """(architecture, parameters, kept buffers) of ``net``: what :func:`from_state` builds it from."""
    return net.architecture(), dict(net.params), dict(net.buffers())


def from_state(net_state: tuple) -> Sequential:
    """The network of :func:`state`, with fresh, writable copies of its arrays."""
    arch, params, *rest = net_state
    arrays = {k: np.array(v) for k, v in params.items()}
    if "layers" in arch:
        net = Sequential.from_architecture(arch, arrays)
    else:
        options = {k: arch[k] for k in ("batchnorm", "dropout", "dropout_mode", "l1", "l2") if k in arch}
        net = Network.from_params(arrays, hidden=arch["hidden"], output=arch["output"], loss=arch["loss"],
                                  dtype=arch["dtype"], **options)
    if rest and rest[0]:
        net.set_buffers({k: np.array(v) for k, v in rest[0].items()})
    return net


def describe(net: Sequential, spec: RunSpec) -> str:
    """A short name of the network: ``64-100-10`` for an MLP, the layer string for a stack."""
    sizes = getattr(net, "sizes", None)
    if sizes:
        return "-".join(map(str, sizes))
    return spec.layers or f"{len(net.layers)} layers"
