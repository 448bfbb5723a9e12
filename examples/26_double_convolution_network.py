"""2_7 double convolution network — the course's DoubleConvNet on MNIST, and its "[try]" variant.

DoubleConvNet: [conv → ReLU → max pool 2] × 2 → Affine 100 → ReLU → Affine 10 → softmax, with 10
filters 7×7 and 20 filters 3×3 (padding 1, stride 1: 28 → 24 → 12 → 12 → 6), the course's weights
0.01·N(0, 1), Adam, a random mini-batch of 100 each iteration, 100 iterations (the course's setting,
"時間がかかるため100に設定"; ``--iters 1000`` for its longer run); every 10 iterations the accuracy on
the training and test images (正答率).

"[try] DoubleConvNetをアレンジしよう": ``--try`` trains the network with one pooling layer fewer,
conv → ReLU → conv → ReLU → pool → Affine → ReLU → Affine → softmax, built from the layers themselves.

Data: the 5,000 real MNIST images bundled offline (``datasets.load("mnist5k")``), shuffled once and
split 4,000 / 1,000 (the course cuts MNIST to 5,000 / 1,000).

Run:  python examples/26_double_convolution_network.py [--quick] [--try] [--iters N] [--seed N]
"""

import argparse

import numpy as np

import nnscratch
from nnscratch import datasets, optim, presets
from nnscratch import layers as L
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="20 iterations, accuracy on 500 images")
parser.add_argument("--try", dest="arrange", action="store_true", help="one pooling layer fewer ([try])")
parser.add_argument("--iters", type=int, default=100)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
rng = np.random.default_rng(args.seed)


def accuracy(network, x, d, batch_size=100):
    """正答率, as the course's ``accuracy``: batch by batch."""
    hits = sum(np.sum(network.predict_classes(x[i : i + batch_size]) == d[i : i + batch_size])
               for i in range(0, len(x), batch_size))
    return hits / len(x)


data = datasets.load("mnist5k")
order = np.random.default_rng(args.seed).permutation(len(data.x))
images = data.images()
x_train, d_train = images[order[:4000]], data.y[order[:4000]]
x_test, d_test = images[order[4000:]], data.y[order[4000:]]
print("データ読み込み完了")

if args.arrange:  # conv - relu - conv - relu - pool - affine - relu - affine - softmax: 28 → 24 → 24 → 12
    network = nnscratch.Sequential(
        [L.Convolution(1, 10, 7, pad=1, init=0.01), L.ReLU(), L.Convolution(10, 20, 3, pad=1, init=0.01),
         L.ReLU(), L.MaxPooling(2), L.Flatten(), L.Affine(20 * 12 * 12, 100, init=0.01), L.ReLU(),
         L.Affine(100, 10, init=0.01), L.SoftmaxCrossEntropy()],
        seed=args.seed)
else:
    network = presets.double_convnet(input_shape=(1, 28, 28), filters=(10, 20), kernels=(7, 3), pads=(1, 1),
                                     hidden=100, classes=10, init=0.01, seed=args.seed)
print(network.summary())
print()
optimizer = optim.Adam()

iters_num = 20 if args.quick else args.iters
train_size = x_train.shape[0]
batch_size = 100
plot_interval = 10
train_loss_list, accuracies_train, accuracies_test = [], [], []
n_eval = 500 if args.quick else None  # quick: the accuracy on the first 500 images of each part

for i in range(iters_num):
    batch_mask = rng.choice(train_size, batch_size)
    x_batch = x_train[batch_mask]
    d_batch = d_train[batch_mask]

    grad = network.gradient(x_batch, d_batch)
    optimizer.update(network.params, grad)
    loss = network.loss(x_batch, d_batch)
    train_loss_list.append(loss)

    if (i + 1) % plot_interval == 0:
        accr_train = accuracy(network, x_train[:n_eval], d_train[:n_eval])
        accr_test = accuracy(network, x_test[:n_eval], d_test[:n_eval])
        accuracies_train.append(accr_train)
        accuracies_test.append(accr_test)
        print(f"Generation: {i + 1}. 正答率(トレーニング) = {accr_train}")
        print(f"                : {i + 1}. 正答率(テスト) = {accr_test}")

print("##### 結果表示 #####")
print_vec("誤差 (最初の10回の平均)", np.mean(train_loss_list[:10]))
print_vec("誤差 (最後の10回の平均)", np.mean(train_loss_list[-10:]))
print_vec("正答率(トレーニング)", accuracies_train[-1])
print_vec("正答率(テスト)", accuracies_test[-1])
