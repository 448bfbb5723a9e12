"""多クラス分類 — the course's 2-3-4 network: ReLU hidden layer, softmax output, cross entropy.

Run:  python examples/04_multiclass.py
"""

import numpy as np

import nnscratch
from nnscratch import functions
from nnscratch.lab.trace import print_vec


def init_network() -> dict:
    print("##### ネットワークの初期化 #####")
    network = {}
    network["W1"] = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
    network["W2"] = np.array([[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]])
    network["b1"] = np.array([0.1, 0.2, 0.3])
    network["b2"] = np.array([0.1, 0.2, 0.3, 0.4])
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
    y = functions.softmax(u2)  # 多クラス分類: softmax, the outputs sum to 1
    print_vec("総入力1", u1)
    print_vec("中間層出力1", z1)
    print_vec("総入力2", u2)
    print_vec("出力1", y)
    print_vec("出力合計", np.sum(y))
    return y, z1


x = np.array([1.0, 2.0])  # 入力値
d = np.array([0, 0, 0, 1])  # 目標出力 (one-hot: class 3)
network = init_network()
y, z1 = forward(network, x)
loss = functions.cross_entropy_error(d, y)  # 誤差

print("##### 結果表示 #####")
print_vec("出力", y)
print_vec("訓練データ", d)
print_vec("交差エントロピー誤差", loss)

net = nnscratch.Network.from_params(network, hidden="relu", output="softmax")
print("nnscratch.Network と一致:", bool(np.allclose(net.forward(x), y) and np.isclose(net.loss(x, d), loss)))
