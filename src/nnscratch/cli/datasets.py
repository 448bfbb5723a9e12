"""``nnscratch datasets``: the named data sets ``--data`` accepts, with sizes and sources."""

from __future__ import annotations

import argparse

from nnscratch.cli import _parser as P


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``datasets`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "datasets",
        help="list the data sets with their sizes and sources",
        description="List the named data sets 'nnscratch train --data NAME' accepts.",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print one line per entry of ``nnscratch.datasets.REGISTRY``.

    A downloaded set's source says whether its files are in the cache now ("download, cached ✓") or
    not ("download, not cached"); the note under the table explains the ✓ only when one is shown.
    """
    from nnscratch.datasets import REGISTRY
    from nnscratch.datasets.idx import FILES, data_home
    from nnscratch.report import format_columns

    rows = [("name", "task", "samples", "features", "classes", "source", "description")]
    any_cached = False
    for info in REGISTRY.values():
        source = info.source
        if info.loader.__module__.endswith(".idx"):
            cached = all((data_home(info.name) / f).exists() for f in FILES.values())
            any_cached = any_cached or cached
            source = "download, cached ✓" if cached else "download, not cached"
        rows.append(
            (
                info.name,
                info.task,
                f"{info.n_samples:,}",
                str(info.n_features),
                "-" if info.n_classes is None else str(info.n_classes),
                source,
                info.description,
            )
        )
    print(format_columns(rows, right={2, 3, 4}))
    print(
        "\nAlso: any .csv file with a header row (--target COLUMN) or .npz file with arrays x and y. "
        "Downloads are cached in " + str(data_home()) + (" (✓ = in the cache now)." if any_cached else ".")
    )
    return P.EXIT_OK
