"""``nnscratch evaluate``: loss and accuracy (or RMSE and R²) of a saved model on data.

Without ``--data`` the model's own record of its training data is used, but only when it names one of
the library's generated or bundled data sets: a model file may come from anyone, and a path or a
download named inside it is not opened on its say-so.
"""

from __future__ import annotations

import argparse
import json

from nnscratch.cli import _parser as P


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


def run(args: argparse.Namespace) -> int:
    """Print the metrics table (or JSON) of ``args.model`` on its test part or on ``--data``."""
    from nnscratch import datasets
    from nnscratch.cli._files import load_model
    from nnscratch.report import format_table

    model = load_model(args.model)
    if args.data is None:
        recorded = model.provenance.get("data")
        if not recorded:
            raise ValueError(
                f"--data: {args.model!r} does not record its training data; pass --data NAME|FILE"
            )
        if not datasets.is_local(recorded):
            shown = repr(recorded) if len(repr(recorded)) <= 60 else repr(recorded)[:57] + "…"
            raise ValueError(
                f"--data: {args.model!r} records its training data as {shown}, which evaluate opens only "
                f"when given explicitly (it is not a generated or bundled data set); pass --data NAME|FILE"
            )
        result = model.evaluate()
        what = f"{datasets.info(recorded).name} (held-out test part)"
    else:
        target = args.target or (model.target if not args.data.lower().endswith(".npz") else None)
        if datasets.is_named(args.data):
            target = None
        data = datasets.load(args.data, target=target, task=model.task or "auto")
        result = model.evaluate(data)
        what = data.name
    if args.json:
        print(json.dumps({"model": args.model, "data": what, **result}, ensure_ascii=False))
    else:
        print(f"{args.model} on {what}")
        print(format_table([("evaluation", result)]))
    return P.EXIT_OK
