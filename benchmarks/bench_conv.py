"""SimpleConvNet (or DeepConvNet) on real MNIST images: the test accuracy nnscratch reaches (training
through its convolution twin, ``nnscratch._accel``), its epoch time against PyTorch CPU training the
same network, and the peak memory.

    python benchmarks/bench_conv.py                # 10 epochs, PyTorch alternated when importable
    python benchmarks/bench_conv.py --no-torch     # nnscratch alone
    python benchmarks/bench_conv.py --quick        # seconds: what tests/test_benchmark_smoke.py runs
    python benchmarks/bench_conv.py --book BOOK    # also 『ゼロから作る』's own SimpleConvNet code
    python benchmarks/bench_conv.py --net deep     # DeepConvNet (book ch. 8): 3 epochs of 1,000 images
    NNSCRATCH_ACCEL=0 python benchmarks/bench_conv.py   # the readable layers instead of the twin

Run it with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv.py …``: those
variables, when a shell sets them, change OpenBLAS's kernels and blocking for NumPy and PyTorch alike
and make the run unlike a user's.

``--book BOOK`` takes a clone of the book's code (``git clone
https://github.com/oreilly-japan/deep-learning-from-scratch BOOK``; nothing of it is in this repository) and
times its ``ch07/simple_convnet.py`` SimpleConvNet with its own ``common/optimizer.Adam`` on the same
batches, from the same weights, alternated with the others.

What it measures:

- data: ``nnscratch.datasets.load("mnist5k")`` (5,000 real MNIST images, offline), pixels in [0, 1] as
  (N, 1, 28, 28) images, shuffled once (``--seed``) and split 4,000 train / 1,000 test;
- network: ``presets.simple_convnet()`` — conv 30 × 5 × 5 → ReLU → max pool 2 → Affine 100 → ReLU →
  Affine 10 → softmax + cross entropy, He initialisation (the preset's default; the book's 0.01 is
  ``--init 0.01``), float32; or with ``--net deep`` ``presets.deep_convnet()`` — six 3 × 3 convolutions
  (16, 16, 32, 32, 64, 64 filters), three max poolings, Affine 50, dropout 0.5 (the course's form: the
  PyTorch side gets the same form as a small module), Affine 10;
- training: Adam (lr 0.001), batch 100, ``--epochs`` epochs (10), one ``nnscratch.train(…, epochs=1)``
  call per epoch with one Adam object that keeps its moments; the bar is ≥ 93.5 % test accuracy;
- PyTorch CPU (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.Linear``, ``optim.Adam``; built layer by layer
  from the nnscratch stack) starts from the same weights and sees the same batches in the same order
  (each epoch's permutation drawn from the same seed as nnscratch's), so the two accuracies should agree
  to float rounding (with dropout, up to its different masks). The two alternate epoch by
  epoch (who goes first alternates too); the ratio is PyTorch's median epoch ÷ nnscratch's (above 1:
  nnscratch is faster). Both use ``--threads`` BLAS/OpenMP threads (2);
- memory: the peak resident set (VmHWM on Linux, ru_maxrss elsewhere) of a fresh process that loads
  the data and trains one epoch with nnscratch alone (no PyTorch imported), and of this whole run.

Compare times within one run only: other processes on a shared machine change them from run to run
(the report gives the load average before and after).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import nnscratch
from nnscratch import datasets, presets

ACCURACY_BAR = 0.935
RATIO_BAR, RATIO_AIM = 0.8, 1.2
LR, BATCH = 0.001, 100


def load(seed: int, n_train: int = 4000, n_test: int = 1000):
    """mnist5k as images in [0, 1], shuffled once and split."""
    data = datasets.load("mnist5k")
    x = data.images().astype(np.float32)
    x = x / x.max() if x.max() > 1 else x
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[:n_train], order[4000 : 4000 + n_test]  # the test part is always the last 1,000
    return x[train], data.y[train], x[test], data.y[test]


def limit_threads(threads: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the *_NUM_THREADS variables set in main() then apply
        return
    threadpool_limits(limits=threads)


def make_net(kind: str, seed: int, init: str | float = "he"):
    if kind == "deep":
        return presets.deep_convnet(seed=seed)
    return presets.simple_convnet(seed=seed, init=init)


class Ours:
    name = "nnscratch"

    def __init__(self, seed: int, init: str | float = "he", kind: str = "simple") -> None:
        self.net = make_net(kind, seed, init)
        self.adam = nnscratch.optim.Adam(lr=LR)

    def epoch(self, x, d, epoch_seed: int) -> None:
        nnscratch.train(self.net, x, d, optimizer=self.adam, epochs=1, batch_size=BATCH, seed=epoch_seed)

    def accuracy(self, x, d) -> float:
        return self.net.accuracy(x, d)


def torch_layers(net, nn, torch) -> list:
    """The same stack in PyTorch, from the same weights (Linear's as Wᵀ); dropout in the course's form."""

    class CourseDropout(nn.Module):  # training x ⊙ M, evaluation x·(1 − p), as nnscratch's default
        def __init__(self, p: float) -> None:
            super().__init__()
            self.p = p

        def forward(self, x):
            if self.training:
                return x * (torch.rand_like(x) >= self.p)
            return x * (1 - self.p)

    from nnscratch import layers as L

    out = []
    with torch.no_grad():
        for layer in net.layers:
            if type(layer) is L.Convolution:
                m = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel, layer.stride, layer.pad)
                m.weight.copy_(torch.from_numpy(layer.params["W"]))
            elif type(layer) is L.Affine:
                m = nn.Linear(*layer.params["W"].shape)
                m.weight.copy_(torch.from_numpy(layer.params["W"].T.copy()))
            elif type(layer) is L.MaxPooling:
                m = nn.MaxPool2d(layer.pool, layer.stride, layer.pad)
            else:
                m = {L.ReLU: nn.ReLU, L.Flatten: nn.Flatten}.get(type(layer))
                if type(layer) is L.Dropout:
                    m = CourseDropout(layer.p)
                elif m is not None:
                    m = m()
                elif type(layer) is L.SoftmaxCrossEntropy:
                    continue  # the loss: nn.CrossEntropyLoss
                else:
                    raise TypeError(f"no PyTorch layer for {type(layer).__name__}")
            if "b" in layer.params:
                m.bias.copy_(torch.from_numpy(layer.params["b"]))
            out.append(m)
    return out


class Torch:
    name = "PyTorch"

    def __init__(self, net, threads: int) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(threads)
        self.torch = torch
        self.model = nn.Sequential(*torch_layers(net, nn, torch))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, eps=1e-8)
        self.loss = nn.CrossEntropyLoss()

    def epoch(self, x, d, epoch_seed: int) -> None:
        torch = self.torch
        xt, dt = torch.from_numpy(x), torch.from_numpy(d.astype(np.int64))
        order = torch.from_numpy(np.random.default_rng(epoch_seed).permutation(len(x)))  # nnscratch's order
        for s in range(0, len(x), BATCH):
            idx = order[s : s + BATCH]
            self.opt.zero_grad()
            self.loss(self.model(xt[idx]), dt[idx]).backward()
            self.opt.step()

    def accuracy(self, x, d) -> float:
        self.model.eval()
        with self.torch.no_grad():
            y = self.model(self.torch.from_numpy(x)).argmax(dim=1).numpy()
        self.model.train()
        return float(np.mean(y == d))


class Book:
    """『ゼロから作る』's own SimpleConvNet (ch07) and Adam (common/optimizer.py), imported from a clone."""

    name = "the book's code"

    def __init__(self, params: dict, book: str) -> None:
        sys.path.insert(0, os.path.abspath(book))
        from ch07.simple_convnet import SimpleConvNet  # noqa: PLC0415 - the clone given on the command line
        from common.optimizer import Adam

        conv = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
        self.net = SimpleConvNet(input_dim=(1, 28, 28), conv_param=conv, hidden_size=100, output_size=10)
        for key, value in params.items():  # the same start; its layers hold the params dict's arrays
            self.net.params[key][...] = value
        self.adam = Adam(lr=LR)

    def epoch(self, x, d, epoch_seed: int) -> None:
        order = np.random.default_rng(epoch_seed).permutation(len(x))  # nnscratch's order
        for s in range(0, len(x), BATCH):
            idx = order[s : s + BATCH]
            self.adam.update(self.net.params, self.net.gradient(x[idx], d[idx]))

    def accuracy(self, x, d) -> float:
        return float(self.net.accuracy(x, d))


def peak_mb() -> float:
    """This process's peak resident set in MB: VmHWM on Linux (its ru_maxrss keeps the parent's peak
    across fork and exec, so a fresh child would report the benchmark's), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss * (1 if sys.platform == "darwin" else 1024) / 1e6


def memory_probe(seed: int, kind: str, n_train: int) -> float:
    """Peak MB of a fresh process: the data and one nnscratch epoch, no PyTorch."""
    argv = ["bench_conv.py", "--probe", "--net", kind, "--train-images", str(n_train)]
    code = (f"import sys; sys.argv = {argv!r}; "
            f"exec(open({os.path.abspath(__file__)!r}, encoding='utf-8').read())")
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(epochs: int, seed: int, threads: int, use_torch: bool, n_train: int, n_test: int,
        init: str | float = "he", book: str | None = None, kind: str = "simple") -> dict:
    x, d, xt, dt = load(seed, n_train, n_test)
    contenders = [Ours(seed, init, kind)]
    if book is not None:
        contenders.append(Book(contenders[0].net.params, book))
    if use_torch:
        try:
            contenders.append(Torch(contenders[0].net, threads))
        except ImportError as exc:
            print(f"PyTorch is not importable ({exc}): nnscratch alone", file=sys.stderr)
    times = {c.name: [] for c in contenders}
    accs = {c.name: [] for c in contenders}
    for epoch in range(1, epochs + 1):
        order = contenders if epoch % 2 else contenders[::-1]  # who goes first alternates
        for c in order:
            t0 = time.perf_counter()
            c.epoch(x, d, seed * 1000 + epoch)
            times[c.name].append(time.perf_counter() - t0)
            accs[c.name].append(c.accuracy(xt, dt))
        cells = "  ".join(f"{c.name} {times[c.name][-1]:.2f} s, test {accs[c.name][-1]:.2%}"
                          for c in contenders)
        print(f"epoch {epoch:2d}: {cells}", file=sys.stderr)
    return {"times": times, "accs": accs}


def report(result: dict, args, memory: float | None) -> int:
    times, accs = result["times"], result["accs"]
    name = "DeepConvNet" if args.net == "deep" else f"SimpleConvNet (init {args.init})"
    twin = "the twin" if make_net(args.net, 0).twin() is not None else "readable layers"
    print(f"{name}, nnscratch through {twin}, on mnist5k ({args.n_train:,} train / {args.n_test:,} test), "
          f"Adam lr {LR}, batch "
          f"{BATCH}, {args.epochs} epochs, {args.threads} threads; NumPy {np.__version__}; load average "
          f"{args.load_before} before, {' '.join(f'{v:.1f}' for v in os.getloadavg())} after\n")
    print("| contender | epoch (s, median) | epoch (s, min) | test accuracy |\n|---|---:|---:|---:|")
    for name in times:
        print(f"| {name} | {statistics.median(times[name]):.3f} | {min(times[name]):.3f} | "
              f"{accs[name][-1]:.2%} |")
    if args.net == "deep":  # the bars are SimpleConvNet's: DeepConvNet's few epochs on 1,000 images have none
        print(f"\nnnscratch test accuracy {accs['nnscratch'][-1]:.2%} (no bar: a short DeepConvNet run)")
    else:
        ok = accs["nnscratch"][-1] >= ACCURACY_BAR
        print(f"\nnnscratch test accuracy {accs['nnscratch'][-1]:.2%} (bar {ACCURACY_BAR:.1%}): "
              f"{'ok' if ok else 'BELOW THE BAR'}")
    if "PyTorch" in times:
        ratio = statistics.median(times["PyTorch"]) / statistics.median(times["nnscratch"])
        bars = "measured, no bar" if args.net == "deep" else f"bar {RATIO_BAR}×, aim {RATIO_AIM}×"
        print(f"speed ratio PyTorch ÷ nnscratch (median epochs): {ratio:.2f}× ({bars})")
    if Book.name in times:
        ratio = statistics.median(times[Book.name]) / statistics.median(times["nnscratch"])
        print(f"speed ratio the book's code ÷ nnscratch (median epochs): {ratio:.2f}× (bar 5×)")
    if memory is not None:
        print(f"peak memory, data + one nnscratch epoch in a fresh process: {memory:.0f} MB")
    print(f"peak memory of this run (both contenders): {peak_mb():.0f} MB")
    return 0 if ok or args.quick else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--net", choices=("simple", "deep"), default="simple",
                    help="SimpleConvNet (ch. 7) or DeepConvNet (ch. 8)")
    ap.add_argument("--epochs", type=int, help="10 (simple), 3 (deep)")
    ap.add_argument("--train-images", type=int,
                    help="how many of the 4,000 training images: all (simple), 1,000 (deep)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", default="he", help="the weights' initial scale: he, xavier or a number (0.01)")
    ap.add_argument("--no-torch", action="store_true", help="nnscratch alone")
    ap.add_argument("--quick", action="store_true", help="1 epoch on 500 images (a smoke test)")
    ap.add_argument("--book", help="a clone of the book's code (oreilly-japan/deep-learning-from-scratch)")
    ap.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.book and args.net == "deep":
        ap.error("--book: the book's code is timed for SimpleConvNet only (--net simple)")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    limit_threads(args.threads)
    args.n_train, args.n_test = (500, 200) if args.quick else (4000, 1000)
    if args.train_images is not None or (args.net == "deep" and not args.quick):
        args.n_train = min(4000, args.train_images or 1000)
    if args.epochs is None:
        args.epochs = 3 if args.net == "deep" else 10
    if args.quick:
        args.epochs = 1
    if args.probe:
        x, d, _, _ = load(args.seed, args.n_train)
        Ours(args.seed, kind=args.net).epoch(x, d, 1)
        print(peak_mb())
        return 0
    args.load_before = " ".join(f"{v:.1f}" for v in os.getloadavg())
    init = args.init if args.init in ("he", "xavier") else float(args.init)
    result = run(args.epochs, args.seed, args.threads, not args.no_torch, args.n_train, args.n_test, init,
                 args.book, args.net)
    memory = None if args.quick else memory_probe(args.seed, args.net, args.n_train)
    return report(result, args, memory)


if __name__ == "__main__":
    sys.exit(main())
