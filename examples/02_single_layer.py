"""単層・複数ユニット — the course's single layer with three units and a sigmoid.

W (4×3), b = [0.1, 0.2, 0.3], x = [1, 5, 2, −1]  →  u = [1.4, 2.2, 3.0], z = σ(u).

Run:  python examples/02_single_layer.py
"""

import numpy as np

from nnscratch import functions
from nnscratch.lab.trace import print_vec, trace_layer

# 重み: 4 inputs × 3 units
W = np.array([
    [0.1, 0.2, 0.3],
    [0.2, 0.3, 0.4],
    [0.3, 0.4, 0.5],
    [0.4, 0.5, 0.6],
])
# バイアス
b = np.array([0.1, 0.2, 0.3])
# 入力値
x = np.array([1.0, 5.0, 2.0, -1.0])
# 総入力
u = np.dot(x, W) + b
# 中間層出力 (sigmoid: smooth, between 0 and 1)
z = functions.sigmoid(u)

print_vec("重み", W)
print_vec("バイアス", b)
print_vec("入力", x)
print_vec("総入力", u)
print_vec("中間層出力", z)

t = trace_layer(W, b, x, activation="sigmoid")
print("nnscratch の Affine + Sigmoid と一致:", bool(np.allclose(t.u[0], u) and np.allclose(t.z[0], z)))
