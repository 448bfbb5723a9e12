"""nnscratch.train's epoch time at an older git revision against the working tree, on bench_mlp's data.

    python benchmarks/compare_revisions.py 65205a2            # (i), (ii), (iii), 3 rounds
    python benchmarks/compare_revisions.py 65205a2 --configs i --rounds 5
    python benchmarks/compare_revisions.py 580b6c7 --configs online,i-adam --threads 1

Configurations: bench_mlp's (i), (ii), (iii) with plain SGD; ``i-adam`` is (i) with Adam (lr 0.001);
``online`` is the course's online SGD (a 2-10-1 regression on 4,000 rows, one row per step).

The revision's ``src/nnscratch`` is exported with ``git archive`` into a temporary directory (the
working tree and the repository are not touched). Each round runs one fresh process per side, the older
revision first, alternating; each process trains one warm-up epoch and then 5 timed epochs, alternated
with the numpy.matmul ceiling of the same shapes. Like bench_mlp.py it runs with 2 threads and, by
default, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its own processes' environment
(``--env asis`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_CHILD = """
import json, statistics, sys, time
sys.path.insert(1, {here!r})
import numpy as np
from threadpoolctl import threadpool_limits
threadpool_limits({threads})
import nnscratch
from bench_mlp import CONFIGS, LR, MatmulCeiling, initial_params, make_data
config, optimizer, lr = {config!r}, "sgd", LR
if config == "online":  # the course's online SGD: 2-10-1 regression, one row per step
    x = np.random.default_rng(0).normal(size=(4_000, 2)).astype(np.float32)
    y = (x @ np.array([[3.0], [2.0]], np.float32)).astype(np.float32)
    sizes, batch, lr = (2, 10, 1), 1, 0.01
    net = nnscratch.Network(list(sizes), hidden="relu", output="identity", seed=0)
else:
    if config.endswith("-adam"):
        config, optimizer, lr = config[:-5], "adam", 0.001
    x, y, _, _ = make_data(60_000, 1)
    sizes, batch = CONFIGS[config]
    net = nnscratch.Network.from_params(initial_params(sizes, 0), hidden="relu", output="softmax")
rng = np.random.default_rng(1)
ceiling = MatmulCeiling(sizes, batch, x.shape[0], 0)
def epoch():
    nnscratch.train(net, x, y, optimizer=optimizer, lr=lr, epochs=1, batch_size=batch, seed=rng)
epoch()
nn, mm = [], []
for _ in range(5):
    t = time.perf_counter(); epoch(); nn.append(time.perf_counter() - t)
    t = time.perf_counter(); ceiling.epoch(); mm.append(time.perf_counter() - t)
print(json.dumps({{"nnscratch": statistics.median(nn), "ceiling": statistics.median(mm)}}))
"""


def export(rev: str, dest: str) -> str:
    """``src/nnscratch`` at ``rev`` under ``dest``; returns the directory to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", ROOT, "archive", "--format=tar", rev, "src/nnscratch"], capture_output=True, check=True
    ).stdout
    path = os.path.join(dest, "rev.tar")
    with open(path, "wb") as f:
        f.write(archive)
    with tarfile.open(path) as tar:
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4: refuse odd members
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - older interpreters; the archive comes from this repository
            tar.extractall(dest)
    return os.path.join(dest, "src")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="the older revision (any git revision name)")
    ap.add_argument("--configs", default="i,ii,iii")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--env", choices=("unset", "asis"), default="unset")
    a = ap.parse_args(argv)

    env = dict(os.environ)
    if a.env == "unset":
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            env.pop(var, None)
    state = "unset" if a.env == "unset" else "as they are"
    print(f"# environment: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE {state}")
    with tempfile.TemporaryDirectory() as tmp:
        old_src = export(a.rev, tmp)
        sides = {a.rev: old_src, "working tree": os.path.join(ROOT, "src")}
        print("| config | revision | epoch (s, median of rounds) | matmul ceiling (s) | % of ceiling |")
        print("|---|---|---:|---:|---:|")
        for config in a.configs.split(","):
            got: dict[str, list[dict]] = {k: [] for k in sides}
            for _ in range(a.rounds):
                for label, src in sides.items():
                    child_env = dict(env, PYTHONPATH=src)
                    code = _CHILD.format(here=HERE, threads=a.threads, config=config)
                    cmd = [sys.executable, "-c", code]
                    r = subprocess.run(cmd, env=child_env, capture_output=True, text=True)
                    if r.returncode != 0:
                        print(r.stderr, file=sys.stderr)
                        return r.returncode
                    got[label].append(json.loads(r.stdout.strip().splitlines()[-1]))
            medians = {}
            for label, runs in got.items():
                nn = statistics.median(r["nnscratch"] for r in runs)
                mm = statistics.median(r["ceiling"] for r in runs)
                medians[label] = nn
                print(f"| ({config}) | {label} | {nn:.4f} | {mm:.4f} | {100 * mm / nn:.0f}% |")
            old, new = medians[a.rev], medians["working tree"]
            print(f"| ({config}) | speed-up | {old / new:.2f}× | | |")
            sys.stdout.flush()
    print(f"# finished {time.strftime('%Y-%m-%d %H:%M')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
