"""勾配消失問題 and 重みの初期値 — the course's 2_2_2_vanishing_gradient_modified, four runs on MNIST.

The course's MultiLayerNet 784-40-20-10 (hidden_size_list [40, 20]), softmax + cross entropy, learns
2,000 mini-batches of 100 by SGD with learning rate 0.1, once for each of

    sigmoid – Gaussian σ = 0.01    ReLU – Gaussian σ = 0.01    sigmoid – Xavier √(1/n)    ReLU – He √(2/n)

and prints the accuracy every 10 iterations (the course's ``plot_interval``) on the mini-batch just
learned (正答率(トレーニング), as the course measures it) and on the test images (正答率(テスト)).
What it shows: sigmoid with σ = 0.01 does not learn at all — every hidden output sits near 0.5, the
deltas shrink by sigmoid′ ≤ 0.25 at each layer (勾配消失) and the test accuracy stays at chance (about
0.1); ReLU starts learning even from σ = 0.01 once a few units wake up; Xavier for sigmoid and He for
ReLU learn from the first iterations.

Data: the 5,000 real MNIST images of ``datasets.load("mnist5k")`` (sorted by class, so shuffled once
with ``--seed``): 4,000 to learn from, 1,000 to test on. The course uses the full 60,000 / 10,000.

Run:  python examples/21_vanishing_gradient.py [--fast] [--seed N] [--every K] [--plot DIR]
"""

import argparse
from pathlib import Path

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="300 iterations instead of 2,000 (for tests)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--every", type=int, default=100, help="print every K iterations (measured every 10)")
parser.add_argument("--plot", metavar="DIR", help="draw DIR/day2_vanishing_gradient.{ja,en}.png")
args = parser.parse_args()

data = datasets.load("mnist5k", shuffle=True, seed=args.seed)  # sorted by class: shuffle before slicing
x_train, d_train, x_test, d_test = data.x[:4000], data.y[:4000], data.x[4000:], data.y[4000:]
print("データ読み込み完了: mnist5k", x_train.shape, x_test.shape)

iters_num = 300 if args.fast else 2000
batch_size = 100
learning_rate = 0.1
plot_interval = 10
SETTINGS = {  # the course's four runs: (activation, weight_init_std)
    "sigmoid – gauss 0.01": ("sigmoid", 0.01),
    "ReLU – gauss 0.01": ("relu", 0.01),
    "sigmoid – Xavier": ("sigmoid", "xavier"),
    "ReLU – He": ("relu", "he"),
}

curves = {}
for name, (activation, init) in SETTINGS.items():
    rng = np.random.default_rng(args.seed)  # the same mini-batches for every setting
    network = nnscratch.Network([784, 40, 20, 10], hidden=activation, output="softmax", init=init, seed=rng)
    trainer = nnscratch.Trainer(network, optimizer="sgd", lr=learning_rate)
    accuracies_train, accuracies_test = [], []
    for i in range(iters_num):
        batch_mask = rng.choice(len(x_train), batch_size)
        x_batch, d_batch = x_train[batch_mask], d_train[batch_mask]
        trainer.step(x_batch, d_batch)  # network[key] -= learning_rate * grad[key]
        if (i + 1) % plot_interval == 0:
            accuracies_train.append(network.accuracy(x_batch, d_batch))
            accuracies_test.append(network.accuracy(x_test, d_test))
    curves[name] = {"train": accuracies_train, "test": accuracies_test}

# one table, a column per setting: the accuracy curves (テスト, and トレーニング on the last mini-batch)
step = max(args.every // plot_interval, 1)
print(f"正答率(テスト) test accuracy, every {step * plot_interval} iterations")
print(f"{'iteration':>9}" + "".join(f"{name:>23}" for name in SETTINGS))
for k in range(step - 1, iters_num // plot_interval, step):
    print(f"{(k + 1) * plot_interval:9d}" + "".join(f"{c['test'][k]:23.3f}" for c in curves.values()))

print()
for name, c in curves.items():
    print_vec(f"{name}: 正答率(トレーニング, 最後のミニバッチ)", c["train"][-1])
    print_vec(f"{name}: 正答率(テスト)", c["test"][-1])

if args.plot:
    out = Path(args.plot)
    out.mkdir(parents=True, exist_ok=True)
    titles = {"ja": f"勾配消失問題と重みの初期値: 784-40-20-10, SGD ε = {learning_rate}, mnist5k",
              "en": f"vanishing gradients, initial weights: 784-40-20-10, SGD η = {learning_rate}, mnist5k"}
    for lang, title in titles.items():
        nnscratch.plot.accuracy_curves(curves, every=plot_interval, title=title, lang=lang,
                                       out=out / f"day2_vanishing_gradient.{lang}.png")
    print(f"図: {out}/day2_vanishing_gradient.{{ja,en}}.png")
