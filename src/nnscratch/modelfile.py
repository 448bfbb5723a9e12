"""A :class:`~nnscratch.Model` on disk: the network file of :mod:`nnscratch.io` plus one metadata schema.

The metadata (JSON inside the ``.npz``) holds, besides the network: ``task``, ``data`` (a name or the
file it came from), ``data_source``, ``feature_names``, ``target``, ``preprocess``, ``target_names``
(classification) or ``target_scaling`` (regression), ``image_shape``, ``training``, ``metrics``,
``history``, ``stream`` (rows learned online), ``spec`` (the :class:`~nnscratch.RunSpec`) and
``provenance`` (library version, date, data fingerprint); ``model_format`` is 2. Files written by
nnscratch 0.1.0's command line (``nnscratch_cli: 1``, no spec) load too; a network saved without this
metadata (``net.save``) loads as a model of raw numbers.

Loading checks every field against the schema below before anything uses it: a model file may come
from someone else, and a wrong type must give one line naming the field, not a traceback later.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch import __version__, _display, io
from nnscratch.datasets import Dataset
from nnscratch.layerstring import input_width
from nnscratch.preprocessing import Preprocessor, TargetEncoder
from nnscratch.report import format_table, format_table_html, preview, seconds
from nnscratch.spec import RunSpec
from nnscratch.training import History

if TYPE_CHECKING:  # pragma: no cover - the model module sits above this one
    from nnscratch.model import Model

MODEL_FORMAT = 2
_MODEL_KEYS = {"model_format", "nnscratch_cli", "task", "data", "data_source", "feature_names", "target",
               "preprocess", "target_names", "target_scaling", "image_shape", "training", "metrics",
               "history", "stream", "spec", "provenance"}
_MAX_TEXT = 4096


def save(model: Model, path: str | os.PathLike) -> None:
    """Write ``model`` with its metadata through :func:`nnscratch.io.save` (atomic, no pickle)."""
    net = model._check_fitted()
    meta: dict[str, Any] = {
        "model_format": MODEL_FORMAT,
        "task": model.task,
        "data": model.provenance.get("data", model.spec.data),
        "data_source": model.provenance.get("data_source", ""),
        "feature_names": list(model.feature_names or []),
        "target": model.target,
        "preprocess": model.preprocessor.to_dict(),
        **model.encoder.to_dict(),
        "training": dict(model.training),
        "metrics": model.metrics,
        "spec": model.spec.to_dict(),
        "provenance": {
            "nnscratch_version": __version__,
            "created": model.provenance.get("created") or datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds"),
            "data_fingerprint": model.provenance.get("data_fingerprint"),
        },
    }
    if model.history is not None:
        meta["history"] = {k: v for k, v in model.history.as_dict().items() if k != "epoch_time"}
    if model.image_shape is not None:
        meta["image_shape"] = list(model.image_shape)
    if model.stream is not None:
        meta["stream"] = dict(model.stream)
    io.save(net, path, metadata=meta)


def load(cls: type[Model], path: str | os.PathLike) -> Model:
    """Read and check a model file; see the module docstring for the schema."""
    net, meta = io.load_with_metadata(path)
    return _model(cls, net, meta, path)


def from_file_parts(cls: type[Model], net, meta: dict, path: str | os.PathLike):
    """What a network file read by :func:`nnscratch.io.load_with_metadata` holds: a Model when it
    carries a model's metadata, else the network itself."""
    if not _MODEL_KEYS & set(meta):
        return net
    return _model(cls, net, meta, path)


def _model(cls: type[Model], net, meta: dict, path: str | os.PathLike) -> Model:
    if not hasattr(net, "sizes") and not isinstance(meta.get("spec"), dict):  # a stack's model: has its spec
        raise ValueError(f"path: {os.fspath(path)!r} holds a Sequential stack, not a model; read it with "
                         f"nnscratch.io.load(path)")
    try:
        return _from_metadata(cls, net, meta)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"path: cannot load {os.fspath(path)!r}: its model metadata is invalid ({exc}); "
                         f"write the file again") from None


def _from_metadata(cls: type[Model], net, meta: dict) -> Model:
    shape = _typed(meta, "image_shape", list, None)
    n_in, n_out = _sizes(net, shape)
    task = "regression" if net.output == "identity" else "classification"
    n_classes = 2 if net.output == "sigmoid" and n_out == 1 else n_out
    if not _MODEL_KEYS & set(meta):  # a network saved with no model metadata (or only the user's own)
        meta = {}
    try:
        spec = RunSpec.from_dict(_typed(meta, "spec", dict, {})) if "spec" in meta else _old_spec(meta, net)
    except ValueError as exc:
        raise ValueError(f"spec: {exc}") from None
    model = cls(spec)
    model.network = net
    if meta:
        version = meta.get("model_format", 1)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MODEL_FORMAT:
            raise ValueError(f"model_format {version!r} is not one this nnscratch reads (1..{MODEL_FORMAT})")
        given = _typed(meta, "task", str, task)
        if given != task:
            raise ValueError(f"task {given!r} does not match the network's {net.output!r} output")
    model.task = task
    names = _typed(meta, "feature_names", list, None)
    if names is not None and (len(names) != n_in or not all(_short_text(n) for n in names)):
        raise ValueError(f"feature_names: expected {n_in} names, got {str(names)[:80]}")
    model.feature_names = names or None
    model.target = _typed(meta, "target", str, None)
    model.preprocessor = Preprocessor.from_dict(meta.get("preprocess"), n_in)
    model.encoder = TargetEncoder.from_dict(meta, task, n_classes if task == "classification" else None)
    if shape is not None and (len(shape) != 2 or not all(_count(v) for v in shape)):
        raise ValueError(f"image_shape: expected [rows, cols], got {shape!r}")
    model.image_shape = tuple(shape) if shape else None
    model.training = _flat_table(meta, "training")
    metrics = _typed(meta, "metrics", dict, {})
    model.metrics = {k: _flat_table(metrics, k, numbers=True, label=f"metrics.{k}") for k in metrics}
    history = _typed(meta, "history", dict, None)
    model.history = None if history is None else _history(history)
    stream = _typed(meta, "stream", dict, None)
    if stream is not None and not _count(stream.get("rows", 0), zero=True):
        raise ValueError(f"stream rows: expected a count ≥ 0, got {stream.get('rows')!r}")
    model.stream = stream
    model.provenance = {
        "data": _typed(meta, "data", str, None),
        "data_source": _typed(meta, "data_source", str, ""),
        **{k: v for k, v in _flat_table(meta, "provenance").items() if k != "data"},
    }
    return model


