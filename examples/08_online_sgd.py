"""確率的勾配降下法 (online SGD) — learn f(x) = 3·x0 + 2·x1 with a 2-10-1 network, one sample per update.

The course's exercise: x uniform in [0, 1)², targets d = f(x), ReLU hidden layer, identity output,
learning rate 0.07, 1,000 updates, each on one randomly drawn sample (online learning, P66: a
``Trainer.step(x, d)`` per arriving record). The initial weights are N(0, 1) like the course's
``np.random.randn``. It prints the loss at the start and the end and the learned function on a few
points; ``--plot FILE`` saves the loss per update (needs matplotlib, the ``lab`` extra).

Run:  python examples/08_online_sgd.py [--quick] [--seed N] [--plot loss.png]
"""

import argparse

import numpy as np

import nnscratch
from nnscratch.lab.trace import print_vec


def f(x: np.ndarray) -> np.ndarray:
    """The function to learn (the course's サンプルとする関数)."""
    return 3 * x[..., 0] + 2 * x[..., 1]


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a smaller data set (same 1,000 updates)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--plot", metavar="FILE", help="save the loss per update to FILE (PNG or SVG)")
args = parser.parse_args()

rng = np.random.default_rng(args.seed)
data_sets_size = 10_000 if args.quick else 100_000
x_data = rng.random((data_sets_size, 2))  # ランダムな値
d_data = f(x_data)[:, None]  # 目標出力
learning_rate = 0.07
epoch = 1000  # 抽出数 (number of updates)

net = nnscratch.Network([2, 10, 1], hidden="relu", output="identity", init=1.0, seed=rng)
trainer = nnscratch.Trainer(net, optimizer="sgd", lr=learning_rate)

loss_before = net.loss(x_data, d_data)  # 学習前の誤差 over all the data
losses = []
for i in rng.choice(data_sets_size, epoch):  # データのランダム抽出
    # one sample arrives → forward, backward, update; the loss is that sample's error before the update
    losses.append(trainer.step(x_data[i], d_data[i]))

print("##### 結果表示 #####")
print_vec("誤差 (学習前, 全データ)", loss_before)
print_vec("誤差 (学習後, 全データ)", net.loss(x_data, d_data))
print_vec("誤差 (最初の100回の平均)", float(np.mean(losses[:100])))
print_vec("誤差 (最後の100回の平均)", float(np.mean(losses[-100:])))
x_check = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.9]])
print_vec("確認の入力", x_check)
print_vec("正解 3·x0 + 2·x1", f(x_check))
print_vec("ネットワークの予測", net.predict(x_check)[:, 0])

if args.plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(epoch), losses, ".", markersize=2)
    ax.set_xlabel("update")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(args.plot)
    print("saved", args.plot)
