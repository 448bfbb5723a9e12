"""ミニバッチ勾配降下法 on MNIST — the course's 784-40-10 network, batch 100, learning rate 0.1.

Weights 0.01·N(0, 1) (``init=0.01``), biases 0, ReLU, softmax + cross entropy, 1,000 iterations, each
on a random mini-batch of 100 images; every 10 iterations it prints the accuracy on that mini-batch
(トレーニング, as the course does) and on the test set (テスト). The course reaches about 0.92.

MNIST is read from the cache (see ``nnscratch.datasets.mnist``); ``--download`` fetches it once.
When it is not cached (or the download fails: the note then says why, and where to put the files),
the same network learns scikit-learn's bundled 8×8 digits instead (64-40-10, pixels scaled to [0, 1],
20 % held out as the test set), and a note says so.

Run:  python examples/09_mnist_minibatch.py [--download] [--quick] [--seed N]
"""

import argparse

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--download", action="store_true", help="download MNIST when it is not cached")
parser.add_argument("--quick", action="store_true", help="200 iterations instead of 1,000")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

try:
    mnist = datasets.mnist(download=args.download)
    x_train, d_train = mnist.x, mnist.y
    x_test, d_test = mnist.test.x, mnist.test.y
    print("データ: MNIST", x_train.shape, x_test.shape)
except OSError as error:
    digits = datasets.digits()
    x_train, x_test, d_train, d_test = datasets.train_test_split(
        digits.x / 16.0, digits.y, test_size=0.2, seed=args.seed
    )
    if args.download:  # asked for, and it failed: say why and what to do, not "add --download"
        print("注意: MNIST をダウンロードできませんでした (note: the MNIST download failed):")
        print(f"      {error}")
    else:
        print("注意: MNIST がキャッシュにありません (note: MNIST is not cached).")
    print("      代わりに scikit-learn 同梱の digits (8×8 手書き数字) で学習します。")
    if not args.download:
        print("      MNIST で動かすには --download を付けてください (run with --download for MNIST).")
    print("データ: digits", x_train.shape, x_test.shape)

iters_num = 200 if args.quick else 1000
batch_size = 100
learning_rate = 0.1
plot_interval = 10

rng = np.random.default_rng(args.seed)
net = nnscratch.Network([x_train.shape[1], 40, 10], hidden="relu", output="softmax", init=0.01, seed=rng)
trainer = nnscratch.Trainer(net, optimizer="sgd", lr=learning_rate)
print("データ読み込み完了")

accuracies_train, accuracies_test = [], []
for i in range(iters_num):
    batch_mask = rng.choice(len(x_train), batch_size)  # ランダムにバッチを取得
    x_batch, d_batch = x_train[batch_mask], d_train[batch_mask]
    trainer.step(x_batch, d_batch)  # forward, backward, network[key] -= learning_rate * grad[key]
    if (i + 1) % plot_interval == 0:
        accr_test = net.accuracy(x_test, d_test)
        accr_train = net.accuracy(x_batch, d_batch)
        accuracies_test.append(accr_test)
        accuracies_train.append(accr_train)
        print(f"Generation: {i + 1}. 正答率(トレーニング) = {accr_train}")
        print(f"                : {i + 1}. 正答率(テスト) = {accr_test}")

print("##### 結果表示 #####")
print_vec("正答率(トレーニング, 全データ)", net.accuracy(x_train, d_train))
print_vec("正答率(テスト)", net.accuracy(x_test, d_test))
