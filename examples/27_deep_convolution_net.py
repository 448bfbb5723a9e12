"""2_8 deep convolution net — 『ゼロから作る』's DeepConvNet (ch08) on MNIST, the course's last CNN.

DeepConvNet: [conv → ReLU → conv → ReLU → max pool 2] × 3 → Affine 50 → ReLU → Dropout 0.5 →
Affine 10 → Dropout 0.5 → softmax; six 3×3 convolutions (16, 16, 32, 32, 64, 64 filters, padding 1
except the fourth's 2: 28 → 14 → 16 → 8 → 4), He initialisation (Heの初期値) throughout, dropout in
the course's form (scaled by 1 − p at test time). Adam (lr 0.001), a random mini-batch of 100 each
iteration; every ``--interval`` iterations the accuracy (正答率) on 1,000 training images and the 1,000
test images, as the book's Trainer evaluates (``evaluate_sample_num_per_epoch=1000``).

The book trains it 20 epochs on all of MNIST to about 99 %; this is a short run on the 5,000 bundled
images (``datasets.load("mnist5k")``, 4,000 / 1,000) — ``--iters 2000`` goes further. The numbers the
network passes through are the summary's; the shapes after each layer are printed first.

Run:  python examples/27_deep_convolution_net.py [--quick] [--iters N] [--seed N]
"""

import argparse

import numpy as np

from nnscratch import datasets, optim, presets
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="6 iterations, accuracy on 100 images")
parser.add_argument("--iters", type=int, default=300)
parser.add_argument("--interval", type=int, default=50)
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

network = presets.deep_convnet(input_shape=(1, 28, 28), hidden=50, classes=10, dropout=0.5, seed=args.seed)
print(network.summary())
print()
z = x_train[:1]
for layer in network.layers[:-1]:  # what each layer makes of one image
    z = layer.forward(z, train=False)
    print(f"{type(layer).__name__:>12}: {z.shape[1:]}")
print()
optimizer = optim.Adam(lr=0.001)

iters_num = 6 if args.quick else args.iters
interval = 3 if args.quick else args.interval
n_eval = 100 if args.quick else 1000  # the book's Trainer: evaluate_sample_num_per_epoch=1000
train_size = x_train.shape[0]
batch_size = 100
train_loss_list, accuracies_train, accuracies_test = [], [], []

for i in range(iters_num):
    batch_mask = rng.choice(train_size, batch_size)
    x_batch = x_train[batch_mask]
    d_batch = d_train[batch_mask]

    grad = network.gradient(x_batch, d_batch)  # training mode: dropout drops
    optimizer.update(network.params, grad)
    loss = network.loss(x_batch, d_batch)  # evaluation mode
    train_loss_list.append(loss)

    if (i + 1) % interval == 0:
        accr_train = accuracy(network, x_train[:n_eval], d_train[:n_eval])
        accr_test = accuracy(network, x_test[:n_eval], d_test[:n_eval])
        accuracies_train.append(accr_train)
        accuracies_test.append(accr_test)
        print(f"Generation: {i + 1}. 正答率(トレーニング) = {accr_train}")
        print(f"                : {i + 1}. 正答率(テスト) = {accr_test}")

print("##### 結果表示 #####")
print_vec("誤差 (最初の3回の平均)", np.mean(train_loss_list[:3]))
print_vec("誤差 (最後の3回の平均)", np.mean(train_loss_list[-3:]))
print_vec("正答率(トレーニング)", accuracies_train[-1])
print_vec("正答率(テスト)", accuracies_test[-1])
