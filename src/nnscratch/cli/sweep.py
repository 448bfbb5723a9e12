"""``nnscratch sweep``: many runs compared at once (ハイパーパラメータ探索), on this machine's cores or a
Dask cluster.

Every option of ``nnscratch train`` that describes a run is accepted: one value fixes it, a comma list
sweeps it (``--lr 0.001,0.01,0.1 --optimizer sgd,adam``), a range ``LOW:HIGH`` is drawn ``--samples``
times (log-uniform for ``--lr`` and a positive ``--weight-decay``). ``--config`` reads a sweep file
(a run spec with a ``[sweep]`` table). The folder ``--out`` receives ``results.csv``,
``results.jsonl``, ``best.npz`` and the figures; the ranked table is printed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nnscratch.cli import _parser as P
from nnscratch.cli._run_options import FIELD, Range, add_run_options, flag_message, layer_string

FIGURES = ("val_loss", "curves")  # file stems; each written as .ja.png and .en.png


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``sweep`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "sweep",
        help="train many runs (a grid or random search) on this machine's cores or a Dask cluster",
        description="Train every combination of the given values (a comma list sweeps an option, "
        "LOW:HIGH draws --samples random values), each --repeats times with seeds seed, seed+1, …; print "
        "the points ranked by validation loss (mean ± std over the repeats) and write results.csv, "
        "results.jsonl (a row per trial, as trials finish), best.npz (the best trial's model) and the "
        "figures to --out. Trials run on a local process pool (one worker per core), on a Dask scheduler "
        "(--cluster tcp://HOST:8786) or on a Dask LocalCluster (--cluster local:N).",
        epilog="Examples: nnscratch sweep --data digits --lr 0.0003,0.001,0.003,0.01,0.03,0.1 "
        "--optimizer sgd,adam --repeats 2 | nnscratch sweep --lr 1e-4:1e-1 --samples 12 | "
        "nnscratch sweep --config sweep.toml --cluster tcp://scheduler:8786",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--config", metavar="FILE",
                   help="a sweep file (.toml or .json): a run spec, and a [sweep] table with grid, random, "
                   "samples, repeats, seed; options given as well override it")
    add_run_options(p, sweep=True)
    p.add_argument("--layers", metavar="STRING|SIZES[,…]", type=_layer_list,
                   help="layer strings, e.g. conv8x3-relu-pool2-affine32-relu (see 'nnscratch train "
                   "--help'), or all layer sizes of MLPs, e.g. 64-100-10 (input and output must fit the "
                   "data); a comma list sweeps them; replaces --units")
    p.add_argument("--repeats", type=P.positive_int, help="trials per point, with seeds seed, seed+1, … "
                   "(default 1)")
    p.add_argument("--samples", type=P.positive_int,
                   help="random draws for the LOW:HIGH ranges and the file's [sweep.random] (default 10)")
    p.add_argument("--search-seed", type=P.nonneg_int, help="seed of the random draws (default 0)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="the folder for the results (default: a new folder sweep-YYYYMMDD-HHMMSS); an "
                   "existing results file is never replaced: continue it with --resume")
    p.add_argument("--resume", action="store_true", default=False,
                   help="skip the trials already in DIR/results.jsonl and run the rest")
    p.add_argument("--cluster", metavar="tcp://HOST:PORT|local:N", default=None,
                   help="run the trials on a Dask scheduler, or on a Dask LocalCluster of N workers "
                   "(needs pip install 'nnscratch[sweep]')")
    p.add_argument("--workers", type=P.positive_int, default=None,
                   help="local worker processes (default: one per core; 1 runs the trials one after another)")
    p.add_argument("--top", type=P.positive_int, default=20, help="rows of the ranked table (default 20)")
    p.add_argument("--no-plots", action="store_true", default=False, help="do not draw the figures")
    p.add_argument("--quiet", "-q", action="store_true", default=False, help="no progress line")
    p.set_defaults(func=run)
    return p


def _layer_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(f"expected layer strings like conv8x3-relu-pool2-affine32-relu or "
                                         f"sizes like 64-100-10, comma-separated, got {text!r}")
    return items


def _layers(args: argparse.Namespace, config) -> None:
    """``--layers 64-32-10,64-100-10``: the hidden sizes of each, after checking that the ends fit the
    data (loaded here once, as ``nnscratch train --layers`` does)."""
    from nnscratch import datasets
    from nnscratch.network import parse_sizes

    base = config.base
    strings = [text for text in args.layers if layer_string(text)]
    if strings:
        _layer_strings(args.layers, strings, config)
        return
    try:
        data = datasets.load(base.data, target=base.target, task=base.task)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None
    hidden = []
    for text in args.layers:
        try:
            sizes = parse_sizes(text)
        except ValueError as exc:
            raise ValueError(f"--layers: {exc}") from None
        if sizes[0] != data.n_features or sizes[-1] != data.n_outputs:
            raise ValueError(f"--layers: {text!r} does not fit the data: {data.name!r} has {data.n_features} "
                             f"features and {data.n_outputs} outputs, so the sizes must run "
                             f"{data.n_features}-…-{data.n_outputs}")
        hidden.append(tuple(sizes[1:-1]))
    config.grid.pop("hidden_sizes", None)
    config.random.pop("hidden_sizes", None)
    if len(hidden) == 1:
        config.base = base.replace(hidden_sizes=hidden[0])
    else:
        config.grid["hidden_sizes"] = hidden


def _layer_strings(given: list[str], strings: list[str], config) -> None:
    """``--layers conv8x3-relu-affine32-relu,affine64-relu``: the spec's ``layers`` field, swept."""
    from nnscratch.spec import FIELDS

    if len(strings) != len(given):
        raise ValueError(f"--layers: expected layer strings or sizes, not both; got {', '.join(given)}")
    try:
        values = [FIELDS["layers"].check("--layers", text) for text in strings]
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    config.grid.pop("layers", None)
    config.random.pop("layers", None)
    if len(values) == 1:
        config.base = config.base.replace(layers=values[0])
    else:
        config.grid["layers"] = values


