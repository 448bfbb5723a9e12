"""Where a second BLAS thread starts to pay: one training step's products (x·W, xᵀ·δ, δ·Wᵀ) of one
dense layer, timed with 1 and with all cores' threads, alternating, over a range of sizes — on an idle
machine and with the other cores kept busy (the case of a playground or a sweep beside other work).

    python benchmarks/bench_threads.py            # both conditions, a table, the crossover
    python benchmarks/bench_threads.py --quick    # fewer sizes and repeats (the smoke test)
    python benchmarks/bench_threads.py --vae      # the VAE on the digits, cores busy: as run vs 1 thread

``--vae`` checks the promise for small networks on a busy machine: the VAE of ``examples/20_vae_digits.py``
(64-256-128-2, batch 64, Adam) trains epochs on the 8×8 digits with every other core kept busy, as
``VAE.fit`` runs it (all cores' threads allowed; ``threads.fitting`` chooses) and with one BLAS thread set
for the whole process, alternating; the ratio should be about 1.

The crossover it finds is :data:`nnscratch._accel.threads.SINGLE_THREAD_FLOPS`'s justification: below
it, ``nnscratch.train`` runs the twin's products on one thread. Like bench_mlp.py, it removes
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from its own environment (``--env asis`` keeps them).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time

import numpy as np

SIZES = [(32, 2, 8), (32, 64, 32), (64, 64, 64), (100, 48, 100), (100, 64, 100), (64, 64, 256),
         (64, 256, 128), (100, 784, 100), (128, 784, 256), (256, 1024, 1024)]
QUICK = [(32, 64, 32), (128, 784, 256)]


def _busy(stop) -> None:  # a core kept busy by plain Python
    while not stop.is_set():
        sum(range(10_000))


def step_time(n: int, n_in: int, n_out: int, repeats: int) -> float:
    """Median seconds of one layer's three products of a training step."""
    rng = np.random.default_rng(0)
    x = rng.random((n, n_in), dtype=np.float32)
    W = rng.random((n_in, n_out), dtype=np.float32)
    u = np.empty((n, n_out), np.float32)
    dW = np.empty_like(W)
    dx = np.empty_like(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(10):
            np.matmul(x, W, out=u)
            np.matmul(x.T, u, out=dW)
            np.matmul(u, W.T, out=dx)
        times.append((time.perf_counter() - t) / 10)
    return statistics.median(times)


def measure(sizes, repeats: int, busy: bool) -> list[dict]:
    from nnscratch._accel.threads import blas_threads, set_blas_threads

    cores = os.cpu_count() or 1
    stop, workers = mp.Event(), []
    if busy:
        workers = [mp.Process(target=_busy, args=(stop,)) for _ in range(cores)]
        for w in workers:
            w.start()
    rows = []
    try:
        for n, n_in, n_out in sizes:
            one, many = [], []
            for _ in range(3):  # alternate the two settings
                set_blas_threads(1)
                one.append(step_time(n, n_in, n_out, repeats))
                set_blas_threads(cores)
                many.append(step_time(n, n_in, n_out, repeats))
            flops = 3 * 2 * n * n_in * n_out
            rows.append({"shape": (n, n_in, n_out), "flops": flops, "one": min(one), "many": min(many),
                         "threads": blas_threads()})
    finally:
        stop.set()
        for w in workers:
            w.join()
    return rows


def vae_epochs(rounds: int, epochs: int) -> list[tuple[float, float]]:
    """(as run, one thread) median epoch seconds of the digits VAE, per round, with the cores busy."""
    import nnscratch
    from nnscratch._accel.threads import set_blas_threads
    from nnscratch.generative import VAE

    x = nnscratch.datasets.load("digits").x / 16.0
    cores = os.cpu_count() or 1
    stop = mp.Event()
    workers = [mp.Process(target=_busy, args=(stop,)) for _ in range(cores)]
    for w in workers:
        w.start()
    out = []
    try:
        for r in range(rounds):
            times = {}
            for threads in ((cores, 1) if r % 2 == 0 else (1, cores)):  # who goes first alternates
                set_blas_threads(threads)
                vae = VAE(64, hidden=(256, 128), latent=2, seed=0, dtype="float32")
                vae.fit(x, epochs=1, batch_size=64, lr=1e-3, optimizer="adam", seed=0)  # warm-up
                t = time.perf_counter()
                vae.fit(x, epochs=epochs, batch_size=64, lr=1e-3, optimizer="adam", seed=0)
                times[threads] = (time.perf_counter() - t) / epochs
            out.append((times[cores], times[1]))
    finally:
        stop.set()
        for w in workers:
            w.join()
    return out


def report_vae(rounds: int, epochs: int) -> None:
    rows = vae_epochs(rounds, epochs)
    cores = os.cpu_count() or 1
    print(f"| round | as run ({cores} threads allowed) (ms/epoch) | 1 thread (ms/epoch) "
          f"| as run ÷ 1 thread |")
    print("|---:|---:|---:|---:|")
    for i, (many, one) in enumerate(rows, 1):
        print(f"| {i} | {1e3 * many:.1f} | {1e3 * one:.1f} | {many / one:.2f}× |")
    many, one = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
    print(f"| median | {1e3 * many:.1f} | {1e3 * one:.1f} | {many / one:.2f}× |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--env", choices=("unset", "asis"), default="unset")
    ap.add_argument("--vae", action="store_true",
                    help="the digits VAE with the cores busy, as run vs 1 thread")
    ap.add_argument("--rounds", type=int, default=5, help="--vae: alternated rounds")
    a = ap.parse_args(argv)
    if a.env == "unset" and any(v in os.environ for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)  # the benchmark's own process only
    from nnscratch._accel.threads import SINGLE_THREAD_FLOPS

    if a.vae:
        report_vae(2 if a.quick else a.rounds, 1 if a.quick else 3)
        return 0
    sizes, repeats = (QUICK, 3) if a.quick else (SIZES, 7)
    print(f"| machine | batch × n_in × n_out | step FLOPs | 1 thread (ms) | {os.cpu_count()} threads (ms) | "
          f"1 thread faster by |")
    print("|---|---|---:|---:|---:|---:|")
    for busy in (False, True):
        for r in measure(sizes, repeats, busy):
            ratio = r["many"] / r["one"]
            print(f"| {'busy' if busy else 'idle'} | {' × '.join(map(str, r['shape']))} | {r['flops']:,} | "
                  f"{1e3 * r['one']:.3f} | {1e3 * r['many']:.3f} | {ratio:.2f}× |")
    print(f"\nnnscratch runs a step's products on one thread below {SINGLE_THREAD_FLOPS:,} FLOPs per layer.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
