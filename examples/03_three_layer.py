"""3層・複数ユニット — the course's three-layer network 2-3-2-2: ReLU, ReLU, identity output.

Run:  python examples/03_three_layer.py
"""

import numpy as np

import nnscratch
from nnscratch import functions
from nnscratch.lab.trace import print_vec


def init_network() -> dict:
    """ネットワークの初期化: the course's weights and biases."""
    print("##### ネットワークの初期化 #####")
    network = {}
    network["W1"] = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
    network["W2"] = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
    network["W3"] = np.array([[0.1, 0.3], [0.2, 0.4]])
    network["b1"] = np.array([0.1, 0.2, 0.3])
    network["b2"] = np.array([0.1, 0.2])
    network["b3"] = np.array([1.0, 2.0])
    for key in ("W1", "W2", "W3"):
        print_vec("重み" + key[1], network[key])
    for key in ("b1", "b2", "b3"):
        print_vec("バイアス" + key[1], network[key])
    return network


def forward(network: dict, x: np.ndarray) -> np.ndarray:
    """順伝播: u_l = z_{l-1}·W_l + b_l, z_l = f(u_l); the output layer is the identity (恒等写像)."""
    print("##### 順伝播開始 #####")
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    u1 = np.dot(x, W1) + b1  # 1層の総入力
    z1 = functions.relu(u1)  # 1層の総出力
    u2 = np.dot(z1, W2) + b2  # 2層の総入力
    z2 = functions.relu(u2)  # 2層の総出力
    u3 = np.dot(z2, W3) + b3  # 出力層の総入力
    y = u3  # 出力層の総出力 (identity)
    print_vec("総入力1", u1)
    print_vec("中間層出力1", z1)
    print_vec("総入力2", u2)
    print_vec("中間層出力2", z2)
    print_vec("総入力3", u3)
    print_vec("出力", y)
    print_vec("出力合計", np.sum(y))
    return y


x = np.array([1.0, 2.0])  # 入力値
print_vec("入力", x)
network = init_network()
y = forward(network, x)

# The same network in the library: Network.from_params takes the course's dict as it is.
net = nnscratch.Network.from_params(network, hidden="relu", output="identity")
print("nnscratch.Network の出力と一致:", bool(np.allclose(net.forward(x), y)))
