"""A network as a stack of layers (レイヤの積み重ね): forward in order, backward in reverse.

Every layer's parameters live in one dict with the course's keys — ``W1, b1, W2, …`` numbered by
weight layer, a layer with other parameters taking the same number (``gamma1``, ``beta1``) — so the
course's loop ``network[key] -= learning_rate * grad[key]`` runs unchanged on ``params`` and the
gradients.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Iterable

import numpy as np

from nnscratch import _accel, _display
from nnscratch import _backend as B
from nnscratch._arch import check_seed, summary_text
from nnscratch._validation import check_images, check_inputs, check_param, check_rate, check_targets
from nnscratch.files.network import write_network
from nnscratch.network.building import (
    buffer_slots,
    checked_layers,
    layers_from_configs,
    library_layer,
    number,
)

__all__ = ["Sequential"]

# beyond the dtype's range values become ±inf (softmax: exp(−inf) is the exact 0; an overflowing logit
# makes the loss inf, reported as such), with no warning; training's step sets this around its whole step
BEYOND_RANGE = {"over": "ignore", "invalid": "ignore"}


class Sequential:
    """A stack of layers whose last one is an output layer (出力層 with its 誤差関数).

    - ``layers`` — objects with ``forward(x, train=True)``, ``backward(dout)`` and ``params`` /
      ``grads`` dicts (see :class:`nnscratch.layers.Layer`); the last one also has ``loss(d)``.
    - ``seed`` — an int or a ``numpy.random.Generator``: every layer's parameters are drawn again from
      it, in order (reproducibly); ``dtype`` — ``"float32"`` (default) or ``"float64"``.
    - ``l1``, ``l2`` — regularisation (正則化) λ on the weights ``W1, W2, …`` (not the biases, γ or β):
      the loss gains λ·Σ|W| (L1) and ½λ·Σ W² (L2, 荷重減衰), the gradient λ·sign(W) and λ·W — the
      course's ``grad += rate * np.sign(param)`` / ``rate * param``; :meth:`data_loss` is E alone.

    ``forward``, ``predict``, ``loss`` and ``accuracy`` run in evaluation mode (``train=False``);
    ``gradient`` and training run in training mode.

    >>> from nnscratch import layers as L
    >>> net = Sequential([L.Affine(4, 8), L.ReLU(), L.Affine(8, 3), L.SoftmaxCrossEntropy()], seed=0)
    >>> sorted(net.params)
    ['W1', 'W2', 'b1', 'b2']
    >>> net.forward(np.ones((2, 4))).shape
    (2, 3)
    >>> grads = net.gradient(np.ones((2, 4)), [0, 2])     # keyed like params
    >>> grads["W2"].shape
    (8, 3)
    """

    def __init__(self, layers: Iterable[object], seed: int | np.random.Generator | None = 0,
                 dtype: str = "float32", *, l1: float = 0.0, l2: float = 0.0) -> None:
        self.layers = checked_layers(layers)
        self.l1, self.l2 = check_rate("l1", l1), check_rate("l2", l2)
        self.dtype = B.resolve_dtype(dtype)
        seed = check_seed(seed)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        for layer in self.layers:
            draw = getattr(layer, "init_params", None)
            if draw is not None:
                draw(self.rng, self.dtype)
        # the output activation's name ("softmax", "sigmoid", "identity"): how targets are read
        self.output: str = getattr(self.layers[-1], "activation", "identity") or "identity"
        self.loss_name: str = getattr(self.layers[-1], "loss_name", "") or type(self.layers[-1]).__name__
        self.slots = number(self.layers)
        self.params: dict[str, np.ndarray] = {key: layer.params[name] for layer, name, key in self.slots}
        self.shapes = {key: p.shape for key, p in self.params.items()}
        self._n_rows: int | None = None
        self._twin: _accel.DenseRunner | _accel.ConvRunner | None | bool = False  # compiled on first use

    # ------------------------------------------------------------ what the stack is made of

    @property
    def output_layer(self):
        return self.layers[-1]

    @property
    def differentiable(self) -> bool:
        return all(getattr(layer, "differentiable", True) for layer in self.layers)

    @property
    def n_params(self) -> int:
        """Number of parameters (weights, biases and any other)."""
        return sum(p.size for p in self.params.values())

    @property
    def n_in(self) -> int | None:
        return getattr(self.layers[0], "n_in", None)

    @property
    def n_out(self) -> int | None:
        for layer in reversed(self.layers):
            if getattr(layer, "n_out", None):
                return layer.n_out
        return None

    # ------------------------------------------------------------ validation

    def check_x(self, x: object, *, name: str = "x", finite: bool = True) -> tuple[np.ndarray, bool]:
        """Validated input of the network's dtype, and whether it was a single 1-D sample
        (``finite=False`` leaves the NaN/inf check to the caller, as training does per batch)."""
        if self.n_in is not None:
            return check_inputs(x, self.n_in, self.dtype, name=name, finite=finite)
        channels = getattr(self.layers[0], "in_channels", None)
        if channels is not None:  # a convolution first: images (N, C, H, W), or one (C, H, W)
            return check_images(x, channels, self.dtype, name=name, finite=finite)
        a = np.asarray(x)
        if a.dtype.kind not in "biuf" or a.ndim < 2 or len(a) == 0:
            raise ValueError(f"{name}: expected a batch of samples (N, …) of numbers, got shape {a.shape}")
        return np.ascontiguousarray(a, dtype=self.dtype), False

    def check_d(self, d: object, n_rows: int) -> np.ndarray:
        """Validated targets for ``n_rows`` samples (float rows, or integer labels for softmax)."""
        n_out = self.n_out
        if n_out is None:
            y = getattr(self.layers[-1], "y", None)
            n_out = y.shape[1] if y is not None else np.shape(d)[-1]
        return check_targets(d, n_rows, n_out, self.output, self.dtype)

    def _check_params(self) -> None:
        """Every parameter is an array of the network's dtype and shape, or a one-line error names it."""
        for key, shape in self.shapes.items():
            check_param(self.params, key, shape, self.dtype)

    def _bind(self) -> None:
        """Hand each layer the arrays in ``params`` (a user may have replaced one: checked first)."""
        for layer, name, key in self.slots:
            p = self.params.get(key)
            if layer.params.get(name) is not p:
                check_param(self.params, key, self.shapes[key], self.dtype)
                layer.params[name] = p

    # ------------------------------------------------------------ the passes (validated arrays)

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._bind()
        z = x
        for layer in self.layers:
            z = layer.forward(z, train)
        self._n_rows = len(x)
        return z

    def check_trainable(self) -> None:
        """Refuse a stack with a layer whose derivative is 0 wherever it exists (the step function)."""
        if not self.differentiable:
            bad = next(layer for layer in self.layers if not getattr(layer, "differentiable", True))
            raise ValueError(
                f"hidden: {getattr(bad, 'name', type(bad).__name__)!r} activation has no usable gradient "
                f"(its derivative is 0 wherever it exists), so this network cannot be trained; use "
                f"'sigmoid', 'relu' or 'tanh'"
            )

    def _backward(self, d: np.ndarray) -> dict[str, np.ndarray]:
        self.check_trainable()
        self._bind()
        dout = self.layers[-1].backward(d)
        for layer in reversed(self.layers[1:-1]):
            dout = layer.backward(dout)
        if len(self.layers) > 1:  # nothing below the first layer needs its ∂E/∂x: a layer may skip it
            first = self.layers[0]
            getattr(first, "backward_params", first.backward)(dout)
        return self.penalised({key: layer.grads[name] for layer, name, key in self.slots})

    def penalised(self, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The layers' gradients with the penalty's gradient λ₂·W + λ₁·sign(W) added to the weights'
        (``grads`` itself when there is no l1/l2)."""
        for key in self._weights():  # the penalty's gradient, on the weights alone
            W = self.params[key]
            grads[key] = grads[key] + self.l2 * W + self.l1 * np.sign(W)
        return grads

    def _weights(self) -> list[str]:
        return [key for _, name, key in self.slots if name == "W"] if self.l1 or self.l2 else []

    def penalty(self) -> float:
        """The regularisation term: λ₁·Σ|W| + ½λ₂·Σ W² over the weights (0.0 without l1/l2)."""
        total = 0.0
        for key in self._weights():
            W = self.params[key].astype(np.float64)
            total += self.l1 * float(np.abs(W).sum()) + 0.5 * self.l2 * float((W * W).sum())
        return total

    def twin(self) -> _accel.DenseRunner | _accel.ConvRunner | None:
        """The fast twin of this stack (see ``nnscratch._accel``), or None where none applies."""
        if self._twin is False:
            self._twin = _accel.compile(self)
        return self._twin

    def _evaluated(self, x: np.ndarray):
        """Forward in evaluation mode on validated x through the twin where one applies; returns the
        output layer that holds y (and can give the loss)."""
        twin = self.twin()
        if twin is not None:
            twin.forward(x, False)  # evaluation mode
            return twin.output_layer
        self._forward(x, train=False)
        return self.layers[-1]

    # ------------------------------------------------------------ public API

    def forward(self, x: object, train: bool = False) -> np.ndarray:
        """順伝播: the output y for input x (N, …) or one sample; keeps what backward needs."""
        x2, single = self.check_x(x)
        with np.errstate(**BEYOND_RANGE):
            y = self._forward(x2, train).copy()  # the caller's own: writing into it leaves backward as it was
        return y[0] if single else y

    def backward(self, d: object) -> dict[str, np.ndarray]:
        """逆伝播: gradients {W1, b1, …} of the batch-mean loss for targets d of the last forward."""
        if self._n_rows is None:
            raise ValueError("backward: no forward pass to differentiate; call forward(x) first")
        return self._backward(self.check_d(d, self._n_rows))

    def backward_from(self, grad_y: object, *, input_grad: bool = False) -> dict | tuple[dict, np.ndarray]:
        """逆伝播 from a given upstream gradient g = ∂L/∂y (上流の勾配) of the last forward's output, for
        a loss L computed outside the network (a VAE, a network feeding another): δ_out = g through
        the output activation, then the walk of :meth:`backward`. ``grad_y`` carries L's own
        averaging. Returns the gradients of L, or with ``input_grad=True`` (grads, ∂L/∂x)."""
        if self._n_rows is None:
            raise ValueError("backward_from: no forward pass to differentiate; call forward(x) first")
        width = self.n_out if self.n_out is not None else self.layers[-1].y.shape[1]
        g, single = check_inputs(grad_y, width, self.dtype, name="grad_y")
        if g.shape[0] != self._n_rows:
            raise ValueError(f"grad_y: expected {self._n_rows} rows (one per sample of the last forward), "
                             f"got shape {np.shape(grad_y)}")
        self._bind()
        dout = self.layers[-1].backward_from(g)
        for layer in reversed(self.layers[:-1]):
            dout = layer.backward(dout)
        grads = {key: layer.grads[name] for layer, name, key in self.slots}
        if not input_grad:
            return grads
        return grads, dout[0] if single else dout

    def gradient(self, x: object, d: object) -> dict[str, np.ndarray]:
        """Forward (training mode) then backward: the batch-mean loss's gradient, keyed like ``params``."""
        self.forward(x, train=True)
        return self.backward(d)

    def loss(self, x: object, d: object) -> float:
        """誤差 E: the batch-mean loss on (x, d) in evaluation mode, plus the l1/l2 penalty if any."""
        return self.data_loss(x, d) + self.penalty()

    def data_loss(self, x: object, d: object) -> float:
        """The batch-mean loss on (x, d) in evaluation mode, without the l1/l2 penalty."""
        x2, _ = self.check_x(x)
        with np.errstate(**BEYOND_RANGE):
            self._forward(x2, train=False)
        return self.layers[-1].loss(self.check_d(d, len(x2)))

    def predict(self, x: object) -> np.ndarray:
        """The network's output y (probabilities for sigmoid/softmax outputs), in evaluation mode."""
        x2, single = self.check_x(x)
        with np.errstate(**BEYOND_RANGE):
            y = self._evaluated(x2).y.copy()
        return y[0] if single else y

    def predict_classes(self, x: object) -> np.ndarray:
        """Class labels: argmax of a softmax output, y ≥ 0.5 for a sigmoid output."""
        return self._classes_from(np.atleast_2d(self.predict(x)))

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
        with np.errstate(**BEYOND_RANGE):
            return self.hit_rate(dd, self._forward(x2, train=False))

    def hit_rate(self, d: np.ndarray, y: np.ndarray) -> float:
        """The fraction of rows whose class in outputs y equals the class of validated targets d
        (target first, as everywhere inside the library)."""
        pred = self._classes_from(y)
        if self.output == "softmax":
            truth = d if d.ndim == 1 else np.argmax(d, axis=1)
        else:
            truth = (d >= 0.5).astype(np.intp)
            truth = truth[:, 0] if truth.shape[1] == 1 else truth
        return float(np.mean(pred == truth))

    # ------------------------------------------------------------ description, copies, files

    def generators(self) -> list[np.random.Generator]:
        """The layers' own random generators (dropout's masks), in layer order: what a checkpoint keeps."""
        gens = [getattr(layer, "rng", None) for layer in self.layers]
        return [g for g in gens if isinstance(g, np.random.Generator)]

    def buffers(self) -> dict[str, np.ndarray]:
        """State that is not trained but kept (batch normalisation's running averages), keyed like
        ``params``: ``running_mean1``, ``running_var1``, …"""
        return {key: getattr(layer, attr) for layer, attr, key in buffer_slots(self)}

    def set_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Put back what :meth:`buffers` gave (a file's arrays: keys and shapes checked)."""
        slots = buffer_slots(self)
        if set(buffers) != {key for _, _, key in slots}:
            raise ValueError(f"buffers: expected {sorted(k for _, _, k in slots)}, got {sorted(buffers)}")
        for layer, attr, key in slots:
            value = np.asarray(buffers[key])
            if value.shape != getattr(layer, attr).shape:
                expected = getattr(layer, attr).shape
                raise ValueError(f"buffers: {key} has shape {value.shape}, expected {expected}")
            setattr(layer, attr, np.array(value, dtype=self.dtype))

    def layer_rows(self) -> list[tuple[str, str, str, str]]:
        """(parameters, layer, shape, count) of each layer, as text: the summary's rows."""
        rows = []
        for layer in self.layers:
            keys = [key for lay, _, key in self.slots if lay is layer]
            shape = ", ".join("x".join(map(str, self.params[k].shape)) for k in keys)
            count = sum(self.params[k].size for k in keys)
            rows.append((", ".join(keys) or "-", type(layer).__name__, shape or "-", f"{count:,}"))
        return rows

    def summary(self) -> str:
        """A table of the layers and their parameter counts (a notebook shows its lines)."""
        title = f"Sequential, {len(self.layers)} layers ({self.dtype.name})"
        table = summary_text(title, self.layer_rows(), self.n_params, ("params", "layer", "shape", "count"))
        return _display.Text(table)

    def _repr_html_(self) -> str:
        caption = f"Sequential, {len(self.layers)} layers ({self.dtype.name})"
        html = _display.table(["params", "layer", "shape", "count"], self.layer_rows(), right=[3],
                              caption=caption)
        return html + f"<div>total parameters: {self.n_params:,}</div>"

    def architecture(self) -> dict:
        """The layers' descriptions (what a file holds besides the parameters)."""
        configs = []
        for layer in self.layers:
            config = getattr(layer, "config", None)
            if config is None or library_layer(layer) is None:
                raise TypeError(
                    f"save: layer {type(layer).__name__} is not one of nnscratch.layers, and files never "
                    f"hold code; save its parameters yourself (np.savez(path, **net.params))"
                )
            configs.append(config())
        arch = {"layers": configs, "params": list(self.params), "dtype": self.dtype.name}
        return {**arch, **self._regularisation()}

    def _regularisation(self) -> dict:
        return {k: v for k, v in (("l1", self.l1), ("l2", self.l2)) if v}

    @classmethod
    def from_architecture(cls, architecture: dict, params: dict[str, np.ndarray]) -> Sequential:
        """The stack an :meth:`architecture` describes, around the given parameters (a file's, checked:
        only the library's layer classes, sizes no larger than the arrays given, keys and shapes equal)."""
        net = cls(layers_from_configs(architecture["layers"], params), seed=0, dtype=architecture["dtype"],
                  l1=architecture.get("l1", 0.0), l2=architecture.get("l2", 0.0))
        want = {k: p.shape for k, p in net.params.items()}
        got = {k: np.shape(a) for k, a in params.items()}
        if want != got:
            raise ValueError(f"params: the layers need {want}, got {got}")
        for layer, name, key in net.slots:
            layer.params[name] = net.params[key] = np.array(params[key], dtype=net.dtype, order="C")
        return net

    def copy(self, dtype: str | None = None) -> Sequential:
        """An independent stack with the same layers and (copied) parameters, optionally in another dtype."""
        clone = _copy.copy(self)
        clone.dtype = B.resolve_dtype(dtype or self.dtype)
        twin, self._twin = self._twin, False  # the twin's buffers are not copied
        try:
            clone.layers = _copy.deepcopy(self.layers)
        finally:
            self._twin = twin
        clone.slots = number(clone.layers)
        clone.params = {}
        for layer, name, key in clone.slots:
            layer.params[name] = clone.params[key] = np.array(self.params[key], dtype=clone.dtype)
        clone._twin = False
        return clone

    def save(self, path: str) -> None:
        """Write the stack to ``path`` (.npz arrays + JSON metadata, never pickle)."""
        write_network(path, self.params, self.architecture(), buffers=self.buffers())

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._regularisation().items())
        return f"Sequential({self.layers!r}, dtype={self.dtype.name!r}{extra})"
