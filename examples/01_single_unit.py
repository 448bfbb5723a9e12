"""単層・単ユニット — the course's single unit: 総入力 u = x·W + b, 中間層出力 z = ReLU(u).

W = [[0.1], [0.2]], b = 0.5, x = [2, 3]  →  u = z = 1.3.

Run:  python examples/01_single_unit.py
"""

import numpy as np

from nnscratch import functions
from nnscratch.lab.trace import print_vec, trace_layer

# 重み (weights), one column per unit
W = np.array([[0.1], [0.2]])
# バイアス (bias)
b = 0.5
# 入力値 (input, a row vector)
x = np.array([2, 3])
# 総入力 (total input) u = x·W + b
u = np.dot(x, W) + b
# 中間層出力 (the unit's output) z = ReLU(u)
z = functions.relu(u)

print_vec("重み", W)
print_vec("バイアス", b)
print_vec("入力", x)
print_vec("総入力", u)
print_vec("中間層出力", z)

# The library's own Affine and ReLU layers give the same numbers (nnscratch trace --example single-unit).
t = trace_layer(W, b, x, activation="relu")
print("nnscratch の Affine + ReLU と一致:", bool(np.allclose(t.u[0], u) and np.allclose(t.z[0], z)))
