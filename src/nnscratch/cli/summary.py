"""``nnscratch summary``: a saved model's layers, parameters, data, preprocessing and final metrics."""

from __future__ import annotations

import argparse

from nnscratch.cli import _parser as P


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``summary`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "summary",
        help="layers, parameters and what a saved model was trained on",
        description="Describe a saved model: its layers and parameter counts, its data, "
        "preprocessing, classes and final metrics.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the network's summary, then what the metadata records."""
    from nnscratch.cli._files import load_model
    from nnscratch.cli._tables import format_table, preview, seconds

    net, meta = load_model(args.model)
    print(net.summary())
    if not meta:
        print("no training metadata (saved from Python without metadata): inputs and outputs are raw numbers")
        return P.EXIT_OK
    print()
    if meta.get("data"):
        print(f"data           {meta['data']} ({meta.get('task', '?')})")
    names = meta.get("feature_names") or []
    if names:
        print(f"features       {len(names)}: {preview(names)}")
    if meta.get("target_names"):
        print(f"classes        {len(meta['target_names'])}: {preview(meta['target_names'], 10)}")
    if meta.get("target"):
        print(f"target         {meta['target']}")
    pre = meta.get("preprocess") or {}
    kind = pre.get("kind", "none")
    detail = {
        "standardize": "(x − μ) / σ per feature, fitted on the training part",
        "scale": f"x / {pre.get('scale', 1):g}",
        "none": "none",
    }.get(kind, kind)
    print(f"preprocessing  {detail}")
    t = meta.get("training") or {}
    if t:
        print(
            f"training       {t.get('optimizer')} lr={t.get('lr')}, {t.get('epochs')} epochs, batch "
            f"{t.get('batch_size') or 'full'}, seed {t.get('seed')}, {seconds(t.get('seconds', 0))}"
        )
    if "stream" in meta:
        print(f"online updates {meta['stream'].get('rows', 0):,} rows from 'nnscratch stream'")
    results = meta.get("metrics") or {}
    if results:
        print()
        print(format_table(list(results.items())))
    return P.EXIT_OK
