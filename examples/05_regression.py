"""回帰 — the course's 2-3-2 regression network: ReLU hidden layer, identity output, squared error.

E = ½ Σ_k (y_k − d_k)². (The course's code divides by the number of outputs as well and prints half
of this; see docs/course-differences.md.)

Run:  python examples/05_regression.py
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


def forward(network: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    print("##### 順伝播開始 #####")
    W1, W2 = network["W1"], network["W2"]
    b1, b2 = network["b1"], network["b2"]
    u1 = np.dot(x, W1) + b1
    z1 = functions.relu(u1)
    u2 = np.dot(z1, W2) + b2
    y = u2  # 回帰: 恒等写像 (identity)
    print_vec("総入力1", u1)
    print_vec("中間層出力1", z1)
    print_vec("総入力2", u2)
    print_vec("出力1", y)
    print_vec("出力合計", np.sum(y))
    return y, z1


x = np.array([1.0, 2.0])  # 入力値
d = np.array([2.0, 4.0])  # 目標出力
network = init_network()
y, z1 = forward(network, x)
loss = functions.mean_squared_error(d, y)  # 誤差: ½ Σ (y − d)²

print("##### 結果表示 #####")
print_vec("中間層出力", z1)
print_vec("出力", y)
print_vec("訓練データ", d)
print_vec("二乗誤差", loss)

net = nnscratch.Network.from_params(network, hidden="relu", output="identity")
print("nnscratch.Network と一致:", bool(np.allclose(net.forward(x), y) and np.isclose(net.loss(x, d), loss)))
