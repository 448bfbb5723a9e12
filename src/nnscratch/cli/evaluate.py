"""``nnscratch evaluate``: loss and accuracy (or RMSE and R²) of a saved model on data.

Without ``--data`` the model's own record of its training data is used, but only when it names one of
the library's generated or bundled data sets: a model file may come from anyone, and a path or a
download named inside it is not opened on its say-so.
"""

from __future__ import annotations

import argparse
import json

from nnscratch.cli import _parser as P

# the data sets a model's metadata may name for 'evaluate' without --data: made or shipped locally
_LOCAL_LOADERS = ("nnscratch.datasets.generated", "nnscratch.datasets.bundled")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``evaluate`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "evaluate",
        help="loss and accuracy (or RMSE and R²) of a saved model on data",
        description="Evaluate a saved model. Without --data: the held-out test part of the data it was "
        "trained on (recreated from the split stored in the model), when that is a generated or bundled "
        "data set. With --data: every row of that data.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file saved by 'nnscratch train' or net.save")
    p.add_argument("--data", metavar="NAME|FILE", help="a data set name or a .csv/.npz file")
    p.add_argument("--target", metavar="COLUMN", help="the CSV target column (default: the model's)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=run)
    return p


def _recorded_data(model: str, meta: dict):
    """The held-out test part of the data set the model records, if that set is generated or bundled."""
    from nnscratch import datasets
    from nnscratch.cli._modeldata import split_data

    name = meta.get("data")
    if not name:
        raise ValueError(f"--data: {model!r} does not record its training data; pass --data NAME|FILE")
    local = (
        isinstance(name, str)
        and datasets.is_named(name)
        and datasets.info(name).loader.__module__ in _LOCAL_LOADERS
    )
    if not local:
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "…"
        raise ValueError(
            f"--data: {model!r} records its training data as {shown}, which evaluate opens only when "
            f"given explicitly (it is not a generated or bundled data set); pass --data NAME|FILE"
        )
    data = datasets.load(name, task=meta.get("task", "auto"))
    t = meta.get("training", {})
    _, _, test = split_data(data, t.get("val_split", 0.1), t.get("test_split", 0.2), t.get("split_seed", 0))
    part = datasets.Dataset(
        test[0], test[1], data.task, name=data.name, feature_names=data.feature_names,
        target_names=data.target_names,
    )
    return part, f"{data.name} (held-out test part)"


def run(args: argparse.Namespace) -> int:
    """Print the metrics table (or JSON) of ``args.model`` on its test part or on ``--data``."""
    from nnscratch import datasets
    from nnscratch.cli._files import load_model
    from nnscratch.cli._modeldata import align, apply_preprocess, metrics
    from nnscratch.cli._tables import format_table

    net, meta = load_model(args.model)
    if args.data is None:
        data, what = _recorded_data(args.model, meta)
    else:
        target = args.target or (meta.get("target") if not args.data.lower().endswith(".npz") else None)
        if datasets.is_named(args.data):
            target = None
        data = datasets.load(args.data, target=target, task=meta.get("task", "auto"))
        what = data.name
    x, y = align(data, meta, net)
    result = metrics(net, meta, apply_preprocess(meta.get("preprocess"), x), y)
    if args.json:
        print(json.dumps({"model": args.model, "data": what, **result}, ensure_ascii=False))
    else:
        print(f"{args.model} on {what}")
        print(format_table([("evaluation", result)]))
    return P.EXIT_OK
