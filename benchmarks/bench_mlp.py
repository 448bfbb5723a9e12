"""MLP training speed: nnscratch.train against PyTorch CPU and scikit-learn, and against the machine's
matrix-multiply ceiling.

    python benchmarks/bench_mlp.py              # full run, both environment settings (about 7 min)
    python benchmarks/bench_mlp.py --env asis   # only the environment as it is
    python benchmarks/bench_mlp.py --quick      # a tiny configuration, seconds (the smoke test runs this)

What it measures (one run, every contender in the same process, 2 threads each):

- data: MNIST-shaped and generated — 60,000 x 784 float32 inputs in [0, 1], each pixel nonzero with
  probability 0.2, 10 classes from a fixed random linear teacher, and a 10,000-sample test set;
- configurations (i) 784-100-10 batch 100, (ii) 784-256-128-10 batch 128, (iii) 784-1024-1024-10
  batch 256; ReLU hidden layers, softmax + cross entropy, plain SGD with learning rate 0.1, one epoch
  = one shuffled pass with the last partial batch kept;
- contenders: ``nnscratch.train`` (float32, and a float64 row), a plain NumPy loop (preallocated
  buffers, in-place ReLU and softmax, the SGD update; no loss computed), PyTorch CPU (``nn.Sequential`` +
  ``optim.SGD``, batches gathered from tensors by a permutation) and scikit-learn
  ``MLPClassifier(solver="sgd", momentum=0, alpha=0, batch_size=B, max_iter=1, warm_start=True)`` on
  float32 input. Each contender trains one epoch (whose test accuracy is reported), then the contenders
  alternate A B C A B C … for ``--epochs`` more epochs each, and the median epoch time is reported;
- the matrix-multiply ceiling: the same run times ``numpy.matmul`` alone on the configuration's own
  shapes (forward x·W, backward xᵀ·δ and δ·Wᵀ, every batch of an epoch, into preallocated arrays),
  alternated with the contenders. "% of ceiling" is that time over nnscratch's epoch time: the
  fraction of the matrix-product throughput that a whole training epoch keeps;
- ``import`` times (fresh interpreters, median of several) and the peak memory (ru_maxrss) of a
  process that builds the training set and trains one epoch of (iii).

``--env both`` (the default) runs everything twice in child processes: first with ``OPENBLAS_CORETYPE``
and ``OPENBLAS_L2_SIZE`` removed from the benchmark's own environment (set on some machines, they force
OpenBLAS's AVX2 kernels), then, after a pause (``--pause``), with the environment as it is. Nothing
else is changed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# name -> (layer sizes, batch size)
CONFIGS: dict[str, tuple[tuple[int, ...], int]] = {
    "i": ((784, 100, 10), 100),
    "ii": ((784, 256, 128, 10), 128),
    "iii": ((784, 1024, 1024, 10), 256),
}
QUICK_CONFIGS: dict[str, tuple[tuple[int, ...], int]] = {"tiny": ((784, 32, 10), 64)}

LR = 0.1
N_FEATURES = 784
N_CLASSES = 10
DENSITY = 0.2


# ---------------------------------------------------------------- data


def make_data(
    n_train: int = 60_000, n_test: int = 10_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-shaped data: float32 pixels in [0, 1), each nonzero with probability 0.2; 10 classes.

    The label is the argmax of a fixed random linear teacher applied to the centred input, so the
    classes are about equally frequent. Built in chunks, so the peak memory is the arrays themselves.
    """
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    out = []
    for n in (n_train, n_test):
        x = np.empty((n, N_FEATURES), dtype=np.float32)
        y = np.empty(n, dtype=np.int64)
        for s in range(0, n, 2_000):
            e = min(s + 2_000, n)
            chunk = rng.random((e - s, N_FEATURES), dtype=np.float32)
            chunk[rng.random((e - s, N_FEATURES), dtype=np.float32) >= DENSITY] = 0
            x[s:e] = chunk
            y[s:e] = np.argmax((chunk - DENSITY / 2) @ teacher, axis=1)
        out += [x, y]
    return out[0], out[1], out[2], out[3]


