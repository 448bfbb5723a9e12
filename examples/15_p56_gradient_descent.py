"""確認テスト P56 — find the gradient-descent update in the code.

Answer: ``network[key] -= learning_rate * grad[key]`` (W ← W − ε ∇E). In nnscratch the parameters
are ``net.params`` (the course's dict) and ``net.gradient(x, d)`` gives ``grad``, so the course's
loop runs unchanged.

Run:  python examples/15_p56_gradient_descent.py
"""

import numpy as np

import nnscratch
from nnscratch.lab.trace import print_vec

net = nnscratch.Network.from_params(
    {
        "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        "b1": np.array([0.1, 0.2, 0.3]),
        "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        "b2": np.array([0.1, 0.2]),
    },
    hidden="relu",
    output="softmax",
)
network = net.params  # the course's dict
x = np.array([[1.0, 5.0]])
d = np.array([[0, 1]])
learning_rate = 0.01

print_vec("誤差 (更新前)", net.loss(x, d))
grad = net.gradient(x, d)
print_vec("重み2 (更新前)", network["W2"])
print_vec("偏微分_重み2", grad["W2"])

for key in ("W1", "W2", "b1", "b2"):
    network[key] -= learning_rate * grad[key]  # ← 勾配降下法 (the answer)

print_vec("重み2 (更新後) = 重み2 − 学習率 × 偏微分_重み2", network["W2"])
print_vec("誤差 (更新後)", net.loss(x, d))
