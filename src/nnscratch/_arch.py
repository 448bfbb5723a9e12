"""What a network is made of, checked before anything is built: layer sizes, names, initial scale.

``parse_sizes`` reads ``[2, 3, 3, 1]`` or ``"2-3-3-1"``; ``_init_std`` is the standard deviation of the
initial weights (He √(2/n_in), Xavier √(1/n_in), or a number the dtype can hold); ``check_seed``
accepts None, a non-negative integer or a ``numpy.random.Generator``; ``_check_name`` refuses an unknown
activation or output name with the list of valid ones. :class:`nnscratch.Network` uses them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_LOSS_ALIASES = {
    "mse": "mse",
    "mean_squared_error": "mse",
    "squared_error": "mse",
    "binary_cross_entropy": "binary_cross_entropy",
    "bce": "binary_cross_entropy",
    "cross_entropy": "cross_entropy",
    "cross_entropy_error": "cross_entropy",
}

MAX_PARAMETERS = 2**30
"""The most parameters (weights and biases) a network may have: 4 GiB of float32, 8 GiB of float64.
Larger sizes are refused before anything is allocated."""


def parse_sizes(sizes: object) -> list[int]:
    """``[2, 3, 3, 1]`` or ``"2-3-3-1"`` → ``[2, 3, 3, 1]``, each a positive integer, at least two."""
    if isinstance(sizes, str):
        parts = sizes.replace(",", "-").split("-")
        try:
            out = [int(p) for p in parts]
        except ValueError:
            raise ValueError(f"sizes: expected layer sizes like '2-3-3-1', got {sizes!r}") from None
    elif isinstance(sizes, Sequence) or isinstance(sizes, np.ndarray):
        out = []
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"sizes: expected integers like [2, 3, 3, 1], got {list(sizes)!r}")
            out.append(int(s))
    else:
        raise TypeError(f"sizes: expected a list of layer sizes or a string like '2-3-3-1', got {sizes!r}")
    if len(out) < 2 or any(s <= 0 for s in out):
        raise ValueError(
            f"sizes: expected at least an input and an output size, all positive (e.g. [2, 3, 3, 1]), "
            f"got {out}"
        )
    return out


def _check_name(argument: str, value: object, known: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in known:
        raise ValueError(f"{argument}: unknown name {value!r}; expected one of {', '.join(map(repr, known))}")
    return value


# a standard normal draw beyond 10σ has probability 1.5e-23: not one in the 2**30 weights a network may have
_Z_MAX = 10.0


def _init_std(init: object, n_in: int, dtype: object = None) -> float:
    """Standard deviation σ of the initial weights (重みの初期値) W ~ N(0, σ²): He √(2/n_in), Xavier
    √(1/n_in), or a number ≥ 0. With ``dtype``, a σ whose draws (up to 10σ) would overflow it to ±inf
    is refused: float32 holds at most 3.4e38.

    >>> _init_std("he", 8)
    0.5
    >>> _init_std(1e39, 8, np.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: init: a standard deviation of 1e+39 overflows float32 (...); expected ... e.g. init=0.01
    """
    if isinstance(init, str):
        if init == "he":
            return float(np.sqrt(2.0 / n_in))
        if init == "xavier":
            return float(np.sqrt(1.0 / n_in))
        raise ValueError(f"init: unknown name {init!r}; expected 'he', 'xavier' or a standard deviation, "
                         f"e.g. init=0.01")
    if isinstance(init, bool) or not isinstance(init, (int, float, np.integer, np.floating)):
        raise TypeError(f"init: expected 'he', 'xavier' or a standard deviation (e.g. init=0.01), got "
                        f"{init!r}")
    if not (math.isfinite(init) and init >= 0):
        raise ValueError(
            f"init: expected 'he', 'xavier' or a non-negative, finite standard deviation (e.g. init=0.01), "
            f"got {init!r}"
        )
    if dtype is not None:
        largest = float(np.finfo(dtype).max)
        if float(init) * _Z_MAX > largest:
            raise ValueError(
                f"init: a standard deviation of {float(init):g} overflows {np.dtype(dtype).name} (its "
                f"weights, up to {_Z_MAX:g}σ, must stay below {largest:.4g}); expected 'he', 'xavier' or a "
                f"smaller number, e.g. init=0.01"
            )
    return float(init)


def check_seed(seed: object) -> int | np.random.Generator | None:
    """A seed (乱数のシード) for ``numpy.random.default_rng``: None (fresh entropy), a non-negative integer
    (the same seed, the same numbers), or a ``numpy.random.Generator`` (used as it is), returned as given.

    >>> check_seed(0), check_seed(None)
    (0, None)
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed: expected a non-negative integer (e.g. seed=0), a numpy Generator or None, got -1
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    expected = "seed: expected a non-negative integer (e.g. seed=0), a numpy Generator or None, got"
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{expected} {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{expected} {seed!r}")
    return int(seed)


def check_count(argument: str, value: object) -> int:
    """A layer size: a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument}: expected a positive integer (e.g. {argument}=10), got {value!r}")
    return int(value)


def layer_rows(net: object) -> list[tuple[str, str, str, str]]:
    """(parameters, shape, activation, parameter count) of each weight layer of a Network, as text;
    batch normalisation and dropout show beside the activation."""
    rows = []
    for i in range(1, net.n_layers + 1):
        W = net.params[f"W{i}"]
        keys = [f"W{i}", f"b{i}"]
        if i <= len(net.hidden):
            act = net.hidden[i - 1]
            if getattr(net, "batchnorm", False):
                keys += [f"gamma{i}", f"beta{i}"]
                act = f"batchnorm + {act}"
            if getattr(net, "dropout", 0.0):
                act = f"{act} + dropout {net.dropout:g}"
        else:
            act = f"{net.output} + {net.loss_name}"
        count = sum(net.params[k].size for k in keys)
        rows.append((", ".join(keys), f"{W.shape[0]} -> {W.shape[1]}", act, f"{count:,}"))
    return rows


def summary_text(title: str, rows: list[tuple[str, str, str, str]], n_params: int,
                 header: tuple[str, str, str, str] = ("layer", "shape", "activation", "params")) -> str:
    """The summary table of a network: columns aligned, counts to the right."""
    rows = [header, *rows]
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    lines = [title]
    for j, r in enumerate(rows):
        cells = enumerate(zip(r, widths, strict=True))
        lines.append("  ".join(cell.ljust(w) if c < 3 else cell.rjust(w) for c, (cell, w) in cells))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"total parameters: {n_params:,}")
    return "\n".join(lines)
