"""Running a traced step: :func:`trace` (a whole network) and :func:`trace_layer` (one lone layer).

Both run the library's own layers and then read what those cached, copying each array into a
:class:`~nnscratch.lab.trace.record.Trace`; nothing is added to the training hot path.
"""

from __future__ import annotations

import re

import numpy as np

from nnscratch._validation import check_positive
from nnscratch.lab.trace.convolution import ConvTrace, trace_layer_convolution
from nnscratch.lab.trace.labels import _check_lang
from nnscratch.lab.trace.record import Trace
from nnscratch.lab.trace.stack import StackTrace, trace_stack
from nnscratch.layers import ACTIVATIONS, OUTPUTS, Affine, BatchNormalization, Convolution, Dropout
from nnscratch.network import Network, Sequential

_PARAM = re.compile(r"^(W|b|gamma|beta)(\d+)$")


def _copy(a: np.ndarray, single: bool) -> np.ndarray:
    """A copy of a cached (N, k) array, as one row when the caller passed one 1-D sample."""
    return a[0].copy() if single else a.copy()


def trace(net: Sequential | Convolution, x: object, d: object = None, lr: float | None = None,
          lang: str = "ja") -> Trace | StackTrace | ConvTrace:
    """Run one step of ``net`` (a :class:`~nnscratch.Network`, or a :class:`~nnscratch.Sequential` of
    dense layers: Affine, activations, BatchNormalization, Dropout, an output layer) on ``x`` and
    record every quantity (see :class:`Trace`); a stack of other layers is traced layer by layer.

    - always: the forward pass (順伝播) u_l = z_{l−1}·W_l + b_l, z_l = f(u_l), the output y and its sum;
    - with targets ``d``: the error E (誤差) and the back-propagation (誤差逆伝播法) — deltas ∂E/∂u_l
      and gradients ∂E/∂W_l, ∂E/∂b_l;
    - with a learning rate ``lr`` (needs ``d``): the update W ← W − lr·∂E/∂W, applied **to the network
      itself**, in place, like the course's loop ``network[key] -= learning_rate * grad[key]``. Trace a
      copy (``trace(net.copy(), …)``) to leave ``net`` as it was.

    Given ``d`` the step runs in training mode, as :meth:`~nnscratch.Network.gradient` does: a
    batch-normalisation layer (``batchnorm=True``) normalises with the batch's mean μ and variance σ²
    (recorded with x̂ = (u − μ)/√(σ² + ε) and its output y = γ·x̂ + β, and its running averages move),
    a dropout layer (``dropout=p``) draws a new mask (recorded with its output). Without ``d`` the
    forward pass is a prediction (evaluation mode: the running averages, dropout's scaling). A batch of
    one sample has σ² = 0 and x̂ = 0: trace a few rows to see batch normalisation work. With ``l1``/``l2``
    the penalty is recorded beside E and its gradient is in the gradients and the update.

    Any other stack — a convolutional network (Convolution, pooling, Flatten, …) or one holding a
    user's own layer — is traced layer by layer (a :class:`~nnscratch.lab.trace.stack.StackTrace`):
    each layer's output with its shape, y and E, then ∂E/∂(each layer's output) as back-propagation
    hands it down, the gradients and the update.

    A lone :class:`~nnscratch.layers.Convolution` layer is traced step by step instead (畳み込み: the
    patch matrix im2col(x), the filters as a matrix, their product and the reshape back, a
    :class:`~nnscratch.lab.trace.convolution.ConvTrace`; see :func:`trace_convolution`): a layer has no
    loss, so there ``d`` is the gradient arriving from above, dout = ∂E/∂u, and ``lr`` updates the
    layer's filters and bias in place.

    A 1-D ``x`` is one sample and its values are recorded as 1-D rows, as the course prints them.
    A network with a step activation has no gradient: its trace stops after the error unless ``lr``
    is given, which raises the network's error.

    >>> import nnscratch
    >>> net = nnscratch.Network("2-2-1", hidden="relu", output="identity", seed=1)
    >>> t = nnscratch.trace(net.copy(), [1.0, 0.5], [1.0], lr=0.1, lang="en")
    >>> t.labels()[:3]
    ['weight W1', 'weight W2', 'bias b1']
    >>> print(t)          # doctest: +SKIP
    """
    if isinstance(net, Convolution):
        return trace_layer_convolution(net, x, dout=d, lr=lr, lang=lang)
    if not isinstance(net, Sequential):
        raise TypeError(f"net: expected an nnscratch.Network or Sequential (or a Convolution layer), "
                        f"got {type(net).__name__}")
    lang = _check_lang(lang)
    if lr is not None:
        check_positive("lr", lr)
        if d is None:
            raise ValueError("lr: an update needs targets; pass d (the correct values, 正解値) with lr")
    if not _dense(net):  # convolutions, pooling, a user's own layer: layer by layer
        return trace_stack(net, x, d, lr, lang, order=_param_order(net))
    train = d is not None  # a training step runs in training mode, as net.gradient does
    architecture = {**net.architecture(), "output": net.output}
    record = Trace("network", architecture, lang=lang, loss=net.loss_name if train else None)
    record.train = train
    record.params = {k: net.params[k].copy() for k in _param_order(net)}
    single = np.ndim(x) == 1
    x2, _ = net.check_x(x)
    net._bind()
    record.x = _copy(x2, single)
    y = _forward(net, x2, train, single, record)
    dd = record._observe_output(net, d, y, single)
    if dd is None:
        return record
    if not net.differentiable and lr is None:
        return record

    # the network's own back-propagation: each delta is handed to the layer below; the one arriving at
    # an Affine is ∂E/∂u_l (recorded), through batch normalisation, activations and dropout masks alike
    net._bind()
    delta = net.output_layer.backward(dd)
    record.deltas = []
    for layer in reversed(net.layers[:-1]):
        if isinstance(layer, Affine):
            record.deltas.insert(0, _copy(delta, single))
        delta = layer.backward(delta)
    grads = net.penalised({key: layer.grads[name] for layer, name, key in net.slots})
    record.grads = {k: grads[k] for k in _param_order(net)}
    if lr is None:
        return record

    # gradient descent, the course's loop on the network's own parameter dict
    for key in _param_order(net):
        net.params[key] -= lr * grads[key]
    record.lr = float(lr)
    record.updated = {k: net.params[k].copy() for k in _param_order(net)}
    return record


