"""確認テスト P34 — find the activation function in the code.

Answer: ``z1 = functions.relu(u1)`` (the hidden layer's activation, ReLU); in nnscratch it is the
layer ``net.activations[0]``, built from ``hidden="relu"``.

Run:  python examples/12_p34_activation.py
"""

import numpy as np

import nnscratch
from nnscratch import functions
from nnscratch.lab.trace import print_vec

x = np.array([1.0, -2.0])
W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
b1 = np.array([0.1, 0.2, 0.3])

u1 = np.dot(x, W1) + b1
z1 = functions.relu(u1)  # ← the activation (活性化関数): ReLU, max(0, u)
print_vec("総入力1", u1)
print_vec("中間層出力1", z1)
print_vec("シグモイドなら (sigmoid instead)", functions.sigmoid(u1))

net = nnscratch.Network.from_params(
    {"W1": W1, "b1": b1, "W2": np.ones((3, 1)), "b2": np.zeros(1)}, hidden="relu", output="identity"
)
net.forward(x)
print("活性化層:", type(net.activations[0]).__name__)
print("nnscratch の中間層出力 (net.activations[0].z) と一致:", bool(np.allclose(net.activations[0].z[0], z1)))
