"""The nnscratch VAE against a PyTorch VAE of the same shape on the digits (8×8), and the baselines.

```bash
pip install -e ".[bench]"                     # PyTorch 2.13.0 (CPU) and scikit-learn
python benchmarks/vae_vs_torch.py             # 3 seeds × 200 epochs each side (~2–4 min on 2 cores)
python benchmarks/vae_vs_torch.py --quick     # seconds: what tests/test_benchmark_smoke.py runs
```

What is compared (everything but the library the same):

- **Data.** scikit-learn's 1,797 digits scaled to [0, 1] (x / 16), float32; a fixed split by
  ``numpy.random.default_rng(0).permutation``: the first 1,437 rows train, the other 360 are held out.
- **Model.** Encoder 64-256-128-(2·2) (ReLU; μ and log σ² as one output layer), decoder 2-128-256-64
  (ReLU, logits; sigmoid + binary cross entropy summed over pixels), KL to N(0, I) in closed form,
  one ε per image and step. PyTorch: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU`` with its own
  default initialisation, ``binary_cross_entropy_with_logits(reduction="sum") / N``.
- **Training.** Adam (lr 1e-3, β 0.9/0.999, ε 1e-7 on both sides — nnscratch's default ε), batches of
  64 in the same order (one ``numpy.random.default_rng(seed).permutation`` per epoch for both), 200
  epochs, each side with its own ε ~ N(0, I).
- **Threads.** ``--threads N`` (default 2) limits NumPy's OpenBLAS (threadpoolctl) and PyTorch alike; on a
  machine shared with other work, use 1 (OpenBLAS threads waiting for a busy core slow small products
  down by 10× or more).
- **Measure.** The held-out negative ELBO per image (nats), each trained model evaluated by the same
  code: PyTorch's weights are copied into an nnscratch VAE and both are scored with
  ``VAE.loss(x, seed=0, n_samples=10)``. Mean ± std over the seeds.
- **Baselines.** *Pixel mean*: every pixel an independent Bernoulli with the training mean as its
  probability — the best model that ignores the image. *Entropy floor*: Σ_pixels H(x) of the held-out
  images themselves; no Bernoulli model of grey levels can go below it, so the interesting part of a
  negative ELBO is its excess over this floor.
- **Recognisable samples.** The digits classifier of the main job (``Model(RunSpec())``: 64-100-10,
  Adam, 60 epochs, x / 16) classifies 1,000 generated images (σ(dec(z)) for z ~ N(0, I), times 16 back to
  the 0–16 grey levels); the share classified with probability ≥ 0.9 is reported, and the same share for
  the held-out real images for reference.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from nnscratch import datasets
from nnscratch.generative import VAE

HIDDEN = (256, 128)
LATENT = 2


def digits_split() -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(datasets.digits().x, dtype=np.float32) / 16.0
    order = np.random.default_rng(0).permutation(x.shape[0])
    return x[order[:1437]], x[order[1437:]]


def baselines(train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    p = np.clip(train.astype(np.float64).mean(axis=0), 1e-7, 1 - 1e-7)
    t = test.astype(np.float64)
    pixel_mean = -np.mean(np.sum(t * np.log(p) + (1 - t) * np.log1p(-p), axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(t > 0, t * np.log(t), 0) + np.where(t < 1, (1 - t) * np.log1p(-t), 0))
    return {"pixel_mean": float(pixel_mean), "entropy_floor": float(np.mean(np.sum(h, axis=1)))}


def train_ours(train, epochs, batch, seed) -> VAE:
    vae = VAE(64, hidden=HIDDEN, latent=LATENT, seed=seed, dtype="float32")
    vae.fit(train, epochs=epochs, batch_size=batch, lr=1e-3, optimizer="adam", seed=seed)
    return vae


def train_torch(train, epochs, batch, seed, threads=2) -> VAE:
    """A PyTorch VAE of the same shape and batches; returned as an nnscratch VAE holding its weights."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(threads)

    def mlp(sizes):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    enc = mlp([64, *HIDDEN, 2 * LATENT])
    dec = mlp([LATENT, *reversed(HIDDEN), 64])
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    xt = torch.from_numpy(train)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(xt.shape[0]))
        for first in range(0, xt.shape[0], batch):
            xb = xt[order[first:first + batch]]
            out = enc(xb)
            mu, logvar = out[:, :LATENT], out[:, LATENT:]
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            u = dec(z)
            recon = nn.functional.binary_cross_entropy_with_logits(u, xb, reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())
            loss = (recon + kl) / xb.shape[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
    vae = VAE(64, hidden=HIDDEN, latent=LATENT, seed=0, dtype="float32")
    for name, net in (("encoder", enc), ("decoder", dec)):
        linears = [m for m in net if isinstance(m, nn.Linear)]
        target = getattr(vae, name).params
        for i, lin in enumerate(linears, start=1):
            target[f"W{i}"][...] = lin.weight.detach().numpy().T
            target[f"b{i}"][...] = lin.bias.detach().numpy()
    return vae


def recognised(vae: VAE, classifier, n: int = 1000) -> tuple[float, list[int]]:
    """Share of ``n`` generated images the classifier gives a class with probability ≥ 0.9; the
    counts of the predicted classes."""
    images = vae.sample(n, seed=0) * 16.0
    proba = classifier.predict_proba(images)
    counts = np.bincount(np.argmax(proba, axis=1), minlength=10).tolist()
    return float(np.mean(proba.max(axis=1) >= 0.9)), counts


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 seed: a smoke run")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--threads", type=int, default=2,
                        help="BLAS threads of NumPy (threadpoolctl) and PyTorch "
                             "(default 2; 1 on a busy machine)")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    epochs, seeds = (2, 1) if args.quick else (args.epochs, args.seeds)
    train, test = digits_split()
    result: dict = {"epochs": epochs, "batch_size": args.batch_size, "seeds": seeds,
                    "shape": f"64-{'-'.join(map(str, HIDDEN))}-{LATENT}", **baselines(train, test)}
    try:  # the same number of BLAS threads for both sides
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        result["threads_note"] = "threadpoolctl missing: NumPy's BLAS uses its default thread count"
    result["threads"] = args.threads
    contenders = {"nnscratch": train_ours}
    if not args.no_torch:
        try:
            import torch  # noqa: F401
            contenders["pytorch"] = train_torch
        except ImportError as exc:
            result["pytorch_skipped"] = str(exc)
    models = {}
    for name, fn in contenders.items():
        scores, times = [], []
        for seed in range(seeds):
            start = time.perf_counter()
            vae = fn(train, epochs, args.batch_size, seed) if fn is train_ours else fn(
                train, epochs, args.batch_size, seed, args.threads)
            times.append(time.perf_counter() - start)
            scores.append(vae.loss(test, seed=0, n_samples=10))
            models.setdefault(name, vae)
            print(f"{name} seed {seed}: {scores[-1]:.3f} nats ({times[-1]:.1f} s)", file=sys.stderr)
        result[name] = {"elbo": scores, "mean": float(np.mean(scores)), "std": float(np.std(scores)),
                        "seconds": float(np.mean(times))}
    if "pytorch" in result and isinstance(result["pytorch"], dict):
        result["ratio"] = result["nnscratch"]["mean"] / result["pytorch"]["mean"]
    from nnscratch import Model, RunSpec

    classifier = Model(RunSpec(epochs=5 if args.quick else 60)).fit()
    share, counts = recognised(models["nnscratch"], classifier)
    real = classifier.predict_proba(test * 16.0).max(axis=1)
    result.update(recognised=share, recognised_classes=counts, recognised_real=float(np.mean(real >= 0.9)))
    print(render(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return result


def render(r: dict) -> str:
    head = f"VAE {r['shape']} on digits, {r['epochs']} epochs, batch {r['batch_size']}, {r['seeds']} seed(s)"
    lines = [head, "", "| model | held-out −ELBO per image (nats) | train time |", "|---|---|---|"]
    for name in ("nnscratch", "pytorch"):
        if isinstance(r.get(name), dict):
            s = r[name]
            lines.append(f"| {name} | {s['mean']:.2f} ± {s['std']:.2f} | {s['seconds']:.1f} s |")
    lines.append(f"| pixel-mean baseline | {r['pixel_mean']:.2f} | — |")
    lines.append(f"| entropy floor (no Bernoulli model goes below) | {r['entropy_floor']:.2f} | — |")
    if "ratio" in r:
        lines.append(f"\nnnscratch / PyTorch = {r['ratio']:.4f}")
    lines.append(f"generated samples recognised (p ≥ 0.9): {r['recognised']:.1%} "
                 f"(held-out real digits: {r['recognised_real']:.1%}); classes {r['recognised_classes']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
