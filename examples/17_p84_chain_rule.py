"""確認テスト P84 — the code for ∂E/∂y·∂y/∂u and ∂E/∂y·∂y/∂u·∂u/∂w_ji.

The course asks this of its stochastic-gradient-descent exercise, whose output layer is the identity
(恒等写像) and whose error is the squared error (二乗和誤差) E = ½ Σ_j (y_j − d_j)²:

- ∂E/∂y = y − d, ∂y/∂u = 1 (y = u), ∂u/∂w_ji = z_i (u_j = Σ_i z_i w_ji + b_j).

Answer::

    delta2 = functions.d_mean_squared_error(d, y)   # ∂E/∂y · ∂y/∂u = (y − d) · 1
    grad['W2'] = np.dot(z1.T, delta2)               # ∂E/∂y · ∂y/∂u · ∂u/∂w_ji = z_i · delta2_j

Computed here with the weights of the course's regression exercise (2-3-2, ReLU, identity, x = [1, 2],
d = [2, 4]): each factor on its own, their product, and the numerical derivative of E with respect to W2.

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
x = np.array([[1.0, 2.0]])
d = np.array([[2.0, 4.0]])


def forward(net: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u1 = np.dot(x, net["W1"]) + net["b1"]
    z1 = functions.relu(u1)
    u2 = np.dot(z1, net["W2"]) + net["b2"]
    y = functions.identity(u2)  # 恒等写像: y = u
    return y, u2, z1


y, u2, z1 = forward(network)
print_vec("∂E/∂y = y − d", y - d)
print_vec("∂y/∂u = 1 (恒等写像)", functions.d_identity(u2))
grad = {}
delta2 = functions.d_mean_squared_error(d, y)  # ∂E/∂y·∂y/∂u
grad["W2"] = np.dot(z1.T, delta2)  # ∂E/∂y·∂y/∂u·∂u/∂w
print_vec("delta2 = ∂E/∂y·∂y/∂u = (y − d) / N", delta2)
print_vec("∂u/∂w_ji = z_i (z1)", z1)
print_vec("grad['W2'] = z1.T · delta2", grad["W2"])


def loss_of_w2(w2: np.ndarray) -> float:
    y_, _, _ = forward({**network, "W2": w2})
    return functions.mean_squared_error(d, y_)  # 二乗和誤差 ½Σ(y − d)²


numeric = functions.numerical_gradient(loss_of_w2, network["W2"].copy())
print_vec("数値微分 ∂E/∂W2 (numerical)", numeric)
print_vec("最大の差 (max difference)", float(np.max(np.abs(numeric - grad["W2"]))))
