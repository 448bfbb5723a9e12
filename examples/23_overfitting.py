"""過学習 and its remedies — the course's 2_5_overfiting: 300 training images, a deep network.

With only 300 images to learn from, the course's MultiLayerNet 784-100-100-100-100-100-100-10 (ReLU, He
initial weights) reaches 100 % on them while the test accuracy stays far lower: 過学習. The course then
trains the same network with each remedy, 1,000 mini-batches of 100 drawn from the 300 images, and plots
the training and test accuracy every 10 iterations. The settings, as the course's notebook gives them:

    ============================  ================================  ==========
    run                           regularisation                    SGD η
    ============================  ================================  ==========
    none                          —                                 0.01
    L2 (weight decay)             weight_decay_lambda = 0.1         0.01
    L1                            weight_decay_lambda = 0.005       0.1
    dropout                       dropout_ratio = 0.15              0.01
    dropout + L1                  dropout_ratio = 0.08, λ = 0.004   0.01
    ============================  ================================  ==========

(『ゼロから作る』 6.4 uses the same 300 images and network with λ = 0.1 and a dropout ratio of 0.2.)
nnscratch follows the formulas where the course's loops slip: its L1/L2 loops update only the hidden
layers' W and b (``range(1, hidden_layer_num + 1)``: the output layer's W7, b7 never learn) and add
½λ·‖W‖ (with a square root) instead of ½λ·‖W‖² to the reported loss; its dropout cell also hands the
L1 cell's ``weight_decay_lambda`` (0.005) to the network, an L2 term it did not mean. Here
``Network(l2=λ)`` / ``Network(l1=λ)`` put λ·W / λ·sign(W) on every weight's gradient (the course's
``grad += rate * param`` / ``rate * np.sign(param)``) and ``dropout=p`` is the course's dropout (drop in
training, scale by 1 − p at test time).

Data: ``datasets.load("mnist5k")`` shuffled once with ``--seed``: the first 300 images to learn from,
the next 1,000 to test on (the course tests on MNIST's 10,000).

Run:  python examples/23_overfitting.py [--fast] [--seed N] [--every K] [--plot DIR]
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
parser.add_argument("--plot", metavar="DIR", help="draw the curves to DIR/day2_overfitting.{ja,en}.png")
args = parser.parse_args()

data = datasets.load("mnist5k", shuffle=True, seed=args.seed)  # sorted by class: shuffle before slicing
x_train, d_train = data.x[:300], data.y[:300]  # 過学習を再現するために、訓練データを削減
x_test, d_test = data.x[300:1300], data.y[300:1300]
print("データ読み込み完了: mnist5k", x_train.shape, x_test.shape)

iters_num = 200 if args.fast else 1000
batch_size = 100
plot_interval = 10
SETTINGS = {  # name: (Network options, learning rate), the course's numbers
    "none": ({}, 0.01),
    "L2 λ=0.1": ({"l2": 0.1}, 0.01),
    "L1 λ=0.005 (η=0.1)": ({"l1": 0.005}, 0.1),
    "dropout 0.15": ({"dropout": 0.15}, 0.01),
    "dropout 0.08 + L1 0.004": ({"dropout": 0.08, "l1": 0.004}, 0.01),
}

curves = {}
for name, (options, learning_rate) in SETTINGS.items():
    rng = np.random.default_rng(args.seed)  # the same initial weights and mini-batches for every setting
    network = nnscratch.Network([784, 100, 100, 100, 100, 100, 100, 10], hidden="relu", output="softmax",
                                seed=rng, **options)
    trainer = nnscratch.Trainer(network, optimizer="sgd", lr=learning_rate)
    accuracies_train, accuracies_test = [], []
    for i in range(iters_num):
        batch_mask = rng.choice(len(x_train), batch_size)
        trainer.step(x_train[batch_mask], d_train[batch_mask])  # the gradient includes λ·W or λ·sign(W)
        if (i + 1) % plot_interval == 0:  # evaluation mode: no units dropped
            accuracies_train.append(network.accuracy(x_train, d_train))
            accuracies_test.append(network.accuracy(x_test, d_test))
    curves[name] = {"train": accuracies_train, "test": accuracies_test}

step = max(args.every // plot_interval, 1)
print("正答率 (訓練 / テスト) training / test accuracy, 784-100×6-10, batch 100")
print(f"{'iteration':>9}" + "".join(f"{name:>26}" for name in SETTINGS))
for k in range(step - 1, iters_num // plot_interval, step):
    row = "".join(f"{c['train'][k]:>17.3f} / {c['test'][k]:.3f}" for c in curves.values())
    print(f"{(k + 1) * plot_interval:9d}{row}")

print()
for name, c in curves.items():
    print_vec(f"{name}: 訓練 − テスト (gap)", round(c["train"][-1] - c["test"][-1], 3))

if args.plot:
    out = Path(args.plot)
    out.mkdir(parents=True, exist_ok=True)
    titles = {"ja": "過学習: 訓練データ 300 枚, 784-100×6-10, SGD, ミニバッチ 100, mnist5k",
              "en": "over-fitting: 300 training images, 784-100×6-10, SGD, batches of 100, mnist5k"}
    for lang, title in titles.items():
        # the learning rate is ε on Japanese pages and figures (the course's symbol), η in English
        runs = {name.replace("η", "ε") if lang == "ja" else name: c for name, c in curves.items()}
        nnscratch.plot.accuracy_curves(runs, every=plot_interval, title=title, lang=lang,
                                       out=out / f"day2_overfitting.{lang}.png")
    print(f"図: {out}/day2_overfitting.{{ja,en}}.png")
