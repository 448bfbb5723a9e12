"""Ctrl-C, SIGTERM and SIGHUP between steps, never inside one.

An update of a network changes its layers one after another. A ``KeyboardInterrupt`` raised in the
middle (Python raises it at the next bytecode after SIGINT arrives) leaves some layers updated by a row
and others not; a model saved after that matches no sequence of rows. :class:`Interrupts` installs a
handler of SIGINT (Ctrl-C), SIGTERM (``kill``, a service manager stopping the command) and SIGHUP (the
terminal closed) that raises :class:`Interrupted` (a ``KeyboardInterrupt``) at once outside a critical
section and, inside one, only records the signal and raises when the section ends — so the network and
its row count always agree.

The first signal is the only one that raises, in the whole process: the ones after it (a storm of
Ctrl-C, a SIGTERM after a Ctrl-C) are counted and ignored, so the command's way out — its last save, its
one line — is never cut. The exit status names the first signal as a shell does: 128 + its number
(:func:`exit_status`: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). The entry point's guard
(``process=True``) leaves the three signals ignored when it ends after one of them, so that one
arriving while the interpreter shuts down cannot kill it either.

A flag checked in Python is used rather than blocking the signal (``pthread_sigmask``): a blocked
signal is delivered to another thread (OpenBLAS's workers), whose C handler would still make Python
raise in the main thread in the middle of the step.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Interrupts", "Interrupted", "STOP_SIGNALS", "exit_status", "describe"]

# the signals that stop a command cleanly (SIGHUP does not exist on Windows)
STOP_SIGNALS: tuple[int, ...] = tuple(
    s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)

_received = 0  # stop signals taken by any Interrupts handler in this process
_first: int | None = None  # the first of them: it names the exit status
_raised = False  # whether one has been raised already: the ones after it are only counted
_guards = 0  # Interrupts guards active in the main thread (they nest)


class Interrupted(KeyboardInterrupt):
    """The stop signal ``signum`` arrived: a ``KeyboardInterrupt``, so every ``except KeyboardInterrupt``
    handles SIGTERM and SIGHUP as it handles Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status() -> int:
    """128 + the number of the first stop signal taken (130 when none was: a plain KeyboardInterrupt)."""
    return 128 + int(_first if _first is not None else signal.SIGINT)


def describe() -> str:
    """``interrupted`` (Ctrl-C), ``interrupted by SIGTERM``, ``interrupted by SIGHUP``: the first signal."""
    if _first is None or _first == signal.SIGINT:
        return "interrupted"
    return f"interrupted by {signal.Signals(_first).name}"


class Interrupts:
    """``with Interrupts() as guard:`` … ``with guard.critical():`` one step …

    Sections nest, and so do guards (a command's inside the entry point's). ``received`` tells whether
    a stop signal came since this guard was entered, by whichever guard took it. With ``process=True``
    (the entry point's guard) the stop signals stay ignored after the guard ends if one arrived: the
    process is on its way out. Outside the main thread (where Python cannot install signal handlers) it
    does nothing and the default behaviour stays.
    """

    def __init__(self, process: bool = False) -> None:
        self._start = _received
        self._depth = 0
        self._pending = False
        self._old: dict[int, object] = {}
        self._installed = False
        self._process = process

    def __enter__(self) -> Interrupts:
        global _guards, _first, _raised
        self._start = _received
        if threading.current_thread() is threading.main_thread():
            if _guards == 0:  # a new command in this process (tests call main() more than once)
                _first, _raised = None, False
            _guards += 1
            self._installed = True
            for sig in STOP_SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        global _guards
        if self._installed:
            leaving = self._process and _first is not None
            for sig, old in self._old.items():
                signal.signal(sig, signal.SIG_IGN if leaving else old)
            self._installed = False
            _guards -= 1

    @property
    def received(self) -> bool:
        """Whether a stop signal has arrived since this guard was entered."""
        return _received != self._start

    def _handle(self, signum: int, frame: object) -> None:
        global _received, _first, _raised
        _received += 1
        if _first is None:
            _first = signum
        if _raised:  # a storm of Ctrl-C: the first one is on its way; the command is leaving
            return
        if self._depth:
            self._pending = True
            return
        _raised = True
        raise Interrupted(signum)

    @contextlib.contextmanager
    def critical(self, drop: bool = False) -> Iterator[None]:
        """A section a stop signal does not cut: one that arrives inside it raises :class:`Interrupted`
        when it ends (or is ignored with ``drop``, for the last save on the way out after an
        interruption)."""
        global _raised
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self._pending:
            self._pending = False
            if not drop and not _raised:
                _raised = True
                raise Interrupted(_first if _first is not None else signal.SIGINT)
