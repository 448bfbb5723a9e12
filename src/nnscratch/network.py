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
from nnscratch._arch import _LOSS_ALIASES, MAX_PARAMETERS, _check_name, _init_std, check_seed, parse_sizes
from nnscratch._fast import FastAffine, Guard
from nnscratch._validation import check_inputs, check_targets
from nnscratch.layers import ACTIVATIONS, DEFAULT_LOSS, OUTPUTS, Activation, Affine, OutputLayer

__all__ = ["Network", "parse_sizes", "MAX_PARAMETERS"]

# beyond the dtype's range values become ±inf (softmax: exp(−inf) is the exact 0; an overflowing logit
# makes the loss inf, reported as such), with no warning; training's step sets this around its whole step
_BEYOND_RANGE = {"over": "ignore", "invalid": "ignore"}


class Network:
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
        self.init = init
        self.rng = np.random.default_rng(check_seed(seed))  # a Generator is returned as it is
        self.params: dict[str, np.ndarray] = {}
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            std = _init_std(init, n_in, self.dtype)
            self.params[f"W{i}"] = (std * self.rng.standard_normal((n_in, n_out))).astype(self.dtype)
            self.params[f"b{i}"] = B.zeros((n_out,), self.dtype)
        self._build_layers()

    # ------------------------------------------------------------ construction

    @classmethod
    def from_params(
        cls,
        params: dict[str, np.ndarray],
        hidden: str | Sequence[str] = "relu",
        output: str = "identity",
        loss: str | None = None,
        dtype: str | None = None,
    ) -> Network:
        """Build a network around given arrays ``W1, b1, W2, b2, …`` (copied into the network's dtype).

        With ``dtype=None`` float64 arrays give a float64 network and anything else float32.
        """
        if not isinstance(params, dict):
            raise TypeError(
                f"params: expected a dict of arrays with keys W1, b1, …, got {type(params).__name__}"
            )
        n_layers = sum(1 for k in params if k.startswith("W"))
        expected = {f"{p}{i}" for i in range(1, n_layers + 1) for p in "Wb"}
        if n_layers == 0 or set(params) != expected:
            raise ValueError(
                f"params: expected keys W1, b1, W2, b2, … (one W and one b per layer, numbered from 1), "
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
        net = cls(sizes, hidden=hidden, output=output, loss=loss, init=0.0, seed=0, dtype=dtype)
        for key, a in arrays.items():
            value = a.reshape(-1) if key.startswith("b") else a
            if not np.isfinite(value).all():
                raise ValueError(f"params: {key} contains NaN or inf; expected finite numbers")
            net.params[key] = np.array(value, dtype=net.dtype, order="C")
        return net

    def _build_layers(self) -> None:
        # the readable layers hold the state a learner inspects (x, u, dW, …); their fast twins fill it
        self.affines = [
            Affine(self.params, f"W{i}", f"b{i}", need_dx=i > 1) for i in range(1, len(self.sizes))
        ]
        self._fast_affines = [FastAffine(a) for a in self.affines]
        shapes = []  # (key, the shape it must have): W1, b1, W2, …
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            shapes += [(f"W{i}", (n_in, n_out)), (f"b{i}", (n_out,))]
        # verifies params (and the input, the velocities) every pass; resets the prepared BLAS calls
        self._guard = Guard(shapes, self.dtype, self._reset_fast)
        self.activations: list[Activation] = [ACTIVATIONS[h]() for h in self.hidden]
        self.output_layer: OutputLayer = OUTPUTS[(self.output, self.loss_name)]()
        self._forwarded = False

    @property
    def n_layers(self) -> int:
        """Number of weight layers (W1 … Wn)."""
        return len(self.sizes) - 1

    @property
    def differentiable(self) -> bool:
        return all(a.differentiable for a in self.activations)

    # ------------------------------------------------------------ the passes (no validation inside)

    def _reset_fast(self) -> None:
        for affine in self._fast_affines:
            affine.reset()

    def _check_params(self) -> None:
        """Every parameter is a C-ordered, aligned array of the network's dtype (native byte order)
        and shape, or a one-line error names it (users may replace ``params[key]``): about 0.1–0.2 µs
        a parameter per pass, see :class:`nnscratch._fast.Guard`."""
        self._guard.check_params(self.params)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """Forward pass on a validated 2-D array of the network's dtype; returns the output buffer."""
        self._guard.check_params(self.params)
        self._guard.check_input(x)
        z = x
        affines = self._fast_affines
        for affine, act in zip(affines, self.activations, strict=False):  # output affine: after
            z = act.forward(affine.forward(z))
        y = self.output_layer.forward(affines[-1].forward(z))
        self._forwarded = True
        return y

    def _backward(self, d: np.ndarray) -> dict[str, np.ndarray]:
        """Backward pass for validated targets; returns the gradient buffers (overwritten next call)."""
        if not self.differentiable:
            bad = [h for h, a in zip(self.hidden, self.activations, strict=True) if not a.differentiable]
            raise ValueError(
                f"hidden: {bad[0]!r} activation has no usable gradient (its derivative is 0 wherever "
                f"it exists), so this network cannot be trained; use 'sigmoid', 'relu' or 'tanh'"
            )
        self._check_params()
        delta = self.output_layer.backward(d)
        affines = self._fast_affines
        for i in range(len(affines) - 1, -1, -1):
            dz = affines[i].backward(delta)
            if i > 0:
                delta = self.activations[i - 1].backward(dz)
        return self._grads

    @property
    def _grads(self) -> dict[str, np.ndarray]:
        grads = {}
        for i, affine in enumerate(self.affines, start=1):
            grads[f"W{i}"] = affine.dW
            grads[f"b{i}"] = affine.db
        return grads

    # ------------------------------------------------------------ validation

    def check_x(self, x: object) -> tuple[np.ndarray, bool]:
        """Validated 2-D input of the network's dtype, and whether it was a single 1-D sample."""
        return check_inputs(x, self.sizes[0], self.dtype)

    def check_d(self, d: object, n_rows: int) -> np.ndarray:
        """Validated targets for ``n_rows`` samples (float rows, or integer labels for softmax)."""
        return check_targets(d, n_rows, self.sizes[-1], self.output, self.dtype)

    # ------------------------------------------------------------ public API

    def forward(self, x: object) -> np.ndarray:
        """順伝播: y for input x of shape (N, n_in) or (n_in,); keeps what backward needs."""
        x2, single = self.check_x(x)
        with np.errstate(**_BEYOND_RANGE):
            y = self._forward(x2).copy()
        self._n_rows = x2.shape[0]
        return y[0] if single else y

    def backward(self, d: object) -> dict[str, np.ndarray]:
        """逆伝播: gradients {W1, b1, …} of the batch-mean loss for targets d of the last forward."""
        if not self._forwarded:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        dd = self.check_d(d, self._n_rows)
        return {k: g.copy() for k, g in self._backward(dd).items()}

    def backward_from(self, grad_y: object, *, input_grad: bool = False) -> dict | tuple[dict, np.ndarray]:
        """逆伝播 from a given upstream gradient g = ∂L/∂y (上流の勾配) of the last forward's output y, for
        a loss L computed outside the network (a VAE's decoder and encoder, a network feeding another).

        δ_out = g through the output activation (identity: g; sigmoid: g ⊙ y(1 − y); softmax:
        y ⊙ (g − Σ g·y)), then the walk of :meth:`backward`. ``grad_y`` has y's shape and carries L's
        own averaging (no 1/N is added); the paired loss plays no part. Returns the gradients
        {W1, b1, …} of L, or with ``input_grad=True`` the pair (grads, ∂L/∂x = δ₁·W1ᵀ, x's shape).
        """
        if not self._forwarded:
            raise ValueError("backward_from: no forward pass to differentiate; call forward(x) first")
        g, single = check_inputs(grad_y, self.sizes[-1], self.dtype, name="grad_y")
        if g.shape[0] != self._n_rows:
            raise ValueError(f"grad_y: expected {self._n_rows} rows (one per sample of the last forward), "
                             f"got shape {np.shape(grad_y)}")
        self._check_params()  # a step activation refuses in its own backward
        delta = self.output_layer.backward_from(g)
        for i in range(self.n_layers - 1, -1, -1):
            dz = self._fast_affines[i].backward(delta)
            delta = self.activations[i - 1].backward(dz) if i > 0 else delta
        grads = {k: v.copy() for k, v in self._grads.items()}
        if not input_grad:
            return grads
        dx = delta @ self.params["W1"].T  # the first layer skips δ·Wᵀ when training (need_dx=False)
        return grads, dx[0] if single else dx

    def gradient(self, x: object, d: object) -> dict[str, np.ndarray]:
        """Forward then backward: the gradient of the batch-mean loss, keyed like ``params``."""
        self.forward(x)
        return self.backward(d)

    def loss(self, x: object, d: object) -> float:
        """誤差 E: the batch-mean loss of the network on (x, d)."""
        x2, _ = self.check_x(x)
        dd = self.check_d(d, x2.shape[0])
        with np.errstate(**_BEYOND_RANGE):
            self._forward(x2)
        self._n_rows = x2.shape[0]
        return self.output_layer.loss(dd)

    def predict(self, x: object) -> np.ndarray:
        """The network's output y (probabilities for sigmoid/softmax outputs)."""
        return self.forward(x)

    def predict_classes(self, x: object) -> np.ndarray:
        """Class labels: argmax of a softmax output, y ≥ 0.5 for a sigmoid output."""
        y = np.atleast_2d(self.forward(x))
        return self._classes_from(y)

    def _classes_from(self, y: np.ndarray) -> np.ndarray:
        if self.output == "softmax":
            return np.argmax(y, axis=1)
        if self.output == "sigmoid":
            labels = (y >= 0.5).astype(np.intp)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        raise ValueError(
            "output: class predictions need a classification output ('sigmoid' or 'softmax'), "
            "this network's output is 'identity' (regression)"
        )

    def accuracy(self, x: object, d: object) -> float:
        """正解率: the fraction of samples whose predicted class equals the target class."""
        x2, _ = self.check_x(x)
        if self.output == "identity":
            self._classes_from(np.empty((0, 1)))  # raises the clear error
        dd = self.check_d(d, x2.shape[0])
        with np.errstate(**_BEYOND_RANGE):
            pred = self._classes_from(self._forward(x2))
        self._n_rows = x2.shape[0]  # a later backward(d) refers to this pass
        if self.output == "softmax":
            truth = dd if dd.ndim == 1 else np.argmax(dd, axis=1)
        else:
            truth = (dd >= 0.5).astype(np.intp)
            truth = truth[:, 0] if truth.shape[1] == 1 else truth
        return float(np.mean(pred == truth))

    @property
    def n_params(self) -> int:
        """Number of parameters (weights and biases): Σ_l (n_{l−1} + 1)·n_l."""
        return sum(p.size for p in self.params.values())

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
        }

    def copy(self, dtype: str | None = None) -> Network:
        """An independent network with the same architecture and (copied) parameters."""
        return Network.from_params(
            {k: v.copy() for k, v in self.params.items()},
            hidden=self.hidden,
            output=self.output,
            loss=self.loss_name,
            dtype=dtype or self.dtype.name,
        )

    def save(self, path: str) -> None:
        """Write the network to ``path`` (.npz arrays + JSON metadata, never pickle); see nnscratch.io."""
        from nnscratch import _archive  # the file format lives below the network: no import cycle

        _archive.write_network(path, self.params, self.architecture())

    def __repr__(self) -> str:
        hidden = self.hidden[0] if len(set(self.hidden)) == 1 else self.hidden
        return (
            f"Network({'-'.join(map(str, self.sizes))!r}, hidden={hidden!r}, output={self.output!r}, "
            f"loss={self.loss_name!r}, dtype={self.dtype.name!r})"
        )