def _random_entry(field: str, r: Range):
    from nnscratch.sweep import IntUniform, LogUniform, Uniform

    low, high = r
    if isinstance(low, int) and isinstance(high, int):
        return IntUniform(low, high)
    if field == "lr" or (field in ("weight_decay", "l1", "l2") and low > 0):
        return LogUniform(float(low), float(high))
    return Uniform(float(low), float(high))


def plan_from(args: argparse.Namespace):
    """The sweep file (or the defaults) with the options on top: a value fixes a field, a list of
    several sweeps it, a range draws it."""
    from nnscratch.spec import RunSpec
    from nnscratch.sweep.config import SweepConfig, load_sweep_file

    config = load_sweep_file(args.config) if getattr(args, "config", None) else SweepConfig(RunSpec())
    fixed = {}
    for dest, field in FIELD.items():
        if not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        config.grid.pop(field, None)
        config.random.pop(field, None)
        if isinstance(value, Range):
            config.random[field] = _random_entry(field, value)
        elif len(value) == 1:
            fixed[field] = value[0]
        else:
            config.grid[field] = value
    try:
        config.base = config.base.replace(**fixed)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None
    for key, dest in (("repeats", "repeats"), ("samples", "samples"), ("seed", "search_seed")):
        if hasattr(args, dest):
            setattr(config, key, getattr(args, dest))
    return config


def _out_folder(args: argparse.Namespace) -> Path:
    """--out, or a new folder named after the time (a suffix when that name is taken)."""
    if args.out is not None:
        if not args.out.strip():
            raise ValueError("--out: expected a folder name, got an empty string")
        return Path(args.out)
    stem = time.strftime("sweep-%Y%m%d-%H%M%S")
    folder, n = Path(stem), 2
    while folder.exists():
        folder, n = Path(f"{stem}-{n}"), n + 1
    return folder


