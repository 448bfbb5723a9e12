"""The parser, the option types, the choices taken from the library's tables, the exit statuses and the
one-line error printing shared by every command."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2  # (interrupted: nnscratch.cli.EXIT_INTERRUPTED, 128 + SIGINT, as a shell reports Ctrl-C)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(convert: type, accept: Callable[[float], bool], expected: str, full: bool = False):
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


positive_float = _number(float, lambda v: v > 0, "a positive number")
nonneg_float = _number(float, lambda v: v >= 0, "a number ≥ 0")
positive_int = _number(int, lambda v: v > 0, "a positive integer")
nonneg_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
batch_size = _number(int, lambda v: v > 0, "a positive integer or 'full'", full=True)
fraction = _number(float, lambda v: 0 <= v < 1, "a fraction in [0, 1)")


def on_off(text: str) -> bool:
    """An argparse type: on/off, true/false, yes/no, 1/0."""
    value = {"on": True, "true": True, "yes": True, "1": True,
             "off": False, "false": False, "no": False, "0": False}.get(text.strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return value


# ---------------------------------------------------------------- choices from the library's tables
# The tables live in modules that import NumPy; the lab's ``trace`` command imports NumPy while the
# parser is built anyway, so reading them here costs no extra time for ``nnscratch --help``.


def optimizer_names() -> list[str]:
    """The update rules ``nnscratch.optim.create`` knows, in the library's order."""
    from nnscratch.optim import OPTIMIZERS

    return list(OPTIMIZERS)


def activation_names(trainable: bool = False) -> list[str]:
    """Hidden activations; ``trainable`` leaves out those without a usable gradient (the step function)."""
    from nnscratch.layers import ACTIVATIONS

    return [name for name, cls in ACTIVATIONS.items() if cls.differentiable or not trainable]


def output_names() -> list[str]:
    """Output activations, each paired with its default loss (identity+mse, sigmoid+BCE, softmax+CE)."""
    from nnscratch.layers import DEFAULT_LOSS

    return list(DEFAULT_LOSS)


# ---------------------------------------------------------------- errors


def os_message(exc: OSError) -> str:
    """``path: reason`` for an OSError that names its file, else its text."""
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def error(message: str) -> None:
    """Print ``nnscratch: error: …`` as one line on stderr (newlines in the message become spaces)."""
    print(f"nnscratch: error: {' '.join(str(message).split())}", file=sys.stderr)
