"""``nnscratch plot KIND --out FILE [--lang ja|en] [--layers 2-3-3-1] [--seed N]``: draw one figure.

The CLI calls :func:`register` with its subparsers. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import argparse

# plots imports no matplotlib at import time (only when drawing), so the parser can take the kinds from it
from nnscratch.lab.plots import KINDS


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``plot`` subcommand; its ``func(args)`` draws the figure and returns the exit status."""
    parser = subparsers.add_parser(
        "plot",
        help="draw one of the course's figures to a PNG or SVG file",
        description="Draw one of the course's figures (図) to a PNG or SVG file, labelled in Japanese or "
        "English. Kinds: " + ", ".join(KINDS) + ".",
    )
    parser.add_argument("kind", help="what to draw: " + ", ".join(KINDS))
    parser.add_argument("--out", required=True, help="the file to write; .png or .svg")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja", help="label language (default ja)")
    parser.add_argument(
        "--layers", default=None,
        help="layer sizes for the network diagram, e.g. 2-3-3-1 (the default) or 784-40-10",
    )
    parser.add_argument(
        "--seed", type=int, default=None,
        help="seed of the data and initial weights (kinds that draw random numbers); for the network "
        "diagram, colour the edges by the weights of a network initialised with this seed",
    )
    parser.add_argument("--dpi", type=float, default=None, help="resolution of a PNG (default 100)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Draw ``args.kind`` to ``args.out``; a ValueError (unknown kind, bad --layers…) propagates."""
    from nnscratch.lab import plots

    plots.draw(args.kind, out=args.out, lang=args.lang, layers=args.layers, seed=args.seed, dpi=args.dpi)
    print(f"wrote {args.out}")
    return 0
