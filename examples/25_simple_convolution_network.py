"""2_6 simple convolution network — im2col and col2im by hand, then SimpleConvNet on MNIST.

The course's notebook in order:

1. **im2col の処理確認**: a (2, 1, 4, 4) input of whole numbers 0–99, a 3×3 filter, stride 1, padding 0:
   the input and ``col`` (8 rows = 2 images × 2 × 2 filter positions, 9 columns = 1 channel × 3 × 3).
   The "[try]" cell: ``col.T`` — each column is then one window; and a stride or padding changed
   (``--stride``, ``--pad``).
2. **col2im の処理確認**: ``col2im(col)`` gives back each pixel times the number of windows that hold it
   (col2im adds, it is the gradient's way back, not an inverse).
3. **SimpleConvNet** (conv 30 × 5 × 5 → ReLU → max pool 2 → Affine 100 → ReLU → Affine 10 → softmax),
   the course's weights 0.01·N(0, 1) (``init=0.01``), Adam, a random mini-batch of 100 each iteration,
   1,000 iterations; every 10 iterations the accuracy on the training and test images (正答率).

The course cuts MNIST to 5,000 training and 1,000 test images; here the 5,000 real MNIST images bundled
offline (``datasets.load("mnist5k")``) are shuffled once and split 4,000 / 1,000.

Run:  python examples/25_simple_convolution_network.py [--quick] [--seed N] [--stride S] [--pad P]
"""

import argparse

import numpy as np

from nnscratch import datasets, optim, presets
from nnscratch.functions import col2im, im2col
from nnscratch.lab.trace import print_vec

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="30 iterations, accuracy on 500 images")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--stride", type=int, default=1, help="the im2col check's stride ([try])")
parser.add_argument("--pad", type=int, default=0, help="the im2col check's padding ([try])")
args = parser.parse_args()
rng = np.random.default_rng(args.seed)

# ---------------------------------------------------------------- im2col の処理確認
input_data = rng.random((2, 1, 4, 4)) * 100 // 1  # number, channel, height, width を表す
print("========== input_data ===========\n", input_data)
print("==============================")
filter_h = 3
filter_w = 3
stride = args.stride
pad = args.pad
col = im2col(input_data, filter_h, filter_w, stride=stride, pad=pad)
print("============= col ==============\n", col)
print("==============================")
print("============= col.T ([try] 転置: 1列 = 1つの窓) ==============\n", col.T)
print("==============================")

# ---------------------------------------------------------------- col2im の処理確認
img = col2im(col, input_data.shape, filter_h, filter_w, stride=stride, pad=pad)
print("============= col2im(col) ==============\n", img)
print("==============================")
windows = col2im(np.ones_like(col), input_data.shape, filter_h, filter_w, stride, pad)
print_vec("各画素を含む窓の数 (windows holding each pixel)", windows[0, 0])
print_vec("col2im(col) = input_data × 窓の数", np.array_equal(img, input_data * windows))


# ---------------------------------------------------------------- SimpleConvNet
def accuracy(network, x, d, batch_size=100):
    """正答率, as the course's ``accuracy``: batch by batch (a convolution never sees all images at once)."""
    hits = sum(np.sum(network.predict_classes(x[i : i + batch_size]) == d[i : i + batch_size])
               for i in range(0, len(x), batch_size))
    return hits / len(x)


data = datasets.load("mnist5k")
order = np.random.default_rng(args.seed).permutation(len(data.x))
images = data.images()
x_train, d_train = images[order[:4000]], data.y[order[:4000]]
x_test, d_test = images[order[4000:]], data.y[order[4000:]]
print("データ読み込み完了")
print("データ: mnist5k", x_train.shape, x_test.shape)

network = presets.simple_convnet(input_shape=(1, 28, 28), filters=30, kernel=5, pad=0, stride=1,
                                 hidden=100, classes=10, init=0.01, seed=args.seed)
optimizer = optim.Adam()

iters_num = 30 if args.quick else 1000
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
