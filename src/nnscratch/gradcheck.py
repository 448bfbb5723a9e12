"""Gradient check (勾配確認): back-propagation against the numerical gradient (数値微分), in float64."""

from __future__ import annotations

import numpy as np

from nnscratch.functions import numerical_gradient
from nnscratch.network import Network


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖), and 0 when both gradients are exactly zero."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - n) / denom)


def gradcheck(net: Network, x: object, d: object, h: float = 1e-5) -> dict[str, float]:
    """Relative error per parameter between ``net.gradient(x, d)`` and a central-difference gradient
    of ``net.loss(x, d)``, both computed on a float64 copy of ``net`` (``net`` itself is unchanged).

    Errors below about 1e-7 mean the analytic gradient is right.
    """
    net64 = net.copy(dtype="float64")
    analytic = net64.gradient(x, d)
    errors = {}
    for key, param in net64.params.items():
        numeric = numerical_gradient(lambda _p: net64.loss(x, d), param, h=h)
        errors[key] = relative_error(analytic[key], numeric)
    return errors