def _sizes(net, image_shape: list | None) -> tuple[int, int]:
    """(raw features, outputs) of a Network, or of a stack (its pixels C·H·W when it reads images)."""
    if hasattr(net, "sizes"):
        return net.sizes[0], net.sizes[-1]
    if image_shape is not None and (len(image_shape) != 2 or not all(_count(v) for v in image_shape)):
        raise ValueError(f"image_shape: expected [rows, cols], got {image_shape!r}")
    return input_width(net, tuple(image_shape) if image_shape else None), net.n_out


def _old_spec(meta: dict, net) -> RunSpec:
    """The RunSpec a 0.1.0 command-line model implies (its data, split and training settings)."""
    t = _flat_table(meta, "training")
    fields: dict[str, Any] = {"hidden_sizes": tuple(net.sizes[1:-1]), "hidden": list(net.hidden) or "relu",
                              "output": net.output, "loss": net.loss_name, "dtype": net.dtype.name}
    if not net.hidden:
        fields["hidden"] = "relu"
    elif len(set(net.hidden)) == 1:
        fields["hidden"] = net.hidden[0]
    else:
        fields["hidden"] = tuple(net.hidden)
    data = meta.get("data")
    fields["data"] = data if isinstance(data, str) and data else "unknown"  # a bare network names no data
    for key in ("optimizer", "lr", "batch_size", "weight_decay", "seed", "split_seed", "val_split",
                "test_split"):
        if t.get(key) is not None:
            fields[key] = t[key]
    if isinstance(meta.get("preprocess"), dict) and meta["preprocess"].get("kind") in ("standardize", "scale",
                                                                                      "none"):
        fields["preprocess"] = meta["preprocess"]["kind"]
    return RunSpec(**fields)


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


def _history(data: dict) -> History:
    for name in History._LISTS:
        values = data.get(name, [])
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   for v in values):
            raise ValueError(f"history.{name}: expected a list of numbers")
    for name in ("steps", "stopped_epoch", "best_epoch"):
        v = data.get(name)
        if v is not None and not _count(v, zero=True):
            raise ValueError(f"history.{name}: expected a count, got {v!r}")
    return History.from_dict(data)


# ================================================================ the summary


def describe(model: Model, metrics: bool = True) -> str:
    """What ``nnscratch summary`` prints: layers, data, preprocessing, classes, training, metrics (the
    table left out with ``metrics=False``)."""

    net = model._check_fitted()
    lines = [net.summary()]
    if not model.provenance.get("data") and not model.training and not model.feature_names:
        lines.append("no training metadata (saved from Python without metadata): inputs and outputs are "
                     "raw numbers")
        return "\n".join(lines)
    lines.append("")
    if model.provenance.get("data"):
        lines.append(f"data           {model.provenance['data']} ({model.task})")
    if model.feature_names:
        lines.append(f"features       {len(model.feature_names)}: {preview(model.feature_names)}")
    if model.task == "classification" and model.encoder.classes:
        lines.append(f"classes        {len(model.encoder.classes)}: {preview(model.encoder.classes, 10)}")
    if model.target:
        lines.append(f"target         {model.target}")
    lines.append(f"preprocessing  {model.preprocessor.describe()}")
    t = model.training
    if t:
        lines.append(f"training       {t.get('optimizer')} lr={t.get('lr')}, {t.get('epochs')} epochs, batch "
                     f"{t.get('batch_size') or 'full'}, seed {t.get('seed')}, "
                     f"{seconds(float(t.get('seconds') or 0))}")
    if model.stream:
        lines.append(f"online updates {model.stream.get('rows', 0):,} rows from 'nnscratch stream'")
    if model.metrics and metrics:
        lines += ["", format_table(list(model.metrics.items()))]
    return "\n".join(lines)


def describe_html(model: Model) -> str:
    """What a notebook shows for a Model: the metrics table, the summary and the network's diagram."""
    if model.network is None:
        return f"<pre>{_display.escape(repr(model))}</pre>"
    html = format_table_html(list(model.metrics.items()), caption=repr(model)) if model.metrics else ""
    text = describe(model, metrics=not model.metrics)  # the metrics are the HTML table above
    html += f'<pre style="line-height:1.3;font-family:monospace">{_display.escape(text)}</pre>'
    return html + _display.image(_display.picture("network", model.network), "network diagram")


def fingerprint(data: Dataset) -> str:
    """SHA-256 of the data's arrays (the first 16 hex digits): the same data gives the same print."""
    h = hashlib.sha256()
    for a in (data.x, data.y):
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()[:16]
