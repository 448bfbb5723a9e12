"""Sweep speed: 8 trials of the digits main job, one after another, on a local pool of 2 workers, and
on Dask.

    python benchmarks/bench_sweep.py              # 3 alternated rounds (a few minutes on 2 cores)
    python benchmarks/bench_sweep.py --rounds 5   # more rounds, a steadier median
    python benchmarks/bench_sweep.py --quick      # 4 trials of 3 epochs: seconds, to check it runs

The trials: ``nnscratch.sweep(RunSpec(), repeats=8)`` — the main job of ``nnscratch train`` (digits,
64-100-10 ReLU/softmax, Adam, 60 epochs, batch 32) with seeds 0 to 7. Contenders, each timed from the
call of ``nnscratch.sweep`` to its return (pool or cluster start-up included, nothing written to disk):

- ``serial``: ``workers=1``, the trials one after another in this process (its BLAS with every core);
- ``pool``: ``workers=2``, the local forkserver pool, one BLAS thread per worker;
- ``dask-local``: ``cluster="local:2"``, a Dask LocalCluster of 2 single-threaded worker processes,
  started and closed by the sweep;
- ``dask-running``: the same LocalCluster started once before the timing, reached through its
  ``tcp://`` address, as a sweep reaches an existing ``dask scheduler``.

Rounds alternate the contenders (the order rotates each round) and the tables show the median time.
The targets: ``serial / pool ≥ 1.8`` and ``dask / pool ≤ 1.10``. Every contender's rows are checked to
be the same bit for bit (the times and worker ids aside).

Environment: when ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` is set (some machines force OpenBLAS's
AVX2 kernels with them), this script re-runs itself with both removed from its own environment, and
says so in its first line; ``--keep-env`` keeps them. Nothing else is changed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CONTENDERS = ("serial", "pool", "dask-local", "dask-running")


def _environment(args: argparse.Namespace) -> str:
    """Re-run without OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unless kept; a line saying which it is."""
    found = [v for v in OPENBLAS_VARS if v in os.environ]
    if found and not args.keep_env and not os.environ.get("NNSCRATCH_BENCH_CHILD"):
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        env["NNSCRATCH_BENCH_CHILD"] = f"removed {', '.join(found)}"
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    if os.environ.get("NNSCRATCH_BENCH_CHILD"):
        return (f"# environment: {os.environ['NNSCRATCH_BENCH_CHILD'].removeprefix('removed ')} removed "
                f"from this benchmark's own environment (nothing else changed)")
    state = ", ".join(f"{v}={os.environ[v]}" for v in found) or "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset"
    return f"# environment: as it is ({state})"


def _comparable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("seconds", "worker")} for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    parser.add_argument("--trials", type=int, default=8, help="trials: seeds 0..N-1 (default 8)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per trial (default: the main job's)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="comma list of " + ", ".join(CONTENDERS))
    parser.add_argument("--quick", action="store_true", help="4 trials of 3 epochs, 1 round")
    parser.add_argument("--keep-env", action="store_true", help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.trials, args.epochs = 1, 4, args.epochs or 3
    print(_environment(args), flush=True)

    import numpy as np

    import nnscratch
    from nnscratch.spec import RunSpec

    contenders = [c for c in args.contenders.split(",") if c]
    unknown = sorted(set(contenders) - set(CONTENDERS))
    if unknown:
        parser.error(f"--contenders: unknown {', '.join(unknown)}; expected some of {', '.join(CONTENDERS)}")
    base = RunSpec() if args.epochs is None else RunSpec(epochs=args.epochs)
    running = None
    if any(c.startswith("dask") for c in contenders):
        import distributed

        running = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=40)
    options = {"serial": {"workers": 1}, "pool": {"workers": 2}, "dask-local": {"cluster": "local:2"},
               "dask-running": {"cluster": running.scheduler_address if running else None}}
    times: dict[str, list[float]] = {c: [] for c in contenders}
    reference = None
    print(f"# {args.trials} trials of {base.data} {base.hidden_sizes} {base.optimizer} {base.epochs} epochs "
          f"batch {base.batch_size}; {os.cpu_count()} cores; {args.rounds} rounds", flush=True)
    try:
        for r in range(args.rounds):
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for name in order:
                started = time.perf_counter()
                result = nnscratch.sweep(base, repeats=args.trials, **options[name])
                seconds = time.perf_counter() - started
                times[name].append(seconds)
                rows = _comparable(result.rows)
                assert all(row["status"] == "ok" for row in rows), f"{name}: a trial did not finish"
                if reference is None:
                    reference = rows
                assert rows == reference, f"{name}: rows differ from the first contender's"
                print(f"round {r + 1} {name:<13} {seconds:7.2f} s", file=sys.stderr, flush=True)
    finally:
        if running is not None:
            running.close()
    median = {c: statistics.median(t) for c, t in times.items()}
    print("\n| contender | median (s) | all rounds (s) | vs pool |\n|---|---:|---|---:|")
    for c in contenders:
        vs = f"{median[c] / median['pool']:.2f}×" if "pool" in median else ""
        print(f"| {c} | {median[c]:.2f} | {', '.join(f'{t:.2f}' for t in times[c])} | {vs} |")
    if "serial" in median and "pool" in median:
        speedup = median["serial"] / median["pool"]
        print(f"\nserial / pool = {speedup:.2f}× (target ≥ 1.8×: {'met' if speedup >= 1.8 else 'NOT met'})")
    for c in ("dask-local", "dask-running"):
        if c in median and "pool" in median:
            over = median[c] / median["pool"] - 1
            verdict = "met" if over <= 0.10 else "NOT met"
            print(f"{c} / pool = {1 + over:.2f}× ({over:+.0%}; target ≤ +10%: {verdict})")
    print(f"rows identical bit for bit across contenders: yes ({len(reference or [])} trials, numpy "
          f"{np.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
