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
    """Print the model's summary: the network's layers, then what the model records."""
    from nnscratch.cli._files import load_model

    print(load_model(args.model).summary())
    return P.EXIT_OK
