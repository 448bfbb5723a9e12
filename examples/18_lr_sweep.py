"""学習率の探索 (Section 4: the learning rate) — one sweep on the regression, one on digits.

The course's question, answered by experiment: which learning rate η? Too small crawls, too large
diverges (発散), and the best lies in between — but where depends on the problem and the optimizer.

1. The course's regression f(x) = 3·x0 + 2·x1 (``linear``), a 2-10-1 tanh network, full-batch gradient
   descent: η from 0.001 to 10, 3 seeds each. Past some η the loss explodes: those trials are rows
   with status ``diverged``, not the end of the sweep.
2. digits (8×8 handwritten digits), 64-100-10 ReLU, mini-batches of 32, 20 epochs: η from 0.0001 to 3
   for plain SGD and for Adam, 2 seeds each. Adam's best η is some hundred times smaller than SGD's,
   and too large a rate need not explode: the ReLU units die and the network guesses one class
   (loss ln 10 ≈ 2.30, accuracy 10%).

It prints each sweep's ranked table (mean ± std over the seeds) and the best η; ``--plot DIR`` draws the
validation loss against η of both sweeps (``lr_sweep_regression.{ja,en}.png``,
``lr_sweep_digits.{ja,en}.png``; needs matplotlib, the ``lab`` extra). The trials run on a local
process pool; ``--cluster tcp://HOST:8786`` sends them to a Dask scheduler instead.

Run:  python examples/18_lr_sweep.py [--quick] [--plot DIR] [--workers N] [--cluster ADDRESS]
"""

import argparse
from pathlib import Path

import nnscratch


def best_lr(result) -> str:
    """The best point's η, with its optimizer when the sweep had several."""
    best = result.ranking()[0]["values"]
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs, rates and seeds (seconds)")
    parser.add_argument("--plot", metavar="DIR", help="draw the figures (ja and en) into DIR")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: cores)")
    parser.add_argument("--cluster", default=None, help="tcp://HOST:PORT of a Dask scheduler, or local:N")
    args = parser.parse_args()
    where = {"workers": args.workers, "cluster": args.cluster}

    # 1. the regression: 学習率が大きすぎると発散する
    lrs = [0.001, 0.01, 0.1, 1.0, 10.0]
    if not args.quick:
        lrs = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
    regression = nnscratch.RunSpec(data="linear", hidden_sizes=(10,), hidden="tanh", optimizer="sgd",
                                   batch_size="full", epochs=30 if args.quick else 100, test_split=0.0,
                                   val_split=0.2)
    reg = nnscratch.sweep(regression, grid={"lr": lrs}, repeats=2 if args.quick else 3, **where)
    print("##### 回帰 f(x) = 3·x0 + 2·x1, 2-10-1 tanh, full-batch SGD #####")
    print(reg.table())
    diverged = sorted({r["lr"] for r in reg.rows if r["status"] == "diverged"})
    print(f"best: {best_lr(reg)}; diverged at lr = {', '.join(f'{v:g}' for v in diverged) or 'none'}\n")

    # 2. digits: SGD and Adam want different rates
    lrs = [0.0003, 0.003, 0.03, 0.3, 3.0] if args.quick else [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03,
                                                                0.1, 0.3, 1.0, 3.0]
    digits = nnscratch.RunSpec(data="digits", epochs=4 if args.quick else 20)
    dig = nnscratch.sweep(digits, grid={"lr": lrs, "optimizer": ["sgd", "adam"]},
                          repeats=1 if args.quick else 2, **where)
    print("##### digits 64-100-10 ReLU, batch 32: SGD と Adam #####")
    print(dig.table())
    for name in ("sgd", "adam"):
        ranked = [e for e in dig.ranking() if e["values"]["optimizer"] == name]
        print(f"best for {name}: lr={ranked[0]['values']['lr']:g}")

    if args.plot:
        folder = Path(args.plot)
        for lang in ("ja", "en"):
            nnscratch.plot.sweep_scores(reg, lang=lang, out=folder / f"lr_sweep_regression.{lang}.png")
            nnscratch.plot.sweep_scores(dig, lang=lang, out=folder / f"lr_sweep_digits.{lang}.png")
        print(f"figures written to {folder}")


if __name__ == "__main__":  # the pool's workers import this file: the sweeps run only here
    main()
