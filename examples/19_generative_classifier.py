"""識別モデル vs 生成モデル (Section 0): a Gaussian generative classifier beside logistic regression.

The generative classifier learns how each class makes its data, p(x | k) = N(μ_k, Σ_k), and the class
shares π_k, then classifies by Bayes' rule p(k | x) ∝ π_k p(x | k). Logistic regression (a network
with no hidden layer) learns p(k | x) directly. Both are trained on few and on many points of two data
sets — Gaussian blobs, where the generative model's assumption holds, and moons, where it does not —
and tested on 2,000 other points. The generative model can also make new points.

Run:  python examples/19_generative_classifier.py [--quick]
"""

import sys

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.generative import GaussianClassifier
from nnscratch.lab.trace import print_vec

QUICK = "--quick" in sys.argv
SEEDS = 3 if QUICK else 10
SIZES = (5, 200)  # training points per class


def logistic_regression(x, y, k, seed):
    """A [2, K] softmax network = (multinomial) logistic regression, trained with Adam, full batch."""
    net = nnscratch.Network([2, k], output="softmax", seed=seed)
    nnscratch.train(net, x, y, optimizer="adam", lr=0.05, epochs=300, batch_size=None, seed=seed)
    return net


for name in ("blobs", "moons"):
    data = datasets.blobs(4000, n_classes=3, spread=2.5, seed=1) if name == "blobs" else datasets.moons(
        4000, noise=0.3, seed=0)
    x, y = data.x.astype(np.float64), data.y
    k = int(y.max()) + 1
    x_test, y_test, x_pool, y_pool = x[:2000], y[:2000], x[2000:], y[2000:]
    for per_class in SIZES:
        acc = {"generative (LDA)": [], "generative (QDA)": [], "logistic regression": []}
        for seed in range(SEEDS):
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.choice(np.flatnonzero(y_pool == c), per_class, replace=False)
                                  for c in range(k)])
            xs, ys = x_pool[idx], y_pool[idx]
            acc["generative (LDA)"].append(GaussianClassifier(shared_covariance=True).fit(xs, ys).score(
                x_test, y_test))
            acc["generative (QDA)"].append(GaussianClassifier(reg=1e-3).fit(xs, ys).score(x_test, y_test))
            acc["logistic regression"].append(logistic_regression(xs, ys, k, seed).accuracy(x_test, y_test))
        for model, values in acc.items():
            print_vec(f"{name}, {per_class:3d} per class, {model}: test accuracy (mean of {SEEDS})",
                      round(float(np.mean(values)), 3))

# a generative model makes data: new points from p(x | k)
clf = GaussianClassifier().fit(x_pool, y_pool)  # moons, all 2,000 pool points
new_x, new_y = clf.sample(5, seed=0)
print_vec("μ_k (means_)", clf.means_.round(3))
print_vec("π_k (priors_)", clf.priors_.round(3))
print_vec("5 generated points", new_x.round(2))
print_vec("their classes", new_y)
print_vec("p(k | x) of the first (predict_proba)", clf.predict_proba(new_x[:1]).round(3))
print("the generated points come from two Gaussians: they do not lie on the moons")
print("(a generative model is only as good as its picture of how the data is made)")
