"""確認テスト P52 — the softmax formula and its code, line by line.

    f(i, u) = exp(u_i) / Σ_k exp(u_k)

    def softmax(x):
        x = x - np.max(x)                       # overflow guard: exp(u − m) / Σ exp(u − m) is the same
        return np.exp(x) / np.sum(np.exp(x))    # numerator exp(u_i) / denominator Σ_k exp(u_k)

Run:  python examples/13_p52_softmax.py
"""

import numpy as np

from nnscratch import functions
from nnscratch.lab.trace import print_vec

u = np.array([1.02, 2.29, 3.56, 4.83])  # the multiclass exercise's total input u2
print_vec("u (総入力)", u)
m = np.max(u)
print_vec("np.max(u) — オーバーフロー対策 (subtract the largest value)", m)
shifted = u - m
print_vec("u - np.max(u)", shifted)
numerator = np.exp(shifted)
print_vec("np.exp(u - np.max(u)) — 分子 exp(u_i)", numerator)
denominator = np.sum(numerator)
print_vec("np.sum(np.exp(u - np.max(u))) — 分母 Σ_k exp(u_k)", denominator)
y = numerator / denominator
print_vec("softmax(u) = 分子 / 分母", y)
print_vec("合計 (sums to 1)", np.sum(y))

# without the guard exp overflows for large u; with it the answer is the same
big = u + 1000.0
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.sum(np.exp(big))
print_vec("u + 1000 をガードなしで (without the guard)", naive)
print_vec("u + 1000 を functions.softmax で", functions.softmax(big))
print("functions.softmax と一致:", bool(np.allclose(functions.softmax(u), y)))
