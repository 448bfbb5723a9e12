"""Day 2 の確認テスト (confirmation tests), answered with code and checked on nnscratch's own numbers.

1. 連鎖律: dz/dx for z = t², t = x + y — dz/dt · dt/dx = 2t · 1 = 2(x + y), against a numerical derivative.
2. シグモイド関数の導関数の最大値: σ′(u) = σ(u)(1 − σ(u)) is at most 0.25, at u = 0 — so through ten
   sigmoid layers a delta shrinks by at least 0.25¹⁰ ≈ 1e-6 (勾配消失問題).
3. 重みの初期値を 0 (すべて同じ値) にすると: every hidden unit computes the same output and receives
   the same delta, so all of them learn the same thing — a layer of many units acts as one.
4. バッチ正規化の効果 (two): learning is faster and more stable, and it depends much less on the
   initial weights (it also regularises a little) — measured on MNIST with a sigmoid network.
5. L2 / L1 正則化の穴埋め: ``grad += rate * param`` (L2) and ``grad += rate * np.sign(param)`` (L1) —
   exactly what ``Network(l2=rate)`` / ``Network(l1=rate)`` add to the gradient of the data loss.

Run:  python examples/24_day2_confirmation_tests.py [--fast]
"""

import argparse

import numpy as np

import nnscratch
from nnscratch import datasets, functions
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="100 iterations instead of 500 in test 4")
args = parser.parse_args()

print("##### 1. 連鎖律 (chain rule): z = t², t = x + y #####")
x, y = 1.0, 2.0
t = x + y
dz_dt, dt_dx = 2 * t, 1.0
print_vec("dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y)", dz_dt * dt_dx)
numeric = functions.numerical_gradient(lambda v: float((v[0] + y) ** 2), np.array([x]))
print_vec("数値微分 (numerical) dz/dx", numeric[0])
print_vec("一致 (equal)", bool(np.isclose(numeric[0], dz_dt * dt_dx)))

print("##### 2. シグモイド関数の導関数の最大値 #####")
u = np.linspace(-10, 10, 2001)  # a grid that contains u = 0
du = functions.d_sigmoid(u)
print_vec("max σ′(u)", float(du.max()))
print_vec("at u =", float(u[np.argmax(du)]))
print_vec("σ′(0) = σ(0)(1 − σ(0)) = 0.5 × 0.5", float(functions.d_sigmoid(np.array(0.0))))
print_vec("10 層で高々 (at most, through 10 layers) 0.25 ** 10", 0.25**10)

print("##### 3. 重みの初期値をすべて同じにすると #####")
rng = np.random.default_rng(0)
x3, d3 = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
for label, start in (("すべて 0.1 (all 0.1)", "equal"), ("He の乱数 (random, He)", "he")):
    net = nnscratch.Network([4, 5, 3], hidden="relu", output="softmax", seed=0, dtype="float64")
    if start == "equal":
        for key in net.params:
            net.params[key][...] = 0.1 if key.startswith("W") else 0.0
    nnscratch.train(net, x3, d3, optimizer="sgd", lr=0.1, epochs=20, batch_size=10, seed=0)
    W1 = net.params["W1"]
    same = bool(np.allclose(W1, W1[:, :1]))  # every hidden unit's column of weights the same?
    print_vec(f"{label}: 学習後の W1 (columns = hidden units)", W1.round(4))
    if start == "equal":
        print_vec(f"{label}: 中間層のユニットがすべて同じ (all units the same)", same)
    else:
        print_vec(f"{label}: ユニットごとに違う (every unit its own)", not same)

print("##### 4. バッチ正規化の効果 (sigmoid 784-40-20-10, SGD η = 0.01, mnist5k) #####")
data = datasets.load("mnist5k", shuffle=True, seed=0)
x_train, d_train, x_test, d_test = data.x[:4000], data.y[:4000], data.x[4000:], data.y[4000:]
iters_num = 100 if args.fast else 500
for init in ("xavier", 0.01):
    for batchnorm in (False, True):
        rng = np.random.default_rng(0)
        net = nnscratch.Network([784, 40, 20, 10], hidden="sigmoid", output="softmax", init=init,
                                batchnorm=batchnorm, seed=rng)
        trainer = nnscratch.Trainer(net, optimizer="sgd", lr=0.01)
        for _ in range(iters_num):
            mask = rng.choice(len(x_train), 100)
            trainer.step(x_train[mask], d_train[mask])
        name = f"init={init}, {'BN あり (with)' if batchnorm else 'BN なし (without)'}"
        print_vec(f"{name}: 正答率(テスト) after {iters_num} iterations", net.accuracy(x_test, d_test))

print("##### 5. L2 / L1 正則化の穴埋め on nnscratch's gradient #####")
rng = np.random.default_rng(1)
x5, d5 = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
rate = 0.1
plain = nnscratch.Network([4, 5, 3], hidden="relu", output="softmax", seed=0, dtype="float64")
grad = plain.gradient(x5, d5)  # ∂E/∂W of the data loss alone
for name, options, fill in (("L2", {"l2": rate}, lambda p: rate * p),
                            ("L1", {"l1": rate}, lambda p: rate * np.sign(p))):
    net = nnscratch.Network([4, 5, 3], hidden="relu", output="softmax", seed=0, dtype="float64", **options)
    regularised = net.gradient(x5, d5)
    for key in ("W1", "W2"):
        expected = grad[key] + fill(net.params[key])  # the course's fill-in, by hand
        same = bool(np.allclose(regularised[key], expected))
        print_vec(f"{name}: grad['{key}'] == data gradient + fill-in", same)
    untouched = bool(np.allclose(regularised["b1"], grad["b1"]))
    print_vec(f"{name}: biases untouched (grad['b1'] unchanged)", untouched)
    penalty = net.loss(x5, d5) - net.data_loss(x5, d5)
    W = [net.params[k] for k in ("W1", "W2")]
    if name == "L2":
        by_hand = sum(0.5 * rate * np.sum(w**2) for w in W)
    else:
        by_hand = sum(rate * np.sum(np.abs(w)) for w in W)
    print_vec(f"{name}: loss − data_loss = penalty (½λΣW² or λΣ|W|)", bool(np.isclose(penalty, by_hand)))
    worst = max(nnscratch.gradcheck(net, x5, d5).values())
    print_vec(f"{name}: gradcheck (worst relative error < 1e-6)", bool(worst < 1e-6))
print("L2: grad += rate * param")
print("L1: grad += rate * np.sign(param)")
