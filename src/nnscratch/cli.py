"""The ``nnscratch`` command line.

``nnscratch train`` with no arguments is the main job: the digits data set, a 64-100-10 ReLU/softmax
network trained with Adam, a held-out test split, a progress display, a final table and a saved model.
Other commands: ``evaluate``, ``predict``, ``summary``, ``datasets``, ``gradcheck``, ``stream`` (online
learning from CSV rows on standard input), and the lab's ``trace`` and ``plot``.

Errors in the input (a bad file, an unknown name, a non-positive learning rate, …) print one line
``nnscratch: error: …`` on standard error and exit with status 2; nothing is overwritten. Heavy
libraries (scikit-learn, matplotlib) are imported only by the commands that use them, so
``nnscratch --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# the lab provides these sub-commands (each module has register(subparsers))
LAB_COMMANDS = ("nnscratch.lab.trace_cli", "nnscratch.lab.plot_cli")

DEFAULT_LR = {"adam": 0.005}  # other optimizers use their own default (0.01)
CLI_FORMAT = 1  # version of the metadata a CLI-saved model carries


# ================================================================ parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(convert: type, accept, expected: str, full: bool = False):
    """An argparse type: ``convert(text)`` that ``accept`` admits (and 'full' → None when ``full``)."""

    def parse(text: str):
        if full and text.strip().lower() == "full":
            return None
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_float = _number(float, lambda v: v > 0, "a positive number")
_nonneg_float = _number(float, lambda v: v >= 0, "a number ≥ 0")
_positive_int = _number(int, lambda v: v > 0, "a positive integer")
_nonneg_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
_batch_size = _number(int, lambda v: v > 0, "a positive integer or 'full'", full=True)
_fraction = _number(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")


def _version() -> str:
    from nnscratch import __version__

    return f"nnscratch {__version__}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nnscratch",
        description="A from-scratch NumPy neural network: train, evaluate and inspect models "
        "(JDLA E資格 / ゼロから作るDeep Learning). Run 'nnscratch train' for the main job.",
        epilog="Each command has its own --help, e.g. 'nnscratch train --help'.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    # -------------------------------------------------------- train
    p = sub.add_parser(
        "train",
        help="train a network (no arguments: digits, 64-100-10, Adam) and save it",
        description="Train a network on a named data set or a CSV/.npz file, show the progress, print "
        "train/validation/test loss and accuracy, and save the model with its preprocessing. With no "
        "arguments: the digits data set (1,797 8×8 images), a 64-100-10 ReLU/softmax network, Adam, a "
        "20%% held-out test split.",
        epilog="Examples: nnscratch train | nnscratch train --data iris --units 16 | "
        "nnscratch train --data my.csv --target label --save my-model.npz",
    )
    p.add_argument(
        "--data",
        default="digits",
        metavar="NAME|FILE",
        help="a data set name (see 'nnscratch datasets') or a .csv/.npz file (default digits)",
    )
    p.add_argument("--target", metavar="COLUMN", help="the CSV column to predict (default: the last column)")
    p.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="classification or regression (default: from the target's values)",
    )
    p.add_argument(
        "--layers",
        metavar="SIZES",
        help="all layer sizes, e.g. 64-100-10 (input and output must fit the data)",
    )
    p.add_argument(
        "--units",
        default="100",
        metavar="SIZES",
        help="hidden layer sizes only, e.g. 100 or 64-32 (default 100); ignored with --layers",
    )
    p.add_argument(
        "--hidden",
        default="relu",
        choices=("relu", "sigmoid", "tanh", "leaky_relu", "identity"),
        help="hidden activation (default relu); the output layer follows the task: softmax + "
        "cross entropy for classes, identity + squared error for regression",
    )
    p.add_argument(
        "--optimizer",
        default="adam",
        choices=("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"),
        help="update rule (default adam)",
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        help="learning rate (default 0.005 for adam, else the optimizer's default 0.01)",
    )
    p.add_argument(
        "--epochs", type=_positive_int, default=60, help="passes over the training data (default 60)"
    )
    p.add_argument(
        "--batch-size",
        type=_batch_size,
        default=32,
        metavar="N|full",
        help="mini-batch size; 1 is online SGD, 'full' one batch per epoch (default 32)",
    )
    p.add_argument("--weight-decay", type=_nonneg_float, default=0.0, help="L2 weight decay λ (default 0)")
    p.add_argument("--val-split", type=_fraction, default=0.1, help="validation fraction (default 0.1)")
    p.add_argument(
        "--test-split",
        type=_fraction,
        default=0.2,
        help="held-out test fraction (default 0.2; data sets with an official test set use it)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the initial weights and batch order (default 0)"
    )
    p.add_argument(
        "--split-seed",
        type=int,
        default=0,
        help="seed of the validation/test split, fixed so runs are comparable (default 0)",
    )
    p.add_argument(
        "--preprocess",
        choices=("auto", "standardize", "scale", "none"),
        default="auto",
        help="feature scaling fitted on the training part: standardize (x−μ)/σ, scale x/max|x| "
        "(auto: scale for images, else standardize)",
    )
    p.add_argument(
        "--early-stopping",
        type=_nonneg_int,
        default=0,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE epochs (0: off)",
    )
    p.add_argument(
        "--save", default="model.npz", metavar="PATH", help="where to save the model (default model.npz)"
    )
    p.add_argument("--no-save", action="store_true", help="do not save the model")
    p.add_argument("--checkpoint", metavar="PATH", help="write a training checkpoint after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint up to --epochs in total")
    p.add_argument("--json", action="store_true", help="print the final metrics as one JSON object on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_train)

    # -------------------------------------------------------- evaluate
    p = sub.add_parser(
        "evaluate",
        help="loss and accuracy (or RMSE and R²) of a saved model on data",
        description="Evaluate a saved model. Without --data: the held-out test part of the data it was "
        "trained on (recreated from the split stored in the model). With --data: every row of that data.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file saved by 'nnscratch train' or net.save")
    p.add_argument("--data", metavar="NAME|FILE", help="a data set name or a .csv/.npz file")
    p.add_argument("--target", metavar="COLUMN", help="the CSV target column (default: the model's)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=cmd_evaluate)

    # -------------------------------------------------------- predict
    p = sub.add_parser(
        "predict",
        help="predict rows of a CSV or .npz file (or stdin); CSV out",
        description="Predict with a saved model. Input: a CSV with a header row (columns matched by the "
        "model's feature names, else by position) or an .npz with an array 'x'; '-' reads standard input. "
        "The model's preprocessing is applied, so raw rows work. Output: CSV with class names (or values).",
    )
    p.add_argument("model", metavar="MODEL", help="a model file")
    p.add_argument(
        "input", nargs="?", default="-", metavar="INPUT", help="CSV or .npz file, '-' for stdin (default)"
    )
    p.add_argument(
        "--output", "-o", default="-", metavar="PATH", help="CSV file to write, '-' for stdout (default)"
    )
    p.add_argument("--proba", action="store_true", help="also print the probability of every class")
    p.set_defaults(func=cmd_predict)

    # -------------------------------------------------------- summary
    p = sub.add_parser(
        "summary",
        help="layers, parameters and what a saved model was trained on",
        description="Describe a saved model: its layers and parameter counts, its data, "
        "preprocessing, classes and final metrics.",
    )
    p.add_argument("model", metavar="MODEL", help="a model file")
    p.set_defaults(func=cmd_summary)

    # -------------------------------------------------------- datasets
    p = sub.add_parser(
        "datasets",
        help="list the data sets with their sizes and sources",
        description="List the named data sets 'nnscratch train --data NAME' accepts.",
    )
    p.set_defaults(func=cmd_datasets)

    # -------------------------------------------------------- gradcheck
    p = sub.add_parser(
        "gradcheck",
        help="compare back-propagation with the numerical gradient",
        description="Gradient check (勾配確認): the back-propagated gradient of every parameter against a "
        "central-difference numerical gradient, in float64, on random data. Exit status 0 when all agree.",
    )
    p.add_argument("--layers", default="2-3-3-1", metavar="SIZES", help="layer sizes (default 2-3-3-1)")
    p.add_argument("--hidden", default="relu", help="hidden activation (default relu)")
    p.add_argument(
        "--output",
        default="identity",
        choices=("identity", "sigmoid", "softmax"),
        help="output activation; its loss is paired automatically (default identity)",
    )
    p.add_argument("--samples", type=_positive_int, default=4, help="random samples (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and data (default 0)")
    p.add_argument("--tol", type=_positive_float, default=1e-6, help="largest accepted relative error (1e-6)")
    p.set_defaults(func=cmd_gradcheck)

    # -------------------------------------------------------- stream
    p = sub.add_parser(
        "stream",
        help="online learning: update a model from CSV rows on stdin",
        description="Online learning (オンライン学習), like the course's POS-data example: read CSV rows "
        "(header first) from standard input; each row updates the model at once. The running loss is "
        "printed every --every rows; the model is saved (atomically) every --save-every rows and at the "
        "end of input or Ctrl-C. A bad row stops with an error; the file keeps the last save.",
    )
    p.add_argument("model", metavar="MODEL", help="the model to update (saved by 'nnscratch train')")
    p.add_argument("--target", metavar="COLUMN", help="the target column (default: the model's)")
    p.add_argument(
        "--optimizer",
        default="sgd",
        choices=("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"),
        help="default sgd",
    )
    p.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument(
        "--every",
        type=_positive_int,
        default=100,
        metavar="N",
        help="print the mean loss of the last N rows every N rows (default 100)",
    )
    p.add_argument(
        "--save-every",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="save the model every N rows (default 1000)",
    )
    p.add_argument("--out", metavar="PATH", help="save to PATH instead of updating MODEL in place")
    p.add_argument("--quiet", "-q", action="store_true", help="no running loss")
    p.set_defaults(func=cmd_stream)

    # -------------------------------------------------------- the lab's commands
    import importlib

    for module_name in LAB_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, module_name.rpartition(".")[0]):
                raise
            continue
        module.register(sub)
    return parser


# ================================================================ entry point


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def _error(message: str) -> None:
    print(f"nnscratch: error: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 check failed, 2 bad input, 130 Ctrl-C)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_OK
    try:
        return int(args.func(args) or EXIT_OK)
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. '| head'); stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_FAIL
    except (ValueError, TypeError, ImportError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except OSError as exc:
        _error(_os_message(exc))
        return EXIT_USAGE


# ================================================================ shared helpers


def _check_output_path(path: str, option: str) -> None:
    """Fail before any work when ``path`` cannot be written, or would replace a file that is not an
    nnscratch model (a typo like ``--save data.csv`` must not destroy the data)."""
    if not path:
        raise ValueError(f"{option}: expected a file name such as model.npz, got an empty string")
    if os.path.isdir(path):
        raise ValueError(f"{option}: {path!r} is a directory; expected a file name such as model.npz")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError(
            f"{option}: cannot write {path!r}: the directory {os.path.dirname(path)!r} does not exist"
        )
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".nnscratch-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{option}: cannot write {path!r}: {exc.strerror}") from None
    if os.path.exists(path):
        from nnscratch import io

        try:
            io.load_with_metadata(path)
        except (ValueError, TypeError, OSError):
            raise ValueError(
                f"{option}: {path!r} exists and is not an nnscratch model file; refusing to replace it "
                f"(choose another path or remove the file)"
            ) from None


def _load_model(path: str):
    from nnscratch import io

    net, meta = io.load_with_metadata(path)
    return net, meta


def _features_for(meta: dict, n_in: int) -> list[str] | None:
    names = meta.get("feature_names")
    return list(names) if isinstance(names, list) and len(names) == n_in else None


def _fit_preprocess(kind: str, x_train, image: bool) -> dict:
    import numpy as np

    from nnscratch.datasets import Standardizer

    if kind == "auto":
        kind = "scale" if image else "standardize"
    if kind == "standardize":
        return {"kind": "standardize", **Standardizer().fit(x_train).to_dict()}
    if kind == "scale":
        top = float(np.max(np.abs(x_train))) if x_train.size else 1.0
        return {"kind": "scale", "scale": top if top > 0 else 1.0}
    return {"kind": "none"}


def _apply_preprocess(pre: dict | None, x):
    import numpy as np

    from nnscratch.datasets import Standardizer

    x = np.asarray(x, dtype=np.float32)
    kind = (pre or {}).get("kind", "none")
    if kind == "standardize":
        s = Standardizer.from_dict(pre)
        if s.mean.shape != (x.shape[1],):
            raise ValueError(
                f"x: the model's standardisation has {s.mean.size} columns, the data {x.shape[1]}"
            )
        return s.transform(x).astype(np.float32)
    if kind == "scale":
        return (x / np.float32(pre["scale"])).astype(np.float32)
    if kind == "none":
        return x
    raise ValueError(f"the model's metadata has an unknown preprocessing {kind!r}")


def _scale_target(meta: dict, y):
    import numpy as np

    ts = meta.get("target_scaling")
    y = np.asarray(y, dtype=np.float32)
    if ts:
        return ((y - ts["mean"]) / ts["std"]).astype(np.float32)
    return y


def _unscale_target(meta: dict, y):
    import numpy as np

    ts = meta.get("target_scaling")
    y = np.asarray(y, dtype=np.float64)
    return y * ts["std"] + ts["mean"] if ts else y


def _metrics(net, meta: dict, x, y_model) -> dict:
    """Loss and accuracy (classification) or loss, RMSE and R² in the target's units (regression).

    ``x`` is preprocessed; ``y_model`` is what the network trains on (labels, or scaled targets)."""
    import numpy as np

    if len(x) == 0:
        return {}
    out = {"loss": float(net.loss(x, y_model))}
    if net.output != "identity":
        out["accuracy"] = float(net.accuracy(x, y_model))
    else:
        pred = _unscale_target(meta, net.predict(x)).reshape(len(x), -1)
        truth = _unscale_target(meta, y_model).reshape(len(x), -1)
        err = pred - truth
        out["rmse"] = float(np.sqrt(np.mean(err**2)))
        ss_tot = float(np.sum((truth - truth.mean(axis=0)) ** 2))
        out["r2"] = float(1 - np.sum(err**2) / ss_tot) if ss_tot > 0 else float("nan")
    out["samples"] = int(len(x))
    return out


def _seconds(t: float) -> str:
    return f"{t:.2f} s" if t < 10 else f"{t:.1f} s"


def _format_table(rows: list[tuple[str, dict]]) -> str:
    cols = [c for c in ("loss", "accuracy", "rmse", "r2") if any(c in m for _, m in rows)]
    head = ["", *cols, "samples"]
    body = []
    for name, m in rows:
        cells = [name]
        for c in cols:
            v = m.get(c)
            cells.append("-" if v is None else (f"{v:.2%}" if c == "accuracy" else f"{v:.4f}"))
        cells.append(f"{m.get('samples', 0):,}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    ]
    for r in body:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _split_data(data, val_split: float, test_split: float, split_seed: int):
    """(x, y) for train, validation and test: the data set's own test set when it has one."""
    import numpy as np

    from nnscratch.datasets import train_test_split, train_val_test_split

    strat = data.task == "classification"
    if data.test is not None:
        test = (data.test.x, data.test.y)
        if val_split > 0:
            xtr, xva, ytr, yva = train_test_split(data.x, data.y, val_split, stratify=strat, seed=split_seed)
        else:
            xtr, ytr, xva, yva = data.x, data.y, data.x[:0], data.y[:0]
        return (xtr, ytr), (xva, yva), test
    if len(data.x) < 3 and (val_split or test_split):
        raise ValueError(f"data: {data.name!r} has {len(data.x)} rows; too few to split off validation/test")
    if val_split + test_split >= 1:
        raise ValueError(f"--val-split + --test-split: expected less than 1, got {val_split + test_split:g}")
    parts = train_val_test_split(data.x, data.y, val_split, test_split, stratify=strat, seed=split_seed)
    return tuple((np.asarray(a), np.asarray(b)) for a, b in parts)


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


