"""What a model file holds: the schema of a :class:`~nnscratch.Model`'s metadata, in plain values.

A model file is a network file (:mod:`nnscratch.files.network`) whose user metadata (JSON inside the
``.npz``) holds, besides the network: ``task``, ``data`` (a name or the file it came from),
``data_source``, ``feature_names``, ``target``, ``preprocess``, ``target_names`` and ``class_values``
(classification: the classes' names, and their values when they were numbers) or
``target_scaling`` (regression), ``image_shape``, ``training``, ``metrics``, ``history``, ``stream``
(rows learned online), ``spec`` (the :class:`~nnscratch.RunSpec`) and ``provenance`` (library version,
date, data fingerprint); ``model_format`` is 2. Files written by nnscratch 0.1.0's command line
(``nnscratch_cli: 1``, no spec) load too; a network saved without this metadata (``net.save``) is no
model (:func:`is_model`).

:func:`model_fields` checks every field against the schema before anything uses it — a model file may
come from someone else, and a wrong type must give one line naming the field, not a traceback later —
and returns plain values (dicts, lists, names); the Model builds its RunSpec, scaling, encoder and
history from them (:mod:`nnscratch.modelparts`). The nested ``preprocess``, target encoding and
``spec`` are checked by the classes that read them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MODEL_FORMAT", "MODEL_KEYS", "HISTORY_LISTS", "is_model", "model_metadata", "image_shape",
           "model_fields"]

MODEL_FORMAT = 2
MODEL_KEYS = frozenset({
    "model_format", "nnscratch_cli", "task", "data", "data_source", "feature_names", "target", "preprocess",
    "target_names", "class_values", "target_scaling", "image_shape", "training", "metrics", "history",
    "stream", "spec", "provenance",
})
# the per-epoch lists of History.as_dict (tests/test_model.py checks that they agree)
HISTORY_LISTS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time")
_MAX_TEXT = 4096


def is_model(meta: dict) -> bool:
    """Whether a network file's user metadata is a model's (holds any of :data:`MODEL_KEYS`)."""
    return bool(MODEL_KEYS & set(meta))


def model_metadata(fields: dict[str, Any]) -> dict[str, Any]:
    """The metadata a model file stores: ``fields`` (only :data:`MODEL_KEYS`) and the format's version."""
    unknown = sorted(set(fields) - MODEL_KEYS)
    if unknown:
        raise ValueError(f"fields: {unknown} are not fields of a model file; expected {sorted(MODEL_KEYS)}")
    return {"model_format": MODEL_FORMAT, **fields}


def image_shape(meta: dict) -> tuple[int, int] | None:
    """The checked ``image_shape`` (rows, cols) of a model file's metadata, or None: a stack that reads
    images needs it to know its raw features before :func:`model_fields` can check them."""
    shape = _typed(meta, "image_shape", list, None) if is_model(meta) else None
    if shape is not None and (len(shape) != 2 or not all(_count(v) for v in shape)):
        raise ValueError(f"image_shape: expected [rows, cols], got {shape!r}")
    return tuple(shape) if shape else None


def model_fields(meta: dict, n_in: int, n_out: int, output: str) -> dict[str, Any]:
    """The checked plain values of a model file's metadata ``meta`` for a network of ``n_in`` raw
    features, ``n_out`` outputs and the ``output`` activation; a bad field is a ValueError naming it. A
    network without model metadata gives the fields of a model of raw numbers (every field empty)."""
    task = "regression" if output == "identity" else "classification"
    if not is_model(meta):  # a network saved with no model metadata (or only the user's own)
        meta = {}
    if meta:
        version = meta.get("model_format", 1)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MODEL_FORMAT:
            raise ValueError(f"model_format {version!r} is not one this nnscratch reads (1..{MODEL_FORMAT})")
        given = _typed(meta, "task", str, task)
        if given != task:
            raise ValueError(f"task {given!r} does not match the network's {output!r} output")
    names = _typed(meta, "feature_names", list, None)
    if names is not None and (len(names) != n_in or not all(_short_text(n) for n in names)):
        raise ValueError(f"feature_names: expected {n_in} names, got {str(names)[:80]}")
    metrics = _typed(meta, "metrics", dict, {})
    history = _typed(meta, "history", dict, None)
    stream = _typed(meta, "stream", dict, None)
    if stream is not None and not _count(stream.get("rows", 0), zero=True):
        raise ValueError(f"stream rows: expected a count ≥ 0, got {stream.get('rows')!r}")
    return {
        "spec": _typed(meta, "spec", dict, {}) if "spec" in meta else None,
        "task": task,
        "n_classes": None if task == "regression" else 2 if output == "sigmoid" and n_out == 1 else n_out,
        "feature_names": names or None,
        "target": _typed(meta, "target", str, None),
        "preprocess": meta.get("preprocess"),
        "encoding": {k: meta[k] for k in ("target_names", "class_values", "target_scaling") if k in meta},
        "image_shape": image_shape(meta),
        "training": _flat_table(meta, "training"),
        "metrics": {k: _flat_table(metrics, k, numbers=True, label=f"metrics.{k}") for k in metrics},
        "history": None if history is None else _history(history),
        "stream": stream,
        "provenance": {
            "data": _typed(meta, "data", str, None),
            "data_source": _typed(meta, "data_source", str, ""),
            **{k: v for k, v in _flat_table(meta, "provenance").items() if k != "data"},
        },
    }


def _typed(meta: dict, key: str, kind: type, default: Any) -> Any:
    value = meta.get(key, default)
    if value is None or value is default:
        return value
    if not isinstance(value, kind) or (kind is str and len(value) > _MAX_TEXT):
        raise ValueError(f"{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _short_text(v: object) -> bool:
    return isinstance(v, str) and len(v) <= 200


def _count(v: object, zero: bool = False) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and (v >= 0 if zero else v > 0)


def _scalar(v: object) -> bool:
    return v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= _MAX_TEXT)


def _flat_table(meta: dict, key: str, numbers: bool = False, label: str = "") -> dict[str, Any]:
    """A table of plain values (a list of them at most one level deep), e.g. ``training``."""
    label = label or key
    table = _typed(meta, key, dict, {})
    for k, v in table.items():
        ok = _scalar(v) or (isinstance(v, list) and len(v) <= 64 and all(_scalar(x) for x in v))
        if numbers:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not ok:
            raise ValueError(f"{label}.{k}: expected {'a number' if numbers else 'a plain value'}, got "
                             f"{str(v)[:60]}")
    return dict(table)


def _history(data: dict) -> dict:
    """A history's lists of numbers and its counts; the rest is checked by ``History.from_dict``."""
    for name in HISTORY_LISTS:
        values = data.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   for v in values):
            raise ValueError(f"history.{name}: expected a list of numbers")
    for name in ("steps", "stopped_epoch", "best_epoch"):
        v = data.get(name)
        if v is not None and not _count(v, zero=True):
            raise ValueError(f"history.{name}: expected a count, got {v!r}")
    return data
