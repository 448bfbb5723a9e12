"""確認テスト P84 — the code for ∂E/∂y·∂y/∂u and ∂E/∂y·∂y/∂u·∂u/∂w.

Answer::

    delta2 = functions.d_sigmoid_with_loss(d, y)   # ∂E/∂y · ∂y/∂u   (for softmax: d_softmax_with_loss)
    grad['W2'] = np.dot(z1.T, delta2)               # ∂E/∂y · ∂y/∂u · ∂u/∂w  (∂u/∂w = z1)

The chain rule's product equals the numerical derivative of E with respect to W2.

Run:  python examples/17_p84_chain_rule.py
"""

import numpy as np

from nnscratch import functions
from nnscratch.lab.trace import print_vec

network = {
    "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
    "b1": np.array([0.1, 0.2, 0.3]),
    "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
    "b2": np.array([0.1, 0.2]),
}
x = np.array([[1.0, 5.0]])
d = np.array([[0, 1]])


def forward(net: dict) -> tuple[np.ndarray, np.ndarray]:
    u1 = np.dot(x, net["W1"]) + net["b1"]
    z1 = functions.relu(u1)
    u2 = np.dot(z1, net["W2"]) + net["b2"]
    return functions.softmax(u2), z1


y, z1 = forward(network)
grad = {}
delta2 = functions.d_softmax_with_loss(d, y)  # ∂E/∂y·∂y/∂u
grad["W2"] = np.dot(z1.T, delta2)  # ∂E/∂y·∂y/∂u·∂u/∂w
print_vec("delta2 = ∂E/∂y·∂y/∂u = (y − d) / N", delta2)
print_vec("∂u/∂w = z1", z1)
print_vec("grad['W2'] = z1.T · delta2", grad["W2"])


def loss_of_w2(w2: np.ndarray) -> float:
    y_, _ = forward({**network, "W2": w2})
    return functions.cross_entropy_error(d, y_)


numeric = functions.numerical_gradient(loss_of_w2, network["W2"].copy())
print_vec("数値微分 ∂E/∂W2 (numerical)", numeric)
print_vec("最大の差 (max difference)", float(np.max(np.abs(numeric - grad["W2"]))))
