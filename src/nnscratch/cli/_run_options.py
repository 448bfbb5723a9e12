"""The options that describe a run (``--data``, ``--units``, ``--optimizer``, ``--lr``, …), registered once
for ``nnscratch train`` (one value each) and ``nnscratch sweep`` (a value, a comma list to sweep, or a
range ``LOW:HIGH`` to draw from).

Each option maps to one :class:`~nnscratch.RunSpec` field; an option that is not given leaves the field
to ``--config`` or to the spec's own default (``nnscratch.spec.FIELDS``), so the defaults live in one
place. The flags are registered with ``argparse.SUPPRESS`` defaults by the commands' parsers.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from nnscratch.cli import _parser as P

__all__ = ["add_run_options", "add_day2_options", "DAY2_FLAGS", "RUN_FLAGS", "FIELD", "FLAG", "flag_message",
           "Range", "layer_string"]


# (flag, RunSpec field) of every option that describes a run, in the order of --help
RUN_FLAGS = (("--data", "data"), ("--target", "target"), ("--task", "task"), ("--units", "hidden_sizes"),
             ("--hidden", "hidden"), ("--optimizer", "optimizer"), ("--lr", "lr"), ("--epochs", "epochs"),
             ("--batch-size", "batch_size"), ("--weight-decay", "weight_decay"), ("--init", "init"),
             ("--val-split", "val_split"), ("--test-split", "test_split"), ("--seed", "seed"),
             ("--split-seed", "split_seed"), ("--preprocess", "preprocess"),
             ("--early-stopping", "early_stopping"), ("--batchnorm", "batchnorm"), ("--dropout", "dropout"),
             ("--l1", "l1"), ("--l2", "l2"))


def _options() -> list[tuple[str, str, dict[str, Any]]]:
    """(flag, RunSpec field, argparse keywords) of every option that describes a run, in help order."""
    from nnscratch.spec import FIELDS

    def default(field: str) -> str:
        return f"default {FIELDS[field].default}"

    return [
        ("--data", "data", dict(metavar="NAME|FILE", help="a data set name (see 'nnscratch datasets') or a "
                                "CSV/.npz file (default digits)")),
        ("--target", "target", dict(metavar="COLUMN", help="the CSV column to predict (default: the last)")),
        ("--task", "task", dict(choices=("auto", "classification", "regression"),
                                help="classification or regression (default: from the target's values)")),
        ("--units", "hidden_sizes", dict(metavar="SIZES", type=str,
                                         help="hidden layer sizes only, e.g. 100 or 64-32 (default 100)")),
        ("--hidden", "hidden", dict(choices=P.activation_names(trainable=True), help="hidden activation "
                                    "(default relu); the output layer follows the task: softmax + cross "
                                    "entropy for classes, identity + squared error for regression")),
        ("--optimizer", "optimizer", dict(choices=P.optimizer_names(), help="update rule (default adam)")),
        ("--lr", "lr", dict(type=P.positive_float, help="learning rate (default: the optimizer's own, adam "
                            "0.001, the others 0.01)")),
        ("--epochs", "epochs", dict(type=P.positive_int, help=f"passes over the training data "
                                    f"({default('epochs')})")),
        ("--batch-size", "batch_size", dict(type=P.batch_size, metavar="N|full", help="mini-batch size; 1 is "
                                            "online SGD, 'full' one batch per epoch (default 32)")),
        ("--weight-decay", "weight_decay", dict(type=P.nonneg_float, help="L2 weight decay λ (default 0)")),
        ("--init", "init", dict(type=_init, metavar="he|xavier|STD", help="initial weights: he, xavier or "
                                "the standard deviation of a normal draw (default he)")),
        ("--val-split", "val_split", dict(type=P.fraction, help=f"validation fraction "
                                          f"({default('val_split')})")),
        ("--test-split", "test_split", dict(type=P.fraction, help="held-out test fraction (default 0.2; data "
                                            "sets with an official test set use it)")),
        ("--seed", "seed", dict(type=P.nonneg_int, help="seed of the initial weights and batch order "
                                "(default 0)")),
        ("--split-seed", "split_seed", dict(type=P.nonneg_int, help="seed of the validation/test split, "
                                            "fixed so runs are comparable (default 0)")),
        ("--preprocess", "preprocess", dict(choices=("auto", "standardize", "scale", "none"),
                                            help="feature scaling fitted on the training part: standardize "
                                            "(x−μ)/σ, scale x/max|x| (auto: scale for images, else "
                                            "standardize)")),
        ("--early-stopping", "early_stopping", dict(type=P.nonneg_int, metavar="PATIENCE",
                                                    help="stop when the validation loss has not improved for "
                                                    "PATIENCE epochs (0: off)")),
        ("--batchnorm", "batchnorm", dict(type=P.on_off, nargs="?", const=True, metavar="on|off",
                                          help="batch normalisation after each hidden layer's Affine "
                                          "(バッチ正規化; default off)")),
        ("--dropout", "dropout", dict(type=P.fraction, metavar="P", help="dropout rate P after each hidden "
                                      "activation (ドロップアウト; default 0: off)")),
        ("--l1", "l1", dict(type=P.nonneg_float, metavar="λ", help="L1 regularisation λ·Σ|W| in the loss "
                            "(default 0)")),
        ("--l2", "l2", dict(type=P.nonneg_float, metavar="λ", help="L2 regularisation ½λ·Σ W² in the loss, "
                            "as the course (default 0)")),
    ]


def _init(text: str) -> str | float:
    if text in ("he", "xavier"):
        return text
    return P.nonneg_float(text)


# argparse dest -> RunSpec field, and field -> the flag a user typed (for error messages)
FIELD = {flag[2:].replace("-", "_"): field for flag, field in RUN_FLAGS}
FLAG = {field: "--" + dest.replace("_", "-") for dest, field in FIELD.items()}
FLAG["layers"] = "--layers"  # a layer string (the spec's field); all-number sizes are --units' ends too


def layer_string(text: object) -> bool:
    """Whether ``--layers`` got a layer string (``conv8x3-relu-…``, a preset), not an MLP's sizes
    (``64-100-10``: numbers only, the older meaning, whose ends are checked against the data)."""
    return isinstance(text, str) and not re.fullmatch(r"[\d\s,-]*", text)


class Range(tuple):
    """``LOW:HIGH`` given to a numeric option of ``sweep``: a range to draw random values from."""


def _listed(convert: Callable[[str], Any] | None, choices: tuple | list | None,
            ranges: bool = True) -> Callable[[str], Any]:
    """An argparse type for ``sweep``: ``v`` → [v], ``a,b,c`` → [a, b, c] (each checked as the single
    option checks it), and for numbers (``ranges``) ``LOW:HIGH`` → a :class:`Range`."""

    def one(text: str) -> Any:
        if choices is not None and text not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(map(str, choices))}, got {text!r}")
        return convert(text) if convert is not None else text

    def parse(text: str) -> Any:
        if ranges and convert is not None and convert is not str and text.count(":") == 1:
            low, high = (one(t.strip()) for t in text.split(":"))
            if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and low < high):
                raise argparse.ArgumentTypeError(f"expected a range LOW:HIGH with LOW < HIGH, got {text!r}")
            return Range((low, high))
        items = [t.strip() for t in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"expected a value or values separated by commas, got {text!r}")
        return [one(t) for t in items]

    return parse


def add_run_options(parser: argparse.ArgumentParser, sweep: bool = False) -> None:
    """Register every run option on ``parser``; with ``sweep`` each takes a comma list (or a range)."""
    for flag, _field, kw in _options():
        kw = dict(kw)
        if sweep:
            choices = kw.pop("choices", None)
            kw["type"] = _listed(kw.pop("type", None), choices, ranges=flag not in _TEXT_FLAGS)
            if "const" in kw:  # a bare --batchnorm: on, as for train
                kw["const"] = [kw["const"]]
            kw["metavar"] = kw.get("metavar", flag[2:].replace("-", "_").upper()) + "[,…]"
            if choices:
                kw["help"] += f" (one of {', '.join(choices)})"
            kw["help"] += "; a comma list sweeps the values" + (
                ", LOW:HIGH draws --samples random values" if flag not in _TEXT_FLAGS else "")
        parser.add_argument(flag, **kw)


# the Day 2 options (batch normalisation, dropout, L1/L2): the network's own, for a command that builds one
DAY2_FLAGS = ("--batchnorm", "--dropout", "--l1", "--l2")


def add_day2_options(parser: argparse.ArgumentParser) -> None:
    """Register the Day 2 options alone, one value each with the spec's defaults (``gradcheck``)."""
    from nnscratch.spec import FIELDS

    for flag, field, kw in _options():
        if flag in DAY2_FLAGS:
            parser.add_argument(flag, dest=field, default=FIELDS[field].default, **kw)


# options whose values are names or on/off: a comma list sweeps them, but there is no range to draw from
_TEXT_FLAGS = {"--data", "--target", "--task", "--units", "--hidden", "--optimizer", "--preprocess",
               "--batchnorm"}


def flag_message(message: str) -> str:
    """``val_split + test_split: …`` → ``--val-split + --test-split: …`` (the names the user typed)."""
    head, sep, rest = message.partition(":")
    if not sep or " " in head.replace(" + ", "+"):
        return message
    return " + ".join(FLAG.get(part, part) for part in head.split(" + ")) + sep + rest
