"""バッチ正規化 with and without — the course's 2_3_batch_normalization on MNIST.

The course's network is MultiLayerNet 784-40-20-10 with sigmoid and Xavier initial weights,
``use_batchnorm=True`` (Affine → BatchNormalization → activation in each hidden layer, as
『ゼロから作る』's MultiLayerNetExtend), learning 1,000 mini-batches of 100 by SGD with learning rate
0.01. Here the same network learns with and without batch normalisation, from Xavier and from a
Gaussian σ = 0.01 (the setting of 勾配消失 in example 21), with the same mini-batches, and the script
prints the test accuracy curves side by side. The two effects of バッチ正規化 show in the four columns:
learning is much faster (with the same learning rate), and it hardly depends on the initial weights.

One difference from the course's loop: it updates only ``W1, W2, W3, b1, b2, b3``, so γ and β stay at 1
and 0; here ``Trainer`` updates every parameter, γ and β included (as the book's code does).

Data: ``datasets.load("mnist5k")`` shuffled once with ``--seed``: 4,000 to learn from, 1,000 to test on.

Run:  python examples/22_batch_normalization.py [--fast] [--seed N] [--every K] [--plot DIR]
"""

import argparse
from pathlib import Path

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fast", action="store_true", help="200 iterations instead of 1,000 (for tests)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--every", type=int, default=100, help="print every K iterations (measured every 10)")
parser.add_argument("--plot", metavar="DIR", help="draw DIR/day2_batch_normalization.{ja,en}.png")
args = parser.parse_args()

data = datasets.load("mnist5k", shuffle=True, seed=args.seed)  # sorted by class: shuffle before slicing
x_train, d_train, x_test, d_test = data.x[:4000], data.y[:4000], data.x[4000:], data.y[4000:]
print("データ読み込み完了: mnist5k", x_train.shape, x_test.shape)

iters_num = 200 if args.fast else 1000
batch_size = 100
learning_rate = 0.01
plot_interval = 10
SETTINGS = {  # (weight_init_std, use_batchnorm); BN = バッチ正規化 (batch normalisation)
    "Xavier": ("xavier", False),
    "Xavier + BN": ("xavier", True),
    "gauss 0.01": (0.01, False),
    "gauss 0.01 + BN": (0.01, True),
}

curves = {}
for name, (init, use_batchnorm) in SETTINGS.items():
    rng = np.random.default_rng(args.seed)  # the same mini-batches for every setting
    network = nnscratch.Network([784, 40, 20, 10], hidden="sigmoid", output="softmax", init=init,
                                batchnorm=use_batchnorm, seed=rng)
    trainer = nnscratch.Trainer(network, optimizer="sgd", lr=learning_rate)
    accuracies_train, accuracies_test = [], []
    for i in range(iters_num):
        batch_mask = rng.choice(len(x_train), batch_size)
        x_batch, d_batch = x_train[batch_mask], d_train[batch_mask]
        trainer.step(x_batch, d_batch)
        if (i + 1) % plot_interval == 0:
            accuracies_train.append(network.accuracy(x_batch, d_batch))
            accuracies_test.append(network.accuracy(x_test, d_test))  # evaluation: the running averages
    curves[name] = {"train": accuracies_train, "test": accuracies_test}

print("バッチ正規化の層:", [type(layer).__name__ for layer in network.layers])
print("γ, β (gamma1, beta1) の形:", network.params["gamma1"].shape, network.params["beta1"].shape)
step = max(args.every // plot_interval, 1)
print(f"正答率(テスト) test accuracy, sigmoid 784-40-20-10, SGD η = {learning_rate}")
print(f"{'iteration':>9}" + "".join(f"{name:>18}" for name in SETTINGS))
for k in range(step - 1, iters_num // plot_interval, step):
    print(f"{(k + 1) * plot_interval:9d}" + "".join(f"{c['test'][k]:18.3f}" for c in curves.values()))

print()
for name, c in curves.items():
    print_vec(f"{name}: 正答率(テスト)", c["test"][-1])

if args.plot:
    out = Path(args.plot)
    out.mkdir(parents=True, exist_ok=True)
    titles = {"ja": f"バッチ正規化の有無: シグモイド 784-40-20-10, SGD ε = {learning_rate}, mnist5k",
              "en": f"with and without batch norm: sigmoid 784-40-20-10, SGD η = {learning_rate}, mnist5k"}
    for lang, title in titles.items():
        nnscratch.plot.accuracy_curves(curves, every=plot_interval, title=title, lang=lang,
                                       out=out / f"day2_batch_normalization.{lang}.png")
    print(f"図: {out}/day2_batch_normalization.{{ja,en}}.png")
