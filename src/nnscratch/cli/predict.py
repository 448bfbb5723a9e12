"""``nnscratch predict``: raw rows in (CSV, .npz or standard input), class names or values out (CSV)."""

from __future__ import annotations

import argparse
import sys

from nnscratch.cli import _parser as P


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``predict`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "predict",
        help="predict rows of a CSV or .npz file (or stdin); CSV out",
        description="Predict with a saved model. Input: a CSV with a header row (columns matched by the "
        "model's feature names, else by position) or an .npz with an array 'x'; '-' reads standard input. "
        "The model's preprocessing is applied, so raw rows work. Output: CSV with class names (or values).",
    )
    p.add_argument("model", metavar="MODEL", help="a model file")
    p.add_argument("input", nargs="?", default="-", metavar="INPUT",
                   help="CSV or .npz file, '-' for stdin (default)")
    p.add_argument("--output", "-o", default="-", metavar="PATH",
                   help="CSV file to write, '-' for stdout (default); replaces only a text file")
    p.add_argument("--proba", action="store_true", help="also print the probability of every class")
    p.set_defaults(func=run)
    return p


def _csv_text(model, x, proba: bool) -> str:
    """The predictions as CSV: values in the target's units, or class names (and probabilities)."""
    import csv
    import io

    import numpy as np

    from nnscratch.report import format_number

    target = model.target or "prediction"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if model.task == "regression":
        values = model.predict(x).reshape(len(x), -1)
        header = [target] if values.shape[1] == 1 else [f"{target}_{j}" for j in range(values.shape[1])]
        writer.writerow(header)
        for row in values:
            writer.writerow([format_number(v) for v in row])
        return buf.getvalue()
    names = model.encoder.classes
    probabilities = model.predict_proba(x)
    writer.writerow([target] + ([f"p({n})" for n in names] if proba else []))
    for k, p in zip(np.argmax(probabilities, axis=1), probabilities, strict=True):
        writer.writerow([names[k]] + ([format_number(v) for v in p] if proba else []))
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    """Predict every row of ``args.input`` and write the CSV to ``args.output``."""
    from nnscratch.cli._files import CSV, atomic_write_text, check_output, load_model
    from nnscratch.datasets import read_features

    model = load_model(args.model)
    if args.output != "-":
        check_output(args.output, "--output", CSV, (args.input, args.model))
    n_in = model.network.sizes[0]
    x = read_features(args.input, model.feature_names, n_in, target=model.target)
    text = _csv_text(model, x, args.proba)
    if args.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(args.output, text)
    return P.EXIT_OK
