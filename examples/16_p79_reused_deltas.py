"""確認テスト P79 — back-propagation avoids recomputation: which code keeps results for reuse?

Answer: the deltas. ``delta2 = functions.d_sigmoid_with_loss(d, y)`` is computed once and reused for
``grad['b2']``, ``grad['W2']`` and for ``delta1 = np.dot(delta2, W2.T) * functions.d_relu(u1)``, which
in turn gives ``grad['b1']`` and ``grad['W1']``. In nnscratch each layer keeps its delta
(``net.output_layer.delta``, ``net.activations[i].delta``) for the layer below.

Run:  python examples/16_p79_reused_deltas.py
"""

import numpy as np

import nnscratch
from nnscratch import functions
from nnscratch.lab.trace import print_vec

W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
b1 = np.array([0.1, 0.2, 0.3])
W2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
b2 = np.array([0.1, 0.2])
x = np.array([[1.0, 5.0]])
d = np.array([[0, 1]])

u1 = np.dot(x, W1) + b1
z1 = functions.relu(u1)
u2 = np.dot(z1, W2) + b2
y = functions.softmax(u2)

grad = {}
delta2 = functions.d_softmax_with_loss(d, y)  # computed once …
grad["b2"] = np.sum(delta2, axis=0)  # … reused
grad["W2"] = np.dot(z1.T, delta2)  # … reused
delta1 = np.dot(delta2, W2.T) * functions.d_relu(u1)  # … reused, and kept in turn
grad["b1"] = np.sum(delta1, axis=0)
grad["W1"] = np.dot(x.T, delta1)
print_vec("偏微分_dE/du2 (delta2)", delta2)
print_vec("偏微分_dE/du1 (delta1)", delta1)

net = nnscratch.Network.from_params({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, hidden="relu", output="softmax")
lib = net.gradient(x, d)
print_vec("net.output_layer.delta (kept by the output layer)", net.output_layer.delta)
print_vec("net.activations[0].delta (kept by the hidden layer)", net.activations[0].delta)
print(
    "nnscratch の勾配と一致:",
    bool(all(np.allclose(lib[k], grad[k]) for k in grad) and np.allclose(net.output_layer.delta, delta2)),
)