def _forward(net: Network, x: np.ndarray, train: bool, single: bool, record: Trace) -> np.ndarray:
    """The network's own layers, one at a time, recording what each cached: an Affine's u, batch
    normalisation's μ, σ², x̂ and y, an activation's z, a dropout layer's mask and output."""
    record.u, record.z = [], []
    n_hidden = sum(isinstance(layer, Affine) for layer in net.layers) - 1
    record.bn, record.dropout = [None] * n_hidden, [None] * n_hidden
    z = x
    for layer in net.layers:
        out = layer.forward(z, train=train)
        i = len(record.u) - 1  # the hidden layer this one belongs to (0-based)
        if isinstance(layer, Affine):
            record.u.append(_copy(out, single))
        elif isinstance(layer, BatchNormalization):
            record.bn[i] = _batchnorm(layer, out, train, single)
        elif isinstance(layer, Dropout):
            mask = {"mask": _copy(layer.mask, single)} if train else {}
            record.dropout[i] = {**mask, "out": _copy(out, single)}
        elif layer is not net.output_layer:
            record.z.append(_copy(out, single))
        z = out
    net._n_rows = len(x)
    return z


_TRACEABLE = (Affine, BatchNormalization, Dropout, *ACTIVATIONS.values(), *OUTPUTS.values())


def _dense(net: Sequential) -> bool:
    """A Network, or a Sequential of the dense library layers starting with an Affine: traced quantity
    by quantity in the course's names (u_l, z_l, δ_l); any other stack is traced layer by layer."""
    if isinstance(net, Network):
        return True
    return type(net.layers[0]) is Affine and all(type(layer) in _TRACEABLE for layer in net.layers)


def _batchnorm(layer: BatchNormalization, out: np.ndarray, train: bool, single: bool) -> dict:
    """What a batch-normalisation layer used: the batch's μ, σ² and x̂ in training, the running averages
    μ_run, σ²_run in evaluation; and its output y = γ·x̂ + β."""
    if train:
        return {"mu": layer.mu.copy(), "var": layer.var.copy(), "xhat": _copy(layer.xhat, single),
                "y": _copy(out, single)}
    return {"mu_run": layer.running_mean.copy(), "var_run": layer.running_var.copy(), "y": _copy(out, single)}


def _param_order(net: Network) -> list[str]:
    """The parameters as the course prints them: W1 … Wn, b1 … bn, then γ and β of batch normalisation
    (then any other names a user's own layer gave its parameters)."""
    kind = {key: m.group(1) if (m := _PARAM.match(key)) else "" for key in net.params}
    return [key for p in ("W", "b", "gamma", "beta", "") for key in net.params if kind[key] == p]


def trace_layer(
    W: object,
    b: object,
    x: object,
    activation: str = "relu",
    lang: str = "ja",
    dtype: str = "float64",
) -> Trace:
    """Trace one lone layer u = x·W + b, z = f(u) — the course's single-unit and single-layer exercises.

    Uses the library's :class:`~nnscratch.layers.Affine` and activation layers and reads what they
    cached. ``b`` may be a scalar (the course's single unit has b = 0.5) or one bias per unit.
    """
    lang = _check_lang(lang)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: unknown name {activation!r}; expected one of {', '.join(ACTIVATIONS)}")
    W_arr = np.array(W, dtype=dtype)
    if W_arr.ndim != 2:
        raise ValueError(f"W: expected a 2-D weight matrix (n_in, n_out), got shape {W_arr.shape}")
    b_arr = np.array(b, dtype=dtype)
    if b_arr.ndim > 1 or (b_arr.ndim == 1 and b_arr.shape[0] != W_arr.shape[1]):
        raise ValueError(
            f"b: expected a number or shape ({W_arr.shape[1]},) to match W, got shape {b_arr.shape}"
        )
    x_arr = np.array(x, dtype=dtype)
    single = x_arr.ndim == 1
    x2 = x_arr[None, :] if single else x_arr
    if x2.ndim != 2 or x2.shape[1] != W_arr.shape[0]:
        raise ValueError(
            f"x: expected shape ({W_arr.shape[0]},) or (N, {W_arr.shape[0]}) to match W, "
            f"got shape {x_arr.shape}"
        )
    affine = Affine(*W_arr.shape, dtype=dtype)
    affine.params.update(W=W_arr, b=np.broadcast_to(b_arr, (W_arr.shape[1],)).copy())
    act = ACTIVATIONS[activation]()
    u = affine.forward(x2)
    act.forward(u)
    record = Trace("layer", {"activation": activation, "shape": list(W_arr.shape)}, lang=lang)
    record.params = {"W": W_arr.copy(), "b": b_arr.copy()}
    record.x = _copy(affine.x, single)
    record.u = [_copy(u, single)]
    record.z = [_copy(act.z, single)]
    return record

