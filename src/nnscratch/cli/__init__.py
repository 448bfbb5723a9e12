"""The ``nnscratch`` command line.

``nnscratch train`` with no arguments is the main job: the digits data set, a 64-100-10 ReLU/softmax
network trained with Adam, a held-out test split, a progress display, a final table and a saved model.
Other commands: ``sweep`` (many runs on a process pool or a Dask cluster), ``evaluate``, ``predict``,
``summary``, ``datasets``, ``gradcheck``, ``stream`` (online
learning from CSV rows on standard input), and the lab's ``trace`` and ``plot``. Each command is a module
of this package with ``register(subparsers)``; the option choices come from the library's own tables.

Errors in the input (a bad file, an unknown name, a non-positive learning rate, …) print one line
``nnscratch: error: …`` on standard error and exit with status 2; nothing is overwritten. Ctrl-C at any
moment, start-up included, prints one line and exits with status 130; SIGTERM and SIGHUP once the
command line is set up (its first milliseconds) do the same with 143 and 129 (128 + the signal's number,
as a shell reports it), and a storm of them still prints one line. This module imports only the
standard library at import time (``import nnscratch`` is lazy too), so an interruption while NumPy is
being imported is caught here; scikit-learn and matplotlib are imported only by the commands that use them.
"""

from __future__ import annotations

import sys

# nothing else at import time: everything that imports (argparse, NumPy, …) runs inside main()'s
# handler of KeyboardInterrupt, so a Ctrl-C during start-up is one line, not a traceback
EXIT_INTERRUPTED = 130

__all__ = ["main", "build_parser", "COMMANDS", "LAB_COMMANDS"]

# the package's own commands, in the order of 'nnscratch --help'; each module has register(subparsers)
COMMANDS = (
    "train", "sweep", "evaluate", "predict", "summary", "datasets", "gradcheck", "stream", "playground",
)
# the lab provides these sub-commands (each module has register(subparsers))
LAB_COMMANDS = ("nnscratch.lab.trace_cli", "nnscratch.lab.plot_cli")
# what the lab's commands write: command -> (attribute, option); checked by the one output guard
_LAB_OUTPUTS = {"plot": ("out", "--out")}


def _version() -> str:
    from nnscratch import __version__

    return f"nnscratch {__version__}"


def _guard_figure(func):
    """The lab's ``plot`` with its ``--out`` checked by the same guard as every other written file."""

    def run(args) -> int:
        from nnscratch.cli._files import FIGURE, check_output

        attribute, option = _LAB_OUTPUTS["plot"]
        check_output(getattr(args, attribute), option, FIGURE)
        return func(args)

    return run


def build_parser():
    """The top-level parser (an ``argparse.ArgumentParser``) with every command's sub-parser."""
    import importlib

    from nnscratch.cli._parser import _Parser

    parser = _Parser(
        prog="nnscratch",
        description="A from-scratch NumPy neural network: train, evaluate and inspect models "
        "(JDLA E資格 / ゼロから作るDeep Learning). Run 'nnscratch train' for the main job.",
        epilog="Each command has its own --help, e.g. 'nnscratch train --help'.",
    )
    import argparse

    class Version(argparse.Action):  # the version is read only when asked for
        def __call__(self, parser, namespace, values, option_string=None):
            print(_version())
            parser.exit()

    parser.add_argument("--version", nargs=0, action=Version, help="print the version and exit")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"nnscratch.cli.{name}").register(sub)
    for module_name in LAB_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name not in (module_name, module_name.rpartition(".")[0]):
                raise
            continue
        command = module.register(sub)
        name = command.prog.rpartition(" ")[2]
        if name in _LAB_OUTPUTS:
            command.set_defaults(func=_guard_figure(command.get_default("func")))
    return parser


def _run(parser, argv: list[str] | None, interrupts) -> int:
    import os

    from nnscratch.cli._parser import EXIT_FAIL, EXIT_OK, EXIT_USAGE, error, os_message

    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_OK
    try:
        return int(args.func(args) or EXIT_OK)
    except BrokenPipeError:
        # the reader went away (e.g. '| head'); stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_FAIL
    except (ValueError, TypeError, ImportError, OSError) as exc:
        if interrupts.received:  # e.g. an import of a C extension turned the KeyboardInterrupt into this
            raise KeyboardInterrupt from None
        error(os_message(exc) if isinstance(exc, OSError) else str(exc))
        return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 check failed, 2 bad input, 130 Ctrl-C,
    143 SIGTERM, 129 SIGHUP).

    Everything — building the parser (which imports NumPy), parsing, the command — runs inside the
    handler of ``KeyboardInterrupt``, so Ctrl-C at any moment prints one line, never a traceback. While
    the parser is built, Ctrl-C waits for the imports to finish: a C extension that is being imported
    (NumPy's) turns a ``KeyboardInterrupt`` into an ``ImportError`` with a page of advice. After a stop
    signal, the stop signals stay ignored: the process is leaving (see :mod:`nnscratch.cli._signals`).
    """
    try:
        from nnscratch.cli._signals import Interrupts

        with Interrupts(process=True) as interrupts:
            with interrupts.critical():
                parser = build_parser()
            return _run(parser, argv, interrupts)
    except KeyboardInterrupt:
        import signal

        try:  # a second Ctrl-C while leaving must not print a traceback either
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    signal.signal(getattr(signal, name), signal.SIG_IGN)
        except ValueError:  # not the main thread
            pass
        status, what = EXIT_INTERRUPTED, "interrupted"
        signals = sys.modules.get("nnscratch.cli._signals")
        if signals is not None:  # None: Ctrl-C before the guard was set up
            status, what = signals.exit_status(), signals.describe()
        print(f"nnscratch: {what}", file=sys.stderr)
        return status
