"""Gradient check (勾配確認): back-propagation against the numerical gradient (数値微分), in float64."""

from __future__ import annotations

import warnings

import numpy as np

from nnscratch._validation import check_step
from nnscratch.functions import numerical_gradient
from nnscratch.network import Sequential

ZERO = 1e-8
"""Gradients whose norms are both below this are zero up to rounding (a bias right before batch
normalisation, whose gradient is exactly 0): they are compared by ‖a − n‖ alone."""


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖); ‖a − n‖ itself when both are below :data:`ZERO` (0 when both are 0)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    norm_a, norm_n = np.linalg.norm(a), np.linalg.norm(n)
    if norm_a < ZERO and norm_n < ZERO:
        return float(np.linalg.norm(a - n))
    return float(np.linalg.norm(a - n) / (norm_a + norm_n))


def gradcheck(net: Sequential, x: object, d: object, h: float = 1e-5) -> dict[str, float]:
    """Relative error per parameter between ``net.gradient(x, d)`` and a central-difference gradient
    of the loss (with its l1/l2 penalty) in training mode, as the gradient is taken — batch
    normalisation with the batch's statistics, dropout with the mask of the analytic pass held —
    both computed on a float64 copy of ``net`` (``net`` itself is unchanged).

    Errors below about 1e-7 mean the analytic gradient is right. A central difference across a kink
    (ReLU / leaky ReLU at u = 0, e.g. a dead unit's zero output feeding the next layer) is not the
    derivative, so the check warns when a pre-activation lies that close to a kink: a large error
    there says nothing about back-propagation (use other inputs or non-zero biases).

    >>> import nnscratch
    >>> net = nnscratch.Network("2-3-1", hidden="sigmoid", seed=0)
    >>> errors = nnscratch.gradcheck(net, [[0.5, -1.0]], [[1.0]])
    >>> sorted(errors), all(e < 1e-7 for e in errors.values())
    (['W1', 'W2', 'b1', 'b2'], True)
    """
    check_step(h)
    net64 = net.copy(dtype="float64")
    analytic = net64.gradient(x, d)
    near_kink = sum(
        int(np.count_nonzero(np.abs(act.u) < 10 * h))
        for act in net64.layers
        if getattr(act, "name", "") in ("relu", "leaky_relu") and getattr(act, "u", None) is not None
    )
    if near_kink:
        warnings.warn(
            f"gradcheck: {near_kink} ReLU pre-activation(s) lie within {10 * h:g} of the kink at 0, where "
            f"the numerical gradient is not the derivative; errors there do not mean back-propagation "
            f"is wrong — try other inputs or small non-zero biases",
            RuntimeWarning,
            stacklevel=2,
        )
    for layer in net64.layers:  # dropout: the mask of the analytic pass, held for every difference
        if hasattr(layer, "hold"):
            layer.hold = True
    x64, _ = net64.check_x(x)
    d64 = net64.check_d(d, len(x64))

    def loss(_p: np.ndarray) -> float:  # in training mode, as the gradient was taken
        net64._forward(x64, train=True)
        return net64.output_layer.loss(d64) + net64.penalty()

    errors = {}
    for key, param in net64.params.items():
        numeric = numerical_gradient(loss, param, h=h)
        errors[key] = relative_error(analytic[key], numeric)
    return errors