def _check_outputs(folder: Path, plots: bool) -> None:
    """The one output guard on every file the sweep writes into an existing folder."""
    from nnscratch.cli._files import FIGURE, MODEL, check_output

    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out: {str(folder)!r} exists and is not a folder")
    if not folder.is_dir():
        parent = folder.absolute().parent
        if not parent.is_dir():
            raise ValueError(f"--out: cannot create {str(folder)!r}: the folder {str(parent)!r} does not "
                             f"exist")
        return
    check_output(str(folder / "best.npz"), "--out", MODEL)
    if plots:
        for stem in FIGURES:
            for lang in ("ja", "en"):
                check_output(str(folder / f"{stem}.{lang}.png"), "--out", FIGURE)


def run(args: argparse.Namespace) -> int:
    """Plan, check every output, run the trials, print the ranked table, write the figures."""
    import nnscratch
    from nnscratch.sweep.plan import make_trials

    config = plan_from(args)
    if getattr(args, "layers", None):
        _layers(args, config)
    try:  # refuse an impossible point before the folder is made
        make_trials(config.base, config.grid, config.random, samples=config.samples,
                    repeats=config.repeats, seed=config.seed)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None
    folder = _out_folder(args)
    _check_outputs(folder, not args.no_plots)
    try:
        result = nnscratch.sweep(config.base, config.grid, config.random, samples=config.samples,
                                 repeats=config.repeats, seed=config.seed, cluster=args.cluster,
                                 workers=args.workers, out=folder, resume=args.resume,
                                 progress=None if args.quiet else sys.stderr)
    except ValueError as exc:
        message = str(exc)
        for name in ("out", "resume", "cluster", "workers", "repeats", "samples"):
            if message.startswith(name + ":"):
                message = "--" + message
        message = message.replace("seed:", "--search-seed:", 1) if message.startswith("seed:") else message
        raise ValueError(flag_message(message)) from None
    _report(args, result, folder)
    if result.interrupted:
        from nnscratch.cli._signals import describe, exit_status

        print(f"{describe()}: {len(result.rows)}/{result.total} trials finished; continue with "
              f"--resume --out {folder}", file=sys.stderr)
        return exit_status()
    return P.EXIT_OK if result.best is not None else P.EXIT_FAIL


def _report(args: argparse.Namespace, result, folder: Path) -> None:
    from nnscratch.report import seconds
    from nnscratch.sweep.results import describe_values, score

    print(f"{len(result.rows)}/{result.total} trials on {result.backend} in {seconds(result.seconds)}")
    print(result.table(limit=args.top))
    shown = len(result.ranking())
    if shown > args.top:
        print(f"… {shown - args.top} more points in {folder / 'results.csv'}")
    best = result.best
    if best is None:
        print("no trial learned: every one was diverging, diverged or failed (see the status and message "
              "columns of results.csv)")
        return
    saved = folder / "best.npz"
    where = f"; model saved to {saved}" if saved.exists() else ""
    print(f"best trial: {describe_values(best, result.swept)} seed={best['seed']} "
          f"val_loss {score(best):.4f}{where}")
    print(f"results: {folder / 'results.csv'}, {folder / 'results.jsonl'}")
    if not args.no_plots:
        _figures(result, folder)


def _figures(result, folder: Path) -> None:
    from nnscratch.lab.plots import sweep_curves, sweep_scores

    written = []
    try:
        for lang in ("ja", "en"):
            sweep_scores(result, lang=lang, out=folder / f"val_loss.{lang}.png")
            sweep_curves(result, lang=lang, out=folder / f"curves.{lang}.png")
            written += [f"val_loss.{lang}.png", f"curves.{lang}.png"]
    except ImportError as exc:
        print(f"figures skipped: {exc}", file=sys.stderr)
        return
    print(f"figures: {', '.join(os.fspath(folder / w) for w in written)}")
