"""Private fast paths of training (used by :class:`nnscratch.Trainer`, never by the course code).

``fused_step`` is back-propagation and the update in one pass, for update rules linear in the
gradient (plain SGD and plain momentum, see :meth:`nnscratch.optim.Optimizer.linear_rule`).
"""

from __future__ import annotations

__all__ = ["fused_step"]


def fused_step(net, d, rate: float, velocities=None, momentum: float = 0.0) -> None:
    """Backward pass and update in one, for every layer of ``net`` (after its forward pass on the batch).

    Plain SGD, W ← W − rate·∂E/∂W, or with ``velocities`` (keyed like ``net.params``) momentum,
    v ← μ·v − rate·∂E/∂W and W ← W + v (μ = ``momentum``). ``rate`` is folded into the output delta, so
    no gradient dict is formed; each layer's input gradient uses its weights before their update.
    """
    net._backward_update(d, rate, velocities, momentum)
