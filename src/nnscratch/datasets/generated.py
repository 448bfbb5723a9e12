"""Generated data sets (生成データ): seeded, no download, a few hundred rows each.

Every function takes ``n_samples`` and ``seed`` (an int, a ``numpy.random.Generator`` or ``None``)
and returns a :class:`~nnscratch.datasets.Dataset` with float32 ``x``. The same seed always gives
the same rows.
"""

from __future__ import annotations

import numpy as np

from nnscratch.datasets._base import Dataset

__all__ = ["linear", "xor", "moons", "circles", "spiral", "blobs", "animals"]

GENERATED = "generated (nnscratch, seeded)"


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed: expected an integer, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(seed)


def _count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: expected an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _noise(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value >= 0:
        raise ValueError(f"noise: expected a non-negative number, got {value!r}")
    return float(value)


def _per_class(n_samples: int, k: int) -> list[int]:
    """Split n_samples into k class sizes differing by at most one."""
    return [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order], y[order]


def linear(n_samples: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0) -> Dataset:
    """The course's online-SGD target f(x) = 3·x₀ + 2·x₁ with x uniform in [0, 1)² (回帰).

    ``noise`` adds N(0, noise²) to the targets.
    """
    n = _count("n_samples", n_samples)
    rng = _rng(seed)
    x = rng.random((n, 2))
    y = 3.0 * x[:, 0] + 2.0 * x[:, 1]
    if _noise(noise):
        y = y + noise * rng.standard_normal(n)
    return Dataset(
        x.astype(np.float32), y.astype(np.float32), "regression", name="linear",
        feature_names=["x0", "x1"], target="f(x)",
        description="f(x) = 3·x0 + 2·x1, x uniform in [0, 1)² (the course's online SGD exercise)",
        source=GENERATED,
    )


def xor(n_samples: int = 200, noise: float = 0.0, seed: int | np.random.Generator | None = 0) -> Dataset:
    """XOR (排他的論理和): x uniform in [−1, 1]², class 1 where x₀ and x₁ have opposite signs.

    Not linearly separable: a network needs a hidden layer. ``noise`` jitters the points after labelling.
    """
    n = _count("n_samples", n_samples)
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.intp)
    if _noise(noise):
        x = x + noise * rng.standard_normal(x.shape)
    return Dataset(
        x.astype(np.float32), y, "classification", name="xor", feature_names=["x0", "x1"],
        target_names=["same sign", "opposite sign"], target="class",
        description="XOR: class 1 where x0 and x1 have opposite signs (not linearly separable)",
        source=GENERATED,
    )


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | np.random.Generator | None = 0) -> Dataset:
    """Two interleaving half circles (the two-moons problem), Gaussian noise of std ``noise``.

    >>> data = moons(n_samples=100, noise=0.2)
    >>> data.x.shape, sorted(set(data.y.tolist()))
    ((100, 2), [0, 1])
    """
    n = _count("n_samples", n_samples, 2)
    rng = _rng(seed)
    n0, n1 = _per_class(n, 2)
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n1)
    x = np.vstack([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    y = np.repeat(np.arange(2), [n0, n1])
    x = x + _noise(noise) * rng.standard_normal(x.shape)
    x, y = _shuffled(rng, x, y)
    return Dataset(
        x.astype(np.float32), y.astype(np.intp), "classification", name="moons",
        feature_names=["x0", "x1"], target_names=["upper moon", "lower moon"], target="class",
        description="two interleaving half circles", source=GENERATED,
    )


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | np.random.Generator | None = 0
) -> Dataset:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1).

    >>> data = circles(n_samples=100)
    >>> data.x.shape, int(data.y.sum())
    ((100, 2), 50)
    """
    n = _count("n_samples", n_samples, 2)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"factor: expected a number in (0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out, n_in = _per_class(n, 2)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        factor * np.column_stack([np.cos(t_in), np.sin(t_in)]),
    ])
    y = np.repeat(np.arange(2), [n_out, n_in])
    x = x + _noise(noise) * rng.standard_normal(x.shape)
    x, y = _shuffled(rng, x, y)
    return Dataset(
        x.astype(np.float32), y.astype(np.intp), "classification", name="circles",
        feature_names=["x0", "x1"], target_names=["outer", "inner"], target="class",
        description="a small circle inside a large one", source=GENERATED,
    )


def spiral(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int | np.random.Generator | None = 0
) -> Dataset:
    """K interleaved spiral arms (the CS231n spiral): arm k at angle t ∈ [4k, 4k + 4], radius r ∈ [0, 1]."""
    n = _count("n_samples", n_samples, 1)
    k = _count("n_classes", n_classes, 2)
    if n < k:
        raise ValueError(f"n_samples: expected at least one sample per class ({k}), got {n}")
    rng = _rng(seed)
    noise = _noise(noise)
    xs, ys = [], []
    for c, m in enumerate(_per_class(n, k)):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * c, 4.0 * (c + 1), m) + noise * rng.standard_normal(m)
        xs.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        ys.append(np.full(m, c))
    x, y = _shuffled(rng, np.vstack(xs), np.concatenate(ys))
    return Dataset(
        x.astype(np.float32), y.astype(np.intp), "classification", name="spiral",
        feature_names=["x0", "x1"], target_names=[f"arm {c}" for c in range(k)], target="class",
        description=f"{k} interleaved spiral arms", source=GENERATED,
    )


def blobs(
    n_samples: int = 300,
    n_classes: int = 3,
    n_features: int = 2,
    spread: float = 1.0,
    seed: int | np.random.Generator | None = 0,
) -> Dataset:
    """Gaussian blobs: K centres drawn uniformly in [−8, 8]^n_features, each class N(centre, spread²)."""
    n = _count("n_samples", n_samples, 1)
    k = _count("n_classes", n_classes, 1)
    f = _count("n_features", n_features, 1)
    if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not spread > 0:
        raise ValueError(f"spread: expected a positive number, got {spread!r}")
    rng = _rng(seed)
    centres = rng.uniform(-8.0, 8.0, (k, f))
    counts = _per_class(n, k)
    y = np.repeat(np.arange(k), counts)
    x = centres[y] + spread * rng.standard_normal((n, f))
    x, y = _shuffled(rng, x, y)
    return Dataset(
        x.astype(np.float32), y.astype(np.intp), "classification", name="blobs",
        feature_names=[f"x{j}" for j in range(f)], target_names=[f"blob {c}" for c in range(k)],
        target="class", description=f"{k} Gaussian blobs in {f} dimensions", source=GENERATED,
    )


# The course's P20 example (動物分類): body area, number of legs, fur length, number of teeth.
# Per class: body area in m² (log-normal around a typical adult), usual leg count (now and then one
# fewer), fur length in cm (normal, ≥ 0; birds have feathers, not fur → 0) and the adult tooth count
# (now and then a few missing).
ANIMALS = {
    #          area m² (median, log-sd)  legs  fur cm (mean, sd)  teeth
    "cat":     ((0.20, 0.25),            4,    (3.0, 1.0),        30),
    "dog":     ((0.60, 0.45),            4,    (4.0, 2.0),        42),
    "horse":   ((4.50, 0.15),            4,    (1.5, 0.5),        40),
    "chicken": ((0.08, 0.25),            2,    (0.0, 0.0),         0),
}
ANIMAL_FEATURES = ["body_area_m2", "legs", "fur_length_cm", "teeth"]


def animals(n_samples: int = 400, seed: int | np.random.Generator | None = 0) -> Dataset:
    """The course's P20 animal classification (動物分類) with four features — body area (体の面積),
    number of legs (足の数), fur length (毛の長さ), number of teeth (歯の数) — and four classes
    (cat, dog, horse, chicken) drawn from plausible per-class distributions.

    >>> data = animals(n_samples=40)
    >>> data.feature_names[:2], data.x.shape
    (['body_area_m2', 'legs'], (40, 4))
    """
    n = _count("n_samples", n_samples, len(ANIMALS))
    rng = _rng(seed)
    rows, labels = [], []
    for c, (m, ((area, log_sd), legs, (fur, fur_sd), teeth)) in enumerate(
        zip(_per_class(n, len(ANIMALS)), ANIMALS.values(), strict=True)
    ):
        body = area * np.exp(log_sd * rng.standard_normal(m))
        n_legs = legs - (rng.random(m) < 0.02)                      # an injured animal now and then
        fur_len = np.maximum(0.0, fur + fur_sd * rng.standard_normal(m))
        n_teeth = teeth - rng.binomial(teeth, 0.03, m) if teeth else np.zeros(m)
        rows.append(np.column_stack([body, n_legs, fur_len, n_teeth]))
        labels.append(np.full(m, c))
    x, y = _shuffled(rng, np.vstack(rows), np.concatenate(labels))
    return Dataset(
        x.astype(np.float32), y.astype(np.intp), "classification", name="animals",
        feature_names=list(ANIMAL_FEATURES), target_names=list(ANIMALS), target="animal",
        description="the course's P20 example: classify animals from 4 features", source=GENERATED,
    )
