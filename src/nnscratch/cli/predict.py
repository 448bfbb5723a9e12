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


def _write_predictions(model, blocks, out, proba: bool) -> None:
    """The predictions as CSV, block by block as the rows arrive: values in the target's units, or
    class names (and probabilities). Each block is written and flushed before the next is read."""
    import csv

    import numpy as np

    from nnscratch.report import format_number

    target = model.target or "prediction"
    writer = csv.writer(out, lineterminator="\n")
    names = model.encoder.classes if model.task != "regression" else None
    header_written = False
    for x in blocks:
        if names is None:
            values = model.predict(x).reshape(len(x), -1)
            if not header_written:
                k = values.shape[1]
                writer.writerow([target] if k == 1 else [f"{target}_{j}" for j in range(k)])
            writer.writerows([format_number(v) for v in row] for row in values)
        else:
            probabilities = model.predict_proba(x)
            if not header_written:
                writer.writerow([target] + ([f"p({n})" for n in names] if proba else []))
            writer.writerows(
                [names[k]] + ([format_number(v) for v in p] if proba else [])
                for k, p in zip(np.argmax(probabilities, axis=1), probabilities, strict=True)
            )
        header_written = True
        out.flush()


def run(args: argparse.Namespace) -> int:
    """Predict every row of ``args.input`` and write the CSV to ``args.output``.

    Rows are read, predicted and written in blocks, so ``predict -`` on an endless stream keeps
    answering in bounded memory. A bad row stops it with a one-line error; on standard output the
    blocks before it have been written, an ``--output`` file is only written when every row was good.
    """
    from nnscratch.cli._files import CSV, atomic_text_file, check_output, load_model
    from nnscratch.datasets import iter_features

    model = load_model(args.model)
    if args.output != "-":
        check_output(args.output, "--output", CSV, (args.input, args.model))
    blocks = iter_features(args.input, model.feature_names, model.n_features, target=model.target)
    if args.output == "-":
        _write_predictions(model, blocks, sys.stdout, args.proba)
    else:
        with atomic_text_file(args.output) as f:
            _write_predictions(model, blocks, f, args.proba)
    return P.EXIT_OK
