"""誤差逆伝播法 — the course's one back-propagation step on the 2-3-2 network (ReLU, softmax, cross
entropy), then one gradient-descent update with learning rate 0.01.

Written as the course writes it, with the derivatives it should use: the softmax + cross-entropy
delta ``d_softmax_with_loss`` (the course calls ``d_sigmoid_with_loss``, which happens to be the same
formula) and ReLU's derivative taken at the total input u1 (the course passes z1; for ReLU the two
agree). ``nnscratch trace --example backprop`` prints the same step from the library's own network.

Run:  python examples/07_backprop_step.py
"""

import numpy as np

import nnscratch
from nnscratch import functions
from nnscratch.lab.trace import print_vec


def init_network() -> dict:
    print("##### ネットワークの初期化 #####")
    network = {}
    network["W1"] = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
    network["W2"] = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
    network["b1"] = np.array([0.1, 0.2, 0.3])
    network["b2"] = np.array([0.1, 0.2])
    print_vec("重み1", network["W1"])
    print_vec("重み2", network["W2"])
    print_vec("バイアス1", network["b1"])
    print_vec("バイアス2", network["b2"])
    return network


def forward(network: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    print("##### 順伝播開始 #####")
    W1, W2 = network["W1"], network["W2"]
    b1, b2 = network["b1"], network["b2"]
    u1 = np.dot(x, W1) + b1
    z1 = functions.relu(u1)
    u2 = np.dot(z1, W2) + b2
    y = functions.softmax(u2)
    print_vec("総入力1", u1)
    print_vec("中間層出力1", z1)
    print_vec("総入力2", u2)
    print_vec("出力1", y)
    print_vec("出力合計", np.sum(y))
    return y, z1, u1


def backward(network: dict, x: np.ndarray, d: np.ndarray, z1: np.ndarray, u1: np.ndarray,
             y: np.ndarray) -> dict:
    print("##### 誤差逆伝播開始 #####")
    grad = {}
    W2 = network["W2"]
    # 出力層でのデルタ ∂E/∂u2 = (y − d) / N
    delta2 = functions.d_softmax_with_loss(d, y)
    # b2 の勾配
    grad["b2"] = np.sum(delta2, axis=0)
    # W2 の勾配
    grad["W2"] = np.dot(z1.T, delta2)
    # 中間層でのデルタ ∂E/∂u1: delta2 is reused, not recomputed (P79)
    delta1 = np.dot(delta2, W2.T) * functions.d_relu(u1)
    # b1 の勾配
    grad["b1"] = np.sum(delta1, axis=0)
    # W1 の勾配
    grad["W1"] = np.dot(x.T, delta1)
    print_vec("偏微分_dE/du2", delta2)
    print_vec("偏微分_dE/du1", delta1)
    print_vec("偏微分_重み1", grad["W1"])
    print_vec("偏微分_重み2", grad["W2"])
    print_vec("偏微分_バイアス1", grad["b1"])
    print_vec("偏微分_バイアス2", grad["b2"])
    return grad


x = np.array([[1.0, 5.0]])  # 訓練データ
d = np.array([[0, 1]])  # 目標出力
learning_rate = 0.01  # 学習率
network = init_network()
net = nnscratch.Network.from_params(network, hidden="relu", output="softmax")  # the same start, kept apart

y, z1, u1 = forward(network, x)
loss = functions.cross_entropy_error(d, y)  # 誤差
print_vec("誤差", loss)
grad = backward(network, x, d, z1, u1, y)
# パラメータの更新 (勾配降下法)
for key in ("W1", "W2", "b1", "b2"):
    network[key] -= learning_rate * grad[key]

print("##### 結果表示 #####")
print("##### 更新後パラメータ #####")
print_vec("重み1", network["W1"])
print_vec("重み2", network["W2"])
print_vec("バイアス1", network["b1"])
print_vec("バイアス2", network["b2"])

# The library's trace runs the network's own forward, backward and update: the same numbers.
t = nnscratch.trace(net, x, d=d, lr=learning_rate)
same = all(np.allclose(t.updated[k], network[k]) for k in network) and np.isclose(t.E, loss)
print("nnscratch.trace の一歩と一致:", bool(same))
