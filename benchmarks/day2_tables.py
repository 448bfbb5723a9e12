"""The course's Day 2, measured: how much regularisation narrows the over-fitting gap, and how much
sooner batch normalisation reaches 90 % — the tables of the tutorial's Day 2 section.

    python benchmarks/day2_tables.py                  # both tables, 5 seeds (a few minutes on 2 cores)
    python benchmarks/day2_tables.py --seeds 3 --json benchmarks/results/day2_tables.json
    python benchmarks/day2_tables.py --quick          # seconds: 2 seeds, short runs (a smoke test)

Data: the 5,000 real MNIST images of ``datasets.load("mnist5k")`` (sorted by class), shuffled once with
seed 0. Each seed s draws its own initial weights, mini-batches and dropout masks from
``numpy.random.default_rng(s)``; every setting sees the same ones for a given seed.

1. **過学習** (the course's 2_5_overfiting): the first 300 images to learn from, the next 1,000 to test
   on; MultiLayerNet 784-100×6-10 (ReLU, He), SGD η = 0.01, mini-batches of 100 drawn with replacement
   (the course's ``np.random.choice``), 1,000 iterations (and 3,000). The gap is training accuracy
   (all 300) minus test accuracy at the end, in evaluation mode. Settings: none; L2 λ = 0.1 (the
   course's weight_decay_lambda); dropout 0.15 (the course's) and 0.2 (『ゼロから作る』 6.4.3's).
2. **バッチ正規化** (2_3_batch_normalization): 4,000 images to learn from, 1,000 to validate on;
   784-40-20-10, sigmoid with Xavier and ReLU with He initial weights, SGD η = 0.01 (2_3's) and 0.1
   (2_2's), shuffled mini-batches of 100 (40 per epoch); the first epoch whose validation accuracy
   reaches 90 %, up to ``--max-epochs`` (a run that never does counts as "> max").
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import nnscratch
from nnscratch import datasets
from nnscratch.callbacks import Callback


def overfitting_gap(x_tr, d_tr, x_te, d_te, options: dict, seed: int, iters: list[int]) -> dict[int, float]:
    """train − test accuracy after each count in ``iters`` of the course's loop (one run, one seed)."""
    rng = np.random.default_rng(seed)
    net = nnscratch.Network([784] + [100] * 6 + [10], hidden="relu", output="softmax", seed=rng, **options)
    trainer = nnscratch.Trainer(net, optimizer="sgd", lr=0.01)
    gaps = {}
    for i in range(1, max(iters) + 1):
        mask = rng.choice(len(x_tr), 100)
        trainer.step(x_tr[mask], d_tr[mask])
        if i in iters:
            gaps[i] = net.accuracy(x_tr, d_tr) - net.accuracy(x_te, d_te)
    return gaps


def epochs_to(x_tr, d_tr, x_va, d_va, hidden: str, batchnorm: bool, lr: float, seed: int, target: float,
              max_epochs: int) -> int | None:
    """The first epoch whose validation accuracy reaches ``target`` (None: not within ``max_epochs``)."""
    init = "xavier" if hidden == "sigmoid" else "he"
    net = nnscratch.Network([784, 40, 20, 10], hidden=hidden, output="softmax", init=init,
                            batchnorm=batchnorm, seed=seed)

    class StopAtTarget(Callback):  # end the run once the target is met (the rest would be wasted time)
        def on_epoch_end(self, epoch, logs, trainer):
            if logs["val_accuracy"] >= target:
                trainer.stop_training = True

    history = nnscratch.train(net, x_tr, d_tr, optimizer="sgd", lr=lr, epochs=max_epochs, batch_size=100,
                              seed=seed, validation_data=(x_va, d_va), callbacks=[StopAtTarget()])
    hits = [e for e, a in enumerate(history.val_accuracy, start=1) if a >= target]
    return hits[0] if hits else None


def mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="2 seeds, 100 iterations, 3 epochs (smoke test)")
    parser.add_argument("--json", metavar="FILE", help="also write every number to FILE")
    args = parser.parse_args(argv)
    seeds = list(range(2 if args.quick else args.seeds))
    iters = [100] if args.quick else [1000, 3000]
    max_epochs = 3 if args.quick else args.max_epochs

    data = datasets.load("mnist5k", shuffle=True, seed=0)
    x, d = data.x, data.y
    result: dict = {"seeds": seeds, "overfitting": {}, "batchnorm": {}}

    print(f"## 過学習: train − test accuracy gap (300 training images, 1,000 test; {len(seeds)} seeds)\n")
    settings = {"none": {}, "L2 λ=0.1": {"l2": 0.1}, "dropout 0.15": {"dropout": 0.15},
                "dropout 0.2": {"dropout": 0.2}}
    gaps: dict[str, dict[int, list[float]]] = {}
    for name, options in settings.items():
        t0 = time.perf_counter()
        runs = [overfitting_gap(x[:300], d[:300], x[300:1300], d[300:1300], options, s, iters) for s in seeds]
        gaps[name] = {n: [r[n] for r in runs] for n in iters}
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    columns = " | ".join(f"gap after {n:,} iterations" for n in iters)
    header = f"| setting | {columns} | narrower than none by |"
    print(header, flush=True)
    print("|---" * (len(iters) + 2) + "|")
    for name in settings:
        cells = " | ".join(mean_std(gaps[name][n]) for n in iters)
        less = " / ".join(f"{100 * (np.mean(gaps['none'][n]) - np.mean(gaps[name][n])):+.1f}" for n in iters)
        print(f"| {name} | {cells} | {'—' if name == 'none' else less + ' points'} |")
    result["overfitting"] = {name: {str(n): v for n, v in g.items()} for name, g in gaps.items()}

    print(f"\n## バッチ正規化: epochs to 90 % validation accuracy (4,000 / 1,000 images; {len(seeds)} seeds; "
          f"up to {max_epochs} epochs)\n")
    print("| network | SGD η | without batch norm | with batch norm | per seed (without → with) |")
    print("|---|---|---|---|---|", flush=True)
    for hidden in ("sigmoid", "relu"):
        for lr in (0.01, 0.1):
            row = {}
            for batchnorm in (False, True):
                t0 = time.perf_counter()
                row[batchnorm] = [epochs_to(x[:4000], d[:4000], x[4000:], d[4000:], hidden, batchnorm, lr, s,
                                            0.9, max_epochs) for s in seeds]
                print(f"  {hidden} lr={lr} bn={batchnorm}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)

            def cell(values: list[int | None]) -> str:
                reached = [v for v in values if v is not None]
                if not reached:
                    return f"> {max_epochs}"
                text = f"{np.mean(reached):.1f} ± {np.std(reached):.1f}"
                missing = len(values) - len(reached)
                return text + (f" ({missing} of {len(values)} > {max_epochs})" if missing else "")

            per_seed = ", ".join(f"{a if a else '>' + str(max_epochs)} → {b if b else '>' + str(max_epochs)}"
                                 for a, b in zip(row[False], row[True], strict=True))
            init = "Xavier" if hidden == "sigmoid" else "He"
            print(f"| {hidden} ({init}) 784-40-20-10 | {lr} | {cell(row[False])} | {cell(row[True])} "
                  f"| {per_seed} |", flush=True)
            result["batchnorm"][f"{hidden} lr={lr}"] = {"without": row[False], "with": row[True]}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
