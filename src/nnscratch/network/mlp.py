"""The multilayer network: built from layer sizes, parameters in the course's dict, forward/backward.

Layer l computes the total input (総入力) u_l = z_{l−1}·W_l + b_l and its output (中間層出力)
z_l = f(u_l); the output layer pairs its activation with the loss. Back-propagation (誤差逆伝播法)
walks the layers in reverse, each reusing the delta the layer above handed down.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnscratch import _arch, _display
from nnscratch import _backend as B
from nnscratch._arch import _LOSS_ALIASES, MAX_PARAMETERS, _check_name, parse_sizes
from nnscratch._validation import check_targets
from nnscratch.layers import (
    ACTIVATIONS,
    DEFAULT_LOSS,
    OUTPUTS,
    Activation,
    Affine,
    BatchNormalization,
    Dropout,
)
from nnscratch.network.sequential import Sequential

__all__ = ["Network"]


class Network(Sequential):
    """A fully connected network (多層パーセプトロン): layer l computes u_l = z_{l−1}·W_l + b_l and
    z_l = f(u_l); the output layer pairs its activation with the loss E.

    Arguments:

    - ``sizes`` — the number of nodes per layer, input first: ``[2, 3, 3, 1]`` or ``"2-3-3-1"``.
    - ``hidden`` — the hidden layers' activation (活性化関数), one name for all or a list with one per
      hidden layer: ``"relu"`` (default), ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"``, ``"identity"``,
      ``"step"`` (a step network can run forward but not train: its derivative is 0).
    - ``output`` — the output layer (出力層) and its default loss (誤差関数): ``"identity"`` with
      ``"mse"`` ½Σ(y−d)² (回帰), ``"sigmoid"`` with ``"binary_cross_entropy"`` (二値分類),
      ``"softmax"`` with ``"cross_entropy"`` −Σ d log y (多クラス分類).
    - ``loss`` — ``None`` (the pairing above) or one of ``"mse"``, ``"binary_cross_entropy"``
      (``"bce"``), ``"cross_entropy"``; only pairs with δ = (y − d)/N are allowed.
    - ``init`` — the initial weights' standard deviation: ``"he"`` √(2/n_in) (default, for ReLU),
      ``"xavier"`` √(1/n_in) (for sigmoid/tanh), or a number such as ``0.01``; biases start at 0.
    - ``seed`` — an int or a ``numpy.random.Generator``; the same seed gives the same weights.
    - ``dtype`` — ``"float32"`` (default, fast) or ``"float64"``.
    - Day 2 (as 『ゼロから作る』's ``MultiLayerNetExtend``): ``batchnorm=True`` puts a
      :class:`~nnscratch.layers.BatchNormalization` (``gamma1``, ``beta1``, …) after each hidden Affine,
      ``dropout=p`` a :class:`~nnscratch.layers.Dropout` after each hidden activation
      (``dropout_mode`` ``"course"`` or ``"inverted"``); ``l1``/``l2`` add λ·Σ|W| / ½λ·Σ W² to the loss
      (see :class:`~nnscratch.Sequential`).

    Attributes:

    - ``params`` — the course's dict ``{"W1": (n_0, n_1), "b1": (n_1,), "W2": …}``; change it in
      place, or run the course's ``network[key] -= learning_rate * grad[key]`` on it.
    - ``sizes``, ``hidden``, ``output``, ``loss_name``, ``dtype``, ``n_layers`` (weight layers),
      ``n_params`` (Σ_l (n_{l−1} + 1)·n_l).
    - ``affines`` — the :class:`~nnscratch.layers.Affine` layers, after a pass holding ``x``, ``u`` and,
      after backward, ``dW``, ``db``; ``activations`` — the hidden activation layers (``z``, ``delta``);
      ``output_layer`` — the output layer with its loss (``y``, ``d``, ``E``).

    Shapes: ``x`` is (N, sizes[0]) — rows are samples — or one sample (sizes[0],); ``forward`` returns
    (N, sizes[-1]); targets ``d`` are of that shape, or integer labels (N,) for a softmax output.

    >>> net = Network([2, 3, 3, 1], hidden="relu", output="identity", seed=0)
    >>> sorted(net.params)
    ['W1', 'W2', 'W3', 'b1', 'b2', 'b3']
    >>> net.forward([[1.0, 2.0]]).shape
    (1, 1)
    >>> grads = net.gradient([[1.0, 2.0]], [[0.5]])   # ∂E/∂W1, ∂E/∂b1, … keyed like params
    >>> grads["W1"].shape
    (2, 3)

    In a notebook a network shows its layer table and, with the lab installed, its diagram.
    """

    def __init__(
        self,
        sizes: Sequence[int] | str,
        hidden: str | Sequence[str] = "relu",
        output: str = "identity",
        loss: str | None = None,
        init: str | float = "he",
        seed: int | np.random.Generator | None = None,
        dtype: str = "float32",
        *,
        l1: float = 0.0,
        l2: float = 0.0,
        batchnorm: bool = False,
        dropout: float = 0.0,
        dropout_mode: str = "course",
    ) -> None:
        self.sizes = parse_sizes(sizes)
        count = sum((n_in + 1) * n_out for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True))
        if count > MAX_PARAMETERS:
            raise ValueError(
                f"sizes: {'-'.join(map(str, self.sizes))} would have {count:,} parameters, more than the "
                f"{MAX_PARAMETERS:,} a network may have; expected smaller layers"
            )
        self.dtype = B.resolve_dtype(dtype)
        n_hidden = len(self.sizes) - 2
        if isinstance(hidden, str):
            hidden_list = [hidden] * n_hidden
        elif isinstance(hidden, Sequence):
            hidden_list = list(hidden)
            if len(hidden_list) != n_hidden:
                raise ValueError(
                    f"hidden: expected one activation name or a list of {n_hidden} (one per hidden "
                    f"layer), got {len(hidden_list)} names"
                )
        else:
            raise TypeError(f"hidden: expected an activation name or a list of names, got {hidden!r}")
        self.hidden = [_check_name("hidden", h, list(ACTIVATIONS)) for h in hidden_list]
        self.output = _check_name("output", output, list(DEFAULT_LOSS))
        if loss is None:
            loss = DEFAULT_LOSS[self.output]
        elif not isinstance(loss, str) or loss not in _LOSS_ALIASES:
            raise ValueError(
                f"loss: unknown name {loss!r}; expected one of 'mse', 'binary_cross_entropy', 'cross_entropy'"
            )
        self.loss_name = _LOSS_ALIASES[loss]
        if (self.output, self.loss_name) not in OUTPUTS:
            allowed = [f"{o}+{ls}" for o, ls in OUTPUTS]
            raise ValueError(
                f"loss: {self.loss_name!r} does not pair with output {self.output!r}; "
                f"expected one of {', '.join(allowed)}"
            )
        if not isinstance(batchnorm, bool):
            raise TypeError(f"batchnorm: expected True or False, got {batchnorm!r}")
        rate = isinstance(dropout, (int, float, np.floating)) and not isinstance(dropout, bool)
        if not (rate and 0 <= dropout < 1):
            raise ValueError(f"dropout: expected a dropout rate in [0, 1) such as 0.5, got {dropout!r}")
        self.init, self.batchnorm = init, batchnorm
        layers: list = []
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            layers.append(Affine(n_in, n_out, init=init, dtype=self.dtype))
            if i < n_hidden:
                if batchnorm:
                    layers.append(BatchNormalization(n_out, dtype=self.dtype))
                layers.append(ACTIVATIONS[self.hidden[i]]())
                if dropout:
                    layers.append(Dropout(dropout, mode=dropout_mode))
        layers.append(OUTPUTS[(self.output, self.loss_name)]())
        self.dropout, self.dropout_mode = float(dropout), dropout_mode
        super().__init__(layers, seed=seed, dtype=self.dtype, l1=l1, l2=l2)

    # ------------------------------------------------------------ construction

    @classmethod
    def from_params(
        cls,
        params: dict[str, np.ndarray],
        hidden: str | Sequence[str] = "relu",
        output: str = "identity",
        loss: str | None = None,
        dtype: str | None = None,
        **options: object,
    ) -> Network:
        """Build a network around given arrays ``W1, b1, W2, b2, …`` (copied into the network's dtype);
        ``options`` are the Day 2 ones (``batchnorm=True`` adds ``gamma1, beta1, …`` to the keys).

        With ``dtype=None`` float64 arrays give a float64 network and anything else float32.
        """
        if not isinstance(params, dict):
            raise TypeError(
                f"params: expected a dict of arrays with keys W1, b1, …, got {type(params).__name__}"
            )
        n_layers = sum(1 for k in params if k.startswith("W"))
        expected = {f"{p}{i}" for i in range(1, n_layers + 1) for p in "Wb"}
        if options.get("batchnorm"):
            expected |= {f"{p}{i}" for i in range(1, n_layers) for p in ("gamma", "beta")}
        if n_layers == 0 or set(params) != expected:
            raise ValueError(
                f"params: expected keys W1, b1, W2, b2, … (one W and one b per layer, numbered from 1"
                f"{', and gamma, beta per hidden layer' if options.get('batchnorm') else ''}), "
                f"got {sorted(params)}"
            )
        arrays = {k: np.asarray(v) for k, v in params.items()}
        if dtype is None:
            dtype = "float64" if all(a.dtype == np.float64 for a in arrays.values()) else "float32"
        sizes = []
        for i in range(1, n_layers + 1):
            W, b = arrays[f"W{i}"], arrays[f"b{i}"]
            if W.ndim != 2:
                raise ValueError(f"params: W{i} must be 2-D (n_in, n_out), got shape {W.shape}")
            if i == 1:
                sizes.append(W.shape[0])
            elif W.shape[0] != sizes[-1]:
                raise ValueError(
                    f"params: W{i} has {W.shape[0]} rows but layer {i - 1} has {sizes[-1]} outputs; "
                    f"expected shape ({sizes[-1]}, n_out)"
                )
            if b.reshape(-1).shape != (W.shape[1],):
                raise ValueError(f"params: b{i} must have shape ({W.shape[1]},) to match W{i}, got {b.shape}")
            sizes.append(W.shape[1])
        net = cls(sizes, hidden=hidden, output=output, loss=loss, init=0.0, seed=0, dtype=dtype, **options)
        for key, a in arrays.items():
            value = a.reshape(-1) if not key.startswith("W") else a
            if value.shape != net.params[key].shape:
                raise ValueError(f"params: {key} must have shape {net.params[key].shape}, got {a.shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"params: {key} contains NaN or inf; expected finite numbers")
            net.params[key] = np.array(value, dtype=net.dtype, order="C")
        return net

    @property
    def n_layers(self) -> int:
        """Number of weight layers (W1 … Wn)."""
        return len(self.sizes) - 1

    @property
    def affines(self) -> list[Affine]:
        """The :class:`~nnscratch.layers.Affine` layers, first to last."""
        return [layer for layer in self.layers if isinstance(layer, Affine)]

    @property
    def activations(self) -> list[Activation]:
        """The hidden layers' activation layers."""
        return [layer for layer in self.layers if isinstance(layer, Activation)]

    @property
    def n_in(self) -> int:
        return self.sizes[0]

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    def check_d(self, d: object, n_rows: int) -> np.ndarray:
        """Validated targets for ``n_rows`` samples (float rows, or integer labels for softmax)."""
        return check_targets(d, n_rows, self.sizes[-1], self.output, self.dtype)

    # ------------------------------------------------------------ public API

    def summary(self) -> str:
        """A table of layers: shapes, activations and parameter counts (a notebook shows its lines).

        >>> print(Network([2, 3, 1], seed=0).summary())
        Network 2-3-1 (float32)
        layer   shape   activation      params
        ------  ------  --------------  ------
        W1, b1  2 -> 3  relu                 9
        W2, b2  3 -> 1  identity + mse       4
        total parameters: 13
        """
        title = f"Network {'-'.join(map(str, self.sizes))} ({self.dtype.name})"
        return _display.Text(_arch.summary_text(title, _arch.layer_rows(self), self.n_params))

    def _repr_html_(self) -> str:
        """Jupyter: the summary as a table and, with the lab's matplotlib, the diagram (P13's figure)."""
        caption = f"Network {'-'.join(map(str, self.sizes))} ({self.dtype.name})"
        html = _display.table(["layer", "shape", "activation", "params"], _arch.layer_rows(self), right=[3],
                              caption=caption)
        html += f"<div>total parameters: {self.n_params:,}</div>"
        return html + _display.image(_display.picture("network", self), f"diagram of {caption}")

    def architecture(self) -> dict:
        """What defines the network besides its parameters (used by files and copies)."""
        return {
            "sizes": list(self.sizes),
            "hidden": list(self.hidden),
            "output": self.output,
            "loss": self.loss_name,
            "dtype": self.dtype.name,
            **self.options(),
        }

    def options(self) -> dict:
        """The Day 2 options that differ from the defaults (a plain network's file stays as it was)."""
        options = {"batchnorm": self.batchnorm, "dropout": self.dropout, **self._regularisation()}
        if self.dropout:
            options["dropout_mode"] = self.dropout_mode
        return {k: v for k, v in options.items() if v}

    def copy(self, dtype: str | None = None) -> Network:
        """An independent network with the same architecture and (copied) parameters."""
        net = Network.from_params(
            {k: v.copy() for k, v in self.params.items()},
            hidden=self.hidden,
            output=self.output,
            loss=self.loss_name,
            dtype=dtype or self.dtype.name,
            **self.options(),
        )
        net.set_buffers({k: v.copy() for k, v in self.buffers().items()})
        return net

    def __repr__(self) -> str:
        hidden = self.hidden[0] if len(set(self.hidden)) == 1 else self.hidden
        extra = "".join(f", {k}={v!r}" for k, v in self.options().items())
        return (
            f"Network({'-'.join(map(str, self.sizes))!r}, hidden={hidden!r}, output={self.output!r}, "
            f"loss={self.loss_name!r}, dtype={self.dtype.name!r}{extra})"
        )
