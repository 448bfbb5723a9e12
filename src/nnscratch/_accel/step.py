"""The fused training step for plain SGD and momentum: back-propagation and update in one pass."""

from __future__ import annotations

import numpy as np


def fused_step(
    net,
    d: np.ndarray,
    rate: float,
    velocities: dict[str, np.ndarray] | None = None,
    momentum: float = 0.0,
) -> None:
    """Backward pass and update in one, for every layer of ``net`` (a
    :class:`~nnscratch._accel.runner.DenseRunner` right after its ``forward``): plain SGD,
    W ← W − rate·∂E/∂W, or with ``velocities`` (keyed like ``params``) momentum,
    v ← μ·v − rate·∂E/∂W and W ← W + v (μ = ``momentum``).

    The output delta carries ``rate`` (folded into its 1/N), so every layer's product carries it,
    and each layer updates its weights as soon as it has passed its delta down (a layer's input
    gradient uses its weights before the update). No gradient dict is formed. ``d`` are validated
    targets of the rows of the last forward pass.
    """
    if velocities is not None:
        net._guard.check_velocities(velocities)
    delta = net.output_layer.backward(d, rate)
    affines, activations = net._fast_affines, net.activations
    for i in range(len(affines) - 1, -1, -1):
        affine = affines[i]
        if velocities is None:
            dz = affine.backward_update(delta)
        else:
            pair = (velocities[affine.w_key], velocities[affine.b_key])
            dz = affine.backward_update(delta, pair, momentum)
        if i > 0:
            delta = activations[i - 1].backward(dz)
