"""生成モデルの分類器: class-conditional Gaussians p(x | k) = N(x; μ_k, Σ_k) and Bayes' rule.

A generative classifier (生成モデル) learns how each class makes its data, p(x | k), and the class
frequencies p(k) = π_k, and classifies through Bayes' rule (ベイズの定理)

    p(k | x) = π_k N(x; μ_k, Σ_k) / Σ_j π_j N(x; μ_j, Σ_j),

where a discriminative one (識別モデル: logistic regression, the MLP) learns p(k | x) directly. Because it
models x itself it can also *make* new points: draw k ~ π, then x ~ N(μ_k, Σ_k).

Maximum likelihood (最尤推定) fits, per class k with n_k of the N points:

    π_k = n_k / N,   μ_k = (1/n_k) Σ_{i∈k} x_i,   Σ_k = (1/n_k) Σ_{i∈k} (x_i − μ_k)(x_i − μ_k)ᵀ

(the biased 1/n_k estimate, not 1/(n_k − 1)), or with ``shared_covariance=True`` one pooled
Σ = (1/N) Σ_k Σ_{i∈k} (x_i − μ_k)(x_i − μ_k)ᵀ = Σ_k π_k Σ_k. One Σ per class is quadratic discriminant
analysis (二次判別分析, QDA: curved boundaries); the shared one is linear discriminant analysis (線形判別分析,
LDA: straight boundaries, the generative twin of logistic regression). scikit-learn's
``LinearDiscriminantAnalysis(store_covariance=True).covariance_`` is the same pooled ML estimate;
its ``QuadraticDiscriminantAnalysis.covariance_`` is the per-class ML one in scikit-learn 1.9 (earlier
releases stored the unbiased 1/(n_k − 1) estimate; the tests accept either, each to 1e-10).

Everything is computed in log space through the Cholesky factor Σ = LLᵀ:
log N(x; μ, Σ) = −½ [D log 2π + 2 Σ_d log L_dd + ‖L⁻¹(x − μ)‖²], and the posterior is normalised with
the log-sum-exp trick, so points far from every class still get finite, correct probabilities.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GaussianClassifier"]

_LOG_2PI = float(np.log(2 * np.pi))


def _as_points(x: object, name: str = "x", n_features: int | None = None) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == object or a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {a.dtype}")
    if a.ndim == 1 and n_features is not None and a.shape[0] == n_features:
        a = a[None, :]
    if a.ndim != 2 or a.shape[0] == 0 or (n_features is not None and a.shape[1] != n_features):
        want = f"(N, {n_features})" if n_features is not None else "(N, D) with N ≥ 1"
        raise ValueError(f"{name}: expected shape {want}, got {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: contains NaN or inf; expected finite numbers")
    return a


class GaussianClassifier:
    """Class-conditional Gaussians fitted by maximum likelihood, classifying by Bayes' rule.

    >>> import numpy as np
    >>> x = np.array([[0.0, 0.1], [0.2, -0.1], [-0.1, 0.0], [3.0, 3.1], [3.2, 2.9], [2.9, 3.0]])
    >>> clf = GaussianClassifier(shared_covariance=True).fit(x, [0, 0, 0, 1, 1, 1])
    >>> clf.predict([[0.1, 0.0], [3.0, 3.0]]).tolist()
    [0, 1]

    ``reg`` adds reg·I to every covariance (a small ridge for classes with fewer points than
    dimensions, where the ML estimate is singular); 0 by default, the plain ML fit.
    Fitted: ``classes_`` (K,), ``means_`` (K, D), ``covariances_`` (K, D, D; all equal when shared),
    ``priors_`` (K,), all float64.
    """

    def __init__(self, shared_covariance: bool = False, reg: float = 0.0) -> None:
        if not isinstance(shared_covariance, (bool, np.bool_)):
            raise TypeError(f"shared_covariance: expected True or False, got {shared_covariance!r}")
        if isinstance(reg, bool) or not isinstance(reg, (int, float)) or not (reg >= 0 and np.isfinite(reg)):
            raise ValueError(f"reg: expected a non-negative number, got {reg!r}")
        self.shared_covariance = bool(shared_covariance)
        self.reg = float(reg)

    # ------------------------------------------------------------ fitting

    def fit(self, x: object, y: object) -> GaussianClassifier:
        """Maximum-likelihood π_k, μ_k and Σ_k (or the pooled Σ) from points ``x`` (N, D) and labels ``y``
        (N,); the classes are the sorted distinct labels. Returns ``self``."""
        xs = _as_points(x)
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != xs.shape[0]:
            raise ValueError(
                f"y: expected one label per row of x, shape ({xs.shape[0]},), got {labels.shape}"
            )
        classes, index, counts = np.unique(labels, return_inverse=True, return_counts=True)
        if classes.shape[0] < 2:
            raise ValueError(f"y: expected at least two classes, got {classes.tolist()}")
        n, dim = xs.shape
        means = np.stack([xs[index == k].mean(axis=0) for k in range(len(classes))])
        centred = xs - means[index]
        scatter = np.stack([centred[index == k].T @ centred[index == k] for k in range(len(classes))])
        if self.shared_covariance:
            pooled = scatter.sum(axis=0) / n
            covs = np.broadcast_to(pooled, scatter.shape).copy()
        else:
            covs = scatter / counts[:, None, None]
        covs = covs + self.reg * np.eye(dim)
        chols = []
        for k, cov in enumerate(covs):
            try:
                chols.append(np.linalg.cholesky(cov))
            except np.linalg.LinAlgError:
                raise ValueError(
                    f"x: the covariance of class {classes[k]!r} is singular ({counts[k]} points in {dim} "
                    f"dimensions, or points on a line); expected more points, or reg > 0"
                ) from None
        self.classes_ = classes
        self.means_ = means
        self.covariances_ = covs
        self.priors_ = counts / n
        self._chols = np.stack(chols)
        self._log_dets = 2 * np.log(np.diagonal(self._chols, axis1=1, axis2=2)).sum(axis=1)
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "means_"):
            raise ValueError("GaussianClassifier: not fitted yet; call fit(x, y) first")

    # ------------------------------------------------------------ densities and Bayes' rule

    def class_log_density(self, x: object) -> np.ndarray:
        """log p(x | k) for every row of ``x`` and class k: shape (N, K)."""
        self._fitted()
        xs = _as_points(x, n_features=self.means_.shape[1])
        out = np.empty((xs.shape[0], len(self.classes_)))
        for k, (mean, chol) in enumerate(zip(self.means_, self._chols, strict=True)):
            white = np.linalg.solve(chol, (xs - mean).T)  # L⁻¹(x − μ): its squared length is Mahalanobis
            out[:, k] = -0.5 * (xs.shape[1] * _LOG_2PI + self._log_dets[k] + np.sum(white**2, axis=0))
        return out

    def predict_log_proba(self, x: object) -> np.ndarray:
        """log p(k | x) = log π_k + log p(x | k) − log Σ_j π_j p(x | j), by log-sum-exp: (N, K)."""
        joint = self.class_log_density(x) + np.log(self.priors_)
        top = joint.max(axis=1, keepdims=True)
        return joint - (top + np.log(np.sum(np.exp(joint - top), axis=1, keepdims=True)))

    def predict_proba(self, x: object) -> np.ndarray:
        """事後確率 p(k | x), rows summing to 1: shape (N, K), columns in the order of ``classes_``."""
        return np.exp(self.predict_log_proba(x))

    def predict(self, x: object) -> np.ndarray:
        """The most probable class of each row (argmax of the posterior), as labels of ``classes_``."""
        joint = self.class_log_density(x) + np.log(self.priors_)
        return self.classes_[np.argmax(joint, axis=1)]

    def score(self, x: object, y: object) -> float:
        """正解率: the fraction of rows whose predicted class equals ``y``."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

    def log_likelihood(self, x: object) -> np.ndarray:
        """log p(x) = log Σ_k π_k p(x | k) of every row: the fitted mixture's density, (N,)."""
        joint = self.class_log_density(x) + np.log(self.priors_)
        top = joint.max(axis=1)
        return top + np.log(np.sum(np.exp(joint - top[:, None]), axis=1))

    # ------------------------------------------------------------ generating

    def sample(
        self, n: int, label: object = None, seed: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Make ``n`` new points: (x of shape (n, D), their labels (n,)).

        With ``label=None`` each point's class is drawn from the priors π, otherwise every point is of
        class ``label``; then x = μ_k + L_k ε with ε ~ N(0, I) (Σ_k = L_k L_kᵀ), so x ~ N(μ_k, Σ_k).
        """
        self._fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n: expected a positive number of points, got {n!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if label is None:
            index = rng.choice(len(self.classes_), size=int(n), p=self.priors_)
        else:
            where = np.flatnonzero(self.classes_ == label)
            if where.size != 1:
                raise ValueError(
                    f"label: {label!r} is not a fitted class; expected one of {self.classes_.tolist()}"
                )
            index = np.full(int(n), where[0])
        eps = rng.standard_normal((int(n), self.means_.shape[1]))
        x = self.means_[index] + np.einsum("nij,nj->ni", self._chols[index], eps)
        return x, self.classes_[index]

    def __repr__(self) -> str:
        reg = f", reg={self.reg:g}" if self.reg else ""
        return f"GaussianClassifier(shared_covariance={self.shared_covariance}{reg})"