# ================================================================ train


def _progress(stream, epochs: int, tty: bool, classification: bool):
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
            if tty:
                stream.write("\r" + line + "\033[K")
            else:
                stream.write(line + "\n")
            stream.flush()

        def on_train_end(self, trainer):
            if tty:
                stream.write("\n")
                stream.flush()

    return Progress()


def cmd_train(args: argparse.Namespace) -> int:
    import numpy as np

    from nnscratch import datasets, io
    from nnscratch.network import Network
    from nnscratch.training import EarlyStopping, train

    # everything that can be refused is refused before the data are loaded or training starts
    save_path = None if args.no_save else args.save
    if save_path is not None:
        _check_output_path(save_path, "--save")
    if args.resume and not args.checkpoint:
        raise ValueError("--resume: needs --checkpoint PATH, the checkpoint to continue from")
    if args.checkpoint:
        if args.resume and not os.path.exists(args.checkpoint):
            raise ValueError(f"--resume: no checkpoint {args.checkpoint!r} to continue from")
        _check_output_path(args.checkpoint, "--checkpoint")
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

    data = datasets.load(args.data, target=args.target, task=args.task)
    if args.task != "auto" and data.task != args.task:
        raise ValueError(f"--task: the data set {data.name!r} is {data.task}, not {args.task}")
    if data.task == "classification" and (data.n_classes or 0) < 2:
        raise ValueError(f"data: {data.name!r} has only {data.n_classes} class; expected at least 2")
    train_part, val_part, test_part = _split_data(data, args.val_split, args.test_split, args.split_seed)
    pre = _fit_preprocess(args.preprocess, train_part[0], data.image_shape is not None)
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
        xs = _apply_preprocess(pre, x)
        ys = np.asarray(y) if data.task == "classification" else _scale_target(meta, y)
        return xs, ys

    (xtr, ytr), (xva, yva), (xte, yte) = prepared(train_part), prepared(val_part), prepared(test_part)
    sizes = _sizes(args, data)
    output = "softmax" if data.task == "classification" else "identity"
    net = Network(sizes, hidden=args.hidden, output=output, seed=args.seed)
    lr = args.lr if args.lr is not None else DEFAULT_LR.get(args.optimizer)

    stream = sys.stderr if args.json else sys.stdout
    callbacks = []
    if args.early_stopping:
        callbacks.append(EarlyStopping(patience=args.early_stopping, monitor="val_loss"))
    if not args.quiet:
        tty = stream.isatty()
        callbacks.append(_progress(stream, args.epochs, tty, data.task == "classification"))
        print(
            f"training {'-'.join(map(str, sizes))} ({args.hidden}, {output}) on {data.name}: "
            f"{len(xtr):,} train / {len(xva):,} validation / {len(xte):,} test rows, "
            f"{args.optimizer} lr={lr if lr is not None else 'default'}, batch {args.batch_size or 'full'}",
            file=stream,
            flush=True,
        )
    t0 = time.perf_counter()
    history = train(
        net,
        xtr,
        ytr,
        optimizer=args.optimizer,
        lr=None if args.resume and args.lr is None else lr,  # resuming: the checkpoint's rate
        epochs=args.epochs,
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
        validation_data=(xva, yva) if len(xva) else None,
        callbacks=callbacks,
        weight_decay=args.weight_decay,
        checkpoint=args.checkpoint,
        resume=args.checkpoint if args.resume else None,
    )
    seconds = time.perf_counter() - t0
    results = {"train": _metrics(net, meta, xtr, ytr)}
    if len(xva):
        results["validation"] = _metrics(net, meta, xva, yva)
    if len(xte):
        results["test"] = _metrics(net, meta, xte, yte)
    meta["training"] = {
        "optimizer": args.optimizer,
        "lr": lr,
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
    meta["metrics"] = results
    meta["history"] = {k: v for k, v in history.as_dict().items() if k != "epoch_time"}
    if save_path is not None:
        io.save(net, save_path, metadata=meta)

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
        return EXIT_OK
    labels = {"train": "train", "validation": "validation", "test": "test"}
    if not args.quiet:
        print()
    print(_format_table([(labels[k], v) for k, v in results.items()]))
    stopped = f", early stop at epoch {history.stopped_epoch}" if history.stopped_epoch else ""
    print(f"time {_seconds(seconds)} ({history.epochs} epochs, {history.steps:,} steps{stopped})")
    if save_path is not None:
        print(f"model saved to {save_path}")
    return EXIT_OK


# ================================================================ evaluate


def _align(data, meta: dict, net):
    """Features in the model's column order and targets in the model's label space."""
    import numpy as np

    n_in, n_out = net.sizes[0], net.sizes[-1]
    names = _features_for(meta, n_in)
    if names and set(names) <= set(data.feature_names):
        x = data.x[:, [data.feature_names.index(n) for n in names]]
    elif data.n_features == n_in:
        x = data.x
    else:
        raise ValueError(f"data: the model expects {n_in} features, {data.name!r} has {data.n_features}")
    if net.output == "identity":
        if data.task != "regression":
            raise ValueError(
                f"data: the model predicts numbers (regression), but {data.name!r} has class labels"
            )
        return x, _scale_target(meta, data.y)
    if data.task != "classification":
        raise ValueError(
            f"data: the model predicts classes, but {data.name!r} has numeric (regression) targets"
        )
    model_names = meta.get("target_names") or [str(i) for i in range(n_out)]
    index = {n: i for i, n in enumerate(model_names)}
    given = data.target_names or [str(i) for i in range(int(data.y.max()) + 1)]
    unknown = sorted({given[i] for i in np.unique(data.y)} - set(index))
    if unknown:
        raise ValueError(
            f"data: class(es) {', '.join(map(repr, unknown[:5]))} in {data.name!r} are unknown to the model, "
            f"which knows {', '.join(map(repr, model_names[:10]))}"
        )
    mapping = np.array([index.get(n, -1) for n in given])
    return x, mapping[data.y]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nnscratch import datasets

    net, meta = _load_model(args.model)
    if args.data is None:
        if not meta.get("data"):
            raise ValueError(
                f"--data: {args.model!r} does not record its training data; pass --data NAME|FILE"
            )
        named = datasets.is_named(meta["data"])
        data = datasets.load(
            meta["data"], target=None if named else meta.get("target"), task=meta.get("task", "auto")
        )
        t = meta.get("training", {})
        _, _, test = _split_data(
            data, t.get("val_split", 0.1), t.get("test_split", 0.2), t.get("split_seed", 0)
        )
        data = datasets.Dataset(
            test[0],
            test[1],
            data.task,
            name=data.name,
            feature_names=data.feature_names,
            target_names=data.target_names,
        )
        what = f"{data.name} (held-out test part)"
    else:
        target = args.target or (meta.get("target") if not args.data.lower().endswith(".npz") else None)
        if datasets.is_named(args.data):
            target = None
        data = datasets.load(args.data, target=target, task=meta.get("task", "auto"))
        what = data.name
    x, y = _align(data, meta, net)
    result = _metrics(net, meta, _apply_preprocess(meta.get("preprocess"), x), y)
    if args.json:
        print(json.dumps({"model": args.model, "data": what, **result}, ensure_ascii=False))
    else:
        print(f"{args.model} on {what}")
        print(_format_table([("evaluation", result)]))
    return EXIT_OK


# ================================================================ predict


def _format_number(v: float) -> str:
    return f"{v:.6g}"


def cmd_predict(args: argparse.Namespace) -> int:
    import csv
    import io as _io

    import numpy as np

    from nnscratch.datasets import read_features

    net, meta = _load_model(args.model)
    if args.output != "-":
        _check_not_input(args.output, args.input, args.model)
    x = read_features(args.input, _features_for(meta, net.sizes[0]), net.sizes[0], target=meta.get("target"))
    y = np.atleast_2d(net.predict(_apply_preprocess(meta.get("preprocess"), x)))
    target = meta.get("target") or "prediction"
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if net.output == "identity":
        values = _unscale_target(meta, y)
        header = [target] if values.shape[1] == 1 else [f"{target}_{j}" for j in range(values.shape[1])]
        writer.writerow(header)
        for row in values:
            writer.writerow([_format_number(v) for v in row])
    else:
        names = meta.get("target_names") or [str(i) for i in range(net.sizes[-1])]
        if net.output == "sigmoid" and y.shape[1] == 1:
            proba = np.column_stack([1 - y[:, 0], y[:, 0]])
            names = names if len(names) == 2 else ["0", "1"]
        else:
            proba = y
        classes = np.argmax(proba, axis=1)
        header = [target] + ([f"p({n})" for n in names] if args.proba else [])
        writer.writerow(header)
        for k, p in zip(classes, proba, strict=True):
            writer.writerow([names[k]] + ([_format_number(v) for v in p] if args.proba else []))
    text = buf.getvalue()
    if args.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _atomic_write_text(args.output, text)
    return EXIT_OK


def _check_not_input(output: str, *inputs: str) -> None:
    for path in inputs:
        if path != "-" and os.path.exists(path) and os.path.exists(output) and os.path.samefile(output, path):
            raise ValueError(f"--output: {output!r} is also an input; choose another file")
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise ValueError(
            f"--output: cannot write {output!r}: the directory {os.path.dirname(output)!r} does not exist"
        )


def _atomic_write_text(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ================================================================ summary


def _preview(names: list, k: int = 6) -> str:
    names = [str(n) for n in names]
    return ", ".join(names) if len(names) <= k else f"{', '.join(names[:3])}, …, {', '.join(names[-2:])}"


def cmd_summary(args: argparse.Namespace) -> int:
    net, meta = _load_model(args.model)
    print(net.summary())
    if not meta:
        print("no training metadata (saved from Python without metadata): inputs and outputs are raw numbers")
        return EXIT_OK
    print()
    if meta.get("data"):
        print(f"data           {meta['data']} ({meta.get('task', '?')})")
    names = meta.get("feature_names") or []
    if names:
        print(f"features       {len(names)}: {_preview(names)}")
    if meta.get("target_names"):
        print(f"classes        {len(meta['target_names'])}: {_preview(meta['target_names'], 10)}")
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
            f"{t.get('batch_size') or 'full'}, seed {t.get('seed')}, {_seconds(t.get('seconds', 0))}"
        )
    if "stream" in meta:
        print(f"online updates {meta['stream'].get('rows', 0):,} rows from 'nnscratch stream'")
    metrics = meta.get("metrics") or {}
    if metrics:
        print()
        print(_format_table(list(metrics.items())))
    return EXIT_OK


# ================================================================ datasets


def cmd_datasets(args: argparse.Namespace) -> int:
    from nnscratch.datasets import REGISTRY
    from nnscratch.datasets.idx import FILES, data_home

    head = ("name", "task", "samples", "features", "classes", "source", "description")
    rows = []
    for info in REGISTRY.values():
        source = info.source
        if info.loader.__module__.endswith(".idx"):
            cached = all((data_home(info.name) / f).exists() for f in FILES.values())
            source += " ✓" if cached else ""
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
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    right = {2, 3, 4}
    for r in [head, *rows]:
        print(
            "  ".join(
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    print(
        "\nAlso: any .csv file with a header row (--target COLUMN) or .npz file with arrays x and y. "
        "Downloads are cached in " + str(data_home()) + " (✓ = cached)."
    )
    return EXIT_OK


# ================================================================ gradcheck


def cmd_gradcheck(args: argparse.Namespace) -> int:
    import numpy as np

    from nnscratch.gradcheck import gradcheck
    from nnscratch.network import Network

    net = Network(args.layers, hidden=args.hidden, output=args.output, seed=args.seed, dtype="float64")
    rng = np.random.default_rng(args.seed + 1)
    # biases start at 0; a sample whose inputs to a layer are all 0 (dead ReLUs) would then sit exactly on
    # the ReLU kink at u = 0, where the numerical gradient averages both slopes. Random biases avoid that.
    for key, p in net.params.items():
        if key.startswith("b"):
            p[...] = 0.1 * rng.standard_normal(p.shape)
    n_in, n_out = net.sizes[0], net.sizes[-1]
    x = rng.standard_normal((args.samples, n_in))
    if args.output == "softmax":
        d = rng.integers(0, n_out, args.samples)
    elif args.output == "sigmoid":
        d = rng.integers(0, 2, (args.samples, n_out)).astype(np.float64)
    else:
        d = rng.standard_normal((args.samples, n_out))
    errors = gradcheck(net, x, d)
    print(f"{net!r}, {args.samples} random samples, seed {args.seed}")
    print(f"{'param':<6} {'shape':>9}  {'relative error':>14}")
    worst = 0.0
    for key, err in errors.items():
        shape = "×".join(map(str, net.params[key].shape))
        ok = err <= args.tol
        worst = max(worst, err)
        print(f"{key:<6} {shape:>9}  {err:>14.3e}  {'ok' if ok else 'FAIL'}")
    if worst <= args.tol:
        print(f"all {len(errors)} gradients agree: max relative error {worst:.2e} ≤ {args.tol:g}")
        return EXIT_OK
    print(f"gradient check FAILED: max relative error {worst:.2e} > {args.tol:g}")
    return EXIT_FAIL


# ================================================================ stream


def cmd_stream(args: argparse.Namespace) -> int:
    import signal

    import numpy as np

    from nnscratch import io
    from nnscratch.datasets.files import RowReader
    from nnscratch.training import Trainer

    net, meta = _load_model(args.model)
    out = args.out or args.model
    if args.out:
        _check_output_path(out, "--out")
    target = args.target or meta.get("target")
    if not target:
        raise ValueError(f"--target: {args.model!r} does not record its target column; pass --target COLUMN")
    n_in = net.sizes[0]
    names = _features_for(meta, n_in)
    classes = None
    if net.output != "identity":
        classes = meta.get("target_names") or [
            str(i) for i in range(net.sizes[-1] if net.output == "softmax" else 2)
        ]
    stream_in = sys.stdin
    reader = RowReader(stream_in, names or [], target, classes)
    if names is None:  # a model without metadata: every column but the target, in order
        cols = [j for j in range(len(reader.header)) if j != reader.target_index]
        if len(cols) != n_in:
            raise ValueError(f"<stdin>: expected {n_in} feature columns besides {target!r}, got {len(cols)}")
        reader.columns = cols
    trainer = Trainer(net, optimizer=args.optimizer, lr=args.lr)
    pre = meta.get("preprocess")
    ts = meta.get("target_scaling")
    stream_meta = dict(meta.get("stream") or {})
    rows_before = int(stream_meta.get("rows", 0))
    rows = 0
    saved_rows = 0
    window: list[float] = []

    def save() -> None:
        nonlocal saved_rows
        meta["stream"] = {"rows": rows_before + rows, "optimizer": args.optimizer, "lr": args.lr}
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a save is never cut short by Ctrl-C
        try:
            io.save(net, out, metadata=meta)
        finally:
            signal.signal(signal.SIGINT, old)
        saved_rows = rows

    def report(message: str) -> None:
        if not args.quiet:
            print(message, flush=True)

    interrupted = False
    try:
        for _line, x_row, d in reader:
            x = _apply_preprocess(pre, x_row[None, :])
            if net.output == "identity":
                dd = np.array([[(d - ts["mean"]) / ts["std"] if ts else d]], dtype=np.float32)
            elif net.output == "softmax":
                dd = np.array([d])
            else:
                dd = np.array([[float(d)]], dtype=np.float32)
            window.append(trainer.step(x, dd))
            rows += 1
            if rows % args.every == 0:
                report(f"rows {rows_before + rows:>8,}  running loss {sum(window) / len(window):.4f}")
                window.clear()
            if rows % args.save_every == 0:
                save()
                report(f"saved {out} after {rows_before + rows:,} rows")
    except KeyboardInterrupt:
        interrupted = True
    if rows != saved_rows or not os.path.exists(out):
        save()
    if interrupted:
        print(f"interrupted: saved {out} after {rows_before + rows:,} rows", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    report(f"end of input: {rows:,} rows learned, saved {out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
