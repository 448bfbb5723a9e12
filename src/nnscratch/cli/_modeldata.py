"""What a CLI model carries besides its network: preprocessing, target scaling, splits, metrics.

These helpers are kept together, unchanged in behaviour, so that ``nnscratch.model.Model`` and
``nnscratch.spec.RunSpec`` can take them over in one move.

- preprocessing (前処理), fitted on the training part only: ``standardize`` z = (x − μ) / σ per feature,
  ``scale`` z = x / max|x| (images), or ``none``;
- regression targets are trained standardised, y' = (y − μ_y) / σ_y, and reported in their own units;
- the validation/test split is stratified for classes and seeded (``split_seed``) so runs compare.
"""

from __future__ import annotations

import numpy as np

from nnscratch.datasets import Standardizer, train_test_split, train_val_test_split


def features_for(meta: dict, n_in: int) -> list[str] | None:
    """The model's feature (column) names, when it records one per input."""
    names = meta.get("feature_names")
    return list(names) if isinstance(names, list) and len(names) == n_in else None


def fit_preprocess(kind: str, x_train, image: bool) -> dict:
    """The preprocessing ``kind`` (``auto``: scale for images, else standardize) fitted on ``x_train``."""
    if kind == "auto":
        kind = "scale" if image else "standardize"
    if kind == "standardize":
        return {"kind": "standardize", **Standardizer().fit(x_train).to_dict()}
    if kind == "scale":
        top = float(np.max(np.abs(x_train))) if x_train.size else 1.0
        return {"kind": "scale", "scale": top if top > 0 else 1.0}
    return {"kind": "none"}


def apply_preprocess(pre: dict | None, x) -> np.ndarray:
    """``x`` (raw rows) as the network sees them, float32."""
    x = np.asarray(x, dtype=np.float32)
    kind = (pre or {}).get("kind", "none")
    if kind == "standardize":
        s = Standardizer.from_dict(pre)
        if s.mean.shape != (x.shape[1],):
            raise ValueError(
                f"x: the model's standardisation has {s.mean.size} columns, the data {x.shape[1]}"
            )
        return s.transform(x).astype(np.float32)
    if kind == "scale":
        return (x / np.float32(pre["scale"])).astype(np.float32)
    if kind == "none":
        return x
    raise ValueError(f"the model's metadata has an unknown preprocessing {kind!r}")


def scale_target(meta: dict, y) -> np.ndarray:
    """Regression targets in the network's units: (y − μ_y) / σ_y when the model records the scaling."""
    ts = meta.get("target_scaling")
    y = np.asarray(y, dtype=np.float32)
    if ts:
        return ((y - ts["mean"]) / ts["std"]).astype(np.float32)
    return y


def unscale_target(meta: dict, y) -> np.ndarray:
    """The network's outputs back in the target's own units: y·σ_y + μ_y (float64)."""
    ts = meta.get("target_scaling")
    y = np.asarray(y, dtype=np.float64)
    return y * ts["std"] + ts["mean"] if ts else y


def metrics(net, meta: dict, x, y_model) -> dict:
    """Loss and accuracy (classification) or loss, RMSE and R² in the target's units (regression).

    ``x`` is preprocessed; ``y_model`` is what the network trains on (labels, or scaled targets).
    RMSE = √(mean (ŷ − y)²), R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)² (決定係数).
    """
    if len(x) == 0:
        return {}
    out = {"loss": float(net.loss(x, y_model))}
    if net.output != "identity":
        out["accuracy"] = float(net.accuracy(x, y_model))
    else:
        pred = unscale_target(meta, net.predict(x)).reshape(len(x), -1)
        truth = unscale_target(meta, y_model).reshape(len(x), -1)
        err = pred - truth
        out["rmse"] = float(np.sqrt(np.mean(err**2)))
        ss_tot = float(np.sum((truth - truth.mean(axis=0)) ** 2))
        out["r2"] = float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan")
    out["samples"] = int(len(x))
    return out


def split_data(data, val_split: float, test_split: float, split_seed: int):
    """(x, y) for train, validation and test: the data set's own test set when it has one."""
    strat = data.task == "classification"
    if data.test is not None:
        test = (data.test.x, data.test.y)
        if val_split > 0:
            xtr, xva, ytr, yva = train_test_split(data.x, data.y, val_split, stratify=strat, seed=split_seed)
        else:
            xtr, ytr, xva, yva = data.x, data.y, data.x[:0], data.y[:0]
        return (xtr, ytr), (xva, yva), test
    if len(data.x) < 3 and (val_split or test_split):
        raise ValueError(f"data: {data.name!r} has {len(data.x)} rows; too few to split off validation/test")
    if val_split + test_split >= 1:
        raise ValueError(f"--val-split + --test-split: expected less than 1, got {val_split + test_split:g}")
    parts = train_val_test_split(data.x, data.y, val_split, test_split, stratify=strat, seed=split_seed)
    return tuple((np.asarray(a), np.asarray(b)) for a, b in parts)


def align(data, meta: dict, net):
    """Features in the model's column order and targets in the model's label space."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    names = features_for(meta, n_in)
    if names and set(names) <= set(data.feature_names):
        x = data.x[:, [data.feature_names.index(n) for n in names]]
    elif data.n_features == n_in:
        x = data.x
    else:
        raise ValueError(f"data: the model expects {n_in} features, {data.name!r} has {data.n_features}")
    if net.output == "identity":
        if data.task != "regression":
            raise ValueError(
                f"data: the model predicts numbers (regression), but {data.name!r} has class labels"
            )
        return x, scale_target(meta, data.y)
    if data.task != "classification":
        raise ValueError(
            f"data: the model predicts classes, but {data.name!r} has numeric (regression) targets"
        )
    model_names = meta.get("target_names") or [str(i) for i in range(n_out)]
    index = {n: i for i, n in enumerate(model_names)}
    given = data.target_names or [str(i) for i in range(int(data.y.max()) + 1)]
    unknown = sorted({given[i] for i in np.unique(data.y)} - set(index))
    if unknown:
        raise ValueError(
            f"data: class(es) {', '.join(map(repr, unknown[:5]))} in {data.name!r} are unknown to the model, "
            f"which knows {', '.join(map(repr, model_names[:10]))}"
        )
    mapping = np.array([index.get(n, -1) for n in given])
    return x, mapping[data.y]
