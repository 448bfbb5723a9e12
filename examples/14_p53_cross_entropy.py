"""確認テスト P53 — the cross-entropy formula and its code, line by line.

    E(y) = −Σ_i d_i log y_i

    def cross_entropy_error(d, y):
        if y.ndim == 1:                          # one sample → a batch of one row
            d = d.reshape(1, d.size)
            y = y.reshape(1, y.size)
        if d.size == y.size:                     # one-hot targets → the index of the correct class
            d = d.argmax(axis=1)
        batch_size = y.shape[0]
        # −Σ d_i log y_i keeps only the correct class's term: pick y[row, label], log, sum, average
        return -np.sum(np.log(y[np.arange(batch_size), d] + 1e-7)) / batch_size

Run:  python examples/14_p53_cross_entropy.py
"""

import numpy as np

from nnscratch import functions
from nnscratch.lab.trace import print_vec

y = functions.softmax(np.array([1.02, 2.29, 3.56, 4.83]))  # the multiclass exercise's output
d = np.array([0, 0, 0, 1])  # one-hot: class 3 is correct
print_vec("出力 y", y)
print_vec("訓練データ d", d)

y2 = y.reshape(1, y.size)
d2 = d.reshape(1, d.size)
print_vec("y.reshape(1, y.size) — a batch of one", y2)
labels = d2.argmax(axis=1)
print_vec("d.argmax(axis=1) — 正解ラベル (index of the 1)", labels)
batch_size = y2.shape[0]
print_vec("batch_size", batch_size)
picked = y2[np.arange(batch_size), labels]
print_vec("y[np.arange(batch_size), d] — y of the correct class", picked)
logs = np.log(picked + 1e-7)
print_vec("np.log(… + 1e-7) — log y_i (1e-7 keeps log(0) away)", logs)
E = -np.sum(logs) / batch_size
print_vec("-np.sum(…) / batch_size — 交差エントロピー誤差", E)

# the formula term by term: only the correct class has d_i = 1
terms = -(d * np.log(y))
print_vec("-d_i log y_i (each term)", terms)
print_vec("Σ_i -d_i log y_i", np.sum(terms))
print_vec("functions.cross_entropy_error(d, y)", functions.cross_entropy_error(d, y))
