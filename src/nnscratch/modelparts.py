"""A :class:`~nnscratch.Model`'s parts beside its network: its file's values and its summary.

The model file's schema — which fields, of which types — is :mod:`nnscratch.files.model`, which checks
every field and returns plain values; this module turns a Model into those values (:func:`save`) and
builds a Model from them (:func:`load`, :func:`from_file_parts`): its :class:`~nnscratch.RunSpec`
(the one a 0.1.0 command-line file implies, when it has none), feature scaling, target encoding and
history. :func:`describe` is what ``nnscratch summary`` prints.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from nnscratch import __version__, _display, io
from nnscratch.datasets import Dataset
from nnscratch.files import model as schema
from nnscratch.layerstring import input_width
from nnscratch.network import Network, Sequential
from nnscratch.preprocessing import Preprocessor, TargetEncoder
from nnscratch.report import format_table, format_table_html, preview, seconds
from nnscratch.spec import RunSpec
from nnscratch.training import History

if TYPE_CHECKING:  # pragma: no cover - the model module sits above this one
    from nnscratch.model import Model


def save(model: Model, net: Sequential, path: str | os.PathLike) -> None:
    """Write ``model`` (fitted: ``net`` is its network) with its metadata through
    :func:`nnscratch.io.save` (atomic, no pickle)."""
    fields: dict[str, Any] = {
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
        fields["history"] = {k: v for k, v in model.history.as_dict().items() if k != "epoch_time"}
    if model.image_shape is not None:
        fields["image_shape"] = list(model.image_shape)
    if model.stream is not None:
        fields["stream"] = dict(model.stream)
    io.save(net, path, metadata=schema.model_metadata(fields))


def load(cls: type[Model], path: str | os.PathLike) -> Model:
    """Read and check a model file (:mod:`nnscratch.files.model` is its schema)."""
    net, meta = io.load_with_metadata(path)
    return _model(cls, net, meta, path)


def from_file_parts(cls: type[Model], net, meta: dict, path: str | os.PathLike):
    """What a network file read by :func:`nnscratch.io.load_with_metadata` holds: a Model when it
    carries a model's metadata, else the network itself."""
    if not schema.is_model(meta):
        return net
    return _model(cls, net, meta, path)


def _model(cls: type[Model], net, meta: dict, path: str | os.PathLike) -> Model:
    if not isinstance(net, Network) and not isinstance(meta.get("spec"), dict):  # a stack's model has a spec
        raise ValueError(f"path: {os.fspath(path)!r} holds a Sequential stack, not a model; read it with "
                         f"nnscratch.io.load(path)")
    try:
        n_in = input_width(net, schema.image_shape(meta))
        return _from_fields(cls, net, schema.model_fields(meta, n_in, net.n_out, net.output), n_in)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"path: cannot load {os.fspath(path)!r}: its model metadata is invalid ({exc}); "
                         f"write the file again") from None


def _from_fields(cls: type[Model], net: Sequential, f: dict, n_in: int) -> Model:
    """A Model built from the schema's checked values ``f``."""
    try:
        spec = RunSpec.from_dict(f["spec"]) if f["spec"] is not None else _old_spec(f, net)
    except ValueError as exc:
        raise ValueError(f"spec: {exc}") from None
    model = cls(spec)
    model.network = net
    model.task = f["task"]
    model.feature_names = f["feature_names"]
    model.target = f["target"]
    model.preprocessor = Preprocessor.from_dict(f["preprocess"], n_in)
    model.encoder = TargetEncoder.from_dict(f["encoding"], f["task"], f["n_classes"])
    model.image_shape = f["image_shape"]
    model.training = f["training"]
    model.metrics = f["metrics"]
    model.history = None if f["history"] is None else History.from_dict(f["history"])
    model.stream = f["stream"]
    model.provenance = f["provenance"]
    return model


def _old_spec(f: dict, net: Network) -> RunSpec:
    """The RunSpec a 0.1.0 command-line model implies (its data, split and training settings), from
    the schema's checked values ``f``."""
    t = f["training"]
    fields: dict[str, Any] = {"hidden_sizes": tuple(net.sizes[1:-1]), "hidden": list(net.hidden) or "relu",
                              "output": net.output, "loss": net.loss_name, "dtype": net.dtype.name}
    if not net.hidden:
        fields["hidden"] = "relu"
    elif len(set(net.hidden)) == 1:
        fields["hidden"] = net.hidden[0]
    else:
        fields["hidden"] = tuple(net.hidden)
    data = f["provenance"]["data"]
    fields["data"] = data or "unknown"  # a bare network names no data
    for key in ("optimizer", "lr", "batch_size", "weight_decay", "seed", "split_seed", "val_split",
                "test_split"):
        if t.get(key) is not None:
            fields[key] = t[key]
    pre = f["preprocess"]
    if isinstance(pre, dict) and pre.get("kind") in ("standardize", "scale", "none"):
        fields["preprocess"] = pre["kind"]
    return RunSpec(**fields)


# ================================================================ the summary


def describe(model: Model, metrics: bool = True) -> str:
    """What ``nnscratch summary`` prints: layers, data, preprocessing, classes, training, metrics (the
    table left out with ``metrics=False``); ``model`` is fitted (its ``network`` is set)."""
    net = model.network
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
