"""``nnscratch train``: a data set in, a trained model (with its preprocessing and metrics) out."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from nnscratch.cli import _parser as P

DEFAULT_LR = {"adam": 0.005}  # other optimizers use their own default (0.01)
CLI_FORMAT = 1  # version of the metadata a CLI-saved model carries


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``train`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "train",
        help="train a network (no arguments: digits, 64-100-10, Adam) and save it",
        description="Train a network on a named data set or a CSV/.npz file, show the progress, print "
        "train/validation/test loss and accuracy, and save the model with its preprocessing. With no "
        "arguments: the digits data set (1,797 8×8 images), a 64-100-10 ReLU/softmax network, Adam, a "
        "20%% held-out test split.",
        epilog="Examples: nnscratch train | nnscratch train --data iris --units 16 | "
        "nnscratch train --data my.csv --target label --save my-model.npz",
    )
    p.add_argument("--data", default="digits", metavar="NAME|FILE",
                   help="a data set name (see 'nnscratch datasets') or a .csv/.npz file (default digits)")
    p.add_argument("--target", metavar="COLUMN", help="the CSV column to predict (default: the last column)")
    p.add_argument("--task", choices=("auto", "classification", "regression"), default="auto",
                   help="classification or regression (default: from the target's values)")
    p.add_argument("--layers", metavar="SIZES",
                   help="all layer sizes, e.g. 64-100-10 (input and output must fit the data)")
    p.add_argument("--units", default="100", metavar="SIZES",
                   help="hidden layer sizes only, e.g. 100 or 64-32 (default 100); ignored with --layers")
    p.add_argument("--hidden", default="relu", choices=P.activation_names(trainable=True),
                   help="hidden activation (default relu); the output layer follows the task: softmax + "
                   "cross entropy for classes, identity + squared error for regression")
    p.add_argument("--optimizer", default="adam", choices=P.optimizer_names(),
                   help="update rule (default adam)")
    p.add_argument("--lr", type=P.positive_float,
                   help="learning rate (default 0.005 for adam, else the optimizer's default 0.01; "
                   "with --resume: the checkpoint's)")
    p.add_argument("--epochs", type=P.positive_int, default=60,
                   help="passes over the training data (default 60)")
    p.add_argument("--batch-size", type=P.batch_size, default=32, metavar="N|full",
                   help="mini-batch size; 1 is online SGD, 'full' one batch per epoch (default 32)")
    p.add_argument("--weight-decay", type=P.nonneg_float, default=0.0, help="L2 weight decay λ (default 0)")
    p.add_argument("--val-split", type=P.fraction, default=0.1, help="validation fraction (default 0.1)")
    p.add_argument("--test-split", type=P.fraction, default=0.2,
                   help="held-out test fraction (default 0.2; data sets with an official test set use it)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial weights and batch order (default 0)")
    p.add_argument("--split-seed", type=int, default=0,
                   help="seed of the validation/test split, fixed so runs are comparable (default 0)")
    p.add_argument("--preprocess", choices=("auto", "standardize", "scale", "none"), default="auto",
                   help="feature scaling fitted on the training part: standardize (x−μ)/σ, scale x/max|x| "
                   "(auto: scale for images, else standardize)")
    p.add_argument("--early-stopping", type=P.nonneg_int, default=0, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs (0: off)")
    p.add_argument("--save", default="model.npz", metavar="PATH",
                   help="where to save the model (default model.npz); replaces only a model")
    p.add_argument("--no-save", action="store_true", help="do not save the model")
    p.add_argument("--checkpoint", metavar="PATH", help="write a training checkpoint after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint up to --epochs in total")
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON object on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=run)
    return p


def _progress(stream, epochs: int, tty: bool, classification: bool):
    """A callback printing one line per epoch (piped) or redrawing one bar in place (terminal)."""
    from nnscratch.training import Callback

    encoding = (getattr(stream, "encoding", None) or "ascii").lower()
    full, empty = ("█", "░") if "utf" in encoding else ("#", "-")

    class Progress(Callback):
        def __init__(self) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs, trainer):
            width = len(str(epochs))
            parts = [f"epoch {epoch:>{width}}/{epochs}"]
            if tty:
                done = int(round(20 * epoch / epochs))
                parts.append("[" + full * done + empty * (20 - done) + "]")
            parts.append(f"loss {logs['loss']:.4f}")
            if classification and "accuracy" in logs:
                parts.append(f"acc {logs['accuracy']:.2%}")
            if "val_loss" in logs:
                parts.append(f"val_loss {logs['val_loss']:.4f}")
            if classification and "val_accuracy" in logs:
                parts.append(f"val_acc {logs['val_accuracy']:.2%}")
            parts.append(f"{time.perf_counter() - self.start:.1f}s")
            line = "  ".join(parts)
            stream.write("\r" + line + "\033[K" if tty else line + "\n")
            stream.flush()

        def on_train_end(self, trainer):
            if tty:
                stream.write("\n")
                stream.flush()

    return Progress()


def _sizes(args, data) -> list[int]:
    from nnscratch.network import parse_sizes

    n_out = data.n_outputs
    if args.layers:
        sizes = parse_sizes(args.layers)
        if sizes[0] != data.n_features or sizes[-1] != n_out:
            what = f"{n_out} classes" if data.task == "classification" else f"{n_out} target(s)"
            raise ValueError(
                f"--layers: {args.layers!r} does not fit the data: {data.name!r} has {data.n_features} "
                f"features and {what}, so the sizes must run {data.n_features}-…-{n_out}"
            )
        return sizes
    return [data.n_features, *_hidden_units(args.units), n_out]


def _hidden_units(text: str) -> list[int]:
    """``"100"`` → [100], ``"64-32"`` → [64, 32], ``"0"`` → [] (no hidden layer)."""
    if text.strip() == "0":
        return []
    try:
        units = [int(t) for t in text.replace(",", "-").split("-")]
    except ValueError:
        units = []
    if not units or any(u <= 0 for u in units):
        raise ValueError(f"--units: expected hidden layer sizes like 100 or 64-32 (0 for none), got {text!r}")
    return units


def _resumed_rate(args) -> float:
    """The learning rate the checkpoint continues with; a different --lr or --optimizer is refused."""
    from nnscratch import io

    _, state, _ = io.load_checkpoint(args.checkpoint)
    written_by = (state.get("optimizer") or {}).get("name")
    if written_by and written_by != args.optimizer:
        raise ValueError(
            f"--optimizer: the checkpoint {args.checkpoint!r} was written by {written_by!r}, not "
            f"{args.optimizer!r}; pass --optimizer {written_by} to resume it"
        )
    rate = float(state["base_lr"])
    if args.lr is not None and args.lr != rate:
        raise ValueError(
            f"--lr: {args.lr:g} differs from the learning rate {rate:g} of the checkpoint "
            f"{args.checkpoint!r}; a resumed run continues with the checkpoint's rate (leave out --lr, or "
            f"start a new run without --resume)"
        )
    return rate


def _check_arguments(args) -> str | None:
    """Everything that can be refused before the data are loaded; returns the path to save to."""
    from nnscratch.cli._files import CHECKPOINT, MODEL, check_output

    inputs = (args.data,) if os.path.exists(args.data) else ()
    save_path = None if args.no_save else args.save
    if save_path is not None:
        check_output(save_path, "--save", MODEL, inputs)
    if args.resume and not args.checkpoint:
        raise ValueError("--resume: needs --checkpoint PATH, the checkpoint to continue from")
    if args.checkpoint:
        if args.resume and not os.path.exists(args.checkpoint):
            raise ValueError(f"--resume: no checkpoint {args.checkpoint!r} to continue from")
        check_output(args.checkpoint, "--checkpoint", CHECKPOINT, inputs)
        if save_path is not None and os.path.abspath(args.checkpoint) == os.path.abspath(save_path):
            raise ValueError(
                "--checkpoint: must differ from --save (the checkpoint is rewritten every epoch)"
            )
    if args.val_split + args.test_split >= 1:
        raise ValueError(
            f"--val-split + --test-split: expected less than 1, got {args.val_split + args.test_split:g}"
        )
    if args.early_stopping and args.val_split == 0:
        raise ValueError("--early-stopping: watches the validation loss; needs --val-split > 0")
    return save_path


def _prepare(args):
    """The data set, its three parts (preprocessed, in the network's units) and the model's metadata."""
    import numpy as np

    from nnscratch import datasets
    from nnscratch.cli import _modeldata as M

    data = datasets.load(args.data, target=args.target, task=args.task)
    if args.task != "auto" and data.task != args.task:
        raise ValueError(f"--task: the data set {data.name!r} is {data.task}, not {args.task}")
    if data.task == "classification" and (data.n_classes or 0) < 2:
        raise ValueError(f"data: {data.name!r} has only {data.n_classes} class; expected at least 2")
    train_part, val_part, test_part = M.split_data(data, args.val_split, args.test_split, args.split_seed)
    pre = M.fit_preprocess(args.preprocess, train_part[0], data.image_shape is not None)
    meta: dict = {
        "nnscratch_cli": CLI_FORMAT,
        "task": data.task,
        "data": data.name if datasets.is_named(str(args.data)) else str(args.data),
        "data_source": data.source,
        "feature_names": list(data.feature_names),
        "target": data.target,
        "preprocess": pre,
    }
    if data.task == "classification":
        meta["target_names"] = list(data.target_names)
    else:
        ytr = np.asarray(train_part[1], dtype=np.float64)
        std = float(ytr.std())
        meta["target_scaling"] = {"mean": float(ytr.mean()), "std": std if std > 0 else 1.0}
    if data.image_shape is not None:
        meta["image_shape"] = list(data.image_shape)

    def prepared(part):
        x, y = part
        ys = np.asarray(y) if data.task == "classification" else M.scale_target(meta, y)
        return M.apply_preprocess(pre, x), ys

    return data, [prepared(train_part), prepared(val_part), prepared(test_part)], meta


def run(args: argparse.Namespace) -> int:
    """Train, print the table (or JSON), save the model; every refusal comes before the training."""
    from nnscratch.cli import _modeldata as M
    from nnscratch.cli._signals import Interrupts
    from nnscratch.network import Network
    from nnscratch.training import EarlyStopping, train

    save_path = _check_arguments(args)
    resumed_rate = _resumed_rate(args) if args.resume else None
    data, parts, meta = _prepare(args)
    (xtr, ytr), (xva, yva), (xte, yte) = parts
    sizes = _sizes(args, data)
    output = "softmax" if data.task == "classification" else "identity"
    net = Network(sizes, hidden=args.hidden, output=output, seed=args.seed)
    # on resume the optimizer's state, rate included, comes from the checkpoint: no rate is passed
    lr = None if args.resume else args.lr if args.lr is not None else DEFAULT_LR.get(args.optimizer)
    shown = resumed_rate if args.resume else lr

    stream = sys.stderr if args.json else sys.stdout
    callbacks = []
    if args.early_stopping:
        callbacks.append(EarlyStopping(patience=args.early_stopping, monitor="val_loss"))
    if not args.quiet:
        callbacks.append(_progress(stream, args.epochs, stream.isatty(), data.task == "classification"))
        print(
            f"training {'-'.join(map(str, sizes))} ({args.hidden}, {output}) on {data.name}: "
            f"{len(xtr):,} train / {len(xva):,} validation / {len(xte):,} test rows, "
            f"{args.optimizer} lr={shown if shown is not None else 'default'}, "
            f"batch {args.batch_size or 'full'}",
            file=stream,
            flush=True,
        )
    t0 = time.perf_counter()
    history = train(
        net, xtr, ytr, optimizer=args.optimizer, lr=lr, epochs=args.epochs, batch_size=args.batch_size,
        shuffle=True, seed=args.seed, validation_data=(xva, yva) if len(xva) else None, callbacks=callbacks,
        weight_decay=args.weight_decay, checkpoint=args.checkpoint,
        resume=args.checkpoint if args.resume else None,
    )
    seconds = time.perf_counter() - t0
    results = {"train": M.metrics(net, meta, xtr, ytr)}
    if len(xva):
        results["validation"] = M.metrics(net, meta, xva, yva)
    if len(xte):
        results["test"] = M.metrics(net, meta, xte, yte)
    meta["training"] = _training_record(args, history, lr, seconds)
    meta["metrics"] = results
    meta["history"] = {k: v for k, v in history.as_dict().items() if k != "epoch_time"}
    if save_path is not None:
        from nnscratch import io

        with Interrupts() as interrupts, interrupts.critical():  # a Ctrl-C now waits for the file
            io.save(net, save_path, metadata=meta)
    _report(args, meta, data, sizes, results, history, seconds, save_path)
    return P.EXIT_OK


def _training_record(args, history, lr: float | None, seconds: float) -> dict:
    """How the model was trained; ``lr`` is the rate actually used (the optimizer's or the checkpoint's)."""
    used = history.lr[-1] if history.lr else lr
    return {
        "optimizer": args.optimizer,
        "lr": used,
        "epochs": history.epochs,
        "batch_size": args.batch_size,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "split_seed": args.split_seed,
        "val_split": args.val_split,
        "test_split": args.test_split,
        "hidden": args.hidden,
        "steps": history.steps,
        "seconds": round(seconds, 3),
        "best_epoch": history.best_epoch,
    }


def _report(args, meta, data, sizes, results, history, seconds, save_path) -> None:
    from nnscratch.cli._tables import format_table
    from nnscratch.cli._tables import seconds as fmt_seconds

    if args.json:
        report = {
            "data": meta["data"],
            "task": data.task,
            "layers": "-".join(map(str, sizes)),
            **results,
            "epochs": history.epochs,
            "steps": history.steps,
            "seconds": round(seconds, 3),
            "saved": save_path,
        }
        print(json.dumps(report, ensure_ascii=False))
        return
    if not args.quiet:
        print()
    print(format_table(list(results.items())))
    stopped = f", early stop at epoch {history.stopped_epoch}" if history.stopped_epoch else ""
    print(f"time {fmt_seconds(seconds)} ({history.epochs} epochs, {history.steps:,} steps{stopped})")
    if save_path is not None:
        print(f"model saved to {save_path}")
