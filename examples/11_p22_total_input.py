"""確認テスト P22 — write the total input u = Wx + b in Python.

Answer: with row vectors (rows are samples), the course writes ``u1 = np.dot(x, W1) + b1``: each input
x_i is multiplied by its weight w_ij, the products are summed over i, and the bias b_j is added.

Run:  python examples/11_p22_total_input.py
"""

import numpy as np

import nnscratch
from nnscratch.lab.trace import print_vec

x = np.array([1.0, 2.0])  # 入力
W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])  # 重み1: 2 inputs × 3 units
b1 = np.array([0.1, 0.2, 0.3])  # バイアス1

u1 = np.dot(x, W1) + b1  # 総入力 — the answer
print_vec("入力", x)
print_vec("重み1", W1)
print_vec("バイアス1", b1)
print_vec("総入力1", u1)

# the same sum written out, unit by unit: u_j = Σ_i x_i w_ij + b_j
by_hand = np.array([sum(x[i] * W1[i, j] for i in range(2)) + b1[j] for j in range(3)])
print_vec("総入力1 (Σ_i x_i w_ij + b_j)", by_hand)

# and in the library: the first Affine layer of a network keeps u1 after a forward pass
net = nnscratch.Network.from_params({"W1": W1, "b1": b1, "W2": np.ones((3, 1)), "b2": np.zeros(1)})
net.forward(x)
print("nnscratch の Affine 層 (net.affines[0].u) と一致:", bool(np.allclose(net.affines[0].u[0], u1)))
