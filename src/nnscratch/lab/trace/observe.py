"""Running a traced step: :func:`trace` (a whole network) and :func:`trace_layer` (one lone layer).

Both run the library's own layers and then read what those cached, copying each array into a
:class:`~nnscratch.lab.trace.record.Trace`; nothing is added to the training hot path.
"""

from __future__ import annotations

import numpy as np

from nnscratch._validation import check_positive
from nnscratch.lab.trace.labels import _check_lang
from nnscratch.lab.trace.record import Trace
from nnscratch.layers import ACTIVATIONS, Affine
from nnscratch.network import Network


def _copy(a: np.ndarray, single: bool) -> np.ndarray:
    """A copy of a cached (N, k) array, as one row when the caller passed one 1-D sample."""
    return a[0].copy() if single else a.copy()


def trace(net: Network, x: object, d: object = None, lr: float | None = None, lang: str = "ja") -> Trace:
    """Run one step of ``net`` on ``x`` and record every quantity (see :class:`Trace`).

    - always: the forward pass (順伝播) u_l = z_{l−1}·W_l + b_l, z_l = f(u_l), the output y and its sum;
    - with targets ``d``: the error E (誤差) and the back-propagation (誤差逆伝播法) — deltas ∂E/∂u_l
      and gradients ∂E/∂W_l, ∂E/∂b_l;
    - with a learning rate ``lr`` (needs ``d``): the update W ← W − lr·∂E/∂W, applied **to the network
      itself**, in place, like the course's loop ``network[key] -= learning_rate * grad[key]``. Trace a
      copy (``trace(net.copy(), …)``) to leave ``net`` as it was.

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
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an nnscratch.Network, got {type(net).__name__}")
    lang = _check_lang(lang)
    if lr is not None:
        check_positive("lr", lr)
        if d is None:
            raise ValueError("lr: an update needs targets; pass d (the correct values, 正解値) with lr")
    record = Trace("network", net.architecture(), lang=lang, loss=net.loss_name if d is not None else None)
    record.params = {k: net.params[k].copy() for k in _param_order(net)}
    single = np.ndim(x) == 1

    # the network's own layers, one at a time: each Affine gives u, each activation z
    x2, _ = net.check_x(x)
    net._bind()
    record.x = _copy(x2, single)
    record.u, record.z = [], []
    z = x2
    for affine, act in zip(net.affines, [*net.activations, net.output_layer], strict=True):
        u = affine.forward(z, train=False)
        z = act.forward(u, train=False)
        record.u.append(_copy(u, single))
        if act is not net.output_layer:
            record.z.append(_copy(z, single))
    net._n_rows = len(x2)
    y = z
    record.y = _copy(y, single)
    record.y_sum = float(np.sum(y)) if y.shape[0] == 1 else np.sum(y, axis=1)
    if d is None:
        return record
    dd = net.check_d(d, y.shape[0])
    record.E = float(net.output_layer.loss(dd))
    record.d = dd[0].copy() if single and dd.ndim == 2 else dd.copy()
    if not net.differentiable and lr is None:
        return record

    # the network's own back-propagation: each delta is handed to the layer below (and recorded)
    net._bind()
    delta = net.output_layer.backward(dd)
    record.deltas = [_copy(delta, single)]
    for affine, act in zip(reversed(net.affines[1:]), reversed(net.activations), strict=True):
        delta = act.backward(affine.backward(delta))
        record.deltas.insert(0, _copy(delta, single))
    net.affines[0].backward(delta)
    grads = {key: layer.grads[name] for layer, name, key in net.slots}
    record.grads = {k: grads[k] for k in _param_order(net)}
    if lr is None:
        return record

    # gradient descent, the course's loop on the network's own parameter dict
    for key in _param_order(net):
        net.params[key] -= lr * grads[key]
    record.lr = float(lr)
    record.updated = {k: net.params[k].copy() for k in _param_order(net)}
    return record


def _param_order(net: Network) -> list[str]:
    n = net.n_layers
    return [f"W{i}" for i in range(1, n + 1)] + [f"b{i}" for i in range(1, n + 1)]


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

