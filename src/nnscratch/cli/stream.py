"""``nnscratch stream``: online learning (オンライン学習) from CSV rows on standard input.

Each row is one update W ← W − η·∂E/∂W of the model, like the course's POS-data example. The saved file
always equals the model after exactly the rows it records: Ctrl-C, SIGTERM and SIGHUP are taken between
rows, never in the middle of an update (:mod:`nnscratch.cli._signals`); each saves the rows learned,
prints one line and exits with 128 + the signal's number (130, 143, 129). A row that makes the loss
overflow is refused before its update, naming its line.
"""

from __future__ import annotations

import argparse
import os
import sys

from nnscratch.cli import _parser as P


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``stream`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "stream",
        help="online learning: update a model from CSV rows on stdin",
        description="Online learning (オンライン学習), like the course's POS-data example: read CSV rows "
        "(header first) from standard input; each row updates the model at once. The running loss is "
        "printed every --every rows; the model is saved (atomically) every --save-every rows and at the "
        "end of input, Ctrl-C, SIGTERM or SIGHUP (exit status 130, 143, 129). A bad row stops with an "
        "error; the file keeps the last save.",
    )
    p.add_argument("model", metavar="MODEL", help="the model to update (saved by 'nnscratch train')")
    p.add_argument("--target", metavar="COLUMN", help="the target column (default: the model's)")
    p.add_argument("--optimizer", default="sgd", choices=P.optimizer_names(), help="default sgd")
    p.add_argument("--lr", type=P.positive_float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--every", type=P.positive_int, default=100, metavar="N",
                   help="print the mean loss of the last N rows every N rows (default 100)")
    p.add_argument("--save-every", type=P.positive_int, default=1000, metavar="N",
                   help="save the model every N rows (default 1000)")
    p.add_argument("--out", metavar="PATH", help="save to PATH instead of updating MODEL in place")
    p.add_argument("--quiet", "-q", action="store_true", help="no running loss")
    p.set_defaults(func=run)
    return p


def _reader(args, model):
    """A RowReader of standard input with the model's feature columns, target and classes."""
    from nnscratch.datasets.files import RowReader

    target = args.target or model.target
    if not target:
        raise ValueError(f"--target: {args.model!r} does not record its target column; pass --target COLUMN")
    n_in = model.n_features
    names = model.feature_names
    classes = model.encoder.classes if model.task == "classification" else None
    reader = RowReader(sys.stdin, names or [], target, classes)
    if names is None:  # a model without metadata: every column but the target, in order
        cols = [j for j in range(len(reader.header)) if j != reader.target_index]
        if len(cols) != n_in:
            raise ValueError(f"<stdin>: expected {n_in} feature columns besides {target!r}, got {len(cols)}")
        reader.columns = cols
    return reader


def _target_array(model, d):
    """One row's target as the network trains on it: a label, a 0/1 value, or a standardised number."""
    import numpy as np

    if model.network.output == "softmax":
        return np.array([d])
    if model.task == "regression":
        return model.encoder.encode(np.array([[d]], dtype=np.float64))
    return np.array([[float(d)]], dtype=np.float32)


def run(args: argparse.Namespace) -> int:
    """Learn from every row of standard input; save every ``--save-every`` rows and at the end."""
    from nnscratch.cli._files import MODEL, check_output, load_model
    from nnscratch.cli._signals import Interrupts, describe, exit_status
    from nnscratch.training import DivergenceError, Trainer

    model = load_model(args.model)
    net = model.network
    out = args.out or args.model
    check_output(out, "--out" if args.out else "MODEL", MODEL)
    reader = _reader(args, model)
    trainer = Trainer(net, optimizer=args.optimizer, lr=args.lr)
    rows_before = int((model.stream or {}).get("rows", 0))
    rows = saved_rows = 0
    window: list[float] = []

    def save() -> None:
        nonlocal saved_rows
        model.stream = {"rows": rows_before + rows, "optimizer": args.optimizer, "lr": args.lr}
        model.save(out)
        saved_rows = rows

    def report(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    interrupted = False
    with Interrupts() as interrupts:
        try:
            for line, x_row, d in reader:
                x = model.preprocessor.transform(x_row[None, :], net.dtype)
                dd = _target_array(model, d)
                with interrupts.critical():  # the update and its count, as one
                    try:
                        loss = trainer.step(x, dd)
                    except DivergenceError as exc:
                        raise ValueError(f"<stdin>, line {line}: {exc}") from None
                    rows += 1
                    if rows % args.save_every == 0:
                        save()
                window.append(loss)
                if rows % args.every == 0:
                    report(f"rows {rows_before + rows:>8,}  running loss {sum(window) / len(window):.4f}")
                    window.clear()
                if rows % args.save_every == 0:
                    report(f"saved {out} after {rows_before + rows:,} rows")
        except KeyboardInterrupt:
            interrupted = True
        if rows != saved_rows or not os.path.exists(out):
            with interrupts.critical(drop=interrupted):
                save()
    if interrupted:
        print(f"{describe()}: saved {out} after {rows_before + rows:,} rows", file=sys.stderr, flush=True)
        return exit_status()
    report(f"end of input: {rows:,} rows learned, saved {out}")
    return P.EXIT_OK