def epoch_flops(sizes: tuple[int, ...], n: int) -> int:
    """Matrix-product FLOPs of one epoch: per layer 2·n_in·n_out per sample for x·W and for xᵀ·δ, and
    again for δ·Wᵀ above the first layer (the input's gradient is not needed)."""
    per_sample = 0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        per_sample += 2 * a * b * (2 if i == 0 else 3)
    return per_sample * n


# ---------------------------------------------------------------- contenders


def initial_params(sizes, seed) -> dict[str, np.ndarray]:
    """The starting weights every contender shares: nnscratch's He initialisation (float32)."""
    import nnscratch

    net = nnscratch.Network(list(sizes), hidden="relu", output="softmax", seed=seed)
    return {k: v.copy() for k, v in net.params.items()}


class NnscratchContender:
    def __init__(self, sizes, batch, x, y, init, seed, dtype="float32"):
        import nnscratch

        self.nnscratch = nnscratch
        self.name = "nnscratch" if dtype == "float32" else f"nnscratch {dtype}"
        self.batch = batch
        self.x = x if dtype == "float32" else x.astype(dtype)
        self.y = y
        self.net = nnscratch.Network.from_params(init, hidden="relu", output="softmax", dtype=dtype)
        self.rng = np.random.default_rng(seed)  # carried across calls: a fresh permutation each epoch

    def epoch(self) -> None:
        self.nnscratch.train(
            self.net,
            self.x,
            self.y,
            optimizer="sgd",
            lr=LR,
            epochs=1,
            batch_size=self.batch,
            shuffle=True,
            seed=self.rng,
        )

    def accuracy(self, x, y) -> float:
        return self.net.accuracy(x, y)


