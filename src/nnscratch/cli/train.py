"""``nnscratch train``: a data set in, a trained model (with its preprocessing and metrics) out."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

from nnscratch.cli import _parser as P
from nnscratch.cli._run_options import FIELD, add_run_options, flag_message, layer_string


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``train`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "train",
        help="train a network (no arguments: digits, 64-100-10, Adam) and save it",
        description="Train a network on a named data set or a CSV/.npz file, show the progress, print "
        "train/validation/test loss and accuracy, and save the model with its preprocessing. With no "
        "arguments: the digits data set (1,797 8×8 images), a 64-100-10 ReLU/softmax network, Adam, a "
        "20%% held-out test split. A run can also come from a file: --config run.toml (a RunSpec; flags "
        "given as well override it), and --print-config prints the spec the flags make.",
        epilog="Examples: nnscratch train | nnscratch train --data iris --units 16 | "
        "nnscratch train --data my.csv --target label --save my-model.npz | "
        "nnscratch train --units 32 --print-config > run.toml; nnscratch train --config run.toml",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--config", metavar="FILE", help="a run specification (.toml or .json) to start from")
    p.add_argument("--print-config", action="store_true",
                   help="print the run specification (TOML) these options make, and stop")
    add_run_options(p)
    p.add_argument("--layers", metavar="STRING|SIZES",
                   help="the network as a layer string, e.g. conv8x3-relu-pool2-affine32-relu: tokens "
                   "conv<F>x<K>[s<S>][p<P>], pool<K>, avgpool<K>, flatten, affine<N>, relu|sigmoid|tanh|"
                   "leaky_relu|identity, dropout<P>, batchnorm, joined by '-'; the last affine and the "
                   "output layer follow the task, the input shape the data (images for a convolution "
                   "first: digits, mnist5k); or a preset simple_convnet|double_convnet|deep_convnet; or all "
                   "layer sizes of an MLP, e.g. 64-100-10 (ends must fit the data). Replaces --units")
    p.add_argument("--save", default="model.npz", metavar="PATH",
                   help="where to save the model (default model.npz); replaces only a model")
    p.add_argument("--no-save", action="store_true", default=False, help="do not save the model")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="write a training checkpoint after every epoch")
    p.add_argument("--resume", action="store_true", default=False,
                   help="continue from --checkpoint up to --epochs in total")
    p.add_argument("--json", action="store_true", default=False,
                   help="print the final metrics as one JSON object on stdout")
    p.add_argument("--quiet", "-q", action="store_true", default=False, help="no progress display")
    p.set_defaults(func=run)
    return p


def spec_from(args: argparse.Namespace):
    """The RunSpec of ``--config`` (or the defaults) with every given flag on top; errors name the flag."""
    from nnscratch.spec import RunSpec

    base = RunSpec.from_file(args.config) if getattr(args, "config", None) else RunSpec()
    given = {field: getattr(args, dest) for dest, field in FIELD.items() if hasattr(args, dest)}
    if layer_string(getattr(args, "layers", None)):
        given["layers"] = args.layers
    try:
        return base.replace(**given)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None


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


def _layers(args, spec, data):
    """``--layers 4-8-3``: the hidden sizes, after checking that the ends fit the data."""
    from nnscratch.network import parse_sizes

    sizes = parse_sizes(args.layers)
    n_out = data.n_outputs
    if sizes[0] != data.n_features or sizes[-1] != n_out:
        what = f"{n_out} classes" if data.task == "classification" else f"{n_out} target(s)"
        raise ValueError(
            f"--layers: {args.layers!r} does not fit the data: {data.name!r} has {data.n_features} "
            f"features and {what}, so the sizes must run {data.n_features}-…-{n_out}"
        )
    return spec.replace(hidden_sizes=tuple(sizes[1:-1]))


def _resumed_spec(args, spec, checkpoint):
    """The spec a resumed run continues with: the checkpoint's optimizer and learning rate (a different
    --optimizer or --lr is refused: a resumed run is the same run, bit for bit). ``checkpoint`` is the
    :class:`~nnscratch.training.checkpoint.Checkpoint` read and checked once by ``_check_arguments``."""
    from nnscratch.optim import OPTIMIZERS

    written_by = checkpoint.optimizer["name"]
    if written_by not in OPTIMIZERS:
        raise ValueError(
            f"--resume: checkpoint {args.checkpoint!r}, field 'optimizer': written by {written_by!r}, an "
            f"optimizer of its own; expected one of {', '.join(OPTIMIZERS)} (resume it with nnscratch.train "
            f"and that optimizer)"
        )
    if written_by != spec.optimizer:
        raise ValueError(
            f"--optimizer: the checkpoint {args.checkpoint!r} was written by {written_by!r}, not "
            f"{spec.optimizer!r}; pass --optimizer {written_by} to resume it"
        )
    rate = checkpoint.base_lr
    if spec.lr is not None and spec.lr != rate:
        raise ValueError(
            f"--lr: {spec.lr:g} differs from the learning rate {rate:g} of the checkpoint "
            f"{args.checkpoint!r}; a resumed run continues with the checkpoint's rate (leave out --lr, or "
            f"start a new run without --resume)"
        )
    return spec.replace(lr=rate)


def _check_arguments(args, spec):
    """Everything that can be refused before the data are loaded; returns the path to save to and,
    with --resume, the checkpoint: read once, by the checked reader, every field checked before use."""
    from nnscratch.cli._files import CHECKPOINT, MODEL, check_output
    from nnscratch.training.checkpoint import read_checkpoint

    inputs = tuple(p for p in (spec.data, getattr(args, "config", None)) if p and os.path.exists(p))
    save_path = None if args.no_save else args.save
    if save_path is not None:
        check_output(save_path, "--save", MODEL, inputs)
    if args.resume and not args.checkpoint:
        raise ValueError("--resume: needs --checkpoint PATH, the checkpoint to continue from")
    checkpoint = None
    if args.checkpoint:
        if args.resume and not os.path.exists(args.checkpoint):
            raise ValueError(f"--resume: no checkpoint {args.checkpoint!r} to continue from")
        if args.resume:
            try:
                checkpoint = read_checkpoint(args.checkpoint)
            except ValueError as exc:
                check_output(args.checkpoint, "--checkpoint", CHECKPOINT, inputs)  # not a checkpoint at all
                message = str(exc)  # a checkpoint with a bad field: the reader's one line
                raise ValueError("--" + message if message.startswith("resume:") else message) from None
        check_output(args.checkpoint, "--checkpoint", CHECKPOINT, inputs,
                     content=CHECKPOINT if checkpoint is not None else None)
        if save_path is not None and os.path.abspath(args.checkpoint) == os.path.abspath(save_path):
            raise ValueError(
                "--checkpoint: must differ from --save (the checkpoint is rewritten every epoch)"
            )
    return save_path, checkpoint


def _header(model, stream):
    """A callback that prints what is about to be trained, once the model has split its data."""
    from nnscratch.training import Callback

    class Header(Callback):
        def on_train_begin(self, trainer):
            from nnscratch.modelnet import describe

            s, net = model.spec, model.network
            hidden = s.hidden if isinstance(s.hidden, str) else ",".join(s.hidden)
            what = f"{describe(net, s)} ({net.output if s.layers else f'{hidden}, {net.output}'})"
            parts = model.parts
            print(
                f"training {what} on "
                f"{model.provenance['data']}: {parts['train']:,} train / {parts['validation']:,} "
                f"validation / {parts['test']:,} test rows, {s.optimizer} lr={s.learning_rate:g}, batch "
                f"{s.batch_size or 'full'}",
                file=stream, flush=True,
            )

    return Header()


def run(args: argparse.Namespace) -> int:
    """Train, print the table (or JSON), save the model; every refusal comes before the training."""
    from nnscratch import datasets
    from nnscratch.cli._signals import Interrupts
    from nnscratch.model import Model
    from nnscratch.training.history import DivergenceWarning

    spec = spec_from(args)
    if getattr(args, "print_config", False):
        sys.stdout.write(spec.to_toml())
        return P.EXIT_OK
    save_path, checkpoint = _check_arguments(args, spec)
    if checkpoint is not None:
        spec = _resumed_spec(args, spec, checkpoint)
    try:
        data = datasets.load(spec.data, target=spec.target, task=spec.task)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None
    if getattr(args, "layers", None) and not layer_string(args.layers):
        spec = _layers(args, spec, data)
    model = Model(spec)
    stream = sys.stderr if args.json else sys.stdout
    callbacks = []
    if not args.quiet:
        classification = data.task == "classification"
        callbacks += [_header(model, stream), _progress(stream, spec.epochs, stream.isatty(), classification)]
    name = data.name if datasets.is_named(spec.data) else spec.data
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():  # a loss that ended high is reported as one line, after the table
            warnings.simplefilter("ignore", DivergenceWarning)
            model.fit(data, name=name, callbacks=callbacks, checkpoint=args.checkpoint,
                      resume=checkpoint if checkpoint is not None else False)
    except ValueError as exc:
        raise ValueError(flag_message(str(exc))) from None
    seconds = time.perf_counter() - t0
    if save_path is not None:
        with Interrupts() as interrupts, interrupts.critical():  # a Ctrl-C now waits for the file
            model.save(save_path)
    _report(args, model, seconds, save_path)
    return P.EXIT_OK


def _report(args, model, seconds: float, save_path: str | None) -> None:
    from nnscratch.modelnet import describe
    from nnscratch.report import format_table
    from nnscratch.report import seconds as fmt_seconds

    history = model.history
    if args.json:
        report = {
            "data": model.provenance["data"],
            "task": model.task,
            "layers": describe(model.network, model.spec),
            **model.metrics,
            "epochs": history.epochs,
            "steps": history.steps,
            "seconds": round(seconds, 3),
            "saved": save_path,
            "warnings": history.warnings,
        }
        print(json.dumps(report, ensure_ascii=False))
        for message in history.warnings:
            print(f"warning: {message}", file=sys.stderr)
        return
    if not args.quiet:
        print()
    print(format_table(list(model.metrics.items())))
    stopped = f", early stop at epoch {history.stopped_epoch}" if history.stopped_epoch else ""
    print(f"time {fmt_seconds(seconds)} ({history.epochs} epochs, {history.steps:,} steps{stopped})")
    if save_path is not None:
        print(f"model saved to {save_path}")
    for message in history.warnings:
        print(f"warning: {message}")
