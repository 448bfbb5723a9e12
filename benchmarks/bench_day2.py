"""Day 2's network against PyTorch CPU: one training epoch through ``nnscratch.train`` of a
784-256-256-10 network with batch normalisation and dropout 0.5 after each hidden layer, Adam (lr 0.001),
batch 128, float32, 20,000 MNIST-shaped rows (bench_mlp.py's data), all cores — and PyTorch 2.13 with the
same layers (Linear → BatchNorm1d → ReLU → Dropout, twice, then Linear; CrossEntropyLoss; Adam) and the
same He initialisation, on the same batch order, in one run, alternating the two.

    python benchmarks/bench_day2.py              # 5 timed epochs each after a warm-up
    python benchmarks/bench_day2.py --epochs 2   # shorter

Like bench_mlp.py it removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from its own environment
(``--env asis`` keeps them). Prints the median epoch times, the ratio (PyTorch ÷ nnscratch: above 1
means nnscratch is faster) and each side's test accuracy after the warm-up epoch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES, BATCH, LR, DROPOUT, N_TRAIN = (784, 256, 256, 10), 128, 0.001, 0.5, 20_000


class Nnscratch:
    name = "nnscratch"

    def __init__(self, x, y, seed):
        import nnscratch

        self.nnscratch, self.x, self.y = nnscratch, x, y
        self.net = nnscratch.Network(list(SIZES), hidden="relu", output="softmax", batchnorm=True,
                                     dropout=DROPOUT, dropout_mode="inverted", seed=seed)
        self.opt = nnscratch.optim.Adam(LR)
        self.rng = np.random.default_rng(seed)

    def epoch(self):
        self.nnscratch.train(self.net, self.x, self.y, optimizer=self.opt, epochs=1, batch_size=BATCH,
                             seed=self.rng)

    def accuracy(self, x, y):
        return self.net.accuracy(x, y)


class Torch:
    name = "PyTorch CPU"

    def __init__(self, x, y, seed):
        import torch

        torch.manual_seed(seed)
        nn = torch.nn
        layers = []
        for a, b in zip(SIZES[:-2], SIZES[1:-1], strict=True):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b, eps=1e-6, momentum=0.1), nn.ReLU(),
                       nn.Dropout(DROPOUT)]
        self.torch, self.model = torch, nn.Sequential(*layers, nn.Linear(SIZES[-2], SIZES[-1]))
        for m in self.model:  # nnscratch's He initialisation (PyTorch's own default learns faster here)
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=(2 / m.in_features) ** 0.5)
                nn.init.zeros_(m.bias)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.rng = np.random.default_rng(seed)

    def epoch(self):
        torch, model, opt = self.torch, self.model, self.opt
        model.train()
        perm = torch.from_numpy(self.rng.permutation(len(self.x)))
        for s in range(0, len(self.x), BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad(set_to_none=True)
            self.loss(model(self.x[idx]), self.y[idx]).backward()
            opt.step()

    def accuracy(self, x, y):
        self.model.eval()
        with self.torch.no_grad():
            pred = self.model(self.torch.from_numpy(x)).argmax(dim=1).numpy()
        return float(np.mean(pred == y))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--env", choices=("unset", "asis"), default="unset")
    a = ap.parse_args(argv)
    if a.env == "unset" and any(v in os.environ for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)  # this benchmark's own process only
    sys.path.insert(0, HERE)
    from bench_mlp import make_data

    x, y, xt, yt = make_data(N_TRAIN, 2_000)
    contenders = [Nnscratch(x, y, 0), Torch(x, y, 0)]
    times = {c.name: [] for c in contenders}
    acc = {}
    for c in contenders:  # warm-up epoch, and the accuracy after it
        c.epoch()
        acc[c.name] = c.accuracy(xt, yt)
    for _ in range(a.epochs):
        for c in contenders:
            t = time.perf_counter()
            c.epoch()
            times[c.name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"784-256-256-10, batch norm + dropout {DROPOUT}, Adam lr {LR}, batch {BATCH}, {N_TRAIN:,} rows, "
          f"float32, {os.cpu_count()} cores; median of {a.epochs} alternated epochs after a warm-up")
    print("| contender | epoch (s) | test accuracy after 1 epoch |\n|---|---:|---:|")
    for k in med:
        print(f"| {k} | {med[k]:.3f} | {100 * acc[k]:.2f}% |")
    ratio = med["PyTorch CPU"] / med["nnscratch"]
    print(f"\nPyTorch ÷ nnscratch: {ratio:.2f}× (above 1: nnscratch is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