class TorchContender:
    name = "PyTorch CPU"

    def __init__(self, sizes, batch, x, y, init, seed):
        import torch

        self.torch = torch
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1):
            lin = torch.nn.Linear(a, b)
            with torch.no_grad():  # nn.Linear keeps W as (out, in): the transpose of W_i
                lin.weight.copy_(torch.from_numpy(init[f"W{i}"].T.copy()))
                lin.bias.copy_(torch.from_numpy(init[f"b{i}"]))
            layers += [lin, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss = torch.nn.CrossEntropyLoss()
        self.x = torch.from_numpy(x)
        self.y = torch.from_numpy(y)
        self.batch = batch
        self.rng = np.random.default_rng(seed)  # the same permutations as the nnscratch contender

    def epoch(self) -> None:
        torch, model, opt, lossf, x, y, b = (
            self.torch,
            self.model,
            self.opt,
            self.loss,
            self.x,
            self.y,
            self.batch,
        )
        n = x.shape[0]
        perm = torch.from_numpy(self.rng.permutation(n))
        model.train()
        for s in range(0, n, b):
            idx = perm[s : s + b]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    def accuracy(self, x, y) -> float:
        torch = self.torch
        with torch.no_grad():
            pred = self.model(torch.from_numpy(x)).argmax(dim=1).numpy()
        return float(np.mean(pred == y))


class _SameOrder(np.random.RandomState):
    """A RandomState whose ``shuffle`` draws ``default_rng(seed).permutation``: MLPClassifier shuffles
    ``arange(n)`` with it once per epoch, so it sees the same batches as the other contenders."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self._gen = np.random.default_rng(seed)

    def shuffle(self, x) -> None:
        x[...] = x[self._gen.permutation(len(x))]


class SklearnContender:
    name = "scikit-learn"

    def __init__(self, sizes, batch, x, y, init, seed):
        from sklearn.neural_network import MLPClassifier

        self.clf = MLPClassifier(
            hidden_layer_sizes=tuple(sizes[1:-1]),
            activation="relu",
            solver="sgd",
            learning_rate="constant",
            learning_rate_init=LR,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            batch_size=batch,
            max_iter=1,
            shuffle=True,
            warm_start=True,
            early_stopping=False,
            random_state=_SameOrder(seed),  # the same permutations as the nnscratch contender
        )
        # start from the shared weights: MLPClassifier draws layer i's (W, b) with _init_coef, in order
        start = iter([(init[f"W{i}"].copy(), init[f"b{i}"].copy()) for i in range(1, len(sizes))])
        self.clf._init_coef = lambda fan_in, fan_out, dtype: next(start)
        self.x, self.y = x, y

    def epoch(self) -> None:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter=1 is one epoch on purpose
            self.clf.fit(self.x, self.y)

    def accuracy(self, x, y) -> float:
        return float(self.clf.score(x, y))


class NumpyLoop:
    """A plain NumPy training loop, as one would write it by hand for speed: matmuls into preallocated
    buffers, in-place ReLU and softmax, the SGD update in place, the same batches (no loss computed)."""

    name = "plain NumPy loop"

    def __init__(self, sizes, batch, x, y, init, seed):
        self.W = [init[f"W{i}"].copy() for i in range(1, len(sizes))]
        self.b = [init[f"b{i}"].copy() for i in range(1, len(sizes))]
        self.x, self.y, self.batch, self.sizes = x, y, batch, sizes
        self.rng = np.random.default_rng(seed)  # the same permutations as the nnscratch contender
        self.bufs: dict[int, tuple] = {}

    def _buffers(self, b):
        if b not in self.bufs:
            z = [np.empty((b, s), np.float32) for s in self.sizes]
            self.bufs[b] = (z, [np.empty_like(a) for a in z], [np.empty_like(w) for w in self.W])
        return self.bufs[b]

    def epoch(self) -> None:
        W, bias, n, lr = self.W, self.b, self.x.shape[0], np.float32(LR)
        perm = self.rng.permutation(n)
        for s in range(0, n, self.batch):
            idx = perm[s : s + self.batch]
            b = len(idx)
            z, delta, dW = self._buffers(b)
            np.take(self.x, idx, axis=0, out=z[0])
            for i in range(len(W)):
                np.matmul(z[i], W[i], out=z[i + 1])
                z[i + 1] += bias[i]
                if i < len(W) - 1:
                    np.maximum(z[i + 1], 0, out=z[i + 1])  # ReLU in place
            y = z[-1]  # softmax in place
            y -= y.max(axis=1, keepdims=True)
            np.exp(y, out=y)
            y /= y.sum(axis=1, keepdims=True)
            d = delta[-1]
            np.multiply(y, lr / b, out=d)  # η·(y − t)/N
            d[np.arange(b), self.y[idx]] -= lr / b
            for i in range(len(W) - 1, -1, -1):
                np.matmul(z[i].T, delta[i + 1], out=dW[i])
                if i:
                    np.matmul(delta[i + 1], W[i].T, out=delta[i])
                    delta[i] *= z[i] > 0  # ReLU's derivative
                bias[i] -= delta[i + 1].sum(axis=0)
                W[i] -= dW[i]

    def accuracy(self, x, y) -> float:
        z = x
        for i, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = z @ w + b
            if i < len(self.W) - 1:
                z = np.maximum(z, 0)
        return float(np.mean(z.argmax(axis=1) == y))


class MatmulCeiling:
    """numpy.matmul alone on an epoch's shapes: x·W forward, xᵀ·δ and (above layer 1) δ·Wᵀ backward."""

    def __init__(self, sizes, batch, n, seed, dtype="float32"):
        self.name = "numpy.matmul ceiling" if dtype == "float32" else f"numpy.matmul ceiling {dtype}"
        rng = np.random.default_rng(seed)
        self.W = [
            rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        self.dW = [np.empty_like(w) for w in self.W]
        self.counts = [(batch, n // batch)] + ([(n % batch, 1)] if n % batch else [])
        self.bufs = {}
        for b, _ in self.counts:  # operands drawn once, away from zero (no denormal slow paths)
            self.bufs[b] = (
                [rng.uniform(0.5, 1.0, (b, s)).astype(dtype) for s in sizes],
                [rng.uniform(0.5, 1.0, (b, s)).astype(dtype) for s in sizes],
            )

    def epoch(self) -> None:
        W, dW, matmul = self.W, self.dW, np.matmul
        last = len(W) - 1
        for b, reps in self.counts:
            z, delta = self.bufs[b]
            for _ in range(reps):
                for i in range(len(W)):
                    matmul(z[i], W[i], out=z[i + 1])
                for i in range(last, -1, -1):
                    matmul(z[i].T, delta[i + 1], out=dW[i])
                    if i:
                        matmul(delta[i + 1], W[i].T, out=delta[i])


# ---------------------------------------------------------------- measurements


def set_threads(threads: int) -> dict:
    """Limit every BLAS/OpenMP pool this process has loaded (and PyTorch's) to ``threads``."""
    info = {}
    for module in ("torch", "sklearn.neural_network"):  # load their pools first, so the limit reaches them
        try:
            __import__(module)
        except ImportError:
            pass
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(limits=threads)
        info["pools"] = sorted({f"{p['internal_api']}:{p['num_threads']}" for p in threadpool_info()})
    except ImportError:
        info["pools"] = ["threadpoolctl missing: only the *_NUM_THREADS variables limit the pools"]
    try:
        import torch

        torch.set_num_threads(threads)
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def available_contenders(want: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """The contender keys that can run here, and why the others cannot."""
    keep, skipped = [], {}
    for key in want:
        module = {"torch": "torch", "sklearn": "sklearn"}.get(key)
        if module is not None:
            try:
                __import__(module)
            except ImportError as exc:
                skipped[key] = f"{module} is not importable ({exc}); install the 'bench' extra"
                continue
        keep.append(key)
    return keep, skipped


def bench_config(name, sizes, batch, data, keys, epochs, seed=0) -> dict:
    x, y, xt, yt = data
    n = x.shape[0]
    init = initial_params(sizes, seed)
    makers = {
        "nnscratch": lambda: NnscratchContender(sizes, batch, x, y, init, seed + 1),
        "nnscratch64": lambda: NnscratchContender(sizes, batch, x, y, init, seed + 1, dtype="float64"),
        "torch": lambda: TorchContender(sizes, batch, x, y, init, seed + 1),
        "sklearn": lambda: SklearnContender(sizes, batch, x, y, init, seed + 1),
        "numpy": lambda: NumpyLoop(sizes, batch, x, y, init, seed + 1),
        "ceiling": lambda: MatmulCeiling(sizes, batch, n, seed),
        "ceiling64": lambda: MatmulCeiling(sizes, batch, n, seed, dtype="float64"),
    }
    contenders = {k: makers[k]() for k in keys}
    times: dict[str, list[float]] = {k: [] for k in keys}
    first: dict[str, float] = {}
    acc: dict[str, float] = {}
    clock = time.perf_counter
    for k, c in contenders.items():  # epoch 1: warms up, and gives the accuracy after one epoch
        t = clock()
        c.epoch()
        first[k] = clock() - t
        if hasattr(c, "accuracy"):
            acc[k] = c.accuracy(xt, yt)
    for _ in range(epochs):  # then alternate A B C A B C ...
        for k, c in contenders.items():
            t = clock()
            c.epoch()
            times[k].append(clock() - t)
    flops = epoch_flops(sizes, n)
    rows = {}
    for k, c in contenders.items():
        med = statistics.median(times[k])
        rows[k] = {
            "name": c.name,
            "median_s": med,
            "min_s": min(times[k]),
            "max_s": max(times[k]),
            "first_epoch_s": first[k],
            "samples_per_s": n / med,
            "gflops": flops / med / 1e9,
            "accuracy": acc.get(k),
            "times": times[k],
        }
    return {"config": name, "sizes": list(sizes), "batch": batch, "n_train": n, "flops": flops, "rows": rows}


def import_times(repeats: int) -> dict:
    """Median wall time of ``import X`` in fresh interpreters (this process's environment)."""
    code = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
    pre = "import numpy, time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
    cases = {
        "nnscratch": code.format(m="nnscratch"),
        "nnscratch (numpy already imported)": pre.format(m="nnscratch"),
        "numpy": code.format(m="numpy"),
        "torch": code.format(m="torch"),
        "sklearn.neural_network": code.format(m="sklearn.neural_network"),
    }
    out = {}
    for label, src in cases.items():
        vals = []
        for _ in range(repeats):
            r = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
            if r.returncode != 0:
                break
            vals.append(float(r.stdout.strip().splitlines()[-1]))
        out[label] = statistics.median(vals) if vals else None
    return out


def memory_probe(config: str, n_train: int) -> dict:
    """Peak RSS of a fresh process that builds the training set and trains one epoch of ``config``."""
    r = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-probe", config, "--n-train", str(n_train)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _peak_rss() -> int:
    """This process's peak resident set size in bytes: VmHWM on Linux (ru_maxrss there also counts the
    parent's pages at fork), ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _run_memory_probe(config: str, n_train: int) -> dict:
    import nnscratch

    sizes, batch = {**CONFIGS, **QUICK_CONFIGS}[config]
    x, y, _, _ = make_data(n_train, 1)
    base = _peak_rss()
    net = nnscratch.Network(list(sizes), hidden="relu", output="softmax", seed=0)
    nnscratch.train(net, x, y, optimizer="sgd", lr=LR, epochs=1, batch_size=batch, shuffle=True, seed=1)
    peak = _peak_rss()
    n_params = sum(p.size for p in net.params.values())
    data_bytes = x.nbytes + y.nbytes
    batch_act = batch * sum(sizes) * 4
    bound = data_bytes + 3 * n_params * 4 + 2 * batch_act + 100 * 10**6
    return {
        "config": config,
        "peak_rss": peak,
        "rss_before_training": base,
        "data_bytes": data_bytes,
        "param_bytes": n_params * 4,
        "batch_activation_bytes": batch_act,
        "bound": bound,
    }


def run(
    configs: dict,
    keys: tuple[str, ...],
    epochs: int,
    n_train: int,
    n_test: int,
    threads: int | None,
    import_repeats: int,
    memory_config: str | None,
    log=print,
) -> dict:
    """Every measurement in this process's environment; returns a JSON-ready dict.

    ``threads=None`` leaves the thread pools as they are (the smoke test runs inside pytest).
    """
    info = set_threads(threads) if threads is not None else {"pools": ["left as they are"]}
    keys, skipped = available_contenders(keys)
    import nnscratch

    result = {
        "env": {v: os.environ.get(v) for v in OPENBLAS_VARS},
        "threads": threads,
        "thread_pools": info,
        "versions": _versions(),
        "skipped": skipped,
        "epochs": epochs,
        "load_before": os.getloadavg()[0],
    }
    cpu_start = _cpu_snapshot()
    t = time.perf_counter()
    data = make_data(n_train, n_test)
    log(f"  data {data[0].shape} built in {time.perf_counter() - t:.1f} s; nnscratch {nnscratch.__version__}")
    result["configs"] = []
    for name, (sizes, batch) in configs.items():
        t = time.perf_counter()
        res = bench_config(name, sizes, batch, data, keys, epochs)
        result["configs"].append(res)
        log(f"  ({name}) {'-'.join(map(str, sizes))} batch {batch}: {time.perf_counter() - t:.0f} s")
    result["imports"] = import_times(import_repeats)
    if memory_config is not None:
        result["memory"] = memory_probe(memory_config, n_train)
    result["load_after"] = os.getloadavg()[0]
    result["cpu_share"] = _others_share(cpu_start, _cpu_snapshot())
    return result


def _cpu_snapshot() -> tuple[float, float, float, float] | None:
    """(wall clock, busy CPU seconds of the whole machine, of which steal, CPU seconds of this process
    and its finished children) — from /proc/stat on Linux; None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = (user + nice + system + irq + softirq) / hz
    t = os.times()
    return time.time(), busy, steal / hz, t.user + t.system + t.children_user + t.children_system


def _others_share(start, end) -> dict | None:
    """The share of the machine's CPU time that other processes (and the hypervisor) took meanwhile."""
    if start is None or end is None:
        return None
    wall = end[0] - start[0]
    cpus = os.cpu_count() or 1
    others = (end[1] - start[1]) - (end[3] - start[3])
    return {"other_processes": max(others, 0.0) / (wall * cpus), "steal": (end[2] - start[2]) / (wall * cpus)}


def _versions() -> dict:
    v = {"python": sys.version.split()[0], "numpy": np.__version__}
    for mod in ("torch", "sklearn"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError:
            v[mod] = None
    try:
        from threadpoolctl import threadpool_info

        blas = [
            p for p in threadpool_info() if p.get("internal_api") == "openblas" and "numpy" in p["filepath"]
        ]
        if blas:
            v["numpy_openblas"] = f"{blas[0].get('version')} ({blas[0].get('architecture')} kernels)"
    except ImportError:
        pass
    return v


# ---------------------------------------------------------------- report


def _threads_text(threads: int | None) -> str:
    return "thread pools left as they were" if threads is None else f"{threads} threads each"


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def render(result: dict) -> str:
    env = result["env"]
    setting = ", ".join(f"{k}={v}" if v is not None else f"{k} unset" for k, v in env.items())
    lines = [f"### Environment: {setting}", ""]
    v = result["versions"]
    lines.append(
        f"Python {v['python']}, NumPy {v['numpy']} (OpenBLAS {v.get('numpy_openblas', '?')}), "
        f"PyTorch {v.get('torch')}, scikit-learn {v.get('sklearn')}; {_threads_text(result['threads'])}; "
        f"median of {result['epochs']} alternated epochs after one warm-up epoch."
    )
    share = result.get("cpu_share")
    if share is not None:
        lines[-1] += (
            f" While it ran, other processes took {100 * share['other_processes']:.0f}% of the CPU time "
            f"and the hypervisor stole {100 * share['steal']:.0f}%."
        )
    lines.append("")
    lines.append(
        "| config | contender | epoch (s, median) | samples/s | nnscratch speed-up | test acc. "
        "after 1 epoch | GFLOP/s | % of matmul ceiling |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for cfg in result["configs"]:
        rows = cfg["rows"]
        label = f"({cfg['config']}) {'-'.join(map(str, cfg['sizes']))}, batch {cfg['batch']}"
        nn = rows.get("nnscratch")
        for k, r in rows.items():
            speed = ""
            if nn is not None and k not in ("nnscratch", "ceiling", "ceiling64"):
                speed = f"{r['median_s'] / nn['median_s']:.2f}×"
            frac = ""
            ceil = rows.get("ceiling64" if k == "nnscratch64" else "ceiling")
            if k in ("nnscratch", "nnscratch64") and ceil is not None:
                frac = f"{100 * ceil['median_s'] / r['median_s']:.0f}%"
            acc = "" if r["accuracy"] is None else f"{100 * r['accuracy']:.2f}%"
            lines.append(
                f"| {label} | {r['name']} | {r['median_s']:.3f} | {_fmt_rate(r['samples_per_s'])} | "
                f"{speed} | {acc} | {r['gflops']:.0f} | {frac} |"
            )
            label = ""
    lines.append("")
    lines.append(
        "Speed-up = the contender's epoch time ÷ nnscratch's (float32); above 1 means nnscratch is faster."
    )
    if result.get("skipped"):
        for k, why in result["skipped"].items():
            lines.append(f"Skipped {k}: {why}.")
    imp = result.get("imports", {})
    if imp:
        lines.append("")
        lines.append("| import | seconds (median, fresh interpreter) |")
        lines.append("|---|---:|")
        for k, t in imp.items():
            lines.append(
                f"| `import {k.split(' ')[0]}`{k[len(k.split(' ')[0]) :]} | "
                f"{'n/a' if t is None else f'{t:.3f}'} |"
            )
    mem = result.get("memory")
    if mem:
        lines.append("")
        if "error" in mem:
            lines.append(f"Peak memory probe failed: {mem['error']}")
        else:
            mb = 10**6  # decimal megabytes, as the bound's 100 MB
            parts = mem["data_bytes"] + 3 * mem["param_bytes"] + 2 * mem["batch_activation_bytes"]
            bound = parts + 100 * mb
            lines.append(
                f"Peak memory, one epoch of ({mem['config']}) in a fresh process: "
                f"{mem['peak_rss'] / mb:.0f} MB "
                f"(peak RSS; {mem['rss_before_training'] / mb:.0f} MB with the data built, before training). "
                f"Bound: data set {mem['data_bytes'] / mb:.0f} MB + 3 × parameters "
                f"{3 * mem['param_bytes'] / mb:.1f} MB + 2 batches of activations "
                f"{2 * mem['batch_activation_bytes'] / mb:.1f} MB + 100 MB = {bound / mb:.0f} MB: "
                f"{'within' if mem['peak_rss'] <= bound else 'OVER'}."
            )
    return "\n".join(lines)


# ---------------------------------------------------------------- command line


def child_env(setting: str, threads: int) -> dict[str, str]:
    """The environment of a child run: as it is, or with the OpenBLAS core/L2 variables removed."""
    env = dict(os.environ)
    if setting == "unset":
        for var in OPENBLAS_VARS:
            env.pop(var, None)
    for var in THREAD_VARS:
        env[var] = str(threads)
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument(
        "--env",
        choices=("both", "asis", "unset", "current"),
        default="both",
        help="both (default): two child runs, the environment as it is and with OPENBLAS_CORETYPE\n"
        "and OPENBLAS_L2_SIZE removed; asis/unset: one of them; current: run in this process",
    )
    ap.add_argument("--configs", default="i,ii,iii", help="comma-separated: i, ii, iii (default all)")
    ap.add_argument("--contenders", default="nnscratch,nnscratch64,numpy,torch,sklearn,ceiling,ceiling64")
    ap.add_argument(
        "--epochs", type=int, default=5, help="timed epochs per contender after the warm-up (>= 5)"
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-train", type=int, default=60_000)
    ap.add_argument("--n-test", type=int, default=10_000)
    ap.add_argument("--import-repeats", type=int, default=5)
    ap.add_argument("--memory", default="iii", help="configuration for the peak-memory probe ('' skips it)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="tiny: 784-32-10 batch 64 on 2,000 samples, 2 epochs (a smoke test, not a measurement)",
    )
    ap.add_argument("--json", help="also write the results as JSON to this file")
    ap.add_argument(
        "--pause",
        type=float,
        default=60.0,
        help="seconds of rest between the two runs of --env both (minutes of 2-core load slow some\n"
        "virtual machines down; default 60)",
    )
    ap.add_argument("--render", metavar="JSON", help="print the tables of a saved --json result and exit")
    ap.add_argument("--memory-probe", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)

    if a.render:
        with open(a.render) as f:
            print("\n\n".join(render(r) for r in json.load(f)["runs"]))
        return 0
    if a.memory_probe:
        print(json.dumps(_run_memory_probe(a.memory_probe, a.n_train)))
        return 0
    if a.quick:
        a.configs, a.n_train, a.n_test, a.epochs, a.import_repeats = "tiny", 2_000, 500, 2, 1
        if a.memory == "iii":
            a.memory = "tiny"
    configs = {**CONFIGS, **QUICK_CONFIGS}
    try:
        chosen = {c: configs[c] for c in a.configs.split(",") if c}
    except KeyError as exc:
        ap.error(f"--configs: unknown configuration {exc}; expected some of {', '.join(configs)}")
    keys = tuple(k for k in a.contenders.split(",") if k)

    if a.env == "current":
        result = run(
            chosen,
            keys,
            a.epochs,
            a.n_train,
            a.n_test,
            a.threads,
            a.import_repeats,
            a.memory or None,
            log=lambda s: print(s, file=sys.stderr, flush=True),
        )
        text = render(result)
        print(text)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"runs": [result]}, f, indent=1)
        return 0

    # the targets are read with the variables unset: that run goes first, from a rested machine
    settings = ["unset", "asis"] if a.env == "both" else [a.env]
    runs = []
    passthrough = [x for x in (argv if argv is not None else sys.argv[1:])]
    passthrough = _strip_opts(passthrough, ("--env", "--json", "--pause"))
    for setting in settings:
        if runs and a.pause > 0:
            print(f"== pausing {a.pause:g} s before the next run", file=sys.stderr, flush=True)
            time.sleep(a.pause)
        env = child_env(setting, a.threads)
        what = (
            "as it is"
            if setting == "asis"
            else f"with {' and '.join(OPENBLAS_VARS)} unset for this benchmark's own processes"
        )
        print(f"== run {len(runs) + 1}/{len(settings)}: environment {what}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "result.json")
            r = subprocess.run(
                [sys.executable, os.path.abspath(__file__), *passthrough, "--env", "current", "--json", out],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            if r.returncode != 0:
                print(f"child run ({setting}) failed with status {r.returncode}", file=sys.stderr)
                return r.returncode
            with open(out) as f:
                runs.append(json.load(f)["runs"][0])
    print("\n\n".join(render(r) for r in runs))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": runs}, f, indent=1)
    return 0


def _strip_opts(args: list[str], names: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in names:
            skip = True
            continue
        if any(arg.startswith(n + "=") for n in names):
            continue
        out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
