"""ロジスティック回帰 = a network with no hidden layer — the course's discriminative models (Section 0).

A network of sizes [n, 1] with a sigmoid output and binary cross entropy *is* logistic regression:
P(y = 1 | x) = σ(x·W + b). With sizes [n, K] and a softmax output it is multinomial logistic
regression. Trained here by the course's gradient-descent loop on the breast-cancer data set
(569 tumours, 30 features, standardised) and compared with scikit-learn's LogisticRegression.

Run:  python examples/10_logistic_regression.py [--quick]
"""

import sys

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.lab.trace import print_vec

QUICK = "--quick" in sys.argv
EPOCHS = 150 if QUICK else 1000
LEARNING_RATE = 0.1

data = datasets.breast_cancer()
x_train, x_test, d_train, d_test = datasets.train_test_split(data.x, data.y, test_size=0.25, seed=0)
scaler = datasets.Standardizer().fit(x_train)  # 標準化, with the training data's mean and std only
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
n = data.n_features


def fit(net: nnscratch.Network, d: np.ndarray) -> nnscratch.Network:
    """Full-batch gradient descent, the course's loop: network[key] -= learning_rate * grad[key]."""
    network = net.params
    for _ in range(EPOCHS):
        grad = net.gradient(x_train, d)
        for key in network:
            network[key] -= LEARNING_RATE * grad[key]
    return net


# [n, 1], sigmoid: the probability of class 1 (benign); targets 0/1
binary = fit(nnscratch.Network([n, 1], output="sigmoid", init=0.0, seed=0), d_train.reshape(-1, 1))
# [n, 2], softmax: one probability per class; targets are class labels
multi = fit(nnscratch.Network([n, 2], output="softmax", init=0.0, seed=0), d_train)

sizes = f"{data.n_samples} samples, {n} features; train {len(x_train)}, test {len(x_test)}"
print_vec("データ (breast_cancer)", sizes)
print_vec("nnscratch [30, 1] sigmoid: 訓練正解率 (train)", binary.accuracy(x_train, d_train[:, None]))
print_vec("nnscratch [30, 1] sigmoid: テスト正解率 (test accuracy)", binary.accuracy(x_test, d_test[:, None]))
print_vec("nnscratch [30, 2] softmax: テスト正解率 (test accuracy)", multi.accuracy(x_test, d_test))

try:
    from sklearn.linear_model import LogisticRegression
except ImportError:  # scikit-learn is in the lab extra
    print("scikit-learn が見つかりません (pip install 'nnscratch[lab]'): 比較を省略します")
else:
    clf = LogisticRegression(max_iter=5000).fit(x_train, d_train)
    print_vec("scikit-learn LogisticRegression: テスト正解率 (test accuracy)", clf.score(x_test, d_test))
