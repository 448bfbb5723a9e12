"""What one sample becomes inside a stack (データの形状): the shape after every layer, and the memory a
forward pass holds per sample — so a data set is pushed through the network in chunks that fit.

A convolution turns (C, H, W) into (FN, OH, OW) with OH = (H + 2P − FH) / S + 1 and keeps its im2col
matrix, OH·OW rows of C·FH·FW (『ゼロから作る』 7.4); pooling turns (C, H, W) into (C, OH, OW) and keeps
its PH·PW windows; Flatten gives (C·H·W,); Affine (n_out,); every other layer keeps the shape.

>>> from nnscratch import presets
>>> net = presets.simple_convnet()
>>> shapes(net.layers, (1, 28, 28))[:3]
[(30, 24, 24), (30, 24, 24), (30, 12, 12)]
>>> chunk_rows(net, (1, 28, 28))      # SimpleConvNet on MNIST: 64 MB hold this many images
221
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnscratch.functions import conv_output_size
from nnscratch.layers import Affine, Convolution, Flatten, GlobalPooling, Pooling

__all__ = ["output_shape", "shapes", "bytes_per_sample", "chunk_rows", "BUDGET", "MOST_ROWS"]

BUDGET = 64 * 2**20  # bytes a forward pass over one chunk may hold in activations
MOST_ROWS = 8192  # rows per chunk at most (a small dense network: one pass per 8,192 rows)


def output_shape(layer: object, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of one sample after ``layer`` given its shape before (no batch axis), or a one-line
    error when the layer cannot take it."""
    if isinstance(layer, (Convolution, Pooling)):
        if len(shape) != 3:
            raise ValueError(f"layers: {type(layer).__name__} takes images (C, H, W), but the layer before "
                             f"gives {shape}; put convolutions and pooling before flatten/affine")
        c, h, w = shape
        if isinstance(layer, Convolution):
            if c != layer.in_channels:
                raise ValueError(f"layers: Convolution expects {layer.in_channels} channels, gets {c}")
            (fh, fw), c = layer.kernel, layer.out_channels
        else:
            fh, fw = layer.pool
        return (c, conv_output_size(h, fh, layer.stride, layer.pad),
                conv_output_size(w, fw, layer.stride, layer.pad))
    if isinstance(layer, GlobalPooling):
        if len(shape) != 3:
            raise ValueError(f"layers: {type(layer).__name__} takes images (C, H, W), but the layer before "
                             f"gives {shape}; put it after the convolutions and pooling, before affine")
        return (shape[0],)
    if isinstance(layer, Flatten):
        return (int(np.prod(shape)),)
    if isinstance(layer, Affine):
        if int(np.prod(shape)) != layer.n_in or len(shape) != 1:
            raise ValueError(f"layers: Affine expects rows of {layer.n_in}, gets samples of shape {shape}")
        return (layer.n_out,)
    return tuple(shape)


def shapes(layers: Sequence[object], sample: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The shape of one sample after each layer, in order."""
    out, shape = [], tuple(int(s) for s in sample)
    for layer in layers:
        shape = output_shape(layer, shape)
        out.append(shape)
    return out


def _work(layer: object, before: tuple[int, ...], after: tuple[int, ...]) -> int:
    """Values a layer keeps per sample besides its output: im2col's matrix, pooling's windows."""
    if isinstance(layer, Convolution):
        return int(np.prod(after[1:])) * before[0] * layer.kernel[0] * layer.kernel[1]
    if isinstance(layer, Pooling):
        return int(np.prod(after)) * layer.pool[0] * layer.pool[1]
    return 0


def bytes_per_sample(layers: Sequence[object], sample: tuple[int, ...], itemsize: int) -> int:
    """What a forward pass holds per sample: Σ over layers of its output and its work arrays (each
    layer keeps what its backward needs, so they are all alive at the end of the pass)."""
    total, shape = int(np.prod(sample)), tuple(sample)
    for layer, after in zip(layers, shapes(layers, sample), strict=True):
        total += int(np.prod(after)) + _work(layer, shape, after)
        shape = after
    return total * itemsize


def chunk_rows(net: object, sample: tuple[int, ...], budget: int = BUDGET) -> int:
    """Rows per forward pass so that the pass holds about ``budget`` bytes: budget / bytes per sample,
    between 1 and :data:`MOST_ROWS`. A stack whose shapes cannot be followed gets :data:`MOST_ROWS`."""
    try:
        per = bytes_per_sample(net.layers, tuple(sample), np.dtype(net.dtype).itemsize)
    except (ValueError, TypeError):
        return MOST_ROWS  # the forward pass gives its own error on such data
    return int(max(1, min(MOST_ROWS, budget // max(per, 1))))
